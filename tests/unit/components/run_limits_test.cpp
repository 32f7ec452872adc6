// What bounds a run: the memory budget, an unstable path's verdict, the cap
// on trace spans.

#include <string>

#include <catch2/catch.hpp>

#include "support/simulate.hpp"
#include "tailsim/components/simulation.hpp"
#include "tailsim/report/json_report.hpp"

namespace stats = tailsim::stats;

namespace {

/// M/M/1 with a 100/s server: rho = rate / 100.
std::string mm1(const std::string& rate, const std::string& duration) {
  return R"y(version: 1
simulation: {duration: )y" +
         duration + R"y(, warmup: 10s, seed: 3}
services:
  server:
    pod: {cpu: 1, workers: 1}
    endpoints:
      handle: [{cpu: exp(10ms)}]
workloads:
  requests: {entry: server.handle, rate: )y" +
         rate + R"y(}
slos:
  requests: ["p99 < 10h", "errors < 50%"]
)y";
}

/// Runs `model` under a memory budget of `budget` bytes: it must stop early,
/// with `largest` the largest part of its live work.
stats::Results stopped_by_budget(const std::string& model, std::uint64_t budget,
                                 const std::string& largest, bool attribution = false) {
  tailsim::components::RunLimits limits;
  limits.max_memory_bytes = budget;
  limits.attribution = attribution;
  stats::Results r = tailsim::components::simulate(tailsim::testing::compile_text(model), limits);
  REQUIRE(r.stopped_early);
  CHECK_THAT(r.stop_reason, Catch::Contains("most of it " + largest));
  return r;
}

}  // namespace

TEST_CASE("an M/M/1 at rho = 2 is unstable, at rho = 0.5 it is not", "[limits]") {
  const stats::Results overloaded = tailsim::testing::simulate_text(mm1("200/s", "120s"));
  CHECK(overloaded.paths[0].unstable);
  CHECK_FALSE(overloaded.stopped_early);
  // Its checks fail though the numbers alone pass them.
  REQUIRE(overloaded.slos.size() == 2);
  CHECK_FALSE(overloaded.slos[0].ok);
  CHECK_FALSE(overloaded.slos[1].ok);
  CHECK_FALSE(overloaded.all_slos_ok());
  CHECK(tailsim::report::to_json(overloaded).find("\"unstable\": true") != std::string::npos);

  const stats::Results calm = tailsim::testing::simulate_text(mm1("50/s", "120s"));
  CHECK_FALSE(calm.paths[0].unstable);
  CHECK(calm.all_slos_ok());
  CHECK(tailsim::report::to_json(calm).find("unstable") == std::string::npos);
  // Near saturation a stable queue is long and noisy, and still not unstable.
  CHECK_FALSE(tailsim::testing::simulate_text(mm1("95/s", "300s")).paths[0].unstable);
}

TEST_CASE("a run over its memory budget stops early with what it has", "[limits]") {
  const tailsim::plan::Plan plan = tailsim::testing::compile_text(mm1("200/s", "100h"));
  tailsim::components::RunLimits limits;
  limits.max_memory_bytes = 4 << 20;
  const stats::Results r = tailsim::components::simulate(plan, limits);
  REQUIRE(r.stopped_early);
  CHECK(r.stop_reason.rfind("memory budget: live work reached ", 0) == 0);
  CHECK_THAT(r.stop_reason, Catch::Contains("of the 4.0 MiB budget"));
  CHECK(r.simulated_s < 3600);  // far short of the 100 hours asked for
  CHECK(r.simulated_s > 10);
  CHECK(r.paths[0].unstable);
  CHECK(r.paths[0].requests > 0);
  // Rates are over the time simulated, not the 100 hours.
  CHECK(r.paths[0].throughput_rps == Approx(100).epsilon(0.1));
  CHECK_FALSE(r.all_slos_ok());
  const std::string json = tailsim::report::to_json(r);
  CHECK(json.find("\"stopped_early\": true") != std::string::npos);
  CHECK(json.find("\"stop_reason\": \"memory budget: ") != std::string::npos);

  // Deterministic: the same event again.
  CHECK(tailsim::components::simulate(plan, limits).events == r.events);
  // With attribution and traces the first pass also counts the ledgers its
  // replay will keep, and the replay stops where it stopped (a replay that
  // diverged would throw).
  limits.attribution = true;
  limits.traces = 5;
  const stats::Results replayed = tailsim::components::simulate(plan, limits);
  CHECK(replayed.stop_reason.rfind("memory budget: ", 0) == 0);
  CHECK(replayed.events <= r.events);
  CHECK(replayed.paths[0].attribution.is_computed);
  CHECK(tailsim::components::simulate(plan, limits).events == replayed.events);
}

