#include "tailsim/components/hpa_controller.hpp"

#include <algorithm>
#include <optional>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "support/time.hpp"

using tailsim::Duration;
using tailsim::Time;
using tailsim::components::HpaConfig;
using tailsim::components::HpaController;
using tailsim::components::HpaDecision;
using tailsim::components::HpaMetricKind;
using tailsim::components::HpaPod;
using tailsim::components::HpaPolicy;
using tailsim::components::HpaRules;
using tailsim::components::HpaSelect;
using tailsim::testing::at;
using namespace std::chrono_literals;

// Every expected count below is worked out by hand in the comment next to it,
// following kube-controller-manager's replica_calculator.go and horizontal.go.
// Metric values are read as Kubernetes quantities in milli-units; utilization
// is an integer percent.

namespace {

/// `n` ready pods, each reporting `value` (a Pods metric).
std::vector<HpaPod> reporting(int n, double value) {
  std::vector<HpaPod> pods(static_cast<std::size_t>(n));
  for (HpaPod& p : pods) {
    p.is_ready = true;
    p.usage = value;
  }
  return pods;
}

/// A Pods metric with an AverageValue target, on the legacy path.
HpaConfig pods_metric(double target, std::int32_t min, std::int32_t max) {
  HpaConfig c;
  c.kind = HpaMetricKind::pod_average;
  c.target = target;
  c.min_replicas = min;
  c.max_replicas = max;
  return c;
}

/// Cpu utilization against `target` (a fraction of the request), legacy path.
HpaConfig cpu_metric(double target, std::int32_t min, std::int32_t max) {
  HpaConfig c = pods_metric(target, min, max);
  c.kind = HpaMetricKind::utilization;
  return c;
}

/// A pod started an hour ago (its cpu initialisation long over), ready since
/// 10 s after its start, using `usage` cores of `request`; none: no sample.
HpaPod cpu_pod(std::optional<double> usage, double request = 1.0) {
  HpaPod p;
  p.is_ready = true;
  p.started = at(-1h);
  p.ready_changed = p.started + 10s;
  p.usage = usage;
  p.sample_time = at(-5s);
  p.sample_window = 15s;
  p.request = request;
  return p;
}

/// A pod not scheduled or not started yet.
HpaPod pending_pod(double request = 1.0) {
  HpaPod p;
  p.is_pending = true;
  p.request = request;
  return p;
}

/// Scaling rules with no stabilization window and defaults otherwise.
HpaRules no_window() {
  HpaRules r;
  r.stabilization = 0s;
  return r;
}

std::vector<HpaPod> cpu_pods(int n, double usage) {
  return std::vector<HpaPod>(static_cast<std::size_t>(n), cpu_pod(usage));
}

}  // namespace

TEST_CASE("legacy: a scale-up is limited to max(2 x current, 4) per sync, then to max", "[hpa]") {
  HpaController hpa(pods_metric(/*target=*/1.0, 1, 20));
  REQUIRE_FALSE(hpa.has_behavior());

  // t=0: one pod at 1000 -> ratio 1000/1 -> raw ceil(1000 x 1) = 1000;
  // limit max(2 x 1, 4) = 4.
  HpaDecision d = hpa.sync(at(0s), 1, reporting(1, 1000));
  CHECK(d.has_metric);
  CHECK(d.metric == 1000);
  CHECK(d.raw_recommendation == 1000);
  CHECK(d.desired == 4);
  CHECK(d.changed);
  // t=15: 4 pods at 1000 -> raw 4000; limit max(8, 4) = 8.
  CHECK(hpa.sync(at(15s), 4, reporting(4, 1000)).desired == 8);
  // t=16: the legacy limit has no memory of the last period: 8 -> max(16, 4) = 16.
  CHECK(hpa.sync(at(16s), 8, reporting(8, 1000)).desired == 16);
  // t=30: limit max(32, 4) = 32, but maxReplicas is 20.
  CHECK(hpa.sync(at(30s), 16, reporting(16, 1000)).desired == 20);
  // t=45: raw 20000, clamped to 20 = current: no change.
  d = hpa.sync(at(45s), 20, reporting(20, 1000));
  CHECK(d.desired == 20);
  CHECK_FALSE(d.changed);
  CHECK(hpa.scale_ups() == 4);
  CHECK(hpa.scale_downs() == 0);
}

