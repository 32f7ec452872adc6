#pragma once
/// `Results`: everything a run measured, as plain data. Every output format
/// reads this and nothing else.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tailsim/core/outcome.hpp"
#include "tailsim/core/slo.hpp"
#include "tailsim/stats/histogram.hpp"
#include "tailsim/stats/interval_tally.hpp"

namespace tailsim::stats {

/// Outcomes live in core/ (the plan names them too); stats keeps its names for them.
using Outcome = tailsim::Outcome;
using tailsim::error_kinds;
using tailsim::outcome_count;
using tailsim::outcome_name;

struct OutcomeCounts {
  std::uint64_t counts[outcome_count] = {};

  std::uint64_t& operator[](Outcome o) { return counts[static_cast<std::size_t>(o)]; }
  std::uint64_t operator[](Outcome o) const { return counts[static_cast<std::size_t>(o)]; }
  [[nodiscard]] std::uint64_t total() const;
  [[nodiscard]] std::uint64_t failed() const { return total() - (*this)[Outcome::ok]; }
};

/// One part of a path's latency: time an entity spent on one thing along the
/// critical path (docs/semantics.md, "Tail attribution").
struct AttributionPart {
  std::string entity;  ///< a service, or a queue (`broker`)
  std::string what;    ///< network, queue, cpu, warmup, cpu_contention, throttled, delay,
                       ///< cache_lookup, cache_wait, backoff, failed_attempts, broker
  double ms = 0;       ///< per request of the group, on average
  double share = 0;    ///< of the group's mean latency, 0 to 1
};

/// Where the time of a group of a path's successful requests went.
struct AttributionGroup {
  std::uint64_t requests = 0;
  double latency_ms = 0;               ///< the group's mean latency: the parts sum to it
  double from_ms = 0;                  ///< the slowest group: the latency at the p99's rank
  std::vector<AttributionPart> parts;  ///< largest first
};

/// The attribution of the successful measured requests of a path that
/// finished in one time-series interval.
struct AttributionInterval {
  /// As in Series::values: it covers [interval x interval_s, (interval + 1)
  /// x interval_s) of simulated time, warm-up included.
  std::size_t interval = 0;
  AttributionGroup group;
};

/// Tail attribution of a path: the mean request and the slowest 1%, and the
/// mean request over time.
struct Attribution {
  bool is_computed = false;  ///< a run without attribution (sweeps, --no-attribution) has none
  AttributionGroup mean;
  AttributionGroup slowest;
  /// The mean request of each interval, by the interval it finished in: only
  /// intervals with such requests, in interval order. Their requests add up
  /// to `mean`'s.
  std::vector<AttributionInterval> timeline;
};

/// The timeline's intervals `first` to `last` (interval indexes, both
/// included) as one group: their requests, their mean latency, and each
/// (entity, what) part's mean over all of them with its share of that
/// latency, largest first (ties in the order they first appear). Over every
/// interval it is `a.mean`, up to rounding. Empty (no requests) when no
/// interval of the timeline lies in the range.
AttributionGroup attribution_between(const Attribution& a, std::size_t first, std::size_t last);

/// A request path: the requests of one workload.
struct PathResult {
  std::string name;
  std::uint64_t requests = 0;  ///< arrivals in the measured window
  OutcomeCounts outcomes;
  std::uint64_t attempts = 0;  ///< the client's attempts, retries included
  std::uint64_t retried = 0;   ///< requests that needed more than one attempt
  double throughput_rps = 0;   ///< successful requests per measured second
  Histogram latency;           ///< successful requests, arrival to response, in ns
  /// Every finished request, arrival to its outcome, in ns: a failure counts
  /// at the time it failed (a timeout at the client's give-up, a rejection
  /// at once). Beside `latency`, it shows what a path's clients waited when
  /// many requests fail. Requests still open at the end are not in it.
  Histogram latency_all;
  /// Per time-series interval, what `latency` and the failures gained in it: kept only when
  /// the run is asked (components::RunLimits::interval_tallies), for the
  /// batch means of calibrate's simulated side.
  std::vector<IntervalTally> interval_tallies;
  Attribution attribution;
  /// The analytic estimate of the mean latency (`tailsim analyze`), set only
  /// when the model is in the analytic regime (docs/semantics.md).
  std::optional<double> analytic_mean_ms;
  /// Its backlog of open requests grew without bound: more arrived than were
  /// served (components/backlog_watch.hpp; docs/semantics.md, "Unstable
  /// paths"). Its SLO checks fail.
  bool unstable = false;
};

struct ReplicaSummary {
  double min = 0;
  double max = 0;
  double mean = 0;
};

struct ServiceResult {
  std::string name;
  std::uint64_t requests = 0;  ///< arrivals in the measured window
  std::uint64_t rejected = 0;
  double utilization = 0;             ///< busy CPU time over available CPU time
  double queue_mean = 0;              ///< time-average number of requests waiting for a worker
  double busy_cpu_s = 0;              ///< core-seconds of CPU used in the window
  std::uint64_t retries = 0;          ///< retries this service sent as a caller
  std::uint64_t retries_refused = 0;  ///< retries its budget or throttle refused
  std::uint64_t hedges = 0;           ///< hedged copies this service sent as a caller
  std::uint64_t hedges_won = 0;       ///< of which answered first
  /// Successful answers every caller up to the client was still waiting
  /// for, per second (docs/semantics.md, "Wasted work and orphans").
  double goodput_rps = 0;
  /// Requests answered after a caller anywhere up their chain had given up.
  std::uint64_t orphaned = 0;
  std::uint64_t deadline_drops = 0;
  double wasted_cpu_s = 0;  ///< CPU spent on orphaned requests
  /// Was any of its work wasted or repeated (orphans, wasted CPU, retries,
  /// deadline drops)? Reports then show its goodput beside its requests.
  [[nodiscard]] bool has_wasted_work() const {
    return retries > 0 || orphaned > 0 || deadline_drops > 0 || wasted_cpu_s > 0;
  }
  double throttled_s = 0;  ///< pod-seconds with work stopped by the CFS quota (summed over pods)
  std::uint64_t cfs_periods = 0;            ///< cgroup cpu.stat nr_periods, over all pods
  std::uint64_t cfs_throttled_periods = 0;  ///< cgroup cpu.stat nr_throttled
  bool has_cfs = false;
  /// `gc`: pod-seconds its pods were paused by their garbage collector in
  /// the window (summed over pods, busy or not), and the pauses that began in it.
  double gc_pause_s = 0;
  std::uint64_t gc_pauses = 0;
  bool has_gc = false;
  /// With a cluster: request-seconds its busy requests lost to their nodes'
  /// contention (waiting for node cores beyond what the pod's own limit allows).
  double contention_s = 0;
  bool has_contention = false;
  /// `memory`: OOM kills of its pods in the window, their containers'
  /// restarts, and the pods the kubelet evicted (with node_memory).
  std::uint64_t oom_kills = 0;
  std::uint64_t restarts = 0;
  std::uint64_t evictions = 0;
  bool has_memory = false;
  /// A batch step: the batches that started in the window and their mean
  /// size (0 when none started).
  std::uint64_t batches = 0;
  double batch_size_mean = 0;
  bool has_batch = false;
  /// `gpus`: GPU-seconds its pods' GPUs spent serving batches in the window,
  /// and the GPUs each pod has.
  double gpu_busy_s = 0;
  std::uint32_t gpus = 0;
  ReplicaSummary replicas;
  bool is_external = false;
  /// The paths (into Results::paths) whose requests can reach it: an
  /// episode's conditions come from the services its path reaches.
  std::vector<std::size_t> reached_by;
};

/// Calls from one service to one endpoint, as the caller saw them.
struct EdgeResult {
  std::string caller;
  std::string target;  ///< service.endpoint
  std::uint64_t calls = 0;
  std::uint64_t attempts = 0;
  OutcomeCounts outcomes;
  Histogram latency;  ///< successful calls, as the caller saw them, in ns
  /// As PathResult::interval_tallies, of `latency` and the failures.
  std::vector<IntervalTally> interval_tallies;
  std::uint64_t breaker_opens = 0;
  double breaker_open_s = 0;
};

/// Lookups in one cache, all its instances together.
struct CacheResult {
  std::string name;
  std::uint64_t lookups = 0;
  std::uint64_t hits = 0;
  [[nodiscard]] double hit_ratio() const {
    return lookups ? static_cast<double>(hits) / static_cast<double>(lookups) : 0.0;
  }
};

/// A queue: messages published and processed, its backlog and lag.
struct QueueResult {
  std::string name;
  std::uint64_t published = 0;
  std::uint64_t consumed = 0;
  std::uint64_t dead_letters = 0;
  std::uint64_t depth_max = 0;  ///< most messages waiting at once
  double lag_max_s = 0;         ///< oldest waiting message's greatest age
};

/// One sync of an autoscaler: what the controller saw and what it decided.
struct ScaleSample {
  double t_s = 0;
  bool has_metric = false;  ///< no sample could be computed: nothing changed
  double metric = 0;  ///< cpu: percent of request; concurrency, rps: per pod; queue_lag: as scaled
  std::int32_t recommended = 0;  ///< the metric's own answer, before stabilization and limits
  std::int32_t desired = 0;
  std::uint32_t ready = 0;     ///< pods taking requests at the sync
  std::uint32_t starting = 0;  ///< pods created and not ready yet (pending included)
};

/// An autoscaler over the run: its decisions and every sync.
struct AutoscalerResult {
  std::string name;
  std::string service;
  std::string metric;
  std::uint64_t scale_ups = 0;
  std::uint64_t scale_downs = 0;
  std::vector<ScaleSample> history;  ///< one per sync, in order
};

/// The nodes pods were placed on (a model with `cluster:`).
struct ClusterResult {
  bool is_modelled = false;
  std::uint32_t nodes_start = 0;
  std::uint32_t nodes_max = 0;
  std::uint32_t nodes_added = 0;
  /// The cluster autoscaler removes nodes (`cluster.scale_down`): the
  /// results then report nodes_min and nodes_removed.
  bool scales_down = false;
  std::uint32_t nodes_min = 0;
  std::uint32_t nodes_removed = 0;
  std::uint32_t pending_max = 0;  ///< most pods waiting for a node at once
  double pending_pod_s = 0;       ///< pod-seconds spent waiting for a node
  /// The nodes' CPU used (pods and neighbours) over their cores, in the window.
  double node_utilization_mean = 0;
};

/// One metric of one entity over the run, a value per interval
/// (`simulation.interval`): the tidy rows of timeseries.csv.
struct Series {
  Series() = default;
  Series(std::string named, std::string measured, std::vector<double> per_interval,
         std::size_t first_interval = 0,
         std::vector<std::pair<std::string, std::string>> more_labels = {})
      : entity(std::move(named)),
        metric(std::move(measured)),
        values(std::move(per_interval)),
        first(first_interval),
        labels(std::move(more_labels)) {}

