#pragma once
// How every study writes an estimate in its JSON (compare, replications,
// sweep). Internal: public headers keep nlohmann-json out.

#include <nlohmann/json.hpp>

#include "tailsim/study/confidence.hpp"
#include "tailsim/study/metrics.hpp"

namespace tailsim::study {

/// `{"mean", "half_width", "n"}`; NaN (not measured, or no interval) is
/// written as null.
inline nlohmann::ordered_json estimate_json(const Estimate& estimate) {
  return nlohmann::ordered_json{
      {"mean", estimate.mean}, {"half_width", estimate.half_width}, {"n", estimate.n}};
}

/// Adds how completely the replications ran to `out`: `replications_run`,
/// `stopped_early` (how many of them stopped early) and `stops`, each
/// `{"seed", "reason"}`.
inline void add_coverage_json(nlohmann::ordered_json& out, const RunCoverage& coverage) {
  out["replications_run"] = coverage.ran;
  out["stopped_early"] = coverage.stopped.size();
  nlohmann::ordered_json& stops = out["stops"] = nlohmann::ordered_json::array();
  for (const auto& stop : coverage.stopped) {
    stops.push_back(nlohmann::ordered_json{{"seed", stop.seed}, {"reason", stop.reason}});
  }
}

/// Marks a path unstable in `out` as results.json does (`"unstable": true`,
/// absent otherwise), with `unstable_replications`, how many judged it so.
inline void add_unstable_json(nlohmann::ordered_json& out, std::size_t unstable_replications) {
  if (unstable_replications > 0) {
    out["unstable"] = true;
    out["unstable_replications"] = unstable_replications;
  }
}

}  // namespace tailsim::study
