#include "tailsim/graph/dependency_graph.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <functional>
#include <iterator>
#include <limits>
#include <set>
#include <unordered_map>
#include <utility>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/depth_first_search.hpp>
#include <boost/graph/filtered_graph.hpp>
#include <boost/graph/topological_sort.hpp>
#include <boost/pending/queue.hpp>
#include <boost/property_map/property_map.hpp>
#include <fmt/format.h>

namespace tailsim::graph {
namespace {

using EdgeId = std::uint32_t;

/// What the Boost graph keeps on an edge: its index into the edge list and its
/// kind, so that filters need not look the edge up.
struct EdgeBundle {
  EdgeId id = 0;
  EdgeKind kind = EdgeKind::call;
};

using BoostGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS,
                                         boost::no_property, EdgeBundle>;
using BoostVertex = boost::graph_traits<BoostGraph>::vertex_descriptor;
using BoostEdge = boost::graph_traits<BoostGraph>::edge_descriptor;

/// Keeps the synchronous edges (`call`, `cache_miss`) for the cycle search and
/// the topological order.
struct SynchronousEdges {
  const BoostGraph* graph = nullptr;
  bool operator()(const BoostEdge& e) const { return is_synchronous((*graph)[e].kind); }
};
using SynchronousGraph = boost::filtered_graph<BoostGraph, SynchronousEdges>;

/// Whether a call path follows an edge of this kind: calls and the asynchronous
/// hops through queues, not cache lookups.
bool is_path_edge(EdgeKind kind) {
  return kind != EdgeKind::cache;
}

struct EdgeKey {
  VertexId from;
  VertexId to;
  EdgeKind kind;
  friend bool operator==(const EdgeKey&, const EdgeKey&) = default;
};

struct EdgeKeyHash {
  std::size_t operator()(const EdgeKey& key) const {
    const std::uint64_t pair = (std::uint64_t{key.from} << 32U) | key.to;
    return std::hash<std::uint64_t>{}(pair) ^
           (static_cast<std::size_t>(key.kind) * 0x9e3779b97f4a7c15ULL);
  }
};

/// a x b, held at the largest int64 rather than overflowing (counts of
/// nested `times` multiply, and a model is untrusted).
std::int64_t saturating_product(std::int64_t a, std::int64_t b) {
  std::int64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) {
    return std::numeric_limits<std::int64_t>::max();
  }
  return product;
}

/// A back edge of the depth-first search: `from` calls `to`, which is still on
/// the search's stack.
struct BackEdge {
  VertexId from;
  VertexId to;
  EdgeId edge;
};

/// Records the search tree (each vertex's parent) and the back edges, each of
/// which closes one cycle.
class CycleRecorder : public boost::default_dfs_visitor {
 public:
  CycleRecorder(const BoostGraph& graph, std::vector<VertexId>& parent,
                std::vector<BackEdge>& back_edges)
      : graph_(&graph), parent_(&parent), back_edges_(&back_edges) {}

  template <class Edge, class Graph>
  void tree_edge(const Edge& e, const Graph& g) const {
    (*parent_)[boost::target(e, g)] = static_cast<VertexId>(boost::source(e, g));
  }

  template <class Edge, class Graph>
  void back_edge(const Edge& e, const Graph& g) const {
    back_edges_->push_back({static_cast<VertexId>(boost::source(e, g)),
                            static_cast<VertexId>(boost::target(e, g)), (*graph_)[e].id});
  }

 private:
  const BoostGraph* graph_;
  std::vector<VertexId>* parent_;
  std::vector<BackEdge>* back_edges_;
};

}  // namespace

std::string_view to_string(VertexKind kind) {
  switch (kind) {
    case VertexKind::workload:
      return "workload";
    case VertexKind::endpoint:
      return "endpoint";
    case VertexKind::cache:
      return "cache";
    case VertexKind::queue:
      return "queue";
  }
  return "?";
}

std::string_view to_string(EdgeKind kind) {
  switch (kind) {
    case EdgeKind::call:
      return "call";
    case EdgeKind::cache:
      return "cache";
    case EdgeKind::cache_miss:
      return "cache_miss";
    case EdgeKind::publish:
      return "publish";
    case EdgeKind::consume:
      return "consume";
  }
  return "?";
}

