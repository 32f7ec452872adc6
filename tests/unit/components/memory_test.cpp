// Pod memory in whole simulations (SPEC.md "Node contention, neighbours,
// runtime pauses, memory": `pod.memory`, `cluster.node_memory`): OOM kills,
// CrashLoopBackOff and the kubelet's evictions, by construction.

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/simulate.hpp"

namespace stats = tailsim::stats;
using tailsim::Outcome;
using tailsim::testing::named;
using tailsim::testing::series_named;
using tailsim::testing::simulate_text;

namespace {

/// One pod of `api` with `memory` (none if empty) whose requests each wait
/// `hold` (no CPU), arrivals evenly spaced from time 0, 1 s time series.
std::string crash_model(const std::string& memory, const std::string& hold, const std::string& rate,
                        const std::string& duration) {
  return R"y(version: 1
simulation: {duration: )y" +
         duration + R"y(, warmup: 0s, seed: 3, interval: 1s}
services:
  api:
    pod: {cpu: 1)y" +
         (memory.empty() ? "" : ", memory: " + memory) + R"y(}
    endpoints:
      get: [{delay: )y" +
         hold + R"y(}]
workloads:
  main: {entry: api.get, rate: )y" +
         rate + ", arrivals: uniform}\n";
}

}  // namespace

TEST_CASE("the request that takes a pod over its limit has it OOMKilled, then CrashLoopBackOff",
          "[pod-memory]") {
  // base 100Mi + 10Mi per request held, limit 130Mi: the fourth request held
  // at once kills the pod. Requests hold 10 s; one arrives each second from 0.
  // Kills: at 3 s (arrivals 0-3 held); the restart is at once, and arrivals
  // 4, 5, 6 then 7 kill it again at 7 s; it restarts 10 s later at 17 s
  // (arrivals 8-16 find no pod), dies at 20 s, restarts 20 s later at 40 s,
  // dies at 43 s, restarts at 83 s, dies at 86 s (next restart at 166 s).
  const stats::Results r = simulate_text(crash_model(
      "{request: 120Mi, limit: 130Mi, base: 100Mi, per_request: 10Mi}", "10s", "1/s", "100s"));
  const stats::ServiceResult& api = named(r.services, "api");
  REQUIRE(api.has_memory);
  CHECK(api.oom_kills == 5);
  CHECK(api.restarts == 4);
  CHECK(api.evictions == 0);
  const stats::PathResult& main = named(r.paths, "main");
  CHECK(main.outcomes[Outcome::error] == 5 * 4);  // each kill fails the four requests held
  CHECK(main.outcomes[Outcome::unavailable] == 9 + 19 + 39 + 13);
  CHECK(main.outcomes[Outcome::ok] == 0);
  // The restarts so far at each interval's end: at 3, 17, 40 and 83 s.
  const stats::Series& restarts = series_named(r.timeseries.series, "service/api", "restarts");
  REQUIRE(restarts.values.size() == 100);
  for (std::size_t i = 0; i < 100; ++i) {
    const double expected =
        (i >= 3 ? 1 : 0) + (i >= 17 ? 1 : 0) + (i >= 40 ? 1 : 0) + (i >= 83 ? 1 : 0);
    CHECK(restarts.values[i] == expected);
  }
  // Memory in use at the interval's end: 100Mi + 10Mi x held, 0 while down.
  const stats::Series& in_use = series_named(r.timeseries.series, "service/api", "memory_bytes");
  constexpr double mi = 1 << 20;
  CHECK(in_use.values[0] == 110 * mi);  // the request of 0 s, held at 1 s
  CHECK(in_use.values[5] == 120 * mi);  // those of 4 and 5 s
  CHECK(in_use.values[10] == 0);        // waiting out its back-off
}

TEST_CASE("a container that dies at each start restarts at 0, 10, 30, 70, 150, 310, 610, 910 s",
          "[pod-memory]") {
  // Every request takes the pod over its limit (100Mi + 200Mi > 256Mi);
  // one arrives every millisecond from 0. The first kill, at 0, restarts at
  // once; the second, at 1 ms, waits 10 s, then 20, 40, 80, 160, 300 (the
  // cap) and 300 s: each restart meets an arrival at its own instant.
  const stats::Results r = simulate_text(crash_model(
      "{request: 128Mi, limit: 256Mi, base: 100Mi, per_request: 200Mi}", "1s", "1000/s", "1000s"));
  const stats::ServiceResult& api = named(r.services, "api");
  CHECK(api.oom_kills == 9);  // at 0, 0.001, then at each restart from 10.001 to 910.001 s
  CHECK(api.restarts == 8);
  CHECK(named(r.paths, "main").outcomes[Outcome::error] == 9);
  const std::vector<std::size_t> at = {0, 10, 30, 70, 150, 310, 610, 910};
  const stats::Series& restarts = series_named(r.timeseries.series, "service/api", "restarts");
  REQUIRE(restarts.values.size() == 1000);
  for (std::size_t i = 0; i < 1000; ++i) {
    double expected = 0;
    for (std::size_t t : at) {
      expected += i >= t ? 1 : 0;
    }
    CHECK(restarts.values[i] == expected);
  }
}

TEST_CASE("the back-off starts over after ten minutes without a kill", "[pod-memory]") {
  // As above, but arrivals stop from 20 s to 700 s: the kills at 0, 0.001
  // and 10.001 s (restarted at 0, 10.001 and 30.001 s), then none until
  // 700 s, more than 600 s after the back-off last advanced: that restart is
  // at once, and the next waits 10 s again.
  const stats::Results r = simulate_text(R"y(version: 1
simulation: {duration: 730s, warmup: 0s, seed: 3, interval: 1s}
services:
  api:
    pod: {cpu: 1, memory: {request: 128Mi, limit: 256Mi, base: 100Mi, per_request: 200Mi}}
    endpoints:
      get: [{delay: 1s}]
workloads:
  main:
    entry: api.get
    arrivals: uniform
    schedule:
      - {at: 0s, rate: 1000/s}
      - {at: 20s, rate: 0/s}
      - {at: 700s, rate: 1000/s}
)y");
  const stats::ServiceResult& api = named(r.services, "api");
  // Kills at 0, 0.001, 10.001, 700, 700.001 and 710.001 s; restarts at 0,
  // 10.001, 30.001, 700 and 710.001 s (the next one, at 730.001, is after the end).
  CHECK(api.oom_kills == 6);
  CHECK(api.restarts == 5);
  const stats::Series& restarts = series_named(r.timeseries.series, "service/api", "restarts");
  CHECK(restarts.values[699] == 3);
  CHECK(restarts.values[700] == 4);
  CHECK(restarts.values[709] == 4);
  CHECK(restarts.values[710] == 5);
}

TEST_CASE("the kubelet evicts the pod furthest above its memory request, and it is replaced",
          "[pod-memory]") {
  // One node of 4Gi (3.9Gi allocatable past the 100Mi hard threshold). A
  // Burstable pod requests 2Gi and uses 3.5Gi; a pod that requests nothing
  // uses 1Gi. Both are above their requests; the first is further above
  // (1.5Gi against 1Gi): it is evicted at each check, every 10 s, and its
  // replacement fits the node again.
  const stats::Results r = simulate_text(R"y(version: 1
simulation: {duration: 100s, warmup: 0s, seed: 3, interval: 1s}
cluster: {nodes: 1, node_cores: 8, node_memory: 4Gi}
services:
  burstable:
    pod: {cpu: 1, memory: {request: 2Gi, limit: 8Gi, base: 3.5Gi}}
    endpoints:
      get: [{delay: 1ms}]
  besteffort:
    pod: {cpu: 1, memory: {request: 0Mi, limit: 2Gi, base: 1Gi}}
    endpoints:
      get: [{delay: 1ms}]
workloads:
  a: {entry: burstable.get, rate: 10/s, arrivals: uniform}
  b: {entry: besteffort.get, rate: 10/s, arrivals: uniform}
)y");
  const stats::ServiceResult& burstable = named(r.services, "burstable");
  const stats::ServiceResult& besteffort = named(r.services, "besteffort");
  CHECK(burstable.evictions == 9);  // at 10, 20, ..., 90 s
  CHECK(besteffort.evictions == 0);
  CHECK(burstable.oom_kills == 0);
  // The replacement is ready at once (no startup), before the arrival of the
  // same instant: every request succeeds.
  CHECK(named(r.paths, "a").outcomes[Outcome::ok] == 1000);
  const stats::Series& evictions =
      series_named(r.timeseries.series, "service/burstable", "evictions");
  CHECK(evictions.values[9] == 0);
  CHECK(evictions.values[10] == 1);
  CHECK(evictions.values[95] == 9);
}

TEST_CASE("memory below the node's threshold evicts nothing; without memory nothing changes",
          "[pod-memory]") {
  const std::string plain =
      crash_model("{limit: 1Gi, base: 100Mi, per_request: 1Mi}", "10ms", "100/s", "60s");
  const stats::Results r = simulate_text(plain);
  CHECK(named(r.services, "api").oom_kills == 0);
  CHECK(named(r.paths, "main").outcomes[Outcome::ok] == 6000);
  const stats::Results none = simulate_text(crash_model("", "10ms", "100/s", "60s"));
  CHECK_FALSE(named(none.services, "api").has_memory);
  for (const stats::Series& series : none.timeseries.series) {
    CHECK(series.metric != "memory_bytes");
  }
}

TEST_CASE("a pod's memory request counts in whether it fits a node", "[pod-memory]") {
  // A 1Gi node allocates 924Mi (100Mi kept for the kubelet): two pods that
  // request 400Mi fit, a third waits, though the node has cores for all;
  // with room for a second node the cluster autoscaler adds one for it.
  const std::string model = R"y(version: 1
simulation: {duration: 300s, warmup: 0s, seed: 3}
cluster: {nodes: 1, node_cores: 8, node_memory: 1Gi, provision: 60s}
services:
  api:
    replicas: 3
    pod: {cpu: 1, memory: {request: 400Mi, limit: 500Mi, base: 100Mi}}
    endpoints:
      get: [{delay: 1ms}]
workloads:
  main: {entry: api.get, rate: 10/s}
)y";
  const stats::Results one_node = simulate_text(model);
  CHECK(named(one_node.services, "api").replicas.max == 2);
  const stats::Results can_grow = simulate_text(model, {"cluster.max_nodes=2"});
  CHECK(named(can_grow.services, "api").replicas.max == 3);
  CHECK(named(can_grow.services, "api").replicas.mean == Approx((2 * 60 + 3 * 240) / 300.0));
}

TEST_CASE("an OOMKilled container's cpu.stat stays counted after its restart", "[pod-memory]") {
  // As the first case (kills at 3, 7, 20, 43, 86 s; restarts at 3, 17, 40,
  // 83 s) with 50 ms of CPU first under a CFS quota of one core: each of the
  // 15 requests that started (0-2, 4-6, 17-19, 40-42, 83-85 s) works in one
  // period, over five containers.
  const stats::Results r = simulate_text(R"y(version: 1
simulation: {duration: 100s, warmup: 0s, seed: 3}
services:
  api:
    pod:
      cpu: {limit: 1, period: 100ms, node_cores: 1}
      memory: {request: 120Mi, limit: 130Mi, base: 100Mi, per_request: 10Mi}
    endpoints:
      get: [{cpu: 50ms}, {delay: 10s}]
workloads:
  main: {entry: api.get, rate: 1/s, arrivals: uniform}
)y");
  const stats::ServiceResult& api = named(r.services, "api");
  CHECK(api.oom_kills == 5);
  CHECK(api.cfs_periods == 15);
  CHECK(api.cfs_throttled_periods == 0);
}
