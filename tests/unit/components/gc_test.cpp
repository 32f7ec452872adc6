// Garbage-collection pauses in whole simulations (SPEC.md "Node contention,
// neighbours, runtime pauses, memory": `pod.gc`).

#include <string>

#include <catch2/catch.hpp>

#include "support/simulate.hpp"
#include "tailsim/components/processor_sharing.hpp"

namespace stats = tailsim::stats;
using tailsim::testing::named;
using tailsim::testing::simulate_text;

namespace {

/// One pod with one core serving 1 ms of CPU per request, Poisson arrivals.
std::string one_pod(const std::string& pod_extra, const std::string& rate,
                    const std::string& duration) {
  return R"y(version: 1
simulation: {duration: )y" +
         duration + R"y(, warmup: 0s, seed: 7}
services:
  api:
    pod: {cpu: 1)y" +
         pod_extra + R"y(}
    endpoints:
      get: [{cpu: 1ms}]
workloads:
  main: {entry: api.get, rate: )y" +
         rate + "}\n";
}

}  // namespace

TEST_CASE("a pause stops the CPU's work until it resumes", "[gc]") {
  using namespace std::chrono_literals;
  const auto at = [](tailsim::Duration d) { return tailsim::Time{} + d; };
  tailsim::components::ProcessorSharing cpu(1.0);
  cpu.add(at(0ms), 10e6, 1);  // 10 ms of work
  cpu.pause(at(4ms));         // 4 ms done
  CHECK(cpu.is_paused());
  CHECK_FALSE(cpu.next_completion());
  CHECK(cpu.busy_cores() == 0);
  cpu.resume(at(54ms));  // 50 ms paused: 6 ms left
  REQUIRE(cpu.next_completion());
  CHECK(*cpu.next_completion() == at(60ms));
  // With a quota, the periods go on while paused: limit 0.5 per 100 ms.
  tailsim::components::ProcessorSharing limited(1.0);
  limited.set_quota(100ms, 0.5);
  limited.add(at(0ms), 60e6, 1);  // runs 0-50 ms, throttled to 100 ms
  limited.pause(at(20ms));        // 20 ms done, 30 ms of quota left
  limited.resume(at(120ms));      // a new period: 40 ms of work left, 50 ms of quota
  REQUIRE(limited.next_completion());
  CHECK(*limited.next_completion() == at(160ms));
}

