#include "tailsim/report/openmetrics_writer.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "tailsim/report/epoch.hpp"

namespace tailsim::report {
namespace {

using stats::error_kinds;
using stats::Outcome;

/// One bucket bound of a latency histogram: exact in ns, and its `le` label
/// as OpenMetrics' canonical numbers write it (Go's %g, with ".0" added to a
/// whole number).
struct BucketBound {
  std::int64_t ns;
  std::string_view le;
};

/// OpenTelemetry's advisory explicit bucket boundaries for
/// `http.server.request.duration` (semantic conventions, HTTP metrics), in
/// seconds.
constexpr std::array<BucketBound, 14> request_duration_bounds{{
    {5'000'000, "0.005"},
    {10'000'000, "0.01"},
    {25'000'000, "0.025"},
    {50'000'000, "0.05"},
    {75'000'000, "0.075"},
    {100'000'000, "0.1"},
    {250'000'000, "0.25"},
    {500'000'000, "0.5"},
    {750'000'000, "0.75"},
    {1'000'000'000, "1.0"},
    {2'500'000'000, "2.5"},
    {5'000'000'000, "5.0"},
    {7'500'000'000, "7.5"},
    {10'000'000'000, "10.0"},
}};

/// A label value with backslash, double quote and line feed escaped.
std::string escaped(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

/// `name="value"`, the value escaped.
std::string label(std::string_view name, std::string_view value) {
  return fmt::format("{}=\"{}\"", name, escaped(value));
}

/// A floating-point sample value: the shortest text that reads back as the
/// double, with a point or an exponent as OpenMetrics asks of floats.
std::string float_text(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".e") == std::string::npos) {
    text += ".0";
  }
  return text;
}

/// The value of the `rank`-th smallest value (1 to count) as the histogram
/// reports it. value_at_percentile(p) is the value of rank ceil(p% of
/// count), forgiving p a few units in the last place, so 100 rank / count
/// lands on `rank`.
std::int64_t value_of_rank(const stats::Histogram& h, std::uint64_t rank) {
  return h.value_at_percentile(100.0 * static_cast<double>(rank) / static_cast<double>(h.count()));
}

/// How many values read as at most `bound_ns`: the largest rank whose
/// reported value is <= bound_ns. A value counts when the middle of its
/// histogram bucket does (the smallest and largest values count at their
/// exact value), so `le` counts agree with the percentiles of
/// results.json: p(rank) <= bound exactly when the bucket counts rank.
std::uint64_t count_at_or_below(const stats::Histogram& h, std::int64_t bound_ns) {
  if (h.count() == 0 || h.min() > bound_ns) {
    return 0;
  }
  if (h.max() <= bound_ns) {
    return h.count();
  }
  // The value of rank `low` is <= bound_ns, that of rank `high` above it.
  std::uint64_t low = 1;
  std::uint64_t high = h.count();
  while (high - low > 1) {
    const std::uint64_t middle = low + (high - low) / 2;
    if (value_of_rank(h, middle) <= bound_ns) {
      low = middle;
    } else {
      high = middle;
    }
  }
  return low;
}

/// The exposition being written: metric families one after another, every
/// sample stamped (the run's end unless told otherwise).
class Exposition {
 public:
  /// `run_end`: the timestamp of the end-of-run samples, as text.
  explicit Exposition(std::string run_end) : run_end_(std::move(run_end)) {}

  /// Starts a family: `# TYPE`, `# UNIT` (when `unit` is not empty), `# HELP`.
  void begin_family(std::string_view name, std::string_view type, std::string_view unit,
                    std::string_view help) {
    text_ += fmt::format("# TYPE {} {}\n", name, type);
    if (!unit.empty()) {
      text_ += fmt::format("# UNIT {} {}\n", name, unit);
    }
    text_ += fmt::format("# HELP {} {}\n", name, help);
  }

  /// One sample of the run's end; `labels` is the text between the braces,
  /// possibly empty.
  void add_sample(std::string_view name, std::string_view labels, std::string_view value) {
    add_sample_at(name, labels, value, run_end_);
  }

  /// One sample at `timestamp` (Unix seconds, as text).
  void add_sample_at(std::string_view name, std::string_view labels, std::string_view value,
                     std::string_view timestamp) {
    if (labels.empty()) {
      text_ += fmt::format("{} {} {}\n", name, value, timestamp);
    } else {
      text_ += fmt::format("{}{{{}}} {} {}\n", name, labels, value, timestamp);
    }
  }

  /// The exposition, closed by `# EOF`.
  std::string finish() && {
    text_ += "# EOF\n";
    return std::move(text_);
  }

 private:
  std::string run_end_;
  std::string text_;
};

void add_request_duration(Exposition& out, const std::vector<stats::PathResult>& paths) {
  static constexpr std::string_view name = "http_server_request_duration_seconds";
  out.begin_family(name, "histogram", "seconds",
                   "Duration of the successful requests of a path, from arrival to response "
                   "(OpenTelemetry http.server.request.duration).");
  for (const auto& p : paths) {
    const std::string labels = label("path", p.name) + "," + label("http_route", p.name);
    for (const BucketBound& bound : request_duration_bounds) {
      out.add_sample(fmt::format("{}_bucket", name),
                     fmt::format("{},{}", labels, label("le", bound.le)),
                     fmt::format("{}", count_at_or_below(p.latency, bound.ns)));
    }
    const std::string count = fmt::format("{}", p.latency.count());
    out.add_sample(fmt::format("{}_bucket", name),
                   fmt::format("{},{}", labels, label("le", "+Inf")), count);
    out.add_sample(fmt::format("{}_count", name), labels, count);
    const double sum_s = p.latency.mean() * static_cast<double>(p.latency.count()) /
                         static_cast<double>(ns_per_second);
    out.add_sample(fmt::format("{}_sum", name), labels, float_text(sum_s));
  }
}

void add_path_counters(Exposition& out, const std::vector<stats::PathResult>& paths) {
  out.begin_family("tailsim_path_requests", "counter", "",
                   "Requests of a path that arrived in the measured window.");
  for (const auto& p : paths) {
    out.add_sample("tailsim_path_requests_total", label("path", p.name),
                   fmt::format("{}", p.requests));
  }
  out.begin_family("tailsim_path_attempts", "counter", "",
                   "Attempts the clients of a path made, retries included.");
  for (const auto& p : paths) {
    out.add_sample("tailsim_path_attempts_total", label("path", p.name),
                   fmt::format("{}", p.attempts));
  }
  out.begin_family("tailsim_path_errors", "counter", "",
                   "Requests of a path that failed, by kind of error; unfinished ones were still "
                   "open when the drain period ended.");
  for (const auto& p : paths) {
    for (const auto& [outcome, kind] : error_kinds) {
      out.add_sample("tailsim_path_errors_total",
                     fmt::format("{},{}", label("path", p.name), label("kind", kind)),
                     fmt::format("{}", p.outcomes[outcome]));
    }
  }
}

void add_service_metrics(Exposition& out, const std::vector<stats::ServiceResult>& services) {
  out.begin_family("tailsim_service_requests", "counter", "",
                   "Requests that arrived at a service in the measured window.");
  for (const auto& s : services) {
    out.add_sample("tailsim_service_requests_total", label("service", s.name),
                   fmt::format("{}", s.requests));
  }
  out.begin_family("tailsim_service_rejected", "counter", "",
                   "Requests a service rejected: queue full, queue timeout, over capacity.");
  for (const auto& s : services) {
    out.add_sample("tailsim_service_rejected_total", label("service", s.name),
                   fmt::format("{}", s.rejected));
  }

  const bool has_pods =
      std::any_of(services.begin(), services.end(), [](const auto& s) { return !s.is_external; });
  if (!has_pods) {
    return;  // external services have no CPU, queue or replicas
  }
  struct Gauge {
    std::string_view name;
    std::string_view unit;
    std::string_view help;
    double stats::ServiceResult::*value;
  };
  static constexpr std::array<Gauge, 2> gauges{{
      {"tailsim_service_utilization_ratio", "ratio",
       "Busy CPU time of a service over its available CPU time in the measured window.",
       &stats::ServiceResult::utilization},
      {"tailsim_service_queue_length_mean", "",
       "Time-average number of requests waiting for a worker of a service.",
       &stats::ServiceResult::queue_mean},
  }};
  for (const Gauge& gauge : gauges) {
    out.begin_family(gauge.name, "gauge", gauge.unit, gauge.help);
    for (const auto& s : services) {
      if (!s.is_external) {
        out.add_sample(gauge.name, label("service", s.name), float_text(s.*gauge.value));
      }
    }
  }
  struct ReplicaGauge {
    std::string_view name;
    std::string_view help;
    double stats::ReplicaSummary::*value;
  };
  static constexpr std::array<ReplicaGauge, 3> replica_gauges{{
      {"tailsim_service_replicas_mean", "Time-average number of ready pods of a service.",
       &stats::ReplicaSummary::mean},
      {"tailsim_service_replicas_min", "Fewest ready pods of a service at once.",
       &stats::ReplicaSummary::min},
      {"tailsim_service_replicas_max", "Most ready pods of a service at once.",
       &stats::ReplicaSummary::max},
  }};
  for (const ReplicaGauge& gauge : replica_gauges) {
    out.begin_family(gauge.name, "gauge", "", gauge.help);
    for (const auto& s : services) {
      if (!s.is_external) {
        out.add_sample(gauge.name, label("service", s.name), float_text(s.replicas.*gauge.value));
      }
    }
  }
}

void add_cache_counters(Exposition& out, const std::vector<stats::CacheResult>& caches) {
  out.begin_family("tailsim_cache_lookups", "counter", "", "Lookups in a cache, all instances.");
  for (const auto& c : caches) {
    out.add_sample("tailsim_cache_lookups_total", label("cache", c.name),
                   fmt::format("{}", c.lookups));
  }
  out.begin_family("tailsim_cache_hits", "counter", "", "Lookups in a cache that found the key.");
  for (const auto& c : caches) {
    out.add_sample("tailsim_cache_hits_total", label("cache", c.name), fmt::format("{}", c.hits));
  }
}

void add_queue_metrics(Exposition& out, const std::vector<stats::QueueResult>& queues) {
  struct Counter {
    std::string_view family;
    std::string_view help;
    std::uint64_t stats::QueueResult::*value;
  };
  static constexpr std::array<Counter, 3> counters{{
      {"tailsim_queue_published", "Messages published to a queue.", &stats::QueueResult::published},
      {"tailsim_queue_consumed", "Messages of a queue its consumer processed.",
       &stats::QueueResult::consumed},
      {"tailsim_queue_dead_letters", "Messages of a queue given up after their redeliveries.",
       &stats::QueueResult::dead_letters},
  }};
  for (const Counter& counter : counters) {
    out.begin_family(counter.family, "counter", "", counter.help);
    for (const auto& q : queues) {
      out.add_sample(fmt::format("{}_total", counter.family), label("queue", q.name),
                     fmt::format("{}", q.*counter.value));
    }
  }
  out.begin_family("tailsim_queue_depth_max", "gauge", "",
                   "Most messages waiting in a queue at once.");
  for (const auto& q : queues) {
    out.add_sample("tailsim_queue_depth_max", label("queue", q.name),
                   fmt::format("{}", q.depth_max));
  }
  out.begin_family("tailsim_queue_lag_max_seconds", "gauge", "seconds",
                   "Greatest age of the oldest message waiting in a queue.");
  for (const auto& q : queues) {
    out.add_sample("tailsim_queue_lag_max_seconds", label("queue", q.name),
                   float_text(q.lag_max_s));
  }
}

/// How a series of timeseries.csv (`<kind>/<name>`, metric) becomes a metric
/// family: series counted in the interval become counters (the running
/// total from simulated time 0), the others gauges.
struct SeriesFamily {
  std::string_view kind;    ///< the entity's kind, also the label naming it
  std::string_view metric;  ///< the series' metric in timeseries.csv
  std::string_view family;
  std::string_view type;  ///< "counter" or "gauge"
  std::string_view unit;
  std::string_view help;
  /// For a family of several metrics (a path's errors by kind): the label
  /// and its value; empty otherwise.
  std::string_view extra_label;
  std::string_view extra_value;
  bool from_ms = false;  ///< the series is in milliseconds, the family in seconds
};

constexpr std::string_view failures_help =
    "Requests of a path whose client got a failure, by kind, over all simulated time.";

/// Every series a run keeps (stats::Series), family by family, in the order
/// metrics.om writes them.
constexpr std::array<SeriesFamily, 42> series_families{{
    {"path", "arrivals", "tailsim_path_arrivals", "counter", "",
     "Requests of a path that arrived, over all simulated time.", "", "", false},
    {"path", "completions", "tailsim_path_completions", "counter", "",
     "Requests of a path that succeeded, by the time the client got the answer.", "", "", false},
    {"path", "errors_timeout", "tailsim_path_failures", "counter", "", failures_help, "kind",
     "timeout", false},
    {"path", "errors_rejected", "tailsim_path_failures", "counter", "", failures_help, "kind",
     "rejected", false},
    {"path", "errors_error", "tailsim_path_failures", "counter", "", failures_help, "kind", "error",
     false},
    {"path", "errors_unavailable", "tailsim_path_failures", "counter", "", failures_help, "kind",
     "unavailable", false},
    {"path", "p50_ms", "tailsim_path_latency_p50_seconds", "gauge", "seconds",
     "Median latency of the successful requests of a path that completed in the interval.", "", "",
     true},
    {"path", "p99_ms", "tailsim_path_latency_p99_seconds", "gauge", "seconds",
     "99th percentile latency of the successful requests of a path that completed in the "
     "interval.",
     "", "", true},
    {"path", "in_flight", "tailsim_path_in_flight", "gauge", "",
     "Requests of a path not answered yet at the interval's end.", "", "", false},
    {"service", "utilization", "tailsim_service_cpu_utilization_ratio", "gauge", "ratio",
     "Busy CPU time of a service over its available CPU time in the interval.", "", "", false},
    {"service", "queue_length", "tailsim_service_queue_length", "gauge", "",
     "Time-average number of requests waiting for a worker of a service in the interval.", "", "",
     false},
    {"service", "replicas_ready", "tailsim_service_replicas_ready", "gauge", "",
     "Ready pods of a service at the interval's end.", "", "", false},
    {"service", "replicas_starting", "tailsim_service_replicas_starting", "gauge", "",
     "Pods of a service pending or starting at the interval's end.", "", "", false},
    {"service", "arrivals", "tailsim_service_arrivals", "counter", "",
     "Requests that reached a service (each attempt a caller sent), over all simulated time.", "",
     "", false},
    {"service", "rejected", "tailsim_service_rejected_requests", "counter", "",
     "Requests a service rejected, over all simulated time.", "", "", false},
    {"service", "throttled_s", "tailsim_service_throttled_seconds", "counter", "seconds",
     "Pod-seconds a service's pods were stopped by their CPU quota.", "", "", false},
    {"service", "gc_pause_s", "tailsim_service_gc_pause_seconds", "counter", "seconds",
     "Pod-seconds a service's pods were paused by their garbage collector (pod.gc only).", "", "",
     false},
    {"service", "contention_s", "tailsim_service_node_contention_seconds", "counter", "seconds",
     "Request-seconds a service's busy requests waited for their node's cores (cluster only).", "",
     "", false},
    {"service", "memory_bytes", "tailsim_service_memory_bytes", "gauge", "bytes",
     "Memory a service's pods use at the interval's end (pod.memory only).", "", "", false},
    {"service", "oom_kills", "tailsim_service_oom_kills", "gauge", "",
     "OOM kills of a service's pods since the run started (pod.memory only).", "", "", false},
    {"service", "restarts", "tailsim_service_restarts", "gauge", "",
     "Container restarts of a service's pods since the run started (pod.memory only).", "", "",
     false},
    {"service", "evictions", "tailsim_service_evictions", "gauge", "",
     "A service's pods the kubelet evicted since the run started (pod.memory only).", "", "",
     false},
    {"service", "gpu_busy_s", "tailsim_service_gpu_busy_seconds", "counter", "seconds",
     "GPU-seconds a service's pods spent serving batches (pod.gpus only).", "", "", false},
    {"service", "retries", "tailsim_service_retries", "counter", "",
     "Retries a service sent as a caller.", "", "", false},
    {"service", "wasted_cpu_s", "tailsim_service_wasted_cpu_seconds", "counter", "seconds",
     "CPU time a service spent on requests nobody waited for any more.", "", "", false},
    {"edge", "calls", "tailsim_edge_calls", "counter", "",
     "Calls a caller made over an edge whose calls may retry or hedge, by their first attempt.", "",
     "", false},
    {"edge", "attempts", "tailsim_edge_attempts", "counter", "",
     "Attempts (retries and hedged copies included) sent over an edge whose calls may retry or "
     "hedge.",
     "", "", false},
    {"cache", "hit_ratio", "tailsim_cache_hit_ratio", "gauge", "ratio",
     "Share of a cache's lookups in the interval that found the key.", "", "", false},
    {"queue", "depth", "tailsim_queue_depth", "gauge", "",
     "Messages waiting in a queue at the interval's end.", "", "", false},
    {"queue", "lag_s", "tailsim_queue_lag_seconds", "gauge", "seconds",
     "Age of the oldest message waiting in a queue at the interval's end.", "", "", false},
    {"autoscaler", "metric", "tailsim_autoscaler_metric", "gauge", "",
     "The metric an autoscaler scales on, as its last sync read it.", "", "", false},
    {"autoscaler", "desired", "tailsim_autoscaler_desired_replicas", "gauge", "",
     "Replicas an autoscaler wants at the interval's end.", "", "", false},
    {"autoscaler", "ready", "tailsim_autoscaler_ready_replicas", "gauge", "",
     "Ready replicas of an autoscaler's service at the interval's end.", "", "", false},
    {"breaker", "state", "tailsim_breaker_state", "gauge", "",
     "State of a circuit breaker at the interval's end: 0 closed, 1 open, 2 half-open.", "", "",
     false},
    {"cluster", "nodes", "tailsim_cluster_nodes", "gauge", "",
     "Nodes of the cluster (up or draining) at the interval's end (cluster.scale_down only).", "",
     "", false},
    {"node", "pods_cores", "tailsim_node_pods_cores", "gauge", "",
     "Mean cores a node's pods used over the interval (cluster only).", "", "", false},
    {"node", "neighbour_cores", "tailsim_node_neighbour_cores", "gauge", "",
     "Mean cores a node's neighbours (other tenants) got over the interval (cluster only).", "", "",
     false},
    {"node", "utilization", "tailsim_node_cpu_utilization_ratio", "gauge", "ratio",
     "Cores a node's pods and neighbours used over its cores in the interval (cluster only).", "",
     "", false},
    {"pod", "cores", "tailsim_pod_cpu_cores", "gauge", "",
     "Mean cores a pod used over the interval (with a cluster, pod.memory or pod.gc).", "", "",
     false},
    {"pod", "memory_bytes", "tailsim_pod_memory_bytes", "gauge", "bytes",
     "Memory a pod uses at the interval's end (pod.memory only).", "", "", false},
    {"pod", "restarts", "tailsim_pod_restarts", "gauge", "",
     "Container restarts of a pod since it was made (pod.memory only).", "", "", false},
    {"pod", "gc_pause_s", "tailsim_pod_gc_pause_seconds", "counter", "seconds",
     "Seconds a pod was paused by its garbage collector (pod.gc only).", "", "", false},
}};

/// A value of a series in the family's unit: milliseconds become seconds
/// through whole nanoseconds (what the series was computed from), so that
/// 1.5 ms reads 0.0015 and not 0.0015000000000000002.
double family_value(const SeriesFamily& family, double value) {
  if (!family.from_ms || std::isnan(value)) {
    return value;
  }
  return static_cast<double>(std::llround(value * 1e6)) / static_cast<double>(ns_per_second);
}

/// The timestamps of the intervals' ends as text: epoch + (i + 1) x interval,
/// the last one the run's end when the run ended inside it.
std::vector<std::string> interval_ends(const stats::TimeSeries& ts, std::int64_t epoch_unix_ns,
                                       std::int64_t run_end_ns) {
  const auto interval_ns = static_cast<std::int64_t>(std::llround(ts.interval_s * 1e9));
  std::vector<std::string> out;
  out.reserve(ts.intervals);
  for (std::size_t i = 0; i < ts.intervals; ++i) {
    std::int64_t end = static_cast<std::int64_t>(i + 1) * interval_ns;
    if (i + 1 == ts.intervals && run_end_ns > end - interval_ns) {
      end = std::min(end, run_end_ns);
    }
    out.push_back(exact_seconds_text(epoch_unix_ns + end));
  }
  return out;
}

/// The entity's kind (before the first '/') and name (after it).
std::pair<std::string_view, std::string_view> kind_and_name(std::string_view entity) {
  const auto slash = entity.find('/');
  if (slash == std::string_view::npos) {
    return {entity, ""};
  }
  return {entity.substr(0, slash), entity.substr(slash + 1)};
}

void add_time_series(Exposition& out, const stats::TimeSeries& ts,
                     const std::vector<std::string>& ends) {
  std::string_view open_family;
  for (const SeriesFamily& family : series_families) {
    // A pod's node is a label of its series, not one of its own.
    const std::vector<stats::Series>& all = family.kind == "pod" ? ts.pods : ts.series;
    for (const stats::Series& series : all) {
      const auto [kind, name] = kind_and_name(series.entity);
      if (kind != family.kind || series.metric != family.metric) {
        continue;
      }
      if (open_family != family.family) {
        out.begin_family(family.family, family.type, family.unit, family.help);
        open_family = family.family;
      }
      // The cluster is one entity, named by its kind alone: no label.
      std::string labels = series.entity == family.kind ? std::string() : label(family.kind, name);
      for (const auto& [key, value] : series.labels) {
        labels += "," + label(key, value);
      }
      if (!family.extra_label.empty()) {
        labels += "," + label(family.extra_label, family.extra_value);
      }
      const bool is_counter = family.type == "counter";
      const std::string sample =
          is_counter ? fmt::format("{}_total", family.family) : std::string(family.family);
      double total = 0;
      for (std::size_t i = 0; i < series.values.size() && series.first + i < ends.size(); ++i) {
        const double value = family_value(family, series.values[i]);
        std::string text;
        if (is_counter) {
          total += std::isnan(value) ? 0 : value;
          text = family.unit.empty() ? fmt::format("{}", total) : float_text(total);
        } else {
          text = float_text(value);
        }
        out.add_sample_at(sample, labels, text, ends[series.first + i]);
      }
    }
  }
}

}  // namespace

std::string format_openmetrics(const stats::Results& results, std::int64_t epoch_unix_ns) {
  const stats::TimeSeries& ts = results.timeseries;
  const auto run_end_ns = static_cast<std::int64_t>(std::llround(results.simulated_s * 1e9));
  const std::vector<std::string> ends = interval_ends(ts, epoch_unix_ns, run_end_ns);
  // The end-of-run samples are stamped with the run's end: the last
  // interval's end, which is where the run stopped.
  Exposition out(ends.empty() ? exact_seconds_text(epoch_unix_ns + run_end_ns) : ends.back());
  if (!results.paths.empty()) {
    add_request_duration(out, results.paths);
    add_path_counters(out, results.paths);
  }
  if (!results.services.empty()) {
    add_service_metrics(out, results.services);
  }
  if (!results.caches.empty()) {
    add_cache_counters(out, results.caches);
  }
  if (!results.queues.empty()) {
    add_queue_metrics(out, results.queues);
  }
  add_time_series(out, ts, ends);
  return std::move(out).finish();
}

}  // namespace tailsim::report
