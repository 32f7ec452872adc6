#include "tailsim/components/simulation.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <deque>
#include <limits>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "critical_path.hpp"
#include "tailsim/components/backlog_watch.hpp"
#include "tailsim/components/circuit_breaker.hpp"
#include "tailsim/components/hpa_controller.hpp"
#include "tailsim/components/lru_cache.hpp"
#include "tailsim/components/memory_budget.hpp"
#include "tailsim/components/processor_sharing.hpp"
#include "tailsim/components/rate_schedule.hpp"
#include "tailsim/components/retry_policy.hpp"
#include "tailsim/engine/event_queue.hpp"
#include "tailsim/engine/id_stack.hpp"
#include "tailsim/engine/pool.hpp"
#include "tailsim/engine/random_stream.hpp"
#include "tailsim/engine/zipf.hpp"
#include "tailsim/stats/recorder.hpp"
#include "trace_choice.hpp"

namespace tailsim::components {
namespace {

using plan::Id;
using plan::no_id;
using stats::Outcome;

/// What an event asks for; `target` names the object it concerns.
enum EventKind : std::uint32_t {
  workload_arrival,          ///< target: workload
  burst_toggle,              ///< target: workload
  request_delivered,         ///< target: call; the request reached the callee
  response_delivered,        ///< target: call; the response reached the caller
  plain_request_delivered,   ///< target: exchange of a plain call (no Call object)
  plain_response_delivered,  ///< target: exchange of a plain call
  cpu_done,                  ///< target: pod; its timer: never stale
  delay_done,                ///< target: task
  attempt_timeout,           ///< target: call; the caller stops waiting for this attempt
  retry_due,                 ///< target: exchange; its backoff is over
  hedge_due,                 ///< target: exchange; no answer yet: send another copy
  redeliver,                 ///< target: queue; a failed message's redelivery delay is over
  fault_start,               ///< target: fault
  fault_end,                 ///< target: fault
  pod_ready,                 ///< target: pod; its readiness probe passes
  pod_grace_end,             ///< target: pod; its termination grace period is over
  autoscaler_sync,           ///< target: autoscaler; the controller's loop comes round
  metrics_snapshot,          ///< target: autoscaler; a window of its metric starts or ends
  node_ready,                ///< target: none; a node the cluster autoscaler asked for joins
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
};
static_assert(sizeof(Task) == 48, "a task stays small: the hot loop copies and zeroes it");

/// One instance of a cache: shared by a service's fleet, or one pod's own.
struct CacheInstance {
  LruCache lru{0, Duration{0}};
  std::unordered_map<std::uint64_t, std::vector<Id>> filling;  ///< key -> tasks waiting
};

/// One attempt being served at a service. When the caller has given up on
/// the attempt (its call is no longer current), the work goes on but its
/// answer goes nowhere: wasted work.
struct Request {
  /// The attempt it serves: a Call, or for a plain call (is_plain) the
  /// Exchange itself, which then has no Call object at all.
  Id call = no_id;
  std::uint32_t call_generation = 0;
  Id endpoint = 0;
  Id pod = no_id;  ///< no pod at external services
  Time arrived{};
  Time deadline = Time::max();  ///< when deadlines propagate
  bool holds_worker = false;
  bool killed = false;    ///< its pod was killed: it already answered `error`
  bool is_plain = false;  ///< `call` names an Exchange (a call without a policy)
};

/// A logical call, over all its attempts: a `call` step, or a workload's
/// request (no caller task: the client).
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
  double previous_backoff_ns = 0;
  bool joins_parent = false;  ///< made by a parallel step for one of its children
  /// Its edge uses no policy (plan::Edge::is_plain): one attempt, made
  /// without a Call object; the request refers to the exchange directly.
  bool is_plain = false;
  Outcome answer = Outcome::ok;   ///< plain calls: the answer on its way back
  bool holds_retry_slot = false;  ///< a retry decided, counted against the budget
  std::uint32_t hedges = 0;       ///< hedged copies sent
  std::uint32_t in_flight = 0;    ///< attempts (copies) outstanding
  Id first_call = no_id;          ///< the outstanding attempts, linked by Call::next_copy
};

/// One attempt in flight, as its caller sees it.
struct Call {
  Id exchange = no_id;
  Id target_endpoint = 0;
  Id bulkhead_pod = no_id;  ///< the caller pod whose bulkhead this call holds
  Time sent{};
  Time deadline = Time::max();
  Outcome outcome = Outcome::ok;
  Id next_copy = no_id;  ///< the exchange's next outstanding attempt (hedging)
  bool is_retry = false;
  bool is_hedge = false;
};

/// What the calls of one caller to one endpoint share.
struct EdgeState {
  RetryLimits limits;
  std::optional<CircuitBreaker> breaker;
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

struct Pod {
  Id service = 0;
  PodPhase phase = PodPhase::ready;
  std::vector<std::optional<CacheInstance>> caches;  ///< pod-scope caches, by cache id
  Time created{};
  Time started{};             ///< placed on a node: its startup began
  Time ready_at{};            ///< when it started taking requests
  Id node = no_id;            ///< with a cluster
  bool is_cold = false;       ///< started during the run: warms up (pod.warmup)
  std::uint32_t ordinal = 0;  ///< its service's pods made before it: "<service>-<ordinal>"
  // What an autoscaler reads: cumulative since the pod became ready.
  double used_core_ns = 0;  ///< CPU used
  double throttled_ns = 0;  ///< time its busy CPU was stopped by the quota (attribution)
  double held_ns = 0;       ///< requests held, integrated over time
  Time held_since{};        ///< held_ns is up to date to here
  std::uint64_t arrivals = 0;
  bool tracks_held = false;  ///< an autoscaler on concurrency reads held_ns
  ProcessorSharing cpu;
  std::uint32_t busy_workers = 0;
  std::uint32_t active = 0;  ///< requests at the pod, for least-request balancing
  std::deque<Waiter> waiting;
  Time scheduled = Time::max();  ///< the cpu completion event in the queue; max: none
  bool dirty = false;
};

/// A message waiting in a queue.
struct Message {
  Time published{};
  Time due{};                    ///< redeliveries: not before
  std::uint32_t deliveries = 0;  ///< made so far
};

struct QueueState {
  std::deque<Message> waiting;
  std::deque<Message> delayed;  ///< waiting out their redelivery delay, in order of `due`
  std::uint32_t in_flight = 0;
  std::uint64_t open_measured = 0;  ///< measured messages not processed nor dead yet
  stats::QueueResult totals;
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
  stats::AutoscalerResult result;
};

/// A node of the cluster and the CPU its pods have not requested.
struct Node {
  double free_cores = 0;
};

struct WorkloadState {
  std::uint64_t open = 0;  ///< client requests not finished, measured or not
  std::optional<RateSchedule> schedule;
  bool burst_on = false;
  std::size_t trace_next = 0;
  bool started = false;             ///< the first arrival has been scheduled
  std::uint64_t open_measured = 0;  ///< measured requests not finished yet
  std::uint64_t arrivals = 0;       ///< client requests made, warm-up included
};

/// Where a task stopped, for the critical-path ledger: set when it suspends,
/// settled when it resumes.
struct TaskMark {
  Time since = Time::min();    ///< Time::min(): not suspended
  std::int64_t merged_at = 0;  ///< its ledger's total then: what arrives later was merged
  Time cpu_started{};          ///< a cpu op: when it got its worker and started to run
  double throttled_at = 0;     ///< a cpu op: its pod's throttled_ns then
  double warmup_share = 0;     ///< a cpu op: the part of its demand a cold pod's warm-up added
  Where what = Where::unaccounted;
  bool is_cpu = false;
};

/// What a replay records that the first pass does not: the critical-path
/// ledgers of everything in flight and their sums per path. Indexed by pool
/// ids; an entry is reset when its object is made and emptied once merged
/// into its caller's, so finished work keeps no ledger (in a deep chain each
/// holds a part per service below it: kept, they grew quadratically).
struct Observation {
  std::vector<std::int64_t> slow_from_ns;  ///< per path: the first pass's p99
  std::vector<Ledger> tasks;
  std::vector<TaskMark> marks;
  std::vector<Ledger> calls;
  std::vector<Ledger> exchanges;
  std::vector<std::int64_t> backoff_ns;  ///< per exchange: its retries' backoffs so far
  Ledger answer;                         ///< a finished request's ledger, on its way to its caller
  Ledger done;                     ///< a finished call's ledger, on its way to the caller task
  std::vector<LedgerSum> all;      ///< per path: its successful measured requests
  std::vector<LedgerSum> slowest;  ///< per path: those at or above slow_from_ns

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
  std::vector<TraceRef> exchange_refs;
  std::vector<TraceRef> call_refs;
  std::vector<TraceRef> request_refs;

  /// The bytes of the ledgers and trace references, as the memory budget
  /// counts them in the replay (its first pass could only estimate them: a
  /// deep chain's answers hold a part per service below).
  [[nodiscard]] std::uint64_t bytes() const {
    std::uint64_t total =
        marks.capacity() * sizeof(TaskMark) + backoff_ns.capacity() * sizeof(std::int64_t) +
        (exchange_refs.capacity() + call_refs.capacity() + request_refs.capacity()) *
            sizeof(TraceRef);
    for (const auto* ledgers : {&tasks, &calls, &exchanges}) {
      total += ledgers->capacity() * sizeof(Ledger);
      for (const Ledger& ledger : *ledgers) {
        total += ledger.parts().capacity() * sizeof(Ledger::Part);
      }
    }
    return total;
  }

  template <class T>
  static T& at(std::vector<T>& slots, Id id) {
    if (id >= slots.size()) {
      slots.resize(std::max<std::size_t>(id + 1, slots.size() * 2));
    }
    return slots[id];
  }
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
  /// What was measured, once the run has stopped at `finished`. Kept out of
  /// run() so the event loop stays small enough for the compiler to inline
  /// the event handlers into it.
  [[gnu::cold]] stats::Results results(Time finished, bool stopped_early);
  /// What is due before an event at `at`: the time series' intervals that
  /// ended and the backlog samples (BacklogWatch). Cold: it runs once per
  /// interval, and the loop tests one time for both.
  [[gnu::cold, gnu::noinline]] void catch_up(Time at);
  /// The checks made every 65,536 events: a stop asked for, the memory
  /// budget. True (with stop_reason_ set) when the run must stop.
  [[gnu::cold, gnu::noinline]] bool should_stop();
  /// The bytes of the run's live work, from its own structures (memory_budget.hpp).
  [[nodiscard]] LiveWork live_work() const;
  /// Every workload's backlog now.
  [[nodiscard]] std::vector<BacklogSample> backlog_samples() const;

  // [[gnu::always_inline]] marks the short steps every request takes (it
  // arrives, starts, spawns its task, touches its pod's CPU, finishes). Left
  // to its size heuristics, GCC keeps them as calls whose saved registers
  // cost more than their bodies; callgrind measures the difference
  // (bench/README.md, "Instruction counts").

  // Workloads
  void start_workloads();
  void schedule_next_arrival(Id w);
  void on_arrival(Id w);
  void on_burst_toggle(Id w);
  void start_client_request(Id w);
  void finish_client_request(Id x, const Exchange& exchange, Outcome outcome);

  // Calls, their attempts and the network
  void start_call(Id task, Id site, bool joins_parent);
  void start_attempt(Id exchange, bool is_hedge = false);
  void start_plain_attempt(Id exchange);
  void on_hedge_due(Id exchange);
  void forget_attempt(Exchange& exchange, Id call);
  void attempt_done(Id call, Outcome outcome);
  void attempt_failed(Id exchange, Outcome outcome);
  void exchange_done(Id exchange, Outcome outcome);
  void send_request(Id call);
  void on_request_delivered(Id call);
  [[gnu::always_inline]] void on_plain_request_delivered(Id exchange);
  /// Request `r`, just made by make_request, arrives at its service.
  void receive(Id r);
  /// A new request arriving now, every field stored straight into its slot:
  /// a value built on the stack and copied in is read back in 16-byte halves
  /// across the narrower stores that have just written it, and the processor
  /// waits for them (perf put most of the callers' time on that copy).
  [[gnu::always_inline]] Id make_request(Id call, std::uint32_t generation, Id endpoint,
                                         Time deadline, bool is_plain) {
    static_assert(sizeof(Request) == 40, "make_request sets every field of a Request");
    const Id r = requests_.allocate_slot();
    Request& req = requests_[r];
    req.call = call;
    req.call_generation = generation;
    req.endpoint = endpoint;
    req.pod = no_id;
    req.arrived = now_;
    req.deadline = deadline;
    req.holds_worker = false;
    req.killed = false;
    req.is_plain = is_plain;
    return r;
  }
  /// A new exchange starting now (a client request: no caller task and no
  /// site), every field stored in its slot (make_request says why).
  [[gnu::always_inline]] Id make_exchange(Id caller_task, Id workload, Id site, Id policy, Id edge,
                                          Id target_endpoint, bool joins_parent) {
    static_assert(sizeof(Exchange) == 96, "make_exchange sets every field of an Exchange");
    const Id x = exchanges_.allocate_slot();
    Exchange& ex = exchanges_[x];
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
    ex.previous_backoff_ns = 0;
    ex.joins_parent = joins_parent;
    ex.is_plain = plan_.edges[edge].is_plain;
    ex.answer = Outcome::ok;
    ex.holds_retry_slot = false;
    ex.hedges = 0;
    ex.in_flight = 0;
    ex.first_call = no_id;
    return x;
  }
  /// Answers request `r` without serving it (refused, no pod, rejected).
  void turn_away(Id r, Outcome outcome) {
    const Request req = requests_[r];
    requests_.release(r);
    respond(req, outcome);
  }
  void respond_plain(const Request& request, Outcome outcome);
  void respond(const Request& request, Outcome outcome);
  void on_response_delivered(Id call);
  /// What network_delay says of a message that is lost: never delivered.
  static constexpr Duration lost_message = Duration::min();
  /// The time a message of call site `site` takes from service `from` to
  /// `to`, or `lost_message`. Inline for the common instant link. (Not an optional:
  /// returned through memory, its flag byte is stored and its 8 bytes are
  /// loaded back at once, a load the processor cannot forward and waits for.)
  [[gnu::always_inline]] Duration network_delay(const plan::CallSite& site, Id from, Id to) {
    if (site.is_instant && partitions_.empty()) [[likely]] {
      return Duration{0};
    }
    return sample_network(plan_.links[site.link], from, to);
  }
  Duration sample_network(const plan::Link& link, Id from, Id to);
  Id caller_service(const Exchange& exchange) const;
  bool is_orphaned(Id request) const;

  // Pods, workers and requests
  [[gnu::always_inline]] Id choose_pod(Id service);
  [[gnu::always_inline]] void start_request(Id request);
  [[gnu::always_inline]] void finish_request(Id request, Outcome outcome);
  /// A request or an async cpu op gives its worker back; the next waiter, if
  /// any, takes it. Inline: the pod's queue is usually empty.
  void release_worker(Id pod_id) {
    Pod& pod = pods_[pod_id];
    --pod.busy_workers;
    if (!pod.waiting.empty()) [[unlikely]] {
      start_next_waiter(pod_id);
    }
  }
  void start_next_waiter(Id pod);
  void enqueue(Id pod, Waiter waiter);
  [[gnu::always_inline]] void note_waiting(Id service, std::int64_t change);
  void reject_waiter(Id pod, const Waiter& waiter);

  // Faults
  void on_fault(Id fault, bool starts);
  void kill_pods(Id service, std::uint32_t count, Id stream);
  void note_capacity(Id service);
  void fail_pod_work(Id pod);

  // Pod lifecycle, autoscalers and the cluster
  Id create_pod(Id service, bool is_initial, Id startup_stream);
  void start_pod(Id pod, bool is_initial, Id startup_stream);
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
    if (pod.tracks_held) {
      pod.held_ns +=
          static_cast<double>(pod.active) * static_cast<double>((now_ - pod.held_since).count());
      pod.held_since = now_;
    }
  }
  void start_autoscalers();
  Time window_edge(Id autoscaler, std::uint64_t sync, bool is_start) const;
  void schedule_snapshot(Id autoscaler);
  void on_snapshot(Id autoscaler);
  void take_snapshot(Id autoscaler);
  void on_autoscaler_sync(Id autoscaler);
  double queue_metric(const plan::Autoscaler& spec) const;
  bool place_pod(Id pod);
  void request_nodes();
  void on_node_ready();
  void note_pending();

  // Tail attribution (a replay only: obs_ is set)
  void observe_spawn(Id task, Duration waited);
  void observe_suspend(Id task);
  void observe_resume(Id task);
  void observe_cpu_start(Id task);
  void observe_exchange_start(Id exchange);
  void observe_attempt_won(Id call);
  void observe_exchange_done(Id exchange, Outcome outcome);
  void observe_path(Id path, Time started, Outcome outcome);
  [[gnu::cold]] void attribution_results(stats::Results& results) const;

