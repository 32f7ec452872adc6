// The cluster autoscaler's scale-down (`cluster.scale_down`): every scan it
// finds the nodes whose pods request less than `utilization` of them and
// could all be placed on other nodes; one unneeded for `unneeded` in a row is
// removed, at once when empty, else drained: tainted, its pods replaced by
// new ones placed elsewhere while the old ones finish within their
// termination grace period, and removed once the last has gone. Scale-up is
// in cluster.cpp. docs/semantics.md, "Cluster scale-down".

#include "kernel.hpp"

namespace tailsim::components::sim {

template <bool Observe>
void Simulation<Observe>::start_cluster_autoscaler() {
  if (plan_.cluster && plan_.cluster->scale_down) {
    schedule(now_, EventKind::cluster_scan, 0);
  }
}

template <bool Observe>
double Simulation<Observe>::node_request_share(Id node) const {
  // The cluster autoscaler's utilization is the larger of the CPU and memory
  // shares that the pods on the node request (DaemonSet and terminating pods
  // included). Only CPU is requested today: the memory share joins this max
  // once pods request memory.
  const double node_cores = plan_.cluster->node_cores;
  const double cpu_share = (node_cores - cluster_.nodes[node].free_cores) / node_cores;
  return cpu_share;
}

template <bool Observe>
bool Simulation<Observe>::fits_elsewhere(Id node, const std::vector<Id>& pods) const {
  // As the cluster autoscaler's removal simulation: the pods one after the
  // other, each on the first other node with room for its request (memory
  // requests join the fit here once pods have them).
  std::vector<double> free(cluster_.nodes.size());
  for (Id n = 0; n < cluster_.nodes.size(); ++n) {
    free[n] = n != node && cluster_.nodes[n].takes_pods() ? cluster_.nodes[n].free_cores : -1.0;
  }
  for (Id pod_id : pods) {
    const double request = plan_.services[fleet_.pods[pod_id].service].cpu_request;
    auto room = std::find_if(free.begin(), free.end(), [&](double cores) {
      return cores >= 0 && cores + ClusterState::fit_slack >= request;
    });
    if (room == free.end()) {
      return false;  // nowhere to fit: the node is needed
    }
    *room -= request;
  }
  return true;
}

template <bool Observe>
void Simulation<Observe>::on_cluster_scan() {
  const plan::NodeScaleDown& rule = *plan_.cluster->scale_down;
  if (now_ + kubernetes::cluster_autoscaler_scan_interval <= end_) {
    schedule(now_ + kubernetes::cluster_autoscaler_scan_interval, EventKind::cluster_scan, 0);
  }
  // The pods on each node: all of them, and those a drain would replace.
  const std::size_t node_count = cluster_.nodes.size();
  std::vector<std::uint32_t> placed(node_count, 0);
  std::vector<std::vector<Id>> movable(node_count);
  for (const ServiceState& service : fleet_.services) {
    for (Id pod_id : service.members) {  // every pod not gone
      const PodLife& life = fleet_.pods[pod_id].life;
      if (life.node == no_id) {
        continue;  // pending
      }
      ++placed[life.node];
      if (life.phase == PodPhase::starting || life.phase == PodPhase::ready) {
        movable[life.node].push_back(pod_id);
      }
    }
  }
  std::uint32_t up = 0;
  for (Id n = 0; n < node_count; ++n) {
    Node& node = cluster_.nodes[n];
    if (!node.takes_pods()) {
      continue;
    }
    ++up;
    const bool unneeded = node_request_share(n) < rule.utilization && fits_elsewhere(n, movable[n]);
    if (!unneeded) {
      node.unneeded_since.reset();
    } else if (!node.unneeded_since) {
      node.unneeded_since = now_;
    }
  }
  if (cluster_.last_scale_up &&
      now_ < *cluster_.last_scale_up + kubernetes::scale_down_delay_after_add) {
    return;  // the timers run, but nothing is removed so soon after a scale-up
  }
  // Empty nodes go at once, several per scan; then a non-empty one is
  // drained, one at a time. The cluster keeps at least one node.
  auto is_due = [&](Id n) {
    const Node& node = cluster_.nodes[n];
    return up > 1 && node.takes_pods() && node.unneeded_since &&
           now_ - *node.unneeded_since >= rule.unneeded;
  };
  std::uint32_t emptied = 0;
  for (Id n = 0; n < node_count && emptied < kubernetes::max_empty_bulk_delete; ++n) {
    if (is_due(n) && placed[n] == 0) {
      ++emptied;
      --up;
      remove_node(n);
    }
  }
  for (Id n = 0; n < node_count && !cluster_.draining; ++n) {
    // Checked again: the nodes just removed may have been where its pods would go.
    if (is_due(n) && placed[n] > 0 && fits_elsewhere(n, movable[n])) {
      drain_node(n, movable[n]);
    }
  }
}

template <bool Observe>
void Simulation<Observe>::drain_node(Id node, const std::vector<Id>& pods) {
  cluster_.nodes[node].phase = NodePhase::draining;
  cluster_.draining = node;
  // Each pod is evicted: it finishes what it holds within its grace period,
  // and its ReplicaSet makes a replacement, which the scheduler places on
  // another node (the drained one is tainted).
  for (Id pod_id : pods) {
    const Id service = fleet_.pods[pod_id].service;
    terminate_pod(pod_id);
    create_pod(service, /*is_initial=*/false, plan_.services[service].startup_stream);
  }
  node_pod_gone(node);  // nothing left on it: it goes now
}

template <bool Observe>
void Simulation<Observe>::node_pod_gone(Id node) {
  if (cluster_.nodes[node].phase != NodePhase::draining) {
    return;  // removed already
  }
  for (const ServiceState& service : fleet_.services) {
    for (Id pod_id : service.members) {
      if (fleet_.pods[pod_id].life.node == node) {
        return;  // a pod still finishing its work
      }
    }
  }
  remove_node(node);
}

template <bool Observe>
void Simulation<Observe>::remove_node(Id node) {
  Node& n = cluster_.nodes[node];
  note_node_capacity();  // its cores count up to now
  note_neighbours(n);    // and its neighbours go with it
  n.neighbour_granted = 0;
  n.phase = NodePhase::removed;
  n.unneeded_since.reset();
  ++cluster_.removed_nodes;
  if (cluster_.draining == node) {
    cluster_.draining.reset();
  }
  recorder_.cluster_node_removed(cluster_.live_nodes());
}

TAILSIM_SIMULATION_MEMBER(void, start_cluster_autoscaler());
TAILSIM_SIMULATION_MEMBER(double, node_request_share(Id) const);
TAILSIM_SIMULATION_MEMBER(bool, fits_elsewhere(Id, const std::vector<Id>&) const);
TAILSIM_SIMULATION_MEMBER(void, on_cluster_scan());
TAILSIM_SIMULATION_MEMBER(void, drain_node(Id, const std::vector<Id>&));
TAILSIM_SIMULATION_MEMBER(void, node_pod_gone(Id));
TAILSIM_SIMULATION_MEMBER(void, remove_node(Id));

}  // namespace tailsim::components::sim
