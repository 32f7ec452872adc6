// Faults (docs/semantics.md, "Faults"): what each kind does when it starts
// and ends. Kills fail the pod's work and the ReplicaSet replaces the pod;
// slow, fail and down set the service's state, read by receive() and
// start_request(); a partition loses what crosses it (sample_network).

#include "kernel.hpp"

namespace tailsim::components::sim {

template <bool Observe>
bool Simulation<Observe>::is_partitioned(Id a, Id b) const {
  for (const auto& [x, y] : faults_.partitions) {
    if ((x == a && y == b) || (x == b && y == a)) {
      return true;
    }
  }
  return false;
}

template <bool Observe>
void Simulation<Observe>::on_fault(Id f, bool starts) {
  const plan::Fault& fault = plan_.faults[f];
  if (fault.kind == plan::FaultKind::flush) {
    if (starts) {  // every instance of the cache loses its entries, and no other cache
      if (fault.cache < caches_.shared.size() && caches_.shared[fault.cache]) {
        caches_.shared[fault.cache]->lru.clear();
      }
      for (Pod& pod : fleet_.pods) {
        if (fault.cache < pod.caches.size() && pod.caches[fault.cache]) {
          pod.caches[fault.cache]->lru.clear();
        }
      }
    }
    return;
  }
  if (fault.kind == plan::FaultKind::kill) {
    if (starts) {
      kill_pods(fault.service, fault.pods, fault.stream);
    }
    return;
  }
  if (fault.kind == plan::FaultKind::partition) {
    const std::pair pair{fault.service, fault.other};
    if (starts) {
      faults_.partitions.push_back(pair);
    } else if (auto it = std::find(faults_.partitions.begin(), faults_.partitions.end(), pair);
               it != faults_.partitions.end()) {
      faults_.partitions.erase(it);  // this partition's only: another of the pair may last on
    }
    return;
  }
  // Faults of one kind on one service may overlap: the one that started last
  // decides while it lasts, then the one before it that still lasts.
  if (starts) {
    faults_.lasting.push_back(f);
  } else if (auto it = std::find(faults_.lasting.begin(), faults_.lasting.end(), f);
             it != faults_.lasting.end()) {
    faults_.lasting.erase(it);
  }
  const plan::Fault* decides = nullptr;
  for (auto it = faults_.lasting.rbegin(); it != faults_.lasting.rend(); ++it) {
    const plan::Fault& other = plan_.faults[*it];
    if (other.kind == fault.kind && other.service == fault.service) {
      decides = &other;
      break;
    }
  }
  apply_fault(fault.service, fault.kind, decides);
}

template <bool Observe>
void Simulation<Observe>::apply_fault(Id service, plan::FaultKind kind, const plan::Fault* fault) {
  ServiceState& state = fleet_.services[service];
  switch (kind) {
    case plan::FaultKind::slow:
      state.extra_delay = fault != nullptr ? fault->add : Duration{0};
      state.cpu_factor = fault != nullptr ? fault->factor : 1.0;
      break;
    case plan::FaultKind::fail:
      state.fail_rate = fault != nullptr ? fault->rate : 0.0;
      if (fault != nullptr) {
        state.fail_stream = fault->stream;
      }
      break;
    case plan::FaultKind::down:
      state.down = fault == nullptr   ? ServiceState::Down::no
                   : fault->blackhole ? ServiceState::Down::blackhole
                                      : ServiceState::Down::refuse;
      break;
    case plan::FaultKind::cpu:
      note_capacity(service);
      state.cores = fault != nullptr ? fault->cores : plan_.services[service].cores;
      for (Id pod_id : state.members) {
        const PodPhase phase = fleet_.pods[pod_id].life.phase;
        if (phase == PodPhase::ready || phase == PodPhase::terminating) {
          touch_cpu(pod_id);
          fleet_.pods[pod_id].cpu.set_cores(now_, state.cores);
        }
      }
      break;
    case plan::FaultKind::kill:
    case plan::FaultKind::partition:
    case plan::FaultKind::flush:
      break;  // instants, or pairs: on_fault handles them
  }
}

template <bool Observe>
void Simulation<Observe>::kill_pods(Id service, std::uint32_t count, Id stream) {
  ServiceState& state = fleet_.services[service];
  for (std::uint32_t k = 0; k < count && !state.pods.empty(); ++k) {
    replace_pod(state.pods.front(), stream);  // the oldest ready pod
  }
}

template <bool Observe>
void Simulation<Observe>::replace_pod(Id pod_id, Id startup_stream) {
  const Id service = fleet_.pods[pod_id].service;
  ServiceState& state = fleet_.services[service];
  note_capacity(service);
  std::erase(state.pods, pod_id);
  --state.cpu_pods;
  fail_pod_work(pod_id);
  pod_gone(pod_id);
  // The ReplicaSet replaces it: a new pod, through the whole startup.
  create_pod(service, /*is_initial=*/false, startup_stream);
}

template <bool Observe>
void Simulation<Observe>::fail_pod_work(Id pod_id) {
  // Every request on the pod fails with `error`: those waiting for a worker
  // are gone, those running stop where they are.
  faults_.has_killed_pods = true;  // from now on, tasks check whether their pod is gone
  calls_.can_abandon = true;       // the killed requests' calls still out now work for nobody
  Pod& pod = fleet_.pods[pod_id];
  touch_cpu(pod_id);
  // The tasks on its CPU, or (async) waiting for one of its workers, would
  // never resume: they resume now, find their request killed and finish, so
  // the request is released once its last task is (continue_task).
  fail_batches(pod_id);
  pod.cpu.for_each_job([&](Id t) {
    if (t < BatchState::job_bit) {  // a batch's job: fail_batches resumed its tasks
      ready(t);
    }
  });
  pod.cpu.clear();
  event_queue_.cancel_timer(pod_id);  // its completion event, if any, is gone
  pod.scheduled = Time::max();
  note_waiting(pod.service, -static_cast<std::int64_t>(pod.waiting.size()));
  for (const Waiter& waiter : pod.waiting) {
    if (waiter.is_task) {
      ready(waiter.id);
    } else {  // not started: nothing else refers to it
      if constexpr (Observe) {
        if (obs_->tracing) {
          trace_request_done(waiter.id, Outcome::error);
        }
      }
      const Request req = work_.requests[waiter.id];
      work_.requests.release(waiter.id);
      respond(req, Outcome::error);
    }
  }
  pod.waiting.clear();
  for (Id r = 0; r < work_.requests.capacity(); ++r) {
    if (!work_.requests.is_live(r) || work_.requests[r].pod != pod_id || work_.requests[r].killed) {
      continue;
    }
    work_.requests[r].killed = true;
    if constexpr (Observe) {
      if (obs_->tracing) {
        trace_request_done(r, Outcome::error);
      }
    }
    respond(work_.requests[r], Outcome::error);
  }
  note_held(pod);
  pod.active = 0;
  pod.busy_workers = 0;
}

TAILSIM_SIMULATION_MEMBER(bool, is_partitioned(Id, Id) const);
TAILSIM_SIMULATION_MEMBER(void, on_fault(Id, bool));
TAILSIM_SIMULATION_MEMBER(void, apply_fault(Id, plan::FaultKind, const plan::Fault*));
TAILSIM_SIMULATION_MEMBER(void, kill_pods(Id, std::uint32_t, Id));
TAILSIM_SIMULATION_MEMBER(void, replace_pod(Id, Id));
TAILSIM_SIMULATION_MEMBER(void, fail_pod_work(Id));

}  // namespace tailsim::components::sim
