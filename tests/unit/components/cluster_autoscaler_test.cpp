// The cluster autoscaler's scale-down in whole simulations (SPEC.md "Node
// contention, neighbours, runtime pauses, memory": `cluster.scale_down`;
// docs/semantics.md, "Cluster scale-down"). Each case is known by
// construction: the nodes' requests are chosen so that placement by `pack`
// puts each pod on a known node, and the `cluster/nodes` series (1 s
// intervals) tells the second a node went.

#include <cmath>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

#include "support/simulate.hpp"

namespace stats = tailsim::stats;
using tailsim::testing::named;
using tailsim::testing::simulate_text;

namespace {

/// The `cluster/nodes` series.
const stats::Series& node_series(const stats::Results& r) {
  for (const stats::Series& series : r.timeseries.series) {
    if (series.entity == "cluster" && series.metric == "nodes") {
      return series;
    }
  }
  FAIL("no cluster/nodes series");
  return r.timeseries.series.front();
}

/// The first second, from `from` on, at which the cluster had `nodes`
/// nodes: values[i] is sampled at the end of [i, i + 1), so a removal at a
/// whole second t shows from values[t] on.
std::optional<double> first_second_with(const stats::Results& r, double nodes,
                                        std::size_t from = 0) {
  const stats::Series& series = node_series(r);
  for (std::size_t i = from; i < series.values.size(); ++i) {
    if (series.values[i] == nodes) {
      return static_cast<double>(i);
    }
  }
  return std::nullopt;
}

/// Two nodes of 4 cores. `big` (2 cores) and four `filler` pods (0.5 each)
/// fill node 0; `lone` (1.5 cores) has to go to node 1, whose utilization
/// is 1.5 / 4 = 0.375, under 50%. `filler_hpa`: an autoscaler held at one
/// pod moves filler to 1 at its first sync, which frees 1.5 cores on node 0
/// (then at 2.5 / 4 = 0.625, needed): from then on lone fits there.
/// `lone_delay`: each request to lone takes that long (none without).
std::string two_nodes(const std::string& scale_down, bool filler_hpa,
                      const std::string& lone_delay = "") {
  std::string model = R"y(version: 1
simulation: {duration: 30m, warmup: 0s, seed: 5, interval: 1s}
cluster: {nodes: 2, node_cores: 4, placement: pack, )y" +
                      scale_down +
                      R"y(}
services:
  big:
    pod: {cpu: 2}
    endpoints: {get: [{cpu: 1ms}]}
  filler:
    replicas: 4
    pod: {cpu: 0.5}
    endpoints: {get: [{cpu: 1ms}]}
  lone:
    pod: {cpu: 1.5, workers: 100}
    endpoints: {get: [{delay: )y" +
                      (lone_delay.empty() ? std::string("1ms") : lone_delay) + R"y(}]}
workloads:
  w: {entry: big.get, rate: 5/s}
)y";
  if (!lone_delay.empty()) {
    model += "  l: {entry: lone.get, rate: 1/s, arrivals: uniform}\n";
  }
  if (filler_hpa) {
    model +=
        "autoscalers:\n  filler: {service: filler, metric: cpu, target: 50%, min: 1, max: 1}\n";
  }
  return model;
}

/// When the filler autoscaler's first sync shrank filler (lone fits on
/// node 0 from then on), and the scan that first saw it: scans come every
/// 10 s from 0.
double first_scan_after_shrink(const stats::Results& r) {
  REQUIRE(r.autoscalers.size() == 1);
  const stats::ScaleSample& first = r.autoscalers.front().history.front();
  REQUIRE(first.desired == 1);
  return 10.0 * std::ceil(first.t_s / 10.0);
}

}  // namespace

TEST_CASE("a node at 37.5% of its CPU whose pods fit elsewhere goes 10 minutes after",
          "[cluster_autoscaler]") {
  // Reference (environment.md §7, CA): utilization 0.375 < 0.5, movable pods:
  // removed 10 min (+ at most one 10 s scan) after it became unneeded, here
  // when filler shrank at the autoscaler's first sync.
  const stats::Results r = simulate_text(two_nodes("scale_down: {}", /*filler_hpa=*/true));
  const double shrank = r.autoscalers.front().history.front().t_s;
  const auto removed = first_second_with(r, 1.0);
  REQUIRE(removed);
  // The first scan at or after the change starts the clock; 600 s later
  // the node is drained: lone's replacement goes to node 0, and lone, idle,
  // goes at once, and the node with it.
  CHECK(*removed == first_scan_after_shrink(r) + 600.0);
  CHECK(*removed >= shrank + 600.0);
  CHECK(*removed <= shrank + 610.0);
  CHECK(r.cluster.scales_down);
  CHECK(r.cluster.nodes_removed == 1);
  CHECK(r.cluster.nodes_min == 1);
  CHECK(r.cluster.nodes_max == 2);
  CHECK(r.cluster.nodes_added == 0);
  // lone was replaced, not lost: one ready pod at the end.
  const stats::Series* ready = nullptr;
  for (const stats::Series& series : r.timeseries.series) {
    if (series.entity == "service/lone" && series.metric == "replicas_ready") {
      ready = &series;
    }
  }
  REQUIRE(ready != nullptr);
  CHECK(ready->values.back() == 1.0);
  CHECK(named(r.services, "lone").replicas.max == 1.0);
}

TEST_CASE("a node whose pods fit nowhere else stays, however idle", "[cluster_autoscaler]") {
  // Without the autoscaler node 0 stays full: lone has nowhere to go, so
  // node 1 (at 0.375) is never unneeded.
  const stats::Results r = simulate_text(two_nodes("scale_down: {}", /*filler_hpa=*/false));
  CHECK_FALSE(first_second_with(r, 1.0));
  CHECK(r.cluster.nodes_removed == 0);
  CHECK(r.cluster.nodes_min == 2);
  // And with room for lone but a threshold of 30%, 0.375 is not under it.
  const stats::Results strict =
      simulate_text(two_nodes("scale_down: {utilization: 30%}", /*filler_hpa=*/true));
  CHECK(strict.cluster.nodes_removed == 0);
  CHECK(strict.cluster.nodes_min == 2);
}

TEST_CASE("no node goes within 10 minutes of a scale-up", "[cluster_autoscaler]") {
  // One node of 1 core, two pods of 1 core: the second is pending at 0 s and
  // a node is asked for. The autoscaler (held at one pod) deletes the
  // pending pod at its first sync, so the node that joins at 90 s stays
  // empty: unneeded from its first scan at 90 s, due at 150 s (unneeded:
  // 1m), but the scale-up at 0 s holds every removal back to 600 s.
  const std::string model = R"y(version: 1
simulation: {duration: 20m, warmup: 0s, seed: 3, interval: 1s}
cluster: {nodes: NODES, node_cores: 1, provision: 90s, max_nodes: 2,
          scale_down: {unneeded: 1m}}
services:
  api: {replicas: 2, pod: {cpu: 1}, endpoints: {get: [{cpu: 1ms}]}}
autoscalers:
  api: {service: api, metric: cpu, target: 50%, min: 1, max: 1}
workloads: {w: {entry: api.get, rate: 5/s}}
)y";
  auto with_nodes = [&](const std::string& nodes) {
    std::string text = model;
    text.replace(text.find("NODES"), 5, nodes);
    return simulate_text(text);
  };
  const stats::Results scaled_up = with_nodes("1");
  CHECK(scaled_up.cluster.nodes_added == 1);
  CHECK(scaled_up.cluster.nodes_removed == 1);
  CHECK(first_second_with(scaled_up, 2.0) == 90.0);
  CHECK(first_second_with(scaled_up, 1.0, 90) == 600.0);
  // Two nodes from the start and no scale-up: the second pod, on node 1, is
  // deleted at the first sync, and the empty node goes a minute after the
  // scan that first saw it empty.
  const stats::Results from_start = with_nodes("2");
  CHECK(from_start.cluster.nodes_added == 0);
  CHECK(from_start.cluster.nodes_removed == 1);
  CHECK(first_second_with(from_start, 1.0) == first_scan_after_shrink(from_start) + 60.0);
}