TEST_CASE("behavior defaults: at most max(+4 pods, +100%) per 15 s period", "[hpa]") {
  HpaConfig c = pods_metric(/*target=*/1.0, 1, 100);
  c.scale_up = HpaRules{};  // behavior given: every field takes Kubernetes' default
  HpaController hpa(c);
  REQUIRE(hpa.has_behavior());

  // t=0: 2 pods at 1000 -> raw 2000. Scale-up window 0: nothing recent lowers
  // it. Period start 2: pods 2 + 4 = 6, percent ceil(2 x 2) = 4, Max -> 6.
  HpaDecision d = hpa.sync(at(0s), 2, reporting(2, 1000));
  CHECK(d.raw_recommendation == 2000);
  CHECK(d.desired == 6);
  // t=5: the +4 at t=0 is within (t-15, t]: period start 6 - 4 = 2 -> limit 6.
  d = hpa.sync(at(5s), 6, reporting(6, 1000));
  CHECK(d.desired == 6);
  CHECK_FALSE(d.changed);
  // t=15: the event at t=0 is exactly 15 s old, outside (0, 15]: period start 6
  // -> max(6 + 4, ceil(6 x 2)) = 12.
  CHECK(hpa.sync(at(15s), 6, reporting(6, 1000)).desired == 12);
  // t=20: the +6 at t=15 is in the period: start 12 - 6 = 6 -> limit 12.
  CHECK(hpa.sync(at(20s), 12, reporting(12, 1000)).desired == 12);
  // t=30: period start 12 -> max(16, 24) = 24.
  CHECK(hpa.sync(at(30s), 12, reporting(12, 1000)).desired == 24);
  CHECK(hpa.scale_ups() == 3);

  // From 1 the default behavior allows max(1 + 4, 2) = 5, where legacy allows 4.
  HpaController fresh(c);
  CHECK(fresh.sync(at(0s), 1, reporting(1, 1000)).desired == 5);
}

TEST_CASE("legacy: a load drop waits 300 s after the last high recommendation, then drops at once",
          "[hpa]") {
  HpaController hpa(pods_metric(/*target=*/1.0, 1, 20));
  // t=0: 4 pods at 2 -> ratio 2 -> raw 8; limit max(8, 4) = 8.
  CHECK(hpa.sync(at(0s), 4, reporting(4, 2.0)).desired == 8);
  // t=15: 8 pods at 1 -> ratio 1, within tolerance -> raw 8.
  CHECK(hpa.sync(at(15s), 8, reporting(8, 1.0)).raw_recommendation == 8);
  // t=30..315: 8 pods at 0.25 -> raw ceil(0.25 x 8) = 2, but the highest
  // recommendation of [t-300, t] is the 8 of t=15 (the legacy window includes
  // its start, so t=315 still sees it).
  for (auto t = 30s; t <= 315s; t += 15s) {
    const HpaDecision d = hpa.sync(at(t), 8, reporting(8, 0.25));
    CHECK(d.raw_recommendation == 2);
    CHECK(d.desired == 8);
  }
  // t=330: every 8 is older than 300 s -> max of the 2s = 2, in one step.
  CHECK(hpa.sync(at(330s), 8, reporting(8, 0.25)).desired == 2);
  CHECK(hpa.scale_downs() == 1);
}

TEST_CASE("legacy: the count at the first sync holds a scale-down for 300 s", "[hpa]") {
  // The controller records the current count as a recommendation when it
  // first sees the HPA, so a restart does not scale down at once.
  HpaController hpa(pods_metric(/*target=*/1.0, 1, 20));
  for (auto t = 0s; t <= 300s; t += 15s) {
    // 10 pods at 0.2 -> raw ceil(0.2 x 10) = 2; the 10 of t=0 is in [t-300, t].
    const HpaDecision d = hpa.sync(at(t), 10, reporting(10, 0.2));
    CHECK(d.raw_recommendation == 2);
    CHECK(d.desired == 10);
  }
  CHECK(hpa.sync(at(315s), 10, reporting(10, 0.2)).desired == 2);
}