  // Traces (a replay with obs_->tracing), of the requests the first pass chose
  /// Compile-time: the hooks of a run that observes nothing fold away.
  static constexpr bool observing() { return Observe; }
  [[nodiscard]] bool tracing() const { return Observe && obs_->tracing; }
  void trace_client_request(Id exchange, Id workload, std::uint64_t index);
  void trace_call(Id exchange, Id task);
  void trace_attempt(Id exchange, Id call, bool is_hedge);
  void trace_failed_fast(Id exchange, Outcome outcome);
  void trace_request_arrived(Id request);
  void trace_request_done(Id request, Outcome outcome);
  /// An internal span of a traced request: queue, cpu, delay, ...
  void trace_phase(Id request, const char* name, Time start, Time end);
  std::int32_t open_span(std::int32_t trace, std::int32_t parent, stats::SpanKind kind,
                         std::string name, std::string service, Id endpoint, Id pod);
  void close_span(std::int32_t trace, std::int32_t span, Outcome outcome, Time end);
  void close_span(const Observation::TraceRef& ref, Outcome outcome) {
    close_span(ref.trace, ref.span, outcome, now_);
  }
  [[gnu::cold]] void trace_results(stats::Results& results, Time finished);

  // Time series
  void close_interval(Time start, Time end);
  template <class Visit>
  void for_each_gauge(Visit visit);
  std::vector<stats::TimeMarker> markers() const;
  bool is_partitioned(Id a, Id b) const;

  // Queues
  bool publish(Id task, Id queue);
  void dispatch(Id queue);
  void finish_message(const Exchange& exchange, Outcome outcome);
  void on_redeliver(Id queue);
  void note_queue(Id queue);

  // Caches
  CacheInstance& cache_instance(Id cache, Id task);
  bool start_cache(Id task, const plan::Op& op, engine::RandomStream& rng);
  bool continue_cache(Id task);

  // Step programs
  void ready(Id task) { ready_.push(task); }
  void drain_ready();
  void continue_task(Id task);
  bool execute(Id task);
  [[gnu::always_inline]] void finish_task(Id task);
  /// finish_task for a task whose pod was killed, kept out of line: it is
  /// rare, and an inlined copy of finish_task would crowd continue_task.
  [[gnu::cold, gnu::noinline]] void finish_killed_task(Id task);
  /// A new task of `request` running `block`; `waited`: the request's time
  /// waiting for a worker (its root task), for attribution.
  [[gnu::always_inline]] Id spawn(Id parent, Id request, Id block, Duration waited = Duration{0});
  [[gnu::always_inline]] std::uint32_t draw_count(const plan::Op& op);

  // CPU
  /// A new pod's CPU demand multiplier (pod.warmup): the slowdown when it
  /// turns ready, falling linearly to 1.
  [[nodiscard]] double warmup_factor(const Pod& pod) const {
    const plan::Service& svc = plan_.services[pod.service];
    if (!pod.is_cold || svc.warmup <= Duration::zero() || now_ - pod.ready_at >= svc.warmup) {
      return 1.0;
    }
    const double left = 1.0 - to_seconds(now_ - pod.ready_at) / to_seconds(svc.warmup);
    return 1.0 + (svc.warmup_slowdown - 1.0) * left;
  }
  /// Task `task`, of a request on pod `pod`, starts a cpu op of `work_ns`.
  void start_cpu(Id task, Id pod, double work_ns);
  [[gnu::always_inline]] void touch_cpu(Id pod);
  void on_cpu_done(Id pod);
  void reschedule_dirty_pods();

