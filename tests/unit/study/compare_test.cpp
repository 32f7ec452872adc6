#include "tailsim/study/compare.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "support/simulate.hpp"
#include "tailsim/study/runner.hpp"
#include "unit/study/study_plans.hpp"

namespace study = tailsim::study;
using study::Metric;
using study::Verdict;

namespace {

tailsim::plan::Plan compile_model(const std::string& name) {
  return tailsim::testing::compile_file(std::string(TAILSIM_TESTS_DIR) + "/cli/study_models/" +
                                        name);
}

/// The sample variance of b[i] - a[i] for a path's mean latency.
double variance_of_difference(const std::vector<study::RunMetrics>& a,
                              const std::vector<study::RunMetrics>& b) {
  std::vector<double> d;
  for (std::size_t i = 0; i < a.size(); ++i) {
    d.push_back(b[i].paths[0][Metric::mean] - a[i].paths[0][Metric::mean]);
  }
  const auto e = study::estimate_mean(d);
  const double n = static_cast<double>(d.size());
  const double s = e.half_width / study::t_critical_95(d.size() - 1) * std::sqrt(n);
  return s * s;
}

std::vector<study::RunMetrics> run_all(const tailsim::plan::Plan& plan,
                                       const std::vector<std::uint64_t>& seeds) {
  std::vector<study::SimulationJob> jobs;
  for (const auto seed : seeds) {
    jobs.push_back({&plan, seed, {}});
  }
  return study::run_jobs(jobs, 2);
}

/// A run with one path whose values are all `value`, and one SLO value.
study::RunMetrics run_of(double slo_value) {
  study::RunMetrics run;
  run.paths.push_back({"main", {}});
  run.slo_values = {slo_value};
  return run;
}

/// A frontend of 2 pods (1 core, 32 workers, random balancer) calling a
/// backend of one worker (FIFO), driven by workload `main` (its YAML
/// value), with the workloads `extra` adds.
tailsim::plan::Plan frontend_backend(const std::string& main, const std::string& extra,
                                     std::vector<std::string> overrides = {}) {
  return tailsim::testing::compile_text(fmt::format(R"(
version: 1
name: chain
simulation: {{duration: 60s, warmup: 10s, seed: 1}}
services:
  frontend:
    replicas: 2
    balancer: random
    pod: {{cpu: 1, workers: 32}}
    endpoints:
      page:
        - cpu: exp(12ms)
        - call: backend.query
  backend:
    pod: {{cpu: 1, workers: 1}}
    endpoints:
      query:
        - cpu: exp(10ms)
workloads:
  main: {}
{})",
                                                    main, extra),
                                        std::move(overrides));
}

/// B's own trickle of requests to the backend.
const std::string trickle = "  other: {entry: backend.query, rate: 3/s}";

/// How many times more replications independent seeds need than common
/// random numbers to estimate B - A's mean latency as closely: the ratio of
/// the two variances of that difference over 40 pairs. Such a ratio lies
/// within a factor F(0.999; 39, 39) = 2.7 of the true one (99.9%), so each
/// test's bound is the true ratio over 2.7, the true ratio as 2,000 pairs
/// measure it (docs/studies.md, the test "[measure]" below).
double crn_ratio(const tailsim::plan::Plan& a_plan, const tailsim::plan::Plan& b_plan,
                 std::size_t pairs = 40) {
  const auto seeds = study::replication_seeds(1, pairs);
  const auto a = run_all(a_plan, seeds);
  // B's own seeds, none of them A's.
  const std::uint64_t own_seeds = std::max<std::uint64_t>(1000, pairs + 1);
  const double crn = variance_of_difference(a, run_all(b_plan, seeds));
  const double independent =
      variance_of_difference(a, run_all(b_plan, study::replication_seeds(own_seeds, pairs)));
  UNSCOPED_INFO("variance of the difference, CRN " << crn << ", independent " << independent
                                                   << ", ratio " << independent / crn);
  return independent / crn;
}

}  // namespace