TEST_CASE("a drained node goes when its pods have finished their requests",
          "[cluster_autoscaler]") {
  // lone serves requests of 20 s, one a second: when its node is drained
  // it holds about 20. They finish within the 30 s grace period, none
  // fails, and the node goes with the last of them; the replacement on
  // node 0 serves what comes after.
  const stats::Results r =
      simulate_text(two_nodes("scale_down: {}", /*filler_hpa=*/true, /*lone_delay=*/"20s"));
  const double drained = first_scan_after_shrink(r) + 600.0;
  const auto removed = first_second_with(r, 1.0);
  REQUIRE(removed);
  CHECK(*removed > drained + 18.0);
  CHECK(*removed <= drained + 20.0);
  CHECK(named(r.paths, "l").outcomes[stats::Outcome::error] == 0);
  CHECK(r.cluster.nodes_removed == 1);
  // Requests of 40 s outlast the grace period: those still running 30 s
  // after the drain fail with `error`, and the node goes then.
  const stats::Results slow =
      simulate_text(two_nodes("scale_down: {}", /*filler_hpa=*/true, /*lone_delay=*/"40s"));
  const double slow_drained = first_scan_after_shrink(slow) + 600.0;
  CHECK(first_second_with(slow, 1.0) == slow_drained + 30.0);
  const auto failed = named(slow.paths, "l").outcomes[stats::Outcome::error];
  CHECK(failed >= 9);
  CHECK(failed <= 11);
}
