// The autoscaler in the simulation: the metrics pipeline's lag, readiness
// probes, the scale-down window, termination with its grace period, the
// cluster's pending pods and KEDA's lag. The controller's arithmetic itself
// is tested in hpa_controller_test.cpp.

#include <catch2/catch.hpp>

#include "support/simulate.hpp"

namespace {

using tailsim::stats::Outcome;
using tailsim::stats::ScaleSample;
using tailsim::testing::named;
using tailsim::testing::simulate_text;

const tailsim::stats::AutoscalerResult& scaler(const tailsim::stats::Results& r) {
  REQUIRE(r.autoscalers.size() == 1);
  return r.autoscalers.front();
}

/// The first sync at or after `t` seconds.
const ScaleSample& sync_at(const tailsim::stats::AutoscalerResult& a, double t) {
  for (const auto& h : a.history) {
    if (h.t_s >= t - 1e-6) {
      return h;
    }
  }
  FAIL("no sync at or after " << t);
  return a.history.back();
}

// Two pods at exactly 50% of their CPU (uniform arrivals, constant work,
// round robin) until 100 s; then three times the traffic saturates them.
const std::string step = R"y(version: 1
simulation: {duration: 15m, warmup: 0s, seed: 11}
services:
  api:
    replicas: 2
    pod: {cpu: 1, startup: 25s}
    endpoints: {get: [{cpu: 10ms}]}
autoscalers:
  api: {service: api, metric: cpu, target: 50%, min: 2, max: 10,
        sync_period: 15s, metrics_lag: 15s, window: 15s}
workloads:
  w:
    entry: api.get
    arrivals: uniform
    schedule: [{at: 0s, rate: 100/s}, {at: 100s, rate: 300/s}, {at: 300s, rate: 100/s}]
)y";

}  // namespace

TEST_CASE("a traffic step is seen through the metrics lag and window, one sync at a time",
          "[autoscaling]") {
  const auto r = simulate_text(step);
  const auto& a = scaler(r);
  // A sync at T reads [T - 30 s, T - 15 s]. Utilization there is 50% + 50% x
  // (share of the window after the step): the integer percent leaves the
  // tolerance band (> 55%) once that share reaches 12%, at T = 116.8 s. A
  // window that reaches 1.5 s past the step (T = 116.5 s) is still inside.
  const ScaleSample* first_up = nullptr;
  for (const auto& h : a.history) {
    if (h.desired > 2) {
      first_up = &h;
      break;
    }
  }
  REQUIRE(first_up != nullptr);
  CHECK(first_up->t_s > 116.5);
  CHECK(first_up->t_s < 116.8 + 15.0);
  // Without behavior rules a sync may at most double (or reach 4).
  CHECK(first_up->desired <= 4);
  // New pods need 25 s, and the readiness probe (every 10 s from creation)
  // sees them at 30 s: not ready at the sync 15 s later, ready at 30 s.
  CHECK(sync_at(a, first_up->t_s + 15).ready == 2);
  CHECK(sync_at(a, first_up->t_s + 30).ready == static_cast<std::uint32_t>(first_up->desired));
  CHECK(a.scale_ups >= 1);
}

TEST_CASE("a scale-down waits out the 300 s stabilization window", "[autoscaling]") {
  const auto r = simulate_text(step);
  const auto& a = scaler(r);
  // Without behavior rules (Kubernetes' legacy path) the count is the
  // highest recommendation of the last 300 s, start included, whenever
  // that is below the current count.
  std::uint64_t held = 0;  // scale-downs the window delayed
  std::int32_t current = 2;
  for (std::size_t i = 0; i < a.history.size(); ++i) {
    const auto& h = a.history[i];
    std::int32_t highest = h.recommended;
    for (std::size_t j = 0; j <= i; ++j) {
      if (a.history[j].t_s >= h.t_s - 300.0 - 1e-6) {
        highest = std::max(highest, a.history[j].recommended);
      }
    }
    if (highest < current) {
      CHECK(h.desired == highest);
    } else if (h.desired <= current) {
      CHECK(h.desired == current);
      held += h.recommended < current ? 1 : 0;
    }
    current = h.desired;
  }
  // Traffic falls at 300 s; the replicas come down only 300 s after the last
  // high recommendation, and then straight to what 100 requests/s need.
  CHECK(held >= 15);  // at least 300 s of syncs that asked for fewer pods
  CHECK(a.scale_downs >= 1);
  CHECK(a.history.back().desired == 2);
  for (const auto& h : a.history) {
    if (h.t_s > 300 && h.t_s < 615) {
      CHECK(h.desired >= 6);  // what 300 requests/s at 50% of a core need
    }
  }
}

