#include "tailsim/components/simulation.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

#include "support/simulate.hpp"
#include "tailsim/model/loader.hpp"
#include "tailsim/plan/compiler.hpp"
#include "tailsim/report/json_report.hpp"

namespace m = tailsim::model;
namespace stats = tailsim::stats;
using stats::Outcome;

namespace {

stats::Results run(const std::string& yaml, std::vector<std::string> overrides = {}) {
  return tailsim::testing::simulate_text(yaml, std::move(overrides));
}

const stats::PathResult& path(const stats::Results& r, const std::string& name) {
  return tailsim::testing::named(r.paths, name);
}

const stats::ServiceResult& service(const stats::Results& r, const std::string& name) {
  return tailsim::testing::named(r.services, name);
}

double ms(std::int64_t ns) {
  return static_cast<double>(ns) * 1e-6;
}

/// Every measured request ends in exactly one way.
void check_flow_balance(const stats::PathResult& p) {
  CHECK(p.outcomes.total() == p.requests);
}

}  // namespace

TEST_CASE("the same seed gives byte-identical results.json", "[simulation]") {
  const std::string model = R"y(version: 1
simulation: {duration: 20s, warmup: 2s, seed: 42}
network: {default: {latency: exp(1ms)}}
services:
  a:
    replicas: 3
    balancer: least_request
    pod: {cpu: 2, workers: 4, queue: 10}
    endpoints:
      x:
        - cpu: exp(5ms)
        - parallel: [{call: b.y}, {call: b.y, p: 0.5}]
  b:
    replicas: 2
    balancer: random
    endpoints: {y: [{delay: "lognormal(median=2ms, p99=20ms)", times: 1..3}]}
workloads:
  w: {entry: a.x, rate: 500/s}
)y";
  const std::string first = tailsim::report::to_json(run(model));
  const std::string second = tailsim::report::to_json(run(model));
  CHECK(first == second);
  const std::string other = tailsim::report::to_json(run(model, {"simulation.seed=43"}));
  CHECK(first != other);
}

TEST_CASE("changing one service leaves the others' random draws alone", "[simulation]") {
  // Two independent paths. Making `a` slower must not change a single number
  // measured on `b`: every component draws from its own stream.
  const std::string model = R"y(version: 1
simulation: {duration: 30s, seed: 3}
services:
  a:
    pod: {cpu: 1, workers: 1}
    endpoints: {x: [{cpu: exp(5ms)}]}
  b:
    pod: {cpu: 1, workers: 1}
    endpoints: {y: [{cpu: exp(5ms)}, {delay: "uniform(1ms, 3ms)"}]}
workloads:
  wa: {entry: a.x, rate: 100/s}
  wb: {entry: b.y, rate: 100/s}
)y";
  const auto base = run(model);
  const auto changed = run(model, {"services.a.endpoints.x=[{cpu: exp(8ms)}]"});
  CHECK(path(base, "wa").latency.mean() != path(changed, "wa").latency.mean());
  const auto& b1 = path(base, "wb");
  const auto& b2 = path(changed, "wb");
  CHECK(b1.requests == b2.requests);
  CHECK(b1.latency.mean() == b2.latency.mean());
  CHECK(b1.latency.max() == b2.latency.max());
  CHECK(service(base, "b").utilization == service(changed, "b").utilization);
}

