#include "tailsim/graph/graph_writer.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
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
                 "subgraph \"cluster_frontend\" {\n    label=\"frontend\\n1 replica\";\n"
                 "    tooltip=\"service frontend\\n1 replica\";\n    style=\"rounded\";\n"));
  CHECK(contains(dot,
                 "subgraph \"cluster_bank-api\" {\n    label=\"bank-api\";\n"
                 "    tooltip=\"service bank-api (external)\";\n    style=\"dashed\";\n"));
  CHECK(contains(dot,
                 "\"endpoint:cart-db.query.by-id\" [label=\"query.by-id\", shape=box, "
                 "style=\"rounded,filled\""));
  CHECK(contains(dot, "\"cache:cart-cache\" [label=\"cart-cache\", shape=cylinder];"));
  CHECK(contains(dot, "\"queue:orders\" [label=\"orders\", shape=cds];"));

  CHECK(contains(dot,
                 "\"workload:checkout\" -> \"endpoint:frontend.checkout\" [style=solid, "
                 "tooltip=\"checkout → frontend.checkout (call)\\nno timeout, no retries\"];"));
  CHECK(contains(dot,
                 "\"endpoint:frontend.checkout\" -> \"endpoint:cart.get\" [style=solid, "
                 "tooltip=\"frontend.checkout → cart.get (call)\\nno timeout, no retries\"];"));
  CHECK(contains(dot,
                 "\"endpoint:frontend.checkout\" -> \"endpoint:bank-api.authorize\" "
                 "[style=solid, label=\"optional\", tooltip=\"frontend.checkout → "
                 "bank-api.authorize (call)\\noptional: its failure does not fail the caller\", "
                 "color=\"gray50\", fontcolor=\"gray50\"];"));
  CHECK(contains(dot,
                 "\"endpoint:cart.get\" -> \"cache:cart-cache\" "
                 "[style=dotted, arrowhead=none, tooltip=\"cart.get → cart-cache (cache)\"];"));
  CHECK(contains(dot,
                 "\"endpoint:cart.get\" -> \"endpoint:cart-db.query.by-id\" "
                 "[style=dotted, label=\"miss\", tooltip="));
  CHECK(contains(dot,
                 "\"endpoint:frontend.checkout\" -> \"queue:orders\" [style=dashed, "
                 "tooltip=\"frontend.checkout → orders (publish)\"];"));
  CHECK(contains(dot,
                 "\"queue:orders\" -> \"endpoint:fulfillment.process\" "
                 "[style=dashed, arrowhead=empty, tooltip="));
  // Without a network section, no call is labelled with a latency.
  CHECK_FALSE(contains(dot, "net "));

  // Clusters follow model order, and equal models give equal text.
  CHECK(dot.find("cluster_frontend") < dot.find("cluster_cart\""));
  CHECK(dot.find("cluster_cart\"") < dot.find("cluster_cart-db"));
  CHECK(write_dot(build_graph(m, diagnostics), m) == dot);
}

