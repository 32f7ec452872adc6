#pragma once
/// The simulation's kernel: the event kinds, the objects in flight, each
/// mechanism's state, and the `Simulation` class whose member functions the
/// files of this folder define, one mechanism per file (docs/architecture.md,
/// "The simulation, file by file"). Only this folder includes it.
///
/// kernel.cpp is the hot unit: the constructor, the run loop and its switch,
/// workloads, calls and attempts, requests and workers, step programs and CPU,
/// so the handlers every request takes inline into the loop. Every other file
/// is cold: it defines one mechanism's handlers and instantiates them
/// explicitly (TAILSIM_SIMULATION_MEMBER) for both passes, or (attribution,
/// tracing) for the observing pass only.

#include <algorithm>
#include <array>
#include <cassert>
#include <deque>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "components/critical_path.hpp"
#include "components/running_slowest.hpp"
#include "components/trace_choice.hpp"
#include "tailsim/components/backlog_watch.hpp"
#include "tailsim/components/circuit_breaker.hpp"
#include "tailsim/components/hpa_controller.hpp"
#include "tailsim/components/kubernetes_defaults.hpp"
#include "tailsim/components/lru_cache.hpp"
#include "tailsim/components/memory_budget.hpp"
#include "tailsim/components/processor_sharing.hpp"
#include "tailsim/components/rate_schedule.hpp"
#include "tailsim/components/retry_policy.hpp"
#include "tailsim/components/simulation.hpp"
#include "tailsim/engine/event_queue.hpp"
#include "tailsim/engine/fifo.hpp"
#include "tailsim/engine/id_stack.hpp"
#include "tailsim/engine/pool.hpp"
#include "tailsim/engine/random_stream.hpp"
#include "tailsim/engine/zipf.hpp"
#include "tailsim/plan/reach.hpp"
#include "tailsim/stats/recorder.hpp"

