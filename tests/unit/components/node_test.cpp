// Node CPU contention in whole simulations (SPEC.md "Node contention,
// neighbours, runtime pauses, memory"): pods on one node share its cores by
// their CPU requests, capped by their limits; neighbours take their part;
// placement spreads or packs.

#include <string>

#include <catch2/catch.hpp>

#include "support/simulate.hpp"
#include "tailsim/components/processor_sharing.hpp"

namespace stats = tailsim::stats;
using tailsim::testing::named;
using tailsim::testing::simulate_text;

namespace {

/// A saturated service: 16 workers, 10 ms of CPU per request, arrivals far
/// beyond what any node here can serve (the rest are rejected).
std::string saturated_service(const std::string& name, const std::string& pod_extra) {
  return "  " + name + ":\n    pod: {workers: 16, queue: 64, " + pod_extra +
         "}\n    endpoints:\n      work: [{cpu: 10ms}]\n";
}

std::string node_model(const std::string& cluster, const std::string& services,
                       const std::string& workloads) {
  return "version: 1\nsimulation: {duration: 100s, warmup: 10s, seed: 3}\ncluster: " + cluster +
         "\nservices:\n" + services + "workloads:\n" + workloads;
}

/// Cores a service used on average over the 100 s window.
double cores_used(const stats::Results& r, const std::string& service) {
  return named(r.services, service).busy_cpu_s / 100.0;
}

/// A run of `text` with tail attribution.
stats::Results attributed_run(const std::string& text) {
  tailsim::components::RunLimits limits;
  limits.attribution = true;
  return simulate_text(text, {}, limits);
}

/// The mean milliseconds tail attribution gives `what` in `path`'s
/// requests; no time may be unaccounted.
double mean_part_ms(const stats::PathResult& path, const std::string& what) {
  double ms = 0;
  for (const auto& part : path.attribution.mean.parts) {
    ms += part.what == what ? part.ms : 0.0;
    CHECK(part.what != "unaccounted");
  }
  return ms;
}

}  // namespace

TEST_CASE("a node's grant scales a CPU's progress", "[node]") {
  using namespace std::chrono_literals;
  const auto at = [](tailsim::Duration d) { return tailsim::Time{} + d; };
  tailsim::components::ProcessorSharing cpu(2.0);
  cpu.add(at(0ms), 10e6, 1);  // 10 ms of work
  CHECK(cpu.wanted_cores() == 1.0);
  cpu.set_speed(at(4ms), 0.5);  // 6 ms left, at half the pace
  CHECK(cpu.busy_cores() == 0.5);
  CHECK(cpu.wanted_cores() == 1.0);
  CHECK(cpu.is_held_back());
  CHECK_FALSE(cpu.is_stopped());
  REQUIRE(cpu.next_completion());
  CHECK(*cpu.next_completion() == at(16ms));
  cpu.set_speed(at(10ms), 1.0);  // 3 ms left
  CHECK_FALSE(cpu.is_held_back());
  CHECK(*cpu.next_completion() == at(13ms));
}

TEST_CASE("saturated pods share a node's cores by their requests", "[node]") {
  // Linux CFS group scheduling: requests 1 and 3 (cpu.weight), limits 4, on
  // a 4-core node, both always busy: 1 and 3 cores, so 100 and 300 requests
  // of 10 ms per second.
  const stats::Results r =
      simulate_text(node_model("{nodes: 1, node_cores: 4}",
                               saturated_service("small", "cpu: {request: 1, limit: 4}") +
                                   saturated_service("large", "cpu: {request: 3, limit: 4}"),
                               "  a: {entry: small.work, rate: 1000/s}\n"
                               "  b: {entry: large.work, rate: 1000/s}\n"));
  const double small = named(r.paths, "a").throughput_rps;
  const double large = named(r.paths, "b").throughput_rps;
  CHECK(large / small == Approx(3.0).epsilon(0.02));
  CHECK(cores_used(r, "small") == Approx(1.0).epsilon(0.01));
  CHECK(cores_used(r, "large") == Approx(3.0).epsilon(0.01));
  CHECK(r.cluster.node_utilization_mean == Approx(1.0).epsilon(0.01));
  // Each of small's 16 busy requests runs at 1/16 of a core where its pod's
  // 4 cores alone would give it 1/4: three quarters of its time lost to the
  // node, 12 request-seconds per second; large's lose a quarter, 4.
  CHECK(named(r.services, "small").has_contention);
  CHECK(named(r.services, "small").contention_s == Approx(1200.0).epsilon(0.01));
  CHECK(named(r.services, "large").contention_s == Approx(400.0).epsilon(0.01));
}

