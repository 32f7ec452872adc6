// Tail attribution per time-series interval (attribution.timeline) on models
// whose answer is known by construction: constant times, and a slow fault
// whose window is known.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

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

/// The largest error of a value written rounded to the microsecond.
constexpr double written_ms_error = 0.0005 + 1e-9;

/// What holds of the timeline results.json writes for attribution `a`:
/// columns aligned with the intervals, each value the interval's as the run
/// kept it (rounded to the microsecond), a column for each part that reaches
/// 1% of some interval's latency and only those, the rest in the last column
/// `other`, each interval's parts adding up to its latency, and the columns
/// ordered by their time over the run.
void check_timeline_json(const nlohmann::json& tl, const stats::Attribution& a, double interval_s) {
  REQUIRE(tl.is_object());
  CHECK(tl["interval_s"].get<double>() == interval_s);
  const std::size_t n = a.timeline.size();
  REQUIRE(tl["intervals"].size() == n);
  REQUIRE(tl["requests"].size() == n);
  REQUIRE(tl["latency_ms"].size() == n);
  const auto& parts = tl["parts"];
  REQUIRE(parts.is_array());
  // Every value written to the microsecond, zeros as the integer 0.
  const auto check_written = [](const nlohmann::json& v) {
    const double x = v.get<double>();
    CHECK(x >= 0);
    CHECK(std::abs(x * 1000 - std::round(x * 1000)) < 1e-6);
    if (x == 0) {
      CHECK(v.is_number_integer());
    }
  };
  for (const auto& v : tl["latency_ms"]) {
    check_written(v);
  }
  std::vector<double> sums(n, 0.0);
  std::vector<double> in_columns(n, 0.0);  // the run's own values of the parts with columns
  double previous_total = std::numeric_limits<double>::infinity();
  for (std::size_t k = 0; k < parts.size(); ++k) {
    const auto& part = parts[k];
    INFO("part " << part["entity"] << " " << part["what"]);
    REQUIRE(part["ms"].size() == n);
    for (std::size_t i = 0; i < n; ++i) {
      check_written(part["ms"][i]);
      sums[i] += part["ms"][i].get<double>();
    }
    if (part["what"] == "other") {
      CHECK(k + 1 == parts.size());
      CHECK(part["entity"] == "");
      for (std::size_t i = 0; i < n; ++i) {
        const stats::AttributionGroup& g = a.timeline[i].group;
        CHECK(std::abs(part["ms"][i].get<double>() - (g.latency_ms - in_columns[i])) <
              written_ms_error + 1e-9 * g.latency_ms);
      }
      continue;
    }
    const auto entity = part["entity"].get<std::string>();
    const auto what = part["what"].get<std::string>();
    bool reaches = false;
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const stats::AttributionGroup& g = a.timeline[i].group;
      const double ms = timeline_part_ms(g, entity, what);
      CHECK(std::abs(part["ms"][i].get<double>() - ms) < written_ms_error);
      reaches = reaches || ms >= 0.01 * g.latency_ms;
      total += ms * static_cast<double>(g.requests);
      in_columns[i] += ms;
    }
    CHECK(reaches);
    CHECK(total <= previous_total * (1 + 1e-12));
    previous_total = total;
  }
  for (std::size_t i = 0; i < n; ++i) {
    INFO("interval " << i);
    const stats::AttributionInterval& at = a.timeline[i];
    CHECK(tl["intervals"][i].get<std::size_t>() == at.interval);
    CHECK(tl["requests"][i].get<std::uint64_t>() == at.group.requests);
    CHECK(std::abs(tl["latency_ms"][i].get<double>() - at.group.latency_ms) < written_ms_error);
    // The parts add up to the latency, to the rounding of each.
    CHECK(std::abs(sums[i] - tl["latency_ms"][i].get<double>()) <
          static_cast<double>(parts.size() + 1) * written_ms_error);
    // A part that reaches 1% of this interval has a column of its own.
    for (const auto& part : at.group.parts) {
      if (part.ms >= 0.01 * at.group.latency_ms) {
        CHECK(std::any_of(parts.begin(), parts.end(), [&](const nlohmann::json& c) {
          return c["entity"] == part.entity && c["what"] == part.what;
        }));
      }
    }
  }
}

/// A path's attribution.timeline in results.json.
nlohmann::json timeline_json(const stats::Results& r, const std::string& path) {
  return nlohmann::json::parse(
      tailsim::report::to_json(r))["paths"][path]["attribution"]["timeline"];
}

/// The column of (entity, what) in a written timeline; fails when none.
const nlohmann::json& timeline_column(const nlohmann::json& tl, const std::string& entity,
                                      const std::string& what) {
  for (const auto& part : tl["parts"]) {
    if (part["entity"] == entity && part["what"] == what) {
      return part["ms"];
    }
  }
  FAIL("no column " << entity << " " << what);
  return tl;
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

/// Requests arriving from 5 s to 8 s wait 50 ms more before their 10 ms of CPU.
const char* const slow_fault_model = R"y(version: 1
simulation: {duration: 12s, seed: 1, interval: 1s}
services:
  api:
    endpoints: {get: [{cpu: 10ms}]}
workloads:
  w: {entry: api.get, rate: 10/s, arrivals: uniform}
faults:
  - {at: 5s, for: 3s, slow: api, add: 50ms}
)y";

