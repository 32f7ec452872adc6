// study/calibration: matching traces to a model's paths and edges, the
// figures and their verdicts, each against an answer known by construction.

#include "tailsim/study/calibration.hpp"

#include <cmath>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tailsim/model/loader.hpp"

namespace {

using namespace tailsim;
using study::Figure;
using study::FigureVerdict;

/// A model whose workload enters at front.get, which calls back.work.
const std::string calibration_model = R"(version: 1
name: cal
simulation: {duration: 10s, seed: 1}
services:
  front:
    endpoints:
      get:
        - cpu: 1ms
        - call: back.work
  back:
    endpoints:
      work:
        - delay: 5ms
workloads:
  shoppers: {entry: front.get, rate: 10/s}
)";

model::Model load_calibration_model(const std::string& text = calibration_model) {
  auto loaded = model::load_string(text, "cal.yaml");
  REQUIRE(loaded.ok());
  REQUIRE_FALSE(loaded.diagnostics.has_errors());
  return std::move(*loaded.model);
}

/// 1 ms, 2 ms, ..., n ms.
std::vector<Duration> millis_up_to(int n) {
  std::vector<Duration> out;
  for (int i = 1; i <= n; ++i) {
    out.emplace_back(std::int64_t{i} * 1'000'000);
  }
  return out;
}

/// Start times that deal `successes` requests, then `failures`, round-robin
/// into ten classes, each class's in turn: the ten batches calibrate cuts in
/// time order are alike (every tenth latency in each, the failures spread
/// evenly), and the intervals are those of independent requests.
std::vector<std::int64_t> dealt_starts(std::size_t count, std::size_t successes) {
  std::vector<std::int64_t> out;
  const auto block = static_cast<std::int64_t>(successes + 1);
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(static_cast<std::int64_t>(i % 10) * block +
                  static_cast<std::int64_t>(i * successes / count));
  }
  return out;
}

/// Traces of front.get (named as a tracer would: "Front" and "GET") with
/// `latency` for its successes and `failed` failures, calling back.work.
import::TraceEvidence calibration_evidence(const std::vector<Duration>& latency,
                                           std::size_t failed){import::TraceEvidence evidence;
import::EndpointEvidence back;
back.service = "back";
back.name = "work";
import::EndpointEvidence front;
front.service = "Front";
front.name = "get";
import::CallSiteEvidence site;
site.callee = 0;
site.calls = latency.size();
site.latency = latency;
site.latency_start_ns = dealt_starts(latency.size(), latency.size());
front.calls.push_back(site);
evidence.endpoints = {back, front};
import::WorkloadEvidence workload;
workload.endpoint = 1;
workload.traces = latency.size() + failed;
workload.latency = latency;
workload.failed = failed;
workload.latency_start_ns = dealt_starts(latency.size(), latency.size());
workload.failure_start_ns = dealt_starts(failed, latency.size());
workload.rate_per_s = 42.0;
evidence.workloads = {workload};
evidence.counts.traces_kept = workload.traces;
return evidence;
}  // namespace

/// Results with the path and the edge front -> back.work recording
/// `latency` scaled by `factor`, `failed` of the requests failed.
stats::Results calibration_results(const std::vector<Duration>& latency, double factor,
                                   std::uint64_t failed) {
  stats::Results results;
  stats::PathResult path;
  path.name = "shoppers";
  for (const Duration d : latency) {
    path.latency.record(std::llround(static_cast<double>(d.count()) * factor));
  }
  path.outcomes[stats::Outcome::ok] = latency.size();
  path.outcomes[stats::Outcome::error] = failed;
  results.paths = {path};
  stats::EdgeResult edge;
  edge.caller = "front";
  edge.target = "back.work";
  edge.latency = path.latency;
  edge.outcomes[stats::Outcome::ok] = latency.size();
  stats::EdgeResult client;
  client.caller = "client/shoppers";
  client.target = "front.get";
  client.outcomes[stats::Outcome::ok] = 1;
  results.edges = {edge, client};
  return results;
}

const study::FigureCheck& figure_of(const study::CalibrationItem& item, Figure figure) {
  for (const auto& f : item.figures) {
    if (f.figure == figure) {
      return f;
    }
  }
  FAIL("no figure " << study::figure_name(figure));
  return item.figures.front();
}

}  // namespace

