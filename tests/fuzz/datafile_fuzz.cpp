// libFuzzer target for the data files a model names: the input (after its
// first byte) is written to a file in a temporary folder, beside a fixed model
// that reads it either as an `empirical(...)` sample file (first byte even) or
// as a workload's `trace:` file (odd). Whatever the file holds, the load
// answers with positioned diagnostics, and a model that loads runs.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

#include "fuzz_support.hpp"

namespace {

constexpr std::string_view empirical_model = R"(version: 1
simulation: {duration: 10s, warmup: 1s, seed: 1}
services:
  api:
    pod: {cpu: 1, workers: 4, queue: 16}
    endpoints:
      get:
        - delay: empirical(data.txt)
        - cpu: empirical(file=data.txt)
workloads:
  main: {entry: api.get, rate: 100/s}
)";

constexpr std::string_view trace_model = R"(version: 1
simulation: {duration: 10s, warmup: 1s, seed: 1}
services:
  api:
    pod: {cpu: 1, workers: 4, queue: 16}
    endpoints:
      get:
        - cpu: exp(1ms)
workloads:
  main: {entry: api.get, trace: data.txt}
)";

/// The process's own temporary folder, made once and removed at exit.
const std::filesystem::path& data_dir() {
  static const std::filesystem::path dir = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "tailsim-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::abort();
    }
    std::atexit([] { std::filesystem::remove_all(data_dir()); });
    return std::filesystem::path(pattern);
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const bool as_trace = (data[0] & 1U) != 0;
  {
    std::ofstream out(data_dir() / "data.txt", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
  }
  auto loaded = tailsim::model::load_string(as_trace ? trace_model : empirical_model,
                                            (data_dir() / "model.yaml").string(), {}, data_dir());
  (void)tailsim::fuzz::load_and_run(loaded);
  return 0;
}