struct DependencyGraph::Impl {
  std::vector<Vertex> vertices_;
  std::vector<Edge> edges_;
  BoostGraph graph_;
  std::vector<Cycle> cycles_;
  /// The cycles past `max_listed_cycles`, and where the first of them closes.
  std::size_t unlisted_cycles_ = 0;
  model::SourceLoc unlisted_loc_;

  std::size_t workload_count_ = 0;
  /// The first endpoint vertex of each service, and one past the last service.
  std::vector<VertexId> endpoint_begin_;
  VertexId cache_begin_ = 0;
  VertexId queue_begin_ = 0;
  /// One name index per vertex kind, built once.
  std::array<std::unordered_map<std::string, VertexId>, 4> by_name_;
  std::unordered_map<EdgeKey, EdgeId, EdgeKeyHash> edge_index_;

  VertexId add_vertex(Vertex vertex) {
    const auto id = static_cast<VertexId>(vertices_.size());
    by_name_[static_cast<std::size_t>(vertex.kind)].emplace(vertex.name, id);
    vertices_.push_back(std::move(vertex));
    boost::add_vertex(graph_);
    return id;
  }

  /// Adds the edge unless the same (from, to, kind) is there already; then the
  /// first position stays and the edge is optional only if both are. A call
  /// joins the edge's list of calls.
  void add_edge(VertexId from, VertexId to, EdgeKind kind, model::SourceLoc loc, bool is_optional,
                std::optional<CallSite> call = std::nullopt) {
    const auto [it, is_new] =
        edge_index_.try_emplace(EdgeKey{from, to, kind}, static_cast<EdgeId>(edges_.size()));
    if (is_new) {
      edges_.push_back(Edge{from, to, kind, loc, is_optional, /*is_parallel=*/false, {}});
      boost::add_edge(from, to, EdgeBundle{it->second, kind}, graph_);
    }
    Edge& edge = edges_[it->second];
    edge.is_optional = edge.is_optional && is_optional;
    if (call) {
      edge.is_parallel = edge.is_parallel || call->is_parallel;
      edge.calls.push_back(std::move(*call));
    }
  }

  [[nodiscard]] std::optional<VertexId> find(VertexKind kind, std::string_view name) const {
    const auto& index = by_name_[static_cast<std::size_t>(kind)];
    const auto it = index.find(std::string(name));
    if (it == index.end()) {
      return std::nullopt;
    }
    return it->second;
  }

  /// The endpoint a reference names: by the loader's ids, else by name.
  [[nodiscard]] std::optional<VertexId> resolve(const model::EndpointRef& ref) const {
    if (ref.service_id + std::size_t{1} < endpoint_begin_.size()) {
      const VertexId begin = endpoint_begin_[ref.service_id];
      if (ref.endpoint_id < endpoint_begin_[ref.service_id + 1] - begin) {
        return begin + ref.endpoint_id;
      }
    }
    if (ref.service.value.empty() || ref.endpoint.value.empty()) {
      return std::nullopt;
    }
    return find(VertexKind::endpoint, ref.full_name());
  }

  /// The cache or queue a step names: by the loader's id, else by name.
  [[nodiscard]] std::optional<VertexId> resolve_target(const model::Step& step, VertexKind kind,
                                                       VertexId begin, VertexId end) const {
    if (step.target_id != model::no_index && step.target_id < end - begin) {
      return begin + step.target_id;
    }
    return find(kind, step.target.value);
  }

  /// Where steps sit: inside a cache's `miss` steps, a `parallel` step, and
  /// the chance and count the steps and arms around them multiply in.
  struct StepContext {
    bool is_miss = false;
    bool is_parallel = false;
    double p = 1.0;
    model::IntRange times;

    /// The context of the steps inside `step`.
    [[nodiscard]] StepContext inside(const model::Step& step) const {
      StepContext in = *this;
      in.p *= step.p ? step.p->value : 1.0;
      in.times = {saturating_product(times.low, step.times.value.low),
                  saturating_product(times.high, step.times.value.high)};
      return in;
    }
  };

