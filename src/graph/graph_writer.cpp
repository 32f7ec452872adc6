#include "tailsim/graph/graph_writer.hpp"

#include <cassert>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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
      return "style=dotted, label=\"miss\"";
    case EdgeKind::publish:
      return "style=dashed";
    case EdgeKind::consume:
      return "style=dashed, arrowhead=empty";
  }
  return "style=solid";
}

}  // namespace

std::string write_dot(const DependencyGraph& graph, const model::Model& model) {
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
    out += "\n  subgraph " + quote("cluster_" + service.name.value) + " {\n";
    out += "    label=" + quote(service.name.value) + ";\n";
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
  for (const auto& edge : graph.edges()) {
    out += "  " + node_id(graph.vertex(edge.from)) + " -> " + node_id(graph.vertex(edge.to)) + " [";
    out += edge_style(edge.kind);
    if (edge.is_optional) {
      out += ", color=\"gray50\", fontcolor=\"gray50\"";
    }
    out += "];\n";
  }
  out += "}\n";
  return out;
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
    edges.push_back({{"from", graph.vertex(edge.from).name},
                     {"to", graph.vertex(edge.to).name},
                     {"kind", std::string(to_string(edge.kind))}});
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
  if (!notes.empty()) {
    root["notes"] = std::move(notes);  // only when a list was cut short
  }
  return root.dump(2) + "\n";
}

}  // namespace tailsim::graph