namespace {

// Three pods each hold about DELAY worth of requests (1/s each) when the
// autoscaler, asked for 100 requests/s per pod, takes them down to one at
// its first sync (no stabilization).
std::string holding(const std::string& delay) {
  return R"y(version: 1
simulation: {duration: 2m, warmup: 0s, seed: 2}
services:
  api:
    replicas: 3
    endpoints: {slow: [{delay: )y" +
         delay + R"y(}]}
autoscalers:
  api:
    service: api
    metric: rps
    target: 100
    max: 3
    scale_down: {stabilization: 0s, policies: [{percent: 100%, period: 15s}]}
workloads:
  w: {entry: api.slow, rate: 3/s, arrivals: uniform}
)y";
}

}  // namespace

TEST_CASE("a pod scaled down finishes what it holds within 30 s, then the rest fails",
          "[autoscaling]") {
  const auto quick = simulate_text(holding("20s"));
  const auto& qa = scaler(quick);
  REQUIRE(qa.scale_downs >= 1);
  CHECK(qa.history.back().ready == 1);
  // Requests of 20 s end within the grace period: nothing fails.
  const auto& qw = named(quick.paths, "w");
  CHECK(qw.outcomes[Outcome::error] == 0);
  CHECK(qw.outcomes[Outcome::ok] == qw.requests);

  const auto slow = simulate_text(holding("40s"));
  const auto& sw = named(slow.paths, "w");
  // Requests of 40 s on a removed pod that started less than 10 s before the
  // removal are still running when its 30 s are up: they fail with error,
  // at most 10 per removed pod.
  CHECK(sw.outcomes[Outcome::error] > 0);
  CHECK(sw.outcomes[Outcome::error] <= 2 * 10);
  CHECK(sw.outcomes[Outcome::timeout] + sw.outcomes[Outcome::rejected] +
            sw.outcomes[Outcome::unavailable] ==
        0);
}

TEST_CASE("a pod that fits no node waits until the cluster autoscaler adds one", "[autoscaling]") {
  // One node with room for two pods; the autoscaler's minimum of four moves
  // the deployment to four at its first sync.
  const auto r = simulate_text(R"y(version: 1
simulation: {duration: 5m, warmup: 0s, seed: 4}
cluster: {nodes: 1, node_cores: 2, provision: 90s, max_nodes: 3}
services:
  api:
    replicas: 2
    pod: {cpu: 1}
    endpoints: {get: [{cpu: 1ms}]}
autoscalers:
  api: {service: api, metric: cpu, target: 50%, min: 4, max: 4}
workloads:
  w: {entry: api.get, rate: 10/s}
)y");
  const auto& a = scaler(r);
  const ScaleSample& first = a.history.front();
  CHECK(first.desired == 4);
  CHECK(first.ready == 2);
  CHECK(first.starting == 2);  // pending: no node has room
  // One new node holds both; it joins 90 s later and the pods start at once.
  CHECK(r.cluster.nodes_added == 1);
  CHECK(r.cluster.nodes_max == 2);
  CHECK(r.cluster.pending_max == 2);
  CHECK(r.cluster.pending_pod_s == Approx(2 * 90.0).epsilon(1e-9));
  CHECK(sync_at(a, first.t_s + 75).ready == 2);
  CHECK(sync_at(a, first.t_s + 90).ready == 4);
}

TEST_CASE("KEDA's lag metric asks ceil(lag / threshold) replicas, at most the partitions",
          "[autoscaling]") {
  // 30 messages/s against one consumer pod that handles 10/s: the lag grows
  // without end. Lag per replica 10 would ask for ever more replicas; KEDA
  // caps the lag at partitions x threshold, so at most 4.
  const auto r = simulate_text(R"y(version: 1
simulation: {duration: 5m, warmup: 0s, seed: 5}
services:
  producer:
    endpoints: {send: [{publish: jobs}]}
  worker:
    replicas: 1
    pod: {cpu: 1, workers: 1}
    endpoints: {handle: [{cpu: 100ms}]}
queues:
  jobs: {consumer: worker.handle, partitions: 4}
autoscalers:
  worker: {service: worker, metric: queue_lag, queue: jobs, target: 10, max: 20}
workloads:
  w: {entry: producer.send, rate: 30/s}
)y");
  const auto& a = scaler(r);
  std::int32_t peak = 0;
  for (const auto& h : a.history) {
    peak = std::max(peak, h.desired);
    if (h.has_metric) {
      CHECK(h.metric <= 4 * 10);  // the capped lag
    }
  }
  CHECK(peak == 4);
  CHECK(a.scale_ups >= 1);
}

TEST_CASE("pods added by a scale-out start with empty pod caches", "[autoscaling]") {
  // Traffic quadruples at 60 s; the autoscaler (60 requests/s per pod) adds
  // three pods at its next sync. Each pod has its own cache: the new ones
  // start empty, so just after the scale-out most lookups miss, against a
  // deployment that had four warm pods all along.
  const std::string model = R"y(version: 1
simulation: {duration: 2m, warmup: 0s, seed: 8}
services:
  api:
    replicas: 1
    pod: {cpu: 4}
    endpoints:
      get:
        - cache: c
          miss: [{delay: 5ms}]
caches:
  c: {scope: pod, keys: 10000, popularity: zipf(1.0), capacity: 1000}
autoscalers:
  api: {service: api, metric: rps, target: 60, min: 1, max: 4}
workloads:
  w:
    entry: api.get
    schedule: [{at: 0s, rate: 50/s}, {at: 60s, rate: 200/s}]
)y";
  const auto full = simulate_text(model);
  double scaled_at = -1;
  for (const auto& h : scaler(full).history) {
    if (h.desired == 4) {
      scaled_at = h.t_s;
      break;
    }
  }
  REQUIRE(scaled_at > 60);
  const std::vector<std::string> just_after = {
      "simulation.warmup=" + std::to_string(scaled_at) + "s", "simulation.duration=2s"};
  const auto cold = simulate_text(model, just_after);
  auto warm_overrides = just_after;
  warm_overrides.push_back("services.api.replicas=4");
  warm_overrides.push_back("autoscalers.api.min=4");
  const auto warm = simulate_text(model, warm_overrides);
  const double cold_hits = named(cold.caches, "c").hit_ratio();
  const double warm_hits = named(warm.caches, "c").hit_ratio();
  INFO("hit ratio just after the scale-out " << cold_hits << ", warm pods " << warm_hits);
  // About 400 lookups in the 2 s: each ratio has a standard error near
  // 0.025. The gap expected is about 0.2 (new pods have seen ~100 lookups
  // of a 1,000-entry cache); asking half of it leaves 3 standard errors.
  CHECK(cold_hits < warm_hits - 0.1);
}