TEST_CASE("calibrate: the same latencies pass every figure, names matched as import writes them",
          "[study][calibrate]") {
  const auto m = load_calibration_model();
  const auto latency = millis_up_to(1000);
  const auto c =
      study::calibrate(calibration_evidence(latency, 0), m, calibration_results(latency, 1.0, 0));
  REQUIRE(c.paths.size() == 1);
  const auto& path = c.paths[0];
  CHECK(path.name == "front.get");  // "Front" from the traces is the model's "front"
  CHECK(path.workload == "shoppers");
  CHECK(path.observed_count == 1000);
  CHECK(path.simulated_count == 1000);
  // The edge front -> back.work; the workload's client edge is left to the path.
  REQUIRE(c.edges.size() == 1);
  CHECK(c.edges[0].name == "front -> back.work");
  for (const auto& f : path.figures) {
    INFO(study::figure_name(f.figure));
    CHECK(f.verdict == FigureVerdict::ok);
  }
  CHECK(figure_of(path, Figure::mean).observed == Approx(500.5));
  CHECK(figure_of(path, Figure::p50).observed == Approx(500));  // nearest rank: the 500th
  CHECK(figure_of(path, Figure::p99).observed == Approx(990));
  CHECK(c.figures_compared() == 10);
  CHECK(c.passes());
}

TEST_CASE("calibrate: percentile intervals from order statistics, the mean's from the normal",
          "[study][calibrate]") {
  const auto m = load_calibration_model();
  const auto latency = millis_up_to(1000);
  const auto c =
      study::calibrate(calibration_evidence(latency, 0), m, calibration_results(latency, 1.0, 0));
  // 10 figures compared: each interval at 1 - 0.05 / 10, z = 2.80703 (Bonferroni)
  CHECK(c.interval_z == Approx(2.8070337683));
  const auto& p50 = figure_of(c.paths[0], Figure::p50);
  // ranks 1000 x 0.5 -+ 2.807 sqrt(250) = 500 -+ 44.38: the 455th and the 546th
  // (the upper rank rounded up, plus one)
  CHECK(p50.observed_low == Approx(455));
  CHECK(p50.observed_high == Approx(546));
  const auto& mean = figure_of(c.paths[0], Figure::mean);
  // s = sqrt(1000 x 1001 / 12) = 288.82 ms, half-width 2.807 s / sqrt(1000) = 25.637 ms
  CHECK(mean.observed_high - mean.observed == Approx(25.637).epsilon(0.001));
  CHECK(mean.observed - mean.observed_low == Approx(25.637).epsilon(0.001));
}

TEST_CASE("calibrate: a model 20% slower is off; 5% slower is within the 10% tolerance",
          "[study][calibrate]") {
  const auto m = load_calibration_model();
  const auto latency = millis_up_to(1000);
  const auto evidence = calibration_evidence(latency, 0);
  const auto slow = study::calibrate(evidence, m, calibration_results(latency, 1.2, 0));
  const auto& mean = figure_of(slow.paths[0], Figure::mean);
  CHECK(mean.difference == Approx(0.2).epsilon(0.01));
  CHECK(mean.verdict == FigureVerdict::off);
  CHECK_FALSE(slow.paths[0].passes());
  CHECK_FALSE(slow.passes());
  // path and edge: mean, p50, p90, p99 each off by 20% (p99 too: above 15%)
  CHECK(slow.failures() == 8);

  const auto close = study::calibrate(evidence, m, calibration_results(latency, 1.05, 0));
  CHECK(close.passes());
  // With a tolerance of 3%, the 5% passes only where the gap is within both
  // values' noise: the mean's (25 ms, within sqrt(25.6^2 + 26.9^2) ms: the
  // traces' 500.5 -+ 25.6 ms, the run's 525.5 -+ 2.807 x 303.3 / sqrt(1000)),
  // not p90's (900 ms and 945 ms; ranks 900 -+ 26.6 put the traces' upper
  // end at 928 ms and the run's lower one at 1.05 x 873 = 916.7 ms, and 45 ms
  // is past sqrt(28^2 + 28.3^2)).
  const auto strict =
      study::calibrate(evidence, m, calibration_results(latency, 1.05, 0), {0.03, 0.03, 0.01});
  CHECK(figure_of(strict.paths[0], Figure::mean).verdict == FigureVerdict::in_noise);
  CHECK(figure_of(strict.paths[0], Figure::p90).verdict == FigureVerdict::off);
  CHECK_FALSE(strict.passes());
}

