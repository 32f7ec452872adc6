// What the run measured, once it has stopped: the time-weighted statistics
// closed, what was left open, each mechanism's results gathered.

#include "kernel.hpp"

namespace tailsim::components::sim {

template <bool Observe>
stats::Results Simulation<Observe>::results(Time finished, bool stopped_early) {
  if (stopped_early) {
    recorder_.cut_window(finished);  // rates and time averages over the time simulated
  } else {
    while (series_.backlog.next_due() <= finished) {  // the queue ran dry before the window's end
      series_.backlog.take(backlog_samples());
    }
  }
  // Time-weighted statistics up to the end, and what was left open.
  if (cluster_.shares_cores) {
    node_results(finished);
  }
  for (Id p = 0; p < fleet_.pods.size(); ++p) {
    Pod& pod = fleet_.pods[p];
    recorder_.cpu_busy(pod.service, pod.cpu.last_update(), finished, pod.cpu.busy_cores());
    if (pod.cpu.is_throttled() && pod.cpu.busy() > 0) {
      recorder_.cpu_throttled(pod.service, pod.cpu.last_update(), finished);
    }
    if (pod.cpu.last_update() < finished) {
      pod.cpu.advance(finished);  // closes the last CFS period for cpu.stat
    }
  }
  gc_results(finished);
  for (Id s = 0; s < fleet_.services.size(); ++s) {
    const ServiceState& state = fleet_.services[s];
    recorder_.queue_length(s, state.waiting_since, finished, static_cast<double>(state.waiting));
    recorder_.cpu_capacity(s, state.capacity_since, finished,
                           static_cast<double>(state.cpu_pods) * state.cores);
    recorder_.replicas(s, state.capacity_since, finished, static_cast<double>(state.pods.size()));
  }
  for (Id x = 0; x < calls_.exchanges.capacity(); ++x) {
    if (!calls_.exchanges.is_live(x)) {
      continue;
    }
    const Exchange& ex = calls_.exchanges[x];
    if (ex.kind == ExchangeKind::call) {
      recorder_.call_unfinished(ex.edge, ex.started, ex.attempts);
    } else if (ex.kind == ExchangeKind::delivery) {
      recorder_.call_unfinished(ex.edge, ex.started, /*attempts=*/0);  // a delivery in progress
    }
  }

  stats::Results results;
  results.model = plan_.model_name;
  results.seed = plan_.seed;
  results.duration_s = to_seconds(plan_.duration);
  results.warmup_s = to_seconds(plan_.warmup);
  results.events = event_count_;
  results.peak_requests = work_.requests.capacity();
  results.peak_tasks = work_.tasks.capacity();
  results.simulated_s = to_seconds(finished - Time{});
  results.stopped_early = stopped_early;
  results.stop_reason = stop_reason_;
  results.paths.resize(plan_.workloads.size() + plan_.queues.size());
  for (std::size_t w = 0; w < plan_.workloads.size(); ++w) {
    results.paths[w].name = plan_.workloads[w].name;
  }
  for (std::size_t q = 0; q < plan_.queues.size(); ++q) {
    results.paths[plan_.workloads.size() + q].name = plan_.queues[q].name;
  }
  results.services.resize(plan_.services.size());
  for (std::size_t s = 0; s < plan_.services.size(); ++s) {
    results.services[s].name = plan_.services[s].name;
    results.services[s].is_external = plan_.services[s].external;
    results.services[s].has_cfs = plan_.services[s].cfs;
    results.services[s].has_gc = plan_.services[s].gc_every != no_id;
    results.services[s].has_memory = plan_.services[s].has_memory;
    results.services[s].has_batch = plan_.services[s].has_batch;
    results.services[s].gpus = plan_.services[s].gpus;
  }
  for (const Pod& pod : fleet_.pods) {
    results.services[pod.service].cfs_periods += pod.cpu.periods() + pod.memory.cfs_periods;
    results.services[pod.service].cfs_throttled_periods +=
        pod.cpu.throttled_periods() + pod.memory.cfs_throttled_periods;
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
  for (Id a = 0; a < autoscaling_.autoscalers.size(); ++a) {
    const HpaController& controller = *autoscaling_.autoscalers[a].controller;
    recorder_.autoscaler_changes(a, controller.scale_ups(), controller.scale_downs());
  }
  note_pending();  // up to the last event: the recorder clips at the window's end
  recorder_.finish(results);
  const std::vector<BacklogSample> backlog = backlog_samples();
  for (std::size_t w = 0; w < backlog.size(); ++w) {
    results.paths[w].unstable = series_.backlog.is_unstable(w, backlog[w]);
  }
  series_results(results);
  for (std::size_t e = 0; e < calls_.edges.size(); ++e) {
    if (calls_.edges[e].breaker) {
      results.edges[e].breaker_opens = calls_.edges[e].breaker->opens();
      results.edges[e].breaker_open_s = to_seconds(calls_.edges[e].breaker->time_open(finished));
    }
  }
  // A client's calls are its path's statistics: its edge is kept only to
  // report a circuit breaker the workload has.
  std::vector<stats::EdgeResult> kept;
  for (std::size_t e = 0; e < results.edges.size(); ++e) {
    if (plan_.edges[e].caller_service != no_id || plan_.edges[e].queue != no_id ||
        calls_.edges[e].breaker) {
      kept.push_back(std::move(results.edges[e]));
    }
  }
  results.edges = std::move(kept);
  stats::evaluate_slos(results, plan_.slos);
  if constexpr (Observe) {
    attribution_results(results);
    if (obs_->tracing) {
      trace_results(results, finished);
    }
  }
  return results;
}

TAILSIM_SIMULATION_MEMBER(stats::Results, results(Time, bool));

}  // namespace tailsim::components::sim