TEST_CASE("an idle pod's share goes to the busy one", "[node]") {
  const stats::Results r =
      simulate_text(node_model("{nodes: 1, node_cores: 4}",
                               saturated_service("small", "cpu: {request: 1, limit: 4}") +
                                   saturated_service("large", "cpu: {request: 3, limit: 4}"),
                               "  a: {entry: small.work, rate: 1000/s}\n"));
  CHECK(named(r.paths, "a").throughput_rps == Approx(400.0).epsilon(0.01));
  CHECK(cores_used(r, "small") == Approx(4.0).epsilon(0.01));
  CHECK(named(r.services, "small").contention_s == 0.0);
}

TEST_CASE("a limit caps a pod's share of an idle node", "[node]") {
  // Limit 2 of a 4-core node: the pod never takes more than 2 cores, and
  // with the node to itself it loses nothing to the node.
  const stats::Results r = simulate_text(
      node_model("{nodes: 1, node_cores: 4}",
                 saturated_service("api", "cpu: {request: 1, limit: 2, period: 100ms}"),
                 "  a: {entry: api.work, rate: 1000/s}\n"));
  CHECK(cores_used(r, "api") == Approx(2.0).epsilon(0.01));
  CHECK(named(r.services, "api").contention_s == 0.0);
}

TEST_CASE("pods slowed by their node are not throttled", "[node]") {
  // Two pods requesting 1 with limits of 2 on a 2-core node, both busy: the
  // node gives each 1 core, so neither spends its quota of 2 cores a period;
  // cpu.stat counts no throttled period and no throttled time.
  const stats::Results r = simulate_text(
      node_model("{nodes: 1, node_cores: 2}",
                 saturated_service("a", "cpu: {request: 1, limit: 2, period: 100ms}") +
                     saturated_service("b", "cpu: {request: 1, limit: 2, period: 100ms}"),
                 "  wa: {entry: a.work, rate: 1000/s}\n"
                 "  wb: {entry: b.work, rate: 1000/s}\n"));
  for (const char* name : {"a", "b"}) {
    const stats::ServiceResult& s = named(r.services, name);
    CHECK(s.cfs_periods > 1000);
    CHECK(s.cfs_throttled_periods == 0);
    CHECK(s.throttled_s == 0.0);
    CHECK(cores_used(r, name) == Approx(1.0).epsilon(0.01));
  }
}

TEST_CASE("neighbours of 2 cores halve a 4-core node for a pod requesting 2", "[node]") {
  const std::string pod = saturated_service("api", "cpu: {request: 2, limit: 4}");
  const std::string load = "  a: {entry: api.work, rate: 1000/s}\n";
  const stats::Results alone = simulate_text(node_model("{nodes: 1, node_cores: 4}", pod, load));
  const stats::Results crowded = simulate_text(
      node_model("{nodes: 1, node_cores: 4, neighbours: {cores: 2, every: 30s}}", pod, load));
  CHECK(named(alone.paths, "a").throughput_rps == Approx(400.0).epsilon(0.01));
  CHECK(named(crowded.paths, "a").throughput_rps == Approx(200.0).epsilon(0.01));
  CHECK(cores_used(crowded, "api") == Approx(2.0).epsilon(0.01));
  CHECK(crowded.cluster.node_utilization_mean == Approx(1.0).epsilon(0.01));
  CHECK(alone.cluster.node_utilization_mean == Approx(1.0).epsilon(0.01));
}

TEST_CASE("spread places pods on the emptiest node, pack on the fullest", "[node]") {
  // Two 4-core nodes, two saturated pods that each could use 4 cores: spread
  // (LeastAllocated) gives each a node, pack (MostAllocated) puts both on
  // the first, where they share its 4 cores.
  const std::string pods =
      "  api:\n    replicas: 2\n    pod: {workers: 16, queue: 64, cpu: "
      "{request: 1, limit: 4}}\n    endpoints:\n      work: [{cpu: 10ms}]\n";
  const std::string load = "  a: {entry: api.work, rate: 2000/s}\n";
  const stats::Results spread = simulate_text(node_model("{nodes: 2, node_cores: 4}", pods, load));
  const stats::Results pack =
      simulate_text(node_model("{nodes: 2, node_cores: 4, placement: pack}", pods, load));
  CHECK(named(spread.paths, "a").throughput_rps == Approx(800.0).epsilon(0.01));
  CHECK(named(pack.paths, "a").throughput_rps == Approx(400.0).epsilon(0.01));
  CHECK(spread.cluster.node_utilization_mean == Approx(1.0).epsilon(0.01));
  CHECK(pack.cluster.node_utilization_mean == Approx(0.5).epsilon(0.01));
}

