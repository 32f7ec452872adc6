#pragma once
/// The recorder: components report facts as they happen (a request arrived, a
/// call ended, a pod's CPU was this busy from t0 to t1), and the recorder
/// decides what the measured window keeps. Memory is fixed per path, service
/// and edge: it never grows with simulated time.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tailsim/core/time.hpp"
#include "tailsim/stats/results.hpp"

namespace tailsim::stats {

class Recorder {
 public:
  /// Statistics cover arrivals and time in `[window_start, window_end)`.
  Recorder(Time window_start, Time window_end, std::size_t paths, std::size_t services,
           std::size_t edges, std::size_t caches = 0);

  [[nodiscard]] bool is_measured(Time t) const { return t >= window_start_ && t < window_end_; }

  /// The successful latencies of `path` measured so far.
  [[nodiscard]] const Histogram& path_latency(std::uint32_t path) const {
    return paths_[path].latency;
  }

  void path_arrival(std::uint32_t path, Time at) {
    ++interval_paths_[path].arrivals;
    if (is_measured(at)) {
      ++paths_[path].requests;
    }
  }
  /// A request of `path` that arrived at `arrived` ended now with `outcome`
  /// after `attempts` attempts by the client.
  void path_finished(std::uint32_t path, Time arrived, Time now, Outcome outcome,
                     std::uint32_t attempts);
  // A path's measured requests that never finished are counted `unfinished`
  // by finish(): those path_arrival counted and path_finished did not.

