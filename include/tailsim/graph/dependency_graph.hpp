#pragma once
/// The dependency graph of a model: who calls, looks up, publishes to and
/// consumes from whom.
///
/// Vertices are the workloads (each the source of its entry call), the
/// endpoints (`service.endpoint`), the caches and the queues, in that order and
/// each group in model order, so everything derived from the graph is
/// deterministic. Edges are the calls, cache lookups, calls made on a cache
/// miss, publishes and consumes. `build_graph` also reports the problems only
/// the whole graph shows: synchronous call cycles (errors) and endpoints,
/// queues and caches nothing uses (warnings).
///
/// The algorithms run on a Boost.Graph `adjacency_list` kept behind a pointer to
/// implementation, so this header stays free of Boost.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tailsim/model/diagnostics.hpp"
#include "tailsim/model/model.hpp"

namespace tailsim::graph {

/// A vertex of the graph: an index into `DependencyGraph::vertices()`.
using VertexId = std::uint32_t;

enum class VertexKind { workload, endpoint, cache, queue };

/// What an edge stands for. `call` and `cache_miss` are synchronous (the caller
/// waits); `publish` and `consume` are asynchronous hops through a queue.
enum class EdgeKind {
  call,        ///< a `call` step (endpoint to endpoint), or a workload to its entry
  cache,       ///< a `cache` step's lookup (endpoint to cache)
  cache_miss,  ///< a call inside a cache step's `miss` steps (endpoint to endpoint)
  publish,     ///< a `publish` step (endpoint to queue)
  consume,     ///< a queue to its consumer endpoint
};

/// The names the model format and the JSON output use: `workload`, `cache_miss`, ...
[[nodiscard]] std::string_view to_string(VertexKind kind);
[[nodiscard]] std::string_view to_string(EdgeKind kind);

/// Whether the caller waits for the edge's target (calls, also on a cache miss).
[[nodiscard]] constexpr bool is_synchronous(EdgeKind kind) {
  return kind == EdgeKind::call || kind == EdgeKind::cache_miss;
}

/// One workload, endpoint, cache or queue.
struct Vertex {
  /// `frontend.checkout` for an endpoint; the model's name for the others.
  std::string name;
  VertexKind kind = VertexKind::endpoint;
  /// The owning service's name for an endpoint; empty for the other kinds.
  std::string service;
  /// The index of the service in `Model::services` (endpoints only).
  model::Index service_id = model::no_index;
  /// The index in the model's list of its kind: the workload, cache or queue
  /// index, or the endpoint's index within its service.
  model::Index model_id = model::no_index;
  /// Where the name was written.
  model::SourceLoc loc;
};

/// One call an edge stands for: a `call` step (also one inside a cache's
/// `miss` steps), or a workload's client calling its entry. It says what the
/// caller does around the call and how often it makes it, for the writers.
struct CallSite {
  /// The step (the workload's entry for a client).
  model::SourceLoc loc;
  /// Its timeout, retries, breaker, hedge, bulkhead, ... (the workload's for a client).
  model::CallPolicy policy;
  /// Made inside a `parallel` step: at once with that step's other calls.
  bool is_parallel = false;
  /// The chance one run of the endpoint makes it: the product of the `p` of
  /// the step, of every step around it and of the branch arms it is in.
  double p = 1.0;
  /// How many times it is made: the step's `times`, multiplied by those of
  /// the steps around it.
  model::IntRange times;
};

/// One dependency. Identical (from, to, kind) triples are merged into one
/// edge, which keeps the position of the first.
struct Edge {
  VertexId from = 0;
  VertexId to = 0;
  EdgeKind kind = EdgeKind::call;
  /// The step that made the edge (the workload's entry, the queue's consumer).
  model::SourceLoc loc;
  /// Every call this edge stands for is `optional: true`.
  bool is_optional = false;
  /// Some call this edge stands for is made inside a `parallel` step.
  bool is_parallel = false;
  /// The calls it stands for, in model order (`call` and `cache_miss` edges
  /// only; empty for the others).
  std::vector<CallSite> calls;
};

/// A synchronous call cycle, found as a back edge of a depth-first search.
struct Cycle {
  /// The endpoints around the cycle, the first one repeated at the end:
  /// `[a.x, b.y, a.x]`; `[a.x, a.x]` for a self-call.
  std::vector<VertexId> vertices;
  /// The call step that closes the cycle (the back edge).
  model::SourceLoc loc;
};

/// The most synchronous call cycles `build_graph` reads off and reports one
/// by one; past it one error counts the rest. Each cycle costs its length, so
/// a model of n services each closing a cycle of up to n would cost n^2.
inline constexpr std::size_t max_listed_cycles = 100;

/// One chain of calls from a workload's entry down to an endpoint that calls
/// nothing further (or whose every callee is already on the chain).
struct CallPath {
  /// The vertex names from the entry endpoint on, e.g.
  /// `["frontend.checkout", "cart.get", "cart-db.query"]`. Asynchronous hops
  /// appear as the queue's name between the publisher and the consumer.
  std::vector<std::string> names;
  /// The same chain as vertex ids.
  std::vector<VertexId> vertices;
  /// The chain passes through a queue (it is not one synchronous request).
  bool has_async_hop = false;
};

/// The most call paths `call_paths` enumerates per workload by default, so that
/// a wide graph (k choices at each of n levels makes k^n paths) stays cheap.
inline constexpr std::size_t max_call_paths = 10'000;
/// The most vertices all the call paths of one workload hold together, so
/// that long chains with many branches (10,000 paths of 100,000 calls each)
/// neither take minutes nor gigabytes.
inline constexpr std::size_t max_call_path_vertices = 1'000'000;

/// A workload's call paths, and whether they are all of them.
struct CallPathList {
  std::vector<CallPath> paths;
  /// False when a cap stopped the enumeration: more paths exist than listed.
  bool is_complete = true;
};

/// The graph of a model. Build it with `build_graph`; it does not refer back to
/// the model it came from.
class DependencyGraph {
 public:
  DependencyGraph();
  DependencyGraph(DependencyGraph&&) noexcept;
  DependencyGraph& operator=(DependencyGraph&&) noexcept;
  ~DependencyGraph();