TEST_CASE("judge: an interval that excludes zero is better or worse by direction",
          "[study][compare]") {
  const study::Estimate up{5, 2, 10};
  const study::Estimate down{-5, 2, 10};
  const study::Estimate unclear{1, 2, 10};
  CHECK(study::judge(up, /*lower_is_better=*/true) == Verdict::worse);
  CHECK(study::judge(up, /*lower_is_better=*/false) == Verdict::better);
  CHECK(study::judge(down, /*lower_is_better=*/true) == Verdict::better);
  CHECK(study::judge(unclear, /*lower_is_better=*/true) == Verdict::no_significant_change);
  CHECK(study::judge(study::Estimate{5, std::nan(""), 1}, true) == Verdict::no_significant_change);
}

TEST_CASE("the SLO gate fails when B fails the check; a regression when B is also worse",
          "[study][compare]") {
  tailsim::stats::SloSpec spec;
  spec.check.text = "p99 < 100ms";
  spec.check.metric = tailsim::stats::SloMetric::percentile;
  spec.check.percentile = 99;
  spec.check.op = tailsim::stats::Comparison::less;
  spec.check.threshold = 100;
  const std::vector<tailsim::stats::SloSpec> slos = {spec};
  const std::vector<std::string> names = {"main"};
  auto compare = [&](std::vector<double> a, std::vector<double> b) {
    std::vector<study::RunMetrics> ra;
    std::vector<study::RunMetrics> rb;
    for (std::size_t i = 0; i < a.size(); ++i) {
      ra.push_back(run_of(a[i]));
      rb.push_back(run_of(b[i]));
    }
    const auto c = study::compare_runs(ra, rb, slos, names);
    REQUIRE(c.slos.size() == 1);
    return c;
  };
  // Worse and over the threshold: fail.
  const auto worse = compare({80, 82, 81, 79}, {110, 111, 113, 109});
  CHECK(worse.gate_fails());
  CHECK(worse.slos[0].regression);
  // Worse, but still well within the SLO: pass.
  CHECK_FALSE(compare({50, 52, 51, 49}, {60, 61, 63, 59}).gate_fails());
  // Failing in both, no significant change: the change did not do it, but
  // B fails its SLO, as `run B --replications N` says: one gate, one verdict.
  const auto both = compare({120, 130, 110, 125}, {125, 120, 118, 127});
  CHECK_FALSE(both.slos[0].b_ok);
  CHECK(both.slos[0].fails_gate);
  CHECK_FALSE(both.slos[0].regression);
  CHECK(both.gate_fails());
  // Better, yet still over the threshold: no regression, but B fails its
  // check, so the gate fails (one gate, one verdict).
  const auto better = compare({150, 152, 151, 149}, {120, 121, 123, 119});
  CHECK(better.gate_fails());
  CHECK_FALSE(better.slos[0].regression);
  // B lost every successful request (no p99 to measure: NaN) where A had
  // some: fail, in every replication or in one.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto down = compare({80, 82, 81, 79}, {nan, nan, nan, nan});
  CHECK(down.slos[0].b_unmeasured == 4);
  CHECK(down.gate_fails());
  CHECK(down.slos[0].regression);
  const auto once = compare({80, 82, 81, 79}, {81, nan, 80, 80});
  CHECK(once.slos[0].b_unmeasured == 1);
  CHECK(once.gate_fails());
  // Down in the same replications in both: not this change's doing, but
  // B still fails its check.
  const auto both_down = compare({80, nan, 81, 79}, {81, nan, 80, 80});
  CHECK(both_down.slos[0].b_unmeasured == 0);
  CHECK_FALSE(both_down.slos[0].regression);
  CHECK(both_down.gate_fails());
}

TEST_CASE("path latencies compare over the replications that measured them", "[study][compare]") {
  // A replication where nothing succeeded has no latency (NaN), not 0 ms:
  // each model's estimate leaves it out, and so does the paired difference.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> a = {10, nan, 12, 11};
  const std::vector<double> b = {11, 13, nan, 12};
  const auto d = study::compare_measured_pairs(a, b, /*lower_is_better=*/true);
  CHECK(d.a.n == 3);
  CHECK(d.a.mean == Approx(11));
  CHECK(d.b.n == 3);
  CHECK(d.b.mean == Approx(12));
  CHECK(d.b_minus_a.n == 2);  // pairs 0 and 3
  CHECK(d.b_minus_a.mean == Approx(1));
  CHECK(d.b_minus_a.half_width == Approx(0).margin(1e-12));
}