  void service_arrival(std::uint32_t service, Time at) {
    ++interval_services_[service].arrivals;
    if (is_measured(at)) {
      ++services_[service].requests;
    }
  }
  void service_rejected(std::uint32_t service, Time at);
  /// `cores` cores of `service` were busy from `from` to `to`.
  [[gnu::always_inline]] void cpu_busy(std::uint32_t service, Time from, Time to, double cores) {
    add_clipped(services_[service].busy_core_ns, from, to, cores);
    interval_services_[service].busy_ns += cores * static_cast<double>((to - from).count());
  }
  /// `length` requests waited for a worker at `service` from `from` to `to`.
  [[gnu::always_inline]] void queue_length(std::uint32_t service, Time from, Time to,
                                           double length) {
    add_clipped(services_[service].queue_ns, from, to, length);
    interval_services_[service].queue_ns += length * static_cast<double>((to - from).count());
  }
  /// `cores` cores of `service` existed from `from` to `to` (for utilization).
  void cpu_capacity(std::uint32_t service, Time from, Time to, double cores) {
    add_clipped(services_[service].capacity_core_ns, from, to, cores);
    interval_services_[service].capacity_ns += cores * static_cast<double>((to - from).count());
  }
  /// `service` had work stopped by its CFS quota from `from` to `to`.
  void cpu_throttled(std::uint32_t service, Time from, Time to) {
    add_clipped(services_[service].throttled_ns, from, to, 1.0);
    interval_services_[service].throttled_ns += static_cast<double>((to - from).count());
  }
  /// A pod of `service` was paused by its garbage collector from `from` to
  /// `to`.
  void gc_paused(std::uint32_t service, Time from, Time to) {
    add_clipped(services_[service].gc_pause_ns, from, to, 1.0);
    services_[service].gc_pauses += static_cast<std::uint64_t>(is_measured(from));
    interval_services_[service].gc_pause_ns += static_cast<double>((to - from).count());
  }
  /// The busy requests of `service` lost `requests` request-seconds per
  /// second to their node's contention from `from` to `to` (node.cpp).
  void node_contention(std::uint32_t service, Time from, Time to, double requests) {
    add_clipped(services_[service].contention_ns, from, to, requests);
    interval_services_[service].contention_ns +=
        requests * static_cast<double>((to - from).count());
  }
  /// The nodes' neighbours used `cores` cores from `from` to `to`.
  void neighbour_cores(Time from, Time to, double cores) {
    add_clipped(neighbour_core_ns_, from, to, cores);
  }
  /// The cluster's nodes had `cores` cores from `from` to `to`.
  void node_capacity(Time from, Time to, double cores) {
    add_clipped(node_capacity_core_ns_, from, to, cores);
  }
  /// The model has a cluster: every service's time series gains
  /// `contention_s` (only then, so that other models' series stay as they were).
  void track_contention(std::uint32_t service) { contention_series_[service].emplace(); }
  /// A batch step of `service` started serving a batch of `size` at `at`.
  void batch_served(std::uint32_t service, Time at, std::uint32_t size) {
    if (is_measured(at)) {
      services_[service].batches += 1;
      services_[service].batched += size;
    }
  }
  /// A GPU of a pod of `service` served a batch from `from` to `to`.
  void gpu_busy(std::uint32_t service, Time from, Time to) {
    add_clipped(services_[service].gpu_busy_ns, from, to, 1.0);
    interval_services_[service].gpu_busy_ns += static_cast<double>((to - from).count());
  }
  /// `service` has GPUs: its time series gains `gpu_busy_s` (only then, as
  /// track_gc).
  void track_gpus(std::uint32_t service) { gpu_series_[service].emplace(); }
  /// `service` has GC pauses: its time series gains `gc_pause_s` (only
  /// then, so that the series of a model without pauses stay as they were).
  void track_gc(std::uint32_t service) { gc_series_[service].emplace(); }
  /// Calls over `edge` may send more than one attempt (retries, hedges):
  /// its time series gains `calls` and `attempts` per interval, whose ratio
  /// is the edge's amplification (only then, as track_gc).
  void track_edge(std::uint32_t edge) { edge_series_[edge].emplace(); }
  /// A tracked edge sent an attempt now, the first of its call or not.
  void edge_attempt(std::uint32_t edge, bool is_first) {
    IntervalEdge& i = interval_edges_[edge];
    ++i.attempts;
    i.calls += is_first ? 1 : 0;
  }
  /// A pod of `service` was OOMKilled, its container restarted, or the
  /// kubelet evicted it, at `at` (counted in the window).
  void oom_killed(std::uint32_t service, Time at) {
    services_[service].oom_kills += static_cast<std::uint64_t>(is_measured(at));
  }
  void pod_restarted(std::uint32_t service, Time at) {
    services_[service].restarts += static_cast<std::uint64_t>(is_measured(at));
  }
  void pod_evicted(std::uint32_t service, Time at) {
    services_[service].evictions += static_cast<std::uint64_t>(is_measured(at));
  }
  /// `count` ready replicas of `service` from `from` to `to`.
  void replicas(std::uint32_t service, Time from, Time to, double count);

  /// A call (all its attempts) over `edge` that started at `started` ended
  /// now with `outcome`, after sending `attempts` attempts (a queue's
  /// deliveries count none). One fact per call: the call, its attempts, its
  /// outcome and its latency are all counted by the call's start.
  void call_finished(std::uint32_t edge, Time started, Time now, Outcome outcome,
                     std::uint32_t attempts);
  /// A call still open when the run stopped: the call and the attempts it
  /// sent count, it has no outcome.
  void call_unfinished(std::uint32_t edge, Time started, std::uint32_t attempts);

