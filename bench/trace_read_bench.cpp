// How long reading trace files into a SpanStore takes, and (under
// /usr/bin/time -v) how much memory: the files are read as `tailsim import`
// reads them, and the store's counts are printed so a run shows what it read.
//
// Usage: trace_read_bench FILE...   (bench/trace_file.py writes a large one)

#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "tailsim/import/trace_reader.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs("usage: trace_read_bench FILE...\n", stderr);
    return 2;
  }
  namespace ti = tailsim::import;
  ti::SpanStore store;
  const auto start = std::chrono::steady_clock::now();
  try {
    for (int i = 1; i < argc; ++i) {
      ti::read_trace_file(argv[i], store);
    }
  } catch (const ti::ImportError& error) {
    fmt::print(stderr, "{}\n", error.what());
    return 2;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto& counts = store.counts();
  fmt::print(
      "format {}, {} files, {} spans read, {} kept, {} traces, {} strings, {} duplicates, {} "
      "skipped\n",
      ti::to_string(store.format()), counts.files, counts.spans_read, store.spans().size(),
      store.count_traces(), store.string_count(), counts.duplicates, counts.skipped_total());
  fmt::print("read in {:.3f} s ({:.0f} spans/s); spans take {:.1f} MB\n", seconds,
             static_cast<double>(counts.spans_read) / seconds,
             static_cast<double>(store.spans().capacity() * sizeof(ti::Span)) / 1e6);
  return 0;
}
