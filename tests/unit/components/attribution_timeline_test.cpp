// Tail attribution per time-series interval (attribution.timeline) on models
// whose answer is known by construction: constant times, and a slow fault
// whose window is known.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/simulate.hpp"
#include "tailsim/report/json_report.hpp"

namespace stats = tailsim::stats;

namespace {

using tailsim::testing::named;
using tailsim::testing::series_named;

/// Simulates with attribution.
stats::Results simulate_attributed(const std::string& yaml) {
  tailsim::components::RunLimits limits;
  limits.attribution = true;
  return tailsim::testing::simulate_text(yaml, {}, limits);
}

/// The mean milliseconds of `entity`'s `what` in a group, 0 when it has none.
double timeline_part_ms(const stats::AttributionGroup& group, const std::string& entity,
                        const std::string& what) {
  for (const auto& part : group.parts) {
    if (part.entity == entity && part.what == what) {
      return part.ms;
    }
  }
  return 0.0;
}

/// What holds of any timeline: in order, no interval without requests, each
/// group's parts summing to its latency, the requests adding up to the
/// mean's, and all its intervals together the mean group.
void check_timeline_sums(const stats::Attribution& a) {
  REQUIRE(a.is_computed);
  REQUIRE_FALSE(a.timeline.empty());
  std::uint64_t requests = 0;
  for (std::size_t i = 0; i < a.timeline.size(); ++i) {
    const stats::AttributionInterval& at = a.timeline[i];
    if (i > 0) {
      CHECK(at.interval > a.timeline[i - 1].interval);
    }
    CHECK(at.group.requests > 0);
    requests += at.group.requests;
    double sum = 0;
    for (std::size_t k = 0; k < at.group.parts.size(); ++k) {
      if (k > 0) {
        CHECK(at.group.parts[k].ms <= at.group.parts[k - 1].ms);
      }
      sum += at.group.parts[k].ms;
    }
    CHECK(sum == Approx(at.group.latency_ms).epsilon(1e-9));
  }
  CHECK(requests == a.mean.requests);
  const stats::AttributionGroup all =
      stats::attribution_between(a, a.timeline.front().interval, a.timeline.back().interval);
  CHECK(all.requests == a.mean.requests);
  CHECK(all.latency_ms == Approx(a.mean.latency_ms).epsilon(1e-9));
  REQUIRE(all.parts.size() == a.mean.parts.size());
  for (const auto& part : a.mean.parts) {
    CHECK(timeline_part_ms(all, part.entity, part.what) == Approx(part.ms).epsilon(1e-9));
  }
  for (std::size_t k = 0; k < all.parts.size(); ++k) {
    CHECK(
        all.parts[k].share ==
        Approx(timeline_part_ms(a.mean, all.parts[k].entity, all.parts[k].what) / a.mean.latency_ms)
            .epsilon(1e-9));
    if (k > 0) {
      CHECK(all.parts[k].ms <= all.parts[k - 1].ms);
    }
  }
}

}  // namespace

TEST_CASE("timeline: constant times give every interval the same known parts",
          "[attribution][timeline]") {
  // 10 ms of CPU, requests 100 ms apart: each takes exactly 10 ms, all cpu,
  // and every one of the ten seconds has ten of them.
  const auto r = simulate_attributed(R"y(version: 1
simulation: {duration: 10s, seed: 1, interval: 1s}
services:
  api:
    endpoints: {get: [{cpu: 10ms}]}
workloads:
  w: {entry: api.get, rate: 10/s, arrivals: uniform}
)y");
  const stats::Attribution& a = named(r.paths, "w").attribution;
  check_timeline_sums(a);
  CHECK(a.mean.requests == 100);
  REQUIRE(a.timeline.size() == 10);
  for (std::size_t i = 0; i < a.timeline.size(); ++i) {
    const stats::AttributionGroup& g = a.timeline[i].group;
    CHECK(a.timeline[i].interval == i);
    CHECK(g.requests == 10);
    CHECK(g.latency_ms == Approx(10.0));
    REQUIRE(g.parts.size() == 1);
    CHECK(g.parts[0].entity == "api");
    CHECK(g.parts[0].what == "cpu");
    CHECK(g.parts[0].ms == Approx(10.0));
    CHECK(g.parts[0].share == Approx(1.0));
  }
}

