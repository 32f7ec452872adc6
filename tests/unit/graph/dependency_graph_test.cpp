#include "tailsim/graph/dependency_graph.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

namespace tailsim::graph {
namespace {

using model::Model;
using model::SourceLoc;
using model::Step;
using model::StepKind;

/// A position on line `line` of the model file.
SourceLoc at(std::uint32_t line, std::uint32_t col = 5) {
  return SourceLoc{0, line, col};
}

model::EndpointRef endpoint_ref(std::string_view full_name, SourceLoc loc) {
  const auto dot = full_name.find('.');
  model::EndpointRef ref;
  ref.service = {std::string(full_name.substr(0, dot)), loc};
  ref.endpoint = {std::string(full_name.substr(dot + 1)), loc};
  ref.loc = loc;
  return ref;
}

Step call(std::string_view target, std::uint32_t line, bool is_optional = false) {
  Step step;
  step.kind = StepKind::call;
  step.loc = at(line);
  step.call = endpoint_ref(target, at(line, 11));
  step.policy.optional.value = is_optional;
  return step;
}

Step cpu(std::uint32_t line) {
  Step step;
  step.kind = StepKind::cpu;
  step.loc = at(line);
  return step;
}

Step parallel(std::vector<Step> children, std::uint32_t line) {
  Step step;
  step.kind = StepKind::parallel;
  step.loc = at(line);
  step.children = std::move(children);
  return step;
}

Step branch(std::vector<std::vector<Step>> arms, std::uint32_t line) {
  Step step;
  step.kind = StepKind::branch;
  step.loc = at(line);
  for (auto& steps : arms) {
    model::BranchArm arm;
    arm.p.value = 1.0 / static_cast<double>(arms.size());
    arm.steps = std::move(steps);
    step.arms.push_back(std::move(arm));
  }
  return step;
}

Step cache(std::string name, std::vector<Step> miss, std::uint32_t line) {
  Step step;
  step.kind = StepKind::cache;
  step.loc = at(line);
  step.target = {std::move(name), at(line, 14)};
  step.children = std::move(miss);
  return step;
}

Step publish(std::string queue, std::uint32_t line) {
  Step step;
  step.kind = StepKind::publish;
  step.loc = at(line);
  step.target = {std::move(queue), at(line, 16)};
  return step;
}

/// Adds `service.endpoint` with these steps, creating the service on first use.
void add_endpoint(Model& m, std::string_view full_name, std::vector<Step> steps,
                  std::uint32_t line) {
  const auto dot = full_name.find('.');
  const std::string service_name(full_name.substr(0, dot));
  auto it = std::find_if(m.services.begin(), m.services.end(),
                         [&](const auto& s) { return s.name.value == service_name; });
  if (it == m.services.end()) {
    m.services.emplace_back();
    m.services.back().name = {service_name, at(line - 1, 3)};
    it = std::prev(m.services.end());
  }
  model::Endpoint endpoint;
  endpoint.name = {std::string(full_name.substr(dot + 1)), at(line, 7)};
  endpoint.steps = std::move(steps);
  it->endpoints.push_back(std::move(endpoint));
}

void add_workload(Model& m, std::string name, std::string_view entry, std::uint32_t line) {
  model::Workload workload;
  workload.name = {std::move(name), at(line, 3)};
  workload.entry = endpoint_ref(entry, at(line + 1, 12));
  m.workloads.push_back(std::move(workload));
}

void add_cache(Model& m, std::string name, std::uint32_t line) {
  model::Cache c;
  c.name = {std::move(name), at(line, 3)};
  m.caches.push_back(std::move(c));
}

void add_queue(Model& m, std::string name, std::string_view consumer, std::uint32_t line) {
  model::Queue queue;
  queue.name = {std::move(name), at(line, 3)};
  queue.consumer = endpoint_ref(consumer, at(line + 1, 15));
  m.queues.push_back(std::move(queue));
}

void resolve_ref(const Model& m, model::EndpointRef& ref) {
  for (std::size_t s = 0; s < m.services.size(); ++s) {
    if (m.services[s].name.value != ref.service.value) {
      continue;
    }
    for (std::size_t e = 0; e < m.services[s].endpoints.size(); ++e) {
      if (m.services[s].endpoints[e].name.value == ref.endpoint.value) {
        ref.service_id = static_cast<model::Index>(s);
        ref.endpoint_id = static_cast<model::Index>(e);
      }
    }
  }
}

template <class Items>
model::Index index_of(const Items& items, const std::string& name) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].name.value == name) {
      return static_cast<model::Index>(i);
    }
  }
  return model::no_index;
}