TEST_CASE("timeline: a slow fault's added latency shows in the intervals it lasted",
          "[attribution][timeline]") {
  // Requests arriving from 5 s to 8 s wait 50 ms more before their 10 ms of
  // CPU. Those finishing in intervals 5 to 7 all arrived in the fault's
  // window; those in 0 to 3 and 9 and up all outside it. 4 and 8 may hold
  // both.
  const auto r = simulate_attributed(slow_fault_model);
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

TEST_CASE("results.json: attribution.timeline in columns, only with attribution",
          "[attribution][timeline]") {
  const std::string model = R"y(version: 1
simulation: {duration: 4s, seed: 1, interval: 500ms}
services:
  api:
    endpoints: {get: [{cpu: 10ms}]}
workloads:
  w: {entry: api.get, rate: 10/s, arrivals: uniform}
)y";
  const stats::Results r = simulate_attributed(model);
  const std::string text = tailsim::report::to_json(r);
  const auto timeline = nlohmann::json::parse(text)["paths"]["w"]["attribution"]["timeline"];
  check_timeline_json(timeline, named(r.paths, "w").attribution, 0.5);
  CHECK(timeline["interval_s"].get<double>() == 0.5);
  REQUIRE(timeline["intervals"].size() == 8);
  for (std::size_t i = 0; i < 8; ++i) {
    CHECK(timeline["intervals"][i].get<std::size_t>() == i);
    CHECK(timeline["requests"][i].get<std::uint64_t>() == 5);
    CHECK(timeline["latency_ms"][i].get<double>() == 10.0);
  }
  REQUIRE(timeline["parts"].size() == 1);  // all cpu: no other
  CHECK(timeline["parts"][0]["entity"] == "api");
  CHECK(timeline["parts"][0]["what"] == "cpu");
  for (const auto& ms : timeline["parts"][0]["ms"]) {
    CHECK(ms.get<double>() == 10.0);
  }
  // Each column is one line of the file.
  CHECK(text.find("\"intervals\": [0, 1, 2, 3, 4, 5, 6, 7],\n") != std::string::npos);
  CHECK(text.find("\"ms\": [10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0]\n") !=
        std::string::npos);
  const auto plain =
      nlohmann::json::parse(tailsim::report::to_json(tailsim::testing::simulate_text(model)));
  CHECK_FALSE(plain["paths"]["w"].contains("attribution"));
}

TEST_CASE("results.json: a slow fault's delay is a column, 50 ms while it lasted",
          "[attribution][timeline]") {
  const auto r = simulate_attributed(slow_fault_model);
  const stats::Attribution& a = named(r.paths, "w").attribution;
  const nlohmann::json tl = timeline_json(r, "w");
  check_timeline_json(tl, a, 1.0);
  REQUIRE(tl["parts"].size() == 2);  // cpu and delay, both large
  const auto& cpu = timeline_column(tl, "api", "cpu");
  const auto& delay = timeline_column(tl, "api", "delay");
  REQUIRE(tl["intervals"].size() >= 12);
  for (std::size_t i = 0; i < tl["intervals"].size(); ++i) {
    const auto interval = tl["intervals"][i].get<std::size_t>();
    INFO("interval " << interval);
    CHECK(cpu[i].get<double>() == 10.0);
    if (interval >= 5 && interval <= 7) {
      CHECK(delay[i].get<double>() == 50.0);
      CHECK(tl["latency_ms"][i].get<double>() == 60.0);
    } else if (interval != 4 && interval != 8) {
      CHECK(delay[i].is_number_integer());  // none: a written 0
      CHECK(delay[i].get<double>() == 0.0);
      CHECK(tl["latency_ms"][i].get<double>() == 10.0);
    }
  }
}

TEST_CASE("results.json: parts under 1% of every interval are one column, other",
          "[attribution][timeline]") {
  // 10 ms of CPU and a 50 us delay (0.5%): the delay has no column of its
  // own, and other is 0.05 ms in every interval.
  const auto r = simulate_attributed(R"y(version: 1
simulation: {duration: 5s, seed: 1, interval: 1s}
services:
  api:
    endpoints: {get: [{cpu: 10ms}, {delay: 50us}]}
workloads:
  w: {entry: api.get, rate: 10/s, arrivals: uniform}
)y");
  const nlohmann::json tl = timeline_json(r, "w");
  check_timeline_json(tl, named(r.paths, "w").attribution, 1.0);
  REQUIRE(tl["parts"].size() == 2);
  CHECK(tl["parts"][0]["what"] == "cpu");
  CHECK(tl["parts"][1]["entity"] == "");
  CHECK(tl["parts"][1]["what"] == "other");
  REQUIRE(tl["intervals"].size() == 5);
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(tl["latency_ms"][i].get<double>() == 10.05);
    CHECK(tl["parts"][0]["ms"][i].get<double>() == 10.0);
    CHECK(tl["parts"][1]["ms"][i].get<double>() == 0.05);
  }
}

