#include "tailsim/stats/recorder.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>
#include <limits>
#include <utility>

namespace tailsim::stats {
namespace {

// The metrics the recorder keeps for each kind of entity, in order. A path's
// in_flight is a gauge the engine samples and adds itself.
constexpr std::array<const char*, 8> path_metrics = {
    "arrivals",     "completions",        "errors_timeout", "errors_rejected",
    "errors_error", "errors_unavailable", "p50_ms",         "p99_ms"};
constexpr std::array<const char*, 7> service_metrics = {
    "utilization", "queue_length", "rejected", "throttled_s",
    "retries",     "wasted_cpu_s", "arrivals"};

}  // namespace

Recorder::Recorder(Time window_start, Time window_end, std::size_t paths, std::size_t services,
                   std::size_t edges, std::size_t caches)
    : window_start_(window_start),
      window_end_(window_end),
      paths_(paths),
      services_(services),
      edges_(edges),
      caches_(caches),
      kept_latencies_(
          std::max(exact_latencies, kept_latencies_total / std::max<std::size_t>(paths, 1))),
      interval_paths_(paths),
      interval_services_(services),
      interval_edges_(edges),
      edge_series_(edges),
      interval_caches_(caches),
      path_series_(paths, std::vector<std::vector<double>>(path_metrics.size())),
      service_series_(services, std::vector<std::vector<double>>(service_metrics.size())),
      cache_series_(caches),
      gc_series_(services),
      contention_series_(services),

