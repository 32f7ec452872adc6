#include "tailsim/study/replications.hpp"

#include <chrono>
#include <cmath>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tailsim/report/html_report.hpp"
#include "tailsim/study/runner.hpp"
#include "tailsim/study/study_text.hpp"
#include "unit/study/study_plans.hpp"

namespace study = tailsim::study;
using study::Metric;

TEST_CASE("replication seeds: the base first, then distinct valid --seed values",
          "[study][replications]") {
  CHECK(study::replication_seed(42, 0) == 42);
  const auto seeds = study::replication_seeds(42, 1000);
  CHECK(std::set<std::uint64_t>(seeds.begin(), seeds.end()).size() == seeds.size());
  for (const auto s : seeds) {
    CHECK(s < (std::uint64_t{1} << 63));
  }
  CHECK(study::replication_seeds(7, 3) != study::replication_seeds(8, 3));
}

TEST_CASE("run_in_parallel runs every index once, whatever the threads", "[study][replications]") {
  for (const unsigned jobs : {1U, 2U, 7U}) {
    std::vector<int> hits(100, 0);
    std::size_t last_done = 0;
    study::run_in_parallel(
        hits.size(), jobs, [&](std::size_t i) { ++hits[i]; },
        [&](std::size_t done) { last_done = done; });
    CHECK(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; }));
    CHECK(last_done == hits.size());
  }
  CHECK_THROWS_WITH(study::run_in_parallel(10, 2,
                                           [](std::size_t i) {
                                             if (i == 3 || i == 8) {
                                               throw std::runtime_error(std::to_string(i));
                                             }
                                           }),
                    "3");
}

TEST_CASE("one replication is the plain run", "[study][replications]") {
  const auto plan = tailsim::testing::compile_text(tailsim::testing::mm1_model);
  const auto plain = study::measure_run(study::simulate_with_seed(plan, plan.seed), plan.slos);
  study::ReplicationOptions options;
  const auto run = study::replicate(plan, options);
  REQUIRE(run.runs.size() == 1);
  CHECK(run.runs[0].paths[0].values == plain.paths[0].values);
  CHECK(run.paths[0][Metric::p99].mean == plain.paths[0][Metric::p99]);
  CHECK_FALSE(run.paths[0][Metric::p99].has_interval());
  CHECK_FALSE(run.first.paths[0].attribution.is_computed);

  // Asked to, replication 0 records where the time went and traces, as a
  // plain run does, and its numbers stay those of the plain run.
  options.replications = 2;
  options.attribution = true;
  options.traces = 5;
  const auto observed = study::replicate(plan, options);
  CHECK(observed.runs[0].paths[0].values == plain.paths[0].values);
  CHECK(observed.first.paths[0].attribution.is_computed);
  CHECK(observed.first.traces.size() == 5);
}

TEST_CASE("replications give the same numbers on one thread or three", "[study][replications]") {
  const auto plan = tailsim::testing::compile_text(tailsim::testing::mm1_model);
  study::ReplicationOptions options;
  options.precision = 0.05;
  options.max_replications = 40;
  options.jobs = 1;
  const auto one = study::replicate(plan, options);
  options.jobs = 3;
  const auto three = study::replicate(plan, options);
  REQUIRE(one.runs.size() == three.runs.size());
  CHECK(study::replications_to_json(one, options) == study::replications_to_json(three, options));
  // The stop is the first count from the minimum that meets the precision.
  if (one.precision_met) {
    CHECK(study::is_precise(one.paths, 0.05));
    const std::span<const study::RunMetrics> runs(one.runs);
    CHECK_FALSE(study::is_precise(study::estimate_paths(runs.first(runs.size() - 1)), 0.05));
  } else {
    CHECK(one.runs.size() == 40);
  }
}