  void add_step_edges(VertexId from, const std::vector<model::Step>& steps,
                      const StepContext& context) {
    for (const auto& step : steps) {
      switch (step.kind) {
        case model::StepKind::call: {
          if (const auto to = resolve(step.call)) {
            const auto loc = step.loc.is_known() ? step.loc : step.call.loc;
            const StepContext at = context.inside(step);
            add_edge(from, *to, context.is_miss ? EdgeKind::cache_miss : EdgeKind::call, loc,
                     step.policy.optional.value,
                     CallSite{loc, step.policy, context.is_parallel, at.p, at.times});
          }
          break;
        }
        case model::StepKind::parallel: {
          StepContext in = context.inside(step);
          in.is_parallel = true;
          add_step_edges(from, step.children, in);
          break;
        }
        case model::StepKind::branch: {
          const StepContext in = context.inside(step);
          for (const auto& arm : step.arms) {
            StepContext in_arm = in;
            in_arm.p *= arm.p.value;
            add_step_edges(from, arm.steps, in_arm);
          }
          break;
        }
        case model::StepKind::cache: {
          if (const auto to = resolve_target(step, VertexKind::cache, cache_begin_, queue_begin_)) {
            add_edge(from, *to, EdgeKind::cache, step.loc, /*is_optional=*/false);
          }
          // The miss steps run one after the other, whatever ran the lookup.
          StepContext in = context.inside(step);
          in.is_miss = true;
          in.is_parallel = false;
          add_step_edges(from, step.children, in);
          break;
        }
        case model::StepKind::publish:
          if (const auto to = resolve_target(step, VertexKind::queue, queue_begin_,
                                             static_cast<VertexId>(vertices_.size()))) {
            add_edge(from, *to, EdgeKind::publish, step.loc, /*is_optional=*/false);
          }
          break;
        case model::StepKind::cpu:
        case model::StepKind::delay:
        case model::StepKind::fail:
        case model::StepKind::batch:
          break;
      }
    }
  }

  [[nodiscard]] std::string cycle_text(const std::vector<VertexId>& cycle) const {
    std::string text = "synchronous call cycle: ";
    for (std::size_t i = 0; i < cycle.size(); ++i) {
      if (i > 0) {
        text += " -> ";
      }
      text += vertices_[cycle[i]].name;
    }
    return text;
  }

  /// Depth-first search over the synchronous edges; each back edge closes a
  /// cycle, read off the search tree from the back edge's target down to its
  /// source.
  void find_cycles() {
    const SynchronousGraph sync(graph_, SynchronousEdges{&graph_});
    std::vector<VertexId> parent(vertices_.size(), 0);
    std::vector<BackEdge> back_edges;
    boost::depth_first_search(sync, boost::visitor(CycleRecorder(graph_, parent, back_edges)));

    // A back edge's cycle is the tree path between its ends, so (from, to)
    // names it: a call and a cache miss along the same pair close one cycle.
    std::set<std::pair<VertexId, VertexId>> seen;
    for (const auto& back : back_edges) {
      if (!seen.insert({back.from, back.to}).second) {
        continue;
      }
      if (cycles_.size() == max_listed_cycles) {
        ++unlisted_cycles_;
        unlisted_loc_ = unlisted_cycles_ == 1 ? edges_[back.edge].loc : unlisted_loc_;
        continue;  // reading it off would cost its length: n cycles of n make n^2
      }
      std::vector<VertexId> cycle{back.from};
      for (VertexId v = back.from; v != back.to;) {
        v = parent[v];
        cycle.push_back(v);
      }
      std::reverse(cycle.begin(), cycle.end());
      cycle.push_back(back.to);
      cycles_.push_back(Cycle{std::move(cycle), edges_[back.edge].loc});
    }
  }