TEST_CASE("a parallel step's plain calls are found when the plan is compiled", "[simulation]") {
  // The children that are one call without p or times are made by the
  // parallel step itself; every other child runs as a task of its own.
  const std::string yaml = R"(version: 1
services:
  front:
    endpoints:
      work:
        - parallel:
            - {call: b.work}
            - {call: b.work, p: 0.5}
            - {parallel: [{call: b.work}]}
            - {cpu: 1ms}
            - {call: b.work, times: 2}
  b: {endpoints: {work: [{delay: 1ms}]}}
workloads:
  main: {entry: front.work, rate: 10/s}
)";
  auto loaded = m::load_string(yaml, "parallel.yaml");
  REQUIRE(loaded.ok());
  const auto plan = tailsim::plan::compile_plan(*loaded.model, loaded.diagnostics);
  REQUIRE(plan);
  const auto parallel = std::find_if(plan->ops.begin(), plan->ops.end(), [](const auto& op) {
    return op.kind == tailsim::plan::OpKind::parallel && op.count == 5;  // not the inner one
  });
  REQUIRE(parallel != plan->ops.end());
  REQUIRE(plan->child_call_sites.size() == plan->child_blocks.size());
  const auto child_call = [&](tailsim::plan::Id i) {
    return plan->child_call_sites[parallel->first + i];
  };
  const auto& first_child = plan->blocks[plan->child_blocks[parallel->first]];
  CHECK(child_call(0) == plan->ops[first_child.begin].call);
  CHECK(child_call(0) != tailsim::plan::no_id);
  for (tailsim::plan::Id i = 1; i < 5; ++i) {
    CHECK(child_call(i) == tailsim::plan::no_id);
  }
  // And the run: each child's work is done, the calls made both ways (the
  // two calls in a row take 2 ms, the longest child).
  const auto results = run(yaml, {"simulation.duration=10s", "simulation.warmup=0s"});
  CHECK(ms(path(results, "main").latency.max()) == Approx(2.0));
  CHECK(ms(path(results, "main").latency.min()) == Approx(2.0));
}

TEST_CASE("an endpoint of one cpu step starts it as the request starts, with the same draws",
          "[simulation]") {
  // Plan::Endpoint::lone_cpu: one cpu step that always runs once, on a pod
  // neither async nor external. The engine starts its work without a turn of the
  // step loop; the loop's turn would have drawn the same work.
  const auto model = [](const std::string& step, const std::string& pod) {
    return "version: 1\nsimulation: {duration: 200s, warmup: 0s, seed: 5}\nservices:\n"
           "  s:\n    pod: " +
           pod + "\n    endpoints: {work: [" + step +
           "]}\nworkloads:\n  main: {entry: s.work, rate: 80/s}\n";
  };
  const std::string one = "{cpu: exp(10ms)}";
  const std::string pod = "{cpu: 1, workers: 1}";
  const auto lone = [&](const std::string& yaml) {
    return tailsim::testing::compile_text(yaml).endpoints.at(0).lone_cpu;
  };
  CHECK(lone(model(one, pod)) != tailsim::plan::no_id);
  CHECK(lone(model("{cpu: exp(10ms), times: 1}", pod)) != tailsim::plan::no_id);
  CHECK(lone(model("{cpu: exp(10ms), p: 0.5}", pod)) == tailsim::plan::no_id);
  CHECK(lone(model("{cpu: exp(10ms), times: 1..2}", pod)) == tailsim::plan::no_id);
  CHECK(lone(model("{cpu: 1ms}, {cpu: 1ms}", pod)) == tailsim::plan::no_id);
  CHECK(lone(model("{delay: 1ms}", pod)) == tailsim::plan::no_id);
  CHECK(lone(model(one, "{cpu: 1, workers: 1, async: true}")) == tailsim::plan::no_id);
  // The step loop takes a step with p below 1; a p that never skips in this
  // run leaves the work drawn from the step's own key, the same number: an
  // M/M/1 at 80% load (queueing, so both ways of starting work are taken)
  // gives the same latencies, to the nanosecond.
  const auto fast = run(model(one, pod));
  const auto loop = run(model("{cpu: exp(10ms), p: 0.999999999999}", pod));
  const auto& a = path(fast, "main");
  const auto& b = path(loop, "main");
  REQUIRE(a.requests > 10000);
  CHECK(a.requests == b.requests);
  CHECK(a.latency.count() == b.latency.count());
  CHECK(a.latency.sum() == b.latency.sum());
  CHECK(a.latency.max() == b.latency.max());
  CHECK(a.latency.value_at_percentile(99) == b.latency.value_at_percentile(99));
}