TEST_CASE("behavior: the scale-down window excludes its start, then the policy paces the drop",
          "[hpa]") {
  SECTION("default scale-down rules: 300 s window, 100% per 15 s") {
    HpaConfig c = pods_metric(/*target=*/1.0, 1, 20);
    c.scale_down = HpaRules{};
    HpaController hpa(c);
    // t=0: raw 8; default scale-up from period start 4: max(8, 8) = 8.
    CHECK(hpa.sync(at(0s), 4, reporting(4, 2.0)).desired == 8);
    CHECK(hpa.sync(at(15s), 8, reporting(8, 1.0)).desired == 8);
    // t=30..300: raw 2; the highest recommendation of (t-300, t] is 8.
    for (auto t = 30s; t <= 300s; t += 15s) {
      CHECK(hpa.sync(at(t), 8, reporting(8, 0.25)).desired == 8);
    }
    // t=315: the 8 of t=15 is exactly 300 s old, outside (15, 315]: the window
    // gives 2. Policy: period start 8 -> int32(8 x (1 - 1.0)) = 0 -> floor
    // max(minReplicas 1, 0) = 1 -> 2.
    CHECK(hpa.sync(at(315s), 8, reporting(8, 0.25)).desired == 2);
  }
  SECTION("a 50% per 15 s scale-down policy halves the count each period") {
    HpaConfig c = pods_metric(/*target=*/1.0, 1, 20);
    c.scale_down = HpaRules{};
    c.scale_down->policies = {HpaPolicy{/*is_percent=*/true, 0.5, 15s}};
    HpaController hpa(c);
    CHECK(hpa.sync(at(0s), 4, reporting(4, 2.0)).desired == 8);
    CHECK(hpa.sync(at(15s), 8, reporting(8, 1.0)).desired == 8);
    for (auto t = 30s; t <= 300s; t += 15s) {
      CHECK(hpa.sync(at(t), 8, reporting(8, 0.25)).desired == 8);
    }
    // t=315: stabilized 2; limit int32(8 x 0.5) = 4 -> 4.
    CHECK(hpa.sync(at(315s), 8, reporting(8, 0.25)).desired == 4);
    // t=330: 4 pods at 0.5 -> raw ceil(0.5 x 4) = 2. The -4 of t=315 is exactly
    // 15 s old, outside the period: start 4 -> int32(4 x 0.5) = 2 -> 2.
    CHECK(hpa.sync(at(330s), 4, reporting(4, 0.5)).desired == 2);
    CHECK(hpa.scale_downs() == 2);
  }
}

TEST_CASE("the tolerance band keeps the current count within [0.9, 1.1]", "[hpa]") {
  // 10 pods against a target of 100 per pod: ratio = value / 100.
  const HpaConfig c = pods_metric(/*target=*/100, 1, 50);
  auto sync_at = [&](double per_pod) {
    HpaController hpa(c);
    return hpa.sync(at(0s), 10, reporting(10, per_pod));
  };
  // 1.09 and 0.91: within tolerance -> the current 10.
  CHECK(sync_at(109).raw_recommendation == 10);
  CHECK(sync_at(109).metric == 109);
  CHECK(sync_at(91).raw_recommendation == 10);
  // 1.10 exactly: Kubernetes tests 1 - 0.1 <= ratio <= 1 + 0.1, bounds included.
  CHECK(sync_at(110).raw_recommendation == 10);
  // 1.11: ceil(1.11 x 10) = 12, within the legacy limit max(20, 4).
  const HpaDecision up = sync_at(111);
  CHECK(up.raw_recommendation == 12);
  CHECK(up.desired == 12);
  // 0.89: ceil(0.89 x 10) = 9, held at 10 by the recommendation of the first sync.
  const HpaDecision down = sync_at(89);
  CHECK(down.raw_recommendation == 9);
  CHECK(down.desired == 10);

  SECTION("a behavior's own scale-up tolerance narrows the band upwards only") {
    HpaConfig narrow = c;
    narrow.scale_up = HpaRules{};
    narrow.scale_up->tolerance = 0.05;
    HpaController hpa(narrow);
    // 1.09 > 1.05: ceil(1.09 x 10) = 11 (limit max(14, 20)).
    CHECK(hpa.sync(at(0s), 10, reporting(10, 109)).desired == 11);
    HpaController other(narrow);
    // 0.91 >= 1 - 0.1: the scale-down tolerance is still the flag's.
    CHECK(other.sync(at(0s), 10, reporting(10, 91)).raw_recommendation == 10);
  }
}

