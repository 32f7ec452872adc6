// Node CPU contention (docs/semantics.md, "Node contention"): with a
// cluster, the busy pods on a node and its neighbours (other tenants) share
// its cores as Linux CFS group scheduling does over time. Each wants
// min(busy requests, its cores), no more than its limit; while their wants
// fit the node everyone gets what it wants, and beyond it the cores are
// shared by weight (the pod's CPU request, cpu.weight; a neighbour's
// demand) by water-filling: whoever wants less than its weighted share keeps
// what it wants and the rest is shared again among the others. A pod
// granted less than it wants runs slower by that ratio (its `speed`).

#include <algorithm>

#include "kernel.hpp"

namespace tailsim::components::sim {

namespace {

/// The lightest weight a pod has (Kubernetes' cpu.shares never go below 2
/// of 1024 per core: a pod without a request still gets a little).
constexpr double min_weight = 2.0 / 1024.0;

/// Shares `cores` among `claims` by weighted water-filling: finds the level
/// x (cores per unit of weight) at which every claim gets min(wants,
/// weight x) and the cores are all given. From x = 0 every claim wanting
/// anything is unsatisfied; each round gives the satisfied what they want and
/// shares the rest among the others, which raises x, until no more claims
/// become satisfied (at most one round per claim; two or three on a node).
void water_fill(std::vector<NodeClaim>& claims, double cores) {
  double level = 0;
  for (std::size_t rounds = 0; rounds <= claims.size(); ++rounds) {
    double satisfied = 0;
    double weight = 0;
    for (const NodeClaim& c : claims) {
      if (c.wants <= c.weight * level) {
        satisfied += c.wants;
      } else {
        weight += c.weight;
      }
    }
    if (weight == 0) {
      break;  // everyone is satisfied (the node had room after all)
    }
    const double next = (cores - satisfied) / weight;
    if (next <= level) {
      break;
    }
    level = next;
  }
  for (NodeClaim& c : claims) {
    c.granted = std::min(c.wants, c.weight * level);
  }
}

}  // namespace

template <bool Observe>
void Simulation<Observe>::node_wants_changed(Id pod_id) {
  Pod& pod = fleet_.pods[pod_id];
  if (pod.life.node == no_id) {
    return;
  }
  const plan::Service& svc = plan_.services[pod.service];
  // With CFS the limit caps what the pod takes (a CPU fault changes it).
  const double cap = svc.cfs ? fleet_.services[pod.service].cores : svc.cores;
  const double base = pod.cpu.wanted_cores();
  const double wants = std::min(base, cap);
  Node& node = cluster_.nodes[pod.life.node];
  NodeClaim& claim = node.claims[pod.life.node_slot];
  if (wants == claim.wants) {
    if (base != claim.base) {
      // Capped by its limit, it wants as much as before, and gets it: the
      // same grant spread over more (or fewer) requests.
      claim.base = base;
      set_node_speed(pod_id, claim, node.contended);
    }
    return;
  }
  node.wanted += wants - claim.wants;
  claim.wants = wants;
  claim.base = base;
  if (node.contended || node.wanted > plan_.cluster->node_cores + ClusterState::fit_slack) {
    share_node(pod.life.node);
  }
}

template <bool Observe>
void Simulation<Observe>::set_node_speed(Id pod_id, NodeClaim& claim, bool contended) {
  const double speed =
      contended && claim.base > 0 ? std::clamp(claim.granted / claim.base, 1e-9, 1.0) : 1.0;
  if (speed != claim.speed) {
    if constexpr (Observe) {
      if (obs_->tracing && (speed < 1) != (claim.speed < 1)) {
        trace_slowed(pod_id, speed < 1);
      }
    }
    claim.speed = speed;
    touch_cpu(pod_id);  // its use up to now at the old speed
    fleet_.pods[pod_id].cpu.set_speed(now_, speed);
  }
}

template <bool Observe>
void Simulation<Observe>::share_node(Id node_id) {
  Node& node = cluster_.nodes[node_id];
  const double cores = plan_.cluster->node_cores;
  // The pods' claims, then the neighbours' (the last); their sum again from
  // its parts, as the running sum drifts by rounding.
  std::vector<NodeClaim>& claims = node.claims;
  double wanted = 0;
  for (const NodeClaim& c : claims) {
    wanted += c.wants;
  }
  node.wanted = wanted;
  node.contended = wanted > cores + ClusterState::fit_slack;
  if (node.contended) {
    water_fill(claims, cores);
  } else {
    for (NodeClaim& c : claims) {
      c.granted = c.wants;
    }
  }
  for (std::size_t k = 0; k < node.pods.size(); ++k) {
    set_node_speed(node.pods[k], claims[k], node.contended);
  }
  if (claims.back().granted != node.neighbour_granted) {
    note_neighbours(node);
    node.neighbour_granted = claims.back().granted;
  }
}

template <bool Observe>
void Simulation<Observe>::join_node(Id pod_id, Id node_id) {
  Node& node = cluster_.nodes[node_id];
  PodLife& life = fleet_.pods[pod_id].life;
  life.node = node_id;
  life.ran_on = node_id;
  life.node_slot = static_cast<std::uint32_t>(node.pods.size());
  node.pods.push_back(pod_id);
  const double weight =
      std::max(min_weight, plan_.services[fleet_.pods[pod_id].service].cpu_request);
  node.claims.insert(node.claims.end() - 1, NodeClaim{.weight = weight});
}

template <bool Observe>
void Simulation<Observe>::leave_node(Id pod_id) {
  Pod& pod = fleet_.pods[pod_id];
  Node& node = cluster_.nodes[pod.life.node];
  node.pods_core_ns += pod.metrics.used_core_ns - pod.metrics.node_mark_ns;
  pod.metrics.node_mark_ns = pod.metrics.used_core_ns;
  node.wanted -= node.claims[pod.life.node_slot].wants;
  // The last pod takes its slot.
  const std::uint32_t slot = pod.life.node_slot;
  const std::size_t last = node.pods.size() - 1;
  node.pods[slot] = node.pods[last];
  node.claims[slot] = node.claims[last];
  fleet_.pods[node.pods[slot]].life.node_slot = slot;
  node.pods.pop_back();
  node.claims.erase(node.claims.begin() + static_cast<std::ptrdiff_t>(last));
  if (node.contended) {
    share_node(pod.life.node);
  }
  pod.life.node = no_id;
}

template <bool Observe>
void Simulation<Observe>::start_node(Id node_id) {
  Node& node = cluster_.nodes[node_id];
  node.neighbour_since = now_;
  if (plan_.cluster->neighbour_cores != no_id) {
    on_neighbours_change(node_id);
  }
}

template <bool Observe>
void Simulation<Observe>::on_neighbours_change(Id node_id) {
  const plan::ClusterSpec& cluster = *plan_.cluster;
  Node& node = cluster_.nodes[node_id];
  if (node.phase == NodePhase::removed) {
    return;  // they left with the node
  }
  // Their demand, in cores: a value of one second is one core.
  const double wants = to_seconds(
      plan_.distributions[cluster.neighbour_cores].sample(streams_[cluster.neighbour_stream]));
  node.wanted += wants - node.claims.back().wants;
  node.claims.back() = NodeClaim{.wants = wants, .weight = std::max(min_weight, wants)};
  share_node(node_id);
  schedule(now_ + cluster.neighbour_every, EventKind::neighbours_change, node_id);
}

template <bool Observe>
void Simulation<Observe>::note_neighbours(Node& node) {
  recorder_.neighbour_cores(node.neighbour_since, now_, node.neighbour_granted);
  node.neighbour_core_ns +=
      node.neighbour_granted * static_cast<double>((now_ - node.neighbour_since).count());
  node.neighbour_since = now_;
}

template <bool Observe>
void Simulation<Observe>::note_node_capacity() {
  recorder_.node_capacity(cluster_.capacity_since, now_,
                          static_cast<double>(cluster_.live_nodes()) * plan_.cluster->node_cores);
  cluster_.capacity_since = now_;
}

template <bool Observe>
void Simulation<Observe>::close_node_interval(Duration interval) {
  // The pods' CPU was brought up to now by close_interval.
  const double span = static_cast<double>(interval.count());
  for (Node& node : cluster_.nodes) {
    for (Id p : node.pods) {
      PodMetrics& m = fleet_.pods[p].metrics;
      node.pods_core_ns += m.used_core_ns - m.node_mark_ns;
      m.node_mark_ns = m.used_core_ns;
    }
    note_neighbours(node);
    node.pods_cores = span > 0 ? node.pods_core_ns / span : 0;
    node.neighbour_cores = span > 0 ? node.neighbour_core_ns / span : 0;
    node.pods_core_ns = 0;
    node.neighbour_core_ns = 0;
  }
}

template <bool Observe>
void Simulation<Observe>::node_results(Time finished) {
  for (Id p = 0; p < fleet_.pods.size(); ++p) {
    const Pod& pod = fleet_.pods[p];
    if (pod.cpu.is_held_back() && !pod.cpu.is_stopped() && pod.cpu.busy() > 0) {
      recorder_.node_contention(pod.service, pod.cpu.last_update(), finished,
                                (1.0 - pod.cpu.speed()) * static_cast<double>(pod.cpu.busy()));
    }
  }
  for (const Node& node : cluster_.nodes) {
    recorder_.neighbour_cores(node.neighbour_since, finished, node.neighbour_granted);
  }
  recorder_.node_capacity(cluster_.capacity_since, finished,
                          static_cast<double>(cluster_.live_nodes()) * plan_.cluster->node_cores);
}

template <bool Observe>
void Simulation<Observe>::note_held_back_cpu(Pod& pod) {
  if (pod.cpu.is_stopped()) {
    note_stopped_cpu(pod);
  } else {
    note_slowed_cpu(pod);
  }
}

template <bool Observe>
void Simulation<Observe>::note_slowed_cpu(Pod& pod) {
  // Each busy request progressed at `speed` of its pace: it lost (1 -
  // speed) of the time to the node.
  const double lost = 1.0 - pod.cpu.speed();
  pod.metrics.contended_ns += lost * static_cast<double>((now_ - pod.cpu.last_update()).count());
  recorder_.node_contention(pod.service, pod.cpu.last_update(), now_,
                            lost * static_cast<double>(pod.cpu.busy()));
}

TAILSIM_SIMULATION_MEMBER(void, node_wants_changed(Id));
TAILSIM_SIMULATION_MEMBER(void, share_node(Id));
TAILSIM_SIMULATION_MEMBER(void, set_node_speed(Id, NodeClaim&, bool));
TAILSIM_SIMULATION_MEMBER(void, join_node(Id, Id));
TAILSIM_SIMULATION_MEMBER(void, leave_node(Id));
TAILSIM_SIMULATION_MEMBER(void, start_node(Id));
TAILSIM_SIMULATION_MEMBER(void, on_neighbours_change(Id));
TAILSIM_SIMULATION_MEMBER(void, note_neighbours(Node&));
TAILSIM_SIMULATION_MEMBER(void, note_node_capacity());
TAILSIM_SIMULATION_MEMBER(void, close_node_interval(Duration));
TAILSIM_SIMULATION_MEMBER(void, node_results(Time));
TAILSIM_SIMULATION_MEMBER(void, note_held_back_cpu(Pod&));

template <bool Observe>
void Simulation<Observe>::trace_slowed(Id pod_id, bool slowed) {
  std::vector<Time>& since = obs_->slowed_since;
  if (since.size() <= pod_id) {
    since.resize(fleet_.pods.size(), Time::max());
  }
  if (slowed) {
    since[pod_id] = now_;
    return;
  }
  // The stretch ends: each traced cpu op running through it gets its part.
  fleet_.pods[pod_id].cpu.for_each_job([&](std::uint32_t job) {
    if (job < obs_->marks.size() && (job & BatchState::job_bit) == 0) {
      trace_slowed_op(job, pod_id);
    }
  });
  since[pod_id] = Time::max();
}

template <bool Observe>
void Simulation<Observe>::trace_slowed_op(Id t, Id pod_id) {
  if (pod_id >= obs_->slowed_since.size() || obs_->slowed_since[pod_id] == Time::max()) {
    return;
  }
  const TaskMark& mark = obs_->marks[t];
  const Time start = std::max(obs_->slowed_since[pod_id], mark.cpu_started);
  if (mark.is_cpu && start < now_) {
    trace_phase(work_.tasks[t].request, "waiting for node cores", start, now_);
  }
}

TAILSIM_SIMULATION_MEMBER(void, trace_slowed(Id, bool));
TAILSIM_SIMULATION_MEMBER(void, trace_slowed_op(Id, Id));
TAILSIM_SIMULATION_MEMBER(void, note_slowed_cpu(Pod&));

}  // namespace tailsim::components::sim
