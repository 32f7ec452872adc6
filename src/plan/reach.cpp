#include "tailsim/plan/reach.hpp"

#include <cstddef>

namespace tailsim::plan {

namespace {

/// A depth-first walk from one path's entry, marking the edges it reaches.
class ReachWalk {
 public:
  explicit ReachWalk(const Plan& plan)
      : plan_(plan), edges_(plan.edges.size(), false), endpoints_(plan.endpoints.size(), false) {}

  void edge(Id e) {
    edges_[e] = true;
    endpoint(plan_.edges[e].target_endpoint);
  }

  [[nodiscard]] bool reaches(Id e) const { return edges_[e]; }
  [[nodiscard]] bool reaches_endpoint(Id ep) const { return endpoints_[ep]; }

  void endpoint(Id ep) {
    if (endpoints_[ep]) {
      return;
    }
    endpoints_[ep] = true;
    block(plan_.endpoints[ep].block);
  }

 private:
  void block(Id b) {
    for (Id o = plan_.blocks[b].begin; o < plan_.blocks[b].end; ++o) {
      const Op& op = plan_.ops[o];
      switch (op.kind) {
        case OpKind::call:
          edge(plan_.call_sites[op.call].edge);
          break;
        case OpKind::parallel:
          for (Id c = op.first; c < op.first + op.count; ++c) {
            block(plan_.child_blocks[c]);
          }
          break;
        case OpKind::branch:
          for (Id a = op.first; a < op.first + op.count; ++a) {
            block(plan_.arms[a].block);
          }
          break;
        case OpKind::cache:
          block(op.first);  // the miss block
          break;
        default:
          break;
      }
    }
  }

  const Plan& plan_;
  std::vector<bool> edges_;
  std::vector<bool> endpoints_;
};

/// Walks every path's reach and hands each walk to `collect(walk, path)`.
template <class Collect>
void walk_paths(const Plan& plan, Collect collect) {
  for (Id w = 0; w < plan.workloads.size(); ++w) {
    ReachWalk walk(plan);
    const Workload& workload = plan.workloads[w];
    if (workload.edge != no_id) {
      walk.edge(workload.edge);
    } else {
      walk.endpoint(workload.entry);
    }
    collect(walk, w);
  }
  for (Id q = 0; q < plan.queues.size(); ++q) {
    ReachWalk walk(plan);
    for (Id e = 0; e < plan.edges.size(); ++e) {
      if (plan.edges[e].queue == q) {
        walk.edge(e);
      }
    }
    collect(walk, static_cast<Id>(plan.workloads.size() + q));
  }
}

}  // namespace

PathReach paths_reach(const Plan& plan) {
  PathReach out;
  out.edges.resize(plan.edges.size());
  out.services.resize(plan.services.size());
  walk_paths(plan, [&](const ReachWalk& walk, Id path) {
    for (Id e = 0; e < plan.edges.size(); ++e) {
      if (walk.reaches(e)) {
        out.edges[e].push_back(path);
      }
    }
    for (Id ep = 0; ep < plan.endpoints.size(); ++ep) {
      std::vector<Id>& paths = out.services[plan.endpoints[ep].service];
      if (walk.reaches_endpoint(ep) && (paths.empty() || paths.back() != path)) {
        paths.push_back(path);
      }
    }
  });
  return out;
}

}  // namespace tailsim::plan