void resolve_steps(const Model& m, std::vector<Step>& steps) {
  for (auto& step : steps) {
    if (step.kind == StepKind::call) {
      resolve_ref(m, step.call);
    }
    if (step.kind == StepKind::cache) {
      step.target_id = index_of(m.caches, step.target.value);
    }
    if (step.kind == StepKind::publish) {
      step.target_id = index_of(m.queues, step.target.value);
    }
    resolve_steps(m, step.children);
    for (auto& arm : step.arms) {
      resolve_steps(m, arm.steps);
    }
  }
}

/// Fills every id as the loader does once all names are known.
Model& resolve(Model& m) {
  for (auto& service : m.services) {
    for (auto& endpoint : service.endpoints) {
      resolve_steps(m, endpoint.steps);
    }
  }
  for (auto& workload : m.workloads) {
    resolve_ref(m, workload.entry);
  }
  for (auto& queue : m.queues) {
    resolve_ref(m, queue.consumer);
  }
  return m;
}

std::vector<std::string> messages(const model::Diagnostics& diagnostics, model::Severity severity) {
  std::vector<std::string> out;
  for (const auto& d : diagnostics.all()) {
    if (d.severity == severity) {
      out.push_back(d.message);
    }
  }
  return out;
}

/// `from -kind-> to` for each edge, for compact comparisons.
std::vector<std::string> edge_texts(const DependencyGraph& g) {
  std::vector<std::string> out;
  for (const auto& e : g.edges()) {
    out.push_back(g.vertex(e.from).name + " -" + std::string(to_string(e.kind)) + "-> " +
                  g.vertex(e.to).name);
  }
  return out;
}

std::vector<std::vector<std::string>> path_names(const std::vector<CallPath>& paths) {
  std::vector<std::vector<std::string>> out;
  out.reserve(paths.size());
  for (const auto& p : paths) {
    out.push_back(p.names);
  }
  return out;
}

/// frontend.checkout calls cart.get (which looks up a cache and calls the
/// database on a miss), pricing and inventory at once, and publishes an order.
Model shop_model() {
  Model m;
  add_endpoint(m, "frontend.checkout",
               {cpu(11), call("cart.get", 12),
                parallel({call("pricing.quote", 14), call("inventory.reserve", 15)}, 13),
                branch({{call("recs.top", 17, /*is_optional=*/true)}}, 16), publish("orders", 18)},
               10);
  add_endpoint(m, "cart.get", {cache("cart-cache", {call("cart-db.query", 22)}, 21)}, 20);
  add_endpoint(m, "cart-db.query", {cpu(25)}, 24);
  add_endpoint(m, "pricing.quote", {cpu(28)}, 27);
  add_endpoint(m, "inventory.reserve", {cpu(31)}, 30);
  add_endpoint(m, "recs.top", {cpu(34)}, 33);
  add_endpoint(m, "fulfillment.process", {call("inventory.reserve", 37)}, 36);
  add_cache(m, "cart-cache", 40);
  add_queue(m, "orders", "fulfillment.process", 43);
  add_workload(m, "checkout", "frontend.checkout", 46);
  return resolve(m);
}

TEST_CASE("build_graph makes a vertex per workload, endpoint, cache and queue", "[graph]") {
  Model m = shop_model();
  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);
  CHECK(diagnostics.all().empty());

  REQUIRE(g.vertices().size() == 10);
  CHECK(g.vertex(0).name == "checkout");
  CHECK(g.vertex(0).kind == VertexKind::workload);
  CHECK(g.vertex(1).name == "frontend.checkout");
  CHECK(g.vertex(1).kind == VertexKind::endpoint);
  CHECK(g.vertex(1).service == "frontend");
  CHECK(g.vertex(1).loc == at(10, 7));
  CHECK(g.vertex(8).name == "cart-cache");
  CHECK(g.vertex(8).kind == VertexKind::cache);
  CHECK(g.vertex(9).name == "orders");
  CHECK(g.vertex(9).kind == VertexKind::queue);
  CHECK(g.workload_count() == 1);
  CHECK(g.workload_vertex(0) == 0);
  CHECK(g.endpoint_vertex(1, 0) == 2);
  CHECK(g.cache_vertex(0) == 8);
  CHECK(g.queue_vertex(0) == 9);
  CHECK(g.find_vertex(VertexKind::endpoint, "cart-db.query") == VertexId{3});
  CHECK(g.find_vertex(VertexKind::queue, "orders") == VertexId{9});
  CHECK_FALSE(g.find_vertex(VertexKind::endpoint, "orders").has_value());
}