TEST_CASE("attribution: a request slowed to half waits for node cores as long as it runs",
          "[node]") {
  // A 2-core node; the pod (1 core, request 1) and neighbours wanting 3
  // cores with weight 3 contend for it: the pod gets half a core. A request
  // alone needs 10 ms of CPU and takes 20 ms: 10 ms waiting for node cores.
  const stats::Results r = attributed_run(
      R"y(version: 1
simulation: {duration: 100s, warmup: 0s, seed: 5}
cluster: {nodes: 1, node_cores: 2, neighbours: {cores: 3, every: 10s}}
services:
  api:
    pod: {cpu: 1}
    endpoints:
      get: [{cpu: 10ms}]
workloads:
  main: {entry: api.get, rate: 2/s, arrivals: uniform}
)y");
  const stats::PathResult& main = named(r.paths, "main");
  CHECK(main.latency.mean() * 1e-6 == Approx(20.0).epsilon(1e-6));
  CHECK(mean_part_ms(main, "node_cores") == Approx(10.0).epsilon(1e-3));
  CHECK(mean_part_ms(main, "cpu") == Approx(10.0).epsilon(1e-3));
  CHECK(named(r.services, "api").contention_s ==
        Approx(0.010 * static_cast<double>(main.requests)).epsilon(1e-3));
  // The node is always full: the neighbours take both cores while the pod
  // is idle, 1.5 of them while it is busy.
  CHECK(r.cluster.node_utilization_mean == Approx(1.0).epsilon(1e-9));
}

TEST_CASE("models without a cluster report no contention", "[node]") {
  const stats::Results r = simulate_text(R"y(version: 1
simulation: {duration: 10s, warmup: 0s, seed: 5}
services:
  api:
    pod: {cpu: 1}
    endpoints:
      get: [{cpu: 10ms}]
workloads:
  main: {entry: api.get, rate: 20/s}
)y");
  CHECK_FALSE(named(r.services, "api").has_contention);
  CHECK_FALSE(r.cluster.is_modelled);
}

TEST_CASE("traces show the stretches a node slowed a request as spans", "[node]") {
  // A 1-core node, two pods requesting half of it; a's requests need 400 ms
  // of CPU, b's 100 ms. Both first arrive at 0 and share the core: b's ends
  // at 0.2 s, a's runs alone after and ends at 0.5 s. a's second arrives at
  // 0.8 s and runs alone until b's arrives at 1 s; then each gets half the
  // core: b's ends at 1.2 s, a's has 100 ms left and ends at 1.3 s. Each
  // request's slowed stretch is a span: a's ends when the node lets it run
  // at full speed again, b's when its CPU is done.
  tailsim::components::RunLimits limits;
  limits.traces = 10;
  const stats::Results r = simulate_text(R"y(version: 1
simulation: {duration: 1.5s, warmup: 0s, seed: 1}
cluster: {nodes: 1, node_cores: 1}
services:
  a: {pod: {cpu: {request: 0.5, limit: 1}}, endpoints: {get: [{cpu: 400ms}]}}
  b: {pod: {cpu: {request: 0.5, limit: 1}}, endpoints: {get: [{cpu: 100ms}]}}
workloads:
  wa: {entry: a.get, rate: 1.25/s, arrivals: uniform}
  wb: {entry: b.get, rate: 1/s, arrivals: uniform}
)y",
                                         {}, limits);
  REQUIRE(r.traces.size() == 4);  // every request
  for (const stats::Trace& trace : r.traces) {
    REQUIRE(trace.spans.size() >= 2);
    const stats::Span& server = trace.spans[1];
    const bool is_a = trace.path == "wa";
    const std::int64_t from = trace.request == 0 ? 0 : 1'000'000'000;
    CHECK(server.end_ns == from + (is_a ? 300'000'000 : 200'000'000) +
                               (trace.request == 0 && is_a ? 200'000'000 : 0));
    int slowed = 0;
    for (const stats::Span& span : trace.spans) {
      if (span.name == "waiting for node cores") {
        ++slowed;
        CHECK(span.kind == stats::SpanKind::internal);
        CHECK(span.parent_span_id == server.span_id);
        CHECK(span.start_ns == from);
        CHECK(span.end_ns == from + 200'000'000);
      }
    }
    CHECK(slowed == 1);
  }
}

TEST_CASE("attribution: a CPU batch slowed by its node waits for node cores", "[node]") {
  // Batches of one needing 10 ms of CPU on a 1-core node whose neighbours
  // want 1 core with the pod's weight: the pod gets half the core, and a
  // batch takes 20 ms, 10 of them waiting for node cores.
  const stats::Results r = attributed_run(
      R"y(version: 1
simulation: {duration: 100s, warmup: 0s, seed: 5}
cluster: {nodes: 1, node_cores: 1, neighbours: {cores: 1, every: 10s}}
services:
  model:
    pod: {cpu: 1}
    endpoints:
      infer: [{batch: {max: 1, wait: 0s, cpu: "10ms + 0ms*n"}}]
workloads:
  main: {entry: model.infer, rate: 2/s, arrivals: uniform}
)y");
  const stats::PathResult& main = named(r.paths, "main");
  CHECK(main.latency.mean() * 1e-6 == Approx(20.0).epsilon(1e-6));
  CHECK(mean_part_ms(main, "node_cores") == Approx(10.0).epsilon(1e-3));
}