  /// Marks every vertex reachable from the sources over any edge.
  [[nodiscard]] std::vector<bool> reach(const std::vector<BoostVertex>& sources) const {
    std::vector<boost::default_color_type> colors(vertices_.size(), boost::white_color);
    auto color_map =
        boost::make_iterator_property_map(colors.begin(), boost::get(boost::vertex_index, graph_));
    boost::queue<BoostVertex> buffer;
    boost::breadth_first_visit(graph_, sources.begin(), sources.end(), buffer,
                               boost::default_bfs_visitor{}, color_map);
    std::vector<bool> reached(vertices_.size());
    for (std::size_t v = 0; v < colors.size(); ++v) {
      reached[v] = colors[v] != boost::white_color;
    }
    return reached;
  }

  [[nodiscard]] bool has_in_edge(VertexId v, EdgeKind kind) const {
    const auto [begin, end] = boost::in_edges(v, graph_);
    return std::any_of(begin, end, [&](const BoostEdge& e) { return graph_[e].kind == kind; });
  }

  void report_unused(const model::Model& model, model::Diagnostics& diagnostics) const {
    if (diagnostics.has_errors()) {
      return;  // a broken reference leaves things unreached: the error says enough
    }
    std::vector<BoostVertex> sources(workload_count_);
    for (std::size_t w = 0; w < workload_count_; ++w) {
      sources[w] = w;
    }
    const auto reached = reach(sources);
    for (VertexId v = endpoint_begin_.front(); v < cache_begin_; ++v) {
      if (!reached[v]) {
        diagnostics.warning(vertices_[v].loc,
                            "endpoint '" + vertices_[v].name + "' is not reached by any workload");
      }
    }
    for (std::size_t q = 0; q < model.queues.size(); ++q) {
      if (!has_in_edge(queue_begin_ + static_cast<VertexId>(q), EdgeKind::publish)) {
        diagnostics.warning(model.queues[q].name.loc, "queue '" + model.queues[q].name.value +
                                                          "' is not published to by any step");
      }
    }
    for (std::size_t c = 0; c < model.caches.size(); ++c) {
      if (!has_in_edge(cache_begin_ + static_cast<VertexId>(c), EdgeKind::cache)) {
        diagnostics.warning(model.caches[c].name.loc,
                            "cache '" + model.caches[c].name.value + "' is not used by any step");
      }
    }
  }
};

DependencyGraph::DependencyGraph() : impl_(std::make_unique<Impl>()) {
  impl_->endpoint_begin_.push_back(0);
}
DependencyGraph::DependencyGraph(DependencyGraph&&) noexcept = default;
DependencyGraph& DependencyGraph::operator=(DependencyGraph&&) noexcept = default;
DependencyGraph::~DependencyGraph() = default;

std::span<const Vertex> DependencyGraph::vertices() const {
  return impl_->vertices_;
}
std::span<const Edge> DependencyGraph::edges() const {
  return impl_->edges_;
}

const Vertex& DependencyGraph::vertex(VertexId id) const {
  assert(id < impl_->vertices_.size() && "vertex id out of range");
  return impl_->vertices_[id];
}

VertexId DependencyGraph::workload_vertex(model::Index workload) const {
  assert(workload < impl_->workload_count_ && "workload index out of range");
  return workload;
}

VertexId DependencyGraph::endpoint_vertex(model::Index service, model::Index endpoint) const {
  assert(service + std::size_t{1} < impl_->endpoint_begin_.size() && "service index out of range");
  const VertexId id = impl_->endpoint_begin_[service] + endpoint;
  assert(id < impl_->endpoint_begin_[service + 1] && "endpoint index out of range");
  return id;
}

VertexId DependencyGraph::cache_vertex(model::Index cache) const {
  assert(impl_->cache_begin_ + cache < impl_->queue_begin_ && "cache index out of range");
  return impl_->cache_begin_ + cache;
}

VertexId DependencyGraph::queue_vertex(model::Index queue) const {
  assert(impl_->queue_begin_ + queue < impl_->vertices_.size() && "queue index out of range");
  return impl_->queue_begin_ + queue;
}

std::size_t DependencyGraph::workload_count() const {
  return impl_->workload_count_;
}

std::optional<VertexId> DependencyGraph::find_vertex(VertexKind kind, std::string_view name) const {
  return impl_->find(kind, name);
}

std::span<const Cycle> DependencyGraph::cycles() const {
  return impl_->cycles_;
}