TEST_CASE("build_graph finds calls nested in parallel, branch and cache steps", "[graph]") {
  Model m = shop_model();
  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);

  CHECK(edge_texts(g) == std::vector<std::string>{
                             "checkout -call-> frontend.checkout",
                             "frontend.checkout -call-> cart.get",
                             "frontend.checkout -call-> pricing.quote",
                             "frontend.checkout -call-> inventory.reserve",
                             "frontend.checkout -call-> recs.top",
                             "frontend.checkout -publish-> orders",
                             "cart.get -cache-> cart-cache",
                             "cart.get -cache_miss-> cart-db.query",
                             "fulfillment.process -call-> inventory.reserve",
                             "orders -consume-> fulfillment.process",
                         });
  const auto edges = g.edges();
  CHECK(edges[0].loc == at(47, 12));  // the workload's entry
  CHECK(edges[2].loc == at(14));      // the call step inside parallel
  CHECK_FALSE(edges[3].is_optional);
  CHECK(edges[4].is_optional);
  CHECK(edges[4].loc == at(17));
  CHECK(edges[7].loc == at(22));
  CHECK(edges[9].loc == at(44, 15));  // the queue's consumer
}

TEST_CASE("build_graph merges identical edges and keeps the first position", "[graph]") {
  Model m;
  Step repeated = call("b.y", 13);
  repeated.times.value = {1, 10};
  add_endpoint(m, "a.x",
               {call("b.y", 11, /*is_optional=*/true), call("b.y", 12), repeated,
                cache("c", {call("b.y", 15)}, 14), cache("c", {call("b.y", 17)}, 16)},
               10);
  add_endpoint(m, "b.y", {cpu(21)}, 20);
  add_cache(m, "c", 30);
  add_workload(m, "w", "a.x", 40);
  resolve(m);
  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);

  CHECK(edge_texts(g) == std::vector<std::string>{"w -call-> a.x", "a.x -call-> b.y",
                                                  "a.x -cache-> c", "a.x -cache_miss-> b.y"});
  CHECK(g.edges()[1].loc == at(11));
  CHECK_FALSE(g.edges()[1].is_optional);  // only one of the three calls is optional
  CHECK(g.edges()[2].loc == at(14));
  CHECK(g.edges()[3].loc == at(15));
  // Two kinds of edge to b.y make one path, not two.
  CHECK(path_names(g.call_paths(0)) == std::vector<std::vector<std::string>>{{"a.x", "b.y"}});
}

TEST_CASE("a two-endpoint call cycle is one error at the closing call", "[graph]") {
  Model m;
  add_endpoint(m, "a.x", {cpu(11), call("b.y", 12)}, 10);
  add_endpoint(m, "b.y", {call("a.x", 21)}, 20);
  add_workload(m, "w", "a.x", 30);
  resolve(m);
  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);

  REQUIRE(diagnostics.all().size() == 1);
  const auto& d = diagnostics.all().front();
  CHECK(d.severity == model::Severity::error);
  CHECK(d.message == "synchronous call cycle: a.x -> b.y -> a.x");
  CHECK(d.loc == at(21));
  REQUIRE(g.cycles().size() == 1);
  CHECK(g.cycles()[0].vertices == std::vector<VertexId>{1, 2, 1});
  CHECK(g.has_cycles());
  CHECK_FALSE(g.topological_order().has_value());
  // Path enumeration stops where the chain would go round again.
  CHECK(path_names(g.call_paths(0)) == std::vector<std::vector<std::string>>{{"a.x", "b.y"}});
}

