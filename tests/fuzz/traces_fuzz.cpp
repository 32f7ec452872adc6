// libFuzzer target for the trace reader (`tailsim import --traces FILE`): the
// input is written to a file in a temporary folder and read into a span
// store. Whatever the file holds, the read ends in spans or an ImportError
// (nothing else thrown, no crash), and the spans kept are whole: ids set,
// end not before start, string indexes inside the table.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "tailsim/import/trace_reader.hpp"

namespace {

/// The process's own temporary folder, made once and removed at exit.
const std::filesystem::path& trace_dir() {
  static const std::filesystem::path dir = [] {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tailsim-trace-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::abort();
    }
    std::atexit([] { std::filesystem::remove_all(trace_dir()); });
    return std::filesystem::path(pattern);
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::filesystem::path path = trace_dir() / "traces.json";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  namespace ti = tailsim::import;
  ti::SpanStore store;
  try {
    ti::read_trace_file(path, store);
  } catch (const ti::ImportError& error) {
    if (error.offset() > size) {
      std::abort();  // an offset past the file's end
    }
  }
  for (const ti::Span& span : store.spans()) {
    const std::size_t strings = store.string_count();
    if (span.span_id == 0 || span.trace_id == ti::TraceId{} || span.end_ns < span.start_ns ||
        span.service >= strings || span.name >= strings || span.instance >= strings ||
        span.peer >= strings || span.route >= strings || span.method >= strings ||
        store.text(span.name).size() > ti::SpanStore::max_text_bytes) {
      std::abort();
    }
  }
  return 0;
}