namespace tailsim::components::sim {

using plan::Id;
using plan::no_id;
using stats::Outcome;

/// What an event asks for; `target` names the object it concerns. The run
/// loop (kernel.cpp) dispatches on it in one switch; the comment names the
/// file whose handler the event calls.
enum class EventKind : std::uint32_t {
  workload_arrival,          ///< kernel.cpp; target: workload
  burst_toggle,              ///< kernel.cpp; target: workload
  request_delivered,         ///< kernel.cpp; target: attempt; the request reached the callee
  response_delivered,        ///< kernel.cpp; target: attempt; the response reached the caller
  plain_request_delivered,   ///< kernel.cpp; target: exchange of a plain call (no Attempt object)
  plain_response_delivered,  ///< kernel.cpp; target: exchange of a plain call
  cpu_done,                  ///< kernel.cpp; target: pod; its timer: never stale
  delay_done,                ///< kernel.cpp; target: task
  attempt_timeout,   ///< kernel.cpp; target: attempt; the caller stops waiting for this attempt
  retry_due,         ///< kernel.cpp; target: exchange; its backoff is over
  hedge_due,         ///< kernel.cpp; target: exchange; no answer yet: send another copy
  redeliver,         ///< queues.cpp; target: queue; a failed message's redelivery delay is over
  fault_start,       ///< faults.cpp; target: fault
  fault_end,         ///< faults.cpp; target: fault
  pod_ready,         ///< pod_lifecycle.cpp; target: pod; its readiness probe passes
  pod_grace_end,     ///< pod_lifecycle.cpp; target: pod; its termination grace period is over
  autoscaler_sync,   ///< autoscaling.cpp; target: autoscaler; the controller's loop comes round
  metrics_snapshot,  ///< autoscaling.cpp; target: autoscaler; a window of its metric starts or ends
  node_ready,        ///< cluster.cpp; target: none; a node the cluster autoscaler asked for joins
  gc_toggle,         ///< gc.cpp; target: pod; its garbage collector's pause starts or ends
  neighbours_change,  ///< node.cpp; target: node; its neighbours' demand is drawn again
  pod_restart,        ///< memory.cpp; target: pod; its OOMKilled container's back-off is over
  eviction_check,     ///< memory.cpp; target: none; the kubelets look at their nodes' memory
  cluster_scan,       ///< cluster_autoscaler.cpp; target: none; the scale-down loop comes round
  batch_due,          ///< batching.cpp; target: batcher; its oldest request has waited `wait`
  batch_done,         ///< batching.cpp; target: batch; a GPU has served it
};

/// One thread of a step program: the endpoint's main sequence, a branch arm
/// or one child of a parallel step.
struct Task {
  Id request = no_id;  ///< the server-side request it works for
  Id parent = no_id;   ///< the task waiting for it, if any
  Id next = 0;         ///< the next op to start
  Id end = 0;
  Id current = 0;               ///< the op running now
  std::uint32_t remaining = 0;  ///< repetitions of `current` still to start
  std::uint32_t pending = 0;    ///< children still running
  Outcome failure = Outcome::ok;
  bool holds_worker = false;  ///< async pods: a worker for the running cpu op
  /// A cache op in progress: 1 looked up, 2 running the miss steps, 3 waiting
  /// for another task's fill of the same key (coalesced).
  std::uint8_t cache_phase = 0;
  bool cache_hit = false;
  double work_ns = 0;  ///< the running (or, async, waiting) cpu op's demand
  std::uint64_t cache_key = 0;
  /// Where its steps draw their random numbers (Simulation::step_stream).
  std::uint64_t key = 0;
};
static_assert(sizeof(Task) == 56, "a task stays small: the hot loop copies and zeroes it");

/// One instance of a cache: shared by a service's fleet, or one pod's own.
struct CacheInstance {
  LruCache lru{0, Duration{0}};
  std::unordered_map<std::uint64_t, std::vector<Id>> filling;  ///< key -> tasks waiting
};

/// One attempt being served at a service. When the caller has given up on
/// the attempt (its call is no longer current), the work goes on but its
/// answer goes nowhere: wasted work.
struct Request {
  /// What sent it: an Attempt, or for a plain call (is_plain) the Exchange
  /// itself, which then has no Attempt object at all.
  Id sender = no_id;
  std::uint32_t sender_generation = 0;
  Id endpoint = 0;
  Id pod = no_id;  ///< no pod at external services
  Time arrived{};
  Time deadline = Time::max();  ///< when deadlines propagate
  bool holds_worker = false;
  bool killed = false;    ///< its pod was killed: it already answered `error`
  bool is_plain = false;  ///< `call` names an Exchange (a call without a policy)
  /// The request whose task made the call, or no_id (a client's request, a
  /// queue's delivery): the next link of the chain is_orphaned walks, read
  /// only while `sender` is current (its caller's task, and so the caller's
  /// request, then still live).
  Id caller_request = no_id;
  /// Its attempt's key: the random numbers drawn for it and its steps.
  std::uint64_t key = 0;
};

/// What an exchange is, which says which of its ids are set.
enum class ExchangeKind : std::uint8_t {
  client_request,  ///< a workload's request: `workload`; no caller task, no network hop
  call,            ///< a `call` step: `caller_task` and `site`
  delivery,        ///< a queue's delivery of a message to its consumer: `queue`; no network hop
};

/// A logical call, over all its attempts: a `call` step, a workload's
/// request or a queue's delivery (`kind`).
struct Exchange {
  Id caller_task = no_id;
  Id workload = no_id;           ///< client requests
  Id queue = no_id;              ///< a queue's delivery of a message to its consumer
  Time published{};              ///< queue deliveries: when the message was published
  std::uint32_t deliveries = 0;  ///< queue deliveries: this one included
  Id site = no_id;               ///< call steps
  Id policy = 0;
  Id edge = 0;
  Id target_endpoint = 0;
  Time started{};
  Time deadline = Time::max();  ///< inherited from the caller when deadlines propagate
  std::uint32_t attempts = 0;
  ExchangeKind kind = ExchangeKind::call;
  double previous_backoff_ns = 0;
  bool joins_parent = false;  ///< made by a parallel step for one of its children
  /// Its edge uses no policy (plan::Edge::is_plain): one attempt, made
  /// without an Attempt object; the request refers to the exchange directly.
  bool is_plain = false;
  Outcome answer = Outcome::ok;   ///< plain calls: the answer on its way back
  bool holds_retry_slot = false;  ///< a retry decided, counted against the budget
  std::uint32_t hedges = 0;       ///< hedged copies sent
  std::uint32_t in_flight = 0;    ///< attempts (copies) outstanding
  Id first_attempt = no_id;       ///< the outstanding attempts, linked by Attempt::next_copy
  /// Its random numbers' key: from the workload and arrival number, or the
  /// caller's step (docs/semantics.md, "Random numbers per request").
  std::uint64_t key = 0;
};

/// An attempt whose timeout waits in no lane of the event queue.
inline constexpr std::uint64_t no_lane_event = ~std::uint64_t{0};

/// One attempt in flight, as its caller sees it.
struct Attempt {
  Id exchange = no_id;
  Id target_endpoint = 0;
  Id bulkhead_pod = no_id;  ///< the caller pod whose bulkhead this call holds
  Time sent{};
  Time deadline = Time::max();
  Outcome outcome = Outcome::ok;
  Id next_copy = no_id;  ///< the exchange's next outstanding attempt (hedging)
  bool is_retry = false;
  bool is_hedge = false;
  std::uint64_t key = 0;  ///< the exchange's key and this attempt's number
  /// Its timeout's number in its policy's lane (Simulation::timeout_lane_),
  /// to cancel it when the attempt ends first; no_lane_event when none.
  std::uint64_t timeout_event = no_lane_event;
};

/// What the calls of one caller to one endpoint share.
struct EdgeState {
  RetryLimits limits;
  std::optional<CircuitBreaker> breaker;
  /// A call over it may send more than one attempt (retries, hedges): the
  /// time series counts its calls and attempts (Recorder::track_edge).
  bool counts_attempts = false;
};

/// Something waiting for a worker: a request not started yet, or (async
/// pods) a task whose cpu op needs one.
struct Waiter {
  Id id = 0;
  Time since{};
  bool is_task = false;
};

/// Where a pod is in its life (docs/semantics.md, "Autoscaling and pod lifecycle").
enum class PodPhase : std::uint8_t {
  pending,      ///< created; no node has room for it yet
  starting,     ///< placed (or no cluster): its container starts, the probe not passed yet
  ready,        ///< takes requests
  terminating,  ///< scaled down: takes no new requests, finishes what it holds
  gone,
};

/// Where a pod is in its life (pod_lifecycle.cpp; `node`: cluster.cpp).
struct PodLife {
  PodPhase phase = PodPhase::ready;
  Time created{};
  Time started{};               ///< placed on a node: its startup began
  Time ready_at{};              ///< when it started taking requests
  Id node = no_id;              ///< with a cluster
  Id ran_on = no_id;            ///< `node` once placed, kept after it leaves (pod_series.cpp)
  std::uint32_t node_slot = 0;  ///< its place in its node's pods and claims (node.cpp)
  bool is_cold = false;         ///< started during the run: warms up (pod.warmup)
  std::uint32_t ordinal = 0;    ///< its service's pods made before it: "<service>-<ordinal>"
};

/// What an autoscaler reads (autoscaling.cpp), cumulative since the pod
/// became ready; attribution reads `throttled_ns` too.
struct PodMetrics {
  double used_core_ns = 0;  ///< CPU used
  double throttled_ns = 0;  ///< time its busy CPU was stopped by the quota (attribution)
  double paused_ns = 0;     ///< time its busy CPU was stopped by a GC pause (attribution)
  /// Time its busy CPU lost to its node's contention: (1 - speed) x time
  /// (attribution).
  double contended_ns = 0;
  double node_mark_ns = 0;  ///< used_core_ns when its node's time series last counted it
  double held_ns = 0;       ///< requests held, integrated over time
  Time held_since{};        ///< held_ns is up to date to here
  std::uint64_t arrivals = 0;
  bool tracks_held = false;  ///< an autoscaler on concurrency reads held_ns
};

/// A pod's container restarts after OOM kills (memory.cpp): its
/// CrashLoopBackOff.
struct PodMemory {
  Duration backoff{0};      ///< the next restart's delay; 0: none yet (the first is at once)
  Time backoff_advanced{};  ///< when the back-off last advanced (the last restart)
  std::uint32_t restarts = 0;
  /// cpu.stat of its containers before the running one (each restart
  /// starts a new ProcessorSharing).
  std::uint64_t cfs_periods = 0;
  std::uint64_t cfs_throttled_periods = 0;
};

/// One pod: its hot part, which every request touches (its CPU and
/// workers, kernel.cpp), then its life, its metrics and its own caches.
struct Pod {
  Id service = 0;
  ProcessorSharing cpu;
  std::uint32_t busy_workers = 0;
  std::uint32_t active = 0;      ///< requests at the pod, for least-request balancing
  engine::Fifo<Waiter> waiting;  ///< FIFO or LIFO by the service's discipline
  Time scheduled = Time::max();  ///< the cpu completion event in the queue; max: none
  bool dirty = false;
  PodLife life;
  PodMetrics metrics;
  PodMemory memory;
  std::vector<std::optional<CacheInstance>> caches;  ///< pod-scope caches (caches.cpp), by cache id
};

/// A message waiting in a queue.
struct Message {
  Time published{};
  Time due{};                    ///< redeliveries: not before
  std::uint32_t deliveries = 0;  ///< made so far
  std::uint64_t key = 0;         ///< the publishing step's: its deliveries' random numbers
};

struct QueueState {
  std::deque<Message> waiting;
  std::deque<Message> delayed;  ///< waiting out their redelivery delay, in order of `due`
  std::uint32_t in_flight = 0;
};

struct ServiceState {
  std::vector<Id> pods;        ///< the pods that take requests (ready)
  std::vector<Id> members;     ///< every pod not gone, in order of creation
  std::uint32_t cpu_pods = 0;  ///< pods whose CPU runs: ready or terminating
  /// A request starts at once while its pod has fewer busy workers than
  /// this: the workers, or no limit (async pods, `workers: 0`).
  std::uint32_t start_below = std::numeric_limits<std::uint32_t>::max();
  std::int32_t desired = 0;  ///< the scale's replicas (the deployment's spec)
  double cores = 1;          ///< per pod, changed by CPU faults
  Time capacity_since{};
  // Active faults.
  Duration extra_delay{0};
  double cpu_factor = 1;
  double fail_rate = 0;
  Id fail_stream = no_id;
  enum class Down : std::uint8_t { no, refuse, blackhole } down = Down::no;
  std::uint32_t round_robin = 0;
  std::uint64_t waiting = 0;  ///< requests waiting for a worker, all pods
  Time waiting_since{};
  std::int64_t in_flight = 0;  ///< external services: calls being served
  std::uint32_t pods_made = 0;
};

/// An autoscaler's view of the run: its controller and the metric snapshots
/// that open and close each sync's window.
struct AutoscalerState {
  struct Snapshot {
    Time at{};
    std::vector<std::pair<Id, double>> pods;  ///< ready pods: their cumulative metric
    double queue_value = 0;                   ///< queue_lag: the value at that moment
  };
  std::optional<HpaController> controller;
  Time first_sync{};
  std::uint64_t syncs = 0;       ///< syncs done
  std::uint64_t next_start = 0;  ///< the sync whose window start is the next snapshot
  std::uint64_t next_end = 0;    ///< the sync whose window end is the next snapshot
  std::deque<Snapshot> snapshots;
};

/// What a pod or a node's neighbours want of the node's cores, weigh in
/// its sharing, and get; and for a pod, the cores it would use unslowed
/// (beyond its limit) and the speed its grant gives it (node.cpp).
struct NodeClaim {
  double wants = 0;
  double weight = 0;
  double granted = 0;
  double base = 0;
  double speed = 1;
};

/// Where a node is in its life: the cluster autoscaler's scale-down
/// (cluster_autoscaler.cpp) drains and removes nodes.
enum class NodePhase : std::uint8_t {
  up,        ///< takes pods
  draining,  ///< being removed: takes no new pods; its pods are replaced elsewhere
  removed,   ///< gone; it keeps its index, so no other node's id changes
};

/// One node of the cluster (cluster.cpp places pods; node.cpp shares its
/// cores among them).
struct Node {
  explicit Node(double cores, std::int64_t memory = std::numeric_limits<std::int64_t>::max())
      : free_cores(cores), free_memory(memory), claims(1) {}
  double free_cores = 0;  ///< its cores less the requests of the pods placed on it
  /// With node_memory, its allocatable memory less the pods' memory requests.
  std::int64_t free_memory = std::numeric_limits<std::int64_t>::max();
  NodePhase phase = NodePhase::up;
  /// Scale-down: the scan from which the node has been unneeded without a break.
  std::optional<Time> unneeded_since;
  /// Can the scheduler place a pod here (the node is neither drained nor gone)?
  [[nodiscard]] bool takes_pods() const { return phase == NodePhase::up; }
  std::vector<Id> pods;  ///< placed on it
  /// The pods' claims, by their place in `pods`, then the neighbours'.
  std::vector<NodeClaim> claims;
  /// The cores its busy pods and its neighbours want now: beyond its cores
  /// they contend, and each gets a share by its weight.
  double wanted = 0;
  bool contended = false;        ///< the last sharing found too few cores
  double neighbour_granted = 0;  ///< and get
  Time neighbour_since{};        ///< neighbour_granted holds since
  /// The time series: core-nanoseconds its pods and its neighbours used in
  /// the current interval, and their means over the last one closed.
  double pods_core_ns = 0;
  double neighbour_core_ns = 0;
  double pods_cores = 0;
  double neighbour_cores = 0;
};

/// A new node's room for pods: its cores, and its allocatable memory (the
/// kubelet's hard eviction threshold kept free) when the model gives node_memory.
inline Node new_node(const plan::ClusterSpec& cluster) {
  return Node{cluster.node_cores,
              cluster.node_memory > 0
                  ? cluster.node_memory - kubernetes::eviction_hard_memory_available
                  : std::numeric_limits<std::int64_t>::max()};
}

struct WorkloadState {
  std::uint64_t open = 0;  ///< client requests not finished, measured or not
  std::optional<RateSchedule> schedule;
  bool burst_on = false;
  std::size_t trace_next = 0;
  bool started = false;        ///< the first arrival has been scheduled
  std::uint64_t arrivals = 0;  ///< client requests made, warm-up included
};

/// Where a task stopped, for the critical-path ledger: set when it suspends,
/// settled when it resumes.
struct TaskMark {
  Time since = Time::min();    ///< Time::min(): not suspended
  std::int64_t merged_at = 0;  ///< its ledger's total then: what arrives later was merged
  Time cpu_started{};          ///< a cpu op: when it got its worker and started to run
  double throttled_at = 0;     ///< a cpu op: its pod's throttled_ns then
  double paused_at = 0;        ///< a cpu op: its pod's paused_ns then
  double contended_at = 0;     ///< a cpu op: its pod's contended_ns then
  /// A batch step: when its batch could have left had a GPU been free (its
  /// time before is waiting for the batch, after it waiting for a GPU);
  /// `cpu_started` is when the batch's service began.
  Time batch_due{};
  bool in_batch = false;    ///< a batch step served: the fields above are set
  bool is_gpu = false;      ///< ...on a GPU
  double warmup_share = 0;  ///< a cpu op: the part of its demand a cold pod's warm-up added
  Where what = Where::unaccounted;
  bool is_cpu = false;
};

/// An observing pass's state per pool id (a task's ledger, an exchange's
/// trace reference): a buffer of its own that keeps its length beside it.
/// Asking whether an id has its slot yet, a few times per event, is then one
/// load and a comparison; a std::vector's length is the difference of two
/// pointers divided by the slot's size. Grows as std::vector's resize does
/// (to exactly the length asked for, which at() doubles), so the memory
/// budget counts the same bytes.
template <class T>
class Slots {
 public:
  T& operator[](Id id) { return data_[id]; }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] std::size_t capacity() const { return size_; }
  T* begin() { return data_.get(); }
  T* end() { return data_.get() + size_; }
  const T* begin() const { return data_.get(); }
  const T* end() const { return data_.get() + size_; }
  /// Grows to `n` slots, the new ones value-initialised, the others moved.
  void resize(std::size_t n) {
    if (n <= size_) {
      return;
    }
    auto grown = std::make_unique<T[]>(n);
    std::move(begin(), end(), grown.get());
    data_ = std::move(grown);
    size_ = n;
  }

