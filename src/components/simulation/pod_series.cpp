// Each pod's own series (docs/semantics.md, "Time series"): with a cluster,
// `memory` or `gc`, what happens to one pod is not what happens to its
// service (a pod on a crowded node, the one OOM-killed, the one paused), so
// every pod gets the cores it used, its node, and its memory, restarts and
// GC pauses where the model has them, from the interval it was made in to
// the one it went in. Pods come and go during a run: their series are kept
// apart from the gauges, which are fixed from the start.

#include <fmt/format.h>

#include "kernel.hpp"

namespace tailsim::components::sim {

template <bool Observe>
void Simulation<Observe>::start_pod_series() {
  bool wanted = plan_.cluster.has_value();
  for (const plan::Service& service : plan_.services) {
    wanted = wanted || service.has_memory || service.gc_every != no_id;
  }
  series_.pods.on = wanted && plan_.interval > Duration::zero();
}

template <bool Observe>
void Simulation<Observe>::track_new_pods() {
  PodSeriesState& state = series_.pods;
  const std::size_t known = state.pods.size();
  state.pods.resize(fleet_.pods.size());
  for (std::size_t p = known; p < state.pods.size(); ++p) {
    state.pods[p].first = state.closed;  // made in the interval open now
  }
}

template <bool Observe>
void Simulation<Observe>::note_pod_gc_pause(Id pod, Duration paused) {
  if (!series_.pods.on) {
    return;
  }
  track_new_pods();
  series_.pods.pods[pod].gc_pause_ns += static_cast<double>(paused.count());
}

template <bool Observe>
void Simulation<Observe>::close_pod_interval(Duration interval) {
  // The pods' CPU was brought up to now by close_interval.
  constexpr double undefined = std::numeric_limits<double>::quiet_NaN();
  PodSeriesState& state = series_.pods;
  const double span = static_cast<double>(interval.count());
  track_new_pods();
  for (Id p = 0; p < fleet_.pods.size(); ++p) {
    PodTrack& track = state.pods[p];
    if (track.ended) {
      continue;
    }
    const Pod& pod = fleet_.pods[p];
    const plan::Service& spec = plan_.services[pod.service];
    if (plan_.cluster) {
      track.node.push_back(pod.life.ran_on == no_id ? undefined
                                                    : static_cast<double>(pod.life.ran_on));
    }
    track.cores.push_back(span > 0 ? (pod.metrics.used_core_ns - track.core_mark_ns) / span : 0);
    track.core_mark_ns = pod.metrics.used_core_ns;
    if (spec.has_memory) {
      track.memory_bytes.push_back(static_cast<double>(memory_in_use(pod)));
      track.restarts.push_back(static_cast<double>(pod.memory.restarts));
    }
    if (spec.gc_every != no_id) {
      track.gc_pause_s.push_back(track.gc_pause_ns * 1e-9);
      track.gc_pause_ns = 0;
    }
    state.values += 1 + static_cast<std::uint64_t>(plan_.cluster.has_value()) +
                    (spec.has_memory ? 2 : 0) + static_cast<std::uint64_t>(spec.gc_every != no_id);
    track.ended = pod.life.phase == PodPhase::gone;
  }
  ++state.closed;
}

template <bool Observe>
void Simulation<Observe>::pod_series_results(stats::TimeSeries& series) {
  for (Id p = 0; p < series_.pods.pods.size(); ++p) {
    PodTrack& track = series_.pods.pods[p];
    if (track.cores.empty()) {
      continue;  // made after the last interval closed
    }
    const Pod& pod = fleet_.pods[p];
    const std::string& service = plan_.services[pod.service].name;
    const std::string entity = fmt::format("pod/{}-{}", service, pod.life.ordinal);
    std::vector<std::pair<std::string, std::string>> labels = {{"service", service}};
    if (pod.life.ran_on != no_id) {
      labels.emplace_back("node", fmt::format("node-{}", pod.life.ran_on));
    }
    auto add = [&](const char* metric, std::vector<double>& values) {
      if (!values.empty()) {
        series.pods.push_back(
            stats::Series{entity, metric, std::move(values), track.first, labels});
      }
    };
    add("node", track.node);
    add("cores", track.cores);
    add("memory_bytes", track.memory_bytes);
    add("restarts", track.restarts);
    add("gc_pause_s", track.gc_pause_s);
  }
}

TAILSIM_SIMULATION_MEMBER(void, start_pod_series());
TAILSIM_SIMULATION_MEMBER(void, track_new_pods());
TAILSIM_SIMULATION_MEMBER(void, note_pod_gc_pause(Id, Duration));
TAILSIM_SIMULATION_MEMBER(void, close_pod_interval(Duration));
TAILSIM_SIMULATION_MEMBER(void, pod_series_results(stats::TimeSeries&));

}  // namespace tailsim::components::sim