model::DistSpec distribution(std::string_view text) {
  auto parsed = model::parse_distribution(text, model::DistContext{});
  REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

/// front.page calls back.get with a timeout and retries, then in a parallel
/// step a.x (hedged, bulkheaded, behind a breaker) and b.y (3 times, with p
/// 0.5); a link front-back of 15ms, a default of 1ms and 0.1% loss; back has
/// 3 replicas of 2 cores and 8 workers, scaled on cpu 70% from 2 to 10.
Model policy_model() {
  Model m;
  Step retried = call(ref("back", "get", 1, 0));
  retried.policy.timeout = model::Located<Duration>{std::chrono::seconds(2)};
  retried.policy.retry = model::RetryPolicy{};
  retried.policy.retry->attempts.value = 3;
  Step hedged = call(ref("a", "x", 2, 0));
  hedged.policy.hedge = model::HedgePolicy{};
  hedged.policy.hedge->after.value = std::chrono::milliseconds(50);
  hedged.policy.bulkhead = model::Located<std::int64_t>{10};
  hedged.policy.circuit_breaker = model::CircuitBreakerPolicy{};
  Step repeated = call(ref("b", "y", 3, 0));
  repeated.times.value = {3, 3};
  repeated.p = model::Located<double>{0.5};
  Step parallel;
  parallel.kind = StepKind::parallel;
  parallel.children = {hedged, repeated};
  m.services.push_back(service("front", {{"page", {retried, parallel}}}));
  auto back = service("back", {{"get", {}}});
  back.replicas.value = 3;
  back.pod.cpu.cores.value = 2;
  back.pod.cpu.loc = {0, 7, 5};
  back.pod.workers = model::Located<std::int64_t>{8};
  m.services.push_back(back);
  m.services.push_back(service("a", {{"x", {}}}));
  m.services.push_back(service("b", {{"y", {}}}));
  model::LinkSpec link;
  link.a.value = "back";
  link.b.value = "front";
  link.latency = distribution("15ms");
  m.network.links.push_back(link);
  m.network.default_latency = distribution("1ms");
  m.network.default_loss.value = 0.001;
  m.network.is_present = true;
  model::Autoscaler hpa;
  hpa.name.value = "back-hpa";
  hpa.service.value = "back";
  hpa.service_id = 1;
  hpa.target.value = 0.7;
  hpa.min.value = 2;
  hpa.max.value = 10;
  m.autoscalers.push_back(hpa);
  model::Workload w;
  w.name.value = "users";
  w.entry = ref("front", "page", 0, 0);
  w.policy.timeout = model::Located<Duration>{std::chrono::seconds(5)};
  m.workloads.push_back(w);
  return m;
}

TEST_CASE("write_dot labels replicas, autoscalers, policies, parallel calls and links", "[graph]") {
  const Model m = policy_model();
  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);
  const auto dot = write_dot(g, m);

  CHECK(
      contains(dot, "label=\"back\\n3 replicas · cpu 2 · 8 workers\\nautoscale cpu 70% 2..10\";"));
  CHECK(contains(dot, "autoscaler 'back-hpa': cpu 70%, 2 to 10 pods, sync every 15s"));
  // The client's own timeout, on the workload's edge.
  CHECK(contains(dot,
                 "\"workload:users\" -> \"endpoint:front.page\" [style=solid, "
                 "label=\"timeout 5s\""));
  // A sequential call: policy in short, the link's latency, the details in the tooltip.
  CHECK(contains(dot,
                 "\"endpoint:front.page\" -> \"endpoint:back.get\" [style=solid, "
                 "label=\"timeout 2s, retry 3\\nnet 15ms, loss 0.1%\", tooltip=\"front.page "
                 "→ back.get (call)\\ntimeout 2s; retry: 3 attempts (the first included), "
                 "backoff 25ms ×2, full jitter, on timeout, rejected, unavailable\\n"
                 "network (its link): latency 15ms, mean 15ms, loss 0.1%, each way\"];"));
  // Calls in a parallel step: marked, with their own policies, p and times.
  CHECK(contains(dot,
                 "\"endpoint:front.page\" -> \"endpoint:a.x\" [style=solid, "
                 "label=\"∥ breaker, hedge 50ms, bulkhead 10\\nnet 1ms, loss 0.1%\""));
  CHECK(contains(dot,
                 "\"endpoint:front.page\" -> \"endpoint:b.y\" [style=solid, "
                 "label=\"∥ p 0.5, ×3\\nnet 1ms, loss 0.1%\""));
  CHECK(contains(dot, "network (the default): latency 1ms"));
  CHECK(contains(dot, "in a parallel step; made with probability 0.5; 3 times\\n"));
  CHECK(contains(dot, ", class=\"parallel\"];"));
  CHECK_FALSE(contains(dot,
                       "back.get (call)\\ntimeout 2s; retry: 3 attempts (the first "
                       "included), backoff 25ms ×2, full jitter, on timeout, rejected, "
                       "unavailable\\nnetwork (its link): latency 15ms, mean 15ms, loss "
                       "0.1%, each way\", class"));  // the sequential call is not parallel
}

