#pragma once
/// The model: plain data that mirrors SPEC.md one to one. It knows nothing of
/// the engine. Every value keeps the place it was written (`Located`), so later
/// stages report problems at `file:line:col`. Collections keep the order of the
/// YAML file, which makes everything downstream deterministic.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tailsim/core/slo.hpp"
#include "tailsim/core/time.hpp"
#include "tailsim/model/diagnostics.hpp"
#include "tailsim/model/distribution.hpp"
#include "tailsim/model/units.hpp"

namespace tailsim::model {

/// An id given by the loader once every reference is resolved.
using Index = std::uint32_t;
inline constexpr Index no_index = ~Index{0};

// ---------------------------------------------------------------- simulation

enum class DeadlineMode { none, propagate };

struct Simulation {
  Located<Duration> duration{std::chrono::minutes(1)};
  Located<Duration> warmup{};
  Located<std::uint64_t> seed{1};
  Located<Duration> interval{std::chrono::seconds(1)};
  /// How long requests in flight at the end of the window may still finish.
  Located<Duration> drain{std::chrono::minutes(1)};
  Located<DeadlineMode> deadlines{DeadlineMode::none};
};

// ------------------------------------------------------------------- network

struct LinkSpec {
  Located<std::string> a;
  Located<std::string> b;
  std::optional<DistSpec> latency;      ///< absent: the default latency
  std::optional<Located<double>> loss;  ///< absent: the default loss
  SourceLoc loc;
};

struct Network {
  std::optional<DistSpec> default_latency;
  Located<double> default_loss{0.0};
  std::vector<LinkSpec> links;
  bool is_present = false;
  SourceLoc loc;
};

// ------------------------------------------------------------ client policies

enum class Jitter { none, full, equal, decorrelated };

/// The error kinds a call can end with (SPEC.md "A call's outcome").
enum class ErrorKind { timeout, rejected, error, unavailable };

struct RetryPolicy {
  Located<std::int64_t> attempts{1};
  Located<Duration> backoff{std::chrono::milliseconds(25)};
  Located<double> multiplier{2.0};
  std::optional<Located<Duration>> max_backoff;
  Located<Jitter> jitter{Jitter::full};
  /// Which outcomes are retried; default timeout, rejected, unavailable.
  std::vector<Located<ErrorKind>> on;
  std::optional<Located<double>> budget;
  Located<std::int64_t> min_concurrency{3};
  SourceLoc loc;
};

struct CircuitBreakerPolicy {
  Located<std::int64_t> window{100};
  Located<std::int64_t> min_calls{20};
  Located<double> failure_rate{0.5};
  Located<Duration> open_for{std::chrono::seconds(30)};
  Located<std::int64_t> half_open{5};
  SourceLoc loc;
};

struct ThrottlePolicy {
  Located<double> max_tokens{10};
  Located<double> token_ratio{0.1};
  SourceLoc loc;
};

struct HedgePolicy {
  Located<Duration> after{};
  Located<std::int64_t> max{1};
  SourceLoc loc;
};

/// What a caller does around one call (on `call` steps and on workloads).
struct CallPolicy {
  std::optional<Located<Duration>> timeout;
  std::optional<RetryPolicy> retry;
  std::optional<CircuitBreakerPolicy> circuit_breaker;
  std::optional<ThrottlePolicy> throttle;
  std::optional<Located<std::int64_t>> bulkhead;
  std::optional<HedgePolicy> hedge;
  std::optional<Located<DeadlineMode>> deadline;
  Located<bool> optional{false};
};

/// `service.endpoint`, resolved to ids by the loader.
struct EndpointRef {
  Located<std::string> service;
  Located<std::string> endpoint;
  Index service_id = no_index;
  Index endpoint_id = no_index;
  SourceLoc loc;