TEST_CASE("calibrate: with few traces a far p99 is inside their interval, not a failure",
          "[study][calibrate]") {
  const auto m = load_calibration_model();
  const auto latency = millis_up_to(20);
  // A long run: the 20 latencies 100 times over, 50% slower.
  std::vector<Duration> long_run;
  for (int i = 0; i < 100; ++i) {
    long_run.insert(long_run.end(), latency.begin(), latency.end());
  }
  const auto c =
      study::calibrate(calibration_evidence(latency, 0), m, calibration_results(long_run, 1.5, 0));
  const auto& p99 = figure_of(c.paths[0], Figure::p99);
  // 20 x 0.99 + 2.807 sqrt(20 x 0.99 x 0.01) + 1 is beyond the 20 samples: no upper bound
  CHECK(std::isnan(p99.observed_high));
  CHECK(p99.difference == Approx(0.5).epsilon(0.01));
  CHECK(p99.verdict == FigureVerdict::in_noise);
  // The mean, 10.5 ms -+ 2.807 x 5.92 / sqrt(20) = -+3.72 ms, cannot hide a
  // 50% shift to 15.75 ms -+ 2.807 x 8.65 / sqrt(2000) = -+0.54 ms: the gap,
  // 5.25 ms, is past sqrt(3.72^2 + 0.54^2) = 3.76 ms.
  const auto& mean = figure_of(c.paths[0], Figure::mean);
  CHECK(mean.observed_high - mean.observed == Approx(3.717).epsilon(0.001));
  CHECK(mean.simulated - mean.simulated_low == Approx(0.5431).epsilon(0.001));
  CHECK(mean.verdict == FigureVerdict::off);

  // A run as short as the traces is as noisy: its mean, 15.75 ms -+ 2.807 x
  // 8.65 / sqrt(20) = -+5.43 ms, is within sqrt(3.72^2 + 5.43^2) = 6.58 ms.
  const auto short_run =
      study::calibrate(calibration_evidence(latency, 0), m, calibration_results(latency, 1.5, 0));
  const auto& short_mean = figure_of(short_run.paths[0], Figure::mean);
  CHECK(short_mean.simulated_high - short_mean.simulated == Approx(5.431).epsilon(0.001));
  CHECK(short_mean.verdict == FigureVerdict::in_noise);
}

TEST_CASE("calibrate: one traced request says nothing of its spread: no interval, no failure",
          "[study][calibrate]") {
  // One trace of 10 ms against a model twice as slow (2,000 runs of 20 ms):
  // the mean's gap, 100%, is past any tolerance, but one value gives no
  // interval (both ends unknown), so it is within the noise, as the
  // percentiles already were. Two traces give an interval from their spread.
  const auto m = load_calibration_model();
  const std::vector<Duration> one{std::chrono::milliseconds(10)};
  const std::vector<Duration> run(2000, std::chrono::milliseconds(20));
  const auto c = study::calibrate(calibration_evidence(one, 0), m, calibration_results(run, 1, 0));
  const auto& mean = figure_of(c.paths[0], Figure::mean);
  CHECK(mean.difference == Approx(1.0));
  CHECK(std::isnan(mean.observed_low));
  CHECK(std::isnan(mean.observed_high));
  CHECK(mean.verdict == FigureVerdict::in_noise);
  // The console shows the unknown interval as '-'.
  CHECK_THAT(study::calibration_to_console(c, false),
             Catch::Contains("10.000ms     20.000ms   +100.0%  - "));

  const std::vector<Duration> two{std::chrono::milliseconds(9), std::chrono::milliseconds(11)};
  const auto c2 = study::calibrate(calibration_evidence(two, 0), m, calibration_results(run, 1, 0));
  const auto& mean2 = figure_of(c2.paths[0], Figure::mean);
  CHECK(mean2.observed_high - mean2.observed == Approx(mean2.observed - mean2.observed_low));
  CHECK(mean2.observed_high > mean2.observed);
  CHECK(mean2.verdict == FigureVerdict::off);  // 10 +- 2.8 ms against 20 ms: off
}

