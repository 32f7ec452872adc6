#include "tailsim/graph/graph_writer.hpp"

#include <algorithm>
#include <cassert>
#include <optional>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "labels.hpp"

namespace tailsim::graph {
namespace {

/// A DOT double-quoted string. Backslashes are doubled as well as quotes
/// escaped, so that a name is never read as a label escape such as `\n`.
std::string quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        break;
      default:
        out += c;
        break;
    }
  }
  out += '"';
  return out;
}

/// The DOT node id of a vertex: `kind:name`, unique across kinds.
std::string node_id(const Vertex& vertex) {
  std::string id(to_string(vertex.kind));
  id += ':';
  id += vertex.name;
  return quote(id);
}

std::string_view edge_style(EdgeKind kind) {
  switch (kind) {
    case EdgeKind::call:
      return "style=solid";
    case EdgeKind::cache:
      return "style=dotted, arrowhead=none";
    case EdgeKind::cache_miss:
      return "style=dotted";
    case EdgeKind::publish:
      return "style=dashed";
    case EdgeKind::consume:
      return "style=dashed, arrowhead=empty";
  }
  return "style=solid";
}

/// Lines joined with line feeds (DOT's `\n` once quoted), empty ones left out.
std::string dot_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    if (!line.empty()) {
      out += (out.empty() ? "" : "\n") + line;
    }
  }
  return out;
}

/// The most distinct call descriptions an edge's label lists.
constexpr std::size_t max_label_calls = 2;
/// The most calls an edge's tooltip describes one by one: a model may make
/// thousands of calls along one edge, and Graphviz lays out every character.
constexpr std::size_t max_tooltip_calls = 20;

/// What is drawn on an edge: its label (short) and tooltip (in full).
struct EdgeText {
  std::string label;
  std::string tooltip;
};

EdgeText edge_text(const DependencyGraph& graph, const model::Model& model, const Edge& edge,
                   const EdgeNumbers* numbers) {
  const Vertex& from = graph.vertex(edge.from);
  const Vertex& to = graph.vertex(edge.to);
  std::vector<std::string> label;
  std::vector<std::string> tooltip{
      fmt::format("{} → {} ({})", from.name, to.name, to_string(edge.kind))};
  std::string first = edge.kind == EdgeKind::cache_miss ? "miss" : "";
  if (edge.is_parallel) {
    first += first.empty() ? "∥" : " ∥";
  }
  std::vector<std::string> distinct;
  for (std::size_t c = 0; c < edge.calls.size(); ++c) {
    const CallSite& call = edge.calls[c];
    const std::string words = labels::call_words(call);
    if (!words.empty() && distinct.size() <= max_label_calls &&
        std::find(distinct.begin(), distinct.end(), words) == distinct.end()) {
      distinct.push_back(words);
    }
    if (c >= max_tooltip_calls) {
      continue;
    }
    std::vector<std::string> parts = labels::policy_sentences(call.policy);
    if (call.is_parallel) {
      parts.emplace_back("in a parallel step");
    }
    if (call.p != 1.0) {
      parts.push_back("made with probability " + labels::short_number(call.p));
    }
    if (call.times.low != 1 || call.times.high != 1) {
      parts.push_back(call.times.low == call.times.high
                          ? fmt::format("{} times", call.times.low)
                          : fmt::format("{} to {} times", call.times.low, call.times.high));
    }
    std::string line = call.loc.is_known() ? fmt::format("line {}: ", call.loc.line) : "";
    line += parts.empty() ? "no timeout, no retries" : parts.front();
    for (std::size_t i = 1; i < parts.size(); ++i) {
      line += "; " + parts[i];
    }
    tooltip.push_back(std::move(line));
  }
  if (edge.calls.size() > max_tooltip_calls) {
    tooltip.push_back(fmt::format("and {} more calls", edge.calls.size() - max_tooltip_calls));
  }
  std::string words;
  for (std::size_t i = 0; i < distinct.size() && i < max_label_calls; ++i) {
    words += (i == 0 ? "" : " | ") + distinct[i];
  }
  if (distinct.size() > max_label_calls) {
    words += " | …";
  }
  label.push_back(first.empty() || words.empty() ? first + words : first + " " + words);
  if (is_synchronous(edge.kind) && from.kind == VertexKind::endpoint) {
    const labels::Network network = labels::network_between(model, from.service, to.service);
    if (!network.is_empty()) {
      label.push_back(labels::network_words(network));
      tooltip.push_back(labels::network_sentence(network));
    }
  }
  if (numbers != nullptr) {
    const std::string p99 =
        numbers->p99_ms ? "p99 " + labels::short_duration_ns(*numbers->p99_ms * 1e6) : "no p99";
    label.push_back(fmt::format("{}/s · {} · err {}", labels::short_number(numbers->calls_per_s),
                                p99, labels::short_percent(numbers->error_share)));
    tooltip.push_back(fmt::format("run: {} calls/s, {} of the successful, {} failed{}",
                                  labels::short_number(numbers->calls_per_s), p99,
                                  labels::short_percent(numbers->error_share),
                                  numbers->scope.empty() ? "" : " (" + numbers->scope + ")"));
  }
  return {dot_lines(label), dot_lines(tooltip)};
}