  [[nodiscard]] std::string full_name() const { return service.value + "." + endpoint.value; }
};

// --------------------------------------------------------------------- steps

enum class StepKind { cpu, delay, call, parallel, branch, cache, publish, fail, batch };

struct Step;

/// `batch: {max, wait, cpu: "A + B*n"}` (or `gpu:`): requests held until
/// `max` wait or the oldest has waited `wait`, then served together in
/// `fixed + per_item * n` of CPU work (or GPU time) for a batch of n.
struct BatchSpec {
  Located<std::int64_t> max{1};
  Located<Duration> wait{};
  DistSpec fixed;     ///< A
  DistSpec per_item;  ///< B
  bool on_gpu = false;
  SourceLoc cost_loc;  ///< the `cpu:` or `gpu:` value
};

struct BranchArm {
  Located<double> p{0.0};
  std::vector<Step> steps;
  SourceLoc loc;
};

/// One step of an endpoint. Which fields matter depends on `kind`.
struct Step {
  StepKind kind = StepKind::cpu;
  SourceLoc loc;
  /// `p: 0.3`: the step runs with this probability.
  std::optional<Located<double>> p;
  /// `times: 5` or `times: 1..10`.
  Located<IntRange> times{};

  DistSpec dist;                ///< cpu, delay
  EndpointRef call;             ///< call
  CallPolicy policy;            ///< call
  std::vector<Step> children;   ///< parallel: run at once; cache: the `miss` steps
  std::vector<BranchArm> arms;  ///< branch
  Located<std::string> target;  ///< cache: the cache name; publish: the queue name
  Index target_id = no_index;
  Located<double> fail_rate{0};  ///< fail
  BatchSpec batch;               ///< batch
};

// ------------------------------------------------------------------ services

enum class Discipline { fifo, lifo };
enum class BalancerKind { round_robin, random, least_request };

/// The pod's CPU: a plain number of cores (processor sharing), or CFS
/// bandwidth control with `request`, `limit`, `period` and `node_cores`.
struct CpuSpec {
  Located<double> cores{1.0};
  bool is_cfs = false;
  Located<double> request{0};
  Located<double> limit{0};
  Located<Duration> period{std::chrono::milliseconds(100)};
  Located<double> node_cores{0};
  SourceLoc loc;

  /// The denominator of CPU utilization for autoscaling.
  [[nodiscard]] double requested_cores() const {
    return is_cfs ? (request.value > 0 ? request.value : limit.value) : cores.value;
  }
};

struct WarmupSpec {
  Located<Duration> duration{};
  Located<double> slowdown{1.0};
  SourceLoc loc;
};

/// `gc: {every, pause}`: the pod's runtime stops the world for `pause`, a
/// pause starting `every` after the last one started (garbage collection).
struct GcSpec {
  DistSpec every;
  DistSpec pause;
  SourceLoc loc;
};

/// `memory: {request, limit, base, per_request}`, in bytes: the pod uses
/// `base + per_request x` the requests it holds; above `limit` it is
/// OOMKilled; `request` is what it asks of a node (docs/semantics.md,
/// "Memory, OOM kills and eviction").
struct MemorySpec {
  Located<std::int64_t> request{0};
  Located<std::int64_t> limit{0};
  Located<std::int64_t> base{0};
  Located<std::int64_t> per_request{0};
  SourceLoc loc;
};

struct PodSpec {
  CpuSpec cpu;
  std::optional<Located<std::int64_t>> workers;
  std::optional<Located<std::int64_t>> queue;
  std::optional<Located<Duration>> queue_timeout;
  Located<Discipline> discipline{Discipline::fifo};
  std::optional<DistSpec> startup;
  std::optional<WarmupSpec> warmup;
  std::optional<GcSpec> gc;
  std::optional<MemorySpec> memory;
  /// `gpus: N`: at most N batches of its `gpu` batch steps in service at once.
  std::optional<Located<std::int64_t>> gpus;
  Located<bool> async{false};
  SourceLoc loc;
};

struct Endpoint {
  Located<std::string> name;
  std::vector<Step> steps;
};

struct Service {
  Located<std::string> name;
  Located<std::int64_t> replicas{1};
  PodSpec pod;
  Located<BalancerKind> balancer{BalancerKind::round_robin};
  Located<bool> external{false};
  std::optional<Located<std::int64_t>> concurrency;
  std::vector<Endpoint> endpoints;