      gpu_series_(services) {}

void Recorder::path_finished(std::uint32_t path, Time arrived, Time now, Outcome outcome,
                             std::uint32_t attempts) {
  IntervalPath& i = interval_paths_[path];
  ++i.finished[outcome];
  if (outcome == Outcome::ok) {
    const std::int64_t latency = (now - arrived).count();
    if (!i.has_spilled && i.latencies.size() < kept_latencies_) {
      i.latencies.push_back(latency);
    } else {
      if (!i.has_spilled) {  // too many to keep: the histogram takes over
        for (std::int64_t v : i.latencies) {
          i.spilled.record(v);
        }
        i.latencies.clear();
        i.has_spilled = true;
      }
      i.spilled.record(latency);
    }
  }
  if (!is_measured(arrived)) {
    return;
  }
  PathTotals& p = paths_[path];
  ++p.outcomes[outcome];
  p.attempts += attempts;
  p.retried += attempts > 1 ? 1 : 0;
  // Each value once: latency_all is the successes and the failures merged
  // at the end (merging is exact).
  (outcome == Outcome::ok ? p.latency : p.latency_failed).record((now - arrived).count());
}

void Recorder::add_queue(std::string name) {
  queues_.emplace_back().name = std::move(name);
}

void Recorder::queue_published(std::uint32_t queue, Time at) {
  if (is_measured(at)) {
    ++queues_[queue].published;
  }
}

void Recorder::queue_depth(std::uint32_t queue, Time at, std::uint64_t depth, Duration oldest_age) {
  if (is_measured(at)) {
    QueueResult& q = queues_[queue];
    q.depth_max = std::max(q.depth_max, depth);
    q.lag_max_s = std::max(q.lag_max_s, to_seconds(oldest_age));
  }
}

void Recorder::queue_finished(std::uint32_t queue, Time published, bool consumed) {
  if (is_measured(published)) {
    ++(consumed ? queues_[queue].consumed : queues_[queue].dead_letters);
  }
}

void Recorder::add_autoscaler(std::string name, std::string service, std::string metric) {
  AutoscalerResult& a = autoscalers_.emplace_back();
  a.name = std::move(name);
  a.service = std::move(service);
  a.metric = std::move(metric);
}

void Recorder::autoscaler_sync(std::uint32_t autoscaler, const ScaleSample& sample) {
  autoscalers_[autoscaler].history.push_back(sample);
}

void Recorder::autoscaler_changes(std::uint32_t autoscaler, std::uint64_t ups,
                                  std::uint64_t downs) {
  autoscalers_[autoscaler].scale_ups = ups;
  autoscalers_[autoscaler].scale_downs = downs;
}

void Recorder::cluster_start(std::uint32_t nodes, bool scales_down) {
  cluster_.is_modelled = true;
  cluster_.scales_down = scales_down;
  cluster_.nodes_start = cluster_.nodes_max = cluster_.nodes_min = nodes;
}

void Recorder::cluster_node_added(std::uint32_t nodes) {
  ++cluster_.nodes_added;
  cluster_.nodes_max = std::max(cluster_.nodes_max, nodes);
}

void Recorder::cluster_node_removed(std::uint32_t nodes) {
  ++cluster_.nodes_removed;
  cluster_.nodes_min = std::min(cluster_.nodes_min, nodes);
}

void Recorder::cluster_pending(Time from, Time to, std::uint32_t pods) {
  cluster_.pending_max = std::max(cluster_.pending_max, pods);
  const Time a = std::max(from, window_start_);
  const Time b = std::min(to, window_end_);
  if (b > a) {
    cluster_.pending_pod_s += static_cast<double>(pods) * to_seconds(b - a);
  }
}

void Recorder::service_rejected(std::uint32_t service, Time at) {
  ++interval_services_[service].rejected;
  if (is_measured(at)) {
    ++services_[service].rejected;
  }
}

void Recorder::replicas(std::uint32_t service, Time from, Time to, double count) {
  ServiceTotals& s = services_[service];
  const Time a = std::max(from, window_start_);
  const Time b = std::min(to, window_end_);
  if (b > a) {
    s.replica_ns += count * static_cast<double>((b - a).count());
    s.replicas_min = std::min(s.replicas_min, count);
    s.replicas_max = std::max(s.replicas_max, count);
  }
}

void Recorder::call_finished(std::uint32_t edge, Time started, Time now, Outcome outcome,
                             std::uint32_t attempts) {
  if (!is_measured(started)) {
    return;
  }
  EdgeTotals& e = edges_[edge];
  ++e.calls;
  e.attempts += attempts;
  ++e.outcomes[outcome];
  if (outcome == Outcome::ok) {
    e.latency.record((now - started).count());
  }
}

void Recorder::call_unfinished(std::uint32_t edge, Time started, std::uint32_t attempts) {
  if (is_measured(started)) {
    ++edges_[edge].calls;
    edges_[edge].attempts += attempts;
  }
}

void Recorder::service_retry(std::uint32_t service, Time at) {
  ++interval_services_[service].retries;
  if (is_measured(at)) {
    ++services_[service].retries;
  }
}

void Recorder::service_retry_refused(std::uint32_t service, Time at) {
  if (is_measured(at)) {
    ++services_[service].retries_refused;
  }
}

void Recorder::service_hedge(std::uint32_t service, Time at) {
  if (is_measured(at)) {
    ++services_[service].hedges;
  }
}

void Recorder::service_hedge_won(std::uint32_t service, Time at) {
  if (is_measured(at)) {
    ++services_[service].hedges_won;
  }
}

void Recorder::wasted_cpu(std::uint32_t service, Time at, double work_ns) {
  interval_services_[service].wasted_ns += work_ns;
  if (is_measured(at)) {
    services_[service].wasted_cpu_ns += work_ns;
  }
}

void Recorder::deadline_dropped(std::uint32_t service, Time at) {
  if (is_measured(at)) {
    ++services_[service].deadline_drops;
  }
}

void Recorder::close_interval(Duration interval) {
  constexpr double undefined = std::numeric_limits<double>::quiet_NaN();
  const double length_ns = static_cast<double>(interval.count());
  for (std::size_t p = 0; p < interval_paths_.size(); ++p) {
    IntervalPath& i = interval_paths_[p];
    auto& out = path_series_[p];
    const bool any = i.has_spilled || !i.latencies.empty();
    // The p50 and p99 in ms. Up to exact_latencies values, the ones of rank
    // ceil(q x n), found in increasing q: each selection searches only above
    // the one before, which already has every smaller value below it. Past
    // it, as `spilled` would report them, both in the same two passes.
    auto p50_p99 = [&]() -> std::array<double, 2> {
      if (i.has_spilled) {
        return {static_cast<double>(i.spilled.value_at_percentile(50)) * 1e-6,
                static_cast<double>(i.spilled.value_at_percentile(99)) * 1e-6};
      }
      if (i.latencies.size() > exact_latencies) {
        const auto v = Histogram::values_at_percentiles_of(i.latencies, std::array{50.0, 99.0});
        return {static_cast<double>(v[0]) * 1e-6, static_cast<double>(v[1]) * 1e-6};
      }
      auto from = i.latencies.begin();
      auto at = [&](double q) {
        const auto n = static_cast<double>(i.latencies.size());
        const auto rank = static_cast<std::size_t>(std::max(1.0, std::ceil(q / 100 * n)));
        const auto nth = i.latencies.begin() + static_cast<std::ptrdiff_t>(rank - 1);
        if (nth >= from) {
          std::nth_element(from, nth, i.latencies.end());
          from = nth + 1;
        }
        return static_cast<double>(*nth) * 1e-6;
      };
      const double p50 = at(50);
      return {p50, at(99)};
    };
    const std::array<double, 2> percentiles =
        any ? p50_p99() : std::array<double, 2>{undefined, undefined};
    const double values[] = {static_cast<double>(i.arrivals),
                             static_cast<double>(i.finished[Outcome::ok]),
                             static_cast<double>(i.finished[Outcome::timeout]),
                             static_cast<double>(i.finished[Outcome::rejected]),
                             static_cast<double>(i.finished[Outcome::error]),
                             static_cast<double>(i.finished[Outcome::unavailable]),
                             percentiles[0],
                             percentiles[1]};
    for (std::size_t m = 0; m < std::size(values); ++m) {
      out[m].push_back(values[m]);
    }
    i.arrivals = 0;
    i.finished = OutcomeCounts{};
    i.latencies.clear();
    if (i.has_spilled) {
      i.spilled.clear();
      i.has_spilled = false;
    }
  }
  if (keeps_tallies_) {
    for (std::size_t p = 0; p < paths_.size(); ++p) {
      path_tallies_.close(p, paths_[p].latency, paths_[p].outcomes);
    }
    for (std::size_t e = 0; e < edges_.size(); ++e) {
      edge_tallies_.close(e, edges_[e].latency, edges_[e].outcomes);
    }
  }
  for (std::size_t e = 0; e < edge_series_.size(); ++e) {
    if (edge_series_[e]) {
      (*edge_series_[e])[0].push_back(static_cast<double>(interval_edges_[e].calls));
      (*edge_series_[e])[1].push_back(static_cast<double>(interval_edges_[e].attempts));
    }
    interval_edges_[e] = {};
  }
  for (std::size_t s = 0; s < interval_services_.size(); ++s) {
    IntervalService& i = interval_services_[s];
    auto& out = service_series_[s];
    out[0].push_back(i.capacity_ns > 0 ? i.busy_ns / i.capacity_ns : undefined);
    out[1].push_back(i.queue_ns / length_ns);
    out[2].push_back(static_cast<double>(i.rejected));
    out[3].push_back(i.throttled_ns * 1e-9);
    out[4].push_back(static_cast<double>(i.retries));
    out[5].push_back(i.wasted_ns * 1e-9);
    out[6].push_back(static_cast<double>(i.arrivals));
    if (gc_series_[s]) {
      gc_series_[s]->push_back(i.gc_pause_ns * 1e-9);
    }
    if (contention_series_[s]) {
      contention_series_[s]->push_back(i.contention_ns * 1e-9);
    }
    if (gpu_series_[s]) {
      gpu_series_[s]->push_back(i.gpu_busy_ns * 1e-9);
    }
    i = IntervalService{};
  }
  for (std::size_t c = 0; c < interval_caches_.size(); ++c) {
    IntervalCache& i = interval_caches_[c];
    cache_series_[c].push_back(
        i.lookups > 0 ? static_cast<double>(i.hits) / static_cast<double>(i.lookups) : undefined);
    i = IntervalCache{};
  }
  ++intervals_;
}

void Recorder::keep_interval_tallies() {
  keeps_tallies_ = true;
  path_tallies_.resize(paths_.size());
  edge_tallies_.resize(edges_.size());
}

void Recorder::finish(Results& results) {
  const double window_ns = static_cast<double>((window_end_ - window_start_).count());
  const double window_s = window_ns * 1e-9;
  for (std::size_t i = 0; i < paths_.size(); ++i) {
    PathResult& out = results.paths[i];
    out.requests = paths_[i].requests;
    out.outcomes = paths_[i].outcomes;
    out.outcomes[Outcome::unfinished] += out.requests - out.outcomes.total();
    if (keeps_tallies_) {
      out.interval_tallies = std::move(path_tallies_.per_interval[i]);
    }
    out.latency = std::move(paths_[i].latency);
    out.latency_all = out.latency;
    out.latency_all.merge(paths_[i].latency_failed);
    out.attempts = paths_[i].attempts;
    out.retried = paths_[i].retried;
    out.throughput_rps =
        window_s > 0 ? static_cast<double>(out.outcomes[Outcome::ok]) / window_s : 0;
  }
  for (std::size_t i = 0; i < services_.size(); ++i) {
    const ServiceTotals& s = services_[i];
    ServiceResult& out = results.services[i];
    out.requests = s.requests;
    out.rejected = s.rejected;
    out.busy_cpu_s = s.busy_core_ns * 1e-9;
    out.utilization = s.capacity_core_ns > 0 ? s.busy_core_ns / s.capacity_core_ns : 0;
    out.queue_mean = window_ns > 0 ? s.queue_ns / window_ns : 0;
    out.retries = s.retries;
    out.retries_refused = s.retries_refused;
    out.hedges = s.hedges;
    out.hedges_won = s.hedges_won;
    out.goodput_rps = window_s > 0 ? static_cast<double>(s.goodput) / window_s : 0;
    out.orphaned = s.orphaned;
    out.deadline_drops = s.deadline_drops;
    out.wasted_cpu_s = s.wasted_cpu_ns * 1e-9;
    out.throttled_s = s.throttled_ns * 1e-9;
    out.gc_pause_s = s.gc_pause_ns * 1e-9;
    out.gc_pauses = s.gc_pauses;
    out.contention_s = s.contention_ns * 1e-9;
    out.has_contention = cluster_.is_modelled;
    out.oom_kills = s.oom_kills;
    out.restarts = s.restarts;
    out.evictions = s.evictions;
    out.batches = s.batches;
    out.batch_size_mean =
        s.batches > 0 ? static_cast<double>(s.batched) / static_cast<double>(s.batches) : 0;
    out.gpu_busy_s = s.gpu_busy_ns * 1e-9;
    if (s.replicas_max > 0 || s.replica_ns > 0) {
      out.replicas = ReplicaSummary{s.replicas_min, s.replicas_max,
                                    window_ns > 0 ? s.replica_ns / window_ns : 0};
    }
  }
  for (std::size_t i = 0; i < caches_.size() && i < results.caches.size(); ++i) {
    results.caches[i].lookups = caches_[i].lookups;
    results.caches[i].hits = caches_[i].hits;
  }
  // Time series. The engine adds its gauges (in flight, replicas, depth...).
  TimeSeries& ts = results.timeseries;
  ts.intervals = intervals_;
  for (std::size_t p = 0; p < path_series_.size(); ++p) {
    for (std::size_t m = 0; m < path_metrics.size(); ++m) {
      ts.series.push_back(
          Series{"path/" + results.paths[p].name, path_metrics[m], std::move(path_series_[p][m])});
    }
  }
  for (std::size_t s = 0; s < service_series_.size(); ++s) {
    if (results.services[s].is_external) {
      continue;
    }
    for (std::size_t m = 0; m < service_metrics.size(); ++m) {
      ts.series.push_back(Series{"service/" + results.services[s].name, service_metrics[m],
                                 std::move(service_series_[s][m])});
    }
    if (gc_series_[s]) {
      ts.series.push_back(
          Series{"service/" + results.services[s].name, "gc_pause_s", std::move(*gc_series_[s])});
    }
    if (contention_series_[s]) {
      ts.series.push_back(Series{"service/" + results.services[s].name, "contention_s",
                                 std::move(*contention_series_[s])});
    }
    if (gpu_series_[s]) {
      ts.series.push_back(
          Series{"service/" + results.services[s].name, "gpu_busy_s", std::move(*gpu_series_[s])});
    }
  }
  for (std::size_t c = 0; c < cache_series_.size() && c < results.caches.size(); ++c) {
    ts.series.push_back(
        Series{"cache/" + results.caches[c].name, "hit_ratio", std::move(cache_series_[c])});
  }
  for (std::size_t e = 0; e < edge_series_.size(); ++e) {
    if (edge_series_[e]) {
      const std::string entity = "edge/" + results.edges[e].caller + "->" + results.edges[e].target;
      ts.series.push_back(Series{entity, "calls", std::move((*edge_series_[e])[0])});
      ts.series.push_back(Series{entity, "attempts", std::move((*edge_series_[e])[1])});
    }
  }
  for (std::size_t i = 0; i < edges_.size(); ++i) {
    EdgeResult& out = results.edges[i];
    if (keeps_tallies_) {
      out.interval_tallies = std::move(edge_tallies_.per_interval[i]);
    }
    out.calls = edges_[i].calls;
    out.attempts = edges_[i].attempts;
    out.outcomes = edges_[i].outcomes;
    out.latency = std::move(edges_[i].latency);
  }
  results.queues = std::move(queues_);
  results.autoscalers = autoscalers_;  // the time series still read their last syncs
  results.cluster = cluster_;
  if (cluster_.is_modelled && node_capacity_core_ns_ > 0) {
    // Pods run only on nodes: the services' CPU is the pods' part of it.
    double used = neighbour_core_ns_;
    for (const ServiceTotals& s : services_) {
      used += s.busy_core_ns;
    }
    results.cluster.node_utilization_mean = used / node_capacity_core_ns_;
  }
}

}  // namespace tailsim::stats