TEST_CASE("results.json: random times keep the timeline's columns exact",
          "[attribution][timeline]") {
  const auto r = simulate_attributed(R"y(version: 1
simulation: {duration: 30s, seed: 7, interval: 500ms}
services:
  api:
    pod: {cpu: 1, workers: 1}
    endpoints: {get: [{cpu: exp(10ms)}, {call: db.read}, {delay: 20us}]}
  db:
    pod: {cpu: 1, workers: 2}
    endpoints: {read: [{cpu: exp(5ms)}, {delay: 3ms}]}
workloads:
  w: {entry: api.get, rate: 60/s}
)y");
  const nlohmann::json tl = timeline_json(r, "w");
  check_timeline_json(tl, named(r.paths, "w").attribution, 0.5);
  CHECK(tl["parts"].back()["what"] == "other");  // the 20 us delay at least
  CHECK(timeline_column(tl, "db", "delay").size() == tl["intervals"].size());
}

TEST_CASE("results.json: timeline columns ordered by their time over the run",
          "[attribution][timeline]") {
  stats::Results r;
  r.model = "odd [1, 2] name";  // brackets in a string stay as they are
  r.timeseries.interval_s = 2.0;
  r.paths.resize(1);
  r.paths[0].name = "w";
  stats::Attribution& a = r.paths[0].attribution;
  a.is_computed = true;
  const auto part = [](const char* entity, const char* what, double ms, double latency) {
    return stats::AttributionPart{.entity = entity, .what = what, .ms = ms, .share = ms / latency};
  };
  stats::AttributionInterval first;
  first.interval = 3;
  first.group.requests = 4;
  first.group.latency_ms = 100.0;
  first.group.parts = {part("a", "cpu", 60.0, 100), part("b", "queue", 39.5, 100),
                       part("c", "cpu", 0.3, 100), part("d", "network", 0.2, 100)};
  a.timeline.push_back(first);
  stats::AttributionInterval second;
  second.interval = 5;
  second.group.requests = 1;
  second.group.latency_ms = 200.0;
  second.group.parts = {part("b", "queue", 150.0, 200), part("a", "cpu", 47.4996, 200),
                        part("f", "delay", 2.0, 200), part("c", "cpu", 0.5, 200),
                        part("e", "cpu", 0.0004, 200)};
  a.timeline.push_back(second);
  const std::string text = tailsim::report::to_json(r);
  const auto j = nlohmann::json::parse(text);
  CHECK(j["model"] == "odd [1, 2] name");
  const auto& tl = j["paths"]["w"]["attribution"]["timeline"];
  check_timeline_json(tl, a, 2.0);
  CHECK(tl["intervals"] == nlohmann::json({3, 5}));
  CHECK(tl["requests"] == nlohmann::json({4, 1}));
  // b: 39.5 x 4 + 150 = 308 ms over the run; a: 60 x 4 + 47.4996 = 287.4996;
  // f: 2, reaching 1% of the second interval; c, d and e never do.
  const auto& parts = tl["parts"];
  REQUIRE(parts.size() == 4);
  CHECK(parts[0]["entity"] == "b");
  CHECK(parts[0]["ms"] == nlohmann::json({39.5, 150.0}));
  CHECK(parts[1]["entity"] == "a");
  CHECK(parts[1]["ms"] == nlohmann::json({60.0, 47.5}));  // to the microsecond
  CHECK(parts[2]["entity"] == "f");
  CHECK(parts[2]["ms"][0].is_number_integer());
  CHECK(parts[2]["ms"][1].get<double>() == 2.0);
  CHECK(parts[3]["entity"] == "");
  CHECK(parts[3]["what"] == "other");
  CHECK(parts[3]["ms"][0].get<double>() == 0.5);  // 0.3 + 0.2
  CHECK(parts[3]["ms"][1].get<double>() == 0.5);  // 0.5 + 0.0004
  CHECK(text.find("\"intervals\": [3, 5],\n") != std::string::npos);
}

TEST_CASE("results.json: arrays of numbers on one line, nothing else changed",
          "[attribution][timeline]") {
  const nlohmann::ordered_json j = nlohmann::ordered_json::parse(R"j({
    "a": [1, -2.5, 3e-07, 0],
    "b": [],
    "c": [[1, 2], [3]],
    "d": [{"x": [4]}, "[5, 6]", true, null],
    "e": "a \"[7,\" 8]",
    "f": [1, "g"]
  })j");
  const std::string text = tailsim::report::number_arrays_on_one_line(j.dump(2));
  CHECK(nlohmann::ordered_json::parse(text) == j);
  CHECK(text.find("\"a\": [1, -2.5, 3e-07, 0],\n") != std::string::npos);
  CHECK(text.find("\"b\": [],\n") != std::string::npos);
  CHECK(text.find("[1, 2],\n") != std::string::npos);
  CHECK(text.find("\"x\": [4]\n") != std::string::npos);
  // An array with anything but numbers keeps a line per element.
  CHECK(text.find("\"f\": [\n") != std::string::npos);
  CHECK(text.find("\"d\": [\n") != std::string::npos);
}