  /// A lookup in `cache`, a hit or a miss.
  void cache_lookup(std::uint32_t cache, Time at, bool hit) {
    ++interval_caches_[cache].lookups;
    interval_caches_[cache].hits += hit ? 1 : 0;
    if (is_measured(at)) {
      ++caches_[cache].lookups;
      caches_[cache].hits += hit ? 1 : 0;
    }
  }
  /// `service` sent a retry; or a retry was refused by its budget or throttle.
  void service_retry(std::uint32_t service, Time at);
  void service_retry_refused(std::uint32_t service, Time at);
  /// `service` sent a hedged copy of a call; or a hedged copy's answer won.
  void service_hedge(std::uint32_t service, Time at);
  void service_hedge_won(std::uint32_t service, Time at);
  /// `service` answered a request that arrived at `arrived`. `client_waiting`:
  /// every caller up its chain to the client was still waiting for it (a
  /// success then counts as goodput); when not, the request was orphaned and
  /// its work wasted, wherever up the chain the give-up happened.
  void service_answered(std::uint32_t service, Time arrived, bool client_waiting, Outcome outcome) {
    if (!is_measured(arrived)) {
      return;
    }
    if (!client_waiting) {
      ++services_[service].orphaned;
    } else if (outcome == Outcome::ok) {
      ++services_[service].goodput;
    }
  }
  /// `work_ns` of CPU was spent at `service` for a request orphaned when the
  /// work ended (as `service_answered` judges it).
  void wasted_cpu(std::uint32_t service, Time at, double work_ns);
  /// `service` dropped a request whose deadline had passed.
  void deadline_dropped(std::uint32_t service, Time at);

  /// A message queue, a path of its own (its messages); ids follow the order
  /// of the calls.
  void add_queue(std::string name);
  /// A message was published to `queue` at `at`.
  void queue_published(std::uint32_t queue, Time at);
  /// `depth` messages wait in `queue` at `at`, the oldest for `oldest_age`.
  void queue_depth(std::uint32_t queue, Time at, std::uint64_t depth, Duration oldest_age);
  /// A message published at `published` left `queue` for good: consumed, or
  /// out of redeliveries (a dead letter).
  void queue_finished(std::uint32_t queue, Time published, bool consumed);

  /// An autoscaler of `service` on `metric`; ids follow the order of the calls.
  void add_autoscaler(std::string name, std::string service, std::string metric);
  /// One sync of `autoscaler`: every sync is kept, warm-up and drain included
  /// (a scaling history reads as a whole).
  void autoscaler_sync(std::uint32_t autoscaler, const ScaleSample& sample);
  /// The changes `autoscaler`'s controller made over the run.
  void autoscaler_changes(std::uint32_t autoscaler, std::uint64_t ups, std::uint64_t downs);
  /// What `autoscaler` has recorded so far (the time series read its last sync).
  [[nodiscard]] const AutoscalerResult& autoscaler(std::uint32_t autoscaler) const {
    return autoscalers_[autoscaler];
  }

  /// The model has a cluster of `nodes` nodes at the start; `scales_down`:
  /// the cluster autoscaler may remove nodes.
  void cluster_start(std::uint32_t nodes, bool scales_down = false);
  /// A node joined the cluster, which has `nodes` now.
  void cluster_node_added(std::uint32_t nodes);
  /// The cluster autoscaler removed a node; the cluster has `nodes` now.
  void cluster_node_removed(std::uint32_t nodes);
  /// `pods` pods waited for a node from `from` to `to`: pod-seconds in the
  /// window, and the most at once (over the whole run).
  void cluster_pending(Time from, Time to, std::uint32_t pods);

  /// Moves what was measured into `results`, whose names the caller has set
  /// (paths, services, edges sized as at construction).
  /// Ends the current interval of the time series: what was counted since
  /// the last call becomes one value of each series. The caller has closed
  /// every time-weighted span (cpu_busy, queue_length, ...) at the boundary.
  void close_interval(Duration interval);
  /// From now on, each interval's close also keeps what each path's and
  /// edge's measured latency and failures gained in it
  /// (PathResult::interval_tallies).
  void keep_interval_tallies();

  void finish(Results& results);

