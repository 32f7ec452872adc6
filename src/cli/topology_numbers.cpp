#include "topology_numbers.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

namespace tailsim::cli {
namespace {

/// The share of `outcomes` that failed; 0 when there were none.
double failed_share(const stats::OutcomeCounts& outcomes) {
  const std::uint64_t total = outcomes.total();
  return total == 0 ? 0.0 : static_cast<double>(outcomes.failed()) / static_cast<double>(total);
}

/// The p99 of successful calls in milliseconds; nullopt when none succeeded.
std::optional<double> successful_p99_ms(const stats::Histogram& latency) {
  if (latency.count() == 0) {
    return std::nullopt;
  }
  return static_cast<double>(latency.value_at_percentile(99)) / 1e6;
}

}  // namespace

graph::RunNumbers topology_numbers(const graph::DependencyGraph& graph, const model::Model& model,
                                   const stats::Results& results) {
  graph::RunNumbers numbers;
  const double seconds = results.duration_s > 0 ? results.duration_s : 1.0;

  using Key = std::pair<std::string, std::string>;  // caller (as results name it), target
  std::map<Key, const stats::EdgeResult*> by_key;
  for (const auto& edge : results.edges) {
    by_key.emplace(Key{edge.caller, edge.target}, &edge);
  }
  std::map<std::string, const stats::PathResult*> paths;
  for (const auto& path : results.paths) {
    paths.emplace(path.name, &path);
  }

  // The results' caller of each edge, and how many graph edges share it.
  const auto edges = graph.edges();
  std::vector<std::optional<Key>> keys(edges.size());
  std::map<Key, std::size_t> sharing;
  for (std::size_t i = 0; i < edges.size(); ++i) {
    const graph::Vertex& from = graph.vertex(edges[i].from);
    const graph::Vertex& to = graph.vertex(edges[i].to);
    if (is_synchronous(edges[i].kind) && from.kind == graph::VertexKind::endpoint) {
      keys[i] = Key{from.service, to.name};
    } else if (edges[i].kind == graph::EdgeKind::consume) {
      keys[i] = Key{"queue/" + from.name, to.name};
    }
    if (keys[i]) {
      ++sharing[*keys[i]];
    }
  }

  numbers.edges.resize(edges.size());
  for (std::size_t i = 0; i < edges.size(); ++i) {
    const graph::Vertex& from = graph.vertex(edges[i].from);
    if (from.kind == graph::VertexKind::workload) {
      const auto it = paths.find(from.name);
      if (it != paths.end()) {
        const stats::PathResult& path = *it->second;
        numbers.edges[i] = graph::EdgeNumbers{
            static_cast<double>(path.requests) / seconds, successful_p99_ms(path.latency),
            failed_share(path.outcomes), "the workload's requests, end to end"};
      }
      continue;
    }
    if (!keys[i]) {
      continue;
    }
    const auto it = by_key.find(*keys[i]);
    if (it == by_key.end()) {
      continue;
    }
    const stats::EdgeResult& edge = *it->second;
    std::string scope;
    if (sharing[*keys[i]] > 1) {
      scope = "every call from " + edge.caller + " to " + edge.target;
    }
    numbers.edges[i] = graph::EdgeNumbers{static_cast<double>(edge.calls) / seconds,
                                          successful_p99_ms(edge.latency),
                                          failed_share(edge.outcomes), std::move(scope)};
  }

  // By the model's order of services; an external one has no pods to count.
  numbers.services.resize(model.services.size());
  for (const auto& service : results.services) {
    const auto at = std::find_if(model.services.begin(), model.services.end(),
                                 [&](const auto& s) { return s.name.value == service.name; });
    if (service.is_external || at == model.services.end()) {
      continue;
    }
    numbers.services[static_cast<std::size_t>(at - model.services.begin())] =
        graph::ServiceNumbers{service.utilization, service.replicas.min, service.replicas.max};
  }
  return numbers;
}

}  // namespace tailsim::cli
