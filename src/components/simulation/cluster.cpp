// The cluster: nodes, the placement of pods by their CPU request (as
// kube-scheduler scores nodes), and the cluster autoscaler that adds nodes
// for pods waiting for room. How the pods on a node share its cores is
// node.cpp's.

#include "kernel.hpp"

namespace tailsim::components::sim {

template <bool Observe>
bool Simulation<Observe>::place_pod(Id pod_id) {
  if (!plan_.cluster) {
    return true;  // capacity is unlimited
  }
  // As kube-scheduler: the nodes with room for the pod's request (the
  // NodeResourcesFit filter), scored in whole points out of 100 on the
  // cores requested with the pod there, in milli-cores as Kubernetes counts
  // them: LeastAllocated (spread) scores the share left free, MostAllocated
  // (pack) the share taken. The first node of the best score wins (the
  // scheduler draws among equals; the lowest index is the same for every run).
  const plan::ClusterSpec& cluster = *plan_.cluster;
  const double request = plan_.services[fleet_.pods[pod_id].service].cpu_request;
  const std::int64_t memory = plan_.services[fleet_.pods[pod_id].service].memory_request;
  const auto capacity = std::llround(cluster.node_cores * 1000);
  const Node fresh = new_node(cluster);  // a node's allocatable memory
  // One resource's score: free (spread) or taken (pack) share, out of 100.
  auto score_of = [&](std::int64_t used, std::int64_t allocatable) {
    used = std::min(used, allocatable);
    return cluster.pack ? used * 100 / allocatable : (allocatable - used) * 100 / allocatable;
  };
  Id best = no_id;
  std::int64_t best_score = -1;
  for (Id n = 0; n < cluster_.nodes.size(); ++n) {
    const Node& node = cluster_.nodes[n];
    if (!node.takes_pods() || node.free_cores + ClusterState::fit_slack < request ||
        node.free_memory < memory) {
      continue;
    }
    std::int64_t score =
        score_of(std::llround((cluster.node_cores - node.free_cores + request) * 1000), capacity);
    if (cluster.node_memory > 0) {  // CPU and memory weigh alike
      score =
          (score + score_of(fresh.free_memory - node.free_memory + memory, fresh.free_memory)) / 2;
    }
    if (score > best_score) {
      best = n;
      best_score = score;
    }
  }
  if (best == no_id) {
    return false;
  }
  cluster_.nodes[best].free_cores -= request;
  cluster_.nodes[best].free_memory -= memory;
  join_node(pod_id, best);
  return true;
}

template <bool Observe>
void Simulation<Observe>::request_nodes() {
  // As the cluster autoscaler: enough new nodes for the pending pods that
  // an empty node can hold, less those already on their way, up to max_nodes.
  const plan::ClusterSpec& cluster = *plan_.cluster;
  std::vector<double> fresh;
  for (Id pod_id : cluster_.pending_pods) {
    const double request = plan_.services[fleet_.pods[pod_id].service].cpu_request;
    if (request > cluster.node_cores + ClusterState::fit_slack) {
      continue;  // no node can ever hold it
    }
    auto fits = std::find_if(fresh.begin(), fresh.end(), [&](double free) {
      return free + ClusterState::fit_slack >= request;
    });
    if (fits == fresh.end()) {
      fresh.push_back(cluster.node_cores);
      fits = fresh.end() - 1;
    }
    *fits -= request;
  }
  const std::uint32_t present = cluster_.live_nodes() + cluster_.provisioning;
  const auto wanted = static_cast<std::uint32_t>(fresh.size());
  const std::uint32_t room = cluster.max_nodes > present ? cluster.max_nodes - present : 0;
  const std::uint32_t missing = wanted > cluster_.provisioning ? wanted - cluster_.provisioning : 0;
  for (std::uint32_t k = 0; k < std::min(missing, room); ++k) {
    cluster_.last_scale_up = now_;  // holds the scale-down back (cluster_autoscaler.cpp)
    ++cluster_.provisioning;
    schedule(now_ + cluster.provision, EventKind::node_ready, 0);
  }
}

template <bool Observe>
void Simulation<Observe>::on_node_ready() {
  --cluster_.provisioning;
  note_node_capacity();
  cluster_.nodes.push_back(new_node(*plan_.cluster));
  start_node(static_cast<Id>(cluster_.nodes.size() - 1));
  recorder_.cluster_node_added(cluster_.live_nodes());
  note_pending();
  std::deque<Id> still;
  for (Id pod_id : cluster_.pending_pods) {
    if (place_pod(pod_id)) {
      start_pod(pod_id, /*is_initial=*/false,
                plan_.services[fleet_.pods[pod_id].service].startup_stream);
    } else {
      still.push_back(pod_id);
    }
  }
  cluster_.pending_pods = std::move(still);
  if (!cluster_.pending_pods.empty()) {
    request_nodes();
  }
}

template <bool Observe>
void Simulation<Observe>::note_pending() {
  // Called before every change of their number: the recorder keeps the
  // pod-seconds in the measured window.
  recorder_.cluster_pending(cluster_.pending_since, now_,
                            static_cast<std::uint32_t>(cluster_.pending_pods.size()));
  cluster_.pending_since = now_;
}

TAILSIM_SIMULATION_MEMBER(bool, place_pod(Id));
TAILSIM_SIMULATION_MEMBER(void, request_nodes());
TAILSIM_SIMULATION_MEMBER(void, on_node_ready());
TAILSIM_SIMULATION_MEMBER(void, note_pending());

}  // namespace tailsim::components::sim