 private:
  std::unique_ptr<T[]> data_;
  std::size_t size_ = 0;
};

/// What a replay records that the first pass does not: the critical-path
/// ledgers of everything in flight and their sums per path. Indexed by pool
/// ids; an entry is reset when its object is made and emptied once merged
/// into its caller's, so finished work keeps no ledger (in a deep chain each
/// holds a part per service below it: kept, they grew quadratically).
struct Observation {
  Slots<Ledger> tasks;
  Slots<TaskMark> marks;
  Slots<Ledger> attempts;
  Slots<Ledger> exchanges;
  Slots<std::int64_t> backoff_ns;     ///< per exchange: its retries' backoffs so far
  Ledger answer;                      ///< a finished request's ledger, on its way to its caller
  Ledger done;                        ///< a finished call's ledger, on its way to the caller task
  std::vector<LedgerSum> all;         ///< per path: its successful measured requests
  std::vector<SlowestGroup> slowest;  ///< per path: those from its p99's rank up (a replay)
  /// One pass (no first pass told the p99): per path, what its slowest 1%
  /// can need (sized as paths finish).
  bool one_pass = false;
  std::vector<RunningSlowest> running;
  /// One pass: some path's kept ledgers did not cover its slowest 1%, whose
  /// group is left empty for a replay to find (attribution_results).
  bool slowest_uncovered = false;
  /// The successful measured requests of a path that finished in one
  /// time-series interval (attribution.timeline).
  struct IntervalSum {
    std::size_t interval = 0;
    LedgerSum sum;
  };
  /// Per path (sized as paths finish): its intervals with such requests, in
  /// order. The last one's sum is left empty while it is open: it is `all`
  /// less `interval_start`.
  std::vector<std::vector<IntervalSum>> timeline;
  std::vector<LedgerSum> interval_start;  ///< per path: `all` when its last interval began
  std::uint64_t timeline_bytes = 0;       ///< what `timeline` holds, for the memory budget

  // Traces (RunLimits::traces) of the requests the first pass chose.
  /// Where a call, attempt or request is in its trace: span indexes.
  struct TraceRef {
    std::int32_t trace = -1;   ///< -1: not traced
    std::int32_t parent = -1;  ///< exchanges: the caller's server span (-1: the client)
    std::int32_t span = -1;    ///< its own span: root, attempt or server span
  };
  bool tracing = false;
  std::vector<std::vector<std::pair<std::uint64_t, std::string>>> chosen;  ///< per workload
  std::vector<stats::Trace> traces;
  std::uint64_t spans = 0;           ///< kept in `traces`, at most stats::max_trace_spans
  std::uint64_t traces_dropped = 0;  ///< chosen requests not traced: the spans' cap was reached
  Slots<TraceRef> exchange_refs;
  Slots<TraceRef> attempt_refs;
  Slots<TraceRef> request_refs;
  /// A traced request at a pod, for the GC pauses it meets there (tracing.cpp).
  struct TracedAtPod {
    Id pod = no_id;
    Id request = no_id;
    TraceRef ref;  ///< its server span: a request id reused since no longer matches
  };
  std::vector<TracedAtPod> at_pods;  ///< traced requests not answered yet, at pods with `gc`
  /// By pod: since when its node has slowed it (node.cpp), Time::max() while
  /// it runs at full speed; for the traces' "waiting for node cores" spans.
  std::vector<Time> slowed_since;
  /// Is `entry`'s request still the one it was traced as (its id not reused)?
  bool is_current(const TracedAtPod& entry) {
    const TraceRef& ref = at(request_refs, entry.request);
    return ref.trace == entry.ref.trace && ref.span == entry.ref.span;
  }

