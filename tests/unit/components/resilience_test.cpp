// Client policies in whole simulations: exact outcomes with constant delays.

#include <cmath>
#include <string>

#include <catch2/catch.hpp>

#include "support/component_models.hpp"
#include "support/simulate.hpp"

namespace m = tailsim::model;
namespace stats = tailsim::stats;
using stats::Outcome;

using tailsim::testing::simulate_text;

namespace {

using tailsim::testing::edge;
using tailsim::testing::named;

/// front gives up on mid after 200 ms; mid waits `wait`, then calls back,
/// which needs 50 ms of CPU on cores enough never to queue. Nobody between
/// mid and back has a timeout or a deadline. Arrivals, 20/s evenly spaced,
/// stop 1 s before the window ends, so that every request ends inside it.
std::string give_up_chain_model(const std::string& wait, int duration_s) {
  return R"y(version: 1
simulation: {duration: )y" +
         std::to_string(duration_s) + R"y(s, seed: 7}
services:
  front:
    endpoints:
      get: [{call: mid.work, timeout: 200ms}]
  mid:
    endpoints:
      work: [{delay: )y" +
         wait + R"y(}, {call: back.work}]
  back:
    pod: {cpu: 32}
    endpoints: {work: [{cpu: 50ms}]}
workloads:
  w:
    entry: front.get
    arrivals: uniform
    schedule: [{at: 0s, rate: 20/s}, {at: )y" +
         std::to_string(duration_s - 1) + R"y(s, rate: 0/s}]
)y";
}

}  // namespace

TEST_CASE("a 100 ms callee behind a 50 ms timeout with 3 attempts fails after 170 ms",
          "[resilience]") {
  // 50 (timeout) + 10 (backoff) + 50 + 10 + 50 = 170 ms, and the callee sees
  // exactly 3 attempts per request.
  const auto r = simulate_text(R"y(version: 1
simulation: {duration: 10s, seed: 1}
services:
  api:
    endpoints:
      get:
        - call: slow.work
          timeout: 50ms
          retry: {attempts: 3, backoff: 10ms, multiplier: 1, jitter: none, on: [timeout]}
  slow:
    endpoints: {work: [{delay: 100ms}]}
workloads:
  w:
    entry: api.get
    arrivals: uniform
    schedule: [{at: 0s, rate: 10/s}, {at: 9s, rate: 0/s}]   # the last attempts end inside the window
)y");
  const auto& path = named(r.paths, "w");
  // Arrivals at 0, 100 ms, ..., 9 s: 91 requests.
  REQUIRE(path.requests == 91);
  CHECK(path.outcomes[Outcome::timeout] == 91);
  const auto& e = edge(r, "api", "slow.work");
  CHECK(e.calls == 91);
  CHECK(e.attempts == 273);
  CHECK(e.outcomes[Outcome::timeout] == 91);
  CHECK(named(r.services, "slow").requests == 273);
  CHECK(named(r.services, "api").retries == 182);
  // Nobody waits for any of the callee's answers.
  CHECK(named(r.services, "slow").orphaned == 273);
  CHECK(named(r.services, "slow").goodput_rps == 0.0);

  // The time to failure: the client's own edge sees each request end after
  // exactly 170 ms. Make that visible as a success by making the error optional.
  const auto timed = simulate_text(tailsim::testing::retried_timeouts_model);
  const auto& ok = named(timed.paths, "w");
  CHECK(ok.outcomes[Outcome::ok] == ok.requests);
  CHECK(ok.latency.min() == 170'000'000);
  CHECK(ok.latency.max() == 170'000'000);
}

TEST_CASE("retries on errors take exactly the time of their attempts and backoffs",
          "[resilience]") {
  // A callee that answers in 30 ms and fails half the time: constant delays
  // make the latency of each number of attempts exact.
  const auto r = simulate_text(R"y(version: 1
simulation: {duration: 10s, seed: 1}
services:
  api:
    endpoints:
      get:
        - call: flaky.work
          timeout: 50ms
          retry: {attempts: 3, backoff: 10ms, multiplier: 1, jitter: none, on: [error]}
  flaky:
    endpoints: {work: [{delay: 30ms}, {fail: 50%}]}
workloads:
  w: {entry: api.get, rate: 20/s, arrivals: uniform}
)y");
  // Attempts fail half the time with error after 30 ms; each retry waits 10 ms.
  // A request succeeds after 30, 70 or 110 ms; fails (all three errors) after 110 ms.
  const auto& path = named(r.paths, "w");
  CHECK(path.latency.min() == 30'000'000);
  CHECK(path.latency.max() == 110'000'000);
  const double n = static_cast<double>(path.requests);
  CHECK(static_cast<double>(path.outcomes[Outcome::error]) ==
        Approx(n / 8).margin(4.5 * std::sqrt(n * 0.125 * 0.875)));
}

TEST_CASE("wasted work is counted exactly in a deterministic case", "[resilience]") {
  // The callee needs 80 ms of CPU; the caller gives up after 50 ms, once.
  // Every unit of the callee's CPU is spent for nobody.
  const auto r = simulate_text(R"y(version: 1
simulation: {duration: 10s, seed: 1}
services:
  api:
    endpoints:
      get: [{call: worker.crunch, timeout: 50ms}]
  worker:
    pod: {cpu: 4}
    endpoints: {crunch: [{cpu: 80ms}]}
workloads:
  w: {entry: api.get, rate: 5/s, arrivals: uniform}
)y");
  const auto& worker = named(r.services, "worker");
  CHECK(worker.requests == 50);
  CHECK(worker.wasted_cpu_s == Approx(50 * 0.080));
  CHECK(worker.busy_cpu_s == Approx(50 * 0.080));
  CHECK(worker.goodput_rps == 0.0);
  CHECK(named(r.paths, "w").outcomes[Outcome::timeout] == 50);
}

TEST_CASE("an open circuit fails calls fast and keeps the caller serving", "[resilience]") {
  const std::string model = R"y(version: 1
simulation: {duration: 60s, seed: 1}
services:
  api:
    endpoints:
      get:
        - call: broken.work
          timeout: 1s
          BREAKER
  broken:
    endpoints: {work: [{delay: 200ms}, {fail: 100%}]}
workloads:
  w: {entry: api.get, rate: 50/s}
)y";
  auto with = [&](const std::string& breaker) {
    std::string text = model;
    text.replace(text.find("BREAKER"), 7, breaker);
    return simulate_text(text);
  };
  const auto without = with("optional: false");
  const auto guarded = with(
      "circuit_breaker: {window: 20, min_calls: 10, failure_rate: 50%, open_for: 5s, half_open: "
      "2}");
  CHECK(named(without.services, "broken").requests > 2900);
  // Open for 5 s at a time, then two trials that fail: the broken service sees
  // a few calls per 5 s instead of 50 per second.
  CHECK(named(guarded.services, "broken").requests < 100);
  const auto& e = edge(guarded, "api", "broken.work");
  CHECK(e.breaker_opens >= 10);
  CHECK(e.breaker_open_s > 50);
  CHECK(e.outcomes[Outcome::unavailable] > 2800);
  // Failing fast: the callers no longer wait 200 ms for a doomed answer.
  CHECK(named(without.paths, "w").outcomes[Outcome::error] > 2900);
}

