#pragma once
/// `tailsim calibrate`: does a model reproduce the traces of the system it
/// stands for? Each request path (a workload, matched to the traces by its
/// entry endpoint) and each edge (a caller service's calls to an endpoint)
/// is compared figure by figure: mean, p50, p90 and p99 of the latency of
/// successful requests or calls, and the error share. docs/import.md,
/// "Calibrating a model", states the rules.
///
/// A figure passes when the simulated value is within the tolerance of the
/// observed one, or when the gap is within the noise of both: a p99 from
/// 150 traces (or from 150 simulated calls) is known only to within a wide
/// interval, and a model cannot be blamed for sampling noise.
/// The intervals hold together with 95% confidence over all figures
/// compared (Bonferroni), so that a right model with many edges does not
/// fail one by chance, and the observed ones allow for requests that are
/// not independent (stats::BatchIntervals).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tailsim/core/time.hpp"
#include "tailsim/import/trace_analysis.hpp"
#include "tailsim/model/model.hpp"
#include "tailsim/stats/histogram.hpp"
#include "tailsim/stats/results.hpp"

namespace tailsim::study {

/// How close is close enough (SPEC.md: 10% for latency, 15% for p99, 1
/// point for error shares).
struct CalibrationTolerance {
  double latency = 0.10;  ///< mean, p50, p90: relative to the observed value
  double p99 = 0.15;      ///< relative to the observed p99
  double errors = 0.01;   ///< error share: absolute, 0.01 = 1 point
  /// The chance that a right model fails some figure by the traces' sampling
  /// noise alone: the observed intervals hold together at 1 - family_error.
  /// A caller that calibrates several models as one family (a test suite's
  /// round trips) divides it among them.
  double family_error = 0.05;
};

/// One compared figure of a path or an edge.
enum class Figure { mean, p50, p90, p99, errors };
inline constexpr std::size_t figure_count = 5;

/// `mean`, `p50`, `p90`, `p99`, `errors`.
[[nodiscard]] const char* figure_name(Figure figure);

enum class FigureVerdict {
  ok,        ///< within the tolerance
  in_noise,  ///< outside the tolerance, but within the two values' noise
  off,       ///< neither
  no_data    ///< one side has nothing to compare (no successful request)
};

/// `ok`, `ok (noise)`, `OFF`, `no data`.
[[nodiscard]] const char* figure_verdict_name(FigureVerdict verdict);

/// One figure: latencies in milliseconds, error shares as fractions (0 to 1).
struct FigureCheck {
  Figure figure = Figure::mean;
  double observed = 0;
  double simulated = 0;
  /// The observed value's confidence interval (Calibration::interval_z and
  /// interval_t give its width; a NaN upper bound: unbounded, too few
  /// samples for that percentile).
  double observed_low = 0;
  double observed_high = 0;
  /// The simulated value's, from the run's histogram taken as independent
  /// values (z wide; a NaN upper bound: unbounded).
  double simulated_low = 0;
  double simulated_high = 0;
  /// simulated - observed, relative to the observed value for latencies,
  /// in points (absolute) for error shares.
  double difference = 0;
  /// The tolerance the difference was held to, in the difference's unit.
  double tolerance = 0;
  FigureVerdict verdict = FigureVerdict::no_data;
};

/// A path or an edge, with its figures.
struct CalibrationItem {
  /// A path: the entry endpoint (`frontend.checkout`); an edge: `caller -> service.endpoint`.
  std::string name;
  /// A path: the model's workload ("" when the model has none for this entry).
  std::string workload;
  /// Observed: traced requests or calls (successes and failures).
  std::size_t observed_count = 0;
  /// Simulated: requests or calls that finished in the measured window.
  std::uint64_t simulated_count = 0;
  /// Empty when compared; else why not (then `figures` is empty and the item
  /// counts as failed when the traces have it and the model lacks it).
  std::string problem;
  bool in_traces = true;
  bool in_model = true;
  std::vector<FigureCheck> figures;
  /// For the CDF chart: the observed successful latencies, sorted, in ns
  /// (at most max_cdf_samples of them, evenly spaced order statistics) and
  /// the simulated latency distribution.
  std::vector<Duration> observed_sorted;
  stats::Histogram simulated;

  /// Whether every figure passed (and the traced item is in the model).
  [[nodiscard]] bool passes() const;
};

/// The most observed samples an item keeps for its CDF.
inline constexpr std::size_t max_cdf_samples = 2'000;

/// The outcome of a calibration.
struct Calibration {
  CalibrationTolerance tolerance;
  std::vector<CalibrationItem> paths;
  std::vector<CalibrationItem> edges;
  /// What the user should know (rates set, workloads left as they were).
  std::vector<std::string> notes;
  std::size_t traces = 0;  ///< traces analysed
  /// How many standard errors wide each interval is: the normal quantile
  /// of 1 - 0.05 / (2 k) for k figures compared, so that a right model
  /// passes all k together with 95% confidence (Bonferroni), for values
  /// taken as independent; Student's t quantile of the same level with 9
  /// degrees of freedom for the standard error of ten batches in time order
  /// (stats::BatchIntervals). Each observed interval is the wider of the
  /// two. A figure outside the tolerance passes when the gap between the
  /// two values is at most the root sum of squares of the half-widths of
  /// their intervals that face each other.
  double interval_z = 1.959963984540054;
  double interval_t = 2.262157162798205;

  /// Figures compared and how many did not pass (items missing from the model count as one).
  [[nodiscard]] std::size_t figures_compared() const;
  [[nodiscard]] std::size_t failures() const;
  [[nodiscard]] bool passes() const { return failures() == 0; }
};

/// Sets the rate of every open workload of `m` whose entry the traces reach
/// (and whose traced rate is known) to that rate, as a constant Poisson
/// rate (a schedule or bursts give way to it). Returns a note per workload
/// changed or left as it was, and why.
std::vector<std::string> apply_traced_rates(model::Model& m, const import::TraceEvidence& evidence);

/// Compares the simulated `results` of model `m` with the traces' evidence.
[[nodiscard]] Calibration calibrate(const import::TraceEvidence& evidence, const model::Model& m,
                                    const stats::Results& results,
                                    const CalibrationTolerance& tolerance = {});

/// The table for the console: per path and edge the figures with observed,
/// simulated, difference and verdict, then a one-line verdict.
[[nodiscard]] std::string calibration_to_console(const Calibration& calibration, bool color);

/// The calibration as JSON (docs/import.md gives the keys).
[[nodiscard]] std::string calibration_to_json(const Calibration& calibration,
                                              const std::string& model_name);

/// A self-contained HTML page: per path and edge the observed and
/// simulated latency CDFs overlaid, and the table.
[[nodiscard]] std::string calibration_page(const Calibration& calibration,
                                           const std::string& model_name,
                                           const std::string& command_line);

}  // namespace tailsim::study
