#include "tailsim/graph/graph_writer.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/text.hpp"

namespace tailsim::graph {
using tailsim::testing::contains;

namespace {

using model::Model;
using model::Step;
using model::StepKind;

/// A reference to `service.endpoint` with the ids the loader would fill.
model::EndpointRef ref(std::string service, std::string endpoint, model::Index service_id,
                       model::Index endpoint_id) {
  model::EndpointRef r;
  r.service.value = std::move(service);
  r.endpoint.value = std::move(endpoint);
  r.service_id = service_id;
  r.endpoint_id = endpoint_id;
  return r;
}

Step call(model::EndpointRef target, bool is_optional = false) {
  Step step;
  step.kind = StepKind::call;
  step.call = std::move(target);
  step.policy.optional.value = is_optional;
  return step;
}

Step target_step(StepKind kind, std::string name, model::Index id, std::vector<Step> miss = {}) {
  Step step;
  step.kind = kind;
  step.target.value = std::move(name);
  step.target_id = id;
  step.children = std::move(miss);
  return step;
}

model::Service service(std::string name,
                       const std::vector<std::pair<std::string, std::vector<Step>>>& eps,
                       bool is_external = false) {
  model::Service s;
  s.name.value = std::move(name);
  s.external.value = is_external;
  for (const auto& [endpoint_name, steps] : eps) {
    model::Endpoint e;
    e.name.value = endpoint_name;
    e.steps = steps;
    s.endpoints.push_back(std::move(e));
  }
  return s;
}

/// Services 0 frontend, 1 cart, 2 cart-db, 3 bank-api (external), 4 fulfillment;
/// cache 0 cart-cache; queue 0 orders.
Model writer_model() {
  Model m;
  m.name.value = "shop \"demo\"";
  m.services.push_back(
      service("frontend", {{"checkout",
                            {call(ref("cart", "get", 1, 0)),
                             call(ref("bank-api", "authorize", 3, 0), /*is_optional=*/true),
                             target_step(StepKind::publish, "orders", 0)}}}));
  m.services.push_back(
      service("cart", {{"get",
                        {target_step(StepKind::cache, "cart-cache", 0,
                                     {call(ref("cart-db", "query.by-id", 2, 0))})}}}));
  m.services.push_back(service("cart-db", {{"query.by-id", {}}}));
  m.services.push_back(service("bank-api", {{"authorize", {}}}, /*is_external=*/true));
  m.services.push_back(service("fulfillment", {{"process", {}}}));
  model::Cache c;
  c.name.value = "cart-cache";
  m.caches.push_back(c);
  model::Queue q;
  q.name.value = "orders";
  q.consumer = ref("fulfillment", "process", 4, 0);
  m.queues.push_back(q);
  model::Workload w;
  w.name.value = "checkout";
  w.entry = ref("frontend", "checkout", 0, 0);
  m.workloads.push_back(w);
  return m;
}

TEST_CASE("write_dot draws clusters, shapes and edge styles", "[graph]") {
  const Model m = writer_model();
  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);
  const auto dot = write_dot(g, m);

  CHECK(dot.rfind("digraph tailsim {\n  rankdir=LR;\n", 0) == 0);
  CHECK(dot.ends_with("}\n"));
  CHECK(contains(dot, "label=\"shop \\\"demo\\\"\";"));
  CHECK(contains(dot,
                 "subgraph workloads {\n    rank=source;\n"
                 "    \"workload:checkout\" [label=\"checkout\", shape=oval];\n  }"));
  CHECK(contains(dot,
                 "subgraph \"cluster_frontend\" {\n    label=\"frontend\";\n"
                 "    style=\"rounded\";\n"));
  CHECK(contains(dot,
                 "subgraph \"cluster_bank-api\" {\n    label=\"bank-api\";\n"
                 "    style=\"dashed\";\n"));
  CHECK(contains(dot,
                 "\"endpoint:cart-db.query.by-id\" [label=\"query.by-id\", shape=box, "
                 "style=\"rounded,filled\""));
  CHECK(contains(dot, "\"cache:cart-cache\" [label=\"cart-cache\", shape=cylinder];"));
  CHECK(contains(dot, "\"queue:orders\" [label=\"orders\", shape=cds];"));

  CHECK(contains(dot, "\"workload:checkout\" -> \"endpoint:frontend.checkout\" [style=solid];"));
  CHECK(contains(dot, "\"endpoint:frontend.checkout\" -> \"endpoint:cart.get\" [style=solid];"));
  CHECK(contains(dot,
                 "\"endpoint:frontend.checkout\" -> \"endpoint:bank-api.authorize\" "
                 "[style=solid, color=\"gray50\", fontcolor=\"gray50\"];"));
  CHECK(contains(dot,
                 "\"endpoint:cart.get\" -> \"cache:cart-cache\" "
                 "[style=dotted, arrowhead=none];"));
  CHECK(contains(dot,
                 "\"endpoint:cart.get\" -> \"endpoint:cart-db.query.by-id\" "
                 "[style=dotted, label=\"miss\"];"));
  CHECK(contains(dot, "\"endpoint:frontend.checkout\" -> \"queue:orders\" [style=dashed];"));
  CHECK(contains(dot,
                 "\"queue:orders\" -> \"endpoint:fulfillment.process\" "
                 "[style=dashed, arrowhead=empty];"));