  /// What it describes: "path/<p>", "service/<s>", "cache/<c>", "queue/<q>",
  /// "autoscaler/<a>", "breaker/<caller>-><service.endpoint>", "node/node-<i>",
  /// "pod/<service>-<ordinal>" or "cluster".
  std::string entity;
  /// Per kind of entity (docs/semantics.md, "Time series"): path: arrivals,
  /// completions, errors_timeout, errors_rejected, errors_error,
  /// errors_unavailable, p50_ms, p99_ms, in_flight; service: utilization,
  /// queue_length, replicas_ready, replicas_starting, rejected, throttled_s,
  /// retries, wasted_cpu_s, arrivals, gc_pause_s with GC pauses and gpu_busy_s with GPUs; cache:
  /// hit_ratio; queue: depth, lag_s; autoscaler: metric, desired, ready; breaker: state (0 closed,
  /// 1 open, 2 half-open); cluster (with `scale_down`): nodes; node: pods_cores, neighbour_cores,
  /// utilization; pod: node, cores, memory_bytes, restarts, gc_pause_s.
  std::string metric;
  /// values[i] covers [(first + i) x interval, (first + i + 1) x interval)
  /// of simulated time (warm-up included). NaN where the value is undefined
  /// (a p99 with no completions, a hit ratio with no lookups).
  std::vector<double> values;
  /// The interval of values[0]: 0, but for a pod's series (TimeSeries::pods)
  /// the interval the pod was made in.
  std::size_t first = 0;
  /// Labels beside the entity's name in metrics.om: a pod's service and node.
  std::vector<std::pair<std::string, std::string>> labels;
};

/// Something that happened at a moment: a fault starting or ending, a
/// workload's rate changing. Reports mark them on the time axis.
struct TimeMarker {
  double t_s = 0;
  std::string label;  ///< "kill db (2 pods)", "checkout: 300/s", ...
};

/// A fault as the run applied it: its window on the time axis.
struct FaultWindow {
  std::string name;  ///< its `name:`, else what it does ("slow db")
  std::string what;  ///< what it does: "slow db", "kill db (2 pods)"
  double start_s = 0;
  /// When it ended: start_s for a fault of a moment (kill, flush), the
  /// run's end for one that lasts to the end.
  double end_s = 0;
  bool is_named = false;
};

/// An edge whose calls and attempts the time series counts
/// ("edge/<caller>-><service.endpoint>"), and the paths whose requests can
/// reach it: their arrivals are what its retry amplification is counted
/// against (docs/semantics.md, "Episodes").
struct EdgeReach {
  std::string entity;
  std::vector<std::size_t> paths;  ///< into Results::paths
};

struct TimeSeries {
  double interval_s = 0;
  std::size_t intervals = 0;  ///< every Series has this many values
  std::vector<Series> series;
  /// Each pod's own series ("pod/<service>-<ordinal>"; docs/semantics.md,
  /// "Time series"), kept with a cluster, `memory` or `gc`: from the
  /// interval the pod was made in to the one it went in.
  std::vector<Series> pods;
  std::vector<TimeMarker> markers;  ///< in time order
  std::vector<FaultWindow> faults;  ///< in the model's order
  std::vector<EdgeReach> reach;     ///< every edge with `calls` and `attempts` series
};

/// Something that was happening during an episode (docs/semantics.md,
/// "Episodes"): a fault, a load spike, a scale event, pods starting,
/// throttling, contention, GC, OOM kills, a cache's hit ratio falling, a
/// queue's lag, a breaker open, or retries amplifying an edge's load.
struct EpisodeCondition {
  /// fault, load_spike, scale_up, scale_down, pods_starting, throttling,
  /// node_contention, gc_pauses, oom_kills, hit_ratio_drop, queue_lag,
  /// breaker_open, retry_amplification
  std::string kind;
  std::string name;    ///< a fault's name; empty for the other kinds
  std::string entity;  ///< its service, path, cache, queue, autoscaler or edge ("mid -> db.query")
  double start_s = 0;  ///< when it held: a fault's own window; else the
  double end_s = 0;    ///< intervals of the episode where it did
  /// Its measure at its worst in the episode, and the same measure's
  /// baseline (the median interval of the measured window): arrivals per
  /// second, replicas, seconds per second, a hit ratio, a lag in seconds,
  /// attempts per request. A fault has none (0).
  double value = 0;
  double baseline = 0;
};

/// A stretch of intervals in which a path's p99 or error share departed
/// from its own baseline beyond noise (docs/semantics.md, "Episodes").
struct Episode {
  std::string path;
  std::size_t first_interval = 0;  ///< of TimeSeries, inclusive
  std::size_t last_interval = 0;
  double start_s = 0;  ///< first_interval's start
  double end_s = 0;    ///< last_interval's end
  double p99_ms = 0;   ///< its worst interval's p99 (0 when no request succeeded in it)
  double baseline_p99_ms = 0;
  double error_share = 0;  ///< of the requests that finished in it
  double baseline_error_share = 0;
  std::size_t no_success_intervals =
      0;  ///< intervals with requests finished, none of them a success
  std::vector<EpisodeCondition> conditions;
  /// The attribution of its successful requests (AttributionPart, largest
  /// first); empty without attribution or without a success in it.
  std::vector<AttributionPart> causes;
};

/// Retry amplification at an edge over the run: attempts sent over it per
/// request that entered the paths that reach it, per interval.
struct EdgeAmplification {
  std::string edge;     ///< "mid -> db.query"; a workload's own: "client/checkout -> front.handle"
  double baseline = 0;  ///< the measured window's median interval
  double max = 0;       ///< the highest interval
  double at_s = 0;      ///< that interval's start
  double mean = 0;      ///< attempts over requests, the whole measured window
};

/// Did a path come back after the condition that started its episode ended?
struct MetastableVerdict {
  std::string path;
  std::string trigger;  ///< the fault's name, or "load spike"
  double trigger_end_s = 0;
  bool recovered = false;
  double recovered_s = 0;  ///< the start of the first of 3 intervals back at baseline
  std::string
      sustained_by;  ///< not recovered: the loop that kept it down ("mid -> db.query retries")
};

/// The loops that can keep a path down after its trigger has gone.
struct Feedback {
  std::vector<EdgeAmplification> amplification;
  std::vector<MetastableVerdict> metastable;
};

/// The kind of a span, as OpenTelemetry names them.
enum class SpanKind : std::uint8_t { internal, server, client, producer, consumer };

/// One timed piece of a sampled request: an attempt as its caller saw it
/// (client), an attempt as a service served it (server), or a phase inside
/// one (internal: waiting for a worker, CPU, a delay step, a retry backoff, a
/// cache lookup).
struct Span {
  std::uint64_t span_id = 0;         ///< never 0, unique within its trace
  std::uint64_t parent_span_id = 0;  ///< 0 for the trace's root
  std::string name;                  ///< "checkout", "frontend → cart.get", "cpu", ...
  SpanKind kind = SpanKind::internal;
  std::string service;        ///< the service it ran at; the workload's name for the client
  std::string endpoint;       ///< empty where none (the client, a backoff)
  std::string pod;            ///< "frontend-2"; empty at external services and the client
  std::uint32_t attempt = 1;  ///< calls: 1 the first attempt, 2 and up the retries
  bool is_hedge = false;      ///< a hedged copy of an attempt
  Outcome outcome = Outcome::ok;
  std::int64_t start_ns = 0;  ///< simulated time since the run began
  std::int64_t end_ns = 0;
};

/// One sampled request of a path, every span of it.
struct Trace {
  std::string path;
  std::uint64_t trace_id_high = 0;  ///< derived from the seed and the request; never both 0
  std::uint64_t trace_id_low = 0;
  std::uint64_t request = 0;  ///< the path's arrival number, from 0 (warm-up included)
  Outcome outcome = Outcome::ok;
  std::int64_t latency_ns = 0;
  std::string why;          ///< why it was kept: "slowest", "failed" or "sampled"
  std::vector<Span> spans;  ///< spans[0] is the root; parents come before children
  /// Spans not kept: past max_spans_per_trace (or max_trace_spans over the
  /// run), with everything under them.
  std::uint64_t dropped_spans = 0;
};

/// The most spans one trace keeps: a request that fans out to thousands of
/// calls keeps its first ones (a trace viewer shows no more usefully).
inline constexpr std::size_t max_spans_per_trace = 2'000;
/// The most spans a run keeps over all its traces: written in three formats
/// they take a few hundred MiB while the files are made. A request chosen
/// once they are reached is not traced.
inline constexpr std::size_t max_trace_spans = 200'000;

/// SLO checks live in core/ (the plan carries them); stats keeps its names for them.
using SloMetric = tailsim::SloMetric;
using Comparison = tailsim::Comparison;
using SloCheck = tailsim::SloCheck;
using SloSpec = tailsim::SloSpec;

/// A check evaluated: the path's name, the check as parsed, what was measured.
struct SloResult {
  std::string path;
  SloCheck check;
  double value = 0;  ///< in the unit of the threshold
  bool ok = false;
};

struct Results {
  std::string model;
  std::uint64_t seed = 0;
  double duration_s = 0;
  double warmup_s = 0;
  std::vector<PathResult> paths;
  std::vector<ServiceResult> services;
  std::vector<EdgeResult> edges;
  std::vector<CacheResult> caches;
  std::vector<QueueResult> queues;
  std::vector<SloResult> slos;
  std::vector<AutoscalerResult> autoscalers;
  ClusterResult cluster;
  TimeSeries timeseries;
  /// Episodes over time, in order of path then start, and the feedback
  /// loops behind them (stats/episodes.hpp); empty for a run without a time
  /// series in its measured window.
  std::vector<Episode> episodes;
  Feedback feedback;
  std::vector<Trace> traces;  ///< sampled requests (`--traces N`), in order of path, then start
  std::uint64_t events = 0;   ///< events the engine dispatched
  /// The most server-side requests, and tasks (threads of their step
  /// programs), alive at once: what a run's memory grows with, never
  /// simulated time.
  std::uint64_t peak_requests = 0;
  std::uint64_t peak_tasks = 0;
  double simulated_s = 0;      ///< simulated time at the end, drain included
  bool stopped_early = false;  ///< a run limit ended the run before its end
  /// Why the run stopped early ("interrupted", "memory budget ...", "event
  /// limit"); empty when it ran to its end.
  std::string stop_reason;
  /// Why the results have no attribution and no traces though the run asked
  /// for them: the replay that records them stopped early (its ledgers
  /// outgrew the memory budget). Empty otherwise.
  std::string attribution_skipped;
  /// Requests chosen as traces but not kept: the run's spans were at
  /// max_trace_spans.
  std::uint64_t traces_dropped = 0;

  [[nodiscard]] bool all_slos_ok() const;
};

/// The latency in milliseconds at percentile `p` (0-100) of a path; 0 if empty.
double latency_ms_at(const PathResult& path, double p);

/// What an SLO check measures on a path, in the unit of its threshold (ms,
/// a fraction or per second); 0 for latency of a path with no success.
double slo_value(const PathResult& path, const SloCheck& check);

/// Whether `value` passes the comparison against `threshold`.
bool slo_holds(double value, Comparison op, double threshold);

/// Evaluates each check against the path results and appends to `results.slos`.
void evaluate_slos(Results& results, const std::vector<SloSpec>& specs);

}  // namespace tailsim::stats
