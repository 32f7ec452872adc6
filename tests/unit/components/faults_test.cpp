// Faults in whole simulations (SPEC.md "faults").

#include <string>

#include <catch2/catch.hpp>

#include "support/component_models.hpp"
#include "support/simulate.hpp"

namespace m = tailsim::model;
namespace stats = tailsim::stats;
using stats::Outcome;

using tailsim::testing::simulate_text;

namespace {

using tailsim::testing::named;

const std::string base = R"y(version: 1
simulation: {duration: 20s, seed: 1}
services:
  api:
    endpoints: {get: [{call: db.query, timeout: 1s}]}
  db:
    replicas: 2
    pod: {cpu: 2, startup: 5s}
    endpoints: {query: [{delay: 100ms}]}
workloads:
  w: {entry: api.get, rate: 100/s, arrivals: uniform}
)y";

}  // namespace

TEST_CASE("kill: in-flight requests fail with error, and the pod comes back", "[faults]") {
  const auto r = simulate_text(base + "faults:\n  - {at: 10s, kill: db, pods: 1}\n");
  const auto& w = named(r.paths, "w");
  // Requests in flight at 10 s: 100/s x 100 ms = 10, half of them on the killed pod.
  CHECK(w.outcomes[Outcome::error] == 5);
  CHECK(w.outcomes[Outcome::ok] == w.requests - 5);
  // The replacement starts in 5 s and turns ready at the first readiness probe
  // after that (probes every 10 s from its creation): one pod for 10 s of the
  // 20, 1.5 pods on average.
  CHECK(named(r.services, "db").replicas.mean == Approx(1.5).epsilon(0.001));
  CHECK(named(r.services, "db").replicas.min == 1);
}

TEST_CASE("slow: extra latency while it lasts", "[faults]") {
  const auto r = simulate_text(base + "faults:\n  - {at: 5s, for: 5s, slow: db, add: 50ms}\n");
  const auto& w = named(r.paths, "w");
  CHECK(w.latency.min() == 100'000'000);
  CHECK(w.latency.max() == 150'000'000);
  // A quarter of the requests arrive at db during the 5 s of 20.
  CHECK(static_cast<double>(w.latency.value_at_percentile(70)) * 1e-6 == Approx(100).epsilon(0.01));
  CHECK(static_cast<double>(w.latency.value_at_percentile(80)) * 1e-6 == Approx(150).epsilon(0.01));
}

TEST_CASE("slow by a factor multiplies CPU demand", "[faults]") {
  const auto r = simulate_text(R"y(version: 1
simulation: {duration: 20s, seed: 1}
services:
  api: {pod: {cpu: 4}, endpoints: {get: [{cpu: 10ms}]}}
workloads:
  w: {entry: api.get, rate: 10/s, arrivals: uniform}
faults:
  - {at: 10s, for: 10s, slow: api, factor: 3}
)y");
  const auto& w = named(r.paths, "w");
  CHECK(w.latency.min() == 10'000'000);
  CHECK(w.latency.max() == 30'000'000);
}

TEST_CASE("fail: an error rate while it lasts", "[faults]") {
  const auto r = simulate_text(base + "faults:\n  - {at: 0s, for: 10s, fail: db, rate: 40%}\n");
  const auto& w = named(r.paths, "w");
  const double n = 1000;  // requests during the fault
  CHECK(static_cast<double>(w.outcomes[Outcome::error]) ==
        Approx(0.4 * n).margin(4.5 * std::sqrt(n * 0.24)));
}

TEST_CASE("down: refused at once, or swallowed until the caller times out", "[faults]") {
  const auto refuse =
      simulate_text(base + "faults:\n  - {at: 10s, for: 2s, down: db, mode: refuse}\n");
  CHECK(named(refuse.paths, "w").outcomes[Outcome::unavailable] == 200);
  const auto blackhole =
      simulate_text(base + "faults:\n  - {at: 10s, for: 2s, down: db, mode: blackhole}\n");
  CHECK(named(blackhole.paths, "w").outcomes[Outcome::timeout] == 200);
}

TEST_CASE("partition: messages between two services are lost", "[faults]") {
  const auto r = simulate_text(base + "faults:\n  - {at: 10s, for: 1s, partition: [api, db]}\n");
  // Calls sent in the partition are lost (100), and so are the answers to the
  // calls sent in the 100 ms before it (10): all time out.
  CHECK(named(r.paths, "w").outcomes[Outcome::timeout] == 110);
}

