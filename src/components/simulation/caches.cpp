// Cache steps: the lookup, the miss steps and the fill, coalesced fills of
// one key; instances shared by a service's fleet or one pod's own.

#include "kernel.hpp"

namespace tailsim::components::sim {

template <bool Observe>
CacheInstance& Simulation<Observe>::cache_instance(Id cache, Id task) {
  const plan::CacheSpec& spec = plan_.caches[cache];
  std::optional<CacheInstance>* slot = &caches_.shared[cache];
  const Id pod_id = work_.requests[work_.tasks[task].request].pod;
  if (!spec.shared && pod_id != no_id) {
    Pod& pod = fleet_.pods[pod_id];
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
  Task& task = work_.tasks[t];
  if (spec.hit_ratio >= 0) {
    task.cache_hit = rng.uniform() < spec.hit_ratio;  // the simple model
  } else {
    task.cache_key = caches_.zipf[op.cache] ? caches_.zipf[op.cache]->sample(rng)
                                            : 1 + rng.uniform_int(spec.keys);
    task.cache_hit = cache_instance(op.cache, t).lru.lookup(task.cache_key, now_);
  }
  recorder_.cache_lookup(op.cache, now_, work_.tasks[t].cache_hit);
  work_.tasks[t].cache_phase = 1;
  const Duration lookup =
      spec.lookup == no_id ? Duration{0} : plan_.distributions[spec.lookup].sample(rng);
  if (lookup > Duration::zero()) {
    schedule(now_ + lookup, EventKind::delay_done, t, work_.tasks.generation(t));
    return true;
  }
  return continue_cache(t);
}

template <bool Observe>
bool Simulation<Observe>::continue_cache(Id t) {
  Task& task = work_.tasks[t];
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
          work_.tasks[t].cache_phase = 3;
          return true;
        }
        filling.emplace(task.cache_key, std::vector<Id>{});
      }
      work_.tasks[t].cache_phase = 2;
      work_.tasks[t].pending = 1;
      spawn(t, work_.tasks[t].request, op.first,  // the miss steps
            engine::RandomStream::mix_key(step_key(t, op, work_.tasks[t].remaining), 1));
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
              work_.tasks[waiter].failure = task.failure;  // one fill, one fate
              ready(waiter);
            }
            instance.filling.erase(it);
          }
        }
      }
      work_.tasks[t].cache_phase = 0;
      return false;
    }
    default:  // 3: woken by the fill it waited for
      task.cache_phase = 0;
      return false;
  }
}

template <bool Observe>
void Simulation<Observe>::abandon_fill(Id t) {
  // The fill dies with the task, and those waiting for it fail as it does
  // (one fill, one fate). Left registered, the fill would hold every later
  // miss of the key for ever.
  Task& task = work_.tasks[t];
  const plan::Op& op = plan_.ops[task.current];
  const plan::CacheSpec& spec = plan_.caches[op.cache];
  if (spec.hit_ratio < 0 && spec.coalesce) {
    auto& filling = cache_instance(op.cache, t).filling;
    if (auto it = filling.find(task.cache_key); it != filling.end()) {
      for (Id waiter : it->second) {
        work_.tasks[waiter].failure = Outcome::error;
        ready(waiter);
      }
      filling.erase(it);
    }
  }
  task.cache_phase = 0;
}

TAILSIM_SIMULATION_MEMBER(CacheInstance&, cache_instance(Id, Id));
TAILSIM_SIMULATION_MEMBER(bool, start_cache(Id, const plan::Op&, engine::RandomStream&));
TAILSIM_SIMULATION_MEMBER(bool, continue_cache(Id));
TAILSIM_SIMULATION_MEMBER(void, abandon_fill(Id));

}  // namespace tailsim::components::sim
