#pragma once
/// The compiled model: every name resolved to an index, every endpoint
/// flattened to a step program. After `compile_plan` the simulation touches no
/// string, map or YAML node; names stay here only for reports.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tailsim/core/outcome.hpp"
#include "tailsim/core/slo.hpp"
#include "tailsim/core/time.hpp"
#include "tailsim/engine/distribution.hpp"

namespace tailsim::plan {

using Id = std::uint32_t;
inline constexpr Id no_id = ~Id{0};

/// What one instruction of a step program does.
enum class OpKind : std::uint8_t {
  cpu,
  delay,
  call,
  parallel,
  branch,
  fail,
  cache,
  publish,
  batch
};

/// One step, flattened. `p` and `times` apply to every kind.
struct Op {
  OpKind kind = OpKind::cpu;
  double probability = 1.0;     ///< `p:`; 1 means always
  std::uint32_t times_low = 1;  ///< `times:`, inclusive range
  std::uint32_t times_high = 1;
  Id stream = no_id;     ///< random stream of this step (p, times, its samples, branch choice)
  Id dist = no_id;       ///< cpu, delay: the distribution
  Id call = no_id;       ///< call: the call site
  Id first = 0;          ///< parallel: first child block in `child_blocks`; branch: first arm
  Id count = 0;          ///< parallel: child count; branch: arm count
  Id cache = no_id;      ///< cache: the cache; `first` is then its miss block
  Id queue = no_id;      ///< publish: the queue
  Id batch = no_id;      ///< batch: Plan::batches
  double fail_rate = 0;  ///< fail
};

/// A `batch` step: requests wait until `max` do or the oldest has waited
/// `wait`, then are served together in `fixed + per_item * n` (CPU work, or
/// GPU time on one of the pod's `gpus`).
struct BatchStep {
  std::uint32_t max = 1;
  Duration wait{0};
  Id fixed = no_id;     ///< Plan::distributions: A
  Id per_item = no_id;  ///< Plan::distributions: B
  Id stream = no_id;    ///< the step's own stream (Op::stream): its costs' draws
  bool on_gpu = false;
};

/// A sequence of ops `[begin, end)` in `Plan::ops`.
struct Block {
  Id begin = 0;
  Id end = 0;
};

/// One alternative of a branch: chosen when the draw is below `cumulative`.
struct BranchArm {
  double cumulative = 0;
  Id block = 0;
};

/// A `call` step: who calls what, over which network path.
struct CallSite {
  Id caller_service = no_id;
  Id target_service = no_id;
  Id target_endpoint = no_id;  ///< index into Plan::endpoints
  Id link = no_id;             ///< network path between caller and callee
  Id edge = no_id;             ///< statistics and shared state of caller -> callee.endpoint
  Id policy = no_id;           ///< timeouts, retries, ...: Plan::policies
  bool optional = false;
  bool is_instant = false;  ///< its link has neither latency nor loss
};

enum class Jitter : std::uint8_t { none, full, equal, decorrelated };

/// What a caller does around each call: SPEC.md "Timeouts, retries, circuit breakers".
struct CallPolicy {
  Duration timeout{0};  ///< per attempt; 0: none
  bool propagate_deadline = false;
  std::uint32_t attempts = 1;  ///< the first try included
  Duration backoff{0};
  double multiplier = 2;
  Duration max_backoff{0};
  Jitter jitter = Jitter::full;
  std::uint8_t retry_on = 0;  ///< bit per Outcome
  double budget = -1;         ///< Envoy retry budget; negative: none
  std::uint32_t min_concurrency = 3;
  double throttle_max_tokens = 0;  ///< gRPC retry throttling; 0: none
  double throttle_ratio = 0;
  std::uint32_t bulkhead = 0;   ///< calls in flight per caller pod; 0: none
  Duration hedge_after{0};      ///< send another copy after this long; 0: no hedging
  std::uint32_t hedge_max = 0;  ///< copies beyond the first
  Id stream = no_id;            ///< backoff jitter
};

/// A circuit breaker over the calls of one edge (count-based window).
struct BreakerSpec {
  std::uint32_t window = 100;
  std::uint32_t min_calls = 20;
  double failure_rate = 0.5;
  Duration open_for{std::chrono::seconds(30)};
  std::uint32_t half_open = 5;
};

/// The network path between two services (or the default).
struct Link {
  bool has_latency = false;
  engine::Distribution latency;
  double loss = 0;
  Id stream = no_id;
};

enum class Discipline : std::uint8_t { fifo, lifo };
enum class Balancer : std::uint8_t { round_robin, random, least_request };

struct Service {
  std::string name;
  bool external = false;
  std::uint32_t replicas = 1;
  double cores = 1;            ///< processor sharing over this many cores per pod
  bool cfs = false;            ///< CFS bandwidth control: `cores` is the node's, `limit` the quota
  double limit = 0;            ///< CFS: CPU time per period, in cores
  Duration period{0};          ///< CFS period
  Duration warmup{0};          ///< new pods start slow, over this long
  double warmup_slowdown = 1;  ///< CPU demand multiplier when a new pod is ready
  std::uint32_t workers = 0;   ///< 0: unlimited
  std::int64_t queue_capacity = -1;  ///< -1: unlimited
  Duration queue_timeout{0};         ///< 0: none
  Discipline discipline = Discipline::fifo;
  bool async = false;
  Balancer balancer = Balancer::round_robin;
  std::int64_t concurrency = -1;  ///< external services: -1 unlimited
  Id balancer_stream = no_id;
  /// The pod's CPU request: the denominator of CPU utilization for
  /// autoscaling, and what a pod needs of a node's CPU to be placed.
  double cpu_request = 1;
  Id autoscaler = no_id;      ///< Plan::autoscalers
  Id startup_stream = no_id;  ///< startup times of the pods scaling creates
  /// `gc`: Plan::distributions of the time from one pause's start to the
  /// next's and of a pause, and their stream; no_id without `gc`.
  Id gc_every = no_id;
  Id gc_pause = no_id;
  Id gc_stream = no_id;
  /// `memory`, in bytes (docs/semantics.md, "Memory, OOM kills and
  /// eviction"): a pod uses memory_base + memory_per_request x the requests
  /// it holds, is OOMKilled above memory_limit, and asks a node for
  /// memory_request. All 0 without `memory`.
  bool has_memory = false;
  std::int64_t memory_request = 0;
  std::int64_t memory_limit = 0;
  std::int64_t memory_base = 0;
  std::int64_t memory_per_request = 0;
  /// `gpus`: batches of its gpu batch steps served at once per pod; 0: none.
  std::uint32_t gpus = 0;
  bool has_batch = false;  ///< an endpoint has a batch step: results report batch sizes
};

struct Endpoint {
  std::string name;  ///< service.endpoint
  Id service = 0;
  Id block = 0;
  /// The block's one step when it is a cpu step that always runs once (no
  /// `p:`, no `times:` range) on a service that is neither async nor
  /// external: the engine starts its work as the request starts, without a
  /// turn of the step loop.
  Id lone_cpu = no_id;
};

/// A caller -> callee.endpoint pair: per-edge statistics, and the state that
/// SPEC.md keeps "per calling service and endpoint" (breakers, retry budgets
/// and throttles). A workload's client is a caller too (`caller_service` is
/// then `no_id` and `workload` names it).
struct Edge {
  Id caller_service = no_id;
  Id workload = no_id;
  Id queue = no_id;  ///< a queue's consumer calls
  Id target_endpoint = 0;
  Id breaker = no_id;  ///< Plan::breakers
  /// No call over this edge has a timeout, retry, throttle, bulkhead, hedge,
  /// circuit breaker or propagated deadline: the engine skips the edge's
  /// bookkeeping (attempt counts, budgets, breaker) for its calls.
  bool is_plain = true;
};

/// A queue (SPEC.md "queues"): messages wait for one of `partitions`
/// consumers; its path reports publish-to-processed latency.
struct QueueSpec {
  std::string name;
  Id consumer = 0;               ///< endpoint
  Id edge = 0;                   ///< queue -> consumer
  Id policy = 0;                 ///< a plain policy: deliveries are retried by redelivery
  std::uint32_t partitions = 1;  ///< messages processed at once
  std::int64_t capacity = -1;    ///< backlog limit; -1: none
  std::uint32_t deliveries = 1;  ///< redelivery attempts, the first included
  Duration redelivery_delay{0};
};

enum class WorkloadKind : std::uint8_t { open, closed, trace };
enum class Arrivals : std::uint8_t { poisson, uniform };

/// A point of a piecewise-linear rate schedule: the rate is `rate` from `at`,
/// reached by a linear ramp of length `ramp` from the previous rate.
struct RatePoint {
  Time at{};
  double rate = 0;  ///< per second
  Duration ramp{0};
};

struct Workload {
  std::string name;
  WorkloadKind kind = WorkloadKind::open;
  Id entry = 0;                     ///< endpoint
  Id edge = no_id;                  ///< client -> entry
  Id policy = no_id;                ///< the client's timeout and retries
  std::vector<RatePoint> schedule;  ///< open loop; a plain rate is one point at 0
  Arrivals arrivals = Arrivals::poisson;
  bool has_bursts = false;
  Id burst_gap = no_id;  ///< distribution of the time between bursts
  Duration burst_length{0};
  double burst_factor = 1;
  std::uint32_t users = 0;  ///< closed loop
  Id think = no_id;         ///< closed loop: distribution, or no_id for none
  std::vector<Time> trace;  ///< trace replay: arrival times
  Id stream = no_id;        ///< arrival times
  Id burst_stream = no_id;  ///< burst gaps and acceptance
  Id think_stream = no_id;  ///< think times
};

enum class FaultKind : std::uint8_t { kill, slow, fail, down, partition, cpu, flush };

/// A cache (SPEC.md "caches"): the simple model (a hit ratio) or the key model.
struct CacheSpec {
  std::string name;
  bool shared = false;    ///< one for the fleet; else one per pod, empty when it starts
  double hit_ratio = -1;  ///< the simple model; negative: the key model
  std::uint64_t keys = 0;
  double zipf = 0;  ///< popularity exponent; 0: uniform
  std::uint64_t capacity = 0;
  Duration ttl{0};        ///< 0: entries never expire
  Id lookup = no_id;      ///< the lookup's latency, a distribution
  bool coalesce = false;  ///< concurrent misses on a key wait for the first fill
};

/// A fault injected from `at` until `until` (SPEC.md "faults").
struct Fault {
  FaultKind kind = FaultKind::kill;
  Time at{};
  Time until = Time::max();
  Id service = no_id;      ///< every kind but flush
  Id other = no_id;        ///< partition: the second service
  Id cache = no_id;        ///< flush: the cache that loses its entries
  std::uint32_t pods = 1;  ///< kill
  Duration add{0};         ///< slow: extra latency per request
  double factor = 1;       ///< slow: CPU demand multiplier
  double rate = 0;         ///< fail: error probability per request
  bool blackhole = false;  ///< down: no answer at all (else refused at once)
  double cores = 0;        ///< cpu: the pods' cores while it lasts
  Id stream = no_id;
  /// What results call it: its `name:`, or its kind and target ("slow db").
  std::string name;
  bool is_named = false;  ///< by `name:`
};

/// What an autoscaler measures (SPEC.md "autoscalers").
enum class ScaleMetric : std::uint8_t { cpu, concurrency, rps, queue_lag };
enum class ScaleSelect : std::uint8_t { max, min, disabled };

struct ScalingPolicy {
  bool is_percent = false;
  double value = 0;  ///< pods, or a fraction for percent
  Duration period{0};
};

/// One direction of Kubernetes' `behavior`.
struct ScalingRules {
  Duration stabilization{0};
  std::vector<ScalingPolicy> policies;  ///< empty: Kubernetes' defaults
  ScaleSelect select = ScaleSelect::max;
};

/// A horizontal pod autoscaler (SPEC.md "autoscalers").
struct Autoscaler {
  std::string name;
  Id service = 0;
  ScaleMetric metric = ScaleMetric::cpu;
  Id queue = no_id;  ///< queue_lag
  /// cpu: a fraction of the request; concurrency, rps: per pod; queue_lag:
  /// messages per replica, or (is_age_target) the age in seconds.
  double target = 0;
  bool is_age_target = false;
  std::int32_t min = 1;
  std::int32_t max = 1;
  Duration sync_period{0};
  double tolerance = 0.1;
  Duration metrics_lag{0};
  Duration window{0};
  std::optional<ScalingRules> scale_up;  ///< neither given: the legacy normalisation
  std::optional<ScalingRules> scale_down;
  Id stream = no_id;  ///< the phase of its sync loop
};

/// The cluster autoscaler's removal of nodes (SPEC.md "Node contention,
/// neighbours, runtime pauses, memory": `cluster.scale_down`).
struct NodeScaleDown {
  double utilization = 0.5;  ///< a node whose requests are below this share of it is unneeded
  Duration unneeded{0};      ///< how long it stays unneeded before it is removed
};

/// Nodes that pods are placed on (SPEC.md "cluster").
struct ClusterSpec {
  std::uint32_t nodes = 1;
  double node_cores = 1;
  Duration provision{0};
  std::uint32_t max_nodes = 1;
  std::int64_t node_memory = 0;  ///< bytes; 0: not given (no memory placement, no eviction)
  std::optional<NodeScaleDown> scale_down;  ///< none: nodes are never removed
  /// kube-scheduler's scoring: MostAllocated (`pack`) or LeastAllocated.
  bool pack = false;
  /// `neighbours`: Plan::distributions of their cores (a value of one
  /// second is one core), how often drawn, and their stream; no_id without.
  Id neighbour_cores = no_id;
  Duration neighbour_every{0};
  Id neighbour_stream = no_id;
};

/// A model ready to simulate.
struct Plan {
  std::string model_name;
  std::uint64_t seed = 1;
  Duration warmup{0};
  Duration duration{0};
  Duration drain{0};
  Duration interval{0};