TEST_CASE("calibrate: requests that come in slow and fast stretches widen the intervals",
          "[study][calibrate]") {
  const auto m = load_calibration_model();
  const auto latency = millis_up_to(1000);
  auto evidence = calibration_evidence(latency, 0);
  // The same latencies, traced in ascending order: each tenth of the time
  // slower than the one before, as a queue that builds up.
  for (auto* starts : {&evidence.workloads[0].latency_start_ns,
                       &evidence.endpoints[1].calls[0].latency_start_ns}) {
    starts->clear();
    for (std::int64_t i = 0; i < 1000; ++i) {
      starts->push_back(i);
    }
  }
  const auto c = study::calibrate(evidence, m, calibration_results(latency, 1.2, 0));
  // The ten batches' mean latencies are 50.5, 150.5, ..., 950.5 ms: their
  // standard error sqrt(100^2 x 110 / 12 / 10) = 95.74 ms, at Student's t
  // of 9 degrees of freedom for 1 - 0.05 / 20 (3.6896).
  CHECK(c.interval_t == Approx(3.6896).epsilon(1e-4));
  const auto& mean = figure_of(c.paths[0], Figure::mean);
  CHECK(mean.observed_high - mean.observed == Approx(3.6896 * 95.743).epsilon(1e-3));
  // 20% slower (600.6 ms) is now inside it: a capture this ordered cannot tell.
  CHECK(mean.verdict == FigureVerdict::in_noise);
  // In independent order the same 20% is off (the test above).
  const auto shuffled =
      study::calibrate(calibration_evidence(latency, 0), m, calibration_results(latency, 1.2, 0));
  CHECK(figure_of(shuffled.paths[0], Figure::mean).verdict == FigureVerdict::off);
  // The p90's share of latencies at most 900 ms is 1 in nine batches and 0
  // in the last (variance 0.1): its ranks widen from 900 -+ 26.6 to 900 -+
  // 1000 t sqrt(0.1 / 10) = 900 -+ 369, from the 531st value to past the last.
  const auto& p90 = figure_of(c.paths[0], Figure::p90);
  CHECK(p90.observed_low == Approx(531));
  CHECK(std::isnan(p90.observed_high));
}

TEST_CASE("calibrate: error shares within one point, else within the Wilson interval",
          "[study][calibrate]") {
  const auto m = load_calibration_model();
  const auto latency = millis_up_to(990);
  const auto evidence = calibration_evidence(latency, 10);  // 1% of 1000 failed
  const auto near = study::calibrate(evidence, m, calibration_results(latency, 1.0, 5));
  const auto& errors = figure_of(near.paths[0], Figure::errors);
  CHECK(errors.observed == Approx(0.01));
  CHECK(errors.simulated == Approx(5.0 / 995));
  CHECK(errors.verdict == FigureVerdict::ok);
  // Wilson at z = 2.807 (10 figures) for 10 of 1000: 0.4235% to 2.3426%
  CHECK(errors.observed_low == Approx(0.0042354).epsilon(0.001));
  CHECK(errors.observed_high == Approx(0.0234261).epsilon(0.001));

  const auto far = study::calibrate(evidence, m, calibration_results(latency, 1.0, 60));
  CHECK(figure_of(far.paths[0], Figure::errors).verdict == FigureVerdict::off);
}

TEST_CASE("calibrate: a traced entry the model lacks fails; a workload no trace shows does not",
          "[study][calibrate]") {
  const auto m = load_calibration_model();
  const auto latency = millis_up_to(100);
  auto evidence = calibration_evidence(latency, 0);
  evidence.endpoints[1].name = "post";  // the traces enter at front.post
  const auto c = study::calibrate(evidence, m, calibration_results(latency, 1.0, 0));
  REQUIRE(c.paths.size() == 2);
  const auto& missing = c.paths[1].name == "front.post" ? c.paths[1] : c.paths[0];
  const auto& untraced = c.paths[1].name == "front.post" ? c.paths[0] : c.paths[1];
  CHECK(missing.name == "front.post");
  CHECK_FALSE(missing.in_model);
  CHECK_FALSE(missing.passes());
  CHECK(untraced.name == "front.get");
  CHECK_FALSE(untraced.in_traces);
  CHECK(untraced.passes());
  CHECK_FALSE(c.passes());
  // The JSON says the same.
  const std::string json = study::calibration_to_json(c, "cal");
  CHECK(json.find("\"problem\": \"the model has no workload entering here\"") != std::string::npos);
  CHECK(json.find("\"passes\": false") != std::string::npos);
}

