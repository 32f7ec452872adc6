#pragma once
/// `tailsim sweep`: a grid of model variants, each replicated, and the knee
/// of each path's curves.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tailsim/model/units.hpp"
#include "tailsim/plan/plan.hpp"
#include "tailsim/report/sweep_report.hpp"
#include "tailsim/study/metrics.hpp"
#include "tailsim/study/runner.hpp"

namespace tailsim::study {

/// One `--vary PATH=V1,V2,...`: a `--set` path and the values it takes.
struct Vary {
  std::string path;
  std::vector<std::string> values;
  friend bool operator==(const Vary&, const Vary&) = default;
};

/// The most values one --vary may expand to.
inline constexpr std::size_t max_vary_values = 10000;

/// Reads `PATH=V1,V2,...`: values are YAML scalars (commas inside brackets,
/// braces, parentheses or quotes do not split), or numeric ranges
/// `A..B:STEP` (`2..8:2`, `100/s..400/s:100/s`, `10ms..50ms:10ms`; a unit
/// written once, on any of the three, applies to all; B is included when
/// the steps reach it). The error's offset points into `text`.
model::ParseResult<Vary> parse_vary(std::string_view text);

/// Every combination of the values, the first --vary varying slowest; each
/// point is one value per vary.
std::vector<std::vector<std::string>> sweep_grid(std::span<const Vary> varies);

/// The vary path that scales the load (`--vary load=1x..3x:0.5x`) instead
/// of setting a value of the model.
inline constexpr std::string_view load_path = "load";

/// The `--set` overrides of a grid point: `PATH=VALUE` per vary, but for
/// `load`.
std::vector<std::string> point_overrides(std::span<const Vary> varies,
                                         std::span<const std::string> point);

/// The load factor of a grid point as written (`2.5x`), when a vary is `load`.
std::optional<std::string> point_load(std::span<const Vary> varies,
                                      std::span<const std::string> point);

/// The number a value starts with (`300/s` -> 300, `2` -> 2, `25%` -> 25);
/// NaN when it does not start with one.
double leading_number(std::string_view value);

/// One grid point, replicated.
struct SweepPoint {
  std::vector<std::string> values;  ///< one per vary
  std::vector<PathEstimates> paths;
  /// Its replications that ran and those that stopped early; the estimates
  /// are over those that ran, the stopped ones included.
  RunCoverage coverage = {};
  /// Its services, queues and caches, estimated as `paths` are.
  std::vector<ComponentEstimates> components = {};
  /// The point's own SLO checks on the mean of its replications, as
  /// `run --replications` evaluates them; none when no replication ran.
  std::vector<SloEstimate> slos = {};

  /// The checks it fails: "checkout: errors < 0.5%", in the model's order.
  [[nodiscard]] std::vector<std::string> failed_slos() const;
};

struct SweepResult {
  std::vector<Vary> varies;
  std::vector<std::uint64_t> seeds;  ///< the replications' seeds, the same at every point
  std::vector<SweepPoint> points;    ///< in sweep_grid order
  bool interrupted = false;          ///< the stop flag was set: the sweep stopped

