#pragma once
/// Which request paths can send calls over which edges: the static reach of
/// each path through the step programs.

#include <vector>

#include "tailsim/plan/plan.hpp"

namespace tailsim::plan {

/// Which paths can reach what: a workload w is path w, a queue q path
/// `workloads.size() + q` (its messages, from its consumer's calls down). A
/// path's reach follows its calls, parallel children, branch arms and cache
/// misses, and stops at a `publish` (the message's own path goes on).
struct PathReach {
  std::vector<std::vector<Id>> edges;     ///< per edge, the paths that can call over it, in order
  std::vector<std::vector<Id>> services;  ///< per service, the paths that can reach it, in order
};

/// Walks each path's step programs once.
PathReach paths_reach(const Plan& plan);

}  // namespace tailsim::plan