TEST_CASE("overlapping partitions of one pair keep it cut until the last ends", "[faults]") {
  // 10-11 s and 10.5-11.5 s, the second written either way round: calls sent
  // from 10 s to 11.5 s are lost (150), with the answers to the 10 sent in
  // the 100 ms before. When the first ended, the pair was once joined again.
  for (const char* second : {"[api, db]", "[db, api]"}) {
    CAPTURE(second);
    const auto r = simulate_text(base + "faults:\n  - {at: 10s, for: 1s, partition: [api, db]}\n" +
                                 "  - {at: 10500ms, for: 1s, partition: " + second + "}\n");
    CHECK(named(r.paths, "w").outcomes[Outcome::timeout] == 160);
  }
}

TEST_CASE("overlapping faults of one kind on one service: the one started last decides",
          "[faults]") {
  // db answers in 100 ms; `slow` adds 50 ms from 5.005 s to 15.005 s, and
  // 10 ms from 8.005 s to 10.005 s (between arrivals, which come every 10
  // ms). The later fault decides while it lasts, then the earlier one again:
  // 300 + 500 calls take 150 ms, the 200 of [8.005, 10.005) 110 ms, the
  // rest 100 ms. Had the first fault's end at 10.005 s not left the second
  // deciding (or the second's end the first), 500 calls would differ.
  const auto r = simulate_text(base +
                               "faults:\n"
                               "  - {at: 5005ms, for: 10s, slow: db, add: 50ms}\n"
                               "  - {at: 8005ms, for: 2s, slow: db, add: 10ms}\n");
  const auto& w = named(r.paths, "w");
  REQUIRE(w.outcomes[Outcome::ok] == w.requests);
  CHECK(w.latency.min() == 100'000'000);
  CHECK(w.latency.max() == 150'000'000);
  // The exact sum of latencies: 100 ms each, plus 800 x 50 ms and 200 x 10 ms.
  const double extra_ns = 800 * 50e6 + 200 * 10e6;
  CHECK(w.latency.mean() ==
        Approx(100e6 + extra_ns / static_cast<double>(w.requests)).epsilon(1e-12));
}

TEST_CASE("cpu: a pod's cores change while it lasts", "[faults]") {
  const auto r = simulate_text(R"y(version: 1
simulation: {duration: 20s, seed: 1}
services:
  api: {pod: {cpu: 1}, endpoints: {get: [{cpu: 10ms}]}}
workloads:
  w: {entry: api.get, rate: 10/s, arrivals: uniform}
faults:
  - {at: 10s, for: 10s, cpu: api, set: 0.5}
)y");
  const auto& w = named(r.paths, "w");
  CHECK(w.latency.min() == 10'000'000);
  CHECK(w.latency.max() == 20'000'000);
  // Capacity halves for half the window: utilization over 0.75 cores average.
  CHECK(named(r.services, "api").utilization ==
        Approx((0.1 * 10 + 0.1 * 10) / (1.0 * 10 + 0.5 * 10)).epsilon(0.01));
}

TEST_CASE("CFS limits throttle a pod for the rest of each period", "[cfs]") {
  // semantics.md's check case: 60 ms of CPU on a 0.5 CPU limit (100 ms
  // period) takes 110 ms; 120 ms takes 220 ms. One request a second, alone.
  const std::string model = R"y(version: 1
simulation: {duration: 20s, seed: 1}
services:
  api:
    pod: {cpu: {request: 0.5, limit: 0.5, period: 100ms, node_cores: 16}}
    endpoints: {get: [{cpu: WORK}]}
workloads:
  w: {entry: api.get, rate: 1/s, arrivals: uniform}
)y";
  auto with = [&](const std::string& work) {
    std::string text = model;
    text.replace(text.find("WORK"), 4, work);
    return simulate_text(text);
  };
  const auto short_one = with("60ms");
  const auto& p60 = named(short_one.paths, "w");
  CHECK(p60.latency.min() == 110'000'000);
  CHECK(p60.latency.max() == 110'000'000);
  const auto& api = named(short_one.services, "api");
  CHECK(api.throttled_s == Approx(20 * 0.050));
  CHECK(api.cfs_throttled_periods == 20);
  CHECK(api.cfs_periods == 40);
  const auto long_one = with("120ms");
  CHECK(named(long_one.paths, "w").latency.min() == 220'000'000);
  CHECK(named(long_one.paths, "w").latency.max() == 220'000'000);
  // Utilization is of the limit: 60 ms per second on 0.5 cores.
  CHECK(api.utilization == Approx(0.12).epsilon(0.001));
}