std::optional<std::vector<VertexId>> DependencyGraph::topological_order() const {
  if (!impl_->cycles_.empty()) {
    return std::nullopt;
  }
  const SynchronousGraph sync(impl_->graph_, SynchronousEdges{&impl_->graph_});
  std::vector<BoostVertex> reverse_order;
  reverse_order.reserve(impl_->vertices_.size());
  boost::topological_sort(sync, std::back_inserter(reverse_order));
  std::vector<VertexId> order;
  for (auto it = reverse_order.rbegin(); it != reverse_order.rend(); ++it) {
    if (impl_->vertices_[*it].kind == VertexKind::endpoint) {
      order.push_back(static_cast<VertexId>(*it));
    }
  }
  return order;
}

std::vector<VertexId> DependencyGraph::reachable_from(model::Index workload) const {
  const auto reached = impl_->reach({workload_vertex(workload)});
  std::vector<VertexId> out;
  for (std::size_t v = 0; v < reached.size(); ++v) {
    if (reached[v]) {
      out.push_back(static_cast<VertexId>(v));
    }
  }
  return out;
}

std::vector<CallPath> DependencyGraph::call_paths(model::Index workload, std::size_t limit) const {
  return enumerate_call_paths(workload, limit).paths;
}

CallPathList DependencyGraph::enumerate_call_paths(model::Index workload, std::size_t limit,
                                                   std::size_t max_vertices) const {
  const auto& g = impl_->graph_;
  const auto& vertices = impl_->vertices_;

  // The distinct targets of a vertex's path edges, in step order; `listed`
  // marks those already taken (and is cleared after), so a vertex with many
  // callees costs its degree, not its degree squared.
  std::vector<bool> listed(vertices.size());
  const auto successors = [&](VertexId v) {
    std::vector<VertexId> out;
    for (const auto& e : boost::make_iterator_range(boost::out_edges(v, g))) {
      const auto to = static_cast<VertexId>(boost::target(e, g));
      if (is_path_edge(g[e].kind) && !listed[to]) {
        listed[to] = true;
        out.push_back(to);
      }
    }
    for (const VertexId to : out) {
      listed[to] = false;
    }
    return out;
  };

  struct Frame {
    VertexId vertex;
    std::vector<VertexId> next;
    std::size_t at = 0;
    bool has_descended = false;
  };

  CallPathList list;
  auto& paths = list.paths;
  std::size_t vertices_listed = 0;
  std::vector<bool> on_path(vertices.size());
  std::vector<Frame> stack;
  std::size_t queues_on_path = 0;

  const auto push = [&](VertexId v) {
    on_path[v] = true;
    queues_on_path += vertices[v].kind == VertexKind::queue ? 1 : 0;
    stack.push_back(Frame{v, successors(v)});
  };
  const auto pop = [&] {
    const VertexId v = stack.back().vertex;
    on_path[v] = false;
    queues_on_path -= vertices[v].kind == VertexKind::queue ? 1 : 0;
    stack.pop_back();
  };

  // The workload vertex itself is not part of the chains: each starts at an entry.
  for (const VertexId entry : successors(workload_vertex(workload))) {
    push(entry);
    while (!stack.empty() && list.is_complete) {
      Frame& top = stack.back();
      if (top.at < top.next.size()) {
        const VertexId to = top.next[top.at++];
        if (!on_path[to]) {
          top.has_descended = true;
          push(to);
        }
        continue;
      }
      if (!top.has_descended) {
        if (paths.size() >= limit || stack.size() > max_vertices - vertices_listed) {
          list.is_complete = false;
          break;
        }
        vertices_listed += stack.size();
        CallPath path;
        path.has_async_hop = queues_on_path > 0;
        for (const auto& frame : stack) {
          path.vertices.push_back(frame.vertex);
          path.names.push_back(vertices[frame.vertex].name);
        }
        paths.push_back(std::move(path));
      }
      pop();
    }
    while (!stack.empty()) {
      pop();
    }
  }
  return list;
}

