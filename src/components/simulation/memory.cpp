// Pod memory (`pod.memory`, `cluster.node_memory`; docs/semantics.md,
// "Memory, OOM kills and eviction"): a pod uses base + per_request x the
// requests it holds. An arrival that takes it above its limit has it
// OOMKilled: its requests fail, and its container restarts in place after
// Kubernetes' CrashLoopBackOff. With node_memory, each node's kubelet looks
// every 10 s and evicts one pod when the pods' memory leaves less than its
// hard threshold free; the ReplicaSet replaces it, scheduled anew.

#include "kernel.hpp"

namespace tailsim::components::sim {

template <bool Observe>
std::int64_t Simulation<Observe>::memory_in_use(const Pod& pod) const {
  if (pod.life.phase != PodPhase::ready && pod.life.phase != PodPhase::terminating) {
    return 0;  // its container is not running
  }
  const plan::Service& svc = plan_.services[pod.service];
  constexpr std::int64_t most = std::numeric_limits<std::int64_t>::max();
  const auto held = static_cast<std::int64_t>(pod.active);
  if (svc.memory_per_request > 0 && held > (most - svc.memory_base) / svc.memory_per_request) {
    return most;
  }
  return svc.memory_base + svc.memory_per_request * held;
}

template <bool Observe>
bool Simulation<Observe>::memory_arrival(Id pod_id, Id r) {
  Pod& pod = fleet_.pods[pod_id];
  const plan::Service& svc = plan_.services[pod.service];
  if (pod.busy_workers >= fleet_.services[pod.service].start_below && svc.queue_capacity >= 0 &&
      static_cast<std::int64_t>(pod.waiting.size()) >= svc.queue_capacity) {
    return false;  // the full queue refuses it: it never holds memory
  }
  if (memory_in_use(pod) <= svc.memory_limit) {
    return false;
  }
  // It fails with its pod (taken off the pod first, so that the kill does
  // not count it twice).
  --pod.active;
  work_.requests[r].pod = no_id;
  if constexpr (Observe) {
    if (obs_->tracing) {
      trace_request_done(r, Outcome::error);
    }
  }
  oom_kill(pod_id);
  turn_away(r, Outcome::error);
  return true;
}

template <bool Observe>
void Simulation<Observe>::oom_kill(Id pod_id) {
  const Id service = fleet_.pods[pod_id].service;
  ServiceState& state = fleet_.services[service];
  note_capacity(service);
  std::erase(state.pods, pod_id);  // the balancer stops sending it requests
  --state.cpu_pods;
  fail_pod_work(pod_id);
  recorder_.oom_killed(service, now_);
  ++memory_.services[service].oom_kills;
  Pod& pod = fleet_.pods[pod_id];
  pod.life.phase = PodPhase::starting;  // takes no requests until its container is ready again
  // The dead container's cpu.stat is kept; the next one gets a CPU of its
  // own when it is ready (make_ready).
  pod.memory.cfs_periods += pod.cpu.periods();
  pod.memory.cfs_throttled_periods += pod.cpu.throttled_periods();
  pod.cpu = ProcessorSharing(pod.cpu.cores());
  // CrashLoopBackOff (client-go flowcontrol.Backoff as the kubelet uses
  // it): the first restart is at once, each next one waits the back-off,
  // which doubles up to its cap; it starts over when it last advanced more
  // than twice the cap before this exit.
  PodMemory& memory = pod.memory;
  Duration delay{0};
  if (memory.backoff == Duration{0} ||
      now_ - memory.backoff_advanced > 2 * kubernetes::crash_loop_backoff_max) {
    memory.backoff = kubernetes::crash_loop_backoff_initial;
  } else {
    delay = memory.backoff;
    memory.backoff = std::min(2 * memory.backoff, kubernetes::crash_loop_backoff_max);
  }
  memory.backoff_advanced = now_ + delay;
  schedule(now_ + delay, EventKind::pod_restart, pod_id);
}

template <bool Observe>
void Simulation<Observe>::on_pod_restart(Id pod_id) {
  Pod& pod = fleet_.pods[pod_id];
  if (pod.life.phase != PodPhase::starting) {
    return;  // scaled away during its back-off
  }
  ++pod.memory.restarts;
  ++memory_.services[pod.service].restarts;
  recorder_.pod_restarted(pod.service, now_);
  start_container(pod_id, plan_.services[pod.service].startup_stream);
}

template <bool Observe>
void Simulation<Observe>::start_memory() {
  memory_.services.resize(plan_.services.size());
  if (!plan_.cluster || plan_.cluster->node_memory == 0 ||
      std::none_of(plan_.services.begin(), plan_.services.end(),
                   [](const plan::Service& s) { return s.has_memory; })) {
    return;  // no pod's memory can fill a node
  }
  schedule(now_ + kubernetes::eviction_check_period, EventKind::eviction_check, 0);
}

template <bool Observe>
void Simulation<Observe>::on_eviction_check() {
  // Each node's pods' memory, and the pod its kubelet would evict first
  // (rankMemoryPressure): those using more than their request first, then
  // by priority (tailsim's pods all have the same), then the largest use
  // above the request. Only ready pods are evicted; a terminating pod's
  // memory counts until it is gone.
  struct NodeLook {
    std::int64_t used = 0;
    Id victim = no_id;
    bool above = false;
    std::int64_t excess = 0;
  };
  std::vector<NodeLook> nodes(cluster_.nodes.size());
  constexpr std::int64_t most = std::numeric_limits<std::int64_t>::max();
  for (Id p = 0; p < fleet_.pods.size(); ++p) {
    const Pod& pod = fleet_.pods[p];
    const std::int64_t use = pod.life.node == no_id ? 0 : memory_in_use(pod);
    if (use == 0) {
      continue;
    }
    NodeLook& look = nodes[pod.life.node];
    look.used = use > most - look.used ? most : look.used + use;
    if (pod.life.phase != PodPhase::ready) {
      continue;
    }
    const std::int64_t excess = use - plan_.services[pod.service].memory_request;
    const bool above = excess > 0;
    if (look.victim == no_id || above > look.above ||
        (above == look.above && excess > look.excess)) {
      look = NodeLook{look.used, p, above, excess};
    }
  }
  const std::int64_t node_memory = plan_.cluster->node_memory;
  for (const NodeLook& look : nodes) {
    if (look.victim != no_id &&
        node_memory - look.used < kubernetes::eviction_hard_memory_available) {
      const Id service = fleet_.pods[look.victim].service;
      recorder_.pod_evicted(service, now_);
      ++memory_.services[service].evictions;
      replace_pod(look.victim, plan_.services[service].startup_stream);
    }
  }
  schedule(now_ + kubernetes::eviction_check_period, EventKind::eviction_check, 0);
}

TAILSIM_SIMULATION_MEMBER(std::int64_t, memory_in_use(const Pod&) const);
TAILSIM_SIMULATION_MEMBER(bool, memory_arrival(Id, Id));
TAILSIM_SIMULATION_MEMBER(void, oom_kill(Id));
TAILSIM_SIMULATION_MEMBER(void, on_pod_restart(Id));
TAILSIM_SIMULATION_MEMBER(void, start_memory());
TAILSIM_SIMULATION_MEMBER(void, on_eviction_check());

}  // namespace tailsim::components::sim