TEST_CASE("with deadline propagation downstream calls inherit the time left", "[resilience]") {
  const std::string model = R"y(version: 1
simulation: {duration: 10s, seed: 1, deadlines: MODE}
services:
  front:
    endpoints: {get: [{delay: 40ms}, {call: back.work}]}
  back:
    endpoints: {work: [{cpu: 20ms}]}
workloads:
  w: {entry: front.get, rate: 10/s, arrivals: uniform, timeout: 50ms}
)y";
  auto with = [&](const std::string& mode) {
    std::string text = model;
    text.replace(text.find("MODE"), 4, mode);
    return simulate_text(text);
  };
  // Without: back still does 20 ms of work for every request, all of it wasted.
  const auto none = with("none");
  CHECK(named(none.services, "back").requests == 100);
  CHECK(named(none.services, "back").wasted_cpu_s == Approx(100 * 0.020));
  // With: after 40 ms only 10 ms are left; back's answer comes too late, but
  // the call itself gives up at the deadline, and back's work is still wasted
  // (it does not stop mid-request); requests whose deadline passed in a
  // queue are dropped instead. Every request ends with timeout at 50 ms.
  const auto propagate = with("propagate");
  CHECK(named(propagate.paths, "w").outcomes[Outcome::timeout] == 100);
  CHECK(named(propagate.services, "front").goodput_rps == 0.0);
}

