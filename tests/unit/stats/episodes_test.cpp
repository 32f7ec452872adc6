// Episodes, their conditions and causes, and the feedback loops
// (stats/episodes.hpp) on models whose answers are known by construction:
// a fault window, a scale-up, a retry policy's amplification, and the storm
// models of examples/retry-storm.yaml with and without their defences.

#include "tailsim/stats/episodes.hpp"

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/simulate.hpp"

namespace tailsim {
namespace {

namespace fs = std::filesystem;
using testing::simulate_text;

components::RunLimits attributed() {
  components::RunLimits limits;
  limits.attribution = true;
  return limits;
}

std::string example(const std::string& name) {
  return (fs::path(TAILSIM_SOURCE_DIR) / "examples" / name).string();
}

stats::Results simulate_example(const std::string& name, std::vector<std::string> overrides = {}) {
  return components::simulate(testing::compile_file(example(name), std::move(overrides)),
                              attributed());
}

const stats::EpisodeCondition* condition_of(const stats::Episode& e, const std::string& kind) {
  for (const auto& c : e.conditions) {
    if (c.kind == kind) {
      return &c;
    }
  }
  return nullptr;
}

// Constant 10 ms of CPU on 8 cores at 100/s: every request takes 10 ms,
// but in the fault window 200 ms more.
const char* const fault_window = R"(
version: 1
name: fault-window
simulation: {duration: 50s, warmup: 10s, seed: 3}
services:
  api:
    replicas: 1
    pod: {cpu: 8, async: true}
    endpoints:
      get:
        - cpu: 10ms
workloads:
  main: {entry: api.get, rate: 100/s}
faults:
  - {at: 30s, for: 10s, slow: api, add: 200ms, name: api-slow}
)";

TEST_CASE("episodes: a fault window gives one episode that matches it", "[episodes]") {
  const stats::Results r = simulate_text(fault_window, {}, attributed());
  REQUIRE(r.episodes.size() == 1);
  const stats::Episode& e = r.episodes.front();
  CHECK(e.path == "main");
  // Requests that arrived in [30 s, 40 s) finish 210 ms later: the last of
  // them in interval 40, where they are well over 1% of its completions.
  CHECK(e.start_s == 30.0);
  CHECK(e.end_s == 41.0);
  CHECK(e.baseline_p99_ms == Approx(10.0).epsilon(0.01));
  CHECK(e.p99_ms == Approx(210.0).epsilon(0.01));
  CHECK(e.error_share == 0.0);
  CHECK(e.no_success_intervals == 0);
  const stats::EpisodeCondition* fault = condition_of(e, "fault");
  REQUIRE(fault != nullptr);
  CHECK(fault->name == "api-slow");
  CHECK(fault->entity == "slow api");
  CHECK(fault->start_s == Approx(30.0));
  CHECK(fault->end_s == Approx(40.0));
  CHECK(e.conditions.front().kind == "fault");  // faults come first
  // Its causes are the attribution of the requests that finished in it: the
  // fault's added latency and the 10 ms of CPU.
  REQUIRE_FALSE(e.causes.empty());
  CHECK(e.causes.front().entity == "api");
  CHECK(e.causes.front().what == "delay");
  CHECK(e.causes.front().share > 0.8);
  // The trigger ended at 40 s and goodput never fell: it recovered at once,
  // and nothing sustained it.
  REQUIRE(r.feedback.metastable.size() == 1);
  const stats::MetastableVerdict& v = r.feedback.metastable.front();
  CHECK(v.trigger == "api-slow");
  CHECK(v.trigger_end_s == Approx(40.0));
  CHECK(v.recovered);
  CHECK(v.recovered_s <= 41.0);
  CHECK(v.sustained_by.empty());
}

TEST_CASE("episodes: without attribution an episode has conditions but no causes", "[episodes]") {
  const stats::Results r = simulate_text(fault_window);
  REQUIRE(r.episodes.size() == 1);
  CHECK(r.episodes.front().causes.empty());
  CHECK(condition_of(r.episodes.front(), "fault") != nullptr);
}

TEST_CASE("episodes: what happens where a path never goes is not among its conditions",
          "[episodes]") {
  // Beside the fault window's path, an unrelated one on its own service
  // triples its load while the fault lasts and throttles under a quota.
  std::string model = fault_window;
  model.insert(model.find("workloads:"), R"(  solo:
    replicas: 1
    pod: {cpu: {request: 0.2, limit: 0.2, period: 100ms, node_cores: 8}, async: true}
    endpoints:
      get:
        - cpu: 1ms
)");
  model.insert(model.find("faults:"), R"(  other:
    entry: solo.get
    schedule: [{at: 0s, rate: 50/s}, {at: 30s, rate: 150/s}, {at: 40s, rate: 50/s}]
)");
  const stats::Results r = simulate_text(model);
  REQUIRE_FALSE(r.episodes.empty());
  for (const stats::Episode& e : r.episodes) {
    INFO(e.path << " " << e.start_s);
    for (const stats::EpisodeCondition& c : e.conditions) {
      INFO(c.kind << " " << c.entity);
      if (e.path == "main") {
        CHECK(c.entity != "other");
        CHECK(c.entity != "solo");
      } else {
        CHECK(c.entity != "main");
        CHECK(c.entity != "api");
      }
    }
  }
  // The spike is a condition of the path it hit.
  bool other_spiked = false;
  for (const stats::Episode& e : r.episodes) {
    const stats::EpisodeCondition* spike = condition_of(e, "load_spike");
    other_spiked = other_spiked || (e.path == "other" && spike && spike->entity == "other");
  }
  CHECK(other_spiked);
  CHECK(testing::named(r.services, "api").reached_by == std::vector<std::size_t>{0});
  CHECK(testing::named(r.services, "solo").reached_by == std::vector<std::size_t>{1});
}

TEST_CASE("episodes: a stationary run has none", "[episodes]") {
  for (const char* name : {"mm1.yaml", "quickstart.yaml", "fanout-tail.yaml"}) {
    INFO(name);
    const stats::Results r = simulate_example(name);
    CHECK(r.episodes.empty());
    CHECK(r.feedback.metastable.empty());
  }
}

TEST_CASE("episodes: a late scale-up is among the conditions of the episode it ends",
          "[episodes]") {
  // hpa-lag: the load doubles at 120 s and the autoscaler scales up while
  // the new pods start: the episode names both.
  const stats::Results r = simulate_example("hpa-lag.yaml");
  REQUIRE_FALSE(r.episodes.empty());
  const stats::Episode& e = r.episodes.front();
  const stats::EpisodeCondition* up = condition_of(e, "scale_up");
  REQUIRE(up != nullptr);
  CHECK(up->entity == "api");
  CHECK(up->value > up->baseline);
  CHECK(up->start_s >= e.start_s - r.timeseries.interval_s);
  CHECK(up->end_s <= e.end_s);
  CHECK(condition_of(e, "pods_starting") != nullptr);
  const stats::EpisodeCondition* spike = condition_of(e, "load_spike");
  REQUIRE(spike != nullptr);
  CHECK(spike->value == Approx(2 * spike->baseline).epsilon(0.15));
}

TEST_CASE("feedback: a retry policy's amplification is 1 + p + p^2 at failure share p",
          "[episodes][amplification]") {
  // b fails 30% of its requests; a retries errors up to three attempts, with
  // no backoff. Attempts per request: 1, 2 or 3 with probabilities 0.7,
  // 0.21 and 0.09: mean 1.39, variance 0.4179.
  const char* const model = R"(
version: 1
name: amplified
simulation: {duration: 100s, warmup: 5s, seed: 11}
services:
  a:
    replicas: 1
    pod: {cpu: 64, async: true}
    endpoints:
      x:
        - call: b.y
          retry: {attempts: 3, backoff: 0ms, on: [error]}
  b:
    replicas: 1
    pod: {cpu: 64, async: true}
    endpoints:
      y:
        - cpu: 1ms
        - fail: 30%
workloads:
  main: {entry: a.x, rate: 200/s}
)";
  const stats::Results r = simulate_text(model);
  REQUIRE(r.feedback.amplification.size() == 1);
  const stats::EdgeAmplification& a = r.feedback.amplification.front();
  CHECK(a.edge == "a -> b.y");
  const double p = 0.3;
  const double expected = 1 + p + p * p;
  const double n = static_cast<double>(testing::named(r.paths, "main").requests);
  const double se = std::sqrt(0.4179 / n);
  CHECK(std::abs(a.mean - expected) < 4 * se);
  // Each interval's ratio scatters around the same value (200 requests an
  // interval: a standard error of 0.046); nothing departs.
  CHECK(std::abs(a.baseline - expected) < 4 * std::sqrt(0.4179 / 200));
  CHECK(r.episodes.empty());
}