TEST_CASE("common random numbers detect a 10% slowdown with few replications", "[study][compare]") {
  // after.yaml is before.yaml with the backend's CPU demand 10% higher
  // (exp(11ms) instead of exp(10ms)). With common random numbers replication
  // i of both draws the same arrivals and the same uniforms for every step,
  // so the runs differ by the slowdown alone and the difference of their
  // means varies little from one replication to the next.
  const auto before = compile_model("before.yaml");
  const auto after = compile_model("after.yaml");

  const auto paired = study::compare_plans(before, after, 5, 2);
  REQUIRE(paired.paths.size() == 1);
  const auto& mean = paired.paths[0][Metric::mean];
  CHECK(mean.verdict == Verdict::worse);
  CHECK(mean.b_minus_a.low() > 0);

  // The same 40 replications of each model, paired by seed (common random
  // numbers) and with B on seeds of its own (independent). The number of
  // replications a confidence interval of a given width needs is
  // proportional to the variance of the difference (n = (t s / h)^2), so
  // the ratio of the two variances is how many times more replications
  // independent seeds need.
  const auto seeds = study::replication_seeds(1, 40);
  const auto other_seeds = study::replication_seeds(1000, 40);
  const auto a = run_all(before, seeds);
  const auto b_common = run_all(after, seeds);
  const auto b_independent = run_all(after, other_seeds);
  const double crn = variance_of_difference(a, b_common);
  const double independent = variance_of_difference(a, b_independent);
  INFO("variance of the difference: CRN " << crn << ", independent " << independent);
  CHECK(independent > 10 * crn);
}

TEST_CASE("B stopped early or unstable fails the gate; a regression only where A was not",
          "[study][compare]") {
  tailsim::stats::SloSpec spec;
  spec.check.text = "p99 < 100ms";
  spec.check.metric = tailsim::stats::SloMetric::percentile;
  spec.check.percentile = 99;
  spec.check.op = tailsim::stats::Comparison::less;
  spec.check.threshold = 100;
  const std::vector<tailsim::stats::SloSpec> slos = {spec};
  const std::vector<std::string> names = {"main"};
  // Numbers alike and well within the check: only the flags differ.
  auto compare = [&](std::vector<bool> a_stopped, std::vector<bool> b_stopped,
                     std::vector<bool> a_unstable, std::vector<bool> b_unstable) {
    std::vector<study::RunMetrics> ra;
    std::vector<study::RunMetrics> rb;
    for (std::size_t i = 0; i < a_stopped.size(); ++i) {
      ra.push_back(run_of(50 + static_cast<double>(i)));
      rb.push_back(run_of(50 + static_cast<double>(i)));
      ra.back().stopped_early = a_stopped[i];
      rb.back().stopped_early = b_stopped[i];
      ra.back().stop_reason = a_stopped[i] ? "memory budget: A" : "";
      rb.back().stop_reason = b_stopped[i] ? "memory budget: B" : "";
      ra.back().paths[0].unstable = a_unstable[i];
      rb.back().paths[0].unstable = b_unstable[i];
    }
    return study::compare_runs(ra, rb, slos, names);
  };
  const std::vector<bool> none = {false, false, false};
  const std::vector<bool> second = {false, true, false};
  const auto clean = compare(none, none, none, none);
  CHECK_FALSE(clean.gate_fails());
  CHECK_FALSE(clean.has_stopped_runs());
  CHECK(clean.slos[0].b_ok);

  const auto b_alone = compare(none, second, none, none);
  CHECK(b_alone.b_stopped_alone == 1);
  CHECK(b_alone.b_coverage.stopped.size() == 1);
  CHECK(b_alone.b_coverage.stopped[0].reason == "memory budget: B");
  CHECK_FALSE(b_alone.slos[0].b_ok);
  CHECK(b_alone.gate_fails());

  const auto both = compare(second, second, none, none);
  CHECK(both.b_stopped_alone == 0);
  CHECK(both.has_stopped_runs());
  CHECK_FALSE(both.slos[0].b_ok);
  CHECK_FALSE(both.slos[0].regression);  // not B's doing
  CHECK(both.gate_fails());              // but B's checks fail, as in `run B`

  const auto a_alone = compare(second, none, none, none);
  CHECK(a_alone.has_stopped_runs());
  CHECK(a_alone.slos[0].b_ok);
  CHECK_FALSE(a_alone.gate_fails());

  const auto b_unstable = compare(none, none, none, second);
  CHECK(b_unstable.paths[0].b_unstable == 1);
  CHECK(b_unstable.slos[0].b_unstable_alone == 1);
  CHECK_FALSE(b_unstable.slos[0].b_ok);
  CHECK(b_unstable.gate_fails());

  const auto both_unstable = compare(none, none, second, second);
  CHECK(both_unstable.slos[0].b_unstable == 1);
  CHECK(both_unstable.slos[0].b_unstable_alone == 0);
  CHECK_FALSE(both_unstable.slos[0].b_ok);
  CHECK_FALSE(both_unstable.slos[0].regression);
  CHECK(both_unstable.gate_fails());
}