TEST_CASE("past the first cycles listed, one error counts the rest", "[graph]") {
  // A chain of 151 endpoints, each after the first also calling the first:
  // 150 cycles, the i-th i + 2 endpoints long.
  Model m;
  constexpr int chain = 151;
  for (int i = 0; i < chain; ++i) {
    std::vector<Step> steps;
    if (i + 1 < chain) {
      steps.push_back(call("s" + std::to_string(i + 1) + ".x", 100 + 2 * i));
    }
    if (i > 0) {
      steps.push_back(call("s0.x", 101 + 2 * i));
    }
    add_endpoint(m, "s" + std::to_string(i) + ".x", std::move(steps), 10);
  }
  add_workload(m, "w", "s0.x", 1);
  resolve(m);
  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);

  CHECK(g.cycles().size() == max_listed_cycles);
  CHECK(g.has_cycles());
  REQUIRE(diagnostics.all().size() == max_listed_cycles + 1);
  const auto& last = diagnostics.all().back();
  CHECK(last.severity == model::Severity::error);
  CHECK(last.message ==
        "50 more synchronous call cycles, not listed (the first 100 are); this is where the "
        "first of them closes");
  // The depth-first search closes the deepest cycle first: s150's call of s0.
  CHECK(diagnostics.all().front().loc == at(101 + 2 * 150));
  CHECK(last.loc == at(101 + 2 * 50));
}

TEST_CASE("a self-call is a cycle", "[graph]") {
  Model m;
  add_endpoint(m, "a.x", {branch({{call("a.x", 13)}, {cpu(14)}}, 12)}, 10);
  add_workload(m, "w", "a.x", 30);
  resolve(m);
  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);

  CHECK(messages(diagnostics, model::Severity::error) ==
        std::vector<std::string>{"synchronous call cycle: a.x -> a.x"});
  REQUIRE(diagnostics.all().size() == 1);
  CHECK(diagnostics.all()[0].loc == at(13));
  CHECK(path_names(g.call_paths(0)) == std::vector<std::vector<std::string>>{{"a.x"}});
}

TEST_CASE("a three-endpoint cycle through parallel and branch steps", "[graph]") {
  Model m;
  add_endpoint(m, "front-end.page", {call("a.x", 11)}, 10);
  add_endpoint(m, "a.x", {parallel({cpu(21), call("b.y", 22)}, 20)}, 19);
  add_endpoint(m, "b.y", {branch({{cpu(31)}, {parallel({call("c.z", 34)}, 33)}}, 30)}, 29);
  add_endpoint(m, "c.z", {call("a.x", 41, /*is_optional=*/true)}, 40);
  add_workload(m, "w", "front-end.page", 50);
  resolve(m);
  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);

  REQUIRE(diagnostics.all().size() == 1);
  CHECK(diagnostics.all()[0].message == "synchronous call cycle: a.x -> b.y -> c.z -> a.x");
  CHECK(diagnostics.all()[0].loc == at(41));
}

TEST_CASE("a call on a cache miss can close a cycle", "[graph]") {
  Model m;
  add_endpoint(m, "a.x", {call("b.y", 11)}, 10);
  add_endpoint(m, "b.y", {cache("c", {cpu(22), call("a.x", 23)}, 21)}, 20);
  add_cache(m, "c", 30);
  add_workload(m, "w", "a.x", 40);
  resolve(m);
  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);

  REQUIRE(diagnostics.all().size() == 1);
  CHECK(diagnostics.all()[0].message == "synchronous call cycle: a.x -> b.y -> a.x");
  CHECK(diagnostics.all()[0].loc == at(23));
}

TEST_CASE("each cycle is reported once, in model order", "[graph]") {
  Model m;
  add_endpoint(m, "a.x", {call("b.y", 11), call("c.z", 12)}, 10);
  // b.y closes the same cycle twice (a call and a call on a miss): one error.
  add_endpoint(m, "b.y", {call("a.x", 21), cache("k", {call("a.x", 23)}, 22)}, 20);
  add_endpoint(m, "c.z", {call("c.z", 31)}, 30);
  add_cache(m, "k", 40);
  add_workload(m, "w", "a.x", 50);
  add_workload(m, "v", "c.z", 52);
  resolve(m);
  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);

  CHECK(messages(diagnostics, model::Severity::error) ==
        std::vector<std::string>{"synchronous call cycle: a.x -> b.y -> a.x",
                                 "synchronous call cycle: c.z -> c.z"});
  REQUIRE(g.cycles().size() == 2);
  CHECK(g.cycles()[0].loc == at(21));
  CHECK(g.cycles()[1].loc == at(31));
}

