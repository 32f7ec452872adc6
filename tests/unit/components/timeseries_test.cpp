// The engine's time series: one value per interval for each entity and
// metric, consistent with the run's totals.

#include <cmath>

#include <catch2/catch.hpp>

#include "support/simulate.hpp"

namespace {

using tailsim::testing::named;
using tailsim::testing::simulate_text;

const std::vector<double>& series(const tailsim::stats::Results& r, const std::string& entity,
                                  const std::string& metric) {
  for (const auto& s : r.timeseries.series) {
    if (s.entity == entity && s.metric == metric) {
      return s.values;
    }
  }
  FAIL("no series " << entity << " " << metric);
  return r.timeseries.series.front().values;
}

const std::string series_model = R"y(version: 1
simulation: {duration: 60s, warmup: 10s, seed: 4, interval: 2s}
services:
  api:
    replicas: 2
    pod: {cpu: 1, startup: 5s}
    endpoints: {get: [{cpu: exp(10ms)}]}
workloads:
  w:
    entry: api.get
    schedule: [{at: 0s, rate: 50/s}, {at: 40s, rate: 120/s}]
faults:
  - {at: 30s, kill: api, pods: 1}
)y";

}  // namespace

TEST_CASE("time series: one value per interval, adding up to the run's totals", "[timeseries]") {
  const auto r = simulate_text(series_model);
  const auto& ts = r.timeseries;
  CHECK(ts.interval_s == 2.0);
  // The run ends when the last request is answered after 70 s.
  CHECK(ts.intervals == static_cast<std::size_t>(std::ceil(r.simulated_s / 2.0)));
  for (const auto& s : ts.series) {
    INFO(s.entity << " " << s.metric);
    CHECK(s.values.size() == ts.intervals);
  }
  // Arrivals in the intervals of the measured window [10 s, 70 s) are the
  // path's requests (the window is a whole number of intervals).
  const auto& arrivals = series(r, "path/w", "arrivals");
  double measured = 0;
  for (std::size_t i = 5; i < 35; ++i) {
    measured += arrivals[i];
  }
  CHECK(measured == static_cast<double>(named(r.paths, "w").requests));
  // So are the service's arrivals in the window its requests.
  const auto& reached = series(r, "service/api", "arrivals");
  double at_api = 0;
  for (std::size_t i = 5; i < 35; ++i) {
    at_api += reached[i];
  }
  CHECK(at_api == static_cast<double>(named(r.services, "api").requests));
  CHECK(at_api > 0);
  // The per-interval utilization averages to the run's (equal intervals,
  // equal capacity except around the kill: weight by nothing and allow 2%).
  const auto& utilization = series(r, "service/api", "utilization");
  double busy = 0;
  for (std::size_t i = 5; i < 35; ++i) {
    busy += utilization[i];
  }
  CHECK(busy / 30 == Approx(named(r.services, "api").utilization).epsilon(0.05));
  // The kill at 30 s: one pod ready from 30 s until its replacement passes
  // the readiness probe at 40 s (5 s startup, probes every 10 s).
  const auto& ready = series(r, "service/api", "replicas_ready");
  CHECK(ready[14] == 2);  // sampled at 30 s, just before the kill's event
  CHECK(ready[15] == 1);  // at 32 s
  CHECK(ready[19] == 1);  // at 40 s, the probe's event comes after the sample
  CHECK(ready[20] == 2);  // at 42 s
  const auto& starting = series(r, "service/api", "replicas_starting");
  CHECK(starting[15] == 1);
  // p99 is defined where requests completed.
  const auto& p99 = series(r, "path/w", "p99_ms");
  CHECK(std::isfinite(p99[10]));
  CHECK(p99[10] > 10.0);
  // Markers: the kill and the rate changes, in time order.
  REQUIRE(ts.markers.size() == 3);
  CHECK(ts.markers[0].t_s == 0.0);
  CHECK(ts.markers[1].label == "kill api (1 pod)");
  CHECK(ts.markers[1].t_s == Approx(30.0));
  CHECK(ts.markers[2].label == "w: 120/s");
}

TEST_CASE("time series memory follows intervals, not requests", "[timeseries]") {
  // Ten times the traffic gives the same number of values.
  const auto low = simulate_text(series_model);
  const auto high = simulate_text(
      series_model, {"workloads.w.schedule=[{at: 0s, rate: 500/s}]", "services.api.pod.cpu=8"});
  CHECK(high.timeseries.intervals == low.timeseries.intervals);
}
