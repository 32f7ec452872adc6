// libFuzzer target for the model loader and the engine: whatever the bytes,
// loading answers with diagnostics (each with a position) and never crashes,
// hangs or throws; and whatever loads compiles and runs for a bounded number
// of events without a crash or a sanitizer report.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tailsim/components/simulation.hpp"
#include "tailsim/graph/dependency_graph.hpp"
#include "tailsim/model/loader.hpp"
#include "tailsim/plan/compiler.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto loaded = tailsim::model::load_string(text, "fuzz.yaml");
  for (const auto& d : loaded.diagnostics.all()) {
    if (d.loc.line < 1 || d.loc.col < 1 || d.message.empty()) {
      // Every diagnostic points somewhere and says something.
      std::fprintf(stderr, "diagnostic without a position: %s\n",
                   loaded.diagnostics.format(d).c_str());
      std::abort();
    }
  }
  if (loaded.ok() != !loaded.diagnostics.has_errors()) {
    std::abort();
  }
  if (loaded.model) {
    auto graph = tailsim::graph::build_graph(*loaded.model, loaded.diagnostics);
    (void)graph;
  }
  if (loaded.ok() && !loaded.diagnostics.has_errors()) {
    // Whatever loads must also compile and run (briefly: a bounded number of events).
    if (auto plan = tailsim::plan::compile_plan(*loaded.model, loaded.diagnostics)) {
      const auto results =
          tailsim::components::simulate(*plan, {.max_events = 20'000, .on_progress = {}});
      (void)results;
    }
  }
  return 0;
}
