#pragma once
/// Which request paths can send calls over which edges: the static reach of
/// each path through the step programs.

#include <vector>

#include "tailsim/plan/plan.hpp"

namespace tailsim::plan {

/// For each edge of the plan, the paths whose requests can send calls over
/// it, in order: a workload w is path w, a queue q path
/// `workloads.size() + q` (its messages, from its consumer's calls down). A
/// path's reach follows its calls, parallel children, branch arms and cache
/// misses, and stops at a `publish` (the message's own path goes on).
std::vector<std::vector<Id>> paths_reaching_edges(const Plan& plan);

/// For each service of the plan, the paths whose requests can reach it (its
/// endpoints called along a path's reach, or a path's entry), in order.
std::vector<std::vector<Id>> paths_reaching_services(const Plan& plan);

}  // namespace tailsim::plan