  /// Whether a replication of any point stopped early.
  [[nodiscard]] bool has_stopped_runs() const;
};

/// Runs `replications` of each plan (one per grid point, in grid order) on
/// `jobs` threads. Replication i of every point uses the same seed, so the
/// points differ by their values and not by their random draws (common
/// random numbers), and the output does not depend on `jobs`. The seeds are
/// derived from the first plan's, or are `seeds` when given (`--seed 1..5`),
/// `replications` of them.
SweepResult run_sweep(std::span<const plan::Plan> plans, std::vector<Vary> varies,
                      std::size_t replications, unsigned jobs,
                      const std::function<void(double)>& on_progress = {},
                      const StudyLimits& limits = {}, std::span<const std::uint64_t> seeds = {});

/// The knee of a curve y(x) (x in increasing order), by Kneedle (Satopää,
/// Albrecht, Irwin and Raghavan, "Finding a 'Kneedle' in a Haystack:
/// Detecting Knee Points in System Behavior", ICDCS Workshops 2011): both
/// axes scaled to [0, 1], the knee is the point farthest below the chord
/// from the first point to the last, which is where a convex curve breaks
/// away (rising, as p99 against load) or levels off (falling, as p99
/// against replicas). None with fewer than three points, a flat curve, or
/// no point at least 0.1 below the chord (a straight or concave curve).
std::optional<std::size_t> find_knee(std::span<const double> x, std::span<const double> y);

/// The points of a sweep that form one curve against the first vary: those
/// sharing the values of the other varies, in grid order.
struct SweepCurve {
  std::string label;                ///< "replicas=4 cpu=2"; empty with one vary
  std::vector<std::size_t> points;  ///< indices into SweepResult::points
  std::vector<double> x;            ///< the first vary's value, or its index if not a number
};

std::vector<SweepCurve> sweep_curves(const SweepResult& sweep);

/// Whether the first vary's values are numbers with one unit, strictly
/// increasing: then they are the x axis; else their index is.
bool has_numeric_axis(const SweepResult& sweep);

/// A path's knees on one curve: where p99 breaks away or levels off, and
/// where the error share does. Only a curve that changes for real has one:
/// the intervals of its lowest and highest points do not overlap, and p99
/// changes by at least 10% of its highest value (the error share by at
/// least one percentage point).
struct Knees {
  std::optional<std::size_t> p99;  ///< index into the curve's points
  std::optional<std::size_t> errors;
};

Knees find_knees(const SweepResult& sweep, const SweepCurve& curve, const std::string& path);

/// Every path name of the sweep, in the order of their first appearance.
std::vector<std::string> sweep_paths(const SweepResult& sweep);

/// The estimates of `path` at a point; nullptr where the point lacks it.
const PathEstimates* find_path(const SweepPoint& point, const std::string& path);

/// sweep.csv, tidy: one row per point, path and metric, columns: one per
/// vary (named by its path), path, metric, mean, half_width, n, then
/// stopped_early (the point's replications that stopped early) and
/// unstable (those that judged the path unstable).
std::string sweep_to_csv(const SweepResult& sweep);

/// The table of every point and path: the varied values, path, p50, p99,
/// errors and throughput as mean ± half-width; the header row first.
std::vector<std::vector<std::string>> sweep_table(const SweepResult& sweep);

/// The sweep report's inputs (report/sweep_report.hpp).
report::SweepReportInputs sweep_report_inputs(const SweepResult& sweep,
                                              const std::string& model_name,
                                              const std::string& command_line);

/// The console table (p50, p99, errors and throughput per point and path),
/// then the knees.
std::string sweep_to_console(const SweepResult& sweep);

/// One knee of a sweep: where a path's p99 or error share breaks away
/// (rises from here on) or levels off, on one curve.
struct SweepKnee {
  std::string path;
  Metric metric = Metric::p99;  ///< p99 or errors
  bool rising = false;          ///< breaks away after the point; else levels off at it
  std::size_t curve = 0;        ///< index into sweep_curves()
  std::size_t point = 0;        ///< index into SweepResult::points
};

/// Every knee, curve by curve, path by path, p99's before the error share's.
std::vector<SweepKnee> sweep_knees(const SweepResult& sweep);

/// The knees in words: "checkout: p99 breaks away after
/// workloads.checkout.rate=300/s", one per line.
std::vector<std::string> describe_knees(const SweepResult& sweep);

/// The sweep as JSON: the varies, the replications' seeds, every point's
/// values and its paths' metrics (mean, half_width, n; in results.json's
/// units: ms, a share of requests, per second), and the knees.
std::string sweep_to_json(const SweepResult& sweep, const std::string& model_name);

}  // namespace tailsim::study