TEST_CASE("utilization is an integer percent of summed milli-units, and truncation decides",
          "[hpa]") {
  SECTION("target 60%, 0.6049 of the request") {
    // 0.6049 cores reads as 605m; 100 x 6050 / 10000 = 60.5 -> 60% -> ratio 1.
    HpaController hpa(cpu_metric(/*target=*/0.6, 1, 50));
    const HpaDecision d = hpa.sync(at(0s), 10, cpu_pods(10, 0.6049));
    CHECK(d.metric == 60);
    CHECK(d.raw_recommendation == 10);
  }
  SECTION("target 65%: 71.9% truncates to 71% and stays inside the band") {
    // 719m each: 100 x 7190 / 10000 = 71.9 -> 71%; 71 / 65 = 1.092 <= 1.1 -> 10.
    // (71.9 / 65 = 1.106 would have scaled to ceil(11.06) = 12.)
    HpaController hpa(cpu_metric(/*target=*/0.65, 1, 50));
    const HpaDecision d = hpa.sync(at(0s), 10, cpu_pods(10, 0.719));
    CHECK(d.metric == 71);
    CHECK(d.raw_recommendation == 10);
    CHECK_FALSE(d.changed);
  }
  SECTION("target 65%: 0.7191 cores reads as 720m, 72%, and scales") {
    // 72 / 65 = 1.1077 -> ceil(11.077) = 12.
    HpaController hpa(cpu_metric(/*target=*/0.65, 1, 50));
    const HpaDecision d = hpa.sync(at(0s), 10, cpu_pods(10, 0.7191));
    CHECK(d.metric == 72);
    CHECK(d.desired == 12);
  }
  SECTION("target 65%: 58.5% truncates to 58% and leaves the band downwards") {
    // 585m each: 58.5 -> 58%; 58 / 65 = 0.892 < 0.9 -> ceil(8.92) = 9.
    // (58.5 / 65 = 0.9 would have been within tolerance.)
    HpaController hpa(cpu_metric(/*target=*/0.65, 1, 50));
    CHECK(hpa.sync(at(0s), 10, cpu_pods(10, 0.585)).raw_recommendation == 9);
  }
}

TEST_CASE("pods not ready count as using nothing when scaling up", "[hpa]") {
  SECTION("a pending pod lowers the scale-up") {
    // Target 50%. 3 ready pods at 1.0 of 1.0, 1 pending: 3000 / 3000 = 100% ->
    // ratio 2. Re-computed with the pending pod at 0: 3000 / 4000 = 75% -> 1.5
    // -> ceil(1.5 x 4) = 6, where the documented ceil(4 x 2) would give 8.
    HpaController hpa(cpu_metric(/*target=*/0.5, 1, 50));
    std::vector<HpaPod> pods = cpu_pods(3, 1.0);
    pods.push_back(pending_pod());
    const HpaDecision d = hpa.sync(at(0s), 4, pods);
    CHECK(d.metric == 100);
    CHECK(d.raw_recommendation == 6);
    CHECK(d.desired == 6);
  }
  SECTION("pods not ready pull a scale-up back into the tolerance band") {
    // Target 50%. 7 ready at 0.75 -> 5250m / 7000m = 75% -> 1.5; with 3 pending
    // at 0: 5250 / 10000 = 52.5 -> 52% -> 1.04, within -> keep 10. Counting
    // only the ready pods would give ceil(1.5 x 7) = 11.
    HpaController hpa(cpu_metric(/*target=*/0.5, 1, 50));
    std::vector<HpaPod> pods = cpu_pods(7, 0.75);
    for (int i = 0; i < 3; ++i) {
      pods.push_back(pending_pod());
    }
    const HpaDecision d = hpa.sync(at(0s), 10, pods);
    CHECK(d.metric == 75);
    CHECK(d.raw_recommendation == 10);
  }
  SECTION("when the re-computation flips the direction, the count stays") {
    // 2 ready at 0.8 -> 80% -> 1.6; with 2 pending at 0: 1600 / 4000 = 40% ->
    // 0.8 < 1 while 1.6 > 1 -> keep 4.
    HpaController hpa(cpu_metric(/*target=*/0.5, 1, 50));
    std::vector<HpaPod> pods = cpu_pods(2, 0.8);
    pods.push_back(pending_pod());
    pods.push_back(pending_pod());
    const HpaDecision d = hpa.sync(at(0s), 4, pods);
    CHECK(d.raw_recommendation == 4);
    CHECK_FALSE(d.changed);
  }
  SECTION("pending pods are left out of a scale-down, unlike missing ones") {
    // 2 at 0.1 -> 10% -> 0.2; no missing pod and not scaling up, so the 2
    // pending ones are simply left out: ceil(0.2 x 2) = 1. (Missing pods would
    // have counted at 100%: 55% -> 1.1, within -> 4.)
    HpaController hpa(cpu_metric(/*target=*/0.5, 1, 50));
    std::vector<HpaPod> pods = cpu_pods(2, 0.1);
    pods.push_back(pending_pod());
    pods.push_back(pending_pod());
    CHECK(hpa.sync(at(0s), 4, pods).raw_recommendation == 1);
  }
  SECTION("a pod that is not ready counts as nothing for a Pods metric too") {
    // Target 1 per pod. 2 ready at 3, 2 pending: mean 3 -> ratio 3; with the
    // pending pods at 0: 6 / 4 = 1.5 -> ceil(1.5 x 4) = 6.
    HpaController hpa(pods_metric(/*target=*/1.0, 1, 50));
    std::vector<HpaPod> pods = reporting(2, 3.0);
    pods.push_back(pending_pod());
    pods.push_back(pending_pod());
    CHECK(hpa.sync(at(0s), 4, pods).raw_recommendation == 6);
  }
}