  const plan::Plan& plan_;
  RunLimits limits_;
  engine::EventQueue queue_;
  Time now_{};
  Time window_start_;
  Time window_end_;  ///< arrivals stop here
  Time end_;         ///< the drain ends here
  stats::Recorder recorder_;
  std::vector<engine::RandomStream> streams_;
  engine::Pool<Task> tasks_;
  engine::Pool<Request> requests_;
  engine::Pool<Call> calls_;
  engine::Pool<Exchange> exchanges_;
  std::vector<EdgeState> edges_;
  std::unordered_map<std::uint64_t, std::uint32_t> bulkheads_;  ///< (pod, policy) -> in flight
  std::vector<Pod> pods_;
  std::vector<ServiceState> services_;
  std::vector<WorkloadState> workloads_;
  engine::IdStack ready_;
  engine::IdStack dirty_pods_;
  std::vector<std::pair<Id, Id>> partitions_;  ///< pairs of services cut apart now
  std::vector<std::optional<CacheInstance>> shared_caches_;
  std::vector<QueueState> queues_;
  std::vector<AutoscalerState> autoscalers_;
  std::vector<Node> nodes_;
  std::deque<Id> pending_pods_;  ///< waiting for a node, in order of creation
  std::uint32_t nodes_provisioning_ = 0;
  Time pending_since_{};
  stats::ClusterResult cluster_;
  Time next_interval_ = Time::max();         ///< the end of the time series' current interval
  std::vector<std::vector<double>> gauges_;  ///< per gauge, a value per interval
  std::uint64_t open_messages_ = 0;          ///< messages in queues or being consumed
  std::vector<std::optional<engine::ZipfSampler>> zipf_;  ///< per cache with Zipf keys
  std::uint64_t open_client_requests_ = 0;
  /// Can a caller ever give up on an attempt (a timeout or a hedge anywhere)?
  /// When not, no work can be wasted and the check per cpu step is skipped.
  bool can_abandon_ = false;
  /// Has a fault killed a pod? Until then no request is `killed`, and the
  /// check per step is skipped.
  bool has_killed_pods_ = false;
  std::uint64_t events_ = 0;
  std::string stop_reason_;           ///< why the run stopped before its end; empty when it did not
  std::unique_ptr<Observation> obs_;  ///< set in a replay that records attribution
  TraceChoice* choose_ = nullptr;     ///< the first pass of a run with traces: it offers requests
  std::vector<std::uint64_t> exchange_index_;  ///< client exchanges: their arrival number
  BacklogWatch backlog_;                       ///< each workload's backlog, for `unstable`
  Time next_due_ = Time::max();                ///< catch_up's next: an interval's end or a sample
 public:
  void choose_traces(TraceChoice* choice) { choose_ = choice; }
};

template <bool Observe>
Simulation<Observe>::Simulation(const plan::Plan& plan, const RunLimits& limits,
                                std::unique_ptr<Observation> observe)
    : plan_(plan),
      limits_(limits),
      window_start_(Time{} + plan.warmup),
      window_end_(Time{} + plan.warmup + plan.duration),
      end_(Time{} + plan.warmup + plan.duration + plan.drain),
      recorder_(window_start_, window_end_, plan.workloads.size() + plan.queues.size(),
                plan.services.size(), plan.edges.size(), plan.caches.size()),
      obs_(std::move(observe)),
      backlog_(plan.workloads.size(), window_start_, window_end_) {
  if (obs_) {
    obs_->all.resize(plan.workloads.size() + plan.queues.size());
    obs_->slowest.resize(plan.workloads.size() + plan.queues.size());
  }
  streams_.reserve(plan.streams.size());
  for (const auto& [component, purpose] : plan.streams) {
    streams_.push_back(engine::RandomStream::derive(plan.seed, component, purpose));
  }
  if (plan.cluster) {
    nodes_.assign(plan.cluster->nodes, Node{plan.cluster->node_cores});
    cluster_.is_modelled = true;
    cluster_.nodes_start = cluster_.nodes_max = plan.cluster->nodes;
  }
  services_.resize(plan.services.size());
  for (Id s = 0; s < plan.services.size(); ++s) {
    const plan::Service& svc = plan.services[s];
    if (svc.external) {
      continue;
    }
    services_[s].cores = svc.cfs ? svc.limit : svc.cores;
    if (!svc.async && svc.workers > 0) {
      services_[s].start_below = svc.workers;
    }
    services_[s].desired = static_cast<std::int32_t>(svc.replicas);
    for (std::uint32_t r = 0; r < svc.replicas; ++r) {
      create_pod(s, /*is_initial=*/true, svc.startup_stream);
    }
  }
  for (Id f = 0; f < plan.faults.size(); ++f) {
    queue_.push(plan.faults[f].at, fault_start, f);
    if (plan.faults[f].until != Time::max()) {
      queue_.push(plan.faults[f].until, fault_end, f);
    }
  }
  workloads_.resize(plan.workloads.size());
  queues_.resize(plan.queues.size());
  shared_caches_.resize(plan.caches.size());
  for (const auto& cache : plan.caches) {
    zipf_.emplace_back();
    if (cache.hit_ratio < 0 && cache.zipf > 0) {
      zipf_.back().emplace(cache.keys, cache.zipf);
    }
  }
  for (const auto& policy : plan.policies) {
    can_abandon_ = can_abandon_ || policy.timeout > Duration::zero() || policy.hedge_max > 0 ||
                   policy.propagate_deadline;
  }
  edges_.resize(plan.edges.size());
  for (Id e = 0; e < plan.edges.size(); ++e) {
    if (plan.edges[e].breaker != no_id) {
      edges_[e].breaker.emplace(plan.breakers[plan.edges[e].breaker]);
    }
  }
}

// ------------------------------------------------------------------ workloads

template <bool Observe>
void Simulation<Observe>::start_workloads() {
  for (Id w = 0; w < plan_.workloads.size(); ++w) {
    const plan::Workload& wl = plan_.workloads[w];
    switch (wl.kind) {
      case plan::WorkloadKind::open:
        workloads_[w].schedule.emplace(wl.schedule);
        if (wl.has_bursts) {
          const Duration gap = plan_.distributions[wl.burst_gap].sample(streams_[wl.burst_stream]);
          queue_.push(now_ + gap, burst_toggle, w);
        }
        schedule_next_arrival(w);
        break;
      case plan::WorkloadKind::closed:
        for (std::uint32_t u = 0; u < wl.users; ++u) {
          const Duration think =
              wl.think == no_id ? Duration{0}
                                : plan_.distributions[wl.think].sample(streams_[wl.think_stream]);
          queue_.push(now_ + think, workload_arrival, w);
        }
        break;
      case plan::WorkloadKind::trace:
        schedule_next_arrival(w);
        break;
    }
  }
}

template <bool Observe>
void Simulation<Observe>::schedule_next_arrival(Id w) {
  const plan::Workload& wl = plan_.workloads[w];
  WorkloadState& state = workloads_[w];
  if (wl.kind == plan::WorkloadKind::trace) {
    if (state.trace_next < wl.trace.size()) {
      queue_.push(std::max(now_, wl.trace[state.trace_next++]), workload_arrival, w);
    }
    return;
  }
  // Open loop. With bursts, candidates come at `factor` times the rate and
  // those outside a burst are kept with probability 1 / factor (thinning).
  // Evenly spaced arrivals start as soon as the rate is positive; a Poisson
  // process waits an exponential time for its first arrival too.
  engine::RandomStream& rng = streams_[wl.stream];
  double expected = wl.arrivals == plan::Arrivals::poisson ? rng.exponential(1.0)
                    : state.started                        ? 1.0
                                                           : 0.0;
  state.started = true;
  if (wl.has_bursts) {
    expected /= wl.burst_factor;
  }
  if (auto at = state.schedule->advance(now_, expected); at && *at < window_end_) {
    queue_.push(*at, workload_arrival, w);
  }
}

template <bool Observe>
void Simulation<Observe>::on_arrival(Id w) {
  const plan::Workload& wl = plan_.workloads[w];
  if (now_ >= window_end_) {
    return;  // the measured window is over: arrivals stop
  }
  bool accepted = true;
  if (wl.kind == plan::WorkloadKind::open && wl.has_bursts && !workloads_[w].burst_on) {
    accepted = streams_[wl.burst_stream].uniform() * wl.burst_factor < 1.0;
  }
  if (wl.kind != plan::WorkloadKind::closed) {
    schedule_next_arrival(w);
  }
  if (accepted) {
    start_client_request(w);
  }
}

template <bool Observe>
void Simulation<Observe>::on_burst_toggle(Id w) {
  const plan::Workload& wl = plan_.workloads[w];
  WorkloadState& state = workloads_[w];
  state.burst_on = !state.burst_on;
  const Duration next = state.burst_on
                            ? wl.burst_length
                            : plan_.distributions[wl.burst_gap].sample(streams_[wl.burst_stream]);
  if (now_ + next < window_end_) {
    queue_.push(now_ + next, burst_toggle, w);
  }
}

template <bool Observe>
void Simulation<Observe>::start_client_request(Id w) {
  const plan::Workload& wl = plan_.workloads[w];
  const Id x = make_exchange(/*caller_task=*/no_id, w, /*site=*/no_id, wl.policy, wl.edge, wl.entry,
                             /*joins_parent=*/false);
  const std::uint64_t index = workloads_[w].arrivals++;
  if (observing() || choose_ != nullptr) [[unlikely]] {
    Observation::at(exchange_index_, x) = index;
    if (observing()) {
      observe_exchange_start(x);
      if (obs_->tracing) {
        trace_client_request(x, w, index);
      }
    }
  }
  recorder_.path_arrival(w, now_);
  ++open_client_requests_;
  ++workloads_[w].open;
  if (recorder_.is_measured(now_)) {
    ++workloads_[w].open_measured;
  }
  start_attempt(x);
}

template <bool Observe>
void Simulation<Observe>::finish_client_request(Id x, const Exchange& ex, Outcome outcome) {
  if (observing() || choose_ != nullptr) [[unlikely]] {
    if (choose_ && recorder_.is_measured(ex.started)) {
      choose_->offer(ex.workload, exchange_index_[x], (now_ - ex.started).count(),
                     outcome == Outcome::ok);
    }
    if (observing()) {
      observe_path(ex.workload, ex.started, outcome);
      if (obs_->tracing && obs_->exchange_refs[x].trace >= 0) {
        stats::Trace& trace = obs_->traces[static_cast<std::size_t>(obs_->exchange_refs[x].trace)];
        trace.outcome = outcome;
        trace.latency_ns = (now_ - ex.started).count();
        close_span(obs_->exchange_refs[x], outcome);
      }
    }
  }
  recorder_.path_finished(ex.workload, ex.started, now_, outcome, ex.attempts);
  --open_client_requests_;
  --workloads_[ex.workload].open;
  if (recorder_.is_measured(ex.started)) {
    --workloads_[ex.workload].open_measured;
  }
  const plan::Workload& wl = plan_.workloads[ex.workload];
  if (wl.kind == plan::WorkloadKind::closed) {
    const Duration think = wl.think == no_id
                               ? Duration{0}
                               : plan_.distributions[wl.think].sample(streams_[wl.think_stream]);
    if (now_ + think < window_end_) {
      queue_.push(now_ + think, workload_arrival, ex.workload);
    }
  }
}

// ----------------------------------------------------------- calls, network

template <bool Observe>
Duration Simulation<Observe>::sample_network(const plan::Link& link, Id from, Id to) {
  engine::RandomStream& rng = streams_[link.stream];
  if (link.loss > 0 && rng.uniform() < link.loss) {
    return lost_message;  // never delivered, never answered
  }
  if (!partitions_.empty() && is_partitioned(from, to)) {
    return lost_message;  // a network partition loses everything between the two
  }
  return link.has_latency ? link.latency.sample(rng) : Duration{0};
}

template <bool Observe>
Id Simulation<Observe>::caller_service(const Exchange& ex) const {
  return ex.site == no_id ? no_id : plan_.calls[ex.site].caller_service;
}

template <bool Observe>
void Simulation<Observe>::start_call(Id task, Id site_id, bool joins_parent) {
  const plan::CallSite& site = plan_.calls[site_id];
  const Id x = make_exchange(task, /*workload=*/no_id, site_id, site.policy, site.edge,
                             site.target_endpoint, joins_parent);
  if (observing()) {
    observe_exchange_start(x);
    if (obs_->tracing) {
      trace_call(x, task);
    }
  }
  if (plan_.policies[site.policy].propagate_deadline) {
    exchanges_[x].deadline = requests_[tasks_[task].request].deadline;  // what the caller has left
  }
  start_attempt(x);
}

template <bool Observe>
void Simulation<Observe>::start_attempt(Id x, bool is_hedge) {
  Exchange& ex = exchanges_[x];
  if (ex.is_plain) {
    start_plain_attempt(x);
    return;
  }
  const plan::CallPolicy& policy = plan_.policies[ex.policy];
  EdgeState& edge = edges_[ex.edge];
  ++ex.attempts;
  const bool is_retry = ex.attempts > 1 && !is_hedge;
  if (is_retry && ex.site != no_id) {
    recorder_.service_retry(caller_service(ex), ex.started);
  }
  // The time this attempt may take: its own timeout, and with deadline
  // propagation no more than the caller has left.
  Time deadline = policy.timeout > Duration::zero() ? now_ + policy.timeout : Time::max();
  if (policy.propagate_deadline) {
    deadline = std::min(deadline, ex.deadline);
  }
  auto fail_now = [&](Outcome outcome) {
    if (tracing()) {
      trace_failed_fast(x, outcome);
    }
    if (ex.holds_retry_slot) {
      ex.holds_retry_slot = false;
      --edge.limits.retries_in_flight;
    }
    attempt_failed(x, outcome);
  };
  if (deadline <= now_) {
    fail_now(Outcome::timeout);  // no time left: fail without calling
    return;
  }
  if (edge.breaker && !edge.breaker->allow(now_)) {
    fail_now(Outcome::unavailable);  // the circuit is open: fail fast
    return;
  }
  Id bulkhead_pod = no_id;
  if (policy.bulkhead > 0 && ex.caller_task != no_id) {
    bulkhead_pod = requests_[tasks_[ex.caller_task].request].pod;
    std::uint32_t& in_flight = bulkheads_[(std::uint64_t{bulkhead_pod} << 32) | ex.policy];
    if (in_flight >= policy.bulkhead) {
      fail_now(Outcome::rejected);
      return;
    }
    ++in_flight;
  }
  const Id call = calls_.allocate();
  Call& c = calls_[call];
  c.exchange = x;
  c.target_endpoint = ex.target_endpoint;
  c.bulkhead_pod = bulkhead_pod;
  c.sent = now_;
  c.deadline = policy.propagate_deadline ? deadline : Time::max();
  c.is_retry = is_retry;
  c.is_hedge = is_hedge;
  ex.holds_retry_slot = false;  // the slot passes to the attempt (c.is_retry)
  c.next_copy = ex.first_call;
  ex.first_call = call;
  ++ex.in_flight;
  if (policy.hedge_max > ex.hedges && policy.hedge_after > Duration::zero() && ex.in_flight == 1) {
    queue_.push(now_ + policy.hedge_after, hedge_due, x, exchanges_.generation(x));
  }
  ++edge.limits.active;
  if (tracing()) {
    trace_attempt(x, call, is_hedge);
  }
  if (deadline != Time::max()) {
    queue_.push(deadline, attempt_timeout, call, calls_.generation(call));
  }
  if (ex.site == no_id) {
    on_request_delivered(call);  // the client reaches the entry service directly
  } else {
    send_request(call);
  }
}

template <bool Observe>
void Simulation<Observe>::start_plain_attempt(Id x) {
  // The one attempt of a call without a policy: no deadline, breaker, bulkhead
  // or hedge to consider and no edge state to keep.
  Exchange& ex = exchanges_[x];
  ex.attempts = 1;
  if (tracing()) {
    trace_attempt(x, no_id, false);
  }
  if (ex.site == no_id) {
    on_plain_request_delivered(x);  // the client reaches the entry service directly
    return;
  }
  const plan::CallSite& site = plan_.calls[ex.site];
  const Duration delay = network_delay(site, site.caller_service, site.target_service);
  if (delay == Duration::zero()) {
    on_plain_request_delivered(x);  // no latency: no event needed
  } else if (delay != lost_message) {
    queue_.push(now_ + delay, plain_request_delivered, x, exchanges_.generation(x));
  }
}

template <bool Observe>
void Simulation<Observe>::forget_attempt(Exchange& ex, Id call) {
  // Unlink `call` from the exchange's list of outstanding attempts.
  Id* link = &ex.first_call;
  while (*link != no_id && *link != call) {
    link = &calls_[*link].next_copy;
  }
  if (*link == call) {
    *link = calls_[call].next_copy;
    --ex.in_flight;
  }
}

template <bool Observe>
void Simulation<Observe>::on_hedge_due(Id x) {
  Exchange& ex = exchanges_[x];
  const plan::CallPolicy& policy = plan_.policies[ex.policy];
  if (ex.in_flight == 0 || ex.hedges >= policy.hedge_max) {
    return;  // no attempt waiting (a retry's backoff), or no copies left
  }
  ++ex.hedges;
  if (ex.site != no_id) {
    recorder_.service_hedge(caller_service(ex), ex.started);
  }
  const std::uint32_t generation = exchanges_.generation(x);
  start_attempt(x, /*is_hedge=*/true);
  if (!exchanges_.is_current(x, generation)) {
    return;  // the copy failed at once and ended the call
  }
  const Exchange& after = exchanges_[x];
  if (after.hedges < policy.hedge_max && after.in_flight > 0) {
    queue_.push(now_ + policy.hedge_after, hedge_due, x, generation);
  }
}

template <bool Observe>
void Simulation<Observe>::attempt_done(Id call, Outcome outcome) {
  if (observing()) {
    if (outcome == Outcome::ok) {
      observe_attempt_won(call);
    }
    if (obs_->tracing) {
      close_span(obs_->call_refs[call], outcome);
    }
  }
  const Call c = calls_[call];
  const Id x = c.exchange;
  Exchange& ex = exchanges_[x];
  assert(!ex.is_plain && "a plain call has no Call object");
  forget_attempt(ex, call);
  calls_.release(call);
  const plan::CallPolicy& policy = plan_.policies[ex.policy];
  EdgeState& edge = edges_[ex.edge];
  --edge.limits.active;
  if (c.is_retry) {
    --edge.limits.retries_in_flight;
  }
  if (c.bulkhead_pod != no_id) {
    --bulkheads_[(std::uint64_t{c.bulkhead_pod} << 32) | ex.policy];
  }
  const bool failed = outcome != Outcome::ok;
  if (edge.breaker) {
    edge.breaker->record(now_, failed);
  }
  edge.limits.throttle_record(policy, failed);
  if (!failed) {
    if (c.is_hedge && ex.site != no_id) {
      recorder_.service_hedge_won(caller_service(ex), ex.started);
    }
    exchange_done(x, outcome);  // the first answer wins
    return;
  }
  if (ex.in_flight > 0) {
    return;  // other copies may still answer
  }
  attempt_failed(x, outcome);
}

template <bool Observe>
void Simulation<Observe>::attempt_failed(Id x, Outcome outcome) {
  Exchange& ex = exchanges_[x];
  const plan::CallPolicy& policy = plan_.policies[ex.policy];
  EdgeState& edge = edges_[ex.edge];
  const bool retryable = ex.attempts < policy.attempts &&
                         (policy.retry_on >> static_cast<unsigned>(outcome) & 1u) != 0 &&
                         !(policy.propagate_deadline && ex.deadline <= now_);
  if (!retryable) {
    exchange_done(x, outcome);
    return;
  }
  if (!edge.limits.budget_allows(policy) || !edge.limits.throttle_allows(policy)) {
    if (ex.site != no_id) {
      recorder_.service_retry_refused(caller_service(ex), ex.started);
    }
    exchange_done(x, outcome);  // the call fails with its last error
    return;
  }
  ex.holds_retry_slot = true;
  ++edge.limits.retries_in_flight;
  const Duration wait =
      backoff_delay(policy, ex.attempts, ex.previous_backoff_ns, streams_[policy.stream]);
  if (observing()) {
    Observation::at(obs_->backoff_ns, x) += wait.count();
    if (obs_->tracing && obs_->exchange_refs[x].trace >= 0) {
      // The caller waits, not the callee: the span is the caller's (its pod's,
      // or the client's for a workload's own retries).
      const Observation::TraceRef& ref = obs_->exchange_refs[x];
      const bool by_service = ex.site != no_id;
      const std::int32_t span = open_span(
          ref.trace, std::max(ref.parent, 0), stats::SpanKind::internal, "backoff",
          by_service ? plan_.services[plan_.calls[ex.site].caller_service].name
                     : obs_->traces[static_cast<std::size_t>(ref.trace)].path,
          ex.target_endpoint, by_service ? requests_[tasks_[ex.caller_task].request].pod : no_id);
      close_span(ref.trace, span, Outcome::ok, now_ + wait);
    }
  }
  queue_.push(now_ + wait, retry_due, x, exchanges_.generation(x));
}

template <bool Observe>
void Simulation<Observe>::exchange_done(Id x, Outcome outcome) {
  if (observing()) {
    observe_exchange_done(x, outcome);
    if (obs_->tracing && exchanges_[x].is_plain && exchanges_[x].site != no_id) {
      close_span(obs_->exchange_refs[x], outcome);  // a plain call's one attempt
    }
  }
  if (exchanges_[x].queue != no_id) {
    const Exchange ex = exchanges_[x];
    exchanges_.release(x);
    finish_message(ex, outcome);
    return;
  }
  // Read in place (a copy of 96 bytes per call showed in the profile) and
  // released at the end: nothing below makes an exchange.
  const Exchange& ex = exchanges_[x];
  // Copies still out lose: nobody waits for their answers any more.
  for (Id lost_id = ex.first_call; lost_id != no_id;) {
    const Call lost = calls_[lost_id];
    EdgeState& edge = edges_[ex.edge];
    --edge.limits.active;
    if (lost.is_retry) {
      --edge.limits.retries_in_flight;
    }
    if (lost.bulkhead_pod != no_id) {
      --bulkheads_[(std::uint64_t{lost.bulkhead_pod} << 32) | ex.policy];
    }
    if (tracing()) {
      close_span(obs_->call_refs[lost_id], Outcome::unfinished);  // a copy that lost
    }
    calls_.release(lost_id);
    lost_id = lost.next_copy;
  }
  if (ex.caller_task == no_id) {
    finish_client_request(x, ex, outcome);
    exchanges_.release(x);
    return;
  }
  // A client's attempts are its path's statistics; a call's, its edge's.
  recorder_.call_finished(ex.edge, ex.started, now_, outcome, ex.attempts);
  const Id caller = ex.caller_task;
  Task& task = tasks_[caller];
  if (outcome != Outcome::ok && !plan_.calls[ex.site].optional && task.failure == Outcome::ok) {
    task.failure = outcome;
  }
  const bool joins_parent = ex.joins_parent;
  exchanges_.release(x);
  if (joins_parent && --task.pending > 0) {
    return;  // a parallel step waits for its last call
  }
  if (observing()) {  // the last call to answer is the critical path
    Observation::at(obs_->tasks, caller).merge(obs_->done);
    obs_->done.clear();
  }
  ready(caller);
}

template <bool Observe>
void Simulation<Observe>::send_request(Id call) {
  const plan::CallSite& site = plan_.calls[exchanges_[calls_[call].exchange].site];
  const Duration delay = network_delay(site, site.caller_service, site.target_service);
  if (delay == Duration::zero()) {
    on_request_delivered(call);  // no latency: no event needed
  } else if (delay != lost_message) {
    queue_.push(now_ + delay, request_delivered, call, calls_.generation(call));
  }
}

template <bool Observe>
void Simulation<Observe>::on_request_delivered(Id call) {
  const Call& c = calls_[call];
  receive(make_request(call, calls_.generation(call), c.target_endpoint, c.deadline,
                       /*is_plain=*/false));
}

template <bool Observe>
inline void Simulation<Observe>::on_plain_request_delivered(Id x) {
  receive(make_request(x, exchanges_.generation(x), exchanges_[x].target_endpoint, Time::max(),
                       /*is_plain=*/true));
}

template <bool Observe>
void Simulation<Observe>::receive(Id r) {
  const Id endpoint = requests_[r].endpoint;
  const Id service = plan_.endpoints[endpoint].service;
  const plan::Service& svc = plan_.services[service];
  ServiceState& state = services_[service];
  recorder_.service_arrival(service, now_);
  if (state.down == ServiceState::Down::refuse) {
    turn_away(r, Outcome::unavailable);  // connection refused
    return;
  }
  if (state.down == ServiceState::Down::blackhole) {
    requests_.release(r);
    return;  // swallowed: the caller waits for its timeout
  }

  if (svc.external) {
    if (svc.concurrency >= 0 && state.in_flight >= svc.concurrency) {
      recorder_.service_rejected(service, now_);
      turn_away(r, Outcome::rejected);
      return;
    }
    ++state.in_flight;
    if (tracing()) {
      trace_request_arrived(r);
    }
    start_request(r);
    return;
  }
  const Id pod_id = choose_pod(service);
  if (pod_id == no_id) {
    turn_away(r, Outcome::unavailable);  // no pod to take it
    return;
  }
  Pod& pod = pods_[pod_id];
  requests_[r].pod = pod_id;
  if (tracing()) {
    trace_request_arrived(r);
  }
  note_held(pod);
  ++pod.active;
  ++pod.arrivals;
  if (pod.busy_workers < state.start_below) {
    if (!svc.async) {
      ++pod.busy_workers;
      requests_[r].holds_worker = true;
    }
    start_request(r);
    return;
  }
  if (svc.queue_capacity >= 0 &&
      static_cast<std::int64_t>(pod.waiting.size()) >= svc.queue_capacity) {
    --pod.active;
    if (tracing()) {
      trace_request_done(r, Outcome::rejected);
    }
    recorder_.service_rejected(service, now_);
    requests_[r].pod = no_id;
    turn_away(r, Outcome::rejected);
    return;
  }
  enqueue(pod_id, Waiter{r, now_, false});
}

template <bool Observe>
void Simulation<Observe>::respond(const Request& request, Outcome outcome) {
  if (request.is_plain) {
    respond_plain(request, outcome);
    return;
  }
  const Id service = plan_.endpoints[request.endpoint].service;
  if (!calls_.is_current(request.call, request.call_generation)) {
    recorder_.service_answered(service, request.arrived, /*caller_waiting=*/false, outcome);
    if (observing()) {
      obs_->answer.clear();
    }
    return;  // the caller gave up on this attempt: the answer goes nowhere
  }
  if (observing()) {  // the attempt's ledger: the request's time at the callee
    std::swap(Observation::at(obs_->calls, request.call), obs_->answer);
    obs_->answer.clear();
  }
  recorder_.service_answered(service, request.arrived, /*caller_waiting=*/true, outcome);
  Call& c = calls_[request.call];
  const Exchange& ex = exchanges_[c.exchange];
  if (ex.site == no_id) {
    attempt_done(request.call, outcome);  // the client gets its answer directly
    return;
  }
  c.outcome = outcome;
  const plan::CallSite& site = plan_.calls[ex.site];
  const Duration delay = network_delay(site, site.target_service, site.caller_service);
  if (delay == Duration::zero()) {
    attempt_done(request.call, outcome);
  } else if (delay != lost_message) {
    queue_.push(now_ + delay, response_delivered, request.call, request.call_generation);
  }
}

template <bool Observe>
void Simulation<Observe>::respond_plain(const Request& request, Outcome outcome) {
  const Id service = plan_.endpoints[request.endpoint].service;
  const Id x = request.call;
  const bool caller_waiting = exchanges_.is_current(x, request.call_generation);
  recorder_.service_answered(service, request.arrived, caller_waiting, outcome);
  if (observing()) {
    if (caller_waiting) {
      Observation::at(obs_->exchanges, x).merge(obs_->answer);
    }
    obs_->answer.clear();
  }
  if (!caller_waiting) {
    return;  // the caller's own request is gone (its pod was killed)
  }
  Exchange& ex = exchanges_[x];
  if (ex.site == no_id) {
    exchange_done(x, outcome);  // the client gets its answer directly
    return;
  }
  const plan::CallSite& site = plan_.calls[ex.site];
  const Duration delay = network_delay(site, site.target_service, site.caller_service);
  if (delay == Duration::zero()) {
    exchange_done(x, outcome);
  } else if (delay != lost_message) {
    ex.answer = outcome;
    queue_.push(now_ + delay, plain_response_delivered, x, request.call_generation);
  }
}

template <bool Observe>
void Simulation<Observe>::on_response_delivered(Id call) {
  attempt_done(call, calls_[call].outcome);
}

template <bool Observe>
bool Simulation<Observe>::is_orphaned(Id request) const {
  // Nobody waits for this work when its attempt was given up on, or when the
  // request that made the call is itself orphaned.
  for (Id r = request;;) {
    const Request& req = requests_[r];
    if (req.is_plain ? !exchanges_.is_current(req.call, req.call_generation)
                     : !calls_.is_current(req.call, req.call_generation)) {
      return true;
    }
    const Exchange& ex = exchanges_[req.is_plain ? req.call : calls_[req.call].exchange];
    if (ex.caller_task == no_id) {
      return false;
    }
    r = tasks_[ex.caller_task].request;
  }
}

// ------------------------------------------------------ pods, workers, requests

template <bool Observe>
inline Id Simulation<Observe>::choose_pod(Id service) {
  ServiceState& state = services_[service];
  const auto n = static_cast<std::uint32_t>(state.pods.size());
  if (n == 0) {
    return no_id;
  }
  if (n == 1) {
    return state.pods[0];
  }
  const plan::Service& svc = plan_.services[service];
  engine::RandomStream& rng = streams_[svc.balancer_stream];
  switch (svc.balancer) {
    case plan::Balancer::round_robin:
      return state.pods[state.round_robin++ % n];
    case plan::Balancer::random:
      return state.pods[rng.uniform_int(n)];
    case plan::Balancer::least_request: {
      // Power of two choices: two distinct pods at random, the less busy wins.
      const auto a = static_cast<std::uint32_t>(rng.uniform_int(n));
      auto b = static_cast<std::uint32_t>(rng.uniform_int(n - 1));
      if (b >= a) {
        ++b;
      }
      const Id pa = state.pods[a];
      const Id pb = state.pods[b];
      return pods_[pb].active < pods_[pa].active ? pb : pa;
    }
  }
  return state.pods[0];
}

template <bool Observe>
inline Id Simulation<Observe>::spawn(Id parent, Id request, Id block, Duration waited) {
  static_assert(sizeof(Task) == 48, "spawn sets every field of a Task");
  const Id t = tasks_.allocate_slot();  // every field stored in place (make_request says why)
  Task& task = tasks_[t];
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
  if (observing()) {
    observe_spawn(t, waited);
  }
  ready(t);
  return t;
}

template <bool Observe>
inline void Simulation<Observe>::start_request(Id request) {
  const Request& req = requests_[request];
  // Deadlines propagate: a request whose deadline passed while it waited, or
  // whose caller cancelled it (a hedge that lost), is dropped at dequeue.
  const bool cancelled = req.deadline != Time::max() &&
                         !req.is_plain &&  // a plain call names its exchange
                         !calls_.is_current(req.call, req.call_generation);
  if (req.deadline <= now_ || cancelled) {
    // Its deadline passed while it waited: dropped, as a server that checks
    // the deadline of what it dequeues does.
    recorder_.deadline_dropped(plan_.endpoints[req.endpoint].service, now_);
    if (observing()) {
      obs_->answer.clear();
      obs_->answer.add(plan_.endpoints[req.endpoint].service, Where::queue,
                       (now_ - req.arrived).count());
    }
    finish_request(request, Outcome::timeout);
    return;
  }
  const Id service = plan_.endpoints[req.endpoint].service;
  ServiceState& state = services_[service];
  const bool fails = state.fail_rate > 0 && streams_[state.fail_stream].uniform() < state.fail_rate;
  const Id t = spawn(no_id, request, plan_.endpoints[req.endpoint].block, now_ - req.arrived);
  if (fails) {
    tasks_[t].failure = Outcome::error;  // an injected failure: it answers error at once...
  }
  if (state.extra_delay > Duration::zero()) {  // ...or after a slow fault's extra latency
    ready_.pop_back();  // a slow fault: the request first waits the extra latency
    queue_.push(now_ + state.extra_delay, delay_done, t, tasks_.generation(t));
  }
}

template <bool Observe>
inline void Simulation<Observe>::finish_request(Id request, Outcome outcome) {
  const Request req = requests_[request];
  if (req.killed) {
    requests_.release(request);
    if (observing()) {
      obs_->answer.clear();
    }
    return;  // its pod is gone and its caller already has its error (and trace)
  }
  if (tracing()) {
    trace_request_done(request, outcome);
  }
  requests_.release(request);
  if (req.pod == no_id) {
    --services_[plan_.endpoints[req.endpoint].service].in_flight;
  } else {
    note_held(pods_[req.pod]);
    --pods_[req.pod].active;
    if (req.holds_worker) {
      release_worker(req.pod);
    }
    if (pods_[req.pod].phase == PodPhase::terminating && pods_[req.pod].active == 0) {
      finish_termination(req.pod);  // its last request is done: the pod exits
    }
  }
  respond(req, outcome);
}

template <bool Observe>
inline void Simulation<Observe>::note_waiting(Id service, std::int64_t change) {
  ServiceState& state = services_[service];
  recorder_.queue_length(service, state.waiting_since, now_, static_cast<double>(state.waiting));
  state.waiting_since = now_;
  state.waiting = static_cast<std::uint64_t>(static_cast<std::int64_t>(state.waiting) + change);
}

template <bool Observe>
void Simulation<Observe>::enqueue(Id pod_id, Waiter waiter) {
  Pod& pod = pods_[pod_id];
  note_waiting(pod.service, +1);
  pod.waiting.push_back(waiter);
}

template <bool Observe>
void Simulation<Observe>::reject_waiter(Id pod_id, const Waiter& waiter) {
  Pod& pod = pods_[pod_id];
  // Counted with the requests that arrived in the measured window, as the
  // service's requests and its callers' errors are.
  const Id request = waiter.is_task ? tasks_[waiter.id].request : waiter.id;
  recorder_.service_rejected(pod.service, requests_[request].arrived);
  if (waiter.is_task) {
    tasks_[waiter.id].failure = Outcome::rejected;
    ready(waiter.id);
    return;
  }
  if (tracing()) {
    trace_request_done(waiter.id, Outcome::rejected);
  }
  const Request req = requests_[waiter.id];
  requests_.release(waiter.id);
  note_held(pod);
  --pod.active;
  if (pod.phase == PodPhase::terminating && pod.active == 0) {
    finish_termination(pod_id);
  }
  respond(req, Outcome::rejected);
}

template <bool Observe>
void Simulation<Observe>::start_next_waiter(Id pod_id) {
  Pod& pod = pods_[pod_id];
  const plan::Service& svc = plan_.services[pod.service];
  while (!pod.waiting.empty()) {
    Waiter waiter;
    if (svc.discipline == plan::Discipline::fifo) {
      waiter = pod.waiting.front();
      pod.waiting.pop_front();
    } else {
      waiter = pod.waiting.back();
      pod.waiting.pop_back();
    }
    note_waiting(pod.service, -1);
    if (svc.queue_timeout > Duration::zero() && now_ - waiter.since > svc.queue_timeout) {
      reject_waiter(pod_id, waiter);  // waited too long: dropped when dequeued
      continue;
    }
    ++pod.busy_workers;
    if (waiter.is_task) {
      Task& task = tasks_[waiter.id];
      task.holds_worker = true;
      start_cpu(waiter.id, pod_id, task.work_ns);
    } else {
      requests_[waiter.id].holds_worker = true;
      start_request(waiter.id);
    }
    return;
  }
}

// -------------------------------------------------------------------- faults

template <bool Observe>
bool Simulation<Observe>::is_partitioned(Id a, Id b) const {
  for (const auto& [x, y] : partitions_) {
    if ((x == a && y == b) || (x == b && y == a)) {
      return true;
    }
  }
  return false;
}

template <bool Observe>
void Simulation<Observe>::note_capacity(Id service) {
  // Capacity counts every pod whose CPU runs (a terminating pod still works);
  // replicas are the pods that take requests.
  ServiceState& state = services_[service];
  const auto cpu_pods = static_cast<double>(state.cpu_pods);
  recorder_.cpu_capacity(service, state.capacity_since, now_, cpu_pods * state.cores);
  recorder_.replicas(service, state.capacity_since, now_, static_cast<double>(state.pods.size()));
  state.capacity_since = now_;
}

template <bool Observe>
void Simulation<Observe>::on_fault(Id f, bool starts) {
  const plan::Fault& fault = plan_.faults[f];
  if (fault.kind == plan::FaultKind::flush) {
    if (starts) {  // every instance of the cache loses its entries
      for (auto& instance : shared_caches_) {
        if (instance) {
          instance->lru.clear();
        }
      }
      for (Pod& pod : pods_) {
        if (fault.service < pod.caches.size() && pod.caches[fault.service]) {
          pod.caches[fault.service]->lru.clear();
        }
      }
    }
    return;
  }
  ServiceState& state = services_[fault.service];
  switch (fault.kind) {
    case plan::FaultKind::kill:
      if (starts) {
        kill_pods(fault.service, fault.pods, fault.stream);
      }
      break;
    case plan::FaultKind::slow:
      state.extra_delay = starts ? fault.add : Duration{0};
      state.cpu_factor = starts ? fault.factor : 1.0;
      break;
    case plan::FaultKind::fail:
      state.fail_rate = starts ? fault.rate : 0.0;
      state.fail_stream = fault.stream;
      break;
    case plan::FaultKind::down:
      state.down = !starts           ? ServiceState::Down::no
                   : fault.blackhole ? ServiceState::Down::blackhole
                                     : ServiceState::Down::refuse;
      break;
    case plan::FaultKind::partition:
      if (starts) {
        partitions_.emplace_back(fault.service, fault.other);
      } else {
        std::erase(partitions_, std::pair{fault.service, fault.other});
      }
      break;
    case plan::FaultKind::flush:
      break;
    case plan::FaultKind::cpu:
      note_capacity(fault.service);
      state.cores = starts ? fault.cores : plan_.services[fault.service].cores;
      for (Id pod_id : state.members) {
        const PodPhase phase = pods_[pod_id].phase;
        if (phase == PodPhase::ready || phase == PodPhase::terminating) {
          touch_cpu(pod_id);
          pods_[pod_id].cpu.set_cores(now_, state.cores);
        }
      }
      break;
  }
}

template <bool Observe>
void Simulation<Observe>::kill_pods(Id service, std::uint32_t count, Id stream) {
  ServiceState& state = services_[service];
  for (std::uint32_t k = 0; k < count && !state.pods.empty(); ++k) {
    const Id pod_id = state.pods.front();  // the oldest ready pod
    note_capacity(service);
    std::erase(state.pods, pod_id);
    --state.cpu_pods;
    fail_pod_work(pod_id);
    pod_gone(pod_id);
    // The ReplicaSet replaces it: a new pod, through the whole startup.
    create_pod(service, /*is_initial=*/false, stream);
  }
}

template <bool Observe>
void Simulation<Observe>::fail_pod_work(Id pod_id) {
  // Every request on the pod fails with `error`: those waiting for a worker
  // are gone, those running stop where they are.
  has_killed_pods_ = true;  // from now on, tasks check whether their pod is gone
  Pod& pod = pods_[pod_id];
  touch_cpu(pod_id);
  // The tasks on its CPU, or (async) waiting for one of its workers, would
  // never resume: they resume now, find their request killed and finish, so
  // the request is released once its last task is (continue_task).
  pod.cpu.for_each_job([&](Id t) { ready(t); });
  pod.cpu.clear();
  queue_.cancel_timer(pod_id);  // its completion event, if any, is gone
  pod.scheduled = Time::max();
  note_waiting(pod.service, -static_cast<std::int64_t>(pod.waiting.size()));
  for (const Waiter& waiter : pod.waiting) {
    if (waiter.is_task) {
      ready(waiter.id);
    } else {  // not started: nothing else refers to it
      if (tracing()) {
        trace_request_done(waiter.id, Outcome::error);
      }
      const Request req = requests_[waiter.id];
      requests_.release(waiter.id);
      respond(req, Outcome::error);
    }
  }
  pod.waiting.clear();
  for (Id r = 0; r < requests_.capacity(); ++r) {
    if (!requests_.is_live(r) || requests_[r].pod != pod_id || requests_[r].killed) {
      continue;
    }
    requests_[r].killed = true;
    if (tracing()) {
      trace_request_done(r, Outcome::error);
    }
    respond(requests_[r], Outcome::error);
  }
  note_held(pod);
  pod.active = 0;
  pod.busy_workers = 0;
}

// ------------------------------------------------ pod lifecycle and scaling

template <bool Observe>
Id Simulation<Observe>::create_pod(Id service, bool is_initial, Id startup_stream) {
  const auto pod_id = static_cast<Id>(pods_.size());
  Pod pod;
  pod.service = service;
  pod.phase = PodPhase::pending;
  pod.created = now_;
  pod.ordinal = services_[service].pods_made++;
  const Id autoscaler = plan_.services[service].autoscaler;
  pod.tracks_held =
      autoscaler != no_id && plan_.autoscalers[autoscaler].metric == plan::ScaleMetric::concurrency;
  pods_.push_back(std::move(pod));
  services_[service].members.push_back(pod_id);
  if (!place_pod(pod_id)) {
    note_pending();
    pending_pods_.push_back(pod_id);  // no node has room: it waits for one
    cluster_.pending_max =
        std::max(cluster_.pending_max, static_cast<std::uint32_t>(pending_pods_.size()));
    request_nodes();
    return pod_id;
  }
  start_pod(pod_id, is_initial, startup_stream);
  return pod_id;
}

template <bool Observe>
void Simulation<Observe>::start_pod(Id pod_id, bool is_initial, Id startup_stream) {
  Pod& pod = pods_[pod_id];
  pod.started = now_;
  if (is_initial) {
    make_ready(pod_id);  // the replicas at the start are up and warm
    return;
  }
  pod.phase = PodPhase::starting;
  pod.is_cold = true;
  // The kubelet probes readiness at once and then every 10 s: the pod turns
  // ready at the first probe after its startup time.
  const Id startup = plan_.startup[pod.service];
  const Duration up = startup == no_id
                          ? Duration{0}
                          : plan_.distributions[startup].sample(streams_[startup_stream]);
  constexpr Duration probe_period = std::chrono::seconds(10);
  const std::int64_t probes = (up.count() + probe_period.count() - 1) / probe_period.count();
  if (probes == 0) {
    make_ready(pod_id);  // the first probe, at creation, passes
    return;
  }
  queue_.push(now_ + probe_period * probes, pod_ready, pod_id);
}

template <bool Observe>
void Simulation<Observe>::on_pod_ready(Id pod_id) {
  if (pods_[pod_id].phase == PodPhase::starting) {  // not scaled away meanwhile
    make_ready(pod_id);
  }
}

template <bool Observe>
void Simulation<Observe>::make_ready(Id pod_id) {
  Pod& pod = pods_[pod_id];
  const Id service = pod.service;
  ServiceState& state = services_[service];
  const plan::Service& svc = plan_.services[service];
  note_capacity(service);
  pod.phase = PodPhase::ready;
  pod.cpu = ProcessorSharing(svc.cfs ? svc.cores : state.cores);
  if (svc.cfs) {
    pod.cpu.set_quota(svc.period, state.cores);  // state.cores: the limit, or a CPU fault's
  }
  pod.cpu.advance(now_);
  pod.ready_at = now_;
  pod.held_since = now_;
  state.pods.push_back(pod_id);
  ++state.cpu_pods;
}

template <bool Observe>
void Simulation<Observe>::scale_to(Id service, std::int32_t desired) {
  ServiceState& state = services_[service];
  state.desired = desired;
  std::vector<Id> live;  // pods not on their way out, in order of creation
  for (Id pod_id : state.members) {
    if (pods_[pod_id].phase != PodPhase::terminating) {
      live.push_back(pod_id);
    }
  }
  const auto count = static_cast<std::int32_t>(live.size());
  for (std::int32_t k = count; k < desired; ++k) {
    create_pod(service, /*is_initial=*/false, plan_.services[service].startup_stream);
  }
  if (desired >= count) {
    return;
  }
  // A ReplicaSet deletes pods not placed first, then those not ready, then
  // the most recently created.
  auto rank = [&](Id pod_id) {
    switch (pods_[pod_id].phase) {
      case PodPhase::pending:
        return 0;
      case PodPhase::starting:
        return 1;
      default:
        return 2;
    }
  };
  std::stable_sort(live.begin(), live.end(), [&](Id a, Id b) {
    return rank(a) != rank(b) ? rank(a) < rank(b) : a > b;  // ids follow creation
  });
  for (std::int32_t k = 0; k < count - desired; ++k) {
    terminate_pod(live[static_cast<std::size_t>(k)]);
  }
}

template <bool Observe>
void Simulation<Observe>::terminate_pod(Id pod_id) {
  Pod& pod = pods_[pod_id];
  switch (pod.phase) {
    case PodPhase::pending:
      note_pending();
      std::erase(pending_pods_, pod_id);
      pod_gone(pod_id);
      return;
    case PodPhase::starting:
      pod_gone(pod_id);  // nothing runs on it yet
      return;
    case PodPhase::ready: {
      ServiceState& state = services_[pod.service];
      note_capacity(pod.service);
      std::erase(state.pods, pod_id);  // the balancer stops sending it requests
      pod.phase = PodPhase::terminating;
      if (pod.active == 0) {
        finish_termination(pod_id);
        return;
      }
      // It finishes what it holds within the termination grace period.
      queue_.push(now_ + std::chrono::seconds(30), pod_grace_end, pod_id);
      return;
    }
    case PodPhase::terminating:
    case PodPhase::gone:
      return;
  }
}

template <bool Observe>
void Simulation<Observe>::on_grace_end(Id pod_id) {
  if (pods_[pod_id].phase != PodPhase::terminating) {
    return;  // it finished its work earlier
  }
  fail_pod_work(pod_id);  // what is left fails: the container is killed
  finish_termination(pod_id);
}

template <bool Observe>
std::uint32_t Simulation<Observe>::starting_pods(Id service) const {
  std::uint32_t count = 0;
  for (Id pod_id : services_[service].members) {
    const PodPhase phase = pods_[pod_id].phase;
    count += phase == PodPhase::pending || phase == PodPhase::starting ? 1 : 0;
  }
  return count;
}

template <bool Observe>
void Simulation<Observe>::finish_termination(Id pod_id) {
  const Id service = pods_[pod_id].service;
  note_capacity(service);
  --services_[service].cpu_pods;
  pod_gone(pod_id);
}

template <bool Observe>
void Simulation<Observe>::pod_gone(Id pod_id) {
  Pod& pod = pods_[pod_id];
  if (pod.phase == PodPhase::ready || pod.phase == PodPhase::terminating) {
    touch_cpu(pod_id);
  }
  pod.phase = PodPhase::gone;
  std::erase(services_[pod.service].members, pod_id);
  if (pod.node != no_id) {
    nodes_[pod.node].free_cores += plan_.services[pod.service].cpu_request;
    pod.node = no_id;
    // Its CPU request is free: pods waiting for a node may fit now.
    while (!pending_pods_.empty() && place_pod(pending_pods_.front())) {
      const Id placed = pending_pods_.front();
      note_pending();
      pending_pods_.pop_front();
      start_pod(placed, /*is_initial=*/false, plan_.services[pods_[placed].service].startup_stream);
    }
  }
}

// ------------------------------------------------------------------- cluster

template <bool Observe>
bool Simulation<Observe>::place_pod(Id pod_id) {
  if (!plan_.cluster) {
    return true;  // capacity is unlimited
  }
  const double request = plan_.services[pods_[pod_id].service].cpu_request;
  for (Id n = 0; n < nodes_.size(); ++n) {
    if (nodes_[n].free_cores + 1e-9 >= request) {
      nodes_[n].free_cores -= request;
      pods_[pod_id].node = n;
      return true;
    }
  }
  return false;
}

template <bool Observe>
void Simulation<Observe>::request_nodes() {
  // As the cluster autoscaler: enough new nodes for the pending pods that
  // an empty node can hold, less those already on their way, up to max_nodes.
  const plan::ClusterSpec& cluster = *plan_.cluster;
  std::vector<double> fresh;
  for (Id pod_id : pending_pods_) {
    const double request = plan_.services[pods_[pod_id].service].cpu_request;
    if (request > cluster.node_cores + 1e-9) {
      continue;  // no node can ever hold it
    }
    auto fits = std::find_if(fresh.begin(), fresh.end(),
                             [&](double free) { return free + 1e-9 >= request; });
    if (fits == fresh.end()) {
      fresh.push_back(cluster.node_cores);
      fits = fresh.end() - 1;
    }
    *fits -= request;
  }
  const auto present = static_cast<std::uint32_t>(nodes_.size()) + nodes_provisioning_;
  const auto wanted = static_cast<std::uint32_t>(fresh.size());
  const std::uint32_t room = cluster.max_nodes > present ? cluster.max_nodes - present : 0;
  const std::uint32_t missing = wanted > nodes_provisioning_ ? wanted - nodes_provisioning_ : 0;
  for (std::uint32_t k = 0; k < std::min(missing, room); ++k) {
    ++nodes_provisioning_;
    queue_.push(now_ + cluster.provision, node_ready, 0);
  }
}

template <bool Observe>
void Simulation<Observe>::on_node_ready() {
  --nodes_provisioning_;
  nodes_.push_back(Node{plan_.cluster->node_cores});
  ++cluster_.nodes_added;
  cluster_.nodes_max = std::max(cluster_.nodes_max, static_cast<std::uint32_t>(nodes_.size()));
  note_pending();
  std::deque<Id> still;
  for (Id pod_id : pending_pods_) {
    if (place_pod(pod_id)) {
      start_pod(pod_id, /*is_initial=*/false, plan_.services[pods_[pod_id].service].startup_stream);
    } else {
      still.push_back(pod_id);
    }
  }
  pending_pods_ = std::move(still);
  if (!pending_pods_.empty()) {
    request_nodes();
  }
}

template <bool Observe>
void Simulation<Observe>::note_pending() {
  // Pending pods over the measured window, as pod-seconds: called before
  // every change of their number.
  const Time from = std::max(pending_since_, window_start_);
  const Time to = std::min(now_, window_end_);
  if (to > from) {
    cluster_.pending_pod_s += static_cast<double>(pending_pods_.size()) * to_seconds(to - from);
  }
  pending_since_ = now_;
}

// --------------------------------------------------------------- autoscalers

template <bool Observe>
void Simulation<Observe>::start_autoscalers() {
  autoscalers_.resize(plan_.autoscalers.size());
  for (Id a = 0; a < plan_.autoscalers.size(); ++a) {
    const plan::Autoscaler& spec = plan_.autoscalers[a];
    AutoscalerState& state = autoscalers_[a];
    HpaConfig config;
    switch (spec.metric) {
      case plan::ScaleMetric::cpu:
        config.kind = HpaMetricKind::utilization;
        break;
      case plan::ScaleMetric::concurrency:
      case plan::ScaleMetric::rps:
        config.kind = HpaMetricKind::pod_average;
        break;
      case plan::ScaleMetric::queue_lag:
        config.kind =
            spec.is_age_target ? HpaMetricKind::external_value : HpaMetricKind::external_average;
        break;
    }
    config.target = spec.target;
    config.min_replicas = spec.min;
    config.max_replicas = spec.max;
    config.tolerance = spec.tolerance;
    auto rules = [](const plan::ScalingRules& in) {
      HpaRules out;
      out.stabilization = in.stabilization;
      out.select = static_cast<HpaSelect>(in.select);
      for (const auto& p : in.policies) {
        out.policies.push_back(HpaPolicy{p.is_percent, p.value, p.period});
      }
      return out;
    };
    if (spec.scale_up) {
      config.scale_up = rules(*spec.scale_up);
    }
    if (spec.scale_down) {
      config.scale_down = rules(*spec.scale_down);
    }
    state.controller.emplace(config);
    state.result.name = spec.name;
    state.result.service = plan_.services[spec.service].name;
    static constexpr const char* metric_names[] = {"cpu", "concurrency", "rps", "queue_lag"};
    state.result.metric = metric_names[static_cast<int>(spec.metric)];
    // The controller's loop is not aligned with the run: its first sync comes
    // at a phase drawn in [0, sync_period).
    const auto phase = static_cast<std::int64_t>(streams_[spec.stream].uniform() *
                                                 static_cast<double>(spec.sync_period.count()));
    state.first_sync = Time{} + Duration{phase};
    queue_.push(state.first_sync, autoscaler_sync, a);
    schedule_snapshot(a);
  }
}

template <bool Observe>
Time Simulation<Observe>::window_edge(Id a, std::uint64_t sync, bool is_start) const {
  // Sync k at T sees the metric over [T - lag - window, T - lag], from the
  // start of the run at the earliest.
  const plan::Autoscaler& spec = plan_.autoscalers[a];
  const Time at = autoscalers_[a].first_sync + spec.sync_period * static_cast<std::int64_t>(sync) -
                  spec.metrics_lag - (is_start ? spec.window : Duration{0});
  return std::max(at, Time{});
}

template <bool Observe>
void Simulation<Observe>::schedule_snapshot(Id a) {
  const AutoscalerState& state = autoscalers_[a];
  const Time next =
      std::min(window_edge(a, state.next_start, true), window_edge(a, state.next_end, false));
  if (next <= end_) {
    queue_.push(std::max(next, now_), metrics_snapshot, a);
  }
}

template <bool Observe>
double Simulation<Observe>::queue_metric(const plan::Autoscaler& spec) const {
  const QueueState& q = queues_[spec.queue];
  if (spec.is_age_target) {  // the age of the oldest waiting message, in seconds
    return q.waiting.empty() ? 0.0 : to_seconds(now_ - q.waiting.front().published);
  }
  // Kafka's lag: every message not committed yet (waiting, waiting out a
  // redelivery, or being processed). KEDA caps it at partitions x threshold,
  // so the replicas never exceed the partitions.
  const auto lag = static_cast<double>(q.waiting.size() + q.delayed.size() + q.in_flight);
  const double cap = static_cast<double>(plan_.queues[spec.queue].partitions) * spec.target;
  return std::min(lag, cap);
}

template <bool Observe>
void Simulation<Observe>::on_snapshot(Id a) {
  AutoscalerState& state = autoscalers_[a];
  take_snapshot(a);
  while (window_edge(a, state.next_start, true) <= now_) {
    ++state.next_start;
  }
  while (window_edge(a, state.next_end, false) <= now_) {
    ++state.next_end;
  }
  schedule_snapshot(a);
}

template <bool Observe>
void Simulation<Observe>::take_snapshot(Id a) {
  const plan::Autoscaler& spec = plan_.autoscalers[a];
  AutoscalerState& state = autoscalers_[a];
  if (state.snapshots.empty() || state.snapshots.back().at != now_) {
    AutoscalerState::Snapshot snap;
    snap.at = now_;
    for (Id pod_id : services_[spec.service].members) {
      Pod& pod = pods_[pod_id];
      if (pod.phase != PodPhase::ready) {
        continue;
      }
      double value = 0;
      switch (spec.metric) {
        case plan::ScaleMetric::cpu:
          touch_cpu(pod_id);
          value = pod.used_core_ns;
          break;
        case plan::ScaleMetric::concurrency:
          note_held(pod);
          value = pod.held_ns;
          break;
        case plan::ScaleMetric::rps:
          value = static_cast<double>(pod.arrivals);
          break;
        case plan::ScaleMetric::queue_lag:
          break;
      }
      snap.pods.emplace_back(pod_id, value);
    }
    if (spec.metric == plan::ScaleMetric::queue_lag) {
      snap.queue_value = queue_metric(spec);
    }
    state.snapshots.push_back(std::move(snap));
  }
}

template <bool Observe>
void Simulation<Observe>::on_autoscaler_sync(Id a) {
  const plan::Autoscaler& spec = plan_.autoscalers[a];
  AutoscalerState& state = autoscalers_[a];
  ServiceState& service = services_[spec.service];
  const std::uint64_t k = state.syncs++;
  const Time from = window_edge(a, k, true);
  const Time to = window_edge(a, k, false);
  if (to == now_) {
    take_snapshot(a);  // no metrics lag: the window ends now
  }
  while (!state.snapshots.empty() && state.snapshots.front().at < from) {
    state.snapshots.pop_front();  // no later sync's window reaches back so far
  }
  auto find = [&](Time t) -> const AutoscalerState::Snapshot* {
    for (const auto& snap : state.snapshots) {
      if (snap.at == t) {
        return &snap;
      }
    }
    return nullptr;
  };
  const AutoscalerState::Snapshot* first = find(from);
  const AutoscalerState::Snapshot* last = to > from ? find(to) : nullptr;
  const double seconds = to_seconds(to - from);

  // What the controller reads from the API: every pod of the deployment
  // not on its way out, with a sample when it was ready the whole window.
  std::vector<HpaPod> pods;
  for (Id pod_id : service.members) {
    const Pod& pod = pods_[pod_id];
    if (pod.phase == PodPhase::terminating || pod.phase == PodPhase::gone) {
      continue;
    }
    HpaPod view;
    view.is_pending = pod.phase == PodPhase::pending;
    view.is_ready = pod.phase == PodPhase::ready;
    view.started = pod.phase == PodPhase::pending ? pod.created : pod.started;
    view.ready_changed = view.is_ready ? pod.ready_at : view.started;
    view.request = plan_.services[spec.service].cpu_request;
    view.sample_time = to;
    view.sample_window = to - from;
    if (first != nullptr && last != nullptr && spec.metric != plan::ScaleMetric::queue_lag) {
      auto value_in = [&](const AutoscalerState::Snapshot& snap) -> std::optional<double> {
        for (const auto& [id, value] : snap.pods) {
          if (id == pod_id) {
            return value;
          }
        }
        return std::nullopt;
      };
      const auto begin = value_in(*first);
      const auto end = value_in(*last);
      if (begin && end) {
        const double change = *end - *begin;
        switch (spec.metric) {
          case plan::ScaleMetric::cpu:          // cores used on average
          case plan::ScaleMetric::concurrency:  // requests held on average
            view.usage = change / static_cast<double>((to - from).count());
            break;
          case plan::ScaleMetric::rps:
            view.usage = change / seconds;
            break;
          case plan::ScaleMetric::queue_lag:
            break;
        }
      }
    }
    pods.push_back(view);
  }
  const double external = last != nullptr ? last->queue_value : 0.0;
  const bool has_external = spec.metric != plan::ScaleMetric::queue_lag || last != nullptr;
  HpaDecision decision;
  if (has_external) {
    decision = state.controller->sync(now_, service.desired, pods, external);
  } else {
    decision.desired = service.desired;  // no window yet: nothing to read
    decision.raw_recommendation = service.desired;
  }
  if (decision.desired != service.desired) {
    scale_to(spec.service, decision.desired);
  }
  // The pods after this sync's decision: ready ones, and those it started.
  state.result.history.push_back(stats::ScaleSample{
      to_seconds(now_ - Time{}), decision.has_metric, decision.metric, decision.raw_recommendation,
      decision.desired, static_cast<std::uint32_t>(service.pods.size()),
      starting_pods(spec.service)});
  if (now_ + spec.sync_period <= end_) {
    queue_.push(now_ + spec.sync_period, autoscaler_sync, a);
  }
}

// ------------------------------------------------------------- step programs

template <bool Observe>
void Simulation<Observe>::drain_ready() {
  // Continuations run from here, never nested, so a long chain of steps that
  // finish at once cannot grow the stack.
  for (std::size_t i = 0; i < ready_.size(); ++i) {
    continue_task(ready_[i]);
  }
  ready_.clear();
}

template <bool Observe>
inline std::uint32_t Simulation<Observe>::draw_count(const plan::Op& op) {
  if (op.probability < 1.0 || op.times_low != op.times_high) {
    engine::RandomStream& rng = streams_[op.stream];
    if (op.probability < 1.0 && rng.uniform() >= op.probability) {
      return 0;
    }
    if (op.times_low != op.times_high) {
      return op.times_low +
             static_cast<std::uint32_t>(rng.uniform_int(op.times_high - op.times_low + 1));
    }
  }
  return op.times_low;
}

template <bool Observe>
void Simulation<Observe>::continue_task(Id t) {
  if (has_killed_pods_ && requests_[tasks_[t].request].killed) {
    finish_killed_task(
        t);  // the pod it ran on is gone: it ends, and its parent with its last child
    return;
  }
  if (observing()) {
    observe_resume(t);
  }
  for (;;) {
    if (tasks_[t].cache_phase != 0) {
      if (continue_cache(t)) {
        if (observing()) {
          observe_suspend(t);
        }
        return;
      }
    }
    Task& task = tasks_[t];
    if (task.failure != Outcome::ok) {
      finish_task(t);
      return;
    }
    if (task.remaining > 0) {
      --task.remaining;
    } else {
      if (task.next == task.end) {
        finish_task(t);
        return;
      }
      const Id op = task.next++;
      const std::uint32_t count = draw_count(plan_.ops[op]);
      if (count == 0) {
        continue;
      }
      task.current = op;
      task.remaining = count - 1;
    }
    if (execute(t)) {
      if (observing()) {
        observe_suspend(t);
      }
      return;  // suspended: an event or a child resumes it
    }
  }
}

template <bool Observe>
bool Simulation<Observe>::execute(Id t) {
  const plan::Op& op = plan_.ops[tasks_[t].current];
  engine::RandomStream& rng = streams_[op.stream];
  switch (op.kind) {
    case plan::OpKind::cpu: {
      const double work = static_cast<double>(plan_.distributions[op.dist].sample(rng).count());
      const Id pod_id = requests_[tasks_[t].request].pod;
      Pod& pod = pods_[pod_id];
      const plan::Service& svc = plan_.services[pod.service];
      const double scaled = work * services_[pod.service].cpu_factor * warmup_factor(pod);
      tasks_[t].work_ns = scaled;
      if (!svc.async || svc.workers == 0) {
        start_cpu(t, pod_id, scaled);
        return true;
      }
      if (pod.busy_workers < svc.workers) {
        ++pod.busy_workers;
        tasks_[t].holds_worker = true;
        start_cpu(t, pod_id, scaled);
        return true;
      }
      if (svc.queue_capacity >= 0 &&
          static_cast<std::int64_t>(pod.waiting.size()) >= svc.queue_capacity) {
        recorder_.service_rejected(pod.service, requests_[tasks_[t].request].arrived);
        tasks_[t].failure = Outcome::rejected;
        return false;
      }
      enqueue(pod_id, Waiter{t, now_, true});
      return true;
    }
    case plan::OpKind::delay:
      queue_.push(now_ + plan_.distributions[op.dist].sample(rng), delay_done, t,
                  tasks_.generation(t));
      return true;
    case plan::OpKind::call:
      start_call(t, op.call, /*joins_parent=*/false);
      return true;
    case plan::OpKind::parallel: {
      if (op.count == 0) {
        return false;
      }
      tasks_[t].pending = op.count;
      const Id request = tasks_[t].request;
      for (Id i = 0; i < op.count; ++i) {
        const Id call = plan_.child_calls[op.first + i];
        if (call != no_id) {
          // The common fan-out: the parent makes the call itself and counts
          // the answer as a finished child, without a task of its own.
          start_call(t, call, /*joins_parent=*/true);
        } else {
          spawn(t, request, plan_.child_blocks[op.first + i]);
        }
      }
      return true;
    }
    case plan::OpKind::branch: {
      const double u = rng.uniform();
      for (Id i = 0; i < op.count; ++i) {
        const plan::BranchArm& arm = plan_.arms[op.first + i];
        if (u < arm.cumulative) {
          tasks_[t].pending = 1;
          spawn(t, tasks_[t].request, arm.block);
          return true;
        }
      }
      return false;  // the remainder: no alternative runs
    }
    case plan::OpKind::fail:
      if (rng.uniform() < op.fail_rate) {
        tasks_[t].failure = Outcome::error;
      }
      return false;
    case plan::OpKind::cache:
      return start_cache(t, op, rng);
    case plan::OpKind::publish:
      return publish(t, op.queue);
  }
  return false;
}

// -------------------------------------------------------------------- queues

template <bool Observe>
void Simulation<Observe>::note_queue(Id q) {
  QueueState& state = queues_[q];
  if (!recorder_.is_measured(now_)) {
    return;
  }
  state.totals.depth_max = std::max<std::uint64_t>(state.totals.depth_max, state.waiting.size());
  if (!state.waiting.empty()) {
    state.totals.lag_max_s =
        std::max(state.totals.lag_max_s, to_seconds(now_ - state.waiting.front().published));
  }
}

template <bool Observe>
bool Simulation<Observe>::publish(Id t, Id q) {
  const plan::QueueSpec& spec = plan_.queues[q];
  QueueState& state = queues_[q];
  const auto path = static_cast<Id>(plan_.workloads.size() + q);
  recorder_.path_arrival(path, now_);
  const auto backlog = static_cast<std::int64_t>(state.waiting.size() + state.delayed.size());
  if (spec.capacity >= 0 && backlog >= spec.capacity) {
    recorder_.path_finished(path, now_, now_, Outcome::rejected, 0);
    tasks_[t].failure = Outcome::rejected;  // the broker refuses: the step fails
    return false;
  }
  // The broker acknowledges at once; the message waits for a consumer.
  state.waiting.push_back(Message{now_, now_, 0});
  ++open_messages_;
  if (recorder_.is_measured(now_)) {
    ++state.totals.published;
    ++state.open_measured;
  }
  note_queue(q);
  dispatch(q);
  return false;
}

template <bool Observe>
void Simulation<Observe>::dispatch(Id q) {
  const plan::QueueSpec& spec = plan_.queues[q];
  QueueState& state = queues_[q];
  while (state.in_flight < spec.partitions && !state.waiting.empty()) {
    const Message message = state.waiting.front();
    state.waiting.pop_front();
    ++state.in_flight;
    const Id x = exchanges_.allocate();
    Exchange& ex = exchanges_[x];
    ex.queue = q;
    ex.policy = spec.policy;
    ex.edge = spec.edge;
    ex.is_plain = plan_.edges[spec.edge].is_plain;
    ex.target_endpoint = spec.consumer;
    ex.started = now_;
    ex.published = message.published;
    ex.deliveries = message.deliveries + 1;
    if (observing()) {
      observe_exchange_start(x);
      if (obs_->tracing) {
        Observation::at(obs_->exchange_refs, x) = {};  // a queue's deliveries are not traced
      }
    }
    start_attempt(x);
  }
  note_queue(q);
}

template <bool Observe>
void Simulation<Observe>::finish_message(const Exchange& ex, Outcome outcome) {
  const plan::QueueSpec& spec = plan_.queues[ex.queue];
  QueueState& state = queues_[ex.queue];
  const auto path = static_cast<Id>(plan_.workloads.size() + ex.queue);
  --state.in_flight;
  recorder_.call_finished(ex.edge, ex.started, now_, outcome, /*attempts=*/0);
  const bool measured = recorder_.is_measured(ex.published);
  if (outcome != Outcome::ok && ex.deliveries < spec.deliveries) {
    state.delayed.push_back(Message{ex.published, now_ + spec.redelivery_delay, ex.deliveries});
    queue_.push(now_ + spec.redelivery_delay, redeliver, ex.queue);
  } else {
    --open_messages_;
    recorder_.path_finished(path, ex.published, now_, outcome, ex.deliveries);
    if (observing()) {  // before its delivery: waiting in the queue, earlier deliveries
      obs_->done.add(static_cast<std::uint32_t>(plan_.services.size() + ex.queue), Where::broker,
                     (ex.started - ex.published).count());
      observe_path(path, ex.published, outcome);
    }
    if (measured) {
      --state.open_measured;
      if (outcome == Outcome::ok) {
        ++state.totals.consumed;
      } else {
        ++state.totals.dead_letters;  // out of redeliveries
      }
    }
  }
  dispatch(ex.queue);
}

template <bool Observe>
void Simulation<Observe>::on_redeliver(Id q) {
  QueueState& state = queues_[q];
  while (!state.delayed.empty() && state.delayed.front().due <= now_) {
    state.waiting.push_back(state.delayed.front());
    state.delayed.pop_front();
  }
  dispatch(q);
}

// -------------------------------------------------------------------- caches

template <bool Observe>
CacheInstance& Simulation<Observe>::cache_instance(Id cache, Id task) {
  const plan::CacheSpec& spec = plan_.caches[cache];
  std::optional<CacheInstance>* slot = &shared_caches_[cache];
  const Id pod_id = requests_[tasks_[task].request].pod;
  if (!spec.shared && pod_id != no_id) {
    Pod& pod = pods_[pod_id];
    if (pod.caches.size() < plan_.caches.size()) {
      pod.caches.resize(plan_.caches.size());
    }
    slot = &pod.caches[cache];
  }
  if (!*slot) {
    slot->emplace();
    (*slot)->lru = LruCache(spec.capacity, spec.ttl);
  }
  return **slot;
}

template <bool Observe>
bool Simulation<Observe>::start_cache(Id t, const plan::Op& op, engine::RandomStream& rng) {
  const plan::CacheSpec& spec = plan_.caches[op.cache];
  Task& task = tasks_[t];
  if (spec.hit_ratio >= 0) {
    task.cache_hit = rng.uniform() < spec.hit_ratio;  // the simple model
  } else {
    task.cache_key =
        zipf_[op.cache] ? zipf_[op.cache]->sample(rng) : 1 + rng.uniform_int(spec.keys);
    task.cache_hit = cache_instance(op.cache, t).lru.lookup(task.cache_key, now_);
  }
  recorder_.cache_lookup(op.cache, now_, tasks_[t].cache_hit);
  tasks_[t].cache_phase = 1;
  const Duration lookup =
      spec.lookup == no_id ? Duration{0} : plan_.distributions[spec.lookup].sample(rng);
  if (lookup > Duration::zero()) {
    queue_.push(now_ + lookup, delay_done, t, tasks_.generation(t));
    return true;
  }
  return continue_cache(t);
}

template <bool Observe>
bool Simulation<Observe>::continue_cache(Id t) {
  Task& task = tasks_[t];
  const plan::Op& op = plan_.ops[task.current];
  const plan::CacheSpec& spec = plan_.caches[op.cache];
  const bool key_model = spec.hit_ratio < 0;
  switch (task.cache_phase) {
    case 1: {  // the lookup is done
      if (task.cache_hit) {
        task.cache_phase = 0;
        return false;
      }
      if (key_model && spec.coalesce) {
        auto& filling = cache_instance(op.cache, t).filling;
        if (auto it = filling.find(task.cache_key); it != filling.end()) {
          it->second.push_back(t);  // another request is filling this key: wait for it
          tasks_[t].cache_phase = 3;
          return true;
        }
        filling.emplace(task.cache_key, std::vector<Id>{});
      }
      tasks_[t].cache_phase = 2;
      tasks_[t].pending = 1;
      spawn(t, tasks_[t].request, op.first);  // the miss steps
      return true;
    }
    case 2: {  // the miss steps are done: fill, and wake whoever waited
      if (key_model) {
        CacheInstance& instance = cache_instance(op.cache, t);
        if (task.failure == Outcome::ok) {
          instance.lru.fill(task.cache_key, now_);
        }
        if (spec.coalesce) {
          if (auto it = instance.filling.find(task.cache_key); it != instance.filling.end()) {
            for (Id waiter : it->second) {
              tasks_[waiter].failure = task.failure;  // one fill, one fate
              ready(waiter);
            }
            instance.filling.erase(it);
          }
        }
      }
      tasks_[t].cache_phase = 0;
      return false;
    }
    default:  // 3: woken by the fill it waited for
      task.cache_phase = 0;
      return false;
  }
}

template <bool Observe>
void Simulation<Observe>::finish_killed_task(Id t) {
  Task& task = tasks_[t];
  if (task.cache_phase == 2) {
    // It was filling a cache key that others wait for: the fill dies with it,
    // and they fail as it does (one fill, one fate). Left registered, the
    // fill would hold every later miss of the key for ever.
    const plan::Op& op = plan_.ops[task.current];
    const plan::CacheSpec& spec = plan_.caches[op.cache];
    if (spec.hit_ratio < 0 && spec.coalesce) {
      auto& filling = cache_instance(op.cache, t).filling;
      if (auto it = filling.find(task.cache_key); it != filling.end()) {
        for (Id waiter : it->second) {
          tasks_[waiter].failure = Outcome::error;
          ready(waiter);
        }
        filling.erase(it);
      }
    }
    task.cache_phase = 0;
  }
  finish_task(t);
}

template <bool Observe>
inline void Simulation<Observe>::finish_task(Id t) {
  // The three fields it needs, not a copy of the task: its step counter was
  // just written, and a wide load across that narrow store waits for it to
  // land (perf).
  const Id request = tasks_[t].request;
  const Id parent_id = tasks_[t].parent;
  const Outcome failure = tasks_[t].failure;
  tasks_.release(t);
  if (parent_id == no_id) {
    if (observing()) {  // the request's time, on its way to the caller
      std::swap(obs_->answer, Observation::at(obs_->tasks, t));
    }
    finish_request(request, failure);
    return;
  }
  Task& parent = tasks_[parent_id];
  if (failure != Outcome::ok && parent.failure == Outcome::ok) {
    parent.failure = failure;
  }
  if (--parent.pending == 0) {
    if (observing()) {  // the last child to finish is the critical path
      Ledger& child = Observation::at(obs_->tasks, t);
      Observation::at(obs_->tasks, parent_id).merge(child);
      child.clear();
    }
    ready(parent_id);  // fork-join: the parent goes on once every child is done
  }
}

// ----------------------------------------------------------------------- CPU

template <bool Observe>
inline void Simulation<Observe>::touch_cpu(Id pod_id) {
  Pod& pod = pods_[pod_id];
  recorder_.cpu_busy(pod.service, pod.cpu.last_update(), now_, pod.cpu.busy_cores());
  pod.used_core_ns +=
      pod.cpu.busy_cores() * static_cast<double>((now_ - pod.cpu.last_update()).count());
  if (pod.cpu.is_throttled() && pod.cpu.busy() > 0) {
    recorder_.cpu_throttled(pod.service, pod.cpu.last_update(), now_);
    pod.throttled_ns += static_cast<double>((now_ - pod.cpu.last_update()).count());
  }
  pod.cpu.advance(now_);
  if (!pod.dirty) {
    pod.dirty = true;
    dirty_pods_.push(pod_id);
  }
}

template <bool Observe>
void Simulation<Observe>::start_cpu(Id t, Id pod_id, double work_ns) {
  touch_cpu(pod_id);
  pods_[pod_id].cpu.add(now_, work_ns, t);
  if (observing()) {
    observe_cpu_start(t);
  }
}

template <bool Observe>
void Simulation<Observe>::on_cpu_done(Id pod_id) {
  Pod& pod = pods_[pod_id];
  pod.scheduled = Time::max();
  touch_cpu(pod_id);
  while (auto t = pod.cpu.pop_done()) {
    Task& task = tasks_[*t];
    if (can_abandon_ && is_orphaned(task.request)) {
      recorder_.wasted_cpu(pod.service, now_, task.work_ns);
    }
    if (task.holds_worker) {  // async pods hold a worker for the cpu op only
      task.holds_worker = false;
      release_worker(pod_id);
    }
    ready(*t);
  }
}

template <bool Observe>
void Simulation<Observe>::reschedule_dirty_pods() {
  for (std::size_t i = 0; i < dirty_pods_.size(); ++i) {
    const Id pod_id = dirty_pods_[i];
    Pod& pod = pods_[pod_id];
    pod.dirty = false;
    // Time::max() for none: one comparison, where two optionals take two.
    const Time next = pod.cpu.next_completion().value_or(Time::max());
    if (next == pod.scheduled) {
      continue;  // the event in the queue is still right
    }
    pod.scheduled = next;
    if (next != Time::max()) {  // a pod's timer is its id: the pending completion moves
      queue_.set_timer(pod_id, next, cpu_done, pod_id);
    } else {
      queue_.cancel_timer(pod_id);
    }
  }
  dirty_pods_.clear();
}

// ---------------------------------------------------------- tail attribution
//
// A replay only. Each task keeps a ledger of its time: when it resumes, the
// stretch since it suspended goes to what it waited for (CPU, a delay, a
// cache lookup), less what arrived meanwhile by merging (a call's answer, the
// last child of a parallel step). docs/semantics.md, "Tail attribution".

template <bool Observe>
void Simulation<Observe>::observe_spawn(Id t, Duration waited) {
  Ledger& ledger = Observation::at(obs_->tasks, t);
  ledger.clear();
  ledger.add(plan_.endpoints[requests_[tasks_[t].request].endpoint].service, Where::queue,
             waited.count());
  if (obs_->tracing && waited > Duration::zero()) {
    trace_phase(tasks_[t].request, "queue", now_ - waited, now_);
  }
  // Until it first runs it waits only for a slow fault's added latency.
  Observation::at(obs_->marks, t) =
      TaskMark{.since = now_, .merged_at = ledger.total(), .what = Where::delay};
}

template <bool Observe>
void Simulation<Observe>::observe_suspend(Id t) {
  TaskMark& mark = Observation::at(obs_->marks, t);
  const Task& task = tasks_[t];
  mark.since = now_;
  mark.merged_at = Observation::at(obs_->tasks, t).total();
  mark.is_cpu = false;
  mark.warmup_share = 0;
  mark.what = Where::unaccounted;  // calls and children: their ledgers cover the wait
  switch (plan_.ops[task.current].kind) {
    case plan::OpKind::cpu:
      mark.is_cpu = true;
      if (const Id pod = requests_[task.request].pod; pod != no_id) {
        mark.warmup_share = 1.0 - 1.0 / warmup_factor(pods_[pod]);
      }
      break;
    case plan::OpKind::delay:
      mark.what = Where::delay;
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

template <bool Observe>
void Simulation<Observe>::observe_cpu_start(Id t) {
  TaskMark& mark = Observation::at(obs_->marks, t);
  mark.cpu_started = now_;
  mark.throttled_at = pods_[requests_[tasks_[t].request].pod].throttled_ns;
}

template <bool Observe>
void Simulation<Observe>::observe_resume(Id t) {
  TaskMark& mark = Observation::at(obs_->marks, t);
  if (mark.since == Time::min()) {
    return;
  }
  Ledger& ledger = Observation::at(obs_->tasks, t);
  const Request& request = requests_[tasks_[t].request];
  const Id service = plan_.endpoints[request.endpoint].service;
  // The stretch since it suspended, less what merged ledgers already cover.
  const Time since = std::exchange(mark.since, Time::min());
  const std::int64_t own = (now_ - since).count() - (ledger.total() - mark.merged_at);
  if (!mark.is_cpu) {
    ledger.add(service, mark.what, own);
    if (obs_->tracing && own > 0 && mark.what != Where::unaccounted) {
      trace_phase(tasks_[t].request, where_names[static_cast<std::size_t>(mark.what)].data(), since,
                  now_);
    }
    return;
  }
  // A cpu op: waiting for a worker (async pods), then running. While it runs
  // it is either stopped by the quota, or progressing: its own demand, and
  // beyond it the time lost sharing the pod's cores.
  const std::int64_t waited = std::clamp<std::int64_t>((mark.cpu_started - since).count(), 0, own);
  const std::int64_t ran = own - waited;
  const auto throttled = std::clamp<std::int64_t>(
      std::llround(pods_[request.pod].throttled_ns - mark.throttled_at), 0, ran);
  const std::int64_t demand =
      std::min(ran - throttled, static_cast<std::int64_t>(std::llround(tasks_[t].work_ns)));
  ledger.add(service, Where::queue, waited);
  ledger.add(service, Where::throttled, throttled);
  const auto warmup =
      static_cast<std::int64_t>(std::llround(static_cast<double>(demand) * mark.warmup_share));
  ledger.add(service, Where::warmup, warmup);
  ledger.add(service, Where::cpu, demand - warmup);
  ledger.add(service, Where::cpu_contention, ran - throttled - demand);
  if (obs_->tracing) {
    if (waited > 0) {
      trace_phase(tasks_[t].request, "queue", since, mark.cpu_started);
    }
    trace_phase(tasks_[t].request, "cpu", mark.cpu_started, now_);
  }
}

template <bool Observe>
void Simulation<Observe>::observe_exchange_start(Id x) {
  Observation::at(obs_->exchanges, x).clear();
  Observation::at(obs_->backoff_ns, x) = 0;
}

template <bool Observe>
void Simulation<Observe>::observe_attempt_won(Id call) {
  // The call's time: before this attempt was sent (backoffs, earlier
  // attempts, a hedge's wait), the callee's ledger, and the network.
  const Call& c = calls_[call];
  const Exchange& ex = exchanges_[c.exchange];
  const Id callee = plan_.endpoints[c.target_endpoint].service;
  Ledger& ledger = Observation::at(obs_->exchanges, c.exchange);
  Ledger& answer = Observation::at(obs_->calls, call);
  const std::int64_t before = (c.sent - ex.started).count();
  const std::int64_t backoff = std::min(before, Observation::at(obs_->backoff_ns, c.exchange));
  ledger.clear();
  ledger.add(callee, Where::backoff, backoff);
  ledger.add(callee, Where::failed_attempts, before - backoff);
  ledger.merge(answer);
  ledger.add(callee, Where::network, (now_ - c.sent).count() - answer.total());
  answer.clear();
}

template <bool Observe>
void Simulation<Observe>::observe_exchange_done(Id x, Outcome outcome) {
  const Exchange& ex = exchanges_[x];
  const Id callee = plan_.endpoints[ex.target_endpoint].service;
  Ledger& ledger = Observation::at(obs_->exchanges, x);
  const std::int64_t elapsed = (now_ - ex.started).count();
  if (outcome != Outcome::ok) {  // all of it spent on attempts that failed
    const std::int64_t backoff = std::min(elapsed, Observation::at(obs_->backoff_ns, x));
    ledger.clear();
    ledger.add(callee, Where::backoff, backoff);
    ledger.add(callee, Where::failed_attempts, elapsed - backoff);
  } else if (ex.is_plain) {  // the callee's answer is in; the rest was the network
    ledger.add(callee, Where::network, elapsed - ledger.total());
  }
  std::swap(obs_->done, ledger);
}

template <bool Observe>
void Simulation<Observe>::observe_path(Id path, Time started, Outcome outcome) {
  Ledger& ledger = obs_->done;
  if (outcome == Outcome::ok && recorder_.is_measured(started)) {
    const std::int64_t latency = (now_ - started).count();
    assert(ledger.total() <= latency && "a request's parts cannot exceed its latency");
    ledger.add(0, Where::unaccounted, latency - ledger.total());
    obs_->all[path].add(ledger, latency);
    if (latency >= obs_->slow_from_ns[path]) {
      obs_->slowest[path].add(ledger, latency);
    }
  }
  ledger.clear();
}

template <bool Observe>
void Simulation<Observe>::attribution_results(stats::Results& results) const {
  auto entity_name = [&](std::size_t entity) -> const std::string& {
    return entity < plan_.services.size() ? plan_.services[entity].name
                                          : plan_.queues[entity - plan_.services.size()].name;
  };
  auto group = [&](const LedgerSum& sum) {
    stats::AttributionGroup out;
    out.requests = sum.requests;
    if (sum.requests == 0) {
      return out;
    }
    const auto n = static_cast<double>(sum.requests);
    out.latency_ms = sum.latency_ns / n * 1e-6;
    for (const auto& [key, ns] : sum.totals) {
      if (ns <= 0) {
        continue;
      }
      const auto where = static_cast<Where>(key % where_count);
      stats::AttributionPart part;
      part.entity = where == Where::unaccounted ? std::string() : entity_name(key / where_count);
      part.what = std::string(where_names[key % where_count]);
      part.ms = ns / n * 1e-6;
      part.share = out.latency_ms > 0 ? part.ms / out.latency_ms : 0.0;
      out.parts.push_back(std::move(part));
    }
    std::stable_sort(out.parts.begin(), out.parts.end(),
                     [](const auto& a, const auto& b) { return a.ms > b.ms; });
    return out;
  };
  for (std::size_t p = 0; p < results.paths.size() && p < obs_->all.size(); ++p) {
    stats::Attribution& attribution = results.paths[p].attribution;
    attribution.is_computed = true;
    attribution.mean = group(obs_->all[p]);
    attribution.slowest = group(obs_->slowest[p]);
    attribution.slowest.from_ms = static_cast<double>(obs_->slow_from_ns[p]) * 1e-6;
  }
}

// -------------------------------------------------------------------- traces
//
// A replay only, for the requests the first pass chose. Spans are kept in
// creation order (parents first) with their parent's index; ids come at the
// end, from the seed, the path and the request's arrival number.

template <bool Observe>
std::int32_t Simulation<Observe>::open_span(std::int32_t trace, std::int32_t parent,
                                            stats::SpanKind kind, std::string name,
                                            std::string service, Id endpoint, Id pod) {
  stats::Trace& t = obs_->traces[static_cast<std::size_t>(trace)];
  if (t.spans.size() >= stats::max_spans_per_trace || obs_->spans >= stats::max_trace_spans) {
    ++t.dropped_spans;  // and its subtree: a span never opened has no children
    return -1;
  }
  ++obs_->spans;
  stats::Span span;
  span.parent_span_id = static_cast<std::uint64_t>(parent + 1);  // an index + 1 until the end
  span.name = std::move(name);
  span.kind = kind;
  span.service = std::move(service);
  if (endpoint != no_id) {
    const plan::Endpoint& e = plan_.endpoints[endpoint];
    if (span.service.empty()) {
      span.service = plan_.services[e.service].name;
    }
    span.endpoint = e.name.substr(e.name.find('.') + 1);
  }
  if (pod != no_id) {
    span.pod = fmt::format("{}-{}", plan_.services[pods_[pod].service].name, pods_[pod].ordinal);
  }
  span.start_ns = (now_ - Time{}).count();
  span.end_ns = -1;  // open
  t.spans.push_back(std::move(span));
  return static_cast<std::int32_t>(t.spans.size() - 1);
}

template <bool Observe>
void Simulation<Observe>::close_span(std::int32_t trace, std::int32_t span, Outcome outcome,
                                     Time end) {
  if (trace < 0 || span < 0) {
    return;
  }
  stats::Span& s =
      obs_->traces[static_cast<std::size_t>(trace)].spans[static_cast<std::size_t>(span)];
  if (s.end_ns < 0) {
    s.end_ns = (end - Time{}).count();
    s.outcome = outcome;
  }
}

template <bool Observe>
void Simulation<Observe>::trace_client_request(Id x, Id w, std::uint64_t index) {
  Observation::TraceRef& ref = Observation::at(obs_->exchange_refs, x);
  ref = {};
  const auto& chosen = obs_->chosen[w];
  const auto it =
      std::lower_bound(chosen.begin(), chosen.end(), index,
                       [](const auto& entry, std::uint64_t i) { return entry.first < i; });
  if (it == chosen.end() || it->first != index) {
    return;
  }
  if (obs_->spans >= stats::max_trace_spans) {
    ++obs_->traces_dropped;
    return;
  }
  stats::Trace trace;
  trace.path = plan_.workloads[w].name;
  trace.request = index;
  trace.why = it->second;
  trace.outcome = Outcome::unfinished;
  obs_->traces.push_back(std::move(trace));
  ref.trace = static_cast<std::int32_t>(obs_->traces.size() - 1);
  ref.span = open_span(ref.trace, -1, stats::SpanKind::client, plan_.workloads[w].name,
                       plan_.workloads[w].name, no_id, no_id);
  obs_->traces.back().spans.back().endpoint = plan_.endpoints[plan_.workloads[w].entry].name;
}

template <bool Observe>
void Simulation<Observe>::trace_call(Id x, Id task) {
  const Observation::TraceRef caller = Observation::at(obs_->request_refs, tasks_[task].request);
  Observation::TraceRef& ref = Observation::at(obs_->exchange_refs, x);
  ref = {};
  if (caller.trace >= 0) {
    ref.trace = caller.trace;
    ref.parent = caller.span;
  }
}

template <bool Observe>
void Simulation<Observe>::trace_attempt(Id x, Id call, bool is_hedge) {
  // An attempt: a client span at the caller (none for the client's own
  // attempts, which reach the entry service directly); the server span at
  // the callee hangs under it.
  Observation::TraceRef& exchange_ref = Observation::at(obs_->exchange_refs, x);
  Observation::TraceRef ref{exchange_ref.trace, exchange_ref.parent, -1};
  const Exchange& ex = exchanges_[x];
  if (ref.trace >= 0) {
    if (ex.site == no_id) {
      ref.span = exchange_ref.span;  // the root
    } else {
      const plan::CallSite& site = plan_.calls[ex.site];
      const Id caller_pod = requests_[tasks_[ex.caller_task].request].pod;
      ref.span = open_span(ref.trace, ref.parent, stats::SpanKind::client,
                           fmt::format("{} → {}", plan_.services[site.caller_service].name,
                                       plan_.endpoints[ex.target_endpoint].name),
                           plan_.services[site.caller_service].name, no_id, caller_pod);
      if (ref.span < 0) {
        ref = {};  // dropped: the attempt and what it leads to go untraced
      } else {
        stats::Span& span = obs_->traces[static_cast<std::size_t>(ref.trace)]
                                .spans[static_cast<std::size_t>(ref.span)];
        span.endpoint = plan_.endpoints[ex.target_endpoint].name;
        span.attempt = ex.attempts;
        span.is_hedge = is_hedge;
      }
    }
  }
  if (call == no_id) {
    exchange_ref.span = ref.span;  // a plain call's one attempt is its exchange
  } else {
    Observation::at(obs_->call_refs, call) = ref;
  }
}

template <bool Observe>
void Simulation<Observe>::trace_failed_fast(Id x, Outcome outcome) {
  const Exchange& ex = exchanges_[x];
  const Observation::TraceRef& ref = Observation::at(obs_->exchange_refs, x);
  if (ref.trace < 0 || ex.site == no_id) {
    return;
  }
  // An attempt refused before it left (open circuit, full bulkhead, no time
  // left): an instant client span with its outcome.
  const plan::CallSite& site = plan_.calls[ex.site];
  const std::int32_t span =
      open_span(ref.trace, ref.parent, stats::SpanKind::client,
                fmt::format("{} → {}", plan_.services[site.caller_service].name,
                            plan_.endpoints[ex.target_endpoint].name),
                plan_.services[site.caller_service].name, no_id,
                requests_[tasks_[ex.caller_task].request].pod);
  if (span < 0) {
    return;
  }
  stats::Span& s =
      obs_->traces[static_cast<std::size_t>(ref.trace)].spans[static_cast<std::size_t>(span)];
  s.endpoint = plan_.endpoints[ex.target_endpoint].name;
  s.attempt = ex.attempts + 1;
  close_span(ref.trace, span, outcome, now_);
}

template <bool Observe>
void Simulation<Observe>::trace_request_arrived(Id r) {
  const Request& req = requests_[r];
  const Observation::TraceRef from = req.is_plain ? Observation::at(obs_->exchange_refs, req.call)
                                                  : Observation::at(obs_->call_refs, req.call);
  Observation::TraceRef& ref = Observation::at(obs_->request_refs, r);
  ref = {};
  if (from.trace < 0) {
    return;
  }
  ref.trace = from.trace;
  ref.span = open_span(ref.trace, from.span >= 0 ? from.span : std::max(from.parent, 0),
                       stats::SpanKind::server, plan_.endpoints[req.endpoint].name, std::string(),
                       req.endpoint, req.pod);
  if (ref.span < 0) {
    ref = {};
    return;
  }
  const Exchange& ex = exchanges_[req.is_plain ? req.call : calls_[req.call].exchange];
  stats::Span& span =
      obs_->traces[static_cast<std::size_t>(ref.trace)].spans[static_cast<std::size_t>(ref.span)];
  span.attempt = ex.attempts;
  span.is_hedge = !req.is_plain && calls_[req.call].is_hedge;
}

template <bool Observe>
void Simulation<Observe>::trace_request_done(Id r, Outcome outcome) {
  close_span(Observation::at(obs_->request_refs, r), outcome);
}

template <bool Observe>
void Simulation<Observe>::trace_phase(Id request, const char* name, Time start, Time end) {
  const Observation::TraceRef ref = Observation::at(obs_->request_refs, request);
  if (ref.trace < 0) {
    return;
  }
  const Request& req = requests_[request];
  const std::int32_t span = open_span(ref.trace, ref.span, stats::SpanKind::internal, name,
                                      std::string(), req.endpoint, req.pod);
  if (span < 0) {
    return;
  }
  obs_->traces[static_cast<std::size_t>(ref.trace)].spans[static_cast<std::size_t>(span)].start_ns =
      (start - Time{}).count();
  close_span(ref.trace, span, Outcome::ok, end);
}

template <bool Observe>
void Simulation<Observe>::trace_results(stats::Results& results, Time finished) {
  for (stats::Trace& trace : obs_->traces) {
    Id w = 0;
    while (plan_.workloads[w].name != trace.path) {
      ++w;
    }
    // Ids from the seed, the path and the arrival number: a rerun matches.
    const std::uint64_t key = splitmix64(plan_.seed ^ splitmix64(w + 1) ^ (trace.request << 1));
    trace.trace_id_high = splitmix64(key);
    trace.trace_id_low = splitmix64(key + 1);
    if (trace.trace_id_high == 0 && trace.trace_id_low == 0) {
      trace.trace_id_low = 1;
    }
    for (std::size_t k = 0; k < trace.spans.size(); ++k) {
      stats::Span& span = trace.spans[k];
      span.span_id = splitmix64(trace.trace_id_low + k + 1);
      span.span_id = span.span_id == 0 ? 1 : span.span_id;
      if (span.end_ns < 0) {  // still open when the run ended
        span.end_ns = (finished - Time{}).count();
        span.outcome = Outcome::unfinished;
      }
    }
    for (stats::Span& span : trace.spans) {
      span.parent_span_id =
          span.parent_span_id == 0 ? 0 : trace.spans[span.parent_span_id - 1].span_id;
    }
  }
  results.traces = std::move(obs_->traces);
  results.traces_dropped = obs_->traces_dropped;
  std::stable_sort(results.traces.begin(), results.traces.end(),
                   [](const stats::Trace& a, const stats::Trace& b) {
                     return a.path != b.path ? a.path < b.path
                                             : a.spans.front().start_ns < b.spans.front().start_ns;
                   });
}

// --------------------------------------------------------------- time series

template <bool Observe>
template <class Visit>
void Simulation<Observe>::for_each_gauge(Visit visit) {
  // The values the time series samples at the end of each interval, in a
  // fixed order: visit(entity, metric, value), where entity() makes the
  // entity's name (only when wanted: this runs at every interval).
  constexpr double undefined = std::numeric_limits<double>::quiet_NaN();
  for (Id w = 0; w < workloads_.size(); ++w) {
    visit([&] { return "path/" + plan_.workloads[w].name; }, "in_flight",
          static_cast<double>(workloads_[w].open));
  }
  for (Id q = 0; q < queues_.size(); ++q) {
    const QueueState& state = queues_[q];
    const std::string& name = plan_.queues[q].name;
    visit([&] { return "path/" + name; }, "in_flight",
          static_cast<double>(state.waiting.size() + state.delayed.size() + state.in_flight));
    visit([&] { return "queue/" + name; }, "depth", static_cast<double>(state.waiting.size()));
    visit([&] { return "queue/" + name; }, "lag_s",
          state.waiting.empty() ? 0.0 : to_seconds(now_ - state.waiting.front().published));
  }
  for (Id s = 0; s < services_.size(); ++s) {
    if (plan_.services[s].external) {
      continue;
    }
    auto entity = [&] { return "service/" + plan_.services[s].name; };
    visit(entity, "replicas_ready", static_cast<double>(services_[s].pods.size()));
    visit(entity, "replicas_starting", static_cast<double>(starting_pods(s)));
  }
  for (Id a = 0; a < autoscalers_.size(); ++a) {
    const AutoscalerState& state = autoscalers_[a];
    auto entity = [&] { return "autoscaler/" + plan_.autoscalers[a].name; };
    const bool has_metric = !state.result.history.empty() && state.result.history.back().has_metric;
    visit(entity, "metric", has_metric ? state.result.history.back().metric : undefined);
    visit(entity, "desired", static_cast<double>(services_[plan_.autoscalers[a].service].desired));
    visit(entity, "ready",
          static_cast<double>(services_[plan_.autoscalers[a].service].pods.size()));
  }
  for (Id e = 0; e < edges_.size(); ++e) {
    if (!edges_[e].breaker) {
      continue;
    }
    auto entity = [&] {
      const plan::Edge& edge = plan_.edges[e];
      const std::string caller =
          edge.caller_service != no_id ? plan_.services[edge.caller_service].name
          : edge.queue != no_id        ? "queue/" + plan_.queues[edge.queue].name
                                       : "client/" + plan_.workloads[edge.workload].name;
      return "breaker/" + caller + "->" + plan_.endpoints[edge.target_endpoint].name;
    };
    visit(entity, "state", static_cast<double>(edges_[e].breaker->state()));
  }
}

template <bool Observe>
void Simulation<Observe>::close_interval(Time start, Time end) {
  // Close every time-weighted span at the boundary, so that the interval's
  // CPU, queue and capacity sums are its own.
  for (Id p = 0; p < pods_.size(); ++p) {
    if (pods_[p].phase == PodPhase::ready || pods_[p].phase == PodPhase::terminating) {
      touch_cpu(p);
    }
  }
  for (Id s = 0; s < services_.size(); ++s) {
    if (!plan_.services[s].external) {
      note_waiting(s, 0);
      note_capacity(s);
    }
  }
  recorder_.close_interval(end - start);
  std::size_t g = 0;
  for_each_gauge([&](const auto&, const char*, double value) { gauges_[g++].push_back(value); });
}

template <bool Observe>
std::vector<stats::TimeMarker> Simulation<Observe>::markers() const {
  std::vector<stats::TimeMarker> out;
  for (const plan::Fault& f : plan_.faults) {
    const std::string target = f.kind == plan::FaultKind::flush ? plan_.caches[f.service].name
                                                                : plan_.services[f.service].name;
    std::string what;
    switch (f.kind) {
      case plan::FaultKind::kill:
        what = fmt::format("kill {} ({} pod{})", target, f.pods, f.pods == 1 ? "" : "s");
        break;
      case plan::FaultKind::slow:
        what = fmt::format("slow {}", target);
        break;
      case plan::FaultKind::fail:
        what = fmt::format("fail {} ({:g}%)", target, f.rate * 100);
        break;
      case plan::FaultKind::down:
        what = fmt::format("down {}", target);
        break;
      case plan::FaultKind::partition:
        what = fmt::format("partition {} | {}", target, plan_.services[f.other].name);
        break;
      case plan::FaultKind::cpu:
        what = fmt::format("cpu {} at {:g} cores", target, f.cores);
        break;
      case plan::FaultKind::flush:
        what = fmt::format("flush {}", target);
        break;
    }
    out.push_back(stats::TimeMarker{to_seconds(f.at - Time{}), what});
    if (f.until != Time::max() && f.kind != plan::FaultKind::kill &&
        f.kind != plan::FaultKind::flush) {
      out.push_back(stats::TimeMarker{to_seconds(f.until - Time{}), what + " ends"});
    }
  }
  for (const plan::Workload& w : plan_.workloads) {
    if (w.kind != plan::WorkloadKind::open || w.schedule.size() < 2) {
      continue;  // a constant rate changes nothing
    }
    for (const plan::RatePoint& p : w.schedule) {
      out.push_back(stats::TimeMarker{
          to_seconds(p.at - Time{}),
          p.ramp > Duration::zero()
              ? fmt::format("{}: ramp to {:g}/s over {:g}s", w.name, p.rate, to_seconds(p.ramp))
              : fmt::format("{}: {:g}/s", w.name, p.rate)});
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.t_s < b.t_s; });
  return out;
}

// ---------------------------------------------------------------------- run

template <bool Observe>
stats::Results Simulation<Observe>::run() {
  start_autoscalers();
  start_workloads();
  const Duration interval = plan_.interval;
  if (interval > Duration::zero()) {
    next_interval_ = Time{} + interval;
    for_each_gauge([&](const auto&, const char*, double) { gauges_.emplace_back(); });
  }
  next_due_ = std::min(next_interval_, backlog_.next_due());
  while (!queue_.empty()) {
    const engine::Event event = queue_.pop();
    if (event.at > end_) {
      break;
    }
    if (event.at >= next_due_) [[unlikely]] {
      catch_up(event.at);
    }
    now_ = event.at;
    ++events_;
    switch (static_cast<EventKind>(event.kind)) {
      case workload_arrival:
        on_arrival(event.target);
        break;
      case burst_toggle:
        on_burst_toggle(event.target);
        break;
      case request_delivered:
        if (calls_.is_current(event.target, event.generation)) {
          on_request_delivered(event.target);
        }
        break;
      case response_delivered:
        if (calls_.is_current(event.target, event.generation)) {
          on_response_delivered(event.target);
        }
        break;
      case plain_request_delivered:
        if (exchanges_.is_current(event.target, event.generation)) {
          on_plain_request_delivered(event.target);
        }
        break;
      case plain_response_delivered:
        if (exchanges_.is_current(event.target, event.generation)) {
          exchange_done(event.target, exchanges_[event.target].answer);
        }
        break;
      case cpu_done:
        on_cpu_done(event.target);
        break;
      case delay_done:
        if (tasks_.is_current(event.target, event.generation)) {
          ready(event.target);
        }
        break;
      case attempt_timeout:
        if (calls_.is_current(event.target, event.generation)) {
          attempt_done(event.target, Outcome::timeout);
        }
        break;
      case retry_due:
        if (exchanges_.is_current(event.target, event.generation)) {
          start_attempt(event.target);
        }
        break;
      case hedge_due:
        if (exchanges_.is_current(event.target, event.generation)) {
          on_hedge_due(event.target);
        }
        break;
      case redeliver:
        on_redeliver(event.target);
        break;
      case fault_start:
        on_fault(event.target, /*starts=*/true);
        break;
      case fault_end:
        on_fault(event.target, /*starts=*/false);
        break;
      case pod_ready:
        on_pod_ready(event.target);
        break;
      case pod_grace_end:
        on_grace_end(event.target);
        break;
      case autoscaler_sync:
        on_autoscaler_sync(event.target);
        break;
      case metrics_snapshot:
        on_snapshot(event.target);
        break;
      case node_ready:
        on_node_ready();
        break;
    }
    drain_ready();
    reschedule_dirty_pods();
    if (now_ >= window_end_ && open_client_requests_ == 0 && open_messages_ == 0) {
      break;  // arrivals have stopped and every request is answered
    }
    if ((events_ & 0xFFFFF) == 0 && limits_.on_progress) {
      limits_.on_progress(to_seconds(now_ - Time{}) / to_seconds(end_ - Time{}));
    }
    if (limits_.max_events != 0 && events_ >= limits_.max_events) {
      stop_reason_ = "event limit";
      break;
    }
    if ((events_ & 0xFFFF) == 0 && should_stop()) [[unlikely]] {
      break;
    }
  }
  // A run stopped early covers the time simulated: closing the intervals up
  // to the window's end would fill (and allocate) the series for time never
  // simulated, hours of it after a signal in a long run.
  const Time finished =
      stop_reason_.empty() ? std::min(std::max(now_, window_end_), end_) : std::min(now_, end_);
  if (interval > Duration::zero()) {  // the intervals up to the end, the last one partial
    while (next_interval_ - interval < finished) {
      now_ = std::min(next_interval_, finished);
      close_interval(next_interval_ - interval, now_);
      next_interval_ += interval;
    }
    now_ = std::max(now_, finished);
  }
  return results(finished, !stop_reason_.empty());
}

template <bool Observe>
void Simulation<Observe>::catch_up(Time at) {
  while (at >= next_due_) {
    now_ = next_due_;
    if (next_due_ == next_interval_) {
      close_interval(next_interval_ - plan_.interval, next_interval_);
      next_interval_ += plan_.interval;
    } else {
      backlog_.take(backlog_samples());
    }
    next_due_ = std::min(next_interval_, backlog_.next_due());
  }
}

template <bool Observe>
bool Simulation<Observe>::should_stop() {
  if (limits_.stop_requested != nullptr &&
      limits_.stop_requested->load(std::memory_order_relaxed)) {
    stop_reason_ = "interrupted";
  } else if (limits_.max_memory_bytes != 0) {
    if (const LiveWork work = live_work(); work.total() > limits_.max_memory_bytes) {
      stop_reason_ = memory_stop_reason(work, limits_.max_memory_bytes);
    }
  }
  return !stop_reason_.empty();
}

template <bool Observe>
LiveWork Simulation<Observe>::live_work() const {
  LiveWork work;
  work.pools =
      pool_bytes(tasks_) + pool_bytes(requests_) + pool_bytes(calls_) + pool_bytes(exchanges_);
  work.events = queue_.size() * sizeof(engine::Event);
  for (const ServiceState& state : services_) {
    work.queued += state.waiting * sizeof(Waiter);
  }
  for (const QueueState& queue : queues_) {
    work.queued += (queue.waiting.size() + queue.delayed.size()) * sizeof(Message);
  }
  work.series = (gauges_.size() * sizeof(double) + recorder_.series_bytes_per_interval()) *
                recorder_.intervals();
  work.traces = exchange_index_.size() * sizeof(std::uint64_t);
  if constexpr (Observe) {
    work.replay = obs_->bytes();
  } else if (limits_.attribution || limits_.traces > 0) {
    // The replay that follows keeps, beside the same pools, a critical-path
    // ledger (a few parts) per task, call and exchange, and trace references.
    constexpr std::uint64_t ledger = sizeof(Ledger) + 4 * sizeof(Ledger::Part);
    work.replay = tasks_.capacity() * (ledger + sizeof(TaskMark)) + calls_.capacity() * ledger +
                  exchanges_.capacity() * (ledger + sizeof(std::int64_t));
    if (limits_.traces > 0) {
      work.replay += (requests_.capacity() + calls_.capacity() + exchanges_.capacity()) *
                     sizeof(Observation::TraceRef);
    }
  }
  if (choose_ != nullptr) {  // the requests it may keep, each an index and a reason
    work.traces +=
        std::uint64_t{limits_.traces} * 2 * sizeof(std::pair<std::uint64_t, std::string>);
  }
  return work;
}

template <bool Observe>
std::vector<BacklogSample> Simulation<Observe>::backlog_samples() const {
  std::vector<BacklogSample> samples(workloads_.size());
  for (std::size_t w = 0; w < workloads_.size(); ++w) {
    samples[w] = {workloads_[w].open, workloads_[w].arrivals};
  }
  return samples;
}

template <bool Observe>
stats::Results Simulation<Observe>::results(Time finished, bool stopped_early) {
  if (stopped_early) {
    recorder_.cut_window(finished);  // rates and time averages over the time simulated
  } else {
    while (backlog_.next_due() <= finished) {  // the queue ran dry before the window's end
      backlog_.take(backlog_samples());
    }
  }
  // Time-weighted statistics up to the end, and what was left open.
  for (Id p = 0; p < pods_.size(); ++p) {
    Pod& pod = pods_[p];
    recorder_.cpu_busy(pod.service, pod.cpu.last_update(), finished, pod.cpu.busy_cores());
    if (pod.cpu.is_throttled() && pod.cpu.busy() > 0) {
      recorder_.cpu_throttled(pod.service, pod.cpu.last_update(), finished);
    }
    if (pod.cpu.last_update() < finished) {
      pod.cpu.advance(finished);  // closes the last CFS period for cpu.stat
    }
  }
  for (Id s = 0; s < services_.size(); ++s) {
    const ServiceState& state = services_[s];
    recorder_.queue_length(s, state.waiting_since, finished, static_cast<double>(state.waiting));
    recorder_.cpu_capacity(s, state.capacity_since, finished,
                           static_cast<double>(state.cpu_pods) * state.cores);
    recorder_.replicas(s, state.capacity_since, finished, static_cast<double>(state.pods.size()));
  }
  for (Id w = 0; w < workloads_.size(); ++w) {
    recorder_.path_unfinished(w, workloads_[w].open_measured);
  }
  for (Id q = 0; q < queues_.size(); ++q) {
    recorder_.path_unfinished(static_cast<Id>(workloads_.size() + q), queues_[q].open_measured);
  }
  for (Id x = 0; x < exchanges_.capacity(); ++x) {
    if (!exchanges_.is_live(x)) {
      continue;
    }
    const Exchange& ex = exchanges_[x];
    if (ex.site != no_id) {
      recorder_.call_unfinished(ex.edge, ex.started, ex.attempts);
    } else if (ex.queue != no_id) {
      recorder_.call_unfinished(ex.edge, ex.started, /*attempts=*/0);  // a delivery in progress
    }
  }

  stats::Results results;
  results.model = plan_.model_name;
  results.seed = plan_.seed;
  results.duration_s = to_seconds(plan_.duration);
  results.warmup_s = to_seconds(plan_.warmup);
  results.events = events_;
  results.peak_requests = requests_.capacity();
  results.peak_tasks = tasks_.capacity();
  results.simulated_s = to_seconds(finished - Time{});
  results.stopped_early = stopped_early;
  results.stop_reason = stop_reason_;
  results.paths.resize(plan_.workloads.size() + plan_.queues.size());
  for (std::size_t w = 0; w < plan_.workloads.size(); ++w) {
    results.paths[w].name = plan_.workloads[w].name;
  }
  for (std::size_t q = 0; q < plan_.queues.size(); ++q) {
    results.paths[plan_.workloads.size() + q].name = plan_.queues[q].name;
    results.queues.push_back(queues_[q].totals);
    results.queues.back().name = plan_.queues[q].name;
  }
  results.services.resize(plan_.services.size());
  for (std::size_t s = 0; s < plan_.services.size(); ++s) {
    results.services[s].name = plan_.services[s].name;
    results.services[s].is_external = plan_.services[s].external;
    results.services[s].has_cfs = plan_.services[s].cfs;
  }
  for (const Pod& pod : pods_) {
    results.services[pod.service].cfs_periods += pod.cpu.periods();
    results.services[pod.service].cfs_throttled_periods += pod.cpu.throttled_periods();
  }
  results.edges.resize(plan_.edges.size());
  for (std::size_t e = 0; e < plan_.edges.size(); ++e) {
    const plan::Edge& edge = plan_.edges[e];
    results.edges[e].caller =
        edge.caller_service != no_id ? plan_.services[edge.caller_service].name
        : edge.queue != no_id        ? "queue/" + plan_.queues[edge.queue].name
                                     : "client/" + plan_.workloads[edge.workload].name;
    results.edges[e].target = plan_.endpoints[edge.target_endpoint].name;
  }
  results.caches.resize(plan_.caches.size());
  for (std::size_t c = 0; c < plan_.caches.size(); ++c) {
    results.caches[c].name = plan_.caches[c].name;
  }
  recorder_.finish(results);
  const std::vector<BacklogSample> backlog = backlog_samples();
  for (std::size_t w = 0; w < backlog.size(); ++w) {
    results.paths[w].unstable = backlog_.is_unstable(w, backlog[w]);
  }
  for (AutoscalerState& state : autoscalers_) {
    state.result.scale_ups = state.controller->scale_ups();
    state.result.scale_downs = state.controller->scale_downs();
    results.autoscalers.push_back(std::move(state.result));
  }
  note_pending();  // up to the last event: note_pending clips at the window's end
  results.cluster = cluster_;
  results.timeseries.interval_s = to_seconds(plan_.interval);
  std::size_t g = 0;
  for_each_gauge([&](const auto& entity, const char* metric, double) {
    results.timeseries.series.push_back(stats::Series{entity(), metric, std::move(gauges_[g++])});
  });
  results.timeseries.markers = markers();
  for (std::size_t e = 0; e < edges_.size(); ++e) {
    if (edges_[e].breaker) {
      results.edges[e].breaker_opens = edges_[e].breaker->opens();
      results.edges[e].breaker_open_s = to_seconds(edges_[e].breaker->time_open(finished));
    }
  }
  // A client's calls are its path's statistics: its edge is kept only to
  // report a circuit breaker the workload has.
  std::vector<stats::EdgeResult> kept;
  for (std::size_t e = 0; e < results.edges.size(); ++e) {
    if (plan_.edges[e].caller_service != no_id || plan_.edges[e].queue != no_id ||
        edges_[e].breaker) {
      kept.push_back(std::move(results.edges[e]));
    }
  }
  results.edges = std::move(kept);
  stats::evaluate_slos(results, plan_.slos);
  if (obs_) {
    attribution_results(results);
    if (obs_->tracing) {
      trace_results(results, finished);
    }
  }
  return results;
}

}  // namespace

stats::Results simulate(const plan::Plan& plan, const RunLimits& limits) {
  if (!limits.attribution && limits.traces == 0) {
    return Simulation<false>(plan, limits).run();
  }
  // Two passes over the same random draws: the first measures each path's
  // p99 and chooses the requests to trace; the replay attributes the time of
  // every request and records the spans of the chosen ones.
  RunLimits first = limits;
  if (limits.on_progress) {
    first.on_progress = [&](double done) { limits.on_progress(done / 2); };
  }
  std::optional<TraceChoice> choice;
  if (limits.traces > 0) {
    choice.emplace(limits.traces, plan.workloads.size(), plan.seed);
  }
  stats::Results results;
  {  // the first pass's pools are freed before the replay makes its own
    Simulation<false> first_pass(plan, first);
    if (choice) {
      first_pass.choose_traces(&*choice);
    }
    results = first_pass.run();
  }
  auto observe = std::make_unique<Observation>();
  for (const stats::PathResult& path : results.paths) {
    observe->slow_from_ns.push_back(
        path.latency.count() == 0
            ? std::numeric_limits<std::int64_t>::max()
            : static_cast<std::int64_t>(std::llround(stats::latency_ms_at(path, 99) * 1e6)));
  }
  if (choice) {
    observe->tracing = true;
    observe->chosen = choice->chosen();
  }
  RunLimits replay = limits;
  if (limits.on_progress) {
    replay.on_progress = [&](double done) { limits.on_progress(0.5 + done / 2); };
  }
  // The replay stops where the first pass stopped, whatever stopped it; a
  // first pass that ran to its end, the replay's same draws end alike.
  if (results.stopped_early) {
    replay.max_events = results.events;
  }
  Simulation<true> again(plan, replay, std::move(observe));
  stats::Results observed = again.run();
  if (observed.stop_reason == "interrupted") {
    return results;  // interrupted while replaying: the first pass's results, unattributed
  }
  if (observed.stopped_early && observed.events < results.events) {
    // The ledgers outgrew the budget the first pass estimated them within:
    // the first pass's results stand, without what only the replay records.
    results.attribution_skipped = observed.stop_reason;
    return results;
  }
  if (observed.events != results.events) {
    throw std::logic_error("the attribution replay diverged from the first pass");
  }
  if (limits.attribution) {
    for (std::size_t p = 0; p < results.paths.size(); ++p) {
      results.paths[p].attribution = observed.paths[p].attribution;
    }
  }
  results.traces = std::move(observed.traces);
  return results;
}

}  // namespace tailsim::components