TEST_CASE("constant delays add up exactly along a call chain", "[simulation]") {
  const auto r = run(R"y(version: 1
simulation: {duration: 10s, seed: 1}
network:
  default: {latency: 1ms}
  links: [{between: [a, c], latency: 5ms}]
services:
  a: {endpoints: {x: [{cpu: 2ms}, {call: b.y}, {call: c.z}]}}
  b: {endpoints: {y: [{delay: 10ms}]}}
  c: {external: true, endpoints: {z: [{delay: 20ms}]}}
workloads:
  w: {entry: a.x, rate: 10/s, arrivals: uniform}
)y");
  // 2 ms cpu + (1 + 10 + 1) ms + (5 + 20 + 5) ms = 44 ms for every request.
  const auto& p = path(r, "w");
  REQUIRE(p.requests == 100);
  CHECK(p.outcomes[Outcome::ok] == 100);
  CHECK(ms(p.latency.min()) == Approx(44.0));
  CHECK(ms(p.latency.max()) == Approx(44.0));
  check_flow_balance(p);
}

TEST_CASE("failures propagate unless the call is optional", "[simulation]") {
  const std::string model = R"y(version: 1
simulation: {duration: 20s, seed: 1}
services:
  a: {endpoints: {x: [{call: b.y, optional: OPTIONAL}, {delay: 1ms}]}}
  b: {endpoints: {y: [{fail: 100%}]}}
workloads:
  w: {entry: a.x, rate: 50/s}
)y";
  auto with = [&](const std::string& optional) {
    std::string text = model;
    text.replace(text.find("OPTIONAL"), 8, optional);
    return run(text);
  };
  const auto required = with("false");
  CHECK(path(required, "w").outcomes[Outcome::error] == path(required, "w").requests);
  const auto optional = with("true");
  CHECK(path(optional, "w").outcomes[Outcome::ok] == path(optional, "w").requests);
  CHECK(ms(path(optional, "w").latency.min()) == Approx(1.0));
}

TEST_CASE("a full queue rejects and queue_timeout drops stale requests", "[simulation]") {
  const auto r = run(R"y(version: 1
simulation: {duration: 60s, seed: 1}
services:
  s:
    pod: {cpu: 1, workers: 1, queue: 5, queue_timeout: 30ms}
    endpoints: {x: [{cpu: 10ms}]}
workloads:
  w: {entry: s.x, rate: 150/s}
)y");
  const auto& p = path(r, "w");
  CHECK(p.outcomes[Outcome::rejected] > 0);
  check_flow_balance(p);
  // Nothing admitted waits more than 30 ms, so nothing takes more than 30 + 10 ms.
  CHECK(ms(p.latency.max()) <= 40.0 + 1e-6);
  CHECK(service(r, "s").rejected == p.outcomes[Outcome::rejected]);
}

TEST_CASE("lifo serves the newest waiter first", "[simulation]") {
  const std::string model = R"y(version: 1
simulation: {duration: 300s, seed: 5}
services:
  s:
    pod: {cpu: 1, workers: 1, discipline: DISCIPLINE}
    endpoints: {x: [{cpu: exp(10ms)}]}
workloads:
  w: {entry: s.x, rate: 90/s}
)y";
  auto with = [&](const std::string& d) {
    std::string text = model;
    text.replace(text.find("DISCIPLINE"), 10, d);
    return run(text);
  };
  const auto fifo = path(with("fifo"), "w");
  const auto lifo = path(with("lifo"), "w");
  // Same mean (work-conserving, same draws), much longer tail under LIFO.
  CHECK(lifo.latency.mean() == Approx(fifo.latency.mean()).epsilon(0.05));
  CHECK(lifo.latency.value_at_percentile(99.9) > 2 * fifo.latency.value_at_percentile(99.9));
}

TEST_CASE("external services reject beyond their concurrency", "[simulation]") {
  const auto r = run(R"y(version: 1
simulation: {duration: 20s, seed: 1}
services:
  api: {endpoints: {x: [{call: bank.pay}]}}
  bank: {external: true, concurrency: 2, endpoints: {pay: [{delay: 100ms}]}}
workloads:
  w: {entry: api.x, rate: 100/s, arrivals: uniform}
)y");
  // Every 10 ms a call arrives and each lasts 100 ms: only 2 of every 10 get in.
  const auto& p = path(r, "w");
  CHECK(p.outcomes[Outcome::rejected] == Approx(0.8 * static_cast<double>(p.requests)).margin(3));
  CHECK(service(r, "bank").rejected == p.outcomes[Outcome::rejected]);
}