TEST_CASE("write_dot draws a run's numbers on edges and services", "[graph]") {
  const Model m = policy_model();
  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);
  RunNumbers numbers;
  numbers.edges.resize(g.edges().size());
  numbers.edges[1] = EdgeNumbers{120, 35.25, 0.004, ""};
  numbers.edges[2] = EdgeNumbers{40, std::nullopt, 1.0, "every call from front to a.x"};
  numbers.services.resize(m.services.size());
  numbers.services[1] = ServiceNumbers{0.634, 2, 5};
  const auto dot = write_dot(g, m, numbers);

  CHECK(contains(dot,
                 "label=\"timeout 2s, retry 3\\nnet 15ms, loss 0.1%\\n120/s · p99 35.2ms · "
                 "err 0.4%\""));
  CHECK(contains(dot, "run: 120 calls/s, p99 35.2ms of the successful, 0.4% failed\""));
  CHECK(contains(dot, "40/s · no p99 · err 100%"));
  CHECK(contains(dot, "(every call from front to a.x)"));
  CHECK(contains(dot, "autoscale cpu 70% 2..10\\nutil 63.4% · replicas 2..5\";"));
  // Edges and services without numbers keep the model's labels alone.
  CHECK(contains(dot, "label=\"∥ p 0.5, ×3\\nnet 1ms, loss 0.1%\", tooltip"));
  CHECK(contains(dot, "label=\"front\\n1 replica\";"));
  CHECK(write_dot(g, m) != dot);
}

TEST_CASE("write_json describes services, call policies, parallel calls and the network",
          "[graph]") {
  const Model m = policy_model();
  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);
  const auto json = nlohmann::json::parse(write_json(g, m));

  REQUIRE(json["services"].size() == 4);
  CHECK(json["services"][1] == nlohmann::json::parse(R"({"name": "back", "external": false,
      "replicas": 3, "cpu": {"cores": 2.0}, "workers": 8, "autoscalers": [
      {"name": "back-hpa", "metric": "cpu", "target": 0.7, "target_is_age": false,
       "queue": null, "min": 2, "max": 10}]})"));
  CHECK(json["services"][0]["cpu"] == nullptr);
  CHECK(json["services"][0]["autoscalers"].empty());

  const auto& edges = json["edges"];
  REQUIRE(edges.size() == 4);
  CHECK(edges[0]["calls"][0]["policy"] ==
        nlohmann::json{{"timeout_ms", 5000.0}, {"optional", false}});
  CHECK(edges[1]["parallel"] == false);
  const auto& retried = edges[1]["calls"][0];
  CHECK(retried["policy"]["timeout_ms"] == 2000.0);
  CHECK(retried["policy"]["retry"]["attempts"] == 3);
  CHECK(retried["policy"]["retry"]["on"] ==
        nlohmann::json::array({"timeout", "rejected", "unavailable"}));
  CHECK(edges[1]["network"] ==
        nlohmann::json{{"latency", "15ms"}, {"loss", 0.001}, {"link", true}});
  CHECK(edges[2]["parallel"] == true);
  CHECK(edges[2]["calls"][0]["policy"]["hedge"] == nlohmann::json{{"after_ms", 50.0}, {"max", 1}});
  CHECK(edges[2]["calls"][0]["policy"]["bulkhead"] == 10);
  CHECK(edges[2]["calls"][0]["policy"].contains("circuit_breaker"));
  CHECK(edges[2]["network"]["link"] == false);
  CHECK(edges[2]["network"]["latency"] == "1ms");
  CHECK(edges[3]["calls"][0]["p"] == 0.5);
  CHECK(edges[3]["calls"][0]["times"] == nlohmann::json{{"min", 3}, {"max", 3}});
  CHECK(edges[3]["calls"][0]["parallel"] == true);
}

TEST_CASE("build_graph keeps every call of a merged edge and multiplies nesting", "[graph]") {
  Model m;
  Step once = call(ref("b", "y", 1, 0));
  once.policy.timeout = model::Located<Duration>{std::chrono::seconds(1)};
  Step inner = call(ref("b", "y", 1, 0));
  inner.times.value = {2, 4};
  Step outer;
  outer.kind = StepKind::parallel;
  outer.times.value = {3, 3};
  outer.p = model::Located<double>{0.5};
  outer.children = {inner};
  Step branch;
  branch.kind = StepKind::branch;
  model::BranchArm arm;
  arm.p.value = 0.4;
  arm.steps = {outer};
  branch.arms = {arm};
  m.services.push_back(service("a", {{"x", {once, branch}}}));
  m.services.push_back(service("b", {{"y", {}}}));
  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);
  REQUIRE(g.edges().size() == 1);
  const Edge& edge = g.edges()[0];
  CHECK(edge.is_parallel);
  REQUIRE(edge.calls.size() == 2);
  CHECK(edge.calls[0].policy.timeout);
  CHECK_FALSE(edge.calls[0].is_parallel);
  CHECK(edge.calls[1].is_parallel);
  CHECK(edge.calls[1].p == Approx(0.2));
  CHECK(edge.calls[1].times == model::IntRange{6, 12});
  // Two different calls on one edge: both in the label.
  CHECK(contains(write_dot(g, m), "label=\"∥ timeout 1s | p 0.2, ×6..12\""));
}

