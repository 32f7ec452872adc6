// Pods' lives (docs/semantics.md, "Autoscaling and pod lifecycle"): made,
// placed, probed ready, scaled down through the termination grace period,
// gone; and the CPU capacity and replicas they give their service.

#include "kernel.hpp"

namespace tailsim::components::sim {

template <bool Observe>
void Simulation<Observe>::note_capacity(Id service) {
  // Capacity counts every pod whose CPU runs (a terminating pod still works);
  // replicas are the pods that take requests.
  ServiceState& state = fleet_.services[service];
  const auto cpu_pods = static_cast<double>(state.cpu_pods);
  recorder_.cpu_capacity(service, state.capacity_since, now_, cpu_pods * state.cores);
  recorder_.replicas(service, state.capacity_since, now_, static_cast<double>(state.pods.size()));
  state.capacity_since = now_;
}

template <bool Observe>
Id Simulation<Observe>::create_pod(Id service, bool is_initial, Id startup_stream) {
  const auto pod_id = static_cast<Id>(fleet_.pods.size());
  Pod pod;
  pod.service = service;
  pod.life.phase = PodPhase::pending;
  pod.life.created = now_;
  pod.life.ordinal = fleet_.services[service].pods_made++;
  const Id autoscaler = plan_.services[service].autoscaler;
  pod.metrics.tracks_held =
      autoscaler != no_id && plan_.autoscalers[autoscaler].metric == plan::ScaleMetric::concurrency;
  fleet_.pods.push_back(std::move(pod));
  fleet_.services[service].members.push_back(pod_id);
  if (!place_pod(pod_id)) {
    note_pending();
    cluster_.pending_pods.push_back(pod_id);  // no node has room: it waits for one
    recorder_.cluster_pending(now_, now_, static_cast<std::uint32_t>(cluster_.pending_pods.size()));
    request_nodes();
    return pod_id;
  }
  start_pod(pod_id, is_initial, startup_stream);
  return pod_id;
}

template <bool Observe>
void Simulation<Observe>::start_pod(Id pod_id, bool is_initial, Id startup_stream) {
  Pod& pod = fleet_.pods[pod_id];
  pod.life.started = now_;
  start_gc(pod_id);
  if (is_initial) {
    make_ready(pod_id);  // the replicas at the start are up and warm
    return;
  }
  start_container(pod_id, startup_stream);
}

template <bool Observe>
void Simulation<Observe>::start_container(Id pod_id, Id startup_stream) {
  Pod& pod = fleet_.pods[pod_id];
  pod.life.phase = PodPhase::starting;
  pod.life.is_cold = true;
  // The kubelet probes readiness at once and then every readiness_probe_period: the pod turns
  // ready at the first probe after its startup time.
  const Id startup = plan_.startup[pod.service];
  const Duration up = startup == no_id
                          ? Duration{0}
                          : plan_.distributions[startup].sample(streams_[startup_stream]);
  constexpr Duration probe_period = kubernetes::readiness_probe_period;
  const std::int64_t probes = (up.count() + probe_period.count() - 1) / probe_period.count();
  if (probes == 0) {
    make_ready(pod_id);  // the first probe, at creation, passes
    return;
  }
  schedule(now_ + probe_period * probes, EventKind::pod_ready, pod_id);
}

template <bool Observe>
void Simulation<Observe>::on_pod_ready(Id pod_id) {
  if (fleet_.pods[pod_id].life.phase == PodPhase::starting) {  // not scaled away meanwhile
    make_ready(pod_id);
  }
}

template <bool Observe>
void Simulation<Observe>::make_ready(Id pod_id) {
  Pod& pod = fleet_.pods[pod_id];
  const Id service = pod.service;
  ServiceState& state = fleet_.services[service];
  const plan::Service& svc = plan_.services[service];
  note_capacity(service);
  pod.life.phase = PodPhase::ready;
  pod.cpu = ProcessorSharing(svc.cfs ? svc.cores : state.cores);
  if (svc.cfs) {
    pod.cpu.set_quota(svc.period, state.cores);  // state.cores: the limit, or a CPU fault's
  }
  pod.cpu.advance(now_);
  if (pod_id < gc_.pause_started.size() && gc_.pause_started[pod_id] != Time::max()) {
    pod.cpu.pause(now_);  // a container restarted inside a pause of its runtime's
  }
  pod.life.ready_at = now_;
  pod.metrics.held_since = now_;
  state.pods.push_back(pod_id);
  ++state.cpu_pods;
}

template <bool Observe>
void Simulation<Observe>::scale_to(Id service, std::int32_t desired) {
  ServiceState& state = fleet_.services[service];
  state.desired = desired;
  std::vector<Id> live;  // pods not on their way out, in order of creation
  for (Id pod_id : state.members) {
    if (fleet_.pods[pod_id].life.phase != PodPhase::terminating) {
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
    switch (fleet_.pods[pod_id].life.phase) {
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
  Pod& pod = fleet_.pods[pod_id];
  switch (pod.life.phase) {
    case PodPhase::pending:
      note_pending();
      std::erase(cluster_.pending_pods, pod_id);
      pod_gone(pod_id);
      return;
    case PodPhase::starting:
      pod_gone(pod_id);  // nothing runs on it yet
      return;
    case PodPhase::ready: {
      ServiceState& state = fleet_.services[pod.service];
      note_capacity(pod.service);
      std::erase(state.pods, pod_id);  // the balancer stops sending it requests
      pod.life.phase = PodPhase::terminating;
      if (pod.active == 0) {
        finish_termination(pod_id);
        return;
      }
      // It finishes what it holds within the termination grace period.
      schedule(now_ + kubernetes::termination_grace_period, EventKind::pod_grace_end, pod_id);
      return;
    }
    case PodPhase::terminating:
    case PodPhase::gone:
      return;
  }
}

template <bool Observe>
void Simulation<Observe>::on_grace_end(Id pod_id) {
  if (fleet_.pods[pod_id].life.phase != PodPhase::terminating) {
    return;  // it finished its work earlier
  }
  fail_pod_work(pod_id);  // what is left fails: the container is killed
  finish_termination(pod_id);
}

template <bool Observe>
std::uint32_t Simulation<Observe>::starting_pods(Id service) const {
  std::uint32_t count = 0;
  for (Id pod_id : fleet_.services[service].members) {
    const PodPhase phase = fleet_.pods[pod_id].life.phase;
    count += phase == PodPhase::pending || phase == PodPhase::starting ? 1 : 0;
  }
  return count;
}

template <bool Observe>
void Simulation<Observe>::finish_termination(Id pod_id) {
  const Id service = fleet_.pods[pod_id].service;
  note_capacity(service);
  --fleet_.services[service].cpu_pods;
  pod_gone(pod_id);
}

template <bool Observe>
void Simulation<Observe>::pod_gone(Id pod_id) {
  Pod& pod = fleet_.pods[pod_id];
  if (pod.life.phase == PodPhase::ready || pod.life.phase == PodPhase::terminating) {
    touch_cpu(pod_id);
  }
  pod.life.phase = PodPhase::gone;
  std::erase(fleet_.services[pod.service].members, pod_id);
  if (pod.life.node != no_id) {
    const Id node = pod.life.node;
    cluster_.nodes[pod.life.node].free_cores += plan_.services[pod.service].cpu_request;
    cluster_.nodes[pod.life.node].free_memory += plan_.services[pod.service].memory_request;
    leave_node(pod_id);
    // Its CPU request is free: pods waiting for a node may fit now.
    while (!cluster_.pending_pods.empty() && place_pod(cluster_.pending_pods.front())) {
      const Id placed = cluster_.pending_pods.front();
      note_pending();
      cluster_.pending_pods.pop_front();
      start_pod(placed, /*is_initial=*/false,
                plan_.services[fleet_.pods[placed].service].startup_stream);
    }
    if (cluster_.nodes[node].phase == NodePhase::draining) {
      node_pod_gone(node);  // the cluster autoscaler removes it once empty
    }
  }
}

TAILSIM_SIMULATION_MEMBER(void, note_capacity(Id));
TAILSIM_SIMULATION_MEMBER(Id, create_pod(Id, bool, Id));
TAILSIM_SIMULATION_MEMBER(void, start_pod(Id, bool, Id));
TAILSIM_SIMULATION_MEMBER(void, start_container(Id, Id));
TAILSIM_SIMULATION_MEMBER(void, on_pod_ready(Id));
TAILSIM_SIMULATION_MEMBER(void, make_ready(Id));
TAILSIM_SIMULATION_MEMBER(void, scale_to(Id, std::int32_t));
TAILSIM_SIMULATION_MEMBER(void, terminate_pod(Id));
TAILSIM_SIMULATION_MEMBER(void, on_grace_end(Id));
TAILSIM_SIMULATION_MEMBER(std::uint32_t, starting_pods(Id) const);
TAILSIM_SIMULATION_MEMBER(void, finish_termination(Id));
TAILSIM_SIMULATION_MEMBER(void, pod_gone(Id));

}  // namespace tailsim::components::sim
