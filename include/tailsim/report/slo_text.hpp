#pragma once
/// SLO checks as the console, the JUnit file and the Markdown summary show
/// them: what a check measures, what it promises, and what was measured.

#include <string>
#include <string_view>

#include "tailsim/stats/results.hpp"

namespace tailsim::report {

/// A check cut into its term and its promise, spacing made regular:
/// "p99 < 400ms" and "p(99)<400ms" give {"p99", "< 400ms"} and
/// {"p(99)", "< 400ms"}.
struct SloCheckParts {
  std::string term;
  std::string promise;
};
SloCheckParts split_slo_check(std::string_view check);

/// Whether the check had anything to measure: a latency check on a path
/// without one successful request had not (and failed: nothing passed).
bool has_slo_measurement(const stats::Results& results, const stats::SloResult& slo);

/// The measured value in the unit of the threshold ("180.5ms", "0.21%",
/// "399.2/s"), or "no successful request".
std::string format_slo_measured(const stats::Results& results, const stats::SloResult& slo);

/// Simulated seconds as the model writes durations: "10m", "1.5s".
std::string format_sim_seconds(double seconds);

}  // namespace tailsim::report