TEST_CASE("cpu samples count only once the pod is ready and sampled after readiness", "[hpa]") {
  const Time now = at(10min);
  auto pod = [&](Duration age, bool is_ready, Duration ready_for, double usage) {
    HpaPod p;
    p.started = now - age;
    p.is_ready = is_ready;
    p.ready_changed = now - ready_for;
    p.usage = usage;
    p.sample_time = now - 10s;
    p.sample_window = 15s;
    p.request = 1.0;
    return p;
  };
  const std::vector<HpaPod> pods = {
      // Started 2 min ago (within the 5 min initialisation), ready for 100 s,
      // sampled 10 s ago over 15 s: the window began after readiness -> counted.
      pod(2min, /*is_ready=*/true, 100s, 1.0),
      // Ready for 20 s only: the sample's window began before readiness -> not.
      pod(1min, /*is_ready=*/true, 20s, 1.0),
      // Initialising and not ready -> not.
      pod(1min, /*is_ready=*/false, 50s, 1.0),
      // Started 1 h ago, not ready, last transition 10 s after the start
      // (inside the 30 s initial readiness delay): never ready -> not.
      pod(1h, /*is_ready=*/false, 1h - 10s, 1.0),
      // Started 1 h ago, became not ready 5 min ago after being ready -> counted.
      pod(1h, /*is_ready=*/false, 5min, 0.5),
  };
  // Target 20%. Counted: 1000m + 500m of 2000m -> 75% -> ratio 3.75. Three
  // pods not ready, scaling up: (1500 + 0 x 3) / 5000 = 30% -> 1.5 ->
  // ceil(1.5 x 5) = 8.
  HpaController hpa(cpu_metric(/*target=*/0.2, 1, 50));
  const HpaDecision d = hpa.sync(now, 5, pods);
  CHECK(d.metric == 75);
  CHECK(d.raw_recommendation == 8);
}

TEST_CASE("pods without a sample count as the target when scaling down, nothing when up", "[hpa]") {
  SECTION("missing pods at 100% of their request keep a scale-down in the band") {
    // Target 50%. 2 pods at 0.1 -> 10% -> 0.2; the 2 missing at 100%:
    // (200 + 2000) / 4000 = 55% -> 1.1, within -> keep 4 (not ceil(0.2 x 2) = 1).
    HpaController hpa(cpu_metric(/*target=*/0.5, 1, 50));
    std::vector<HpaPod> pods = cpu_pods(2, 0.1);
    pods.push_back(cpu_pod(std::nullopt));
    pods.push_back(cpu_pod(std::nullopt));
    CHECK(hpa.sync(at(0s), 4, pods).raw_recommendation == 4);
  }
  SECTION("when missing pods flip a scale-down into a scale-up, the count stays") {
    // Target 50%. 2 pods at 0.4 -> 40% -> 0.8; the 2 missing at 100%:
    // (800 + 2000) / 4000 = 70% -> 1.4 > 1 -> keep 4 (not ceil(0.8 x 2) = 2).
    HpaController hpa(cpu_metric(/*target=*/0.5, 1, 50));
    std::vector<HpaPod> pods = cpu_pods(2, 0.4);
    pods.push_back(cpu_pod(std::nullopt));
    pods.push_back(cpu_pod(std::nullopt));
    CHECK(hpa.sync(at(0s), 4, pods).raw_recommendation == 4);
  }
  SECTION("one missing pod softens a scale-down") {
    // 3 at 0.1, 1 missing at 100%: (300 + 1000) / 4000 = 32.5 -> 32% -> 0.64
    // -> ceil(0.64 x 4) = 3.
    HpaController hpa(cpu_metric(/*target=*/0.5, 1, 50));
    std::vector<HpaPod> pods = cpu_pods(3, 0.1);
    pods.push_back(cpu_pod(std::nullopt));
    CHECK(hpa.sync(at(0s), 4, pods).raw_recommendation == 3);
  }
  SECTION("a missing pod counts as nothing on a scale-up") {
    // 3 at 1.0 -> 100% -> 2; the missing one at 0: 3000 / 4000 = 75% -> 1.5 -> 6.
    HpaController hpa(cpu_metric(/*target=*/0.5, 1, 50));
    std::vector<HpaPod> pods = cpu_pods(3, 1.0);
    pods.push_back(cpu_pod(std::nullopt));
    CHECK(hpa.sync(at(0s), 4, pods).raw_recommendation == 6);
  }
  SECTION("missing pods at 0 pull a scale-up back into the tolerance band") {
    // 7 at 0.75 -> 75% -> 1.5; 3 missing at 0: 5250 / 10000 = 52% -> 1.04,
    // within -> keep 10 (only the 7 sampled would give ceil(1.5 x 7) = 11).
    HpaController hpa(cpu_metric(/*target=*/0.5, 1, 50));
    std::vector<HpaPod> pods = cpu_pods(7, 0.75);
    for (int i = 0; i < 3; ++i) {
      pods.push_back(cpu_pod(std::nullopt));
    }
    CHECK(hpa.sync(at(0s), 10, pods).raw_recommendation == 10);
  }
  SECTION("a Pods metric fills a missing pod with the target value") {
    // Target 10. 3 pods at 2 -> mean 2 -> 0.2; the missing one at 10:
    // (6 + 10) / 4 = 4 -> 0.4 -> ceil(0.4 x 4) = 2.
    HpaController hpa(pods_metric(/*target=*/10, 1, 50));
    std::vector<HpaPod> pods = reporting(3, 2.0);
    pods.push_back(HpaPod{});
    CHECK(hpa.sync(at(0s), 4, pods).raw_recommendation == 2);
  }
  SECTION("a re-computed count that reverses the direction keeps the current count") {
    // Target 1, current 1. One pod at 0.5 -> 0.5; the missing one at 1:
    // (0.5 + 1) / 2 = 0.75 -> ceil(0.75 x 2) = 2 > 1 on a scale-down -> keep 1.
    HpaController hpa(pods_metric(/*target=*/1.0, 1, 50));
    std::vector<HpaPod> pods = reporting(1, 0.5);
    pods.push_back(HpaPod{});
    CHECK(hpa.sync(at(0s), 1, pods).raw_recommendation == 1);
  }
  SECTION("no counted pod at all: the metric fails and nothing changes") {
    HpaController hpa(cpu_metric(/*target=*/0.5, 1, 50));
    const std::vector<HpaPod> pods = {pending_pod(), cpu_pod(std::nullopt)};
    HpaDecision d = hpa.sync(at(0s), 4, pods);
    CHECK_FALSE(d.has_metric);
    CHECK(d.desired == 4);
    CHECK_FALSE(d.changed);
    d = hpa.sync(at(15s), 4, {});
    CHECK_FALSE(d.has_metric);
    CHECK(d.desired == 4);
  }
}

