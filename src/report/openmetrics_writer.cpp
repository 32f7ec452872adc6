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

constexpr double ns_per_second = 1e9;

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
/// reported value is <= bound_ns. A value counts when the highest value of
/// its histogram bucket does (the smallest and largest values count at
/// their exact value), so `le` counts agree with the percentiles of
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

/// The exposition being written: metric families one after another.
class Exposition {
 public:
  /// Starts a family: `# TYPE`, `# UNIT` (when `unit` is not empty), `# HELP`.
  void begin_family(std::string_view name, std::string_view type, std::string_view unit,
                    std::string_view help) {
    text_ += fmt::format("# TYPE {} {}\n", name, type);
    if (!unit.empty()) {
      text_ += fmt::format("# UNIT {} {}\n", name, unit);
    }
    text_ += fmt::format("# HELP {} {}\n", name, help);
  }

  /// One sample; `labels` is the text between the braces, possibly empty.
  void add_sample(std::string_view name, std::string_view labels, std::string_view value) {
    if (labels.empty()) {
      text_ += fmt::format("{} {}\n", name, value);
    } else {
      text_ += fmt::format("{}{{{}}} {}\n", name, labels, value);
    }
  }

  /// The exposition, closed by `# EOF`.
  std::string finish() && {
    text_ += "# EOF\n";
    return std::move(text_);
  }

 private:
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
    const double sum_s = p.latency.mean() * static_cast<double>(p.latency.count()) / ns_per_second;
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

}  // namespace

std::string format_openmetrics(const stats::Results& results) {
  Exposition out;
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
  return std::move(out).finish();
}

}  // namespace tailsim::report