DependencyGraph build_graph(const model::Model& model, model::Diagnostics& diagnostics) {
  DependencyGraph result;
  auto& impl = *result.impl_;

  std::size_t endpoint_count = 0;
  for (const auto& service : model.services) {
    endpoint_count += service.endpoints.size();
  }
  const std::size_t vertex_count =
      model.workloads.size() + endpoint_count + model.caches.size() + model.queues.size();
  impl.vertices_.reserve(vertex_count);
  impl.graph_ = BoostGraph(0);

  impl.workload_count_ = model.workloads.size();
  for (std::size_t w = 0; w < model.workloads.size(); ++w) {
    const auto& workload = model.workloads[w];
    impl.add_vertex(Vertex{workload.name.value,
                           VertexKind::workload,
                           {},
                           model::no_index,
                           static_cast<model::Index>(w),
                           workload.name.loc});
  }
  impl.endpoint_begin_.clear();
  for (std::size_t s = 0; s < model.services.size(); ++s) {
    const auto& service = model.services[s];
    impl.endpoint_begin_.push_back(static_cast<VertexId>(impl.vertices_.size()));
    for (std::size_t e = 0; e < service.endpoints.size(); ++e) {
      const auto& endpoint = service.endpoints[e];
      impl.add_vertex(Vertex{service.name.value + "." + endpoint.name.value, VertexKind::endpoint,
                             service.name.value, static_cast<model::Index>(s),
                             static_cast<model::Index>(e), endpoint.name.loc});
    }
  }
  impl.endpoint_begin_.push_back(static_cast<VertexId>(impl.vertices_.size()));
  impl.cache_begin_ = static_cast<VertexId>(impl.vertices_.size());
  for (std::size_t c = 0; c < model.caches.size(); ++c) {
    const auto& cache = model.caches[c];
    impl.add_vertex(Vertex{cache.name.value,
                           VertexKind::cache,
                           {},
                           model::no_index,
                           static_cast<model::Index>(c),
                           cache.name.loc});
  }
  impl.queue_begin_ = static_cast<VertexId>(impl.vertices_.size());
  for (std::size_t q = 0; q < model.queues.size(); ++q) {
    const auto& queue = model.queues[q];
    impl.add_vertex(Vertex{queue.name.value,
                           VertexKind::queue,
                           {},
                           model::no_index,
                           static_cast<model::Index>(q),
                           queue.name.loc});
  }

  for (std::size_t w = 0; w < model.workloads.size(); ++w) {
    const auto& entry = model.workloads[w].entry;
    if (const auto to = impl.resolve(entry)) {
      const auto loc = entry.loc.is_known() ? entry.loc : entry.endpoint.loc;
      impl.add_edge(static_cast<VertexId>(w), *to, EdgeKind::call, loc, /*is_optional=*/false,
                    CallSite{loc, model.workloads[w].policy, /*is_parallel=*/false, 1.0, {}});
    }
  }
  for (std::size_t s = 0; s < model.services.size(); ++s) {
    const auto& service = model.services[s];
    for (std::size_t e = 0; e < service.endpoints.size(); ++e) {
      impl.add_step_edges(impl.endpoint_begin_[s] + static_cast<VertexId>(e),
                          service.endpoints[e].steps, DependencyGraph::Impl::StepContext{});
    }
  }
  for (std::size_t q = 0; q < model.queues.size(); ++q) {
    const auto& consumer = model.queues[q].consumer;
    if (const auto to = impl.resolve(consumer)) {
      const auto loc = consumer.loc.is_known() ? consumer.loc : model.queues[q].name.loc;
      impl.add_edge(impl.queue_begin_ + static_cast<VertexId>(q), *to, EdgeKind::consume, loc,
                    /*is_optional=*/false);
    }
  }
  impl.edge_index_ = {};

  impl.find_cycles();
  for (const auto& cycle : impl.cycles_) {
    diagnostics.error(cycle.loc, impl.cycle_text(cycle.vertices));
  }
  if (impl.unlisted_cycles_ > 0) {
    diagnostics.error(impl.unlisted_loc_,
                      fmt::format("{} more synchronous call cycles, not listed (the first {} are); "
                                  "this is where the first of them closes",
                                  impl.unlisted_cycles_, max_listed_cycles));
  }
  impl.report_unused(model, diagnostics);
  return result;
}

}  // namespace tailsim::graph