  /// Ends the measured window at `end` (no later than it was): a run that
  /// stopped early measures its rates and time averages over the time it
  /// simulated. Call before the last time-weighted spans and finish().
  void cut_window(Time end) {
    window_end_ = end < window_start_ ? window_start_ : (end < window_end_ ? end : window_end_);
  }
  /// The time series' intervals closed so far.
  [[nodiscard]] std::size_t intervals() const { return intervals_; }
  /// The bytes the interval in progress keeps of its paths' latencies: the
  /// values (at most `kept_latencies_` a path) and, past them, a histogram.
  [[nodiscard]] std::size_t interval_bytes() const {
    std::size_t bytes = 0;
    for (const IntervalPath& path : interval_paths_) {
      bytes += path.latencies.capacity() * sizeof(std::int64_t) + path.spilled.stored_bytes();
    }
    return bytes;
  }
  /// The bytes of the autoscalers' history of syncs.
  [[nodiscard]] std::size_t autoscaler_bytes() const {
    std::size_t bytes = 0;
    for (const AutoscalerResult& a : autoscalers_) {
      bytes += a.history.capacity() * sizeof(ScaleSample);
    }
    return bytes;
  }
  /// The bytes one interval adds to the series the recorder keeps.
  [[nodiscard]] std::size_t series_bytes_per_interval() const {
    std::size_t series = cache_series_.size();
    for (const auto& path : path_series_) {
      series += path.size();
    }
    for (const auto& service : service_series_) {
      series += service.size();
    }
    for (const auto& gc : gc_series_) {
      series += gc ? 1 : 0;
    }
    for (const auto& edge : edge_series_) {
      series += edge ? 2 : 0;
    }
    for (const auto& contention : contention_series_) {
      series += contention ? 1 : 0;
    }
    for (const auto& gpu : gpu_series_) {
      series += gpu ? 1 : 0;
    }
    return series * sizeof(double);
  }

 private:
  struct ServiceTotals {
    std::uint64_t requests = 0;
    std::uint64_t rejected = 0;
    std::uint64_t retries = 0;
    std::uint64_t retries_refused = 0;
    std::uint64_t hedges = 0;
    std::uint64_t hedges_won = 0;
    std::uint64_t goodput = 0;
    std::uint64_t orphaned = 0;
    std::uint64_t deadline_drops = 0;
    double wasted_cpu_ns = 0;
    double busy_core_ns = 0;
    double capacity_core_ns = 0;
    double queue_ns = 0;
    double throttled_ns = 0;
    double gc_pause_ns = 0;
    std::uint64_t gc_pauses = 0;  ///< pauses that started in the window
    double contention_ns = 0;     ///< request-nanoseconds lost to the node
    std::uint64_t oom_kills = 0;
    std::uint64_t restarts = 0;
    std::uint64_t evictions = 0;
    std::uint64_t batches = 0;  ///< batches that started in the window
    std::uint64_t batched = 0;  ///< the requests in them
    double gpu_busy_ns = 0;
    double replica_ns = 0;
    double replicas_min = 1e300;
    double replicas_max = 0;
  };
  struct PathTotals {
    std::uint64_t requests = 0;
    std::uint64_t attempts = 0;
    std::uint64_t retried = 0;
    OutcomeCounts outcomes;
    Histogram latency;
    Histogram latency_failed;  ///< the failures, at the time they failed: with latency, latency_all
  };
  struct EdgeTotals {
    std::uint64_t calls = 0;
    std::uint64_t attempts = 0;
    OutcomeCounts outcomes;
    Histogram latency;
  };

  /// Adds `level x (overlap of [from, to) with the window)` to `total`.
  void add_clipped(double& total, Time from, Time to, double level) const {
    const Time a = from < window_start_ ? window_start_ : from;
    const Time b = to > window_end_ ? window_end_ : to;
    if (b > a) {
      total += level * static_cast<double>((b - a).count());
    }
  }

  /// With keep_interval_tallies(): per path and per edge, each closed
  /// interval's tally, and the latency histogram's count and sum and the
  /// failures at the last close (what the next interval's tally is counted
  /// from).
  struct Tallies {
    std::vector<std::vector<IntervalTally>> per_interval;
    std::vector<IntervalTally> at_last_close;
    void resize(std::size_t n) {
      per_interval.resize(n);
      at_last_close.resize(n);
    }
    void close(std::size_t i, const Histogram& latency, const OutcomeCounts& outcomes) {
      const IntervalTally now{latency.count(), latency.sum(), outcomes.failed()};
      const IntervalTally& last = at_last_close[i];
      per_interval[i].push_back(
          {now.count - last.count, now.sum_ns - last.sum_ns, now.failed - last.failed});
      at_last_close[i] = now;
    }
  };
  bool keeps_tallies_ = false;
  Tallies path_tallies_;
  Tallies edge_tallies_;