TEST_CASE("compare gives each service, queue and cache metric's A, B and B - A",
          "[study][compare]") {
  // B doubles the server's pods: its utilization halves, its load does not.
  const auto a =
      tailsim::testing::compile_text(tailsim::testing::mm1_model, {"simulation.duration=30s"});
  const auto b = tailsim::testing::compile_text(
      tailsim::testing::mm1_model, {"simulation.duration=30s", "services.server.replicas=2"});
  const auto c = study::compare_plans(a, b, 5, 2);
  REQUIRE(c.components.size() == 1);
  const auto& server = c.components[0];
  CHECK(server.name == "server");
  const auto& u = server["utilization"];
  CHECK(u.a.n == 5);
  CHECK(u.b.mean == Approx(u.a.mean / 2).epsilon(0.05));
  CHECK(u.b_minus_a.low() <= -0.4);  // 0.4 - 0.8, rate x service time / replicas
  CHECK(u.b_minus_a.high() >= -0.4);
  CHECK(study::component_change(u) == "lower");
  // The same arrivals reach both (common random numbers): no difference at all.
  CHECK(server["requests"].b_minus_a.mean == 0);
  CHECK(server["requests"].b_minus_a.half_width == 0);
  CHECK(study::component_change(server["requests"]) == "no significant change");
  CHECK(c.components_only_in_a.empty());

  const std::string console = study::comparison_to_console(c, /*color=*/false);
  CHECK_THAT(console, Catch::Contains("SERVICES, QUEUES AND CACHES  A, B and B - A"));
  const auto rows = study::comparison_component_table(c);
  REQUIRE(rows.size() >= 7);  // the header and the six metrics of the SERVICES table
  CHECK(rows[0] == std::vector<std::string>{"component", "metric", "A", "B", "B - A", "change"});
  CHECK(rows[1][0] == "service server");
  CHECK(rows[2][0].empty());  // the name once per component
  const auto utilization = std::find_if(rows.begin(), rows.end(),
                                        [](const auto& row) { return row[1] == "utilization"; });
  REQUIRE(utilization != rows.end());
  CHECK_THAT((*utilization)[4], Catch::StartsWith("-") && Catch::Contains("% ± "));
  CHECK((*utilization)[5] == "lower");

  const auto j = nlohmann::json::parse(study::comparison_to_json(c));
  const auto& ju = j["services"]["server"]["utilization"];
  CHECK(ju["a"]["n"] == 5);
  CHECK(ju["difference"]["mean"].get<double>() == Approx(u.b_minus_a.mean).epsilon(1e-11));
  CHECK(ju["change"] == "lower");
  CHECK(j["services"]["server"]["replicas"]["mean"]["b"]["mean"] == 2.0);
  CHECK(j["components_only_in_b"].empty());
}