  std::vector<Service> services;
  std::vector<Endpoint> endpoints;
  std::vector<Op> ops;
  std::vector<Block> blocks;
  std::vector<Id> child_blocks;  ///< parallel children, by Op::first / Op::count
  /// Beside child_blocks: the call site of a child that is one plain call
  /// (no `p:`, no `times:`), which the parallel step makes itself without a
  /// task for the child; no_id for any other child.
  std::vector<Id> child_call_sites;
  std::vector<BranchArm> arms;
  std::vector<BatchStep> batches;  ///< by Op::batch
  std::vector<CallSite> call_sites;
  std::vector<Link> links;
  std::vector<Edge> edges;
  std::vector<CallPolicy> policies;
  std::vector<BreakerSpec> breakers;
  std::vector<Workload> workloads;
  std::vector<engine::Distribution> distributions;
  std::vector<SloSpec> slos;
  std::vector<Fault> faults;
  std::vector<CacheSpec> caches;
  std::vector<QueueSpec> queues;  ///< their paths follow the workloads' in Results::paths
  std::vector<Id> startup;        ///< per service: pod startup distribution, or no_id
  std::vector<Autoscaler> autoscalers;
  std::optional<ClusterSpec> cluster;  ///< none: capacity is unlimited
  /// Stream keys: component and purpose, hashed with the seed when a run starts.
  std::vector<std::pair<std::string, std::string>> streams;
};

}  // namespace tailsim::plan
