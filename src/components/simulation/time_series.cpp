// The time series (docs/semantics.md, "Time series"): the intervals'
// sums, the gauges sampled at each interval's end, the markers of faults
// and rate changes; and the backlog samples that tell an unstable path.

#include <fmt/format.h>

#include "kernel.hpp"

namespace tailsim::components::sim {

template <bool Observe>
template <class Visit>
void Simulation<Observe>::for_each_gauge(Visit visit) {
  // The values the time series samples at the end of each interval, in a
  // fixed order: visit(entity, metric, value), where entity() makes the
  // entity's name (only when wanted: this runs at every interval).
  constexpr double undefined = std::numeric_limits<double>::quiet_NaN();
  for (Id w = 0; w < clients_.workloads.size(); ++w) {
    visit([&] { return "path/" + plan_.workloads[w].name; }, "in_flight",
          static_cast<double>(clients_.workloads[w].open));
  }
  for (Id q = 0; q < brokers_.queues.size(); ++q) {
    const QueueState& state = brokers_.queues[q];
    const std::string& name = plan_.queues[q].name;
    visit([&] { return "path/" + name; }, "in_flight",
          static_cast<double>(state.waiting.size() + state.delayed.size() + state.in_flight));
    visit([&] { return "queue/" + name; }, "depth", static_cast<double>(state.waiting.size()));
    visit([&] { return "queue/" + name; }, "lag_s",
          state.waiting.empty() ? 0.0 : to_seconds(now_ - state.waiting.front().published));
  }
  for (Id s = 0; s < fleet_.services.size(); ++s) {
    if (plan_.services[s].external) {
      continue;
    }
    auto entity = [&] { return "service/" + plan_.services[s].name; };
    visit(entity, "replicas_ready", static_cast<double>(fleet_.services[s].pods.size()));
    visit(entity, "replicas_starting", static_cast<double>(starting_pods(s)));
    if (plan_.services[s].has_memory) {  // memory.cpp: in use now, and the counts so far
      double in_use = 0;
      for (Id pod : fleet_.services[s].members) {
        in_use += static_cast<double>(memory_in_use(fleet_.pods[pod]));
      }
      const MemoryState::Counts& counts = memory_.services[s];
      visit(entity, "memory_bytes", in_use);
      visit(entity, "oom_kills", static_cast<double>(counts.oom_kills));
      visit(entity, "restarts", static_cast<double>(counts.restarts));
      visit(entity, "evictions", static_cast<double>(counts.evictions));
    }
  }
  if (plan_.cluster) {
    // Every node the cluster may have, from the start: undefined while it
    // has not joined.
    for (Id n = 0; n < plan_.cluster->max_nodes; ++n) {
      const bool joined =
          n < cluster_.nodes.size() && cluster_.nodes[n].phase != NodePhase::removed;
      auto entity = [&] { return fmt::format("node/node-{}", n); };
      visit(entity, "pods_cores", joined ? cluster_.nodes[n].pods_cores : undefined);
      visit(entity, "neighbour_cores", joined ? cluster_.nodes[n].neighbour_cores : undefined);
      visit(entity, "utilization",
            joined ? (cluster_.nodes[n].pods_cores + cluster_.nodes[n].neighbour_cores) /
                         plan_.cluster->node_cores
                   : undefined);
    }
  }
  for (Id a = 0; a < autoscaling_.autoscalers.size(); ++a) {
    auto entity = [&] { return "autoscaler/" + plan_.autoscalers[a].name; };
    const std::vector<stats::ScaleSample>& history = recorder_.autoscaler(a).history;
    const bool has_metric = !history.empty() && history.back().has_metric;
    visit(entity, "metric", has_metric ? history.back().metric : undefined);
    visit(entity, "desired",
          static_cast<double>(fleet_.services[plan_.autoscalers[a].service].desired));
    visit(entity, "ready",
          static_cast<double>(fleet_.services[plan_.autoscalers[a].service].pods.size()));
  }
  for (Id e = 0; e < calls_.edges.size(); ++e) {
    if (!calls_.edges[e].breaker) {
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
    visit(entity, "state", static_cast<double>(calls_.edges[e].breaker->state()));
  }
  if (plan_.cluster && plan_.cluster->scale_down) {  // the node count moves both ways
    visit([] { return std::string("cluster"); }, "nodes",
          static_cast<double>(cluster_.live_nodes()));
  }
}

template <bool Observe>
void Simulation<Observe>::close_interval(Time start, Time end) {
  // Close every time-weighted span at the boundary, so that the interval's
  // CPU, queue and capacity sums are its own.
  for (Id p = 0; p < fleet_.pods.size(); ++p) {
    if (fleet_.pods[p].life.phase == PodPhase::ready ||
        fleet_.pods[p].life.phase == PodPhase::terminating) {
      touch_cpu(p);
    }
  }
  for (Id s = 0; s < fleet_.services.size(); ++s) {
    if (!plan_.services[s].external) {
      note_waiting(s, 0);
      note_capacity(s);
    }
  }
  if (cluster_.shares_cores) {
    close_node_interval(end - start);
  }
  recorder_.close_interval(end - start);
  if (series_.pods.on) {
    close_pod_interval(end - start);
  }
  std::size_t g = 0;
  for_each_gauge(
      [&](const auto&, const char*, double value) { series_.gauges[g++].push_back(value); });
}

template <bool Observe>
std::string Simulation<Observe>::fault_what(const plan::Fault& f) const {
  const std::string target = f.kind == plan::FaultKind::flush ? plan_.caches[f.cache].name
                                                              : plan_.services[f.service].name;
  switch (f.kind) {
    case plan::FaultKind::kill:
      return fmt::format("kill {} ({} pod{})", target, f.pods, f.pods == 1 ? "" : "s");
    case plan::FaultKind::slow:
      return fmt::format("slow {}", target);
    case plan::FaultKind::fail:
      return fmt::format("fail {} ({:g}%)", target, f.rate * 100);
    case plan::FaultKind::down:
      return fmt::format("down {}", target);
    case plan::FaultKind::partition:
      return fmt::format("partition {} | {}", target, plan_.services[f.other].name);
    case plan::FaultKind::cpu:
      return fmt::format("cpu {} at {:g} cores", target, f.cores);
    case plan::FaultKind::flush:
      return fmt::format("flush {}", target);
  }
  return target;
}

template <bool Observe>
std::vector<stats::TimeMarker> Simulation<Observe>::markers() const {
  std::vector<stats::TimeMarker> out;
  for (const plan::Fault& f : plan_.faults) {
    std::string what = fault_what(f);
    if (f.is_named) {
      what = fmt::format("{}: {}", f.name, what);
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

template <bool Observe>
void Simulation<Observe>::catch_up(Time at) {
  while (at >= series_.next_due) {
    now_ = series_.next_due;
    if (series_.next_due == series_.next_interval) {
      close_interval(series_.next_interval - plan_.interval, series_.next_interval);
      series_.next_interval += plan_.interval;
    } else {
      series_.backlog.take(backlog_samples());
    }
    series_.next_due = std::min(series_.next_interval, series_.backlog.next_due());
  }
}

template <bool Observe>
std::vector<BacklogSample> Simulation<Observe>::backlog_samples() const {
  std::vector<BacklogSample> samples(clients_.workloads.size());
  for (std::size_t w = 0; w < clients_.workloads.size(); ++w) {
    samples[w] = {clients_.workloads[w].open, clients_.workloads[w].arrivals};
  }
  return samples;
}

template <bool Observe>
void Simulation<Observe>::start_series() {
  if (plan_.interval > Duration::zero()) {
    series_.next_interval = Time{} + plan_.interval;
    for_each_gauge([&](const auto&, const char*, double) { series_.gauges.emplace_back(); });
    start_pod_series();
  }
  series_.next_due = std::min(series_.next_interval, series_.backlog.next_due());
}

template <bool Observe>
void Simulation<Observe>::finish_series(Time finished) {
  // A run stopped early covers the time simulated: closing the intervals up
  // to the window's end would fill (and allocate) the series for time never
  // simulated, hours of it after a signal in a long run.
  const Duration interval = plan_.interval;
  if (interval > Duration::zero()) {
    while (series_.next_interval - interval < finished) {
      now_ = std::min(series_.next_interval, finished);
      close_interval(series_.next_interval - interval, now_);
      series_.next_interval += interval;
    }
    now_ = std::max(now_, finished);
  }
}

template <bool Observe>
void Simulation<Observe>::series_results(stats::Results& results) {
  results.timeseries.interval_s = to_seconds(plan_.interval);
  std::size_t g = 0;
  for_each_gauge([&](const auto& entity, const char* metric, double) {
    results.timeseries.series.push_back(
        stats::Series{entity(), metric, std::move(series_.gauges[g++])});
  });
  pod_series_results(results.timeseries);
  results.timeseries.markers = markers();
  const double end_s = to_seconds(now_ - Time{});
  for (const plan::Fault& f : plan_.faults) {
    const bool is_moment = f.kind == plan::FaultKind::kill || f.kind == plan::FaultKind::flush;
    const double start_s = to_seconds(f.at - Time{});
    results.timeseries.faults.push_back(
        stats::FaultWindow{.name = f.name,
                           .what = fault_what(f),
                           .start_s = start_s,
                           .end_s = is_moment                ? start_s
                                    : f.until == Time::max() ? end_s
                                                             : to_seconds(f.until - Time{}),
                           .is_named = f.is_named});
  }
  // Each edge the series count attempts at, and the paths that reach it:
  // retry amplification is its attempts per request of those paths.
  const plan::PathReach reach = plan::paths_reach(plan_);
  for (Id s = 0; s < reach.services.size() && s < results.services.size(); ++s) {
    results.services[s].reached_by.assign(reach.services[s].begin(), reach.services[s].end());
  }
  for (Id e = 0; e < calls_.edges.size(); ++e) {
    if (calls_.edges[e].counts_attempts) {
      const stats::EdgeResult& edge = results.edges[e];
      results.timeseries.reach.push_back(
          stats::EdgeReach{"edge/" + edge.caller + "->" + edge.target,
                           {reach.edges[e].begin(), reach.edges[e].end()}});
    }
  }
}

TAILSIM_SIMULATION_MEMBER(void, close_interval(Time, Time));
TAILSIM_SIMULATION_MEMBER(void, start_series());
TAILSIM_SIMULATION_MEMBER(void, finish_series(Time));
TAILSIM_SIMULATION_MEMBER(void, series_results(stats::Results&));
TAILSIM_SIMULATION_MEMBER(std::vector<stats::TimeMarker>, markers() const);
TAILSIM_SIMULATION_MEMBER(void, catch_up(Time));
TAILSIM_SIMULATION_MEMBER(std::vector<BacklogSample>, backlog_samples() const);

}  // namespace tailsim::components::sim