TEST_CASE("a loop through a queue is not a cycle", "[graph]") {
  Model m;
  add_endpoint(m, "a.x", {call("b.y", 11)}, 10);
  add_endpoint(m, "b.y", {publish("jobs", 21)}, 20);
  add_queue(m, "jobs", "a.x", 30);
  add_workload(m, "w", "a.x", 40);
  resolve(m);
  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);

  CHECK(diagnostics.all().empty());
  CHECK_FALSE(g.has_cycles());
  const auto paths = g.call_paths(0);
  REQUIRE(paths.size() == 1);
  CHECK(paths[0].names == std::vector<std::string>{"a.x", "b.y", "jobs"});
  CHECK(paths[0].has_async_hop);
  REQUIRE(g.topological_order().has_value());
  CHECK(*g.topological_order() == std::vector<VertexId>{1, 2});
}

TEST_CASE("endpoints, queues and caches nothing uses are warnings", "[graph]") {
  Model m;
  add_endpoint(m, "a.x", {call("b.y", 11), publish("used", 12)}, 10);
  add_endpoint(m, "b.y", {cpu(21)}, 20);
  add_endpoint(m, "b.orphan", {call("c.z", 23), cache("lonely-cache", {}, 24)}, 22);
  add_endpoint(m, "c.z", {cpu(31)}, 30);
  add_endpoint(m, "d.consumer", {cpu(33)}, 32);
  add_endpoint(m, "d.idle", {cpu(35)}, 34);
  add_cache(m, "lonely-cache", 40);
  add_cache(m, "unused-cache", 42);
  add_queue(m, "used", "d.consumer", 50);
  add_queue(m, "silent", "d.idle", 52);
  add_workload(m, "w", "a.x", 60);
  resolve(m);
  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);

  CHECK_FALSE(diagnostics.has_errors());
  CHECK(messages(diagnostics, model::Severity::warning) ==
        std::vector<std::string>{
            "endpoint 'b.orphan' is not reached by any workload",
            "endpoint 'c.z' is not reached by any workload",
            "endpoint 'd.idle' is not reached by any workload",
            "queue 'silent' is not published to by any step",
            "cache 'unused-cache' is not used by any step",
        });
  REQUIRE(diagnostics.all().size() == 5);
  CHECK(diagnostics.all()[0].loc == at(22, 7));
  CHECK(diagnostics.all()[3].loc == at(52, 3));
  CHECK(diagnostics.all()[4].loc == at(42, 3));
}

TEST_CASE("call paths follow branches, parallel calls, misses and queues", "[graph]") {
  Model m = shop_model();
  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);

  const auto paths = g.call_paths(0);
  CHECK(path_names(paths) ==
        std::vector<std::vector<std::string>>{
            {"frontend.checkout", "cart.get", "cart-db.query"},
            {"frontend.checkout", "pricing.quote"},
            {"frontend.checkout", "inventory.reserve"},
            {"frontend.checkout", "recs.top"},
            {"frontend.checkout", "orders", "fulfillment.process", "inventory.reserve"},
        });
  REQUIRE(paths.size() == 5);
  CHECK_FALSE(paths[0].has_async_hop);
  CHECK(paths[4].has_async_hop);
  CHECK(paths[0].vertices == std::vector<VertexId>{1, 2, 3});
  CHECK(g.call_paths(0, 2).size() == 2);
}

TEST_CASE("call path enumeration stops at the cap on a wide graph", "[graph]") {
  // 20 levels of two endpoints, each calling both of the next level: 2^20 paths.
  Model m;
  constexpr int levels = 20;
  for (int level = 0; level < levels; ++level) {
    for (int i = 0; i < 2; ++i) {
      std::vector<Step> steps;
      if (level + 1 < levels) {
        steps.push_back(call("s" + std::to_string(level + 1) + ".e0", 1));
        steps.push_back(call("s" + std::to_string(level + 1) + ".e1", 2));
      }
      add_endpoint(m, "s" + std::to_string(level) + ".e" + std::to_string(i), std::move(steps), 10);
    }
  }
  add_workload(m, "w", "s0.e0", 1);
  resolve(m);
  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);

  const auto paths = g.call_paths(0);
  CHECK(paths.size() == max_call_paths);
  CHECK(paths.front().names.size() == levels);
  const auto list = g.enumerate_call_paths(0);
  CHECK(list.paths.size() == max_call_paths);
  CHECK_FALSE(list.is_complete);
  // A cap as large as the number of paths (the entry is one of level 0's
  // two, so 2^19) lists them all, and says so.
  constexpr std::size_t count = std::size_t{1} << (levels - 1);
  const auto all = g.enumerate_call_paths(0, count, count * levels);
  CHECK(all.paths.size() == count);
  CHECK(all.is_complete);
}