TEST_CASE("a service without replicas is unavailable", "[simulation]") {
  const auto r = run(R"y(version: 1
simulation: {duration: 5s, seed: 1}
services:
  api: {endpoints: {x: [{call: db.q}]}}
  db: {replicas: 0, endpoints: {q: [{cpu: 1ms}]}}
workloads:
  w: {entry: api.x, rate: 10/s}
)y");
  CHECK(path(r, "w").outcomes[Outcome::unavailable] == path(r, "w").requests);
}

TEST_CASE("lost messages leave requests unfinished after the drain", "[simulation]") {
  const auto r = run(R"y(version: 1
simulation: {duration: 20s, seed: 1, drain: 5s}
network:
  links: [{between: [a, b], latency: 1ms, loss: 50%}]
services:
  a: {endpoints: {x: [{call: b.y}]}}
  b: {endpoints: {y: [{delay: 1ms}]}}
workloads:
  w: {entry: a.x, rate: 100/s}
)y");
  const auto& p = path(r, "w");
  // A call succeeds when both its request and response arrive: 25%.
  const double n = static_cast<double>(p.requests);
  CHECK(static_cast<double>(p.outcomes[Outcome::ok]) ==
        Approx(0.25 * n).margin(4.5 * std::sqrt(n * 0.25 * 0.75)));
  CHECK(p.outcomes[Outcome::unfinished] == p.requests - p.outcomes[Outcome::ok]);
  check_flow_balance(p);
}

TEST_CASE("a thread-per-request caller holds its worker while it waits", "[simulation]") {
  const std::string model = R"y(version: 1
simulation: {duration: 60s, warmup: 10s, seed: 1}
services:
  api:
    pod: {cpu: 4, workers: 4, async: ASYNC}
    endpoints: {x: [{cpu: 1ms}, {call: slow.y}]}
  slow: {endpoints: {y: [{delay: 100ms}]}}
workloads:
  w: {entry: api.x, rate: 50/s}
)y";
  auto with = [&](const std::string& async) {
    std::string text = model;
    text.replace(text.find("ASYNC"), 5, async);
    return path(run(text), "w");
  };
  // 50/s x 101 ms keeps 5 workers busy: 4 is too few when they wait, plenty when they don't.
  const auto blocking = with("false");
  const auto async = with("true");
  CHECK(ms(async.latency.max()) < 110.0);
  CHECK(ms(blocking.latency.value_at_percentile(50)) > 1000.0);
}

TEST_CASE("p and times shape how often a step runs", "[simulation]") {
  const auto r = run(R"y(version: 1
simulation: {duration: 100s, seed: 9}
services:
  a: {endpoints: {x: [{call: b.y, p: 0.25}, {call: c.z, times: 2..4}]}}
  b: {endpoints: {y: [{delay: 1ms}]}}
  c: {endpoints: {z: [{delay: 1ms}]}}
workloads:
  w: {entry: a.x, rate: 100/s}
)y");
  const double n = static_cast<double>(path(r, "w").requests);
  const double calls_b = static_cast<double>(service(r, "b").requests);
  const double calls_c = static_cast<double>(service(r, "c").requests);
  CHECK(calls_b == Approx(0.25 * n).margin(4.5 * std::sqrt(n * 0.25 * 0.75)));
  CHECK(calls_c == Approx(3.0 * n).margin(4.5 * std::sqrt(n * 2.0 / 3.0)));
}

