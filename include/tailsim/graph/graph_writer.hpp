#pragma once
/// Text forms of the dependency graph, for `tailsim graph MODEL --format dot|json`.

#include <optional>
#include <string>
#include <vector>

#include "tailsim/graph/dependency_graph.hpp"
#include "tailsim/model/model.hpp"

namespace tailsim::graph {

/// What a run measured on one edge, to draw on it. Plain numbers, so that
/// graph/ draws a run without knowing stats/: cli/ fills them in.
struct EdgeNumbers {
  double calls_per_s = 0;        ///< calls (requests, for a workload) per measured second
  std::optional<double> p99_ms;  ///< of the successful calls; absent when none succeeded
  double error_share = 0;        ///< failed calls over all calls, 0 to 1
  /// What the numbers cover when it is more than this edge, said in the
  /// tooltip (`every call from service frontend to cart.get`); empty otherwise.
  std::string scope;
};

/// What a run measured on one service.
struct ServiceNumbers {
  std::optional<double> utilization;  ///< busy over available CPU, 0 to 1; absent: external
  double replicas_min = 0;            ///< pods ready, least and most over the window
  double replicas_max = 0;
};

/// A run's numbers for `write_dot`: `run --out`'s topology.dot.
struct RunNumbers {
  /// By index into `DependencyGraph::edges()`; shorter, or nullopt: none for that edge.
  std::vector<std::optional<EdgeNumbers>> edges;
  /// By index into `Model::services`; shorter, or nullopt: none for that service.
  std::vector<std::optional<ServiceNumbers>> services;
};

/// The graph as Graphviz DOT, ready for `dot -Tsvg`: left to right, workloads
/// as ovals on the left, one cluster per service (dashed for external ones)
/// holding its endpoints as rounded boxes, caches as cylinders, queues as `cds`
/// shapes. Calls are solid edges, calls on a cache miss dotted and labelled
/// `miss`, cache lookups dotted without an arrowhead, publishes dashed and
/// consumes dashed with a hollow arrowhead; optional calls are grey. Node ids
/// are `kind:name` (`endpoint:cart.get`), so names of different kinds never
/// clash. The output follows model order, so equal models give equal text.
/// `graph` must have been built from `model`.
///
/// Each service's label says its replicas (and the pod's `cpu` and `workers`
/// when the model sets them) and its autoscalers (`HPA cpu 70% 2..10`). Each
/// call's label says, briefly, its policy (`timeout 2s`, `retry 3`,
/// `breaker`, `hedge 50ms`, `bulkhead 10`, `throttle`, `deadline`,
/// `optional`), `p` and `times` where not 1, `∥` for a call made in a
/// `parallel` step (such edges also get `class="parallel"`), and the network
/// latency between the two services (`net 15ms`) when the model has one. The
/// details of each go in the edge's and the cluster's `tooltip`.
[[nodiscard]] std::string write_dot(const DependencyGraph& graph, const model::Model& model);

/// The same drawing with a run's numbers added: each edge's calls per second,
/// p99 and error share, each service's utilization and replicas (least..most).
[[nodiscard]] std::string write_dot(const DependencyGraph& graph, const model::Model& model,
                                    const RunNumbers& numbers);

/// The graph as JSON, in model order:
/// `{"vertices": [{"id", "kind", "service"}], "edges": [{"from", "to", "kind"}],
///   "paths": {"<workload>": [["frontend.checkout", "cart.get"], ...]},
///   "services": [{"name", "external", "replicas", "cpu", "workers", "autoscalers"}]}`.
/// Every edge also has `optional` and `parallel`; a call edge (`call`,
/// `cache_miss`) has `calls`, one object per call it stands for (`line`,
/// `parallel`, `p`, `times` {`min`, `max`}, `policy` with the keys the model
/// sets), and one between two endpoints has `network` (`latency`, the
/// distribution as written or null; `loss`; `link`, whether a
/// `network.links` entry sets it). docs/model-format.md, "tailsim graph".
/// `id`, `from` and `to` are vertex names (`service.endpoint` for endpoints);
/// `service` is null except for endpoints. The paths are those of
/// `DependencyGraph::call_paths`, capped at `max_call_paths` per workload and
/// `max_call_path_vertices` endpoints in all; when a cap cut a workload's list
/// short, `"notes"` says so in a sentence per workload (absent otherwise).
[[nodiscard]] std::string write_json(const DependencyGraph& graph, const model::Model& model);

}  // namespace tailsim::graph