  Time window_start_;
  Time window_end_;
  std::vector<PathTotals> paths_;
  std::vector<ServiceTotals> services_;
  std::vector<EdgeTotals> edges_;
  struct CacheTotals {
    std::uint64_t lookups = 0;
    std::uint64_t hits = 0;
  };
  std::vector<CacheTotals> caches_;
  std::vector<QueueResult> queues_;
  std::vector<AutoscalerResult> autoscalers_;
  ClusterResult cluster_;

  // The interval in progress, for the time series (all simulated time, not
  // only the measured window), and the values of the intervals closed.
  struct IntervalPath {
    std::uint64_t arrivals = 0;
    OutcomeCounts finished;
    /// The interval's successful latencies, up to `kept_latencies_` of them;
    /// beyond, they go to `spilled`, so memory stays bounded however long an
    /// interval is. Its p50 and p99 are exact up to `exact_latencies` values;
    /// beyond, they are what a histogram reports (0.05% relative error),
    /// whether worked out from the values kept or read from `spilled`.
    std::vector<std::int64_t> latencies;
    Histogram spilled;
    bool has_spilled = false;
  };
  struct IntervalService {
    double busy_ns = 0;
    double capacity_ns = 0;
    double queue_ns = 0;
    double throttled_ns = 0;
    double gc_pause_ns = 0;
    double contention_ns = 0;
    double gpu_busy_ns = 0;
    double wasted_ns = 0;
    std::uint64_t rejected = 0;
    std::uint64_t retries = 0;
    std::uint64_t arrivals = 0;  ///< requests (attempts) that reached the service
  };
  struct IntervalCache {
    std::uint64_t lookups = 0;
    std::uint64_t hits = 0;
  };
  static constexpr std::size_t exact_latencies = 4096;
  /// The latencies all paths' intervals may keep together (256 KiB), at
  /// least `exact_latencies` a path. Keeping them costs a store; recording
  /// them in a histogram as well as the run's, 3.6% of an M/M/1 run's
  /// instructions. The bound keeps a run's memory within a tenth of the
  /// same run at ten times the duration and interval (simulation_bench).
  static constexpr std::size_t kept_latencies_total = std::size_t{1} << 15;
  std::size_t kept_latencies_;
  std::vector<IntervalPath> interval_paths_;
  std::vector<IntervalService> interval_services_;
  /// A tracked edge's calls and attempts sent in the interval (track_edge).
  struct IntervalEdge {
    std::uint64_t calls = 0;
    std::uint64_t attempts = 0;
  };
  std::vector<IntervalEdge> interval_edges_;
  /// Per tracked edge: calls and attempts per interval.
  std::vector<std::optional<std::array<std::vector<double>, 2>>> edge_series_;
  std::vector<IntervalCache> interval_caches_;
  /// Closed intervals' values: [entity][metric][interval].
  std::vector<std::vector<std::vector<double>>> path_series_;
  std::vector<std::vector<std::vector<double>>> service_series_;
  std::vector<std::vector<double>> cache_series_;
  /// Per service with GC pauses, their pod-seconds per interval.
  std::vector<std::optional<std::vector<double>>> gc_series_;
  /// Per service of a model with a cluster, request-seconds lost to the node
  /// per interval.
  std::vector<std::optional<std::vector<double>>> contention_series_;
  double neighbour_core_ns_ = 0;      ///< the nodes' neighbours' CPU in the window
  double node_capacity_core_ns_ = 0;  ///< the nodes' cores in the window
  /// Per service with GPUs, their GPU-seconds serving batches per interval.
  std::vector<std::optional<std::vector<double>>> gpu_series_;
  std::size_t intervals_ = 0;
};

}  // namespace tailsim::stats