TEST_CASE("a schedule with a ramp delivers its integral", "[simulation]") {
  const auto r = run(R"y(version: 1
simulation: {duration: 60s, seed: 2}
services:
  a: {endpoints: {x: [{delay: 1ms}]}}
workloads:
  w:
    entry: a.x
    arrivals: uniform
    schedule:
      - {at: 0s, rate: 100/s}
      - {at: 20s, rate: 300/s, ramp: 20s}
)y");
  // 20 s at 100/s, a 20 s ramp averaging 200/s, 20 s at 300/s: 2000 + 4000 + 6000.
  CHECK(static_cast<double>(path(r, "w").requests) == Approx(12000).margin(2));
}

TEST_CASE("bursts multiply the rate while they last", "[simulation]") {
  const auto r = run(R"y(version: 1
simulation: {duration: 600s, seed: 4}
services:
  a: {endpoints: {x: [{delay: 1ms}]}}
workloads:
  w: {entry: a.x, rate: 100/s, bursts: {every: 10s, for: 10s, factor: 3}}
)y");
  // On half the time at 300/s, off half at 100/s: 200/s on average.
  CHECK(static_cast<double>(path(r, "w").requests) / 600.0 == Approx(200).epsilon(0.03));
}

TEST_CASE("closed-loop users wait for their response, then think", "[simulation]") {
  const auto r = run(R"y(version: 1
simulation: {duration: 100s, seed: 1}
services:
  a: {endpoints: {x: [{delay: 50ms}]}}
workloads:
  w: {entry: a.x, users: 10, think: 50ms}
)y");
  // Each user completes one request per 100 ms: 100 per second.
  CHECK(path(r, "w").throughput_rps == Approx(100).epsilon(0.01));
}

TEST_CASE("trace replay sends one request per line", "[simulation]") {
  // The trace file lies beside the model, in the folder it is loaded from.
  auto loaded = m::load_string(R"y(version: 1
simulation: {duration: 10s, seed: 1}
services:
  a: {endpoints: {x: [{delay: 1ms}]}}
workloads:
  w: {entry: a.x, trace: arrivals.csv}
)y",
                               "t.yaml", {}, TAILSIM_SOURCE_DIR "/tests/unit/model/data");
  INFO(loaded.diagnostics.format_all());
  REQUIRE(loaded.ok());
  auto plan = tailsim::plan::compile_plan(*loaded.model, loaded.diagnostics);
  REQUIRE(plan);
  const auto r = tailsim::components::simulate(*plan);
  CHECK(path(r, "w").requests == 4);
  CHECK(path(r, "w").outcomes[Outcome::ok] == 4);
}

TEST_CASE("run limits stop a run early and say so", "[simulation]") {
  auto loaded = m::load_string(R"y(version: 1
services:
  a: {endpoints: {x: [{cpu: 1ms}]}}
workloads:
  w: {entry: a.x, rate: 1000/s}
)y",
                               "t.yaml");
  REQUIRE(loaded.ok());
  auto plan = tailsim::plan::compile_plan(*loaded.model, loaded.diagnostics);
  REQUIRE(plan);
  const auto r = tailsim::components::simulate(*plan, {.max_events = 1000, .on_progress = {}});
  CHECK(r.stopped_early);
  CHECK(r.events == 1000);
}

TEST_CASE("a run stopped by a signal's flag covers the time simulated, not the window",
          "[simulation]") {
  auto loaded = m::load_string(R"y(version: 1
simulation: {duration: 10h, warmup: 0s}
services:
  a: {endpoints: {x: [{cpu: 1ms}]}}
workloads:
  w: {entry: a.x, rate: 500/s}
)y",
                               "t.yaml");
  REQUIRE(loaded.ok());
  auto plan = tailsim::plan::compile_plan(*loaded.model, loaded.diagnostics);
  REQUIRE(plan);
  const std::atomic<bool> stop{true};  // as if SIGINT came before the run began
  tailsim::components::RunLimits limits;
  limits.stop_requested = &stop;
  const auto r = tailsim::components::simulate(*plan, limits);
  CHECK(r.stopped_early);
  CHECK(r.stop_reason == "interrupted");
  CHECK(r.simulated_s < 3600);
  REQUIRE(r.timeseries.interval_s > 0);
  // The series end where the run stopped: no intervals of time never simulated.
  CHECK(static_cast<double>(r.timeseries.intervals) * r.timeseries.interval_s <=
        r.simulated_s + r.timeseries.interval_s);
}

