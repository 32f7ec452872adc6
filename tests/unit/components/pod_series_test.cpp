// Each pod's own series (docs/semantics.md, "Time series"): kept with a
// cluster, `memory` or `gc`, from the interval a pod was made in to the one
// it went in, and adding up to its node's and its service's series.

#include <map>
#include <string>

#include <catch2/catch.hpp>

#include "support/simulate.hpp"

namespace stats = tailsim::stats;
using tailsim::testing::series_named;
using tailsim::testing::simulate_text;

namespace {

std::string label(const stats::Series& series, const std::string& key) {
  for (const auto& [k, v] : series.labels) {
    if (k == key) {
      return v;
    }
  }
  return {};
}

}  // namespace

TEST_CASE("pods on a node: each one's cores, adding up to the node's", "[pod-series]") {
  // Requests 1 and 3 on a 4-core node, both saturated: 1 and 3 cores.
  const stats::Results r = simulate_text(R"y(version: 1
simulation: {duration: 20s, warmup: 2s, seed: 3, interval: 1s}
cluster: {nodes: 1, node_cores: 4}
services:
  small:
    pod: {workers: 16, queue: 64, cpu: {request: 1, limit: 4}}
    endpoints:
      work: [{cpu: 10ms}]
  large:
    pod: {workers: 16, queue: 64, cpu: {request: 3, limit: 4}}
    endpoints:
      work: [{cpu: 10ms}]
workloads:
  a: {entry: small.work, rate: 1000/s}
  b: {entry: large.work, rate: 1000/s}
)y");
  const auto& pods = r.timeseries.pods;
  const stats::Series& small = series_named(pods, "pod/small-0", "cores");
  const stats::Series& large = series_named(pods, "pod/large-0", "cores");
  const stats::Series& node = series_named(r.timeseries.series, "node/node-0", "pods_cores");
  REQUIRE(small.first == 0);
  REQUIRE(small.values.size() == node.values.size());
  REQUIRE(large.values.size() == node.values.size());
  for (std::size_t i = 1; i < 20; ++i) {  // the first interval fills the pods
    CHECK(small.values[i] == Approx(1.0).epsilon(0.02));
    CHECK(large.values[i] == Approx(3.0).epsilon(0.02));
  }
  const stats::Series& busy = series_named(r.timeseries.series, "node/node-0", "utilization");
  for (std::size_t i = 0; i < node.values.size(); ++i) {
    CHECK(small.values[i] + large.values[i] == Approx(node.values[i]).epsilon(1e-12));
    CHECK(busy.values[i] == Approx(node.values[i] / 4).epsilon(1e-12));  // no neighbours
  }
  CHECK(busy.values[10] == Approx(1.0).epsilon(1e-9));  // both pods saturated: the node full
  // Both on node 0, from the start: the node as a series and as a label.
  for (double at : series_named(pods, "pod/small-0", "node").values) {
    CHECK(at == 0.0);
  }
  CHECK(label(small, "node") == "node-0");
  CHECK(label(small, "service") == "small");
  // No memory and no GC: no such series.
  for (const stats::Series& series : pods) {
    CHECK(series.metric != "memory_bytes");
    CHECK(series.metric != "gc_pause_s");
  }
}

TEST_CASE("a pod's restarts and memory: its service's, for the service's only pod",
          "[pod-series]") {
  // memory_test's crash model: restarts at 3, 17, 40 and 83 s.
  const stats::Results r = simulate_text(R"y(version: 1
simulation: {duration: 100s, warmup: 0s, seed: 3, interval: 1s}
services:
  api:
    pod: {cpu: 1, memory: {request: 120Mi, limit: 130Mi, base: 100Mi, per_request: 10Mi}}
    endpoints:
      get: [{delay: 10s}]
workloads:
  main: {entry: api.get, rate: 1/s, arrivals: uniform}
)y");
  const auto& pods = r.timeseries.pods;
  const stats::Series& restarts = series_named(pods, "pod/api-0", "restarts");
  REQUIRE(restarts.values.size() == 100);
  for (std::size_t i = 0; i < 100; ++i) {
    const double expected =
        (i >= 3 ? 1 : 0) + (i >= 17 ? 1 : 0) + (i >= 40 ? 1 : 0) + (i >= 83 ? 1 : 0);
    CHECK(restarts.values[i] == expected);
  }
  CHECK(series_named(pods, "pod/api-0", "memory_bytes").values ==
        series_named(r.timeseries.series, "service/api", "memory_bytes").values);
  CHECK(label(restarts, "node").empty());  // no cluster: no node
  for (const stats::Series& series : pods) {
    CHECK(series.metric != "node");
  }
}

TEST_CASE("a pod killed and replaced: the old series ends, the new one starts then",
          "[pod-series]") {
  // Two pods pausing 100 ms every second (the pauses keep their series);
  // a kill at 5.5 s takes api-0, whose replacement api-2 is made at once.
  const stats::Results r = simulate_text(R"y(version: 1
simulation: {duration: 10s, warmup: 0s, seed: 7, interval: 1s}
services:
  api:
    replicas: 2
    pod: {cpu: 1, gc: {every: 1s, pause: 100ms}}
    endpoints:
      get: [{cpu: 1ms}]
workloads:
  main: {entry: api.get, rate: 5/s}
faults:
  - {at: 5500ms, kill: api, pods: 1}
)y");
  const auto& pods = r.timeseries.pods;
  std::map<std::string, const stats::Series*> paused;
  for (const stats::Series& series : pods) {
    if (series.metric == "gc_pause_s") {
      paused[series.entity] = &series;
    }
  }
  REQUIRE(paused.size() == 3);
  // Whichever of the first two the kill took, its series is the shorter.
  const bool first_killed = paused["pod/api-0"]->values.size() < 10;
  const stats::Series& killed = *paused[first_killed ? "pod/api-0" : "pod/api-1"];
  const stats::Series& survivor = *paused[first_killed ? "pod/api-1" : "pod/api-0"];
  const stats::Series& replacement = *paused["pod/api-2"];
  CHECK(survivor.first == 0);
  CHECK(survivor.values.size() == 10);
  CHECK(killed.first == 0);
  CHECK(killed.values.size() == 6);  // up to the interval it went in
  CHECK(replacement.first == 5);
  CHECK(replacement.values.size() == 5);
  // The survivor pauses 100 ms in each interval from the second on.
  for (std::size_t i = 1; i < 10; ++i) {
    CHECK(survivor.values[i] == Approx(0.1).epsilon(1e-9));
  }
  // Each interval's pauses of the pods are the service's.
  const stats::Series& service = series_named(r.timeseries.series, "service/api", "gc_pause_s");
  for (std::size_t i = 0; i < service.values.size(); ++i) {
    double sum = 0;
    for (const auto& [entity, series] : paused) {
      if (i >= series->first && i - series->first < series->values.size()) {
        sum += series->values[i - series->first];
      }
    }
    CHECK(sum == Approx(service.values[i]).margin(1e-12));
  }
}

TEST_CASE("a model without a cluster, memory or GC keeps no pod series", "[pod-series]") {
  const stats::Results r = simulate_text(R"y(version: 1
simulation: {duration: 5s, warmup: 0s, seed: 7, interval: 1s}
services:
  api:
    pod: {cpu: 1}
    endpoints:
      get: [{cpu: 1ms}]
workloads:
  main: {entry: api.get, rate: 5/s}
)y");
  CHECK(r.timeseries.pods.empty());
  CHECK_FALSE(r.timeseries.series.empty());
}