TEST_CASE("a replacement pod starts cold and warms up linearly", "[faults]") {
  // The only pod is killed at 9.9 s and replaced at once. Its CPU demand is
  // x3 when ready, falling linearly to x1 over 10 s: a 10 ms request takes
  // about 30 ms at first, 20 ms halfway, 10 ms once warm.
  const auto r = simulate_text(tailsim::testing::warmup_after_kill_model);
  const auto& w = named(r.paths, "w");
  // Before the kill, and long after it: 10 ms. The first request on the new
  // pod comes at 10 s, 0.1 s into its warm-up: 10 ms x (1 + 2 x 0.99).
  CHECK(w.latency.min() == 10'000'000);
  CHECK(w.latency.max() == 29'800'000);
  // Between 10 s and 20 s latency falls from 30 ms to 10 ms: mean 20 ms over
  // those 20 requests, 10 ms for the other 40.
  CHECK(w.latency.mean() * 1e-6 == Approx((20 * 20.0 + 40 * 10.0) / 60).epsilon(0.03));
}

TEST_CASE("a killed pod's requests and tasks are released, however many kills", "[faults]") {
  // api's requests are on its CPU, in a parallel step (a child on the CPU,
  // a call out) or waiting for db when their pod is killed: each part
  // must end, so that memory does not grow with the number of kills.
  const std::string model = R"y(version: 1
simulation: {duration: 510s, warmup: 0s, seed: 1}
services:
  api:
    replicas: 2
    pod: {cpu: 2, workers: 16}
    endpoints:
      work:
        - cpu: exp(5ms)
        - parallel: [{call: db.query}, {cpu: exp(2ms)}]
        - cpu: exp(5ms)
  db:
    pod: {cpu: 2, workers: 16}
    endpoints: {query: [{cpu: exp(5ms)}]}
workloads:
  main: {entry: api.work, rate: 200/s}
)y";
  std::string faults = "faults:\n";
  for (int i = 0; i < 50; ++i) {
    faults += "  - {at: " + std::to_string(10 * i + 5) + "s, kill: api, pods: 1}\n";
  }
  const auto calm = simulate_text(model);
  const auto killed = simulate_text(model + faults);
  // About two requests in flight per kill fail: were they kept, the peak
  // would grow by ~100 (it did: 125 against 34).
  const std::uint64_t failed = named(killed.paths, "main").outcomes[Outcome::error];
  CHECK(failed >= 50);
  INFO("peak requests: " << calm.peak_requests << " calm, " << killed.peak_requests
                         << " with 50 kills; failed " << failed);
  CHECK(static_cast<double>(killed.peak_requests) <=
        1.25 * static_cast<double>(calm.peak_requests));
  CHECK(static_cast<double>(killed.peak_tasks) <= 1.25 * static_cast<double>(calm.peak_tasks));
}

TEST_CASE("a named fault is called by its name, an unnamed one by its kind and target",
          "[faults]") {
  const auto r = simulate_text(base +
                               "faults:\n"
                               "  - {at: 5s, for: 2s, slow: db, add: 10ms, name: db-slow}\n"
                               "  - {at: 12s, for: 1s, partition: [api, db]}\n");
  const auto& markers = r.timeseries.markers;
  REQUIRE(markers.size() == 4);
  CHECK(markers[0].label == "db-slow: slow db");
  CHECK(markers[1].label == "db-slow: slow db ends");
  CHECK(markers[2].label == "partition api | db");
  CHECK(markers[3].label == "partition api | db ends");
}

TEST_CASE("the plan names each fault", "[faults]") {
  const auto plan = tailsim::testing::compile_text(base +
                                                   "caches:\n  c: {hit_ratio: 0.5}\n"
                                                   "faults:\n"
                                                   "  - {at: 5s, kill: db, name: first-kill}\n"
                                                   "  - {at: 6s, kill: db}\n"
                                                   "  - {at: 7s, flush: c}\n");
  REQUIRE(plan.faults.size() == 3);
  CHECK(plan.faults[0].name == "first-kill");
  CHECK(plan.faults[0].is_named);
  CHECK(plan.faults[1].name == "kill db");
  CHECK_FALSE(plan.faults[1].is_named);
  CHECK(plan.faults[2].name == "flush c");
}