TEST_CASE("pauses of 100 ms every second: one request in ten waits half a pause", "[gc]") {
  // Poisson arrivals see the pod paused a tenth of the time (PASTA) and then
  // wait for the rest of the pause, uniform on 0 to 100 ms: 5 ms on average.
  // A request in service when a pause starts (1 ms of 1 s) waits a whole
  // pause, +0.1 ms; at 5/s, requests that meet after a pause share the core,
  // about +0.03 ms. So the mean rises by 5.13 ms. Its standard error over
  // 100,000 requests (the wait's sd is 17.6 ms) is 0.056 ms: 5% of 5 ms is
  // four of them. P(wait > x) = 0.1 (1 - x / 100 ms) puts the p95 at 50 ms
  // of wait plus 1 ms of CPU; the p95's standard error is sqrt(0.05 x 0.95 /
  // 100,000) / (0.001 per ms) = 0.7 ms.
  const stats::Results plain = simulate_text(one_pod("", "5/s", "20000s"));
  const stats::Results paused =
      simulate_text(one_pod(", gc: {every: 1s, pause: 100ms}", "5/s", "20000s"));
  const double rise =
      named(paused.paths, "main").latency.mean() - named(plain.paths, "main").latency.mean();
  CHECK(rise * 1e-6 == Approx(5.0).epsilon(0.05));
  CHECK(stats::latency_ms_at(named(paused.paths, "main"), 95) == Approx(51.0).margin(3.0));
  // Known by construction: a pause starts at each whole second from 1 s on;
  // the one at 20,000 s starts as the window ends.
  const stats::ServiceResult& api = named(paused.services, "api");
  CHECK(api.has_gc);
  CHECK(api.gc_pauses == 19'999);
  CHECK(api.gc_pause_s == Approx(1999.9).epsilon(1e-9));
  CHECK_FALSE(named(plain.services, "api").has_gc);
}

TEST_CASE("attribution names the time a pause stopped a request", "[gc]") {
  tailsim::components::RunLimits limits;
  limits.attribution = true;
  const stats::Results r =
      simulate_text(one_pod(", gc: {every: 1s, pause: 100ms}", "5/s", "2000s"), {}, limits);
  const stats::Attribution& attribution = named(r.paths, "main").attribution;
  REQUIRE(attribution.is_computed);
  double gc_ms = 0;
  for (const auto& part : attribution.mean.parts) {
    if (part.what == "gc_pause") {
      gc_ms = part.ms;
      CHECK(part.entity == "api");
    }
    CHECK(part.what != "unaccounted");
  }
  // About 5.1 ms of the mean (above); over 10,000 requests its standard
  // error is 0.18 ms.
  CHECK(gc_ms == Approx(5.1).margin(0.8));
}

TEST_CASE("random pauses: the paused share is the mean pause over the mean interval", "[gc]") {
  // Pauses start exp(2 s) after the last one started (or when it ends):
  // 20 ms on average, so 1% of the time; 3 pods over 10,000 s have about
  // 15,000 pauses, and the paused total's relative standard error is under 1.5%.
  const stats::Results r = simulate_text(
      R"y(version: 1
simulation: {duration: 10000s, warmup: 0s, seed: 11}
services:
  api:
    replicas: 3
    pod: {cpu: 2, gc: {every: exp(2s), pause: exp(20ms)}}
    endpoints:
      get: [{cpu: 1ms}]
workloads:
  main: {entry: api.get, rate: 20/s}
)y");
  const stats::ServiceResult& api = named(r.services, "api");
  CHECK(api.gc_pauses == Approx(15'000).epsilon(0.05));
  CHECK(api.gc_pause_s == Approx(3 * 10'000 * 0.01).epsilon(0.05));
}

TEST_CASE("the time series carries each paused service's pauses per interval", "[gc]") {
  // Pauses of 100 ms at 1, 2, ..., 99 s and 1 s intervals: 0.1 s in each
  // interval from the second on, the 9.9 s of gc_pause_s in all.
  const stats::Results r = simulate_text(one_pod(", gc: {every: 1s, pause: 100ms}", "5/s", "100s"));
  const stats::Series* paused = nullptr;
  for (const stats::Series& series : r.timeseries.series) {
    if (series.entity == "service/api" && series.metric == "gc_pause_s") {
      paused = &series;
    }
  }
  REQUIRE(paused != nullptr);
  REQUIRE(paused->values.size() >= 100);
  CHECK(paused->values[0] == 0.0);
  double sum = 0;
  for (std::size_t i = 1; i < 100; ++i) {
    CHECK(paused->values[i] == Approx(0.1).epsilon(1e-9));
    sum += paused->values[i];
  }
  CHECK(sum == Approx(named(r.services, "api").gc_pause_s).epsilon(1e-9));
  // A model without pauses has no such series.
  for (const stats::Series& series : simulate_text(one_pod("", "5/s", "10s")).timeseries.series) {
    CHECK(series.metric != "gc_pause_s");
  }
}

TEST_CASE("a traced request that meets a pause has a gc pause span clipped to its time at the pod",
          "[gc]") {
  // Pauses of 100 ms start at 1 s and 2 s. `w` arrives at 0, 0.8 and 1.6 s
  // and needs 300 ms of CPU: the request at 0.8 s runs 200 ms, is stopped
  // from 1.0 to 1.1 s, and ends at 1.2 s; the others meet no pause. `v`
  // arrives at 0 and 1/0.95 s (1.0526 s, inside the first pause) and waits
  // 20 ms without CPU: it is answered inside the pause, so its span is
  // its whole time at the pod.
  tailsim::components::RunLimits limits;
  limits.traces = 10;
  const stats::Results r = simulate_text(R"y(version: 1
simulation: {duration: 2s, warmup: 0s, seed: 1}
services:
  api:
    pod: {cpu: 1, gc: {every: 1s, pause: 100ms}}
    endpoints:
      get: [{cpu: 300ms}]
      wait: [{delay: 20ms}]
workloads:
  w: {entry: api.get, rate: 1.25/s, arrivals: uniform}
  v: {entry: api.wait, rate: 0.95/s, arrivals: uniform}
)y",
                                         {}, limits);
  REQUIRE(r.traces.size() == 5);  // every request
  int pauses = 0;
  for (const stats::Trace& trace : r.traces) {
    for (const stats::Span& span : trace.spans) {
      if (span.name != "gc pause") {
        continue;
      }
      ++pauses;
      REQUIRE(trace.spans.size() >= 2);
      const stats::Span& server = trace.spans[1];
      CHECK(span.kind == stats::SpanKind::internal);
      CHECK(span.parent_span_id == server.span_id);
      CHECK(span.service == "api");
      CHECK(span.pod == "api-0");
      if (trace.path == "w") {
        CHECK(trace.request == 1);
        CHECK(server.start_ns == 800'000'000);
        CHECK(server.end_ns == 1'200'000'000);
        CHECK(span.start_ns == 1'000'000'000);
        CHECK(span.end_ns == 1'100'000'000);
      } else {
        CHECK(trace.request == 1);
        CHECK(server.start_ns > 1'050'000'000);
        CHECK(span.start_ns == server.start_ns);
        CHECK(span.end_ns == server.end_ns);
        CHECK(span.end_ns - span.start_ns == 20'000'000);
      }
    }
  }
  CHECK(pauses == 2);
  // Without gc no such span.
  const stats::Results plain = simulate_text(one_pod("", "5/s", "5s"), {}, limits);
  REQUIRE_FALSE(plain.traces.empty());
  for (const stats::Trace& trace : plain.traces) {
    for (const stats::Span& span : trace.spans) {
      CHECK(span.name != "gc pause");
    }
  }
}