TEST_CASE("calibrate: a call the run never made is off only when the traces made it often",
          "[study][calibrate]") {
  // 100 requests traced and 100 simulated; the run calls back.work never.
  // Had the calls per request been the same on both sides, each of the k
  // traced calls would fall on the traced side with probability 1/2: all k
  // of them do with probability 2^-k. Each of the 10 figures may miss with
  // 0.05 / 10: one call traced (1/2) is within the noise, twenty (1e-6)
  // are not.
  const auto m = load_calibration_model();
  const auto latency = millis_up_to(100);
  auto results = calibration_results(latency, 1.0, 0);
  results.edges[0].latency = stats::Histogram{};
  results.edges[0].outcomes = stats::OutcomeCounts{};
  auto with_calls = [&](std::size_t calls) {
    auto evidence = calibration_evidence(latency, 0);
    auto& site = evidence.endpoints[1].calls[0];
    site.calls = calls;
    site.latency.resize(calls);
    site.latency_start_ns.resize(calls);
    return study::calibrate(evidence, m, results);
  };
  auto edge_of = [](const study::Calibration& c) -> const study::CalibrationItem& {
    REQUIRE(c.edges.size() == 1);
    return c.edges[0];
  };

  const auto once = with_calls(1);
  const auto& rare = edge_of(once);
  CHECK(rare.simulated_count == 0);
  CHECK(rare.figures.empty());
  CHECK(rare.problem.find("1 traced call, none simulated: too rare to compare") == 0);
  CHECK(rare.problem.find("missed by the run 0.5 of the time") != std::string::npos);
  CHECK(rare.passes());
  CHECK(once.passes());
  CHECK(once.failures() == 0);

  const auto often = with_calls(20);
  const auto& missing = edge_of(often);
  CHECK(missing.problem.empty());
  REQUIRE(missing.figures.size() == 5);
  for (const auto& f : missing.figures) {
    CHECK(f.verdict == FigureVerdict::off);
  }
  CHECK_FALSE(often.passes());
  CHECK(often.failures() == 5);
}

