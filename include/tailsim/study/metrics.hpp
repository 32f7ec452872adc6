#pragma once
/// The numbers a study estimates from each run: per request path its latency
/// percentiles, error share and throughput, and the value of each SLO check.
/// A run is reduced to these as soon as it ends, so a study of thousands of
/// runs keeps no histogram.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tailsim/stats/results.hpp"
#include "tailsim/study/confidence.hpp"

namespace tailsim::study {

/// A path metric, as results.json names it.
enum class Metric : std::uint8_t { mean, p50, p90, p99, p99_9, max, errors, throughput };
inline constexpr std::size_t metric_count = 8;
inline constexpr std::array<Metric, metric_count> all_metrics = {
    Metric::mean,  Metric::p50, Metric::p90,    Metric::p99,
    Metric::p99_9, Metric::max, Metric::errors, Metric::throughput};

/// "mean", "p50", "p90", "p99", "p99.9", "max", "errors", "throughput".
std::string_view metric_name(Metric metric);
/// Whether a metric is a latency in milliseconds (the first six).
bool is_latency(Metric metric);
/// Lower is better for latency and errors; higher for throughput.
bool is_lower_better(Metric metric);

/// One path of one run. Latencies are in ms (NaN when no request succeeded:
/// results.json writes 0, but a run without a latency has none to average),
/// errors a share of requests, throughput per second.
struct PathMetrics {
  std::string name;
  std::array<double, metric_count> values{};
  /// The run judged the path unstable (stats::PathResult::unstable).
  bool unstable = false;

  double& operator[](Metric m) { return values[static_cast<std::size_t>(m)]; }
  double operator[](Metric m) const { return values[static_cast<std::size_t>(m)]; }
};

/// One run, reduced.
struct RunMetrics {
  std::uint64_t seed = 0;
  /// False for a replication a study never started (it was interrupted
  /// first); such a run has no paths and enters no estimate.
  bool ran = true;
  /// A run limit ended the run before its end (stats::Results::stop_reason
  /// says why): its metrics cover only the part of the window it simulated.
  bool stopped_early = false;
  std::string stop_reason;
  std::vector<PathMetrics> paths;  ///< in the order of Results::paths
  /// One per SLO check asked for, in the unit of its threshold; NaN for a
  /// latency check on a path with no successful request.
  std::vector<double> slo_values;
};

/// Reduces a run's results; `slos` are the checks to measure (usually the
/// plan's own).
RunMetrics measure_run(const stats::Results& results, std::span<const stats::SloSpec> slos);

/// The metric whose unit an SLO check's value is written in: a share for
/// errors, a rate for throughput, milliseconds (as the mean's) for latency.
Metric slo_value_unit(SloMetric metric);

/// One path's metrics over replications.
struct PathEstimates {
  std::string name;
  std::array<Estimate, metric_count> metrics;
  /// The replications that judged the path unstable; any makes it unstable
  /// for the study, and its SLO checks fail.
  std::size_t unstable = 0;

  [[nodiscard]] const Estimate& operator[](Metric m) const {
    return metrics[static_cast<std::size_t>(m)];
  }
};

/// Every path's metrics estimated over `runs` (all of one model: same paths).
/// A latency is estimated over the runs that have one (`n` says how many):
/// a run where no request succeeded is not a run of zero latency.
std::vector<PathEstimates> estimate_paths(std::span<const RunMetrics> runs);

/// A replication that stopped early: its seed and why.
struct StoppedRun {
  std::uint64_t seed = 0;
  std::string reason;
};

/// How completely a study's replications of one model (a run, a sweep
/// point, a side of a comparison) ran: how many were asked for and ran, and
/// which of those stopped early.
struct RunCoverage {
  std::size_t asked = 0;
  std::size_t ran = 0;
  std::vector<StoppedRun> stopped;  ///< in replication order

  [[nodiscard]] bool is_complete() const { return stopped.empty() && ran == asked; }
};

/// The coverage of `runs`, all replications of one model.
RunCoverage run_coverage(std::span<const RunMetrics> runs);

/// The runs that ran (RunMetrics::ran), in order.
std::vector<RunMetrics> runs_that_ran(std::span<const RunMetrics> runs);

/// The values of SLO check `index` over `runs`, estimated.
Estimate estimate_slo(std::span<const RunMetrics> runs, std::size_t index);

}  // namespace tailsim::study
