#pragma once
/// SLO checks as the console, the JUnit file and the Markdown summary show
/// them: what was measured (a check's term and promise are parsed once, in
/// `SloCheck`).

#include <string>
#include <string_view>

#include "tailsim/stats/results.hpp"

namespace tailsim::report {

/// Whether the check had anything to measure: a latency check on a path
/// without one successful request had not (and failed: nothing passed).
bool has_slo_measurement(const stats::Results& results, const stats::SloResult& slo);

/// The measured value in the unit of the threshold ("180.5ms", "0.21%",
/// "399.2/s"), or "no successful request".
std::string format_slo_measured(const stats::Results& results, const stats::SloResult& slo);

/// Simulated seconds as the model writes durations: "10m", "1.5s".
std::string format_sim_seconds(double seconds);

}  // namespace tailsim::report
