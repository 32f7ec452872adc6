#include "tailsim/study/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tailsim/report/json_report.hpp"
#include "unit/study/study_plans.hpp"

namespace study = tailsim::study;

using tailsim::SloMetric;
using tailsim::study::Metric;
using tailsim::study::slo_value_unit;

TEST_CASE("an SLO check's value is written in its metric's unit", "[metrics]") {
  CHECK(slo_value_unit(SloMetric::errors) == Metric::errors);
  CHECK(slo_value_unit(SloMetric::throughput) == Metric::throughput);
  // Latency checks, whatever their term, read in milliseconds as the mean does.
  CHECK(slo_value_unit(SloMetric::percentile) == Metric::mean);
  CHECK(slo_value_unit(SloMetric::max) == Metric::mean);
  CHECK(slo_value_unit(SloMetric::mean) == Metric::mean);
}

namespace {

/// The value at a dotted name ("replicas.mean") inside `j`; null when absent.
nlohmann::json at_dotted(const nlohmann::json& j, std::string_view name) {
  const nlohmann::json* at = &j;
  for (auto dot = name.find('.');; dot = name.find('.')) {
    const std::string key(name.substr(0, dot));
    if (!at->contains(key)) {
      return nullptr;
    }
    at = &(*at)[key];
    if (dot == std::string_view::npos) {
      return *at;
    }
    name.remove_prefix(dot + 1);
  }
}

/// Every number under `j`, by dotted name.
void dotted_numbers(const nlohmann::json& j, const std::string& prefix,
                    std::vector<std::string>& out) {
  for (const auto& [key, value] : j.items()) {
    const std::string name = prefix.empty() ? key : prefix + "." + key;
    if (value.is_object()) {
      dotted_numbers(value, name, out);
    } else if (value.is_number()) {
      out.push_back(name);
    }
  }
}

}  // namespace

TEST_CASE("a run's services, queues and caches are reduced to results.json's numbers",
          "[metrics]") {
  const auto plan = tailsim::testing::compile_text(tailsim::testing::parts_model);
  const auto results = tailsim::components::simulate(plan);
  const auto run = tailsim::study::measure_run(results, plan.slos);
  const auto json = nlohmann::json::parse(tailsim::report::to_json(results));
  REQUIRE(run.components.size() ==
          results.services.size() + results.queues.size() + results.caches.size());
  std::size_t kinds_seen[3] = {};
  for (const auto& c : run.components) {
    ++kinds_seen[static_cast<std::size_t>(c.kind)];
    INFO(c.name);
    const auto& reported = json[std::string(study::component_kind_key(c.kind))][c.name];
    CHECK(c.is_external == reported.contains("external"));
    // Each metric is the number results.json gives under the same name, and
    // absent there exactly when the run has none.
    const auto specs = study::component_metrics(c.kind);
    REQUIRE(c.values.size() == specs.size());
    std::vector<std::string> named;
    for (std::size_t m = 0; m < specs.size(); ++m) {
      INFO(specs[m].name);
      const auto value = at_dotted(reported, specs[m].name);
      if (std::isnan(c.values[m])) {
        CHECK(value.is_null());
      } else {
        REQUIRE(value.is_number());
        CHECK(value.get<double>() == Approx(c.values[m]).epsilon(1e-11));
        named.push_back(std::string(specs[m].name));
      }
    }
    // And nothing results.json has for it is left out (cpu_stat.throttled_s
    // repeats the service's throttled_s).
    std::vector<std::string> in_json;
    dotted_numbers(reported, "", in_json);
    std::erase(in_json, "cpu_stat.throttled_s");
    std::sort(in_json.begin(), in_json.end());
    std::sort(named.begin(), named.end());
    CHECK(in_json == named);
  }
  CHECK(kinds_seen[0] == 3);  // api, worker and the external bank
  CHECK(kinds_seen[1] == 1);
  CHECK(kinds_seen[2] == 1);
  CHECK(run.components.front()["cpu_stat.nr_periods"] > 0);  // api runs under a quota
}

TEST_CASE("component estimates: each metric over the replications that measured it", "[metrics]") {
  const auto run = [](double utilization, double nr_periods) {
    study::RunMetrics r;
    study::ComponentMetrics c{study::ComponentKind::service, "api", false, {}};
    c.values.assign(study::component_metrics(c.kind).size(), 0.0);
    c.values[study::component_metric_index(c.kind, "utilization")] = utilization;
    c.values[study::component_metric_index(c.kind, "cpu_stat.nr_periods")] = nr_periods;
    r.components.push_back(c);
    return r;
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<study::RunMetrics> runs = {run(0.4, nan), run(0.6, 10), run(0.5, nan)};
  const auto estimates = study::estimate_components(runs);
  REQUIRE(estimates.size() == 1);
  const auto& u = estimates[0]["utilization"];
  CHECK(u.n == 3);
  CHECK(u.mean == Approx(0.5));
  // s = 0.1, t(0.975, 2) = 4.3027: 4.3027 x 0.1 / sqrt(3).
  CHECK(u.half_width == Approx(4.3026527297 * 0.1 / std::sqrt(3.0)));
  CHECK(estimates[0]["cpu_stat.nr_periods"].n == 1);
  CHECK(estimates[0]["cpu_stat.nr_periods"].mean == 10);
  CHECK(study::busiest_service(estimates) == &estimates[0]);
  CHECK(study::find_component(estimates, study::ComponentKind::queue, "api") == nullptr);
}

TEST_CASE("a path's latency over all requests is reduced and estimated beside its successes'",
          "[metrics]") {
  auto run_with = [](std::vector<std::int64_t> successes, std::vector<std::int64_t> failures) {
    tailsim::stats::Results r;
    tailsim::stats::PathResult& p = r.paths.emplace_back();
    p.name = "checkout";
    p.requests = successes.size() + failures.size();
    p.outcomes[tailsim::stats::Outcome::ok] = successes.size();
    p.outcomes[tailsim::stats::Outcome::timeout] = failures.size();
    for (const std::int64_t ns : successes) {
      p.latency.record(ns);
      p.latency_all.record(ns);
    }
    for (const std::int64_t ns : failures) {
      p.latency_all.record(ns);
    }
    return study::measure_run(r, {});
  };
  // Two successes of 1 and 2 ms, one timeout at 2 s.
  const study::RunMetrics a = run_with({1'000'000, 2'000'000}, {2'000'000'000});
  const study::PathMetrics& p = a.paths.front();
  CHECK(p[Metric::mean] == Approx(1.5));
  CHECK(p[Metric::max] == Approx(2.0));
  CHECK(p.all[0] == Approx((1.0 + 2.0 + 2000.0) / 3));  // mean
  CHECK(p.all[1] == Approx(2.0).epsilon(1e-3));         // p50: the second of three
  CHECK(p.all[5] == Approx(2000.0));                    // max
  // Nothing finished: no latency over all requests either.
  const study::RunMetrics none = run_with({}, {});
  for (const double v : none.paths.front().all) {
    CHECK(std::isnan(v));
  }
  // Estimated over the runs that have one, as the successes' latency is.
  const study::RunMetrics b = run_with({1'000'000}, {4'000'000'000});
  const std::vector<study::RunMetrics> runs = {a, b, none};
  const auto estimates = study::estimate_paths(runs);
  REQUIRE(estimates.size() == 1);
  CHECK(estimates.front().all[5].n == 2);
  CHECK(estimates.front().all[5].mean == Approx(3000.0));
}