TEST_CASE("confidence half-widths shrink as 1/sqrt(n)", "[study][replications]") {
  // 4,096 replications of M/M/1, cut into disjoint groups of n = 4, 16 and 64.
  // A group's half-width is t(n-1) s / sqrt(n), so n (hw / t)^2 = s^2, whose
  // mean over the G = 4096 / n groups estimates the variance of a
  // replication's throughput for every n; the root-mean-square half-width
  // over t therefore halves each time n is multiplied by four.
  //
  // Tolerance: the variance of s^2 is sigma^4 (2 / (n - 1) + kappa / n)
  // (kappa, the excess kurtosis of a Poisson count of ~400 arrivals, is
  // 1/400: negligible). Its mean over G groups has a relative standard
  // deviation of sqrt(2 / ((n - 1) G)): 2.6% (n = 4), 2.3% (n = 16), 2.2%
  // (n = 64). A ratio of two root-mean-squares has half the relative
  // deviation of the ratio of two means, at most 0.5 x sqrt(2.6^2 + 2.3^2)
  // = 1.7% (less: the groups share their data); four deviations is 7%.
  const auto plan = tailsim::testing::compile_text(tailsim::testing::mm1_model);
  const std::size_t total = 4096;
  std::vector<study::SimulationJob> jobs;
  for (const auto seed : study::replication_seeds(99, total)) {
    jobs.push_back({&plan, seed, {}});
  }
  const auto runs = study::run_jobs(jobs, 2);
  auto rms_scaled_half_width = [&](std::size_t n) {
    double sum = 0;
    const std::size_t groups = total / n;
    for (std::size_t g = 0; g < groups; ++g) {
      const auto e =
          study::estimate_paths(std::span(runs).subspan(g * n, n))[0][Metric::throughput];
      const double scaled = e.half_width / study::t_critical_95(n - 1);
      sum += scaled * scaled;
    }
    return std::sqrt(sum / static_cast<double>(groups));
  };
  const double hw4 = rms_scaled_half_width(4);
  const double hw16 = rms_scaled_half_width(16);
  const double hw64 = rms_scaled_half_width(64);
  CHECK(hw4 / hw16 == Approx(2).epsilon(0.07));
  CHECK(hw16 / hw64 == Approx(2).epsilon(0.07));
}

TEST_CASE("a run where no request succeeded has no latency, and estimates leave it out",
          "[study][replications]") {
  const auto plan = tailsim::testing::compile_text(tailsim::testing::mm1_model);
  const auto down_plan = tailsim::testing::compile_text(
      tailsim::testing::mm1_model,
      {"services.server.endpoints.handle=[{cpu: exp(10ms)}, {fail: 1.0}]"});
  const auto ok1 = study::measure_run(study::simulate_with_seed(plan, 1), plan.slos);
  const auto down = study::measure_run(study::simulate_with_seed(down_plan, 2), down_plan.slos);
  const auto ok3 = study::measure_run(study::simulate_with_seed(plan, 3), plan.slos);
  // results.json writes 0 ms; a study's run has no latency at all.
  for (const Metric m : study::all_metrics) {
    CHECK(std::isnan(down.paths[0][m]) == study::is_latency(m));
  }
  CHECK(down.paths[0][Metric::errors] == 1.0);
  CHECK(std::isnan(down.slo_values[0]));

  const std::vector<study::RunMetrics> runs = {ok1, down, ok3};
  const auto paths = study::estimate_paths(runs);
  const auto& p99 = paths[0][Metric::p99];
  CHECK(p99.n == 2);
  CHECK(p99.mean == Approx((ok1.paths[0][Metric::p99] + ok3.paths[0][Metric::p99]) / 2));
  CHECK(paths[0][Metric::errors].n == 3);
  CHECK(study::format_estimate(Metric::p99, p99, runs.size()).ends_with(" (2 of 3)"));
  CHECK(
      study::format_estimate(Metric::errors, paths[0][Metric::errors], runs.size()).find(" of ") ==
      std::string::npos);
}