TEST_CASE("KEDA's lag: an External AverageValue target asks ceil(lag / threshold)", "[hpa]") {
  HpaConfig c;
  c.kind = HpaMetricKind::external_average;
  c.target = 10;  // lagThreshold
  c.min_replicas = 1;
  c.max_replicas = 20;

  SECTION("legacy path") {
    HpaController hpa(c);
    // t=0: lag 95, 2 pods: 95 / (10 x 2) = 4.75 -> raw ceil(95 / 10) = 10;
    // legacy limit max(2 x 2, 4) = 4. Reported: ceil(95000m / 2) = 47.5 per pod.
    HpaDecision d = hpa.sync(at(0s), 2, reporting(2, 0), 95);
    CHECK(d.raw_recommendation == 10);
    CHECK(d.metric == 47.5);
    CHECK(d.desired == 4);
    // t=15: 95 / 40 = 2.375 -> 10; limit 8.
    CHECK(hpa.sync(at(15s), 4, reporting(4, 0), 95).desired == 8);
    // t=30: 95 / 80 = 1.19 -> 10; limit 16 -> 10.
    CHECK(hpa.sync(at(30s), 8, reporting(8, 0), 95).desired == 10);
    // t=45: 95 / 100 = 0.95, within -> status.replicas = 10.
    d = hpa.sync(at(45s), 10, reporting(10, 0), 95);
    CHECK(d.desired == 10);
    CHECK_FALSE(d.changed);
  }
  SECTION("default behavior") {
    c.scale_up = HpaRules{};
    HpaController hpa(c);
    // t=0: raw 10; from 2: max(2 + 4, 2 x 2) = 6.
    CHECK(hpa.sync(at(0s), 2, reporting(2, 0), 95).desired == 6);
    // t=15: 95 / 60 = 1.58 -> 10; period start 6 -> max(10, 12) -> 10.
    CHECK(hpa.sync(at(15s), 6, reporting(6, 0), 95).desired == 10);
  }
  SECTION("tolerance is tested against the pods that exist") {
    HpaController hpa(c);
    // lag 21, 2 pods: 21 / 20 = 1.05 -> within -> 2.
    CHECK(hpa.sync(at(0s), 2, reporting(2, 0), 21).raw_recommendation == 2);
    // Spec 3 with only 2 pods yet: 21 / 20 is within, and Kubernetes then
    // proposes status.replicas = 2; the first sync's 3 holds the count.
    HpaController other(c);
    const HpaDecision d = other.sync(at(0s), 3, reporting(2, 0), 21);
    CHECK(d.raw_recommendation == 2);
    CHECK(d.desired == 3);
  }
}