TEST_CASE("timeline: a slow fault's added latency shows in the intervals it lasted",
          "[attribution][timeline]") {
  // Requests arriving from 5 s to 8 s wait 50 ms more before their 10 ms of
  // CPU. Those finishing in intervals 5 to 7 all arrived in the fault's
  // window; those in 0 to 3 and 9 and up all outside it. 4 and 8 may hold
  // both.
  const auto r = simulate_attributed(R"y(version: 1
simulation: {duration: 12s, seed: 1, interval: 1s}
services:
  api:
    endpoints: {get: [{cpu: 10ms}]}
workloads:
  w: {entry: api.get, rate: 10/s, arrivals: uniform}
faults:
  - {at: 5s, for: 3s, slow: api, add: 50ms}
)y");
  const stats::Attribution& a = named(r.paths, "w").attribution;
  check_timeline_sums(a);
  REQUIRE(a.timeline.size() >= 12);
  for (const stats::AttributionInterval& at : a.timeline) {
    INFO("interval " << at.interval);
    const stats::AttributionGroup& g = at.group;
    CHECK(timeline_part_ms(g, "api", "cpu") == Approx(10.0));
    if (at.interval >= 5 && at.interval <= 7) {
      CHECK(timeline_part_ms(g, "api", "delay") == Approx(50.0));
      CHECK(g.latency_ms == Approx(60.0));
      REQUIRE(g.parts.size() == 2);
      CHECK(g.parts[0].what == "delay");
      CHECK(g.parts[0].share == Approx(50.0 / 60.0));
    } else if (at.interval == 4 || at.interval == 8) {
      CHECK(timeline_part_ms(g, "api", "delay") <= 50.0);
    } else {
      CHECK(timeline_part_ms(g, "api", "delay") == 0.0);
      CHECK(g.latency_ms == Approx(10.0));
      CHECK(g.parts.size() == 1);
    }
  }
  // The fault's intervals together: the delay, and nothing else new.
  const stats::AttributionGroup during = stats::attribution_between(a, 5, 7);
  CHECK(during.requests == 30);
  CHECK(during.latency_ms == Approx(60.0));
  CHECK(timeline_part_ms(during, "api", "delay") == Approx(50.0));
  CHECK(timeline_part_ms(during, "api", "cpu") == Approx(10.0));
  // Before it: none of it.
  const stats::AttributionGroup before = stats::attribution_between(a, 0, 3);
  CHECK(before.requests == 40);
  CHECK(timeline_part_ms(before, "api", "delay") == 0.0);
  // A range with no interval in the timeline is empty; so is a reversed one.
  CHECK(stats::attribution_between(a, 1000, 2000).requests == 0);
  CHECK(stats::attribution_between(a, 7, 5).requests == 0);
  CHECK(stats::attribution_between(a, 1000, 2000).parts.empty());
}

TEST_CASE("timeline: each interval's requests are the path's completions in it",
          "[attribution][timeline]") {
  // Random arrivals and service times, no warm-up: every success is
  // measured, so the timeline counts what the completions series counts,
  // interval by interval (with 0.5 s intervals, and the drain's too).
  const auto r = simulate_attributed(R"y(version: 1
simulation: {duration: 30s, seed: 7, interval: 500ms}
services:
  api:
    pod: {cpu: 1, workers: 1}
    endpoints: {get: [{cpu: exp(10ms)}, {call: db.read}]}
  db:
    pod: {cpu: 1, workers: 2}
    endpoints: {read: [{cpu: exp(5ms)}, {delay: 3ms}]}
workloads:
  w: {entry: api.get, rate: 60/s}
)y");
  const stats::PathResult& path = named(r.paths, "w");
  const stats::Attribution& a = path.attribution;
  check_timeline_sums(a);
  const stats::Series& completions = series_named(r.timeseries.series, "path/w", "completions");
  REQUIRE(completions.values.size() == r.timeseries.intervals);
  std::size_t next = 0;
  for (std::size_t i = 0; i < completions.values.size(); ++i) {
    INFO("interval " << i);
    std::uint64_t in_timeline = 0;
    if (next < a.timeline.size() && a.timeline[next].interval == i) {
      in_timeline = a.timeline[next++].group.requests;
    }
    CHECK(static_cast<double>(in_timeline) == completions.values[i]);
  }
  CHECK(next == a.timeline.size());
  // The queue's wait moves with the load: some intervals wait more than others.
  double least = 1e9;
  double most = 0;
  for (const auto& at : a.timeline) {
    least = std::min(least, timeline_part_ms(at.group, "api", "queue"));
    most = std::max(most, timeline_part_ms(at.group, "api", "queue"));
  }
  CHECK(most > least);
}