TEST_CASE("feedback: the retry storm is metastable and names its retries", "[episodes][storm]") {
  const stats::Results r = simulate_example("retry-storm.yaml");
  REQUIRE(r.episodes.size() == 1);
  const stats::Episode& e = r.episodes.front();
  CHECK(e.error_share > 0.9);
  CHECK(e.end_s == Approx(r.warmup_s + r.duration_s));  // it lasts to the window's end
  const stats::EpisodeCondition* spike = condition_of(e, "load_spike");
  REQUIRE(spike != nullptr);
  CHECK(spike->start_s == 60.0);
  CHECK(spike->end_s == 65.0);
  const stats::EpisodeCondition* retries = condition_of(e, "retry_amplification");
  REQUIRE(retries != nullptr);
  CHECK(retries->value > 3 * retries->baseline);
  REQUIRE(r.feedback.metastable.size() == 1);
  const stats::MetastableVerdict& v = r.feedback.metastable.front();
  CHECK(v.path == "checkout");
  CHECK(v.trigger_end_s == 65.0);
  CHECK_FALSE(v.recovered);
  CHECK((v.sustained_by == "mid -> db.query retries" ||
         v.sustained_by == "front -> mid.handle retries"));
  // Before the spike each edge sent about one attempt per request.
  for (const stats::EdgeAmplification& a : r.feedback.amplification) {
    CHECK(a.baseline == Approx(1.0).margin(0.05));
    CHECK(a.max > 3.0);
    CHECK(a.at_s >= 60.0);
  }
}