  /// The bytes of the ledgers and trace references, as the memory budget
  /// counts them in the replay (its first pass could only estimate them: a
  /// deep chain's answers hold a part per service below).
  [[nodiscard]] std::uint64_t bytes() const {
    std::uint64_t total =
        marks.capacity() * sizeof(TaskMark) + backoff_ns.capacity() * sizeof(std::int64_t) +
        (exchange_refs.capacity() + attempt_refs.capacity() + request_refs.capacity()) *
            sizeof(TraceRef) +
        at_pods.capacity() * sizeof(TracedAtPod) + timeline_bytes;
    for (const SlowestGroup& group : slowest) {
      total += group.bytes();
    }
    for (const RunningSlowest& group : running) {
      total += group.bytes();
    }
    for (const LedgerSum& start : interval_start) {
      total += start.bytes();
    }
    for (const auto* ledgers : {&tasks, &attempts, &exchanges}) {
      total += ledgers->capacity() * sizeof(Ledger);
      for (const Ledger& ledger : *ledgers) {
        total += ledger.capacity() * sizeof(Ledger::Part);
      }
    }
    return total;
  }

  /// The slot of `id`, made with the slots before it on first use. Inlined:
  /// called a few times per event of an observing pass, its call cost more
  /// than its test (5% of an attributed run).
  template <class T>
  [[gnu::always_inline]] static T& at(std::vector<T>& slots, Id id) {
    if (id >= slots.size()) [[unlikely]] {
      grow(slots, id);
    }
    return slots[id];
  }
  template <class T>
  [[gnu::always_inline]] static T& at(Slots<T>& slots, Id id) {
    if (id >= slots.size()) [[unlikely]] {
      grow(slots, id);
    }
    return slots[id];
  }
  template <class Container>
  [[gnu::noinline, gnu::cold]] static void grow(Container& slots, Id id) {
    slots.resize(std::max<std::size_t>(id + 1, slots.size() * 2));
  }
};

// Each mechanism's state: one struct per mechanism, a member of Simulation.

/// Workloads (kernel.cpp): the clients of each path.
struct ClientState {
  std::vector<WorkloadState> workloads;
  std::uint64_t open_requests = 0;           ///< client requests not finished
  std::vector<std::uint64_t> arrival_index;  ///< client exchanges: their arrival number (traces)
};

/// Calls and their attempts (kernel.cpp).
struct CallState {
  engine::Pool<Exchange> exchanges;
  engine::Pool<Attempt> attempts;
  std::vector<EdgeState> edges;
  std::unordered_map<std::uint64_t, std::uint32_t> bulkheads;  ///< (pod, policy) -> in flight
  /// Can a caller ever give up on an attempt (a timeout, a hedge or a
  /// deadline anywhere), or has a pod's work been killed? When not, no work
  /// can be wasted and the walk up the call chain (is_orphaned) is skipped.
  bool can_abandon = false;
};

/// Requests at services and the tasks of their step programs (kernel.cpp).
struct WorkState {
  engine::Pool<Request> requests;
  engine::Pool<Task> tasks;
  engine::IdStack ready;  ///< tasks to continue before the next event
};

/// Every pod ever made and each service's view of its own (kernel.cpp for
/// the balancer and the workers, pod_lifecycle.cpp for their lives).
struct Fleet {
  std::vector<Pod> pods;
  std::vector<ServiceState> services;
};

/// Processor sharing on each pod (kernel.cpp).
struct CpuState {
  engine::IdStack dirty_pods;  ///< pods whose completion event may have moved
};

/// Faults in effect (faults.cpp); a slow, failing or down service's state is
/// in its ServiceState.
struct FaultState {
  /// Pairs of services cut apart now, once per partition that lasts: two
  /// overlapping partitions of one pair keep it cut until both end.
  std::vector<std::pair<Id, Id>> partitions;
  /// The slow, fail, down and cpu faults lasting now, in the order they
  /// started: of those of one kind on one service, the last decides.
  std::vector<Id> lasting;
  /// Has a fault killed a pod? Until then no request is `killed`, and the
  /// check per step is skipped.
  bool has_killed_pods = false;
};

/// Garbage-collection pauses (gc.cpp): by pod, when its current pause
/// started (grown as pods with `gc` start).
struct GcState {
  std::vector<Time> pause_started;
};

/// Pod memory (memory.cpp): by service, the OOM kills, container restarts
/// and evictions since the run started (the time series' gauges); a pod's
/// back-off is in its Pod.
struct MemoryState {
  struct Counts {
    std::uint64_t oom_kills = 0;
    std::uint64_t restarts = 0;
    std::uint64_t evictions = 0;
  };
  std::vector<Counts> services;
};

/// One batch step's requests waiting on one pod, in order of arrival
/// (batching.cpp). `Waiter::id` is the task.
struct Batcher {
  std::deque<Waiter> waiting;
  Time timer = Time::max();  ///< its batch_due event in the queue; max: none
};

/// A batch in service (batching.cpp).
struct Batch {
  std::vector<Id> tasks;  ///< empty once its pod was killed
  Id batcher = 0;
  Time started{};
  Time due{};               ///< when it could have left, had a GPU been free
  double work_ns = 0;       ///< its demand: CPU work, or GPU time
  double throttled_at = 0;  ///< a CPU batch: its pod's throttled_ns when it started
  double paused_at = 0;     ///< ... and paused_ns
  double contended_at = 0;  ///< ... and contended_ns
  double warmup_share = 0;  ///< a CPU batch: the part of its demand warm-up added
  bool on_gpu = false;
};

/// Batch steps (batching.cpp): a batcher per (pod, batch step), grown as
/// pods are made, and the batches in service.
struct BatchState {
  /// A CPU batch's job on its pod's processor sharing is its id with this
  /// bit set; tasks' ids never reach it.
  static constexpr Id job_bit = Id{1} << 31;
  std::vector<Batcher> batchers;         ///< pod * steps + step
  std::vector<std::uint32_t> busy_gpus;  ///< by pod
  engine::Pool<Batch> batches;
};

/// The cluster's nodes and the pods waiting for room (cluster.cpp).
struct ClusterState {
  std::vector<Node> nodes;
  std::deque<Id> pending_pods;     ///< waiting for a node, in order of creation
  std::uint32_t provisioning = 0;  ///< nodes asked for and not joined yet
  /// A pod fits a node whose free cores fall short of its request by no more
  /// than this: sums of requests such as 0.1 + 0.2 round.
  static constexpr double fit_slack = 1e-9;
  Time pending_since{};
  /// The pods' CPU goes through their nodes (node.cpp): a model with a
  /// cluster.
  bool shares_cores = false;
  Time capacity_since{};  ///< the nodes' cores are recorded up to here
  // The cluster autoscaler's scale-down (cluster_autoscaler.cpp).
  std::uint32_t removed_nodes = 0;    ///< nodes removed: their entries stay in `nodes`
  std::optional<Time> last_scale_up;  ///< when nodes were last asked for
  std::optional<Id> draining;         ///< the non-empty node being drained (one at a time)
  /// The nodes that exist: up or draining.
  [[nodiscard]] std::uint32_t live_nodes() const {
    return static_cast<std::uint32_t>(nodes.size()) - removed_nodes;
  }
};

/// The autoscalers (autoscaling.cpp).
struct AutoscalingState {
  std::vector<AutoscalerState> autoscalers;
};

/// The message queues (queues.cpp).
struct BrokerState {
  std::vector<QueueState> queues;
  std::uint64_t open_messages = 0;  ///< messages in queues or being consumed
};

/// The caches (caches.cpp); pod-scope instances are in their Pod.
struct CacheState {
  std::vector<std::optional<CacheInstance>> shared;
  std::vector<std::optional<engine::ZipfSampler>> zipf;  ///< per cache with Zipf keys
};

