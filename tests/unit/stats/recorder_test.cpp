#include "tailsim/stats/recorder.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

namespace {

using tailsim::Duration;
using tailsim::Time;
using tailsim::stats::Outcome;
using tailsim::stats::Recorder;
using tailsim::stats::Results;

Time at_ms(std::int64_t ms) {
  return Time{} + std::chrono::milliseconds(ms);
}

/// One 10 s interval in which requests with these latencies (ms, all
/// arriving at 0) finished: its p50 and p99 series values.
std::pair<double, double> interval_percentiles(const std::vector<int>& latencies_ms) {
  Recorder recorder(at_ms(0), at_ms(10'000), /*paths=*/1, /*services=*/0, /*edges=*/0);
  for (int ms : latencies_ms) {
    recorder.path_finished(0, at_ms(0), at_ms(ms), Outcome::ok, /*attempts=*/1);
  }
  recorder.close_interval(std::chrono::seconds(10));
  Results results;
  results.paths.resize(1);
  results.paths[0].name.assign(1, 'p');  // (not = "p": a GCC 12 -Wrestrict false alarm)
  recorder.finish(results);
  std::map<std::string, double> by_metric;
  for (const auto& s : results.timeseries.series) {
    by_metric[s.metric] = s.values.at(0);
  }
  return {by_metric.at("p50_ms"), by_metric.at("p99_ms")};
}

}  // namespace

TEST_CASE("a call's edge statistics count by the call's start, finished or not") {
  // Window [100 ms, 200 ms): calls that start in it count, whenever they end.
  Recorder recorder(at_ms(100), at_ms(200), /*paths=*/0, /*services=*/0, /*edges=*/1);
  recorder.call_finished(0, at_ms(50), at_ms(150), Outcome::ok, /*attempts=*/1);  // before
  recorder.call_finished(0, at_ms(110), at_ms(130), Outcome::ok, /*attempts=*/1);
  recorder.call_finished(0, at_ms(120), at_ms(250), Outcome::timeout, /*attempts=*/3);
  recorder.call_unfinished(0, at_ms(190), /*attempts=*/2);  // open when the run stopped
  recorder.call_unfinished(0, at_ms(200), /*attempts=*/1);  // after

  Results results;
  results.edges.resize(1);
  recorder.finish(results);
  const auto& edge = results.edges[0];
  CHECK(edge.calls == 3);
  CHECK(edge.attempts == 6);
  CHECK(edge.outcomes[Outcome::ok] == 1);
  CHECK(edge.outcomes[Outcome::timeout] == 1);
  CHECK(edge.outcomes.total() == 2);
  CHECK(edge.latency.count() == 1);
  CHECK(edge.latency.max() == Duration{std::chrono::milliseconds(20)}.count());
}

TEST_CASE("an interval's p50 and p99 are exact for a few requests, within 1% for many",
          "[timeseries]") {
  auto p99_of = [](int completions) {
    std::vector<int> latencies;  // 1 .. n ms
    for (int k = 1; k <= completions; ++k) {
      latencies.push_back(k);
    }
    return interval_percentiles(latencies).second;
  };
  // 1,000 latencies: kept exactly; p99 is the value of rank 990.
  CHECK(p99_of(1'000) == 990.0);
  // 9,000: more than the recorder keeps exactly; the histogram's 1%.
  CHECK(p99_of(9'000) == Approx(8'910.0).epsilon(0.01));
}

TEST_CASE("an interval's p50 and p99 are the values of their ranks, in any arrival order",
          "[timeseries]") {
  // Latencies in ms in random order, some equal; the answer by sorting.
  auto by_sorting = [](std::vector<int> v, double q) {
    std::sort(v.begin(), v.end());
    const auto rank =
        static_cast<std::size_t>(std::max(1.0, std::ceil(q / 100 * static_cast<double>(v.size()))));
    return static_cast<double>(v[rank - 1]);
  };
  std::mt19937 draw(12);
  for (const std::size_t n : {1, 2, 3, 99, 100, 101, 1'000, 4'000}) {
    std::vector<int> latencies;
    for (std::size_t k = 0; k < n; ++k) {
      latencies.push_back(1 + static_cast<int>(draw() % (n / 2 + 1)));  // repeats
    }
    const auto [p50, p99] = interval_percentiles(latencies);
    INFO("n = " << n);
    CHECK(p50 == by_sorting(latencies, 50));
    CHECK(p99 == by_sorting(latencies, 99));
  }
}
