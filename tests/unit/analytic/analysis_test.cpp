#include "tailsim/analytic/analysis.hpp"

#include <cmath>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

#include <catch2/catch.hpp>

#include "support/simulate.hpp"
#include "tailsim/model/loader.hpp"

namespace {

using tailsim::analytic::Analysis;
using tailsim::analytic::analyze;
using tailsim::analytic::PathEstimate;
using tailsim::analytic::ServiceEstimate;
using tailsim::testing::named;

tailsim::model::Model load(const std::string& yaml) {
  auto loaded = tailsim::model::load_string(yaml, "t.yaml");
  INFO(loaded.diagnostics.format_all());
  REQUIRE(loaded.ok());
  return *loaded.model;
}

Analysis analyze_text(const std::string& yaml) {
  return analyze(load(yaml));
}

std::string scenario(const std::string& name) {
  return std::string(TAILSIM_TESTS_DIR) + "/scenarios/" + name + "/model.yaml";
}

Analysis analyze_file(const std::string& path) {
  auto loaded = tailsim::model::load_file(path);
  INFO(loaded.diagnostics.format_all());
  REQUIRE(loaded.ok());
  return analyze(*loaded.model);
}

bool has_note(const Analysis& a, const std::string& words) {
  for (const auto& n : a.notes) {
    if (n.find(words) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("visit ratios: sequential calls, times, p and times ranges", "[analytic]") {
  const auto a = analyze_text(R"(
version: 1
services:
  front:
    endpoints:
      h:
        - call: a.x
        - {call: b.y, times: 3}
        - {call: c.z, p: 0.25}
        - {call: a.x, times: 2..4}
  a: {endpoints: {x: [{cpu: exp(1ms)}]}}
  b: {endpoints: {y: [{cpu: exp(1ms)}]}}
  c: {endpoints: {z: [{cpu: exp(1ms)}]}}
workloads:
  main: {entry: front.h, rate: 10/s}
)");
  CHECK(named(a.services, "front").arrival_rps == Approx(10));
  CHECK(named(a.services, "a").arrival_rps == Approx(10 * (1 + 3)));  // 1 + mean of 2..4
  CHECK(named(a.services, "b").arrival_rps == Approx(30));
  CHECK(named(a.services, "c").arrival_rps == Approx(2.5));
}

TEST_CASE("visit ratios: branches, parallel children, nested calls", "[analytic]") {
  const auto a = analyze_text(R"(
version: 1
services:
  front:
    endpoints:
      h:
        - branch:
            - {p: 0.3, steps: [{call: b.y}]}
            - {p: 0.5, steps: [{call: c.z}, {call: b.y}]}
        - parallel: [{call: c.z}, {call: d.w, times: 2}]
  b: {endpoints: {y: [{call: d.w}]}}
  c: {endpoints: {z: [{cpu: exp(1ms)}]}}
  d: {endpoints: {w: [{cpu: exp(1ms)}]}}
workloads:
  main: {entry: front.h, rate: 100/s}
)");
  CHECK(named(a.services, "b").arrival_rps == Approx(80));
  CHECK(named(a.services, "c").arrival_rps == Approx(50 + 100));
  CHECK(named(a.services, "d").arrival_rps == Approx(80 + 200));  // through b, then parallel
}

TEST_CASE("visit ratios: fail steps, cache misses and queues", "[analytic]") {
  const auto a = analyze_text(R"(
version: 1
services:
  front:
    endpoints:
      h:
        - fail: 20%
        - cache: c
          miss: [{call: db.q}]
        - {publish: jobs}
  db: {endpoints: {q: [{cpu: exp(1ms)}]}}
  worker:
    endpoints:
      run:
        - cpu: exp(1ms)
        - {publish: jobs, p: 0.5}
caches:
  c: {hit_ratio: 90%}
queues:
  jobs: {consumer: worker.run}
workloads:
  main: {entry: front.h, rate: 100/s}
)");
  // 80% pass the fail step; 10% of those miss the cache.
  CHECK(named(a.services, "db").arrival_rps == Approx(8));
  // 80 messages a second, each sending on another with p = 0.5: 80 / (1 - 0.5).
  CHECK(named(a.services, "worker").arrival_rps == Approx(160));
  CHECK(named(a.paths, "jobs").rate_rps == Approx(160));
  CHECK(has_note(a, "`fail` steps"));
}

TEST_CASE("a publish loop that never ends has no finite traffic", "[analytic]") {
  const auto m = load(R"(
version: 1
services:
  api: {endpoints: {get: [{cpu: exp(2ms)}, {publish: jobs}]}}
  db: {endpoints: {query: [{cpu: exp(1ms)}, {publish: jobs}]}}
queues:
  jobs: {consumer: db.query}
workloads:
  main: {entry: api.get, rate: 100/s}
)");
  CHECK_THROWS_AS(analyze(m), std::runtime_error);
}

TEST_CASE("visit ratios: a loop through two queues makes the equations non-triangular",
          "[analytic]") {
  // worker = 1 + 0.8 relay and relay = 0.5 worker: worker = 1 / 0.6, relay = worker / 2,
  // and db twice worker; nothing reaches `idle`.
  const auto a = analyze_text(R"(
version: 1
services:
  front: {endpoints: {h: [{cpu: exp(1ms)}, {publish: work}]}}
  worker:
    endpoints:
      run:
        - {call: db.q, times: 2}
        - {publish: relayed, p: 0.5}
  relay: {endpoints: {go: [{publish: work, p: 0.8}]}}
  db: {endpoints: {q: [{cpu: exp(1ms)}]}}
  idle: {endpoints: {x: [{cpu: exp(1ms)}]}}
queues:
  work: {consumer: worker.run}
  relayed: {consumer: relay.go}
workloads:
  main: {entry: front.h, rate: 60/s}
)");
  CHECK(named(a.services, "front").arrival_rps == Approx(60));
  CHECK(named(a.services, "worker").arrival_rps == Approx(100));
  CHECK(named(a.services, "relay").arrival_rps == Approx(50));
  CHECK(named(a.services, "db").arrival_rps == Approx(200));
  CHECK(named(a.services, "idle").arrival_rps == 0);
  CHECK(named(a.paths, "work").rate_rps == Approx(100));
}

TEST_CASE("visit ratios: each workload's own, added up where they share a service", "[analytic]") {
  const auto a = analyze_text(R"(
version: 1
services:
  a: {endpoints: {h: [{call: shared.q, times: 3}]}}
  b: {endpoints: {h: [{call: shared.q, p: 0.25}, {call: shared.r}]}}
  shared:
    endpoints:
      q: [{cpu: exp(1ms)}]
      r: [{cpu: exp(1ms)}]
workloads:
  from-a: {entry: a.h, rate: 10/s}
  from-b: {entry: b.h, rate: 40/s}
)");
  // 10 x 3 + 40 x 0.25 calls of q, 40 of r.
  CHECK(named(a.services, "shared").arrival_rps == Approx(30 + 10 + 40));
  CHECK(named(a.services, "a").arrival_rps == Approx(10));
  CHECK(named(a.services, "b").arrival_rps == Approx(40));
}

TEST_CASE("a publish loop no workload reaches does not stop the analysis", "[analytic]") {
  // Each of loop.go's messages sends on one more: unbounded if anything started it.
  const auto a = analyze_text(R"(
version: 1
services:
  api: {endpoints: {get: [{cpu: exp(2ms)}]}}
  loop: {endpoints: {go: [{cpu: exp(1ms)}, {publish: again}]}}
queues:
  again: {consumer: loop.go}
workloads:
  main: {entry: api.get, rate: 100/s}
)");
  CHECK(named(a.services, "api").arrival_rps == Approx(100));
  CHECK(named(a.services, "loop").arrival_rps == 0);
}

TEST_CASE("a model without workloads: every service idle", "[analytic]") {
  // The dense solve used to abort here on an empty matrix.
  const auto a = analyze_text(R"(
version: 1
services:
  api: {endpoints: {get: [{cpu: 1ms}]}}
)");
  REQUIRE(a.services.size() == 1);
  CHECK(a.services[0].arrival_rps == 0);
  CHECK(a.paths.empty());
}

TEST_CASE("a chain of 60,000 calls: estimates without overflowing the stack", "[analytic]") {
  // The response times were a recursion three frames deep per call.
  constexpr int services = 60'000;
  std::string yaml = "version: 1\nservices:\n";
  for (int i = 0; i < services; ++i) {
    yaml += "  s" + std::to_string(i) + ": {endpoints: {h: [{cpu: 10us}";
    yaml += i + 1 < services ? ", {call: s" + std::to_string(i + 1) + ".h}]}}\n" : "]}}\n";
  }
  yaml += "workloads:\n  main: {entry: s0.h, rate: 10/s}\n";
  const auto a = analyze_text(yaml);
  REQUIRE(a.services.size() == static_cast<std::size_t>(services));
  CHECK(a.services.back().arrival_rps == Approx(10));
  // Every service adds its 10 us of CPU (at load 1e-4, stretched by nothing measurable).
  CHECK(named(a.paths, "main").mean_s == Approx(services * 10e-6).epsilon(1e-3));
}

TEST_CASE("utilization: offered CPU over replicas x cores", "[analytic]") {
  const auto a = analyze_text(R"(
version: 1
services:
  s: {replicas: 2, pod: {cpu: 2}, endpoints: {x: [{cpu: exp(2ms)}, {cpu: 3ms, p: 0.5}]}}
  ext: {external: true, concurrency: 10, endpoints: {x: [{delay: 100ms}]}}
  free: {external: true, endpoints: {x: [{delay: 100ms}]}}
  caller: {endpoints: {x: [{call: ext.x}, {call: free.x}]}}
workloads:
  main: {entry: s.x, rate: 400/s}
  other: {entry: caller.x, rate: 50/s}
)");
  // 400/s x (2 ms + 0.5 x 3 ms) = 1.4 cores over 2 pods x 2 cores.
  CHECK(named(a.services, "s").utilization == Approx(1.4 / 4));
  // External: requests in progress (50/s x 100 ms) over the concurrency.
  CHECK(named(a.services, "ext").utilization == Approx(0.5));
  CHECK(named(a.services, "free").utilization == 0);
  CHECK(a.is_analytic_regime() == false);  // concurrency rejections are not modelled
}

TEST_CASE("bottleneck and the largest rate of each workload", "[analytic]") {
  const auto a = analyze_text(R"(
version: 1
services:
  a: {endpoints: {x: [{cpu: exp(4ms)}, {call: b.y}]}}
  b: {endpoints: {y: [{cpu: exp(1ms)}], z: [{cpu: exp(10ms)}]}}
  ext: {external: true, endpoints: {x: [{delay: 5ms}]}}
workloads:
  w1: {entry: a.x, rate: 100/s}
  w2: {entry: b.z, rate: 50/s}
  w3: {entry: ext.x, rate: 10/s}
)");
  // a: 100 x 4 ms = 0.4; b: 100 x 1 ms + 50 x 10 ms = 0.6.
  CHECK(named(a.services, "a").utilization == Approx(0.4));
  CHECK(named(a.services, "b").utilization == Approx(0.6));
  REQUIRE(a.bottleneck);
  CHECK(a.services[*a.bottleneck].name == "b");
  // max_rps(w) = min over services of (1 - U without w) / (utilization per request of w):
  // w1: a (1 - 0) / 0.004 = 250, b (1 - 0.5) / 0.001 = 500; w2: b (1 - 0.1) / 0.010 = 90.
  CHECK(*named(a.paths, "w1").max_rps == Approx(250).epsilon(1e-9));
  CHECK(*named(a.paths, "w2").max_rps == Approx(90).epsilon(1e-9));
  CHECK(std::isinf(*named(a.paths, "w3").max_rps));  // nothing limits an external delay
  CHECK(a.is_analytic_regime());
}

TEST_CASE("without the max-rate search the estimates are the same, max_rps absent", "[analytic]") {
  const auto m = load(R"(
version: 1
services:
  a: {endpoints: {x: [{cpu: exp(4ms)}, {call: b.y}]}}
  b: {endpoints: {y: [{cpu: exp(1ms)}], z: [{cpu: exp(10ms)}]}}
workloads:
  w1: {entry: a.x, rate: 100/s}
  w2: {entry: b.z, rate: 50/s}
)");
  const Analysis full = analyze(m);
  const Analysis quick = analyze(m, {.max_rates = false});
  REQUIRE(quick.paths.size() == full.paths.size());
  for (std::size_t p = 0; p < full.paths.size(); ++p) {
    CHECK(full.paths[p].max_rps.has_value());
    CHECK_FALSE(quick.paths[p].max_rps.has_value());
    CHECK(quick.paths[p].mean_s == full.paths[p].mean_s);
    CHECK(quick.paths[p].rate_rps == full.paths[p].rate_rps);
  }
  REQUIRE(quick.services.size() == full.services.size());
  for (std::size_t s = 0; s < full.services.size(); ++s) {
    CHECK(quick.services[s].utilization == full.services[s].utilization);
  }
  CHECK(quick.bottleneck == full.bottleneck);
}

TEST_CASE("M/M/c mean per path, with network latency and a worker pool", "[analytic]") {
  const auto a = analyze_text(R"(
version: 1
network:
  default: {latency: 1ms}
services:
  front:
    pod: {workers: 2}
    endpoints: {h: [{delay: exp(10ms)}]}
  mmc: {pod: {cpu: 4, workers: 4}, endpoints: {x: [{cpu: exp(10ms)}]}}
  caller: {endpoints: {h: [{call: mmc.x}]}}
workloads:
  pool: {entry: front.h, rate: 100/s}
  mmc: {entry: caller.h, rate: 280/s}
)");
  // Worker pool: M/M/2 with a = 100/s x 10 ms = 1: C(2, 1) = 1/3, Wq = C H / (2 - a).
  const auto& front = named(a.services, "front");
  REQUIRE(front.worker_wait_s);
  CHECK(*front.worker_wait_s == Approx(0.010 / 3).epsilon(1e-12));
  CHECK(named(a.paths, "pool").mean_s == Approx(0.010 + 0.010 / 3).epsilon(1e-12));
  // M/M/4 at 280/s, 10 ms (Erlang C 0.428654): 13.5721 ms, plus 2 x 1 ms of network.
  CHECK(named(a.paths, "mmc").mean_s * 1e3 == Approx(13.5721 + 2).epsilon(1e-5));
}

TEST_CASE("a saturated service: infinite mean, out of the regime", "[analytic]") {
  const auto a = analyze_text(R"(
version: 1
services:
  s: {pod: {cpu: 1}, endpoints: {x: [{cpu: exp(10ms)}]}}
workloads:
  main: {entry: s.x, rate: 120/s}
)");
  CHECK(named(a.services, "s").utilization == Approx(1.2));
  CHECK(named(a.services, "s").is_saturated());
  CHECK(std::isinf(named(a.paths, "main").mean_s));
  CHECK(*named(a.paths, "main").max_rps == Approx(100).epsilon(1e-9));
  CHECK_FALSE(a.is_analytic_regime());
}

TEST_CASE("what the analysis cannot represent becomes a note", "[analytic]") {
  const auto a = analyze_text(R"(
version: 1
services:
  s: {endpoints: {x: [{cpu: exp(1ms)}, {call: t.y, timeout: 1s, retry: {attempts: 3}}]}}
  t: {endpoints: {y: [{cpu: exp(1ms)}]}}
workloads:
  main:
    entry: s.x
    schedule: [{at: 0s, rate: 10/s}, {at: 1m, rate: 40/s}]
)");
  CHECK(has_note(a, "retries are not modelled"));
  CHECK(has_note(a, "timeouts are not modelled"));
  CHECK(has_note(a, "peak scheduled rate, 40/s"));
  CHECK(named(a.paths, "main").rate_rps == Approx(40));
  CHECK_FALSE(a.is_analytic_regime());
}

// The open Jackson networks of tests/scenarios: the analysis must give the
// Jackson formula of their expected.yaml exactly, and the engine's mean must
// agree within the scenario's confidence tolerance. Here the runs are shorter
// (N = 2.5e5 requests rather than 1e6), so the tolerance is the scenario's
// formula 4/1.96 x hw95 x sqrt(1e6 / N) (docs/testing.md) at this N.
TEST_CASE("Jackson tandem: analysis = formula, simulation within tolerance",
          "[analytic][jackson]") {
  const auto a = analyze_file(scenario("jackson-tandem"));
  // 1/(200 - 50) + 1/(100 - 50) + 1/(80 - 50) seconds = 60 ms.
  const double formula_ms = 1e3 * (1.0 / 150 + 1.0 / 50 + 1.0 / 30);
  CHECK(named(a.paths, "main").mean_s * 1e3 == Approx(formula_ms).epsilon(1e-12));
  CHECK(formula_ms == Approx(60.0).epsilon(1e-12));
  CHECK(a.is_analytic_regime());

  const auto r =
      tailsim::testing::simulate_file(scenario("jackson-tandem"), {"simulation.duration=5000s"});
  const double tolerance = 4 / 1.96 * 0.005 * std::sqrt(1e6 / 2.5e5);  // hw95 0.5%
  CHECK(named(r.paths, "main").latency.mean() * 1e-6 == Approx(formula_ms).epsilon(tolerance));
}

TEST_CASE("Jackson branch: analysis = formula, simulation within tolerance",
          "[analytic][jackson]") {
  const auto a = analyze_file(scenario("jackson-branch"));
  // 1/(200 - 50) + 1/(100 - 50) + 0.3 / (20 - 15) seconds = 86.667 ms.
  const double formula_ms = 1e3 * (1.0 / 150 + 1.0 / 50 + 0.3 / 5);
  CHECK(named(a.paths, "main").mean_s * 1e3 == Approx(formula_ms).epsilon(1e-12));
  CHECK(named(a.services, "c").utilization == Approx(0.75).epsilon(1e-12));
  CHECK(a.is_analytic_regime());

  const auto r =
      tailsim::testing::simulate_file(scenario("jackson-branch"), {"simulation.duration=5000s"});
  const double tolerance = 4 / 1.96 * 0.019 * std::sqrt(1e6 / 2.5e5);  // hw95 1.9%
  CHECK(named(r.paths, "main").latency.mean() * 1e-6 == Approx(formula_ms).epsilon(tolerance));
}

TEST_CASE("M/M/c scenario: analysis = Erlang C", "[analytic][jackson]") {
  const auto a = analyze_file(scenario("mmc-erlang-c"));
  CHECK(named(a.paths, "main").mean_s * 1e3 == Approx(13.5721).epsilon(1e-5));
  CHECK(named(a.services, "server").utilization == Approx(0.7).epsilon(1e-12));
}

TEST_CASE("fork-join: the independent maximum is a little above the exact mean",
          "[analytic][jackson]") {
  // Two M/M/1 at rho = 0.5 behind one fork: exact R2 = (12 - rho) / 8 / (mu - lambda)
  // (Nelson and Tantawi 1988) = 28.75 ms; independent exponentials give 1.5 / (mu - lambda).
  const auto a = analyze_file(scenario("forkjoin-2-rho050"));
  const double estimate_ms = named(a.paths, "main").mean_s * 1e3;
  CHECK(estimate_ms == Approx(30.0).epsilon(1e-12));
  CHECK(estimate_ms >= 28.75);
  CHECK(estimate_ms <= 28.75 * 12 / (12 - 0.5) + 1e-9);
  CHECK(has_note(a, "parallel steps"));
  CHECK_FALSE(a.is_analytic_regime());  // an approximation: run shows no estimate
}

TEST_CASE("round-robin over several replicas is an approximation, random is not", "[analytic]") {
  const std::string yaml = R"(
version: 1
services:
  s: {replicas: 2, pod: {cpu: 1}, endpoints: {x: [{cpu: exp(10ms)}]}}
workloads:
  main: {entry: s.x, rate: 100/s}
)";
  const auto round_robin = analyze_text(yaml);
  CHECK(has_note(round_robin, "equal Poisson share"));
  CHECK_FALSE(round_robin.is_analytic_regime());
  // Each pod an M/M/1 at load 0.5 either way: 20 ms.
  CHECK(named(round_robin.paths, "main").mean_s == Approx(0.020).epsilon(1e-12));

  auto m = load(yaml);
  m.services[0].balancer.value = tailsim::model::BalancerKind::random;
  const auto random = analyze(m);
  CHECK(random.notes.empty());
  CHECK(random.is_analytic_regime());
}

namespace {

/// Exact MVA for N users over one M/M/1 server of demand D, thinking Z:
/// R(n) = D (1 + Q(n-1)), X(n) = n / (Z + R(n)), Q(n) = X(n) R(n).
std::pair<double, double> mm1_mva(int users, double think, double demand) {
  double queue = 0;
  double x = 0;
  double r = 0;
  for (int n = 1; n <= users; ++n) {
    r = demand * (1 + queue);
    x = n / (think + r);
    queue = x * r;
  }
  return {x, r};
}

}  // namespace

TEST_CASE("closed workload alone: exact mean value analysis", "[analytic][jackson]") {
  // tests/scenarios/closed-mva-*: one M/M/1 server, D = 10 ms, Z = 240 ms;
  // their expected.yaml hold exact MVA's X and R, which the simulation matches.
  for (const auto& [name, x, r] : {std::tuple{"closed-mva-10", 39.2071, 0.0150557},
                                   std::tuple{"closed-mva-25", 87.6714, 0.0451558},
                                   std::tuple{"closed-mva-40", 99.9252, 0.1602996}}) {
    const auto a = analyze_file(scenario(name));
    const auto& path = named(a.paths, "main");
    INFO(name);
    CHECK(path.rate_rps == Approx(x).epsilon(1e-5));
    CHECK(path.mean_s == Approx(r).epsilon(1e-5));
    CHECK(a.notes.empty());
    CHECK(a.is_analytic_regime());
    CHECK(named(a.services, "server").utilization == Approx(path.rate_rps * 0.010).epsilon(1e-12));
  }
}

TEST_CASE("closed workload over a network: multi-server and replicated stations",
          "[analytic][jackson]") {
  // tests/scenarios/closed-mva-network: its expected.yaml holds load-dependent
  // MVA's X and mean (the general recursion over each station's marginal
  // probabilities, independent of the multi-server step the analysis uses),
  // which the simulation matches.
  const auto a = analyze_file(scenario("closed-mva-network"));
  const auto& path = named(a.paths, "main");
  CHECK(a.notes.empty());
  CHECK(path.rate_rps == Approx(223.9562).epsilon(1e-6));
  CHECK(path.mean_s == Approx(0.0786064).epsilon(1e-6));
}

TEST_CASE("closed workload: delays and the network join the think time", "[analytic][jackson]") {
  // 25 users; a 30 ms delay step and 2 x 5 ms of network per call are pure
  // delays (no queue): MVA over the server with Z = 240 + 30 + 10 ms, and
  // the mean adds them back.
  const auto a = analyze_text(R"(
version: 1
network: {default: {latency: 5ms}}
services:
  front: {pod: {cpu: 1}, endpoints: {get: [{delay: 30ms}, {call: server.work}]}}
  server: {pod: {cpu: 1, workers: 1}, endpoints: {work: [{cpu: exp(10ms)}]}}
workloads:
  main: {entry: front.get, users: 25, think: exp(240ms)}
)");
  const auto [x, r] = mm1_mva(25, 0.280, 0.010);
  const auto& path = named(a.paths, "main");
  CHECK(a.notes.empty());
  CHECK(path.rate_rps == Approx(x).epsilon(1e-9));
  CHECK(path.mean_s == Approx(r + 0.040).epsilon(1e-9));
}

TEST_CASE("closed workload on services of its own beside an open one: still exact",
          "[analytic][jackson]") {
  // examples/closed-loop.yaml: open traffic on prod, 10 users on staging.
  const auto a = analyze_file(std::string(TAILSIM_SOURCE_DIR) + "/examples/closed-loop.yaml");
  CHECK(a.notes.empty());
  CHECK(a.is_analytic_regime());
  const auto [x, r] = mm1_mva(10, 0.100, 0.010);
  CHECK(named(a.paths, "load_test").rate_rps == Approx(x).epsilon(1e-9));
  CHECK(named(a.paths, "load_test").mean_s == Approx(r).epsilon(1e-9));
  CHECK(named(a.paths, "production").mean_s == Approx(0.010 / (1 - 0.785)).epsilon(1e-9));
}

TEST_CASE("closed workload sharing a server with an open one: the fixed point, with a note",
          "[analytic]") {
  // Two classes share the server: not a single-class network, so the closed
  // rate solves X = N / (Z + R(X)) with R the open network's mean at X.
  const auto a = analyze_text(R"(
version: 1
services:
  server: {pod: {cpu: 1, workers: 1}, endpoints: {work: [{cpu: exp(10ms)}]}}
workloads:
  users: {entry: server.work, users: 10, think: exp(240ms)}
  open: {entry: server.work, rate: 20/s}
)");
  const auto& path = named(a.paths, "users");
  CHECK(has_note(a, "is closed (10 users)"));
  CHECK_FALSE(a.is_analytic_regime());
  // The open network's mean at both rates: an M/M/1 at X + 20/s.
  const double r = 0.010 / (1 - (path.rate_rps + 20) * 0.010);
  CHECK(path.rate_rps * (0.240 + r) == Approx(10).epsilon(1e-9));
}

TEST_CASE("a worker pool exhausted by a slow dependency", "[analytic]") {
  // examples/thread-pool-exhaustion.yaml: 10 reports/s x 2 s hold 20 of the
  // api's 16 workers (Little's law), so the pool saturates while its CPU idles.
  const auto a =
      analyze_file(std::string(TAILSIM_SOURCE_DIR) + "/examples/thread-pool-exhaustion.yaml");
  const auto& api = named(a.services, "api");
  REQUIRE(api.worker_load);
  CHECK(*api.worker_load > 20.0 / 16);
  CHECK(api.utilization < 0.1);
  CHECK(api.is_saturated());
  CHECK(a.services[*a.bottleneck].name == "api");
  CHECK(std::isinf(named(a.paths, "status").mean_s));
  // status visits the saturated api whatever its own rate; reports fit 16
  // workers while x (2 s + a little CPU) + 100/s x ~1 ms stays below 16.
  CHECK(*named(a.paths, "status").max_rps == 0);
  CHECK(*named(a.paths, "report").max_rps == Approx((16 - 0.1) / 2.002).epsilon(0.01));
}

namespace {

/// Erlang C's mean time in system of an M/M/c queue (offered load a = lambda x s).
double erlang_c_mean(double lambda, double service, int servers) {
  const double a = lambda * service;
  double term = 1;
  double sum = 1;  // sum of a^k / k! for k < servers
  for (int k = 1; k < servers; ++k) {
    term *= a / k;
    sum += term;
  }
  const double last = term * a / servers;  // a^c / c!
  const double waiting = last / (1 - a / servers) / (sum + last / (1 - a / servers));
  return service + waiting * service / (servers - a);
}

std::string queue_model(const std::string& replicas, const std::string& balancer) {
  return R"(version: 1
services:
  shop:
    pod: {cpu: 2}
    endpoints:
      buy: [{cpu: exp(1ms)}, {publish: orders}]
  fulfil:
    replicas: )" +
         replicas + R"(
    balancer: )" +
         balancer + R"(
    pod: {cpu: 1}
    endpoints:
      process: [{cpu: exp(20ms)}]
queues:
  orders: {consumer: fulfil.process, partitions: 6}
workloads:
  sale: {entry: shop.buy, rate: 120/s}
)";
}

}  // namespace