TEST_CASE("an External Value target multiplies the ratio by the ready pods", "[hpa]") {
  HpaConfig c;
  c.kind = HpaMetricKind::external_value;
  c.target = 10;  // e.g. seconds of the oldest message
  c.min_replicas = 1;
  c.max_replicas = 20;
  std::vector<HpaPod> pods = reporting(3, 0);
  pods.push_back(pending_pod());
  // 30 / 10 = 3 -> ceil(3 x 3 ready) = 9 (legacy limit max(8, 4) = 8).
  HpaController hpa(c);
  const HpaDecision d = hpa.sync(at(0s), 4, pods, 30);
  CHECK(d.raw_recommendation == 9);
  CHECK(d.metric == 30);
  CHECK(d.desired == 8);
  // 10.5 / 10 = 1.05 -> within -> the current 4.
  HpaController other(c);
  CHECK(other.sync(at(0s), 4, pods, 10.5).raw_recommendation == 4);
}

TEST_CASE("selectPolicy Min takes the smallest change, Disabled forbids the direction", "[hpa]") {
  SECTION("scale-up Min of {4 pods, 100%} per 15 s") {
    HpaConfig c = pods_metric(/*target=*/1.0, 1, 100);
    c.scale_up = HpaRules{};
    c.scale_up->select = HpaSelect::min;
    HpaController hpa(c);
    // From 2: min(2 + 4, 2 x 2) = 4; from 4: min(8, 8) = 8; from 8: min(12, 16) = 12.
    CHECK(hpa.sync(at(0s), 2, reporting(2, 1000)).desired == 4);
    CHECK(hpa.sync(at(15s), 4, reporting(4, 1000)).desired == 8);
    CHECK(hpa.sync(at(30s), 8, reporting(8, 1000)).desired == 12);
  }
  SECTION("scale-up Disabled") {
    HpaConfig c = pods_metric(/*target=*/1.0, 1, 100);
    c.scale_up = HpaRules{};
    c.scale_up->select = HpaSelect::disabled;
    HpaController hpa(c);
    const HpaDecision d = hpa.sync(at(0s), 2, reporting(2, 1000));
    CHECK(d.raw_recommendation == 2000);
    CHECK(d.desired == 2);
    CHECK_FALSE(d.changed);
    CHECK(hpa.scale_ups() == 0);
  }
  SECTION("scale-down Disabled") {
    HpaConfig c = pods_metric(/*target=*/1.0, 1, 100);
    c.scale_down = no_window();
    c.scale_down->select = HpaSelect::disabled;
    HpaController hpa(c);
    for (auto t = 0s; t <= 600s; t += 15s) {
      CHECK(hpa.sync(at(t), 10, reporting(10, 0.05)).desired == 10);
    }
  }
  // Scale-down policies {2 pods, 50%} per 60 s, no window. 9 pods at 0.05 ->
  // ceil(0.05 x 9) = 1. Proposals from 9: 9 - 2 = 7 and int32(9 x 0.5) = 4
  // (truncated, not rounded up).
  HpaConfig down = pods_metric(/*target=*/1.0, 1, 100);
  down.scale_down = no_window();
  down.scale_down->policies = {HpaPolicy{/*is_percent=*/false, 2, 60s},
                               HpaPolicy{/*is_percent=*/true, 0.5, 60s}};
  SECTION("scale-down Max: the largest change, to 4") {
    HpaController hpa(down);
    CHECK(hpa.sync(at(0s), 9, reporting(9, 0.05)).desired == 4);
  }
  SECTION("scale-down Min: the smallest change, to 7, then 5 a period later") {
    down.scale_down->select = HpaSelect::min;
    HpaController hpa(down);
    CHECK(hpa.sync(at(0s), 9, reporting(9, 0.05)).desired == 7);
    // t=15: the -2 of t=0 is in the period: start 7 + 2 = 9 -> limit 7.
    CHECK(hpa.sync(at(15s), 7, reporting(7, 0.05)).desired == 7);
    // t=60: it is exactly 60 s old, outside: start 7 -> max(7 - 2, int32(3.5)) = 5.
    CHECK(hpa.sync(at(60s), 7, reporting(7, 0.05)).desired == 5);
  }
}