TEST_CASE("hedging cuts the tail of a bimodal service to a known value", "[resilience]") {
  // The callee answers in 10 ms 95% of the time and in 1 s otherwise. With a
  // hedge after 50 ms the caller waits min(T1, 50 ms + T2): 10 ms (p 0.95),
  // 60 ms (0.05 x 0.95 = 0.0475) or 1 s (0.0025), so p99 is exactly 60 ms;
  // without it p99 is 1 s.
  const std::string model = R"y(version: 1
simulation: {duration: 200s, seed: 4}
services:
  api:
    endpoints:
      get:
        - call: store.read
          HEDGE
  store:
    endpoints: {read: [{delay: "mix(95% 10ms, 5% 1s)"}]}
workloads:
  w: {entry: api.get, rate: 100/s}
)y";
  auto with = [&](const std::string& hedge) {
    std::string text = model;
    text.replace(text.find("HEDGE"), 5, hedge);
    return simulate_text(text);
  };
  const auto plain = with("optional: false");
  const auto hedged = with("hedge: {after: 50ms, max: 1}");
  const auto& p = named(plain.paths, "w");
  const auto& h = named(hedged.paths, "w");
  CHECK(static_cast<double>(p.latency.value_at_percentile(99)) * 1e-6 ==
        Approx(1000).epsilon(0.01));
  CHECK(static_cast<double>(h.latency.value_at_percentile(99)) * 1e-6 == Approx(60).epsilon(0.01));
  CHECK(static_cast<double>(h.latency.value_at_percentile(99.9)) * 1e-6 ==
        Approx(1000).epsilon(0.01));
  // About 5% of calls send a hedge, and 95% of those win.
  const auto& api = named(hedged.services, "api");
  const double n = static_cast<double>(h.requests);
  CHECK(static_cast<double>(api.hedges) ==
        Approx(0.05 * n).margin(4.5 * std::sqrt(n * 0.05 * 0.95)));
  CHECK(static_cast<double>(api.hedges_won) ==
        Approx(0.95 * static_cast<double>(api.hedges))
            .margin(4.5 * std::sqrt(static_cast<double>(api.hedges) * 0.05)));
  // The losing copies' work goes on at the callee (no deadlines): orphaned
  // answers, one per hedge, but for the few slow losers still running when
  // the run ends (about 100/s x 5% x 1 s).
  const auto orphaned = named(hedged.services, "store").orphaned;
  CHECK(orphaned <= api.hedges);
  CHECK(orphaned + 20 >= api.hedges);
}

TEST_CASE("a bulkhead bounds the calls in flight from one pod", "[resilience]") {
  // 50 calls/s, evenly spaced, each 100 ms long: 5 would be in flight; the
  // bulkhead lets 2 through, so of every 5 consecutive calls 3 are rejected.
  const auto r = simulate_text(R"y(version: 1
simulation: {duration: 10s, seed: 1}
services:
  api:
    endpoints: {get: [{call: slow.work, bulkhead: 2}]}
  slow:
    endpoints: {work: [{delay: 100ms}]}
workloads:
  w: {entry: api.get, rate: 50/s, arrivals: uniform}
)y");
  const auto& w = named(r.paths, "w");
  CHECK(static_cast<double>(w.outcomes[Outcome::rejected]) ==
        Approx(0.6 * static_cast<double>(w.requests)).margin(3));
  CHECK(named(r.services, "slow").requests == w.requests - w.outcomes[Outcome::rejected]);
}