TEST_CASE("a cache's entries count against the memory budget", "[limits]") {
  // A billion keys drawn uniformly at 20,000/s: nearly every lookup misses
  // and fills a new entry, so the cache grows by some 20,000 entries a
  // second (its table and record of uses, 80 bytes or more an entry) while
  // everything else stays a few requests in flight. A 16 MiB budget is
  // spent within a minute, by the cache.
  const std::string model = R"y(version: 1
simulation: {duration: 1h, warmup: 0s, seed: 1}
services:
  api:
    pod: {cpu: 64}
    endpoints:
      get:
        - cache: big
          miss: [{cpu: 1us}]
caches:
  big: {scope: SCOPE, keys: 1000000000, capacity: 1000000000}
workloads:
  main: {entry: api.get, rate: 20000/s}
)y";
  for (const std::string scope : {"shared", "pod"}) {
    CAPTURE(scope);
    std::string text = model;
    text.replace(text.find("SCOPE"), 5, scope);
    const stats::Results r = stopped_by_budget(text, 16 << 20, "cache entries");
    CHECK(r.simulated_s < 60);
    CHECK(r.simulated_s > 1);
  }
}

TEST_CASE("the latencies an interval keeps count against the memory budget", "[limits]") {
  // 300 workloads, each its own path, at 20/s with one-hour intervals: each
  // path keeps up to 4,096 latencies of the interval in progress (32 KiB),
  // 9.4 MiB in all, while the rest of the run is a few requests in flight.
  // A 4 MiB budget is spent in about 90 s, by the time series.
  std::string model = R"y(version: 1
simulation: {duration: 1h, warmup: 0s, seed: 1, interval: 1h}
services:
  api:
    pod: {cpu: 64}
    endpoints:
      get: [{cpu: 10us}]
workloads:
)y";
  for (int w = 0; w < 300; ++w) {
    model += "  w" + std::to_string(w) + ": {entry: api.get, rate: 20/s}\n";
  }
  const stats::Results r = stopped_by_budget(model, 4 << 20, "the time series");
  CHECK(r.simulated_s < 200);
  CHECK(r.simulated_s > 30);
}

TEST_CASE("an autoscaler's history and snapshots count against the memory budget", "[limits]") {
  // A sync every millisecond: 60,000 syncs a minute, each a sample of its
  // history, and the metric snapshots of a 30 s window, while the service
  // itself has a request or two in flight. A 4 MiB budget is spent within
  // two minutes, by the autoscaler.
  const stats::Results r = stopped_by_budget(R"y(version: 1
simulation: {duration: 1h, warmup: 0s, seed: 1}
services:
  api:
    pod: {cpu: 1}
    endpoints:
      get: [{cpu: exp(5ms)}]
autoscalers:
  api: {service: api, metric: cpu, target: 50%, min: 1, max: 4, sync_period: 1ms}
workloads:
  main: {entry: api.get, rate: 10/s}
)y",
                                             4 << 20, "pods and autoscalers");
  CHECK(r.simulated_s < 120);
}

TEST_CASE("a model whose pods alone outgrow the memory budget stops before making them",
          "[limits]") {
  // 40 services of 100,000 replicas each: four million pods, gigabytes
  // before the first event. The run stops at time zero with the budget's
  // reason, without making them (the test would take seconds and gigabytes
  // if it did), and its attribution replay stops there too.
  std::string model = R"y(version: 1
simulation: {duration: 1m, warmup: 0s, seed: 1}
services:
)y";
  for (int s = 0; s < 40; ++s) {
    model += "  s" + std::to_string(s) +
             ": {replicas: 100000, pod: {cpu: 1}, endpoints: {get: [{cpu: exp(5ms)}]}}\n";
  }
  model += "workloads:\n  main: {entry: s0.get, rate: 10/s}\n";
  const stats::Results r =
      stopped_by_budget(model, 64 << 20, "pods and autoscalers", /*attribution=*/true);
  CHECK(r.events == 0);
  CHECK(r.simulated_s == 0);
  CHECK(r.paths[0].requests == 0);
  // Within the budget the same services at 10 replicas run as usual.
  std::string small = model;
  for (std::size_t at = small.find("100000"); at != std::string::npos; at = small.find("100000")) {
    small.replace(at, 6, "10");
  }
  tailsim::components::RunLimits limits;
  limits.max_memory_bytes = 64 << 20;
  limits.attribution = true;
  const stats::Results fits =
      tailsim::components::simulate(tailsim::testing::compile_text(small), limits);
  CHECK_FALSE(fits.stopped_early);
  CHECK(fits.paths[0].requests > 0);
}