TEST_CASE("a scale-down removes pods that are not ready before ready ones", "[autoscaling]") {
  // A burst makes the autoscaler add pods that need a minute to start; the
  // burst is over before they are ready, and the scale-down (no
  // stabilization) takes those starting pods, never the two serving ones.
  const auto r = simulate_text(R"y(version: 1
simulation: {duration: 3m, warmup: 0s, seed: 3}
services:
  api:
    replicas: 2
    pod: {cpu: 2, startup: 60s}
    endpoints: {get: [{cpu: 1ms}]}
autoscalers:
  api:
    service: api
    metric: rps
    target: 50
    min: 2
    max: 10
    scale_down: {stabilization: 0s}
workloads:
  w:
    entry: api.get
    arrivals: uniform
    schedule: [{at: 0s, rate: 200/s}, {at: 30s, rate: 10/s}]
)y");
  const auto& a = scaler(r);
  bool scaled_up = false;
  bool scaled_down_while_starting = false;
  std::uint32_t starting_before = 0;
  for (const auto& h : a.history) {
    CHECK(h.ready >= 2);  // the serving pods stay
    if (h.desired > 2) {
      scaled_up = true;
    }
    if (scaled_up && h.t_s < 60 && h.starting < starting_before) {
      scaled_down_while_starting = true;
      CHECK(h.ready == 2);
    }
    starting_before = h.starting;
  }
  CHECK(scaled_up);
  CHECK(scaled_down_while_starting);
  CHECK(named(r.paths, "w").outcomes[Outcome::error] == 0);
}