  // Clusters follow model order, and equal models give equal text.
  CHECK(dot.find("cluster_frontend") < dot.find("cluster_cart\""));
  CHECK(dot.find("cluster_cart\"") < dot.find("cluster_cart-db"));
  CHECK(write_dot(build_graph(m, diagnostics), m) == dot);
}

TEST_CASE("write_dot escapes quotes and backslashes in names", "[graph]") {
  Model m;
  m.services.push_back(service("we\"ird\\svc", {{"e p", {}}}));
  model::Diagnostics diagnostics;
  const auto dot = write_dot(build_graph(m, diagnostics), m);
  CHECK(contains(dot, "subgraph \"cluster_we\\\"ird\\\\svc\""));
  CHECK(contains(dot, "\"endpoint:we\\\"ird\\\\svc.e p\" [label=\"e p\""));
}

TEST_CASE("write_dot output renders with Graphviz", "[graph]") {
  if (std::system("command -v dot >/dev/null 2>&1") != 0) {
    WARN("Graphviz 'dot' is not on PATH: rendering not checked");
    return;
  }
  const Model m = writer_model();
  model::Diagnostics diagnostics;
  const auto dot = write_dot(build_graph(m, diagnostics), m);

  const auto dir = std::filesystem::temp_directory_path() /
                   ("tailsim_graph_writer_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto input = dir / "model.dot";
  const auto output = dir / "model.svg";
  const auto errors = dir / "dot.err";
  std::ofstream(input) << dot;
  const std::string command =
      "dot -Tsvg '" + input.string() + "' -o '" + output.string() + "' 2>'" + errors.string() + "'";
  CHECK(std::system(command.c_str()) == 0);

  std::ifstream svg_file(output);
  const std::string svg{std::istreambuf_iterator<char>(svg_file), {}};
  CHECK(contains(svg, "<svg"));
  CHECK(contains(svg, "bank&#45;api"));
  std::ifstream error_file(errors);
  const std::string warnings{std::istreambuf_iterator<char>(error_file), {}};
  CHECK(warnings.empty());
  std::filesystem::remove_all(dir);
}

TEST_CASE("write_json lists vertices, edges and call paths", "[graph]") {
  const Model m = writer_model();
  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);
  const auto json = nlohmann::json::parse(write_json(g, m));

  REQUIRE(json["vertices"].size() == g.vertices().size());
  CHECK(json["vertices"][0] ==
        nlohmann::json{{"id", "checkout"}, {"kind", "workload"}, {"service", nullptr}});
  CHECK(json["vertices"][1] ==
        nlohmann::json{{"id", "frontend.checkout"}, {"kind", "endpoint"}, {"service", "frontend"}});
  CHECK(json["vertices"][6]["kind"] == "cache");
  CHECK(json["vertices"][7]["kind"] == "queue");

  REQUIRE(json["edges"].size() == g.edges().size());
  CHECK(json["edges"][0] ==
        nlohmann::json{{"from", "checkout"}, {"to", "frontend.checkout"}, {"kind", "call"}});
  CHECK(json["edges"][5] == nlohmann::json{{"from", "cart.get"},
                                           {"to", "cart-db.query.by-id"},
                                           {"kind", "cache_miss"}});

  CHECK(json["paths"] == nlohmann::json::parse(R"({"checkout": [
          ["frontend.checkout", "cart.get", "cart-db.query.by-id"],
          ["frontend.checkout", "bank-api.authorize"],
          ["frontend.checkout", "orders", "fulfillment.process"]]})"));
  CHECK_FALSE(json.contains("notes"));  // every list is whole
}

TEST_CASE("write_json says when a workload's call paths were cut short", "[graph]") {
  // 16 levels of two endpoints, each calling both of the next: 2^15 paths from s0.e0.
  Model m;
  constexpr int levels = 16;
  for (int level = 0; level < levels; ++level) {
    std::vector<Step> steps;
    if (level + 1 < levels) {
      for (model::Index i = 0; i < 2; ++i) {
        steps.push_back(call(ref("s" + std::to_string(level + 1), "e" + std::to_string(i),
                                 static_cast<model::Index>(level + 1), i)));
      }
    }
    m.services.push_back(service("s" + std::to_string(level), {{"e0", steps}, {"e1", steps}}));
  }
  model::Workload w;
  w.name.value = "wide";
  w.entry = ref("s0", "e0", 0, 0);
  m.workloads.push_back(w);
  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);
  const auto json = nlohmann::json::parse(write_json(g, m));

  CHECK(json["paths"]["wide"].size() == max_call_paths);
  REQUIRE(json["notes"].size() == 1);
  CHECK(contains(json["notes"][0].get<std::string>(),
                 "workload 'wide' has more call paths than the 10000 listed"));
}

}  // namespace
}  // namespace tailsim::graph