TEST_CASE("call path enumeration stops at the cap on vertices over all paths", "[graph]") {
  // A chain of 40 endpoints whose last calls 50 leaves: 50 paths of 41.
  Model m;
  constexpr int chain = 40;
  constexpr int leaves = 50;
  for (int i = 0; i < chain; ++i) {
    std::vector<Step> steps;
    if (i + 1 < chain) {
      steps.push_back(call("c" + std::to_string(i + 1) + ".e", 1));
    } else {
      for (int leaf = 0; leaf < leaves; ++leaf) {
        steps.push_back(call("leaf" + std::to_string(leaf) + ".e", 2));
      }
    }
    add_endpoint(m, "c" + std::to_string(i) + ".e", std::move(steps), 10);
  }
  for (int leaf = 0; leaf < leaves; ++leaf) {
    add_endpoint(m, "leaf" + std::to_string(leaf) + ".e", {}, 20);
  }
  add_workload(m, "w", "c0.e", 1);
  resolve(m);
  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);

  const auto all = g.enumerate_call_paths(0);
  CHECK(all.paths.size() == leaves);
  CHECK(all.is_complete);
  // Room for 10 whole paths of 41 and part of an eleventh: 10 paths, cut short.
  const auto capped = g.enumerate_call_paths(0, max_call_paths, 10 * (chain + 1) + 20);
  CHECK(capped.paths.size() == 10);
  CHECK_FALSE(capped.is_complete);
  CHECK(capped.paths.back().names.back() == "leaf9.e");
  // Exactly as many vertices as all the paths hold: complete.
  CHECK(g.enumerate_call_paths(0, leaves, leaves * (chain + 1)).is_complete);
}

TEST_CASE("topological order and reachability", "[graph]") {
  Model m = shop_model();
  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);

  const auto order = g.topological_order();
  REQUIRE(order.has_value());
  CHECK(order->size() == 7);
  std::vector<std::size_t> position(g.vertices().size());
  for (std::size_t i = 0; i < order->size(); ++i) {
    position[(*order)[i]] = i;
  }
  for (const auto& e : g.edges()) {
    if (is_synchronous(e.kind) && g.vertex(e.from).kind == VertexKind::endpoint) {
      CHECK(position[e.from] < position[e.to]);
    }
  }
  CHECK(g.reachable_from(0) == std::vector<VertexId>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
}

TEST_CASE("references the loader left unresolved are found by name or left out", "[graph]") {
  Model m;
  add_endpoint(m, "a.x", {call("b.y", 11), call("nowhere.z", 12), publish("nope", 13)}, 10);
  add_endpoint(m, "b.y", {cpu(21)}, 20);
  add_workload(m, "w", "a.x", 30);  // ids left unset on purpose
  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);

  CHECK(diagnostics.all().empty());
  CHECK(edge_texts(g) == std::vector<std::string>{"w -call-> a.x", "a.x -call-> b.y"});
}

TEST_CASE("a 1,000-service chain builds, acyclic, with one path through every service", "[graph]") {
  constexpr int services = 1000;
  Model m;
  for (int i = 0; i < services; ++i) {
    std::vector<Step> steps{cpu(1)};
    if (i + 1 < services) {
      steps.push_back(call("svc-" + std::to_string(i + 1) + ".handle", 2));
    }
    add_endpoint(m, "svc-" + std::to_string(i) + ".handle", std::move(steps), 10);
  }
  add_workload(m, "w", "svc-0.handle", 1);
  resolve(m);

  model::Diagnostics diagnostics;
  const auto g = build_graph(m, diagnostics);
  const auto paths = g.call_paths(0);
  const auto order = g.topological_order();

  CHECK(diagnostics.all().empty());
  CHECK(g.edges().size() == services);
  REQUIRE(paths.size() == 1);
  CHECK(paths[0].names.size() == services);
  REQUIRE(order.has_value());
  CHECK(order->size() == services);
}

}  // namespace
}  // namespace tailsim::graph