TEST_CASE("a run within its budget is not changed by it", "[limits]") {
  const tailsim::plan::Plan plan = tailsim::testing::compile_text(mm1("50/s", "60s"));
  tailsim::components::RunLimits limits;
  const std::string free = tailsim::report::to_json(tailsim::components::simulate(plan, limits));
  limits.max_memory_bytes = 1ULL << 30;
  CHECK(tailsim::report::to_json(tailsim::components::simulate(plan, limits)) == free);
}

TEST_CASE("a trace keeps at most its cap of spans and counts the rest", "[limits][traces]") {
  // One request makes 6,000 calls in a row, each a client span, a server
  // span at least: 12,000 spans or more, past the cap of 2,000.
  const tailsim::plan::Plan plan = tailsim::testing::compile_text(R"y(version: 1
simulation: {duration: 1s, warmup: 0s, seed: 1}
services:
  fan:
    endpoints:
      out: [{call: leaf.get, times: 6000}]
  leaf:
    pod: {cpu: 64}
    endpoints:
      get: [{cpu: 10us}]
workloads:
  one: {entry: fan.out, rate: 1/s, arrivals: uniform}
)y");
  tailsim::components::RunLimits limits;
  limits.traces = 1;
  const stats::Results r = tailsim::components::simulate(plan, limits);
  REQUIRE(r.traces.size() == 1);
  CHECK(r.traces[0].spans.size() == stats::max_spans_per_trace);
  CHECK(r.traces[0].dropped_spans > 0);
  CHECK(r.traces[0].spans.size() + r.traces[0].dropped_spans >= 12'000);
  const std::string json = tailsim::report::to_json(r);
  CHECK(json.find("\"trace_spans_dropped\": " + std::to_string(r.traces[0].dropped_spans)) !=
        std::string::npos);
}

TEST_CASE("a deep chain's attribution replay holds ledgers of work in flight only", "[limits]") {
  // A chain of 1,000 services: the answer at depth d carries a part per
  // service below it. Were finished work to keep its ledger, the replay
  // would hold 3 x 1,000 x 500 parts of 16 bytes (24 MB) and pass a 16 MiB
  // budget that its first pass, and the live work itself, stay far within.
  std::string text = R"y(version: 1
simulation: {duration: 10s, warmup: 0s, seed: 5}
services:
)y";
  constexpr int depth = 1000;
  for (int i = 0; i < depth; ++i) {
    text += "  s" + std::to_string(i) + ":\n    endpoints:\n      h:\n        - cpu: exp(1ms)\n";
    if (i + 1 < depth) {
      text += "        - call: s" + std::to_string(i + 1) + ".h\n";
    }
  }
  text += "workloads:\n  r: {entry: s0.h, rate: 10/s}\n";
  const tailsim::plan::Plan plan = tailsim::testing::compile_text(text);
  tailsim::components::RunLimits limits;
  limits.attribution = true;
  limits.max_memory_bytes = 16 << 20;
  const stats::Results r = tailsim::components::simulate(plan, limits);
  REQUIRE(r.events > 65536);  // the budget was checked, in both passes
  CHECK_FALSE(r.stopped_early);
  CHECK(r.attribution_skipped.empty());
  REQUIRE(r.paths[0].attribution.is_computed);
  CHECK(r.paths[0].attribution.mean.requests > 0);
}

namespace {

/// A queue whose consumer publishes back to it: with `consumer_step` taking
/// no time, one request starts a loop that never lets time advance.
std::string zero_time_publish_loop(const std::string& consumer_step) {
  return R"y(version: 1
simulation: {duration: 2s, seed: 1}
services:
  api:
    endpoints:
      get: [{cpu: exp(2ms)}, {call: db.query}]
  db:
    endpoints:
      query:
)y" + consumer_step +
         R"y(        - publish: jobs
workloads:
  main: {entry: api.get, rate: 10/s}
queues:
  jobs: {consumer: db.query}
)y";
}

}  // namespace

TEST_CASE("a loop that takes no time stops the run instead of hanging it", "[limits]") {
  tailsim::components::RunLimits limits;
  limits.max_steps_at_instant = 1 << 20;
  // The loop runs inside one event (each delivery continues at once), or
  // through events all due at the same instant (a zero delay).
  const auto consumer_step = GENERATE(as<std::string>{}, "", "        - delay: 0ms\n");
  const tailsim::plan::Plan plan =
      tailsim::testing::compile_text(zero_time_publish_loop(consumer_step));
  const stats::Results r = tailsim::components::simulate(plan, limits);
  REQUIRE(r.stopped_early);
  CHECK_THAT(r.stop_reason, Catch::Contains("simulated time stopped advancing"));
  CHECK(r.simulated_s < 0.1);
  // With a consumer that takes time the same model runs to its end.
  const stats::Results timed = tailsim::components::simulate(
      tailsim::testing::compile_text(zero_time_publish_loop("        - delay: 1ms\n")), limits);
  CHECK_FALSE(timed.stopped_early);
}