  [[nodiscard]] const Endpoint* find_endpoint(std::string_view wanted) const;
};

// -------------------------------------------------------------------- caches

enum class CacheScope { pod, shared };
enum class PopularityKind { uniform, zipf };

struct Popularity {
  PopularityKind kind = PopularityKind::uniform;
  double exponent = 0;  ///< zipf's s
  SourceLoc loc;
};

struct Cache {
  Located<std::string> name;
  Located<CacheScope> scope{CacheScope::pod};
  std::optional<Located<double>> hit_ratio;
  std::optional<Located<std::int64_t>> keys;
  Popularity popularity;
  std::optional<Located<std::int64_t>> capacity;
  std::optional<Located<Duration>> ttl;
  std::optional<DistSpec> lookup;
  Located<bool> coalesce{false};

  /// The key model (keys, popularity, capacity) rather than a fixed hit ratio.
  [[nodiscard]] bool has_key_model() const { return keys.has_value(); }
};

// -------------------------------------------------------------------- queues

struct Redelivery {
  Located<std::int64_t> attempts{1};
  Located<Duration> delay{};
  SourceLoc loc;
};

struct Queue {
  Located<std::string> name;
  EndpointRef consumer;
  Located<std::int64_t> partitions{1};
  std::optional<Located<std::int64_t>> capacity;
  std::optional<Redelivery> redelivery;
};

// --------------------------------------------------------------- autoscalers

enum class ScaleMetric { cpu, concurrency, rps, queue_lag };
enum class SelectPolicy { max, min, disabled };

struct ScalingPolicy {
  bool is_percent = false;
  Located<double> value{0};  ///< pods, or a fraction for percent
  Located<Duration> period{std::chrono::seconds(15)};
  SourceLoc loc;
};

struct ScalingRules {
  Located<Duration> stabilization{};
  std::vector<ScalingPolicy> policies;
  Located<SelectPolicy> select{SelectPolicy::max};
  SourceLoc loc;
};

struct Autoscaler {
  Located<std::string> name;
  Located<std::string> service;
  Index service_id = no_index;
  Located<ScaleMetric> metric{ScaleMetric::cpu};
  std::optional<Located<std::string>> queue;  ///< with metric queue_lag
  Index queue_id = no_index;
  /// cpu: a fraction of the request; concurrency: requests per pod; rps:
  /// requests per second per pod; queue_lag: messages of backlog per pod
  /// (KEDA's lagThreshold) or, when `is_age_target`, the age in seconds of the
  /// oldest message (SPEC.md's "lag").
  Located<double> target{0};
  bool is_age_target = false;
  Located<std::int64_t> min{1};
  Located<std::int64_t> max{1};
  Located<Duration> sync_period{std::chrono::seconds(15)};
  Located<double> tolerance{0.1};
  Located<Duration> metrics_lag{};
  /// metrics-server's resolution: the usage it reports is the change of the
  /// cumulative counters over its last two scrapes, 15 s apart.
  Located<Duration> window{std::chrono::seconds(15)};
  std::optional<ScalingRules> scale_up;
  std::optional<ScalingRules> scale_down;
};

// ------------------------------------------------------------------- cluster

/// Where kube-scheduler puts a pod among the nodes it fits: `spread`
/// (LeastAllocated, the default) or `pack` (MostAllocated).
enum class Placement { spread, pack };

/// `neighbours: {cores, every}`: other tenants' CPU demand on each node, in
/// cores, drawn afresh every `every`.
struct NeighboursSpec {
  DistSpec cores;  ///< values in cores (a bare number is that many cores)
  Located<Duration> every{std::chrono::seconds(30)};
  SourceLoc loc;
};

/// The cluster autoscaler's removal of nodes (`cluster.scale_down`): a node
/// whose pods request less than `utilization` of it, and could all be placed
/// on other nodes, for `unneeded` in a row is drained and removed. The
/// defaults are the cluster autoscaler's (`--scale-down-utilization-threshold`,
/// `--scale-down-unneeded-time`).
struct ClusterScaleDown {
  Located<double> utilization{0.5};
  Located<Duration> unneeded{std::chrono::minutes(10)};
  SourceLoc loc;
};

struct Cluster {
  Located<std::int64_t> nodes{1};
  Located<double> node_cores{1};
  Located<Duration> provision{std::chrono::seconds(90)};
  std::optional<Located<std::int64_t>> max_nodes;
  Located<Placement> placement{Placement::spread};
  std::optional<NeighboursSpec> neighbours;
  /// Each node's memory in bytes: with it, the kubelet evicts pods when the
  /// pods' memory on a node leaves less than its hard threshold free.
  std::optional<Located<std::int64_t>> node_memory;
  std::optional<ClusterScaleDown> scale_down;  ///< none: nodes are never removed
  SourceLoc loc;
};

// ----------------------------------------------------------------- workloads

enum class ArrivalProcess { poisson, uniform };
enum class WorkloadKind { open, closed, trace };

struct SchedulePoint {
  Located<Duration> at{};
  Located<double> rate{0};
  std::optional<Located<Duration>> ramp;
  SourceLoc loc;
};

struct Bursts {
  DistSpec every;
  Located<Duration> length{};
  Located<double> factor{1};
  SourceLoc loc;
};

struct Workload {
  Located<std::string> name;
  EndpointRef entry;
  WorkloadKind kind = WorkloadKind::open;
  std::optional<Located<double>> rate;
  std::vector<SchedulePoint> schedule;
  Located<ArrivalProcess> arrivals{ArrivalProcess::poisson};
  std::optional<Bursts> bursts;
  std::optional<Located<std::int64_t>> users;
  std::optional<DistSpec> think;
  std::optional<Located<std::string>> trace_path;
  std::vector<Duration> trace;
  CallPolicy policy;  ///< the client's timeout, retries, ...
};

// -------------------------------------------------------------------- faults

enum class FaultKind { kill, slow, fail, down, flush, partition, cpu };
enum class DownMode { refuse, blackhole };

struct Fault {
  FaultKind kind = FaultKind::kill;
  Located<Duration> at{};
  std::optional<Located<Duration>> length;  ///< `for:`
  Located<std::string> target;              ///< a service, or a cache for flush
  Index target_id = no_index;
  Located<std::string> other;  ///< partition: the second service
  Index other_id = no_index;
  Located<std::int64_t> pods{1};             ///< kill
  std::optional<Located<Duration>> add;      ///< slow
  std::optional<Located<double>> factor;     ///< slow
  Located<double> rate{0};                   ///< fail
  Located<DownMode> mode{DownMode::refuse};  ///< down
  Located<double> set{0};                    ///< cpu
  /// What results call it (`name:`); unnamed, its kind and target.
  std::optional<Located<std::string>> name;
  SourceLoc loc;
};

// ---------------------------------------------------------------------- slos

/// A parsed check lives in core/ (the plan and the results carry it).
using SloMetric = tailsim::SloMetric;
using Comparison = tailsim::Comparison;
using SloCheck = tailsim::SloCheck;

struct SloSet {
  Located<std::string> path;  ///< a workload name
  Index workload_id = no_index;
  std::vector<SloCheck> checks;
};

// --------------------------------------------------------------------- model

struct Model {
  Located<std::int64_t> version{1};
  Located<std::string> name;
  Located<std::string> description;
  Simulation simulation;
  Network network;
  std::vector<Service> services;
  std::vector<Cache> caches;
  std::vector<Queue> queues;
  std::vector<Autoscaler> autoscalers;
  std::optional<Cluster> cluster;
  std::vector<Workload> workloads;
  std::vector<Fault> faults;
  std::vector<SloSet> slos;
  /// The folder of the model file; relative data paths start here.
  std::filesystem::path base_dir;

  [[nodiscard]] const Service* find_service(std::string_view wanted) const;
  [[nodiscard]] const Cache* find_cache(std::string_view wanted) const;
  [[nodiscard]] const Queue* find_queue(std::string_view wanted) const;
  [[nodiscard]] const Workload* find_workload(std::string_view wanted) const;
};

/// Readable names of enum values, as the model format spells them.
std::string_view to_string(StepKind kind);
std::string_view to_string(ErrorKind kind);
std::string_view to_string(FaultKind kind);
std::string_view to_string(ScaleMetric metric);

}  // namespace tailsim::model