TEST_CASE("common random numbers survive load: each request draws its own numbers",
          "[study][compare]") {
  // A frontend of 2 pods calls a backend of one worker (FIFO) at 30%, 60%
  // and 85% of the backend's capacity; B also sends the backend a trickle of
  // its own (3 requests a second). Each request's draws come from its own
  // streams (its workload, arrival number and step: docs/semantics.md,
  // "Random numbers per request"), so `main`'s requests need the same work
  // at the backend in both models, and the difference of the two runs'
  // mean latencies varies much less from one seed to the next than with
  // seeds of its own for B (independent). The ratio of the variances is how
  // many times more replications independent seeds need. With one stream
  // per step, fed to requests in the order they reached it, the trickle's
  // requests took draws from `main`'s and the ratio was 7.9, 3.0 and 5.3
  // (docs/studies.md, "How common the random numbers are").
  struct Case {
    double rate;  // requests per second: the backend's utilization in A, in %
    double least_ratio;
  };
  const Case cases[] = {{30, 15.4}, {60, 10}, {85, 3}};  // 41.8, 27.1, 8.2 over 2.7
  for (const Case& c : cases) {
    const auto main = fmt::format("{{entry: frontend.page, rate: {}/s}}", c.rate);
    INFO("utilization " << c.rate << "%");
    CHECK(crn_ratio(frontend_backend(main, ""), frontend_backend(main, trickle)) > c.least_ratio);
  }
}

TEST_CASE("common random numbers hold in a closed loop, its think times drawn in finishing order",
          "[study][compare]") {
  // The same frontend and backend, driven by a closed loop of 10, 20 and 30
  // users (think exp(300ms)): the backend runs at about 31%, 59% and 83%.
  // B sends the backend the trickle. The think times are drawn per workload
  // in the order its users finish, so the k-th request to arrive comes after
  // the same think time in A and in B, and the arrivals stay in step. Keyed
  // by user instead (a user's k-th think time its own), the users drift
  // apart in time, meet other requests at the backend, and the ratio falls
  // to 3 to 5 (docs/studies.md, "How common the random numbers are").
  struct Case {
    int users;
    double least_ratio;
  };
  const Case cases[] = {{10, 6.5}, {20, 7.5}, {30, 8.4}};  // 17.7, 20.3, 22.8 over 2.7
  for (const Case& c : cases) {
    const auto main =
        fmt::format("{{entry: frontend.page, users: {}, think: exp(300ms)}}", c.users);
    INFO(c.users << " users");
    CHECK(crn_ratio(frontend_backend(main, ""), frontend_backend(main, trickle)) > c.least_ratio);
  }
}

TEST_CASE("the variance reductions of docs/studies.md", "[.][measure]") {
  // Not run by default: the tables of docs/studies.md, "How common the
  // random numbers are", and the true ratios the two tests above divide by
  // 2.7: TAILSIM_CRN_PAIRS=2000 tailsim_tests "[measure]" (200 pairs
  // without it)
  const char* const env = std::getenv("TAILSIM_CRN_PAIRS");
  const std::size_t pairs = env != nullptr ? std::stoul(env) : 200;
  // One row: workload `main` (its YAML value), B with the trickle, and B
  // with a third frontend pod.
  const auto row = [&](const std::string& label, const std::string& main) {
    const auto a = frontend_backend(main, "");
    fmt::print("{}: trickle {:.3g}, third pod {:.3g}\n", label,
               crn_ratio(a, frontend_backend(main, trickle), pairs),
               crn_ratio(a, frontend_backend(main, "", {"services.frontend.replicas=3"}), pairs));
  };
  for (const int rate : {30, 60, 85}) {
    row(fmt::format("open, {}%", rate), fmt::format("{{entry: frontend.page, rate: {}/s}}", rate));
  }
  for (const int users : {10, 20, 30}) {
    row(fmt::format("closed, {} users", users),
        fmt::format("{{entry: frontend.page, users: {}, think: exp(300ms)}}", users));
  }
}