/// The time series and the backlog samples (time_series.cpp).
/// One pod's own series (pod_series.cpp), from the interval it was made in
/// to the one it went in.
struct PodTrack {
  std::size_t first = 0;     ///< the interval it was made in
  double core_mark_ns = 0;   ///< its used_core_ns when the last interval closed
  double gc_pause_ns = 0;    ///< its pauses that ended in the interval open now
  bool ended = false;        ///< gone, its last interval closed
  std::vector<double> node;  ///< with a cluster: the index of its node; NaN while pending
  std::vector<double> cores;
  std::vector<double> memory_bytes;  ///< with `memory`
  std::vector<double> restarts;      ///< with `memory`
  std::vector<double> gc_pause_s;    ///< with `gc`
};

/// What one pod takes of the engine's own structures, for the memory budget:
/// itself, its id among its service's members, and its own series' track
/// (kept with a cluster, `memory` or `gc`; counted always, as the budget
/// must be known before the first pod is made).
inline constexpr std::uint64_t pod_bytes = sizeof(Pod) + sizeof(Id) + sizeof(PodTrack);

/// The pods' own series (pod_series.cpp): kept with a cluster, `memory` or
/// `gc`, where what happens to one pod is not what happens to its service.
struct PodSeriesState {
  bool on = false;
  std::vector<PodTrack> pods;  ///< by pod id
  std::size_t closed = 0;      ///< intervals closed so far
  std::uint64_t values = 0;    ///< numbers kept, for the memory budget
};

struct SeriesState {
  SeriesState(std::size_t workloads, Time window_start, Time window_end)
      : backlog(workloads, window_start, window_end) {}
  Time next_interval = Time::max();         ///< the end of the time series' current interval
  std::vector<std::vector<double>> gauges;  ///< per gauge, a value per interval
  PodSeriesState pods;                      ///< pod_series.cpp
  BacklogWatch backlog;                     ///< each workload's backlog, for `unstable`
  Time next_due = Time::max();              ///< catch_up's next: an interval's end or a sample
};

/// The engine. `Observe`: a replay that records attribution and traces; the
/// first pass, and every run that asks for neither, compiles without a trace
/// of those hooks.
template <bool Observe>
class Simulation {
 public:
  /// `observe`: a replay that records tail attribution, with each path's
  /// p99 from the first pass.
  Simulation(const plan::Plan& plan, const RunLimits& limits,
             std::unique_ptr<Observation> observe = nullptr);
  stats::Results run();

 private:
  // -------- kernel.cpp: the hot unit
  // [[gnu::always_inline]] marks the short steps every request takes (it
  // arrives, starts, spawns its task, touches its pod's CPU, finishes). Left
  // to its size heuristics, GCC keeps them as calls whose saved registers
  // cost more than their bodies; callgrind measures the difference
  // (bench/README.md, "Instruction counts").

  // Workloads
  void start_workloads();
  [[gnu::always_inline]] void schedule_next_arrival(Id w);
  void on_arrival(Id w);
  void on_burst_toggle(Id w);
  void start_client_request(Id w);
  [[gnu::always_inline]] void finish_client_request(Id x, const Exchange& exchange,
                                                    Outcome outcome);

  // Calls, their attempts and the network
  /// `key`: the new exchange's (Exchange::key).
  void start_call(Id task, Id site, bool joins_parent, std::uint64_t key);
  void start_attempt(Id exchange, bool is_hedge = false);
  [[gnu::always_inline]] void start_plain_attempt(Id exchange);
  void on_hedge_due(Id exchange);
  void forget_attempt(Exchange& exchange, Id attempt);
  void attempt_done(Id attempt, Outcome outcome);
  void attempt_failed(Id exchange, Outcome outcome);
  void exchange_done(Id exchange, Outcome outcome);
  void send_request(Id attempt);
  void on_request_delivered(Id attempt);
  [[gnu::always_inline]] void on_plain_request_delivered(Id exchange);
  /// Request `r`, just made by make_request, arrives at its service.
  [[gnu::always_inline]] void receive(Id r);
  /// A new request arriving now, every field stored straight into its slot:
  /// a value built on the stack and copied in is read back in 16-byte halves
  /// across the narrower stores that have just written it, and the processor
  /// waits for them (perf put most of the callers' time on that copy).
  [[gnu::always_inline]] Id make_request(Id sender, std::uint32_t generation, Id endpoint,
                                         Time deadline, bool is_plain, std::uint64_t key,
                                         const Exchange& ex) {
    static_assert(sizeof(Request) == 48, "make_request sets every field of a Request");
    const Id r = work_.requests.allocate_slot();
    Request& req = work_.requests[r];
    req.sender = sender;
    req.sender_generation = generation;
    req.endpoint = endpoint;
    req.pod = no_id;
    req.arrived = now_;
    req.deadline = deadline;
    req.holds_worker = false;
    req.killed = false;
    req.is_plain = is_plain;
    req.caller_request =
        ex.kind == ExchangeKind::call ? work_.tasks[ex.caller_task].request : no_id;
    req.key = key;
    return r;
  }
  /// A new exchange of `kind` starting now (a client request has no caller
  /// task and no site), every field stored in its slot (make_request says why).
  [[gnu::always_inline]] Id make_exchange(ExchangeKind kind, Id caller_task, Id workload, Id site,
                                          Id policy, Id edge, Id target_endpoint, bool joins_parent,
                                          std::uint64_t key) {
    static_assert(sizeof(Exchange) == 104, "make_exchange sets every field of an Exchange");
    const Id x = calls_.exchanges.allocate_slot();
    Exchange& ex = calls_.exchanges[x];
    ex.caller_task = caller_task;
    ex.workload = workload;
    ex.queue = no_id;
    ex.published = Time{};
    ex.deliveries = 0;
    ex.site = site;
    ex.policy = policy;
    ex.edge = edge;
    ex.target_endpoint = target_endpoint;
    ex.started = now_;
    ex.deadline = Time::max();
    ex.attempts = 0;
    ex.kind = kind;
    ex.previous_backoff_ns = 0;
    ex.joins_parent = joins_parent;
    ex.is_plain = plan_.edges[edge].is_plain;
    ex.answer = Outcome::ok;
    ex.holds_retry_slot = false;
    ex.hedges = 0;
    ex.in_flight = 0;
    ex.first_attempt = no_id;
    ex.key = key;
    return x;
  }
  /// Answers request `r` without serving it (refused, no pod, rejected).
  void turn_away(Id r, Outcome outcome) {
    const Request req = work_.requests[r];
    work_.requests.release(r);
    respond(req, outcome);
  }
  void respond_plain(const Request& request, Outcome outcome);
  void respond(const Request& request, Outcome outcome);
  void on_response_delivered(Id attempt);
  /// What network_delay says of a message that is lost: never delivered.
  static constexpr Duration lost_message = Duration::min();
  /// The time a message of call site `site` takes from service `from` to
  /// `to`, or `lost_message`. Inline for the common instant link. (Not an optional:
  /// returned through memory, its flag byte is stored and its 8 bytes are
  /// loaded back at once, a load the processor cannot forward and waits for.)
  /// `key`: the message's, for its draws (loss, latency).
  [[gnu::always_inline]] Duration network_delay(const plan::CallSite& site, Id from, Id to,
                                                std::uint64_t key) {
    if (site.is_instant && faults_.partitions.empty()) [[likely]] {
      return Duration{0};
    }
    return sample_network(plan_.links[site.link], from, to, key);
  }
  Duration sample_network(const plan::Link& link, Id from, Id to, std::uint64_t key);
  Id caller_service(const Exchange& exchange) const;
  /// Can `request`'s answer no longer reach its client? True when a caller
  /// anywhere up its chain of calls (its own, its caller's, ...) gave up on
  /// the attempt that led to it, or the request that made it is gone.
  bool is_orphaned(const Request& request) const;

  // Pods, workers and requests
  /// `key`: the request's, for a random balancer's draws.
  [[gnu::always_inline]] Id choose_pod(Id service, std::uint64_t key);
  [[gnu::always_inline]] void start_request(Id request);
  /// start_request for an endpoint of one cpu step (Plan::Endpoint::lone_cpu).
  void start_lone_cpu(Id request);
  [[gnu::always_inline]] void finish_request(Id request, Outcome outcome);
  /// A request or an async cpu op gives its worker back; the next waiter, if
  /// any, takes it. Inline: the pod's queue is usually empty.
  void release_worker(Id pod_id) {
    Pod& pod = fleet_.pods[pod_id];
    --pod.busy_workers;
    if (!pod.waiting.empty()) [[unlikely]] {
      start_next_waiter(pod_id);
    }
  }
  void start_next_waiter(Id pod);
  [[gnu::always_inline]] void enqueue(Id pod, Waiter waiter);
  [[gnu::always_inline]] void note_waiting(Id service, std::int64_t change);
  void reject_waiter(Id pod, const Waiter& waiter);