  /// Workloads, endpoints, caches, then queues, each group in model order.
  [[nodiscard]] std::span<const Vertex> vertices() const;
  /// In the order the model states them: workload entries, then each
  /// endpoint's steps, then queue consumers.
  [[nodiscard]] std::span<const Edge> edges() const;
  [[nodiscard]] const Vertex& vertex(VertexId id) const;

  /// The vertex of the workload, endpoint, cache or queue with that model index.
  [[nodiscard]] VertexId workload_vertex(model::Index workload) const;
  [[nodiscard]] VertexId endpoint_vertex(model::Index service, model::Index endpoint) const;
  [[nodiscard]] VertexId cache_vertex(model::Index cache) const;
  [[nodiscard]] VertexId queue_vertex(model::Index queue) const;
  [[nodiscard]] std::size_t workload_count() const;

  /// The vertex of that kind and name (`svc.ep` for endpoints), in O(1).
  [[nodiscard]] std::optional<VertexId> find_vertex(VertexKind kind, std::string_view name) const;

  /// The synchronous call cycles, each once, in the order the search met them;
  /// at most `max_listed_cycles` (`has_cycles` is true whenever there is one).
  [[nodiscard]] std::span<const Cycle> cycles() const;
  [[nodiscard]] bool has_cycles() const { return !cycles().empty(); }

  /// The endpoints ordered so that every caller comes before its synchronous
  /// callees (entries first, leaves last); `std::nullopt` when calls form a cycle.
  [[nodiscard]] std::optional<std::vector<VertexId>> topological_order() const;

  /// Every vertex the workload's requests can reach through calls, cache
  /// lookups, cache misses, publishes and consumes, the workload included, in
  /// vertex order.
  [[nodiscard]] std::vector<VertexId> reachable_from(model::Index workload) const;

  /// The distinct call chains from the workload's entry, depth first in step
  /// order, following synchronous calls and the asynchronous hops
  /// publish -> queue -> consumer. A chain stops where it would enter a vertex
  /// already on it. At most `limit` chains are returned: exactly `limit` means
  /// the enumeration may have stopped early.
  [[nodiscard]] std::vector<CallPath> call_paths(model::Index workload,
                                                 std::size_t limit = max_call_paths) const;
  /// The same chains, stopping at `limit` paths or before the one that would
  /// take their vertices past `max_vertices`, and saying whether it stopped
  /// early. Its time and memory are bounded by the caps, whatever the graph.
  [[nodiscard]] CallPathList enumerate_call_paths(
      model::Index workload, std::size_t limit = max_call_paths,
      std::size_t max_vertices = max_call_path_vertices) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;

  friend DependencyGraph build_graph(const model::Model& model, model::Diagnostics& diagnostics);
};

/// Builds the graph of a model whose references the loader has resolved
/// (references it could not resolve are left out), and reports:
/// - an error `synchronous call cycle: a.x -> b.y -> a.x` for each cycle of
///   synchronous edges (`call`, `cache_miss`), at the step that closes it,
///   for the first `max_listed_cycles`, and one error counting the others;
///   loops through queues are allowed;
/// - a warning for each endpoint no workload reaches, each queue nothing
///   publishes to and each cache no step looks up.
[[nodiscard]] DependencyGraph build_graph(const model::Model& model,
                                          model::Diagnostics& diagnostics);

}  // namespace tailsim::graph