TEST_CASE("write_dot keeps the label and tooltip of an edge of many calls short", "[graph]") {
  Model m;
  std::vector<Step> steps;
  for (int i = 1; i <= 30; ++i) {
    Step step = call(ref("b", "y", 1, 0));
    step.policy.timeout = model::Located<Duration>{std::chrono::milliseconds(i)};
    steps.push_back(step);
  }
  m.services.push_back(service("a", {{"x", steps}}));
  m.services.push_back(service("b", {{"y", {}}}));
  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);
  REQUIRE(g.edges().size() == 1);
  REQUIRE(g.edges()[0].calls.size() == 30);
  const auto dot = write_dot(g, m);
  CHECK(contains(dot, "label=\"timeout 1ms | timeout 2ms | …\""));
  CHECK(contains(dot, "\\ntimeout 20ms\\nand 10 more calls\""));
  CHECK_FALSE(contains(dot, "timeout 21ms"));
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
  const Model with_policies = policy_model();
  const auto policy_graph = build_graph(with_policies, diagnostics);
  RunNumbers numbers;
  numbers.edges.assign(policy_graph.edges().size(), EdgeNumbers{120, 35.25, 0.004, "all"});
  numbers.services.assign(with_policies.services.size(), ServiceNumbers{0.5, 1, 3});
  const std::vector<std::pair<std::string, std::string>> drawings{
      {write_dot(build_graph(m, diagnostics), m), "bank&#45;api"},
      {write_dot(policy_graph, with_policies), "hedge 50ms"},
      {write_dot(policy_graph, with_policies, numbers), "p99 35.2ms"}};

  const auto dir = std::filesystem::temp_directory_path() /
                   ("tailsim_graph_writer_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (const auto& [dot, expected] : drawings) {
    const auto input = dir / "model.dot";
    const auto output = dir / "model.svg";
    const auto errors = dir / "dot.err";
    std::ofstream(input) << dot;
    const std::string command = "dot -Tsvg '" + input.string() + "' -o '" + output.string() +
                                "' 2>'" + errors.string() + "'";
    CHECK(std::system(command.c_str()) == 0);

    std::ifstream svg_file(output);
    const std::string svg{std::istreambuf_iterator<char>(svg_file), {}};
    CHECK(contains(svg, "<svg"));
    CHECK(contains(svg, expected));
    std::ifstream error_file(errors);
    const std::string warnings{std::istreambuf_iterator<char>(error_file), {}};
    CHECK(warnings.empty());
  }
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
  CHECK(json["edges"][0]["from"] == "checkout");
  CHECK(json["edges"][0]["to"] == "frontend.checkout");
  CHECK(json["edges"][0]["kind"] == "call");
  CHECK(json["edges"][5]["from"] == "cart.get");
  CHECK(json["edges"][5]["to"] == "cart-db.query.by-id");
  CHECK(json["edges"][5]["kind"] == "cache_miss");
  // Added keys: every edge says optional and parallel; calls list their calls.
  CHECK(json["edges"][2]["optional"] == true);
  CHECK(json["edges"][1]["optional"] == false);
  CHECK(json["edges"][1]["parallel"] == false);
  CHECK(json["edges"][5]["calls"].size() == 1);
  CHECK_FALSE(json["edges"][3].contains("calls"));  // a publish is no call
  CHECK(json["edges"][1]["network"] ==
        nlohmann::json{{"latency", nullptr}, {"loss", 0.0}, {"link", false}});
  CHECK_FALSE(json["edges"][0].contains("network"));  // the client reaches its entry directly

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
