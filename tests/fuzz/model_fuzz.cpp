// libFuzzer target for the model loader and the engine: whatever the bytes,
// loading answers with diagnostics (each with a position) and never crashes,
// hangs or throws; and whatever loads compiles and runs, bounded in events
// and memory, without a crash or a sanitizer report.

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto loaded = tailsim::model::load_string(text, "fuzz.yaml");
  (void)tailsim::fuzz::load_and_run(loaded);
  return 0;
}