TEST_CASE("pods removed in the period are added back to the scale-up's start", "[hpa]") {
  HpaConfig c = pods_metric(/*target=*/1.0, 1, 100);
  c.scale_down = no_window();
  HpaController hpa(c);
  // t=0: 10 pods at 0.5 -> ceil(0.5 x 10) = 5; limit int32(10 x 0) = 0 -> 5.
  CHECK(hpa.sync(at(0s), 10, reporting(10, 0.5)).desired == 5);
  // t=5: 5 pods at 8 -> raw 40. Period start 5 - 0 + 5 = 10 ->
  // max(10 + 4, ceil(10 x 2)) = 20.
  CHECK(hpa.sync(at(5s), 5, reporting(5, 8.0)).desired == 20);
  CHECK(hpa.scale_downs() == 1);
  CHECK(hpa.scale_ups() == 1);
}

TEST_CASE("bounds: counts are kept in [min, max], and a count outside is moved in", "[hpa]") {
  HpaConfig c = pods_metric(/*target=*/1.0, 3, 10);
  SECTION("above max: down to max without reading the metric") {
    HpaController hpa(c);
    const HpaDecision d = hpa.sync(at(0s), 12, {});
    CHECK(d.desired == 10);
    CHECK(d.changed);
    CHECK_FALSE(d.has_metric);
    CHECK(hpa.scale_downs() == 1);
  }
  SECTION("below min: up to min") {
    HpaController hpa(c);
    const HpaDecision d = hpa.sync(at(0s), 1, {});
    CHECK(d.desired == 3);
    CHECK(d.changed);
  }
  SECTION("a scale at 0 has autoscaling disabled") {
    HpaController hpa(c);
    const HpaDecision d = hpa.sync(at(0s), 0, {});
    CHECK(d.desired == 0);
    CHECK_FALSE(d.changed);
  }
  SECTION("a recommendation below min is raised to min") {
    c.scale_down = no_window();
    HpaController hpa(c);
    // 5 pods at 0.1 -> ceil(0.1 x 5) = 1 -> minReplicas 3.
    const HpaDecision d = hpa.sync(at(0s), 5, reporting(5, 0.1));
    CHECK(d.raw_recommendation == 1);
    CHECK(d.desired == 3);
  }
  SECTION("legacy: a recommendation above max is cut to max") {
    HpaController hpa(c);
    // 8 pods at 10 -> raw 80; limit max(16, 4) = 16; max 10.
    CHECK(hpa.sync(at(0s), 8, reporting(8, 10.0)).desired == 10);
  }
}

TEST_CASE("a stabilization window gives the extreme of Kubernetes' list of recommendations",
          "[hpa]") {
  // The reference is the controller's list as Kubernetes keeps it: every
  // recommendation appended, or written over the last slot older than the
  // window, and all of them scanned. Random recommendations (few values, so
  // ties are common) at random steps, windows of 0 to 40 steps, inclusive of
  // the window's start (the legacy path) or not (behavior).
  struct Recommendation {
    std::int32_t replicas;
    Time at;
  };
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    const Duration window = std::chrono::seconds(rng() % 41);
    const bool inclusive = seed % 2 == 1;
    tailsim::components::StabilizationWindow<false> highest;
    tailsim::components::StabilizationWindow<true> lowest;
    std::vector<Recommendation> list;
    Time now = at(0s);
    std::size_t longest = 0;
    for (int sync = 0; sync < 2'000; ++sync) {
      now += std::chrono::seconds(1 + rng() % 3);
      const Time start = now - window;
      const auto in_window = [&](Time t) { return inclusive ? t >= start : t > start; };
      const auto replicas = static_cast<std::int32_t>(rng() % 6);
      std::int32_t most = replicas;
      std::int32_t least = replicas;
      std::optional<std::size_t> old_slot;
      for (std::size_t i = 0; i < list.size(); ++i) {
        if (in_window(list[i].at)) {
          most = std::max(most, list[i].replicas);
          least = std::min(least, list[i].replicas);
        } else {
          old_slot = i;
        }
      }
      highest.forget_before(start, inclusive);
      lowest.forget_before(start, inclusive);
      REQUIRE(std::max(replicas, highest.extreme_or(replicas)) == most);
      REQUIRE(std::min(replicas, lowest.extreme_or(replicas)) == least);
      if (old_slot) {
        list[*old_slot] = {replicas, now};
      } else {
        list.push_back({replicas, now});
      }
      highest.record(replicas, now);
      lowest.record(replicas, now);
      longest = std::max({longest, highest.size(), lowest.size()});
    }
    // Strictly monotone, it keeps at most one recommendation per level (six
    // here), however many syncs the window holds: a sync costs O(1)
    // amortized, where the list's scan costs one step per sync in the window.
    CHECK(longest <= 6);
  }
}