TEST_CASE("calibrate: a run's correlated requests widen its intervals by their batch means",
          "[study][calibrate]") {
  // The run's 1,000 requests: 500 of 10 ms, then 500 of 20 ms (a slow
  // stretch), in 100 intervals of 10. Taken as independent, the mean's
  // interval is 15 ms -+ z 5 / sqrt(1,000); its intervals' ten batches (five
  // at 10 ms, five at 20) give a variance of the mean of 25 / 9 (ms^2), so
  // -+ t 5 / 3. The p50's ranks widen by the ratio of the two variances.
  const auto m = load_calibration_model();
  const auto evidence = calibration_evidence(millis_up_to(100), 0);
  std::vector<Duration> run;
  for (int i = 0; i < 1000; ++i) {
    run.emplace_back(std::int64_t{i < 500 ? 10 : 20} * 1'000'000);
  }
  auto results = calibration_results(run, 1.0, 0);
  const auto independent = study::calibrate(evidence, m, results);
  for (int i = 0; i < 100; ++i) {
    results.paths[0].interval_tallies.push_back({10, (i < 50 ? 10.0 : 20.0) * 10 * 1e6});
  }
  const auto batched = study::calibrate(evidence, m, results);
  REQUIRE(batched.paths.size() == 1);
  const auto& path = batched.paths[0];
  const auto& mean = figure_of(path, Figure::mean);
  CHECK(mean.simulated == Approx(15));
  CHECK(mean.simulated_low == Approx(15 - batched.interval_t * 5 / 3));
  CHECK(mean.simulated_high == Approx(15 + batched.interval_t * 5 / 3));
  const auto& plain = figure_of(independent.paths[0], Figure::mean);
  CHECK(plain.simulated_low == Approx(15 - independent.interval_z * 5 / std::sqrt(1000.0)));
  // The p50 (10 ms, rank 500): independent, its ranks 500 -+ z sqrt(250)
  // give 10 to 20 ms. Widened by the ratio of the two variances (111 t^2 /
  // z^2, about 190 at this family's level) they pass both ends: from 0 to
  // unbounded, which only a 1,000-request run of so slow a stretch can say.
  const auto& p50 = figure_of(path, Figure::p50);
  const auto& p50_plain = figure_of(independent.paths[0], Figure::p50);
  CHECK(p50_plain.simulated_low == Approx(10).epsilon(0.001));
  CHECK(p50_plain.simulated_high == Approx(20).epsilon(0.001));
  CHECK(p50.simulated_low == 0);
  CHECK(std::isnan(p50.simulated_high));
  // Failures in bursts widen the error share's interval: 100 of 1,100
  // requests failed, all in the last ten intervals.
  results.paths[0].outcomes[stats::Outcome::error] = 100;
  for (int i = 90; i < 100; ++i) {
    results.paths[0].interval_tallies[static_cast<std::size_t>(i)].failed = 10;
  }
  const auto bursty = study::calibrate(evidence, m, results);
  results.paths[0].interval_tallies.clear();
  const auto even = study::calibrate(evidence, m, results);
  const auto& bursty_errors = figure_of(bursty.paths[0], Figure::errors);
  const auto& even_errors = figure_of(even.paths[0], Figure::errors);
  CHECK(bursty_errors.simulated == Approx(100.0 / 1100));
  CHECK(bursty_errors.simulated_high - bursty_errors.simulated_low >
        2 * (even_errors.simulated_high - even_errors.simulated_low));
  // The edge kept no tallies: its interval is the independent one.
  const auto& edge_mean = figure_of(batched.edges[0], Figure::mean);
  CHECK(edge_mean.simulated_low == Approx(15 - batched.interval_z * 5 / std::sqrt(1000.0)));
}

TEST_CASE("apply_traced_rates: open workloads take the traced rate; others are left and noted",
          "[study][calibrate]") {
  auto m = load_calibration_model(calibration_model + R"(  browsers: {entry: back.work, users: 5}
  bursty:
    entry: front.get
    schedule: [{at: 0s, rate: 5/s}, {at: 5s, rate: 50/s}]
)");
  const auto evidence = calibration_evidence(millis_up_to(10), 0);
  const auto notes = study::apply_traced_rates(m, evidence);
  REQUIRE(m.workloads.size() == 3);
  REQUIRE(m.workloads[0].rate.has_value());
  CHECK(m.workloads[0].rate->value == 42.0);
  CHECK(m.workloads[2].schedule.empty());  // the schedule gives way to the traced rate
  CHECK(m.workloads[2].rate->value == 42.0);
  CHECK(m.workloads[1].kind == model::WorkloadKind::closed);
  REQUIRE(notes.size() == 3);
  CHECK(notes[1].find("no trace enters at back.work") != std::string::npos);
  CHECK(notes[2].find("schedule or bursts set aside") != std::string::npos);
}

TEST_CASE("calibrate: the page and the console show every figure and the verdict",
          "[study][calibrate]") {
  const auto m = load_calibration_model();
  const auto latency = millis_up_to(200);
  const auto c =
      study::calibrate(calibration_evidence(latency, 0), m, calibration_results(latency, 1.3, 0));
  const std::string console = study::calibration_to_console(c, /*color=*/false);
  CHECK(console.find("path front.get (workload shoppers): 200 traced, 200 simulated") !=
        std::string::npos);
  CHECK(console.find("OFF") != std::string::npos);
  CHECK(console.find("NOT calibrated") != std::string::npos);
  CHECK(console.find("simulated interval") != std::string::npos);
  const std::string json = study::calibration_to_json(c, "cal");
  CHECK(json.find("\"simulated_interval\": [") != std::string::npos);
  const std::string page = study::calibration_page(c, "cal", "tailsim calibrate cal.yaml");
  CHECK(page.find("<svg") != std::string::npos);  // the CDFs
  CHECK(page.find("observed (traces)") != std::string::npos);
  CHECK(page.find("</html>") != std::string::npos);
}