/// A service's cluster label and tooltip lines: its name, pods, autoscalers
/// and, from a run, utilization and replicas.
EdgeText service_text(const model::Model& model, std::size_t s, const ServiceNumbers* numbers) {
  const model::Service& service = model.services[s];
  std::vector<std::string> label{service.name.value, labels::service_words(service)};
  std::vector<std::string> tooltip = label;
  tooltip.front() = service.external.value ? "service " + service.name.value + " (external)"
                                           : "service " + service.name.value;
  for (auto& words : labels::autoscaler_words(model, s)) {
    label.push_back(std::move(words));
  }
  for (auto& sentence : labels::autoscaler_sentences(model, s)) {
    tooltip.push_back(std::move(sentence));
  }
  if (numbers != nullptr) {
    std::vector<std::string> words;
    if (numbers->utilization) {
      words.push_back("util " + labels::short_percent(*numbers->utilization));
    }
    words.push_back(numbers->replicas_min == numbers->replicas_max
                        ? "replicas " + labels::short_number(numbers->replicas_max)
                        : "replicas " + labels::short_number(numbers->replicas_min) + ".." +
                              labels::short_number(numbers->replicas_max));
    std::string line = words.front();
    for (std::size_t i = 1; i < words.size(); ++i) {
      line += " · " + words[i];
    }
    tooltip.push_back("run: " + line);
    label.push_back(std::move(line));
  }
  return {dot_lines(label), dot_lines(tooltip)};
}

template <class T>
const T* numbers_at(const std::vector<std::optional<T>>& list, std::size_t i) {
  return i < list.size() && list[i] ? &*list[i] : nullptr;
}

std::string dot_text(const DependencyGraph& graph, const model::Model& model,
                     const RunNumbers* numbers) {
  assert(graph.workload_count() == model.workloads.size() && "graph built from another model");
  std::string out;
  out += "digraph tailsim {\n";
  out += "  rankdir=LR;\n";
  if (!model.name.value.empty()) {
    out += "  label=" + quote(model.name.value) + ";\n  labelloc=t;\n";
  }
  out += "  graph [fontname=\"Helvetica\"];\n";
  out += "  node [fontname=\"Helvetica\", fontsize=11];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=9];\n";

  if (!model.workloads.empty()) {
    out += "\n  subgraph workloads {\n    rank=source;\n";
    for (std::size_t w = 0; w < model.workloads.size(); ++w) {
      const auto& vertex = graph.vertex(graph.workload_vertex(static_cast<model::Index>(w)));
      out += "    " + node_id(vertex) + " [label=" + quote(vertex.name) + ", shape=oval];\n";
    }
    out += "  }\n";
  }

  for (std::size_t s = 0; s < model.services.size(); ++s) {
    const auto& service = model.services[s];
    const EdgeText text =
        service_text(model, s, numbers ? numbers_at(numbers->services, s) : nullptr);
    out += "\n  subgraph " + quote("cluster_" + service.name.value) + " {\n";
    out += "    label=" + quote(text.label) + ";\n";
    out += "    tooltip=" + quote(text.tooltip) + ";\n";
    out += service.external.value ? "    style=\"dashed\";\n" : "    style=\"rounded\";\n";
    for (std::size_t e = 0; e < service.endpoints.size(); ++e) {
      const auto& vertex = graph.vertex(
          graph.endpoint_vertex(static_cast<model::Index>(s), static_cast<model::Index>(e)));
      out += "    " + node_id(vertex) + " [label=" + quote(service.endpoints[e].name.value) +
             ", shape=box, style=" +
             (service.external.value ? "\"rounded,dashed\"" : "\"rounded,filled\"") +
             (service.external.value ? "" : ", fillcolor=\"#eef3fb\"") + "];\n";
    }
    out += "  }\n";
  }

  if (!model.caches.empty() || !model.queues.empty()) {
    out += '\n';
  }
  for (std::size_t c = 0; c < model.caches.size(); ++c) {
    const auto& vertex = graph.vertex(graph.cache_vertex(static_cast<model::Index>(c)));
    out += "  " + node_id(vertex) + " [label=" + quote(vertex.name) + ", shape=cylinder];\n";
  }
  for (std::size_t q = 0; q < model.queues.size(); ++q) {
    const auto& vertex = graph.vertex(graph.queue_vertex(static_cast<model::Index>(q)));
    out += "  " + node_id(vertex) + " [label=" + quote(vertex.name) + ", shape=cds];\n";
  }

  if (!graph.edges().empty()) {
    out += '\n';
  }
  const auto edges = graph.edges();
  for (std::size_t i = 0; i < edges.size(); ++i) {
    const Edge& edge = edges[i];
    const EdgeText text =
        edge_text(graph, model, edge, numbers ? numbers_at(numbers->edges, i) : nullptr);
    out += "  " + node_id(graph.vertex(edge.from)) + " -> " + node_id(graph.vertex(edge.to)) + " [";
    out += edge_style(edge.kind);
    if (!text.label.empty()) {
      out += ", label=" + quote(text.label);
    }
    out += ", tooltip=" + quote(text.tooltip);
    if (edge.is_optional) {
      out += ", color=\"gray50\", fontcolor=\"gray50\"";
    }
    if (edge.is_parallel) {
      out += ", class=\"parallel\"";
    }
    out += "];\n";
  }
  out += "}\n";
  return out;
}

}  // namespace