TEST_CASE("latency over all requests: failures count at the time they failed", "[simulation]") {
  // Half the requests fail at once (a `fail` step before any work), the rest
  // take exactly 10 ms: latency_all holds n values, the failures at 0.
  const auto r = run(R"y(version: 1
simulation: {duration: 100s, warmup: 0s, seed: 2}
services:
  api:
    endpoints: {get: [{fail: 50%}, {delay: 10ms}]}
workloads:
  w: {entry: api.get, rate: 20/s, arrivals: uniform}
)y");
  const auto& p = path(r, "w");
  const std::uint64_t ok = p.outcomes[Outcome::ok];
  const std::uint64_t failed = p.outcomes[Outcome::error];
  REQUIRE(ok + failed == p.requests);
  REQUIRE(failed > p.requests / 3);
  REQUIRE(ok > p.requests / 3);
  CHECK(p.latency.count() == ok);
  CHECK(p.latency.min() == 10'000'000);
  CHECK(p.latency_all.count() == p.requests);
  CHECK(p.latency_all.min() == 0);
  CHECK(p.latency_all.max() == 10'000'000);
  CHECK(p.latency_all.mean() ==
        Approx(10e6 * static_cast<double>(ok) / static_cast<double>(p.requests)).epsilon(1e-12));
  // Each percentile is 0 where its rank falls among the failures, 10 ms
  // above (as the histogram reads it: its bucket's middle, within 1/2048).
  const std::int64_t ten_ms = stats::Histogram::median_equivalent_value(10'000'000);
  for (const double q : {10.0, 25.0, 50.0, 75.0, 90.0, 99.0}) {
    const std::uint64_t rank = p.latency_all.rank_at_percentile(q);
    INFO("p" << q << " rank " << rank << " of " << p.requests << ", " << failed << " failed");
    CHECK(p.latency_all.value_at_percentile(q) == (rank <= failed ? 0 : ten_ms));
  }
  CHECK(p.latency_all.value_at_percentile(100) == 10'000'000);
}

TEST_CASE("latency over all requests: a timeout counts at the client's give-up", "[simulation]") {
  // A branch sends half the requests to 10 ms of I/O, half to 100 ms behind
  // a 50 ms client timeout. A timed-out request counts 50 ms, never 100.
  const auto r = run(R"y(version: 1
simulation: {duration: 100s, warmup: 0s, seed: 5}
services:
  api:
    endpoints:
      get:
        - branch:
            - {p: 0.5, steps: [{delay: 100ms}]}
            - {p: 0.5, steps: [{delay: 10ms}]}
workloads:
  w: {entry: api.get, rate: 20/s, arrivals: uniform, timeout: 50ms}
)y");
  const auto& p = path(r, "w");
  const std::uint64_t timeouts = p.outcomes[Outcome::timeout];
  REQUIRE(timeouts > p.requests / 3);
  REQUIRE(p.outcomes[Outcome::ok] + timeouts == p.requests);
  CHECK(p.latency.max() == 10'000'000);
  CHECK(p.latency_all.count() == p.requests);
  CHECK(p.latency_all.max() == 50'000'000);
  CHECK(p.latency_all.value_at_percentile(100) == 50'000'000);
  const std::uint64_t below = p.requests - timeouts;
  for (const double q : {25.0, 50.0, 75.0, 99.0}) {
    const std::uint64_t rank = p.latency_all.rank_at_percentile(q);
    INFO("p" << q << " rank " << rank);
    CHECK(p.latency_all.value_at_percentile(q) ==
          (rank <= below ? 10'000'000 : stats::Histogram::median_equivalent_value(50'000'000)));
  }
  CHECK(std::abs(p.latency_all.value_at_percentile(99) - 50'000'000) <= 50'000'000 / 2048);
  // results.json writes it beside the success latency.
  const std::string json = tailsim::report::to_json(r);
  CHECK(json.find("\"latency_all_ms\"") != std::string::npos);
}
