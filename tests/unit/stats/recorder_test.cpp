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
/// With `paths` paths (the latencies go to the first), which share what the
/// intervals keep.
std::pair<double, double> interval_percentiles(const std::vector<int>& latencies_ms,
                                               std::size_t paths = 1) {
  Recorder recorder(at_ms(0), at_ms(10'000), paths, /*services=*/0, /*edges=*/0);
  for (int ms : latencies_ms) {
    recorder.path_finished(0, at_ms(0), at_ms(ms), Outcome::ok, /*attempts=*/1);
  }
  recorder.close_interval(std::chrono::seconds(10));
  Results results;
  results.paths.resize(paths);
  for (std::size_t p = 0; p < paths; ++p) {
    // (not = "p": a GCC 12 -Wrestrict false alarm)
    results.paths[p].name.assign(1, p == 0 ? 'p' : 'q');
  }
  recorder.finish(results);
  std::map<std::string, double> by_metric;
  for (const auto& s : results.timeseries.series) {
    if (s.entity == "path/p") {
      by_metric[s.metric] = s.values.at(0);
    }
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

TEST_CASE("an interval of many requests reports what a histogram of them reports, kept or not",
          "[timeseries]") {
  // Beyond 4,096 latencies an interval reports its p50 and p99 as a histogram
  // of them would. With one path it keeps them all and works that out from
  // the values; with 100 paths sharing what intervals keep, each keeps 4,096
  // and records the rest in a histogram. Either way the same numbers.
  std::mt19937 draw(5);
  std::lognormal_distribution<double> heavy(2.0, 1.5);  // ms: many ties, a long tail
  for (const std::size_t n : {4'097, 9'000, 30'000}) {
    std::vector<int> latencies;
    tailsim::stats::Histogram histogram;
    for (std::size_t k = 0; k < n; ++k) {
      latencies.push_back(1 + static_cast<int>(heavy(draw)));
      histogram.record(Duration{std::chrono::milliseconds(latencies.back())}.count());
    }
    const auto ms_at = [&](double q) {
      return static_cast<double>(histogram.value_at_percentile(q)) * 1e-6;
    };
    INFO("n = " << n);
    const auto kept = interval_percentiles(latencies, 1);
    const auto spilled = interval_percentiles(latencies, 100);
    CHECK(kept.first == ms_at(50));
    CHECK(kept.second == ms_at(99));
    CHECK(spilled == kept);
  }
}

TEST_CASE("a path's measured requests never finished are counted unfinished") {
  // Window [100 ms, 200 ms): of the three measured arrivals one finishes.
  Recorder recorder(at_ms(100), at_ms(200), /*paths=*/1, /*services=*/0, /*edges=*/0);
  recorder.path_arrival(0, at_ms(50));  // warm-up: neither measured nor unfinished
  recorder.path_arrival(0, at_ms(110));
  recorder.path_arrival(0, at_ms(120));
  recorder.path_arrival(0, at_ms(130));
  recorder.path_finished(0, at_ms(110), at_ms(140), Outcome::ok, /*attempts=*/1);
  Results results;
  results.paths.resize(1);
  recorder.finish(results);
  CHECK(results.paths[0].requests == 3);
  CHECK(results.paths[0].outcomes[Outcome::ok] == 1);
  CHECK(results.paths[0].outcomes[Outcome::unfinished] == 2);
}

TEST_CASE("queue results count what the measured window saw") {
  Recorder recorder(at_ms(100), at_ms(200), /*paths=*/0, /*services=*/0, /*edges=*/0);
  recorder.add_queue("orders");
  recorder.queue_published(0, at_ms(50));  // warm-up
  recorder.queue_published(0, at_ms(150));
  recorder.queue_published(0, at_ms(160));
  recorder.queue_depth(0, at_ms(90), 9, std::chrono::milliseconds(80));  // warm-up
  recorder.queue_depth(0, at_ms(160), 2, std::chrono::milliseconds(10));
  recorder.queue_finished(0, at_ms(50), /*consumed=*/true);  // published in the warm-up
  recorder.queue_finished(0, at_ms(150), /*consumed=*/true);
  recorder.queue_finished(0, at_ms(160), /*consumed=*/false);
  Results results;
  recorder.finish(results);
  REQUIRE(results.queues.size() == 1);
  const auto& queue = results.queues[0];
  CHECK(queue.name == "orders");
  CHECK(queue.published == 2);
  CHECK(queue.consumed == 1);
  CHECK(queue.dead_letters == 1);
  CHECK(queue.depth_max == 2);
  CHECK(queue.lag_max_s == Approx(0.010));
}

TEST_CASE("the cluster's pending pod-seconds are clipped to the window, its peaks are not") {
  Recorder recorder(at_ms(1000), at_ms(2000), /*paths=*/0, /*services=*/0, /*edges=*/0);
  recorder.cluster_start(2);
  recorder.cluster_pending(at_ms(500), at_ms(1500), 3);  // half of it in the window
  recorder.cluster_pending(at_ms(1500), at_ms(2500), 1);
  recorder.cluster_pending(at_ms(2500), at_ms(2500), 7);  // after the window: a peak only
  recorder.cluster_node_added(3);
  Results results;
  recorder.finish(results);
  CHECK(results.cluster.is_modelled);
  CHECK(results.cluster.nodes_start == 2);
  CHECK(results.cluster.nodes_max == 3);
  CHECK(results.cluster.nodes_added == 1);
  CHECK(results.cluster.pending_max == 7);
  CHECK(results.cluster.pending_pod_s == Approx(3 * 0.5 + 1 * 0.5));
}

TEST_CASE("an autoscaler's syncs are all kept, warm-up included") {
  Recorder recorder(at_ms(1000), at_ms(2000), /*paths=*/0, /*services=*/0, /*edges=*/0);
  recorder.add_autoscaler("api-hpa", "api", "cpu");
  tailsim::stats::ScaleSample sample;
  sample.t_s = 0.5;
  sample.desired = 2;
  recorder.autoscaler_sync(0, sample);
  sample.t_s = 1.5;
  sample.desired = 3;
  recorder.autoscaler_sync(0, sample);
  recorder.autoscaler_changes(0, /*ups=*/1, /*downs=*/0);
  CHECK(recorder.autoscaler(0).history.size() == 2);
  Results results;
  recorder.finish(results);
  REQUIRE(results.autoscalers.size() == 1);
  CHECK(results.autoscalers[0].name == "api-hpa");
  CHECK(results.autoscalers[0].service == "api");
  CHECK(results.autoscalers[0].history.size() == 2);
  CHECK(results.autoscalers[0].history[1].desired == 3);
  CHECK(results.autoscalers[0].scale_ups == 1);
}
