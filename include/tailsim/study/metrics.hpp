#pragma once
/// The numbers a study estimates from each run: per request path its latency
/// percentiles, error share and throughput, the value of each SLO check, and
/// per service, queue and cache the numbers results.json gives it. A run is
/// reduced to these as soon as it ends, so a study of thousands of
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

/// The latency metrics (the first six of all_metrics), for the latency over
/// all requests, failures included at their failure time
/// (stats::PathResult::latency_all).
inline constexpr std::size_t latency_metric_count = 6;

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
  /// The latency over all finished requests, failures included at their
  /// failure time, per latency metric (mean to max); NaN when none finished.
  std::array<double, latency_metric_count> all{};
  /// The run judged the path unstable (stats::PathResult::unstable).
  bool unstable = false;

  double& operator[](Metric m) { return values[static_cast<std::size_t>(m)]; }
  double operator[](Metric m) const { return values[static_cast<std::size_t>(m)]; }
};

/// The kinds of component a run reports on besides its paths.
enum class ComponentKind : std::uint8_t { service, queue, cache };
inline constexpr std::array<ComponentKind, 3> all_component_kinds = {
    ComponentKind::service, ComponentKind::queue, ComponentKind::cache};

/// "service", "queue", "cache".
std::string_view component_kind_name(ComponentKind kind);
/// results.json's key for the kind: "services", "queues", "caches".
std::string_view component_kind_key(ComponentKind kind);

/// How a component metric is written for people (the study's JSON and CSV
/// write the number as results.json does).
enum class ComponentUnit : std::uint8_t {
  count,    ///< requests, messages, lookups: "12003"
  share,    ///< utilization, hit ratio, 0 to 1: "50.1%"
  number,   ///< a mean number of things (queue length, replicas): "0.52"
  seconds,  ///< "1.25s"
  rate,     ///< per second: "399.2/s"
};

/// One metric of a kind of component: its name as results.json names it
/// under the component (a nested key joined by a dot, "replicas.mean"), and
/// its unit.
struct ComponentMetricSpec {
  std::string_view name;
  ComponentUnit unit = ComponentUnit::count;
};

/// Every metric of a kind, in results.json's order: a service's `requests,
/// utilization, queue_mean, rejected, replicas.{min,max,mean}, busy_cpu_s,
/// goodput_rps, wasted_cpu_s, orphaned, deadline_drops, throttled_s,
/// cpu_stat.{nr_periods,nr_throttled}, gc_pause_s, gc_pauses, contention_s, oom_kills, restarts,
/// evictions, batch_size_mean, batches, gpu_busy_s, retries, retries_refused, hedges,
/// hedges_won`; a queue's `published, consumed,
/// dead_letters, depth_max, lag_max_s`; a cache's `lookups, hit_ratio`.
std::span<const ComponentMetricSpec> component_metrics(ComponentKind kind);

/// The index of metric `name` in component_metrics(kind); asserts it exists.
std::size_t component_metric_index(ComponentKind kind, std::string_view name);

/// One service, queue or cache of one run: a value per component_metrics()
/// entry, NaN where results.json has none (an external service has only
/// requests and rejected; cpu_stat only under a CFS quota).
struct ComponentMetrics {
  ComponentKind kind = ComponentKind::service;
  std::string name;
  bool is_external = false;  ///< an external service
  std::vector<double> values;

  [[nodiscard]] double operator[](std::string_view metric) const {
    return values[component_metric_index(kind, metric)];
  }
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
  /// The services, then the queues, then the caches, each in the order of
  /// Results.
  std::vector<ComponentMetrics> components;
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
  /// The latency over all requests, failures included (PathMetrics::all).
  std::array<Estimate, latency_metric_count> all{};
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

/// One component's metrics over replications.
struct ComponentEstimates {
  ComponentKind kind = ComponentKind::service;
  std::string name;
  bool is_external = false;
  std::vector<Estimate> metrics;  ///< one per component_metrics(kind) entry

  [[nodiscard]] const Estimate& operator[](std::string_view metric) const {
    return metrics[component_metric_index(kind, metric)];
  }
};

/// Every component's metrics estimated over `runs` (all of one model: the
/// same components), each over the replications that measured it, as a
/// latency is: `n` counts them, and a metric no replication has (an
/// external service's utilization) has `n` 0.
std::vector<ComponentEstimates> estimate_components(std::span<const RunMetrics> runs);

/// The component of `kind` named `name`; nullptr when there is none.
const ComponentEstimates* find_component(std::span<const ComponentEstimates> components,
                                         ComponentKind kind, std::string_view name);

/// The internal service with the highest mean utilization; nullptr when
/// there is none.
const ComponentEstimates* busiest_service(std::span<const ComponentEstimates> components);

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

/// An SLO check evaluated on the mean over replications. It fails, whatever
/// the mean, when a replication stopped early or judged its path unstable.
struct SloEstimate {
  std::string path;
  SloCheck check;
  Estimate value;  ///< in the unit of the threshold
  bool ok = false;
};

/// The checks `slos` (those `runs` measured, in order) evaluated on the mean
/// of `runs`, replications of one model whose paths are named `path_names`
/// and estimated as `paths`; `coverage` says which stopped early. With no
/// run the checks are unmeasured, and fail.
std::vector<SloEstimate> estimate_slos(std::span<const stats::SloSpec> slos,
                                       std::span<const std::string> path_names,
                                       std::span<const RunMetrics> runs,
                                       std::span<const PathEstimates> paths,
                                       const RunCoverage& coverage);

}  // namespace tailsim::study
