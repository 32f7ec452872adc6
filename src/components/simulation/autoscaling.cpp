// Horizontal pod autoscalers: the metric snapshots that open and close
// each sync's window, and the controller's (HpaController) decisions.

#include "kernel.hpp"

namespace tailsim::components::sim {

template <bool Observe>
void Simulation<Observe>::start_autoscalers() {
  autoscaling_.autoscalers.resize(plan_.autoscalers.size());
  for (Id a = 0; a < plan_.autoscalers.size(); ++a) {
    const plan::Autoscaler& spec = plan_.autoscalers[a];
    AutoscalerState& state = autoscaling_.autoscalers[a];
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
    static constexpr const char* metric_names[] = {"cpu", "concurrency", "rps", "queue_lag"};
    recorder_.add_autoscaler(spec.name, plan_.services[spec.service].name,
                             metric_names[static_cast<int>(spec.metric)]);
    // The controller's loop is not aligned with the run: its first sync comes
    // at a phase drawn in [0, sync_period).
    const auto phase = static_cast<std::int64_t>(streams_[spec.stream].uniform() *
                                                 static_cast<double>(spec.sync_period.count()));
    state.first_sync = Time{} + Duration{phase};
    schedule(state.first_sync, EventKind::autoscaler_sync, a);
    schedule_snapshot(a);
  }
}

template <bool Observe>
Time Simulation<Observe>::window_edge(Id a, std::uint64_t sync, bool is_start) const {
  // Sync k at T sees the metric over [T - lag - window, T - lag], from the
  // start of the run at the earliest.
  const plan::Autoscaler& spec = plan_.autoscalers[a];
  const Time at = autoscaling_.autoscalers[a].first_sync +
                  spec.sync_period * static_cast<std::int64_t>(sync) - spec.metrics_lag -
                  (is_start ? spec.window : Duration{0});
  return std::max(at, Time{});
}

template <bool Observe>
void Simulation<Observe>::schedule_snapshot(Id a) {
  const AutoscalerState& state = autoscaling_.autoscalers[a];
  const Time next =
      std::min(window_edge(a, state.next_start, true), window_edge(a, state.next_end, false));
  if (next <= end_) {
    schedule(std::max(next, now_), EventKind::metrics_snapshot, a);
  }
}

template <bool Observe>
double Simulation<Observe>::queue_metric(const plan::Autoscaler& spec) const {
  const QueueState& q = brokers_.queues[spec.queue];
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
  AutoscalerState& state = autoscaling_.autoscalers[a];
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
  AutoscalerState& state = autoscaling_.autoscalers[a];
  if (state.snapshots.empty() || state.snapshots.back().at != now_) {
    AutoscalerState::Snapshot snap;
    snap.at = now_;
    for (Id pod_id : fleet_.services[spec.service].members) {
      Pod& pod = fleet_.pods[pod_id];
      if (pod.life.phase != PodPhase::ready) {
        continue;
      }
      double value = 0;
      switch (spec.metric) {
        case plan::ScaleMetric::cpu:
          touch_cpu(pod_id);
          value = pod.metrics.used_core_ns;
          break;
        case plan::ScaleMetric::concurrency:
          note_held(pod);
          value = pod.metrics.held_ns;
          break;
        case plan::ScaleMetric::rps:
          value = static_cast<double>(pod.metrics.arrivals);
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
  AutoscalerState& state = autoscaling_.autoscalers[a];
  ServiceState& service = fleet_.services[spec.service];
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
    const Pod& pod = fleet_.pods[pod_id];
    if (pod.life.phase == PodPhase::terminating || pod.life.phase == PodPhase::gone) {
      continue;
    }
    HpaPod view;
    view.is_pending = pod.life.phase == PodPhase::pending;
    view.is_ready = pod.life.phase == PodPhase::ready;
    view.started = pod.life.phase == PodPhase::pending ? pod.life.created : pod.life.started;
    view.ready_changed = view.is_ready ? pod.life.ready_at : view.started;
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
  recorder_.autoscaler_sync(
      a, stats::ScaleSample{to_seconds(now_ - Time{}), decision.has_metric, decision.metric,
                            decision.raw_recommendation, decision.desired,
                            static_cast<std::uint32_t>(service.pods.size()),
                            starting_pods(spec.service)});
  if (now_ + spec.sync_period <= end_) {
    schedule(now_ + spec.sync_period, EventKind::autoscaler_sync, a);
  }
}

TAILSIM_SIMULATION_MEMBER(void, start_autoscalers());
TAILSIM_SIMULATION_MEMBER(Time, window_edge(Id, std::uint64_t, bool) const);
TAILSIM_SIMULATION_MEMBER(void, schedule_snapshot(Id));
TAILSIM_SIMULATION_MEMBER(double, queue_metric(const plan::Autoscaler&) const);
TAILSIM_SIMULATION_MEMBER(void, on_snapshot(Id));
TAILSIM_SIMULATION_MEMBER(void, take_snapshot(Id));
TAILSIM_SIMULATION_MEMBER(void, on_autoscaler_sync(Id));

}  // namespace tailsim::components::sim
