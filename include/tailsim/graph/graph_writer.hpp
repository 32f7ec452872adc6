#pragma once
/// Text forms of the dependency graph, for `tailsim graph MODEL --format dot|json`.

#include <string>

#include "tailsim/graph/dependency_graph.hpp"
#include "tailsim/model/model.hpp"

namespace tailsim::graph {

/// The graph as Graphviz DOT, ready for `dot -Tsvg`: left to right, workloads
/// as ovals on the left, one cluster per service (dashed for external ones)
/// holding its endpoints as rounded boxes, caches as cylinders, queues as `cds`
/// shapes. Calls are solid edges, calls on a cache miss dotted and labelled
/// `miss`, cache lookups dotted without an arrowhead, publishes dashed and
/// consumes dashed with a hollow arrowhead; optional calls are grey. Node ids
/// are `kind:name` (`endpoint:cart.get`), so names of different kinds never
/// clash. The output follows model order, so equal models give equal text.
/// `graph` must have been built from `model`.
[[nodiscard]] std::string write_dot(const DependencyGraph& graph, const model::Model& model);

/// The graph as JSON, in model order:
/// `{"vertices": [{"id", "kind", "service"}], "edges": [{"from", "to", "kind"}],
///   "paths": {"<workload>": [["frontend.checkout", "cart.get"], ...]}}`.
/// `id`, `from` and `to` are vertex names (`service.endpoint` for endpoints);
/// `service` is null except for endpoints. The paths are those of
/// `DependencyGraph::call_paths`, capped at `max_call_paths` per workload and
/// `max_call_path_vertices` endpoints in all; when a cap cut a workload's list
/// short, `"notes"` says so in a sentence per workload (absent otherwise).
[[nodiscard]] std::string write_json(const DependencyGraph& graph, const model::Model& model);

}  // namespace tailsim::graph