  // Step programs
  void ready(Id task) {
    if (work_.ready.full()) [[unlikely]] {
      ready_full();
    }
    work_.ready.push_unchecked(task);
  }
  /// Grows the list of tasks ready to go on. One event's continuations
  /// rarely fill its first 64 places: far more means the steps of a loop
  /// that takes no time, which ready_full stops (driver.cpp).
  [[gnu::cold, gnu::noinline]] void ready_full();
  void drain_ready();
  void continue_task(Id task);
  bool execute(Id task);
  [[gnu::always_inline]] void finish_task(Id task);
  /// finish_task for a task whose pod was killed, kept out of line: it is
  /// rare, and an inlined copy of finish_task would crowd continue_task.
  [[gnu::cold, gnu::noinline]] void finish_killed_task(Id task);
  /// A new task of `request` running `block`; `waited`: the request's time
  /// waiting for a worker (its root task), for attribution.
  /// `key`: the new task's (Task::key).
  [[gnu::always_inline]] Id spawn(Id parent, Id request, Id block, std::uint64_t key,
                                  Duration waited = Duration{0});
  /// spawn without the turn in the ready list: the caller runs its first step.
  [[gnu::always_inline]] Id spawn_unready(Id parent, Id request, Id block, std::uint64_t key,
                                          Duration waited);
  /// A cpu step's work on `pod`: its draw from `key`, times the service's
  /// cpu factor (a cpu fault) and the pod's warm-up slowdown.
  [[gnu::always_inline]] double cpu_demand(const plan::Op& op, std::uint64_t key, const Pod& pod);
  [[gnu::always_inline]] std::uint32_t draw_count(Id task, const plan::Op& op);

  // CPU
  /// A new pod's CPU demand multiplier (pod.warmup): the slowdown when it
  /// turns ready, falling linearly to 1.
  [[nodiscard, gnu::always_inline]] double warmup_factor(const Pod& pod) const {
    const plan::Service& svc = plan_.services[pod.service];
    if (!pod.life.is_cold || svc.warmup <= Duration::zero() ||
        now_ - pod.life.ready_at >= svc.warmup) {
      return 1.0;
    }
    const double left = 1.0 - to_seconds(now_ - pod.life.ready_at) / to_seconds(svc.warmup);
    return 1.0 + (svc.warmup_slowdown - 1.0) * left;
  }
  /// Task `task`, of a request on pod `pod`, starts a cpu op of `work_ns`.
  [[gnu::always_inline]] void start_cpu(Id task, Id pod, double work_ns);
  [[gnu::always_inline]] void touch_cpu(Id pod);
  /// note_held_back_cpu's part for busy requests the quota or a pause
  /// stopped since the pod's CPU last moved on (gc.cpp).
  void note_stopped_cpu(Pod& pod);
  void on_cpu_done(Id pod);
  void reschedule_dirty_pods();

  // -------- faults.cpp: kill, slow, fail, down, partition, cpu and flush faults
  // The hooks of a fault that acts on requests (slow, fail, down) are in
  // ServiceState, read by receive() and start_request().
  void on_fault(Id fault, bool starts);
  /// Sets `service`'s state of `kind` from `fault` (the one of that kind
  /// lasting there that started last), or back to its own when none does.
  void apply_fault(Id service, plan::FaultKind kind, const plan::Fault* fault);
  void kill_pods(Id service, std::uint32_t count, Id stream);
  /// Ready pod `pod` dies (a kill fault, an eviction): its work fails, and
  /// its ReplicaSet makes a new pod through the whole startup.
  void replace_pod(Id pod, Id startup_stream);
  void fail_pod_work(Id pod);

  /// Are services `a` and `b` cut apart by a partition now?
  bool is_partitioned(Id a, Id b) const;

  // -------- pod_lifecycle.cpp: pods made, ready, terminated; the capacity they give
  /// Records a service's CPU capacity and replicas up to now: called before
  /// either changes.
  void note_capacity(Id service);
  Id create_pod(Id service, bool is_initial, Id startup_stream);
  void start_pod(Id pod, bool is_initial, Id startup_stream);
  /// The pod's container starts (again, after an OOM kill): it turns ready at
  /// the first readiness probe after its startup time.
  void start_container(Id pod, Id startup_stream);
  void make_ready(Id pod);
  void on_pod_ready(Id pod);
  void scale_to(Id service, std::int32_t desired);
  void terminate_pod(Id pod);
  void on_grace_end(Id pod);
  void finish_termination(Id pod);
  /// Pods of `service` created and not ready yet (pending or starting).
  std::uint32_t starting_pods(Id service) const;
  void pod_gone(Id pod);
  /// Integrates the requests `pod` holds up to now, when an autoscaler on
  /// concurrency reads it (inline: it is called for every request).
  void note_held(Pod& pod) {
    if (pod.metrics.tracks_held) {
      pod.metrics.held_ns += static_cast<double>(pod.active) *
                             static_cast<double>((now_ - pod.metrics.held_since).count());
      pod.metrics.held_since = now_;
    }
  }

  // -------- gc.cpp: garbage-collection pauses that stop a pod's CPU
  /// Schedules the first pause of a pod whose service has `gc`, as it starts.
  void start_gc(Id pod);
  void on_gc_toggle(Id pod);
  /// The pauses still going on at `finished`, for the results.
  void gc_results(Time finished);

  // -------- node.cpp: the pods on a node share its cores
  /// After `pod`'s CPU changed at `now_`: tells its node the cores it wants
  /// now, and shares the node again if that matters.
  void node_wants_changed(Id pod);
  void share_node(Id node);
  /// The speed `claim`'s grant gives its pod; touches the pod if it changes.
  void set_node_speed(Id pod, NodeClaim& claim, bool contended);
  /// The pod joins or leaves its node's sharing.
  void join_node(Id pod, Id node);
  void leave_node(Id pod);
  void start_node(Id node);
  void on_neighbours_change(Id node);
  /// Brings `node`'s neighbours' use up to now.
  void note_neighbours(Node& node);
  /// The nodes' cores up to now (for their utilization): before their
  /// number changes.
  void note_node_capacity();
  /// The time series: each node's use over the interval that ends now.
  void close_node_interval(Duration interval);
  /// The nodes' sharing up to `finished`, for the results.
  void node_results(Time finished);
  /// touch_cpu's accounting of busy requests the quota or a pause stopped,
  /// or the node slowed.
  [[gnu::cold, gnu::noinline]] void note_held_back_cpu(Pod& pod);
  void note_slowed_cpu(Pod& pod);
  // -------- memory.cpp: pod memory, OOM kills with CrashLoopBackOff, kubelet eviction
  /// Request `r` just arrived at `pod`, whose service has memory: if it takes
  /// the pod's memory above its limit the pod is OOMKilled, `r` fails with
  /// `error`, and this returns true (the caller is done with `r`).
  [[gnu::cold, gnu::noinline]] bool memory_arrival(Id pod, Id r);
  /// The memory pod `pod` uses now: base + per_request x requests it holds
  /// while its container runs (ready or terminating), 0 otherwise.
  [[nodiscard]] std::int64_t memory_in_use(const Pod& pod) const;
  void oom_kill(Id pod);
  void on_pod_restart(Id pod);
  void on_eviction_check();
  /// Schedules the first eviction check when the cluster has node_memory.
  void start_memory();
  // -------- batching.cpp: batch steps (inference servers)
  /// Task `task` reaches batch step `step`: it waits for its batch.
  bool join_batch(Id task, Id step);
  /// Starts the batches of batcher `b` that are due and have a server.
  void release_batches(Id batcher);
  void start_batch(Id batcher, std::uint32_t n);
  void on_batch_due(Id batcher);
  /// A batch is served: its tasks go on; a GPU batch frees its GPU.
  void finish_batch(Id batch);
  /// A GPU of `pod` is free: the due batch whose oldest request waited
  /// longest takes it.
  void start_gpu_batches(Id pod);
  /// Pod `pod` was killed: its waiting and running batches' tasks resume
  /// (and find their request killed).
  void fail_batches(Id pod);

