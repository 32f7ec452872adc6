#pragma once
/// SLO checks as the console, the JUnit file and the Markdown summary show
/// them: what was measured (a check's term and promise are parsed once, in
/// `SloCheck`).

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "tailsim/stats/results.hpp"

namespace tailsim::report {

/// Whether the check had anything to measure: a latency check on a path
/// without one successful request had not (and failed: nothing passed).
bool has_slo_measurement(const stats::Results& results, const stats::SloResult& slo);

/// The measured value in the unit of the threshold ("180.5ms", "0.21%",
/// "399.2/s"), or "no successful request".
std::string format_slo_measured(const stats::Results& results, const stats::SloResult& slo);

/// One SLO check of a study, beside its `SloResult` (whose value is then the
/// mean over the replications): the 95% half-width and, in a comparison,
/// model A's side of the check of model B.
struct SloStudyCheck {
  double half_width = std::numeric_limits<double>::quiet_NaN();  ///< none with one replication
  std::size_t replications = 0;
  bool has_baseline = false;  ///< a comparison: the fields below hold A's side
  double a_mean = std::numeric_limits<double>::quiet_NaN();
  double a_half_width = std::numeric_limits<double>::quiet_NaN();
  double difference = std::numeric_limits<double>::quiet_NaN();  ///< B - A, paired
  double difference_half_width = std::numeric_limits<double>::quiet_NaN();
  std::string verdict;  ///< why the check passes or fails the gate, in words
};

/// A study's SLO checks: `checks[i]` goes with `Results::slos[i]`. Empty for
/// a plain run.
struct SloStudy {
  std::string baseline;  ///< a comparison: model A's name
  std::vector<SloStudyCheck> checks;
};

/// A study's value of a check: "320.0ms ± 2.8ms over 5 replications".
std::string format_slo_estimate(const stats::SloResult& slo, const SloStudyCheck& study);

/// A comparison's A side of a check: "A 310.0ms ± 2.1ms, B - A +10.0ms ±
/// 1.5ms: significantly worse, and failing"; empty without a baseline.
std::string format_slo_baseline(const stats::SloResult& slo, const SloStudyCheck& study);

/// Simulated seconds as the model writes durations: "10m", "1.5s".
std::string format_sim_seconds(double seconds);

}  // namespace tailsim::report