TEST_CASE("timeline: requests that arrived in the warm-up are not in it",
          "[attribution][timeline]") {
  // 10 ms requests every 100 ms after a 3 s warm-up: nothing finishes in
  // the timeline before the measured window, and then ten a second.
  const auto r = simulate_attributed(R"y(version: 1
simulation: {duration: 5s, warmup: 3s, seed: 1, interval: 1s}
services:
  api:
    endpoints: {get: [{cpu: 10ms}]}
workloads:
  w: {entry: api.get, rate: 10/s, arrivals: uniform}
)y");
  const stats::Attribution& a = named(r.paths, "w").attribution;
  check_timeline_sums(a);
  REQUIRE(a.timeline.size() == 5);
  CHECK(a.timeline.front().interval == 3);
  CHECK(a.timeline.back().interval == 7);
  for (const auto& at : a.timeline) {
    CHECK(at.group.requests == 10);
  }
}

TEST_CASE("results.json: attribution.timeline only with attribution", "[attribution][timeline]") {
  const std::string model = R"y(version: 1
simulation: {duration: 4s, seed: 1, interval: 500ms}
services:
  api:
    endpoints: {get: [{cpu: 10ms}]}
workloads:
  w: {entry: api.get, rate: 10/s, arrivals: uniform}
)y";
  const auto attributed =
      nlohmann::json::parse(tailsim::report::to_json(simulate_attributed(model)));
  const auto& timeline = attributed["paths"]["w"]["attribution"]["timeline"];
  REQUIRE(timeline.is_array());
  REQUIRE(timeline.size() == 8);
  for (std::size_t i = 0; i < timeline.size(); ++i) {
    const auto& entry = timeline[i];
    CHECK(entry["interval"].get<std::size_t>() == i);
    CHECK(entry["start_s"].get<double>() == Approx(0.5 * static_cast<double>(i)));
    CHECK(entry["requests"].get<std::uint64_t>() == 5);
    CHECK(entry["latency_ms"].get<double>() == Approx(10.0));
    REQUIRE(entry["parts"].size() == 1);
    CHECK(entry["parts"][0]["entity"] == "api");
    CHECK(entry["parts"][0]["what"] == "cpu");
    CHECK(entry["parts"][0]["ms"].get<double>() == Approx(10.0));
    CHECK(entry["parts"][0]["share"].get<double>() == Approx(1.0));
  }
  const auto plain =
      nlohmann::json::parse(tailsim::report::to_json(tailsim::testing::simulate_text(model)));
  CHECK_FALSE(plain["paths"]["w"].contains("attribution"));
}

TEST_CASE("results.json: an interval writes its 8 largest parts, the rest as 'other'",
          "[attribution][timeline]") {
  stats::Results r;
  r.timeseries.interval_s = 2.0;
  r.paths.resize(1);
  r.paths[0].name = "w";
  stats::Attribution& a = r.paths[0].attribution;
  a.is_computed = true;
  stats::AttributionInterval at;
  at.interval = 3;
  at.group.requests = 4;
  at.group.latency_ms = 66.0;  // 11 + 10 + ... + 1
  for (int k = 11; k >= 1; --k) {
    at.group.parts.push_back(stats::AttributionPart{.entity = "s" + std::to_string(k),
                                                    .what = "cpu",
                                                    .ms = static_cast<double>(k),
                                                    .share = k / 66.0});
  }
  a.timeline.push_back(at);
  stats::AttributionInterval few;  // few parts: all of them
  few.interval = 5;
  few.group.requests = 1;
  few.group.latency_ms = 3.0;
  few.group.parts = {
      stats::AttributionPart{.entity = "s1", .what = "cpu", .ms = 2, .share = 2 / 3.0},
      stats::AttributionPart{.entity = "s1", .what = "queue", .ms = 1, .share = 1 / 3.0}};
  a.timeline.push_back(few);
  const auto j = nlohmann::json::parse(tailsim::report::to_json(r));
  const auto& timeline = j["paths"]["w"]["attribution"]["timeline"];
  REQUIRE(timeline.size() == 2);
  CHECK(timeline[0]["interval"] == 3);
  CHECK(timeline[0]["start_s"].get<double>() == 6.0);
  CHECK(timeline[0]["requests"] == 4);
  const auto& parts = timeline[0]["parts"];
  REQUIRE(parts.size() == 9);
  for (std::size_t k = 0; k < 8; ++k) {
    CHECK(parts[k]["entity"] == "s" + std::to_string(11 - k));
    CHECK(parts[k]["ms"].get<double>() == static_cast<double>(11 - k));
  }
  CHECK(parts[8]["entity"] == "");
  CHECK(parts[8]["what"] == "other");
  CHECK(parts[8]["ms"].get<double>() == Approx(6.0));  // 3 + 2 + 1
  CHECK(parts[8]["share"].get<double>() == Approx(6.0 / 66.0));
  CHECK(timeline[1]["start_s"].get<double>() == 10.0);
  CHECK(timeline[1]["parts"].size() == 2);
}
