#pragma once
/// What every fuzz target checks and how it runs a fuzzed model: each
/// diagnostic points somewhere and says something, and a run is bounded in
/// events (for speed) and in memory (so that a model that makes the engine
/// hold ever more work is stopped by the engine's budget, which the fuzzer
/// checks, rather than by an event cap that hides the growth).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "tailsim/components/simulation.hpp"
#include "tailsim/graph/dependency_graph.hpp"
#include "tailsim/model/loader.hpp"
#include "tailsim/plan/compiler.hpp"

namespace tailsim::fuzz {

/// Events a fuzzed run may take: enough to reach every mechanism's first
/// events, few enough for thousands of runs a second.
inline constexpr std::uint64_t max_events = 20'000;
/// The live work a fuzzed run may hold; far below the fuzzer's own RSS limit.
inline constexpr std::uint64_t max_memory_bytes = 64ULL << 20;

/// Aborts (a finding) when a diagnostic has no position or no message, or
/// when `ok()` disagrees with the diagnostics.
inline void check_load(const model::LoadResult& loaded) {
  for (const auto& d : loaded.diagnostics.all()) {
    if (d.loc.line < 1 || d.loc.col < 1 || d.message.empty()) {
      std::fprintf(stderr, "diagnostic without a position: %s\n",
                   loaded.diagnostics.format(d).c_str());
      std::abort();
    }
  }
  if (loaded.ok() != !loaded.diagnostics.has_errors()) {
    std::abort();
  }
}

/// Checks a load, builds the graph of whatever loaded and, when the model is
/// sound, compiles and simulates it within the fuzzing bounds. Returns the
/// run's results, or nothing when the model did not get that far.
inline std::optional<stats::Results> load_and_run(model::LoadResult& loaded,
                                                  std::uint32_t traces = 0,
                                                  bool attribution = false) {
  check_load(loaded);
  if (!loaded.model) {
    return std::nullopt;
  }
  (void)graph::build_graph(*loaded.model, loaded.diagnostics);
  if (!loaded.ok() || loaded.diagnostics.has_errors()) {
    return std::nullopt;
  }
  auto plan = plan::compile_plan(*loaded.model, loaded.diagnostics);
  if (!plan) {
    return std::nullopt;
  }
  components::RunLimits limits;
  limits.max_events = max_events;
  limits.max_memory_bytes = max_memory_bytes;
  limits.max_steps_at_instant = max_events;  // a loop that takes no time may not run on
  limits.traces = traces;
  limits.attribution = attribution;
  return components::simulate(*plan, limits);
}

}  // namespace tailsim::fuzz