TEST_CASE("feedback: with deadlines or a retry budget the storm recovers", "[episodes][storm]") {
  const std::vector<std::vector<std::string>> defences = {
      {"simulation.deadlines=propagate"},
      {"services.mid.endpoints.handle=[{cpu: exp(1ms)}, {call: db.query, timeout: 300ms, retry: "
       "{attempts: 3, backoff: 10ms, on: [timeout], budget: 10%}}]",
       "services.front.endpoints.handle=[{cpu: exp(1ms)}, {call: mid.handle, timeout: 1s, retry: "
       "{attempts: 3, backoff: 10ms, on: [timeout], budget: 10%}}]"}};
  for (const auto& defence : defences) {
    INFO(defence.front());
    const stats::Results r = simulate_example("retry-storm.yaml", defence);
    REQUIRE_FALSE(r.feedback.metastable.empty());
    for (const stats::MetastableVerdict& v : r.feedback.metastable) {
      CHECK(v.recovered);
      CHECK(v.recovered_s < r.warmup_s + r.duration_s);
      CHECK(v.sustained_by.empty());
    }
  }
}

TEST_CASE("feedback: a slow fault without retries recovers and names no loop",
          "[episodes][storm]") {
  // The storm's tiers with their timeouts but no retries, a steady load and
  // db slowed for 10 s: its backlog drains once the fault ends.
  const stats::Results r = simulate_example(
      "retry-storm.yaml",
      {"services.mid.endpoints.handle=[{cpu: exp(1ms)}, {call: db.query, timeout: 300ms}]",
       "services.front.endpoints.handle=[{cpu: exp(1ms)}, {call: mid.handle, timeout: 1s}]",
       "workloads.checkout.schedule=[{at: 0s, rate: 70/s}]",
       "faults=[{at: 60s, for: 10s, slow: db, add: 20ms, name: db-slow}]"});
  REQUIRE_FALSE(r.episodes.empty());
  CHECK(condition_of(r.episodes.front(), "fault") != nullptr);
  for (const stats::Episode& e : r.episodes) {
    CHECK(condition_of(e, "retry_amplification") == nullptr);
  }
  CHECK(r.feedback.amplification.empty());  // no edge retries or hedges
  REQUIRE(r.feedback.metastable.size() == 1);
  const stats::MetastableVerdict& v = r.feedback.metastable.front();
  CHECK(v.trigger == "db-slow");
  CHECK(v.recovered);
  CHECK(v.sustained_by.empty());
}

TEST_CASE("median_of: the middle of the finite values", "[episodes]") {
  const double nan = std::nan("");
  CHECK(std::isnan(stats::median_of({})));
  CHECK(std::isnan(stats::median_of({nan, nan})));
  CHECK(stats::median_of({3, 1, 2}) == 2.0);
  CHECK(stats::median_of({4, 1, 3, 2}) == 2.5);
  CHECK(stats::median_of({5, nan, 1, nan, 3}) == 3.0);
}

TEST_CASE("episodes: a run without a time series has none", "[episodes]") {
  stats::Results r;
  r.duration_s = 10;
  stats::find_episodes(r);
  CHECK(r.episodes.empty());
  CHECK(r.feedback.amplification.empty());
}

}  // namespace
}  // namespace tailsim