TEST_CASE("run coverage counts the replications that ran and those that stopped early",
          "[study][replications]") {
  std::vector<study::RunMetrics> runs(5);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    runs[i].seed = 10 + i;
  }
  runs[1].stopped_early = true;
  runs[1].stop_reason = "memory budget: live work reached 3 MiB of the 2 MiB budget";
  runs[3].stopped_early = true;
  runs[3].stop_reason = "interrupted";
  runs[4].ran = false;  // never started: the study was interrupted first
  const auto coverage = study::run_coverage(runs);
  CHECK(coverage.asked == 5);
  CHECK(coverage.ran == 4);
  REQUIRE(coverage.stopped.size() == 2);
  CHECK(coverage.stopped[0].seed == 11);
  CHECK_FALSE(coverage.is_complete());
  CHECK(study::runs_that_ran(runs).size() == 4);
  CHECK(study::describe_coverage(coverage) ==
        std::vector<std::string>{
            "interrupted: 4 of 5 replications ran",
            "2 of 4 replications stopped early: memory budget (1), interrupted (1); the first "
            "(seed 11): memory budget: live work reached 3 MiB of the 2 MiB budget"});
  CHECK(study::describe_coverage(study::run_coverage(std::span(runs).first(1))).empty());
}

TEST_CASE("replications of a model no seed changes give every component a half-width of 0",
          "[study][replications]") {
  const auto plan = tailsim::testing::compile_text(tailsim::testing::deterministic_model);
  study::ReplicationOptions options;
  options.replications = 3;
  const auto run = study::replicate(plan, options);
  REQUIRE(run.components.size() == 3);  // server, worker, and the queue q
  for (const auto& c : run.components) {
    INFO(c.name);
    for (std::size_t m = 0; m < c.metrics.size(); ++m) {
      INFO(study::component_metrics(c.kind)[m].name);
      if (c.metrics[m].n > 0) {  // cpu_stat: no quota, no numbers
        CHECK(c.metrics[m].n == 3);
        CHECK(c.metrics[m].half_width == 0);
      }
    }
  }
  // 100 requests a second of 4 ms on one core; each publishes 2 ms of work.
  const auto* server =
      study::find_component(run.components, study::ComponentKind::service, "server");
  REQUIRE(server != nullptr);
  CHECK((*server)["utilization"].mean == Approx(0.4));
  CHECK((*server)["requests"].mean == 500);
  CHECK((*study::find_component(run.components, study::ComponentKind::queue, "q"))["published"]
            .mean == 500);
  CHECK(study::busiest_service(run.components) == server);
}

TEST_CASE("M/M/1 at rho 0.5: the utilization interval covers 0.5", "[study][replications]") {
  auto plan =
      tailsim::testing::compile_text(tailsim::testing::mm1_model, {"workloads.requests.rate=50/s"});
  plan.duration = std::chrono::seconds(60);
  study::ReplicationOptions options;
  options.replications = 10;
  options.jobs = 2;
  const auto run = study::replicate(plan, options);
  const auto& server = run.components.at(0);
  REQUIRE(server.name == "server");
  const auto& u = server["utilization"];
  CHECK(u.n == 10);
  CHECK(u.half_width > 0);
  CHECK(u.half_width < 0.02);  // 10 minutes of traffic pin it down
  CHECK(u.low() <= 0.5);
  CHECK(u.high() >= 0.5);
  // Every request arrives at the one service: its count is the path's.
  CHECK(server["requests"].mean == Approx(50 * 60).epsilon(0.02));
}

