#pragma once
// The numbers of a run to draw on `run --out`'s topology.dot.

#include "tailsim/graph/dependency_graph.hpp"
#include "tailsim/graph/graph_writer.hpp"
#include "tailsim/model/model.hpp"
#include "tailsim/stats/results.hpp"

namespace tailsim::cli {

/// Each edge's calls per second, p99 and error share, and each service's
/// utilization and replicas, from `results`, for `graph::write_dot`. cli/
/// fills them because graph/ may not know stats/ (docs/architecture.md): the
/// drawing stays in one place, the measuring in another.
///
/// A call edge takes the numbers of its caller's service to its target (the
/// results count calls per service, not per endpoint), so two endpoints of
/// one service calling the same endpoint show the same numbers and say so; a
/// workload's edge takes its path's requests, latency and errors; a queue's
/// edge to its consumer the queue's deliveries.
[[nodiscard]] graph::RunNumbers topology_numbers(const graph::DependencyGraph& graph,
                                                 const model::Model& model,
                                                 const stats::Results& results);

}  // namespace tailsim::cli
