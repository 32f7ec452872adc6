// Batch steps (`batch: {max, wait, cpu | gpu}`), the dynamic batcher of an
// inference server: each batch step has a queue on each pod; a batch leaves
// it when `max` requests wait or the oldest has waited `wait`, taking up to
// `max` of them in order of arrival, and is served in `A + B*n` (A and B
// drawn once per batch). A CPU batch is one job of that much work on the
// pod's processor sharing; a GPU batch holds one of the pod's `gpus` for that
// long, and forms only when a GPU is free (Triton's dynamic batcher): while
// every GPU is busy requests go on queueing, and the next batch takes up to
// `max` of those waiting. docs/semantics.md, "Batching".

#include "kernel.hpp"

namespace tailsim::components::sim {

template <bool Observe>
bool Simulation<Observe>::join_batch(Id t, Id step) {
  const Id pod_id = work_.requests[work_.tasks[t].request].pod;
  const auto steps = static_cast<Id>(plan_.batches.size());
  if (batching_.batchers.size() <= static_cast<std::size_t>(pod_id) * steps) {
    batching_.batchers.resize(fleet_.pods.size() * steps);
    batching_.busy_gpus.resize(fleet_.pods.size(), 0);
  }
  const Id b = pod_id * steps + step;
  batching_.batchers[b].waiting.push_back(Waiter{t, now_, true});
  release_batches(b);
  return true;
}

template <bool Observe>
void Simulation<Observe>::release_batches(Id b) {
  const auto steps = static_cast<Id>(plan_.batches.size());
  const plan::BatchStep& spec = plan_.batches[b % steps];
  const Id pod_id = b / steps;
  Batcher& batcher = batching_.batchers[b];
  while (!batcher.waiting.empty()) {
    const Time due = batcher.waiting.front().since + spec.wait;
    if (batcher.waiting.size() < spec.max && now_ < due) {
      if (batcher.timer == Time::max()) {  // a pending timer is due no later
        batcher.timer = due;
        schedule(due, EventKind::batch_due, b);
      }
      return;
    }
    if (spec.on_gpu &&
        batching_.busy_gpus[pod_id] >= plan_.services[fleet_.pods[pod_id].service].gpus) {
      return;  // due: the next free GPU takes it (start_gpu_batches)
    }
    start_batch(
        b, static_cast<std::uint32_t>(std::min<std::size_t>(batcher.waiting.size(), spec.max)));
  }
}

template <bool Observe>
void Simulation<Observe>::on_batch_due(Id b) {
  batching_.batchers[b].timer = Time::max();
  release_batches(b);
}

template <bool Observe>
void Simulation<Observe>::start_batch(Id b, std::uint32_t n) {
  const auto steps = static_cast<Id>(plan_.batches.size());
  const plan::BatchStep& spec = plan_.batches[b % steps];
  const Id pod_id = b / steps;
  Pod& pod = fleet_.pods[pod_id];
  Batcher& batcher = batching_.batchers[b];
  const Id id = batching_.batches.allocate_slot();
  Batch& batch = batching_.batches[id];
  batch.tasks.clear();
  // It was due when its oldest had waited `wait`, or when its max-th arrived.
  batch.due = batcher.waiting.front().since + spec.wait;
  if (n == spec.max) {
    batch.due = std::min(batch.due, batcher.waiting[n - 1].since);
  }
  for (std::uint32_t i = 0; i < n; ++i) {
    batch.tasks.push_back(batcher.waiting.front().id);
    batcher.waiting.pop_front();
  }
  batch.batcher = b;
  batch.started = now_;
  batch.on_gpu = spec.on_gpu;
  engine::RandomStream& rng = streams_[spec.stream];
  const double fixed = static_cast<double>(plan_.distributions[spec.fixed].sample(rng).count());
  const double per_item =
      static_cast<double>(plan_.distributions[spec.per_item].sample(rng).count());
  batch.work_ns = fixed + per_item * static_cast<double>(n);
  recorder_.batch_served(pod.service, now_, n);
  if (spec.on_gpu) {
    ++batching_.busy_gpus[pod_id];
    schedule(now_ + Duration{static_cast<std::int64_t>(std::llround(batch.work_ns))},
             EventKind::batch_done, id);
    return;
  }
  const double factor = fleet_.services[pod.service].cpu_factor * warmup_factor(pod);
  batch.warmup_share = 1.0 - 1.0 / warmup_factor(pod);
  batch.work_ns *= factor;
  touch_cpu(pod_id);
  batch.throttled_at = pod.metrics.throttled_ns;
  batch.paused_at = pod.metrics.paused_ns;
  batch.contended_at = pod.metrics.contended_ns;
  pod.cpu.add(now_, batch.work_ns, BatchState::job_bit | id);
}

template <bool Observe>
void Simulation<Observe>::finish_batch(Id id) {
  Batch& batch = batching_.batches[id];
  const Id pod_id = batch.batcher / static_cast<Id>(plan_.batches.size());
  if (!batch.on_gpu && calls_.can_abandon) {  // each orphaned member wasted its share
    const double share = batch.work_ns / static_cast<double>(batch.tasks.size());
    for (const Id t : batch.tasks) {
      if (is_orphaned(work_.requests[work_.tasks[t].request])) {
        recorder_.wasted_cpu(fleet_.pods[pod_id].service, now_, share);
      }
    }
  }
  for (const Id t : batch.tasks) {
    work_.tasks[t].work_ns = batch.work_ns;
    if constexpr (Observe) {
      TaskMark& mark = Observation::at(obs_->marks, t);
      mark.in_batch = true;
      mark.is_gpu = batch.on_gpu;
      mark.is_cpu = !batch.on_gpu;
      mark.batch_due = batch.due;
      mark.cpu_started = batch.started;
      mark.throttled_at = batch.throttled_at;
      mark.paused_at = batch.paused_at;
      mark.contended_at = batch.contended_at;
      mark.warmup_share = batch.warmup_share;
    }
    ready(t);
  }
  const bool on_gpu = batch.on_gpu;
  if (on_gpu) {
    recorder_.gpu_busy(fleet_.pods[pod_id].service, batch.started, now_);
  }
  batch.tasks.clear();
  batching_.batches.release(id);
  if (on_gpu) {
    --batching_.busy_gpus[pod_id];
    if (fleet_.pods[pod_id].life.phase != PodPhase::gone) {
      start_gpu_batches(pod_id);
    }
  }
}

template <bool Observe>
void Simulation<Observe>::start_gpu_batches(Id pod_id) {
  const auto steps = static_cast<Id>(plan_.batches.size());
  const std::uint32_t gpus = plan_.services[fleet_.pods[pod_id].service].gpus;
  while (batching_.busy_gpus[pod_id] < gpus) {
    // The due batch whose oldest request has waited longest.
    Id best = no_id;
    for (Id step = 0; step < steps; ++step) {
      const Batcher& batcher = batching_.batchers[pod_id * steps + step];
      const plan::BatchStep& spec = plan_.batches[step];
      if (!spec.on_gpu || batcher.waiting.empty() ||
          (batcher.waiting.size() < spec.max && now_ < batcher.waiting.front().since + spec.wait)) {
        continue;
      }
      if (best == no_id || batcher.waiting.front().since <
                               batching_.batchers[pod_id * steps + best].waiting.front().since) {
        best = step;
      }
    }
    if (best == no_id) {
      return;
    }
    const Id b = pod_id * steps + best;
    start_batch(b, static_cast<std::uint32_t>(std::min<std::size_t>(
                       batching_.batchers[b].waiting.size(), plan_.batches[best].max)));
    release_batches(b);  // arms its timer for what is left
  }
}

template <bool Observe>
void Simulation<Observe>::fail_batches(Id pod_id) {
  const auto steps = static_cast<Id>(plan_.batches.size());
  if (steps == 0) {
    return;
  }
  for (Id b = pod_id * steps; b < (pod_id + 1) * steps && b < batching_.batchers.size(); ++b) {
    for (const Waiter& waiter : batching_.batchers[b].waiting) {
      ready(waiter.id);
    }
    batching_.batchers[b].waiting.clear();
  }
  // Its batches in service: their tasks resume now; a GPU batch's event
  // finds it empty.
  for (Id id = 0; id < batching_.batches.capacity(); ++id) {
    Batch& batch = batching_.batches[id];
    if (!batching_.batches.is_live(id) || batch.batcher / steps != pod_id) {
      continue;
    }
    for (const Id t : batch.tasks) {
      ready(t);
    }
    batch.tasks.clear();
    if (!batch.on_gpu) {
      batching_.batches.release(id);  // its job leaves with the pod's CPU
    }
  }
}

TAILSIM_SIMULATION_MEMBER(bool, join_batch(Id, Id));
TAILSIM_SIMULATION_MEMBER(void, release_batches(Id));
TAILSIM_SIMULATION_MEMBER(void, start_batch(Id, std::uint32_t));
TAILSIM_SIMULATION_MEMBER(void, on_batch_due(Id));
TAILSIM_SIMULATION_MEMBER(void, finish_batch(Id));
TAILSIM_SIMULATION_MEMBER(void, start_gpu_batches(Id));
TAILSIM_SIMULATION_MEMBER(void, fail_batches(Id));

}  // namespace tailsim::components::sim