TEST_CASE("a queue's partitions spread over the consumer's pods are one pool of their cores",
          "[analytic]") {
  // Six partitions over 3 pods of 1 core: at most 6 messages at once on 3
  // cores, exponential CPU work, processor sharing: the number in the
  // station moves as in an M/M/3 of 20 ms, at 120/s 80% busy. Counting the
  // pods' own queueing (100 ms each at 80%) under six partitions as well
  // called it saturated; the simulation drains it.
  const auto a = analyze_text(queue_model("3", "least_request"));
  const auto& orders = named(a.paths, "orders");
  REQUIRE(orders.is_queue);
  CHECK(orders.mean_s == Approx(erlang_c_mean(120, 0.020, 3)).epsilon(1e-9));
  CHECK(orders.mean_s == Approx(0.04160).epsilon(1e-3));  // 41.6 ms
  // Round robin spreads them too.
  CHECK(named(analyze_text(queue_model("3", "round_robin")).paths, "orders").mean_s ==
        Approx(orders.mean_s));
}

TEST_CASE("a queue whose consumer places messages at random queues at each pod", "[analytic]") {
  // Each of the 3 pods sees a Poisson 40/s: 100 ms (M/M/1 at 80%), so the six
  // partitions would each hold a message for 100 ms: 12 wanted at once, over
  // six. As the simulation shows, random placement cannot drain it.
  const auto a = analyze_text(queue_model("3", "random"));
  CHECK_FALSE(std::isfinite(named(a.paths, "orders").mean_s));
  // Consumers whose cores cannot keep up saturate the queue whatever the balancer.
  CHECK_FALSE(
      std::isfinite(named(analyze_text(queue_model("2", "least_request")).paths, "orders").mean_s));
}