// Wasted work counted wherever it happens: a request is orphaned when any
// caller up its chain gave up, however many hops up (docs/semantics.md).

TEST_CASE("a constant wait orphans every request two hops down beyond the root's timeout",
          "[wasted]") {
  // mid calls back `wait` after front's call began. 250 ms: front gave up
  // 50 ms before, every one of back's answers is for nobody. 100 ms: the
  // answers come after 150 ms, before front gives up at 200 ms: none is.
  for (const bool beyond : {true, false}) {
    INFO((beyond ? "250 ms" : "100 ms"));
    const auto r = simulate_text(give_up_chain_model(beyond ? "250ms" : "100ms", 10));
    const auto& back = named(r.services, "back");
    const auto n = named(r.paths, "w").requests;
    REQUIRE(n >= 180);
    REQUIRE(back.requests == n);
    const std::uint64_t orphans = beyond ? n : 0;
    CHECK(back.orphaned == orphans);
    CHECK(named(r.services, "mid").orphaned == orphans);
    CHECK(named(r.services, "front").orphaned == 0);  // the client never gives up
    CHECK(back.goodput_rps * 10 == Approx(static_cast<double>(n - orphans)));
    CHECK(back.wasted_cpu_s == Approx(static_cast<double>(orphans) * 0.050));
    CHECK(back.busy_cpu_s == Approx(static_cast<double>(n) * 0.050));
    CHECK(named(r.paths, "w").outcomes[beyond ? Outcome::timeout : Outcome::ok] == n);
  }
}

TEST_CASE("back's orphans and goodput match the share of roots given up on", "[wasted]") {
  // back answers at W + 50 ms after front's call began, W ~ U(100, 300) ms;
  // front has given up by then when W + 50 > 200, with probability
  // (300 - 150) / (300 - 100) = 0.75, whether mid had already called back
  // (W < 200) or not.
  const double window_s = 300;
  const auto r = simulate_text(give_up_chain_model("\"uniform(100ms, 300ms)\"", 300));
  const auto& back = named(r.services, "back");
  const auto n = static_cast<double>(back.requests);
  REQUIRE(back.requests >= 5900);
  REQUIRE(back.requests == named(r.paths, "w").requests);
  constexpr double p = 0.75;
  // A 99.99% binomial interval (z = 3.9): a fixed seed, so either always in or always out.
  const double margin = 3.9 * std::sqrt(n * p * (1 - p));
  const auto orphaned = static_cast<double>(back.orphaned);
  CHECK(orphaned == Approx(n * p).margin(margin));
  // Every answer is either goodput (all of back's answers are successes) or orphaned.
  CHECK(back.goodput_rps * window_s + orphaned == Approx(n));
  CHECK(back.goodput_rps == Approx(n * (1 - p) / window_s).margin(margin / window_s));
  // The wasted CPU is the orphans' 50 ms each.
  CHECK(back.wasted_cpu_s == Approx(orphaned * 0.050));
  // mid's answers come at the same moment as back's: the same requests.
  CHECK(named(r.services, "mid").orphaned == back.orphaned);
  // The path's successes are the roots that were still waiting.
  CHECK(static_cast<double>(named(r.paths, "w").outcomes[Outcome::ok]) == n - orphaned);

  // The time series counts wasted CPU the same way: its intervals inside the
  // window (1 s each, warm-up 0) add up to the run's total.
  double in_window = 0;
  bool found = false;
  for (const auto& s : r.timeseries.series) {
    if (s.entity == "service/back" && s.metric == "wasted_cpu_s") {
      found = true;
      REQUIRE(s.values.size() >= 300);
      for (std::size_t i = 0; i < 300; ++i) {
        in_window += s.values[i];
      }
    }
  }
  REQUIRE(found);
  CHECK(in_window == Approx(back.wasted_cpu_s));
}

