// Garbage-collection pauses (`pod.gc`): the pod's runtime stops the world
// for a pause drawn from `pause`, the next one starting `every` after the
// last one started (or when it ends, if later). While paused no request's
// CPU work on the pod progresses; requests still arrive, wait and are
// answered elsewhere. docs/semantics.md, "GC pauses".

#include "kernel.hpp"

namespace tailsim::components::sim {

template <bool Observe>
void Simulation<Observe>::start_gc(Id pod_id) {
  const plan::Service& spec = plan_.services[fleet_.pods[pod_id].service];
  if (spec.gc_every == no_id) {
    return;
  }
  if (gc_.pause_started.size() <= pod_id) {
    gc_.pause_started.resize(fleet_.pods.size(), Time::max());
  }
  const Duration every = plan_.distributions[spec.gc_every].sample(streams_[spec.gc_stream]);
  schedule(now_ + every, EventKind::gc_toggle, pod_id);
}

template <bool Observe>
void Simulation<Observe>::on_gc_toggle(Id pod_id) {
  Pod& pod = fleet_.pods[pod_id];
  if (pod.life.phase == PodPhase::gone) {
    return;  // its pauses ended with it
  }
  const plan::Service& spec = plan_.services[pod.service];
  engine::RandomStream& rng = streams_[spec.gc_stream];
  Time& started = gc_.pause_started[pod_id];
  touch_cpu(pod_id);             // the CPU's accounting up to now; reschedules its completion
  if (started == Time::max()) {  // no pause going on (a restarted container's CPU is new)
    pod.cpu.pause(now_);
    started = now_;
    schedule(now_ + plan_.distributions[spec.gc_pause].sample(rng), EventKind::gc_toggle, pod_id);
    return;
  }
  pod.cpu.resume(now_);
  recorder_.gc_paused(pod.service, started, now_);
  note_pod_gc_pause(pod_id, now_ - started);
  if constexpr (Observe) {
    if (obs_->tracing) {
      trace_gc_pause(pod_id, started);
    }
  }
  const Time next = std::max(now_, started + plan_.distributions[spec.gc_every].sample(rng));
  started = Time::max();
  schedule(next, EventKind::gc_toggle, pod_id);
}

template <bool Observe>
void Simulation<Observe>::gc_results(Time finished) {
  for (Id p = 0; p < gc_.pause_started.size(); ++p) {
    if (gc_.pause_started[p] < finished && fleet_.pods[p].life.phase != PodPhase::gone) {
      recorder_.gc_paused(fleet_.pods[p].service, gc_.pause_started[p], finished);
    }
  }
}

template <bool Observe>
void Simulation<Observe>::note_stopped_cpu(Pod& pod) {
  const double stopped = static_cast<double>((now_ - pod.cpu.last_update()).count());
  if (pod.cpu.is_throttled()) {
    recorder_.cpu_throttled(pod.service, pod.cpu.last_update(), now_);
  }
  // A pause stops the work whatever the quota says: attribution names it.
  (pod.cpu.is_paused() ? pod.metrics.paused_ns : pod.metrics.throttled_ns) += stopped;
}

TAILSIM_SIMULATION_MEMBER(void, start_gc(Id));
TAILSIM_SIMULATION_MEMBER(void, on_gc_toggle(Id));
TAILSIM_SIMULATION_MEMBER(void, gc_results(Time));
TAILSIM_SIMULATION_MEMBER(void, note_stopped_cpu(Pod&));

}  // namespace tailsim::components::sim