TEST_CASE("a replicated run shows and writes its services, queues and caches with intervals",
          "[study][replications]") {
  const auto plan = tailsim::testing::compile_text(tailsim::testing::parts_model);
  study::ReplicationOptions options;
  options.replications = 3;
  const auto run = study::replicate(plan, options);
  const std::string console = study::replications_to_console(run, options, /*color=*/false);
  // The tables of a plain run, each cell a mean ± half-width, columns aligned.
  const auto services = console.find("\n  SERVICES ");
  REQUIRE(services != std::string::npos);
  const auto table_end = console.find("\n\n", services + 1);
  const std::string table = console.substr(services + 1, table_end - services - 1);
  CHECK_THAT(table, Catch::Contains("requests") && Catch::Contains("util") &&
                        Catch::Contains("replicas") && Catch::Contains("external"));
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < table.size();) {
    const auto end = table.find('\n', at);
    lines.push_back(table.substr(at, end - at));
    at = end == std::string::npos ? table.size() : end + 1;
  }
  // The header, api, worker, bank, and under them the worker's GC pauses.
  REQUIRE(lines.size() == 5);
  CHECK_THAT(lines[4],
             Catch::StartsWith("    worker: goodput_rps=") && Catch::Contains(" gc_pause_s="));
  CHECK_THAT(lines[1], Catch::StartsWith("    api ") && Catch::Contains("% ± "));
  // Right-aligned: the "util" header ends where each utilization ends.
  const auto util_end = lines[0].find("util") + 4;
  CHECK(study::display_width(
            lines[1].substr(0, lines[1].find('%', lines[1].find("% ± ") + 3) + 1)) == util_end);
  CHECK_THAT(console, Catch::Contains("\n  CACHES ") && Catch::Contains("hit ratio") &&
                          Catch::Contains("\n  QUEUES ") && Catch::Contains("dead letters"));

  const auto j = nlohmann::json::parse(study::replications_to_json(run, options));
  const auto& r = j["replications"];
  const auto& api = r["services"]["api"];
  CHECK(api["utilization"]["n"] == 3);
  CHECK(api["utilization"]["mean"].get<double>() ==
        Approx((*study::find_component(run.components, study::ComponentKind::service,
                                       "api"))["utilization"]
                   .mean)
            .epsilon(1e-11));
  CHECK(api["replicas"]["max"]["mean"] == 2.0);
  CHECK(api["cpu_stat"]["nr_periods"]["n"] == 3);
  CHECK(r["services"]["bank"]["external"] == true);
  CHECK_FALSE(r["services"]["bank"].contains("utilization"));
  CHECK(r["queues"]["q"]["lag_max_s"]["n"] == 3);
  CHECK(r["caches"]["c"]["hit_ratio"]["half_width"].is_number());
}

TEST_CASE("report.html of a replicated run opens with every estimate and its interval",
          "[study][replications]") {
  const auto plan = tailsim::testing::compile_text(tailsim::testing::parts_model);
  study::ReplicationOptions options;
  options.replications = 3;
  const auto run = study::replicate(plan, options);
  const std::string section = study::replications_to_html(run);
  CHECK_THAT(section, Catch::Contains("over 3 replications") && Catch::Contains("replication 0"));
  // A table each for the paths, services, caches and queues, every number
  // with its half-width.
  for (const char* header : {"<th>PATHS</th>", "<th>SERVICES</th>", "<th>CACHES</th>",
                             "<th>QUEUES</th>", "<th>p99</th>", "<th>hit ratio</th>"}) {
    CHECK_THAT(section, Catch::Contains(header));
  }
  CHECK_THAT(section, Catch::Contains("<td>api</td><td class=\"n\">") &&
                          Catch::Contains("<td>worker</td>") && Catch::Contains("<td>q</td>"));
  CHECK_THAT(section, Catch::Contains("gc_pause_s="));
  // In the page, the first section, before the paths of replication 0.
  tailsim::report::HtmlReportInputs inputs;
  inputs.replications_html = section;
  const std::string page = tailsim::report::format_html_report(run.first, inputs);
  const auto replications = page.find("<section id=\"replications\">");
  REQUIRE(replications != std::string::npos);
  CHECK(replications < page.find("<section id=\"paths\">"));
  // A plain run's page has no such section.
  CHECK(tailsim::report::format_html_report(run.first, {}).find("id=\"replications\"") ==
        std::string::npos);
}