TEST_CASE("a killed caller's calls still out are orphaned, with no timeout anywhere", "[wasted]") {
  // mid's only pod is killed at 5.05 s with five requests (arrived at 4.6,
  // 4.7, ..., 5.0 s) waiting for back's 500 ms of CPU: they fail at once;
  // back finishes them for nobody.
  const std::string model = R"y(version: 1
simulation: {duration: 10s, seed: 1}
services:
  front:
    endpoints: {get: [{call: mid.work}]}
  mid:
    endpoints: {work: [{call: back.work}]}
  back:
    pod: {cpu: 32}
    endpoints: {work: [{cpu: 500ms}]}
workloads:
  w: {entry: front.get, rate: 10/s, arrivals: uniform}
faults:
  - {at: 5.05s, kill: mid, pods: 1}
)y";
  const auto r = simulate_text(model);
  const auto& back = named(r.services, "back");
  CHECK(back.orphaned == 5);
  CHECK(back.wasted_cpu_s == Approx(5 * 0.5));
  CHECK(back.goodput_rps * 10 == Approx(static_cast<double>(back.requests - 5)));
  CHECK(named(r.paths, "w").outcomes[Outcome::error] == 5);

  // With 100 ms per network hop, the request front sent at 4.4 s reaches
  // back at 4.6 s, which answers at 5.1 s: after the kill, but while mid's
  // `error` is still on its way to front. Orphaned too: mid had answered.
  // (Front's requests from 4.3 to 4.9 s fail; 4.3's back answered at 5.0 s.)
  const auto slow = simulate_text(model + "network: {default: {latency: 100ms}}\n");
  const auto& slow_back = named(slow.services, "back");
  CHECK(named(slow.paths, "w").outcomes[Outcome::error] == 7);
  CHECK(slow_back.orphaned == 6);
  CHECK(slow_back.wasted_cpu_s == Approx(6 * 0.5));
}

TEST_CASE("an edge that retries counts its calls and attempts per interval: 1 + p + p^2",
          "[resilience][amplification]") {
  // Three attempts on errors, each failing with p = 1/2 independently:
  // attempts per call are 1, 2 or 3 with chances 1/2, 1/4, 1/4, a mean of
  // 1 + p + p^2 = 1.75 and a variance of 0.6875.
  const auto r = simulate_text(R"y(version: 1
simulation: {duration: 200s, warmup: 0s, seed: 4, interval: 10s}
services:
  api:
    endpoints:
      get:
        - call: flaky.work
          retry: {attempts: 3, backoff: 1ms, multiplier: 1, jitter: none, on: [error]}
  flaky:
    endpoints: {work: [{delay: 2ms}, {fail: 50%}]}
workloads:
  w: {entry: api.get, rate: 200/s}
)y");
  const stats::Series* calls = nullptr;
  const stats::Series* attempts = nullptr;
  for (const stats::Series& s : r.timeseries.series) {
    if (s.entity == "edge/api->flaky.work") {
      (s.metric == "calls" ? calls : attempts) = &s;
    }
  }
  REQUIRE(calls != nullptr);
  REQUIRE(attempts != nullptr);
  double n = 0;
  double sent = 0;
  for (std::size_t i = 0; i < calls->values.size(); ++i) {
    n += calls->values[i];
    sent += attempts->values[i];
  }
  const auto& edge = tailsim::testing::edge(r, "api", "flaky.work");
  CHECK(n == static_cast<double>(edge.calls));  // every call of the run was in the window
  CHECK(sent == static_cast<double>(edge.attempts));
  CHECK(sent / n == Approx(1.75).margin(4.5 * std::sqrt(0.6875 / n)));
  // No retry policy, no such series: the client's edge has none.
  for (const stats::Series& s : r.timeseries.series) {
    CHECK(s.entity.rfind("edge/client/", 0) == std::string::npos);
  }
}