  // -------- cluster.cpp: nodes, placement and the cluster autoscaler
  bool place_pod(Id pod);
  void request_nodes();
  void on_node_ready();
  void note_pending();

  // -------- cluster_autoscaler.cpp: the cluster autoscaler's scale-down
  /// Starts the scan loop, when the cluster has `scale_down`.
  void start_cluster_autoscaler();
  void on_cluster_scan();
  /// The share of `node` its pods request: the cluster autoscaler's utilization.
  [[nodiscard]] double node_request_share(Id node) const;
  /// Could `pods` (on `node`) all be placed on the other nodes that take pods?
  [[nodiscard]] bool fits_elsewhere(Id node, const std::vector<Id>& pods) const;
  /// Taints `node` and replaces `pods`, its pods not already terminating.
  void drain_node(Id node, const std::vector<Id>& pods);
  /// A pod left `node`, which is draining: the node goes once it is empty.
  void node_pod_gone(Id node);
  void remove_node(Id node);

  // -------- autoscaling.cpp: the horizontal pod autoscalers
  void start_autoscalers();
  Time window_edge(Id autoscaler, std::uint64_t sync, bool is_start) const;
  void schedule_snapshot(Id autoscaler);
  void on_snapshot(Id autoscaler);
  void take_snapshot(Id autoscaler);
  void on_autoscaler_sync(Id autoscaler);
  double queue_metric(const plan::Autoscaler& spec) const;

  // -------- queues.cpp: message queues
  bool publish(Id task, Id queue);
  void dispatch(Id queue);
  void finish_message(const Exchange& exchange, Outcome outcome);
  void on_redeliver(Id queue);
  void note_queue(Id queue);

  // -------- caches.cpp: cache steps
  CacheInstance& cache_instance(Id cache, Id task);
  bool start_cache(Id task, const plan::Op& op, engine::RandomStream& rng);
  bool continue_cache(Id task);

  /// A killed task was filling a cache key: the fill dies with it, and the
  /// tasks waiting for it fail.
  void abandon_fill(Id task);

  // -------- time_series.cpp: the time series and the backlog samples
  /// What is due before an event at `at`: the time series' intervals that
  /// ended and the backlog samples (BacklogWatch). Cold: it runs once per
  /// interval, and the loop tests one time for both.
  [[gnu::cold, gnu::noinline]] void catch_up(Time at);
  /// Every workload's backlog now.
  [[nodiscard]] std::vector<BacklogSample> backlog_samples() const;

  /// Before the first event: one series per gauge.
  void start_series();
  /// After the last event: the intervals up to `finished`, the last one partial.
  void finish_series(Time finished);
  /// The series and the markers, into `results`.
  void series_results(stats::Results& results);
  void close_interval(Time start, Time end);
  template <class Visit>
  void for_each_gauge(Visit visit);

  // -------- pod_series.cpp: each pod's own series
  /// Whether the model keeps pods' series: with a cluster, memory or GC.
  void start_pod_series();
  /// Each pod made by now gets the interval's values; a pod gone since the
  /// last one gets its last.
  void close_pod_interval(Duration interval);
  /// A GC pause of `pod` ended now, `paused` long.
  void note_pod_gc_pause(Id pod, Duration paused);
  /// Pods made since the last call get their (empty) series.
  void track_new_pods();
  void pod_series_results(stats::TimeSeries& series);
  std::vector<stats::TimeMarker> markers() const;
  /// What a fault does, in words: "slow db", "kill db (2 pods)".
  std::string fault_what(const plan::Fault& f) const;

  // -------- results.cpp: what the run measured
  /// What was measured, once the run has stopped at `finished`. Kept out of
  /// run() so the event loop stays small enough for the compiler to inline
  /// the event handlers into it.
  [[gnu::cold]] stats::Results results(Time finished, bool stopped_early);

  // -------- driver.cpp: the run's limits (the two-pass driver, simulate(), is there too)
  /// The checks made every 65,536 events: a stop asked for, the memory
  /// budget. True (with stop_reason_ set) when the run must stop.
  [[gnu::cold, gnu::noinline]] bool should_stop();
  /// The stop reason when time stood still for `count` events or steps.
  [[nodiscard]] std::string stalled_reason(std::uint64_t count, const char* what) const;
  /// The bytes of the run's live work, from its own structures (memory_budget.hpp).
  [[nodiscard]] LiveWork live_work() const;

  // -------- attribution.cpp: tail attribution; the observing pass (Observe) only
  void observe_spawn(Id task, Duration waited);
  [[gnu::always_inline]] void observe_suspend(Id task);
  void observe_resume(Id task);
  void observe_cpu_start(Id task);
  [[gnu::always_inline]] void observe_exchange_start(Id exchange);
  void observe_attempt_won(Id attempt);
  void observe_exchange_done(Id exchange, Outcome outcome);
  void observe_path(Id path, Time started, Outcome outcome);
  [[gnu::cold]] void attribution_results(stats::Results& results) const;

  // -------- tracing.cpp: traces of the requests the first pass chose; the observing pass only
  void trace_client_request(Id exchange, Id workload, std::uint64_t index);
  void trace_call(Id exchange, Id task);
  void trace_attempt(Id exchange, Id attempt, bool is_hedge);
  void trace_failed_fast(Id exchange, Outcome outcome);
  void trace_request_arrived(Id request);
  void trace_request_done(Id request, Outcome outcome);
  /// An internal span of a traced request: queue, cpu, delay, ...
  void trace_phase(Id request, const char* name, Time start, Time end);
  /// A GC pause of `pod` that started at `started` ends now (or the run
  /// ends): a `gc pause` span for each traced request still at the pod.
  void trace_gc_pause(Id pod, Time started);
  /// The node slows `pod` from now, or lets it run at full speed again:
  /// the traced cpu ops running on it get a "waiting for node cores" span
  /// for each stretch of their run the node slowed (node.cpp).
  void trace_slowed(Id pod, bool slowed);
  /// A traced cpu op of task `t` ends now on `pod`, which its node slows.
  void trace_slowed_op(Id t, Id pod);
  /// The part of `pod`'s current pause that traced request `at` met before
  /// `end`, as its `gc pause` span.
  void trace_gc_pause_of(const Observation::TracedAtPod& at, Time started, Time end);
  std::int32_t open_span(std::int32_t trace, std::int32_t parent, stats::SpanKind kind,
                         std::string name, std::string service, Id endpoint, Id pod);
  void close_span(std::int32_t trace, std::int32_t span, Outcome outcome, Time end);
  void close_span(const Observation::TraceRef& ref, Outcome outcome) {
    close_span(ref.trace, ref.span, outcome, now_);
  }
  [[gnu::cold]] void trace_results(stats::Results& results, Time finished);

  /// Puts an event of `kind` for `target` in the event queue, due at `at`.
  void schedule(Time at, EventKind kind, Id target, std::uint32_t generation = 0) {
    event_queue_.push(at, static_cast<std::uint32_t>(kind), target, generation);
  }