std::string write_dot(const DependencyGraph& graph, const model::Model& model) {
  return dot_text(graph, model, nullptr);
}

std::string write_dot(const DependencyGraph& graph, const model::Model& model,
                      const RunNumbers& numbers) {
  return dot_text(graph, model, &numbers);
}

std::string write_json(const DependencyGraph& graph, const model::Model& model) {
  assert(graph.workload_count() == model.workloads.size() && "graph built from another model");
  using Json = nlohmann::ordered_json;

  Json vertices = Json::array();
  for (const auto& vertex : graph.vertices()) {
    Json item = {{"id", vertex.name}, {"kind", std::string(to_string(vertex.kind))}};
    item["service"] = vertex.kind == VertexKind::endpoint ? Json(vertex.service) : Json(nullptr);
    vertices.push_back(std::move(item));
  }

  Json edges = Json::array();
  for (const auto& edge : graph.edges()) {
    const Vertex& from = graph.vertex(edge.from);
    const Vertex& to = graph.vertex(edge.to);
    Json item = {{"from", from.name},
                 {"to", to.name},
                 {"kind", std::string(to_string(edge.kind))},
                 {"optional", edge.is_optional},
                 {"parallel", edge.is_parallel}};
    if (is_synchronous(edge.kind)) {
      Json calls = Json::array();
      for (const auto& call : edge.calls) {
        calls.push_back({{"line", call.loc.is_known() ? Json(call.loc.line) : Json(nullptr)},
                         {"parallel", call.is_parallel},
                         {"p", call.p},
                         {"times", {{"min", call.times.low}, {"max", call.times.high}}},
                         {"policy", labels::policy_json(call.policy)}});
      }
      item["calls"] = std::move(calls);
    }
    if (is_synchronous(edge.kind) && from.kind == VertexKind::endpoint) {
      const labels::Network network = labels::network_between(model, from.service, to.service);
      item["network"] = {{"latency", network.latency ? Json(network.latency->text) : Json(nullptr)},
                         {"loss", network.loss},
                         {"link", network.is_link}};
    }
    edges.push_back(std::move(item));
  }

  Json paths = Json::object();
  Json notes = Json::array();
  for (std::size_t w = 0; w < model.workloads.size(); ++w) {
    Json list = Json::array();
    const CallPathList found = graph.enumerate_call_paths(static_cast<model::Index>(w));
    for (const auto& path : found.paths) {
      list.push_back(path.names);
    }
    const std::string& name = model.workloads[w].name.value;
    if (!found.is_complete) {
      notes.push_back(fmt::format(
          "workload '{}' has more call paths than the {} listed: the list stops at {} paths or "
          "{} endpoints in all",
          name, found.paths.size(), max_call_paths, max_call_path_vertices));
    }
    paths[name] = std::move(list);
  }

  Json root = Json::object();
  root["vertices"] = std::move(vertices);
  root["edges"] = std::move(edges);
  root["paths"] = std::move(paths);
  Json services = Json::array();
  for (std::size_t s = 0; s < model.services.size(); ++s) {
    services.push_back(labels::service_json(model, s));
  }
  root["services"] = std::move(services);
  if (!notes.empty()) {
    root["notes"] = std::move(notes);  // only when a list was cut short
  }
  return root.dump(2) + "\n";
}

}  // namespace tailsim::graph