  // The kernel (kernel.cpp): the plan, the clock, the event queue, the
  // random streams and the recorder every mechanism reports to.
  const plan::Plan& plan_;
  RunLimits limits_;
  engine::EventQueue event_queue_;
  Time now_{};
  Time window_start_;
  Time window_end_;  ///< arrivals stop here
  Time end_;         ///< the drain ends here
  stats::Recorder recorder_;
  std::vector<engine::RandomStream> streams_;
  /// Random numbers per request (docs/semantics.md, "Random numbers per
  /// request"): each stream's names as a key (RandomStream::name_key), the
  /// same in any model that names the same step, and the run's root key.
  std::vector<std::uint64_t> stream_names_;
  std::uint64_t request_root_ = 0;
  /// Per workload: the key its requests' keys are mixed from with their
  /// arrival numbers, mix_key(request_root_, its stream's names).
  std::vector<std::uint64_t> workload_roots_;
  /// Per call policy with a timeout: the event queue's lane for the
  /// timeouts of its attempts (one lane per timeout duration), or no_lane.
  std::vector<std::uint32_t> timeout_lane_;
  static constexpr std::uint32_t no_lane = ~std::uint32_t{0};
  /// An attempt ends before its timeout: the timeout, if it waits in a lane,
  /// is cancelled there and never popped.
  void cancel_timeout(const Attempt& a, Id policy) {
    if (a.timeout_event != no_lane_event) {
      event_queue_.cancel_lane(timeout_lane_[policy], a.timeout_event);
    }
  }

  /// The key of the `part`-th thing step `op` of task `t` makes (a call, a
  /// child, a message; the repetition or the child's number), from the task's
  /// key and the step's names.
  [[nodiscard]] std::uint64_t step_key(Id t, const plan::Op& op, std::uint64_t part) const {
    return engine::RandomStream::part_key(
        engine::RandomStream::site_key(work_.tasks[t].key, stream_names_[op.stream]), part);
  }
  /// The stream of `key`'s draws at stream `stream`: a request's, a task's
  /// or a message's own, whoever else is drawing.
  [[nodiscard]] engine::RandomStream keyed_stream(std::uint64_t key, Id stream) const {
    return engine::RandomStream(engine::RandomStream::site_key(key, stream_names_[stream]));
  }
  std::uint64_t event_count_ = 0;
  /// The run stops after this event: RunLimits::max_events, or the event
  /// at which a check found a reason to stop.
  std::uint64_t event_limit_;
  std::string stop_reason_;  ///< why the run stopped before its end; empty when it did not
  /// Where should_stop last looked, to see simulated time stand still.
  struct Stall {
    Time at{};                    ///< the instant of the last check
    std::uint32_t unchanged = 0;  ///< checks in a row that found the same instant
  } stall_;

  // Each mechanism's state, under the name of the file that owns it.
  ClientState clients_;               ///< kernel.cpp, workloads
  CallState calls_;                   ///< kernel.cpp, calls and attempts
  WorkState work_;                    ///< kernel.cpp, requests, tasks and workers
  Fleet fleet_;                       ///< kernel.cpp and pod_lifecycle.cpp: pods and services
  CpuState cpu_;                      ///< kernel.cpp, CPU
  FaultState faults_;                 ///< faults.cpp
  ClusterState cluster_;              ///< cluster.cpp
  GcState gc_;                        ///< gc.cpp
  MemoryState memory_;                ///< memory.cpp
  BatchState batching_;               ///< batching.cpp
  AutoscalingState autoscaling_;      ///< autoscaling.cpp
  BrokerState brokers_;               ///< queues.cpp
  CacheState caches_;                 ///< caches.cpp
  SeriesState series_;                ///< time_series.cpp
  std::unique_ptr<Observation> obs_;  ///< attribution.cpp, tracing.cpp: set in a replay
  TraceChoice* choose_ = nullptr;     ///< the first pass of a run with traces: it offers requests
 public:
  void choose_traces(TraceChoice* choice) { choose_ = choice; }
  /// After run() of a one-pass observation: some path's slowest 1% was not
  /// covered by what the pass kept, and its group is empty.
  [[nodiscard]] bool slowest_uncovered() const { return obs_ && obs_->slowest_uncovered; }
};

// The short steps the cold units take too (a killed pod's work, a cache's
// miss steps, the time series' interval ends): defined here, so every unit
// can inline them.

template <bool Observe>
inline Id Simulation<Observe>::spawn(Id parent, Id request, Id block, std::uint64_t key,
                                     Duration waited) {
  const Id t = spawn_unready(parent, request, block, key, waited);
  ready(t);
  return t;
}

template <bool Observe>
inline Id Simulation<Observe>::spawn_unready(Id parent, Id request, Id block, std::uint64_t key,
                                             Duration waited) {
  static_assert(sizeof(Task) == 56, "spawn sets every field of a Task");
  const Id t = work_.tasks.allocate_slot();  // every field stored in place (make_request says why)
  Task& task = work_.tasks[t];
  task.request = request;
  task.parent = parent;
  task.next = plan_.blocks[block].begin;
  task.end = plan_.blocks[block].end;
  task.current = 0;
  task.remaining = 0;
  task.pending = 0;
  task.failure = Outcome::ok;
  task.holds_worker = false;
  task.cache_phase = 0;
  task.cache_hit = false;
  task.work_ns = 0;
  task.cache_key = 0;
  task.key = key;
  if constexpr (Observe) {
    observe_spawn(t, waited);
  }
  return t;
}

template <bool Observe>
inline void Simulation<Observe>::note_waiting(Id service, std::int64_t change) {
  ServiceState& state = fleet_.services[service];
  recorder_.queue_length(service, state.waiting_since, now_, static_cast<double>(state.waiting));
  state.waiting_since = now_;
  state.waiting = static_cast<std::uint64_t>(static_cast<std::int64_t>(state.waiting) + change);
}

template <bool Observe>
inline void Simulation<Observe>::touch_cpu(Id pod_id) {
  Pod& pod = fleet_.pods[pod_id];
  recorder_.cpu_busy(pod.service, pod.cpu.last_update(), now_, pod.cpu.busy_cores());
  pod.metrics.used_core_ns +=
      pod.cpu.busy_cores() * static_cast<double>((now_ - pod.cpu.last_update()).count());
  if (pod.cpu.is_held_back() && pod.cpu.busy() > 0) [[unlikely]] {
    note_held_back_cpu(pod);
  }
  pod.cpu.advance(now_);
  if (!pod.dirty) {
    pod.dirty = true;
    cpu_.dirty_pods.push(pod_id);
  }
}

/// What task `t` waits for from now on, for observe_resume to charge. Here,
/// not in attribution.cpp with the other observers: a task suspends at
/// every step that waits, and the call cost more than the work (1% of an
/// attributed run).
template <bool Observe>
inline void Simulation<Observe>::observe_suspend(Id t) {
  TaskMark& mark = Observation::at(obs_->marks, t);
  const Task& task = work_.tasks[t];
  mark.since = now_;
  mark.merged_at = Observation::at(obs_->tasks, t).total();
  mark.is_cpu = false;
  mark.warmup_share = 0;
  mark.what = Where::unaccounted;  // calls and children: their ledgers cover the wait
  switch (plan_.ops[task.current].kind) {
    case plan::OpKind::cpu:
      mark.is_cpu = true;
      if (const Id pod = work_.requests[task.request].pod; pod != no_id) {
        mark.warmup_share = 1.0 - 1.0 / warmup_factor(fleet_.pods[pod]);
      }
      break;
    case plan::OpKind::delay:
      mark.what = Where::delay;
      break;
    case plan::OpKind::batch:
      mark.what = Where::batch_wait;  // until its batch is served (observe_batch)
      break;
    case plan::OpKind::cache:
      mark.what = task.cache_phase == 1   ? Where::cache_lookup
                  : task.cache_phase == 3 ? Where::cache_wait
                                          : Where::unaccounted;
      break;
    default:
      break;
  }
}

/// A call or a client's request starts: its ledger and backoffs from
/// nothing. Inline, as observe_suspend, for every call pays it.
template <bool Observe>
inline void Simulation<Observe>::observe_exchange_start(Id x) {
  Observation::at(obs_->exchanges, x).clear();
  Observation::at(obs_->backoff_ns, x) = 0;
}

/// Instantiates one member function for both passes, in the unit that defines
/// it: its return type, then its name and parameter types, as in
/// `TAILSIM_SIMULATION_MEMBER(void, on_fault(Id, bool));`. (A whole-class
/// instantiation may appear once in a program; the class's members are
/// defined across several units.)
#define TAILSIM_SIMULATION_MEMBER(type, ...)    \
  template type Simulation<false>::__VA_ARGS__; \
  template type Simulation<true>::__VA_ARGS__

}  // namespace tailsim::components::sim
