// Each teaching example shows one phenomenon; these tests check that the
// effect its opening comment promises is really there.

#include <cmath>
#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

#include "support/simulate.hpp"

namespace m = tailsim::model;
namespace stats = tailsim::stats;

namespace {

stats::Results run_example(const std::string& name, std::vector<std::string> overrides = {}) {
  return tailsim::testing::simulate_file(std::string(TAILSIM_SOURCE_DIR "/examples/") + name,
                                         std::move(overrides));
}

const stats::PathResult& path(const stats::Results& r, const std::string& name) {
  return tailsim::testing::named(r.paths, name);
}

double p_ms(const stats::PathResult& p, double q) {
  return stats::latency_ms_at(p, q);
}

/// The share of the slowest 1% of `path_name`'s requests that tail
/// attribution puts in `what`, over every service, in a run of `file`.
double slowest_share(const std::string& file, const std::string& path_name,
                     const std::string& what) {
  tailsim::components::RunLimits limits;
  limits.attribution = true;
  const auto observed = tailsim::components::simulate(
      tailsim::testing::compile_file(std::string(TAILSIM_SOURCE_DIR "/examples/") + file), limits);
  double share = 0;
  for (const auto& part : path(observed, path_name).attribution.slowest.parts) {
    share += part.what == what ? part.share : 0.0;
  }
  return share;
}

}  // namespace

TEST_CASE("mm1: latency explodes as utilization nears 1", "[examples]") {
  // M/M/1: E[T] = S / (1 - rho). At rho 0.8 that is 50 ms for 10 ms of work.
  //
  // Thirty minutes, not the example's five: near saturation one run's figures
  // vary a lot between seeds. The variance of the mean of n sojourn times is
  // about rho (2 + 5 rho - 4 rho^2 + rho^3) / (1 - rho)^4 S^2 / n (Whitt's
  // asymptotic variance): at 80% over 5 minutes a standard deviation of 5.7%
  // of the mean (15% is 2.6 of them), at 95% 23%. Over 30 minutes 2.3% at
  // 80% and 9.4% at 95%. Measured over seeds 1..50: the mean at 80% 5.8%
  // (5 min) and 2.2% (30 min); p99 at 95% 24% and 16%. The p99 ratio check
  // below failed for 7 of 50 seeds over 5 minutes, none over 30 (smallest
  // ratio 2.73, median 3.63, theory 4).
  const std::string half_hour = "simulation.duration=30m";
  const auto at80 = path(run_example("mm1.yaml", {half_hour}), "requests");
  CHECK(at80.latency.mean() * 1e-6 == Approx(50).epsilon(0.15));
  const auto at50 =
      path(run_example("mm1.yaml", {half_hour, "workloads.requests.rate=50/s"}), "requests");
  const auto at95 =
      path(run_example("mm1.yaml", {half_hour, "workloads.requests.rate=95/s"}), "requests");
  CHECK(at50.latency.mean() * 1e-6 == Approx(20).epsilon(0.15));
  // The sojourn time is exponential with rate mu - lambda, so p99 = ln(100) /
  // (mu - lambda): 92 ms at 50%, 230 ms at 80%, 921 ms at 95%. Each step up
  // multiplies the tail (2.5x, then 4x); the checks leave room for the
  // sampling error above (tests/scenarios check the values).
  CHECK(p_ms(at95, 99) > 2.5 * p_ms(at80, 99));
  CHECK(p_ms(at80, 99) > 1.8 * p_ms(at50, 99));
}

TEST_CASE("closed-loop: virtual users see a shorter tail than open traffic at the same rate",
          "[examples]") {
  // production: M/M/1 at 78.5/s, mean 10 / (1 - 0.785) = 46.5 ms, p99 4.6 x
  // that. load_test: 10 users, think 100 ms; exact MVA gives X = 78.54/s and
  // R = 27.32 ms (R(n) = D (1 + Q(n-1)), X(n) = n / (Z + R(n))).
  const auto r = run_example("closed-loop.yaml");
  const auto& open = path(r, "production");
  const auto& closed = path(r, "load_test");
  CHECK(closed.throughput_rps == Approx(78.54).epsilon(0.02));
  CHECK(open.throughput_rps == Approx(78.5).epsilon(0.02));
  // Ten minutes, 47,000 requests each. One run's standard deviation of the
  // mean, from 10 replications: 2.3% (production), 0.9% (load_test); the
  // tolerances are four of them.
  CHECK(open.latency.mean() * 1e-6 == Approx(46.5).epsilon(0.10));
  CHECK(closed.latency.mean() * 1e-6 == Approx(27.32).epsilon(0.04));
  // The point: at the same throughput the load test's tail is half as long.
  CHECK(p_ms(closed, 99) < 0.6 * p_ms(open, 99));
  CHECK(p_ms(closed, 50) < 0.8 * p_ms(open, 50));
}

TEST_CASE("fanout-tail: waiting on 20 back-ends makes their tail the median", "[examples]") {
  // One shard call is lognormal (median 10 ms, p99 100 ms: sigma = ln 10 / 2.326).
  // The slowest of 20 has median F^-1(0.5^(1/20)) = F^-1(0.9659) = 60.8 ms.
  const auto r = run_example("fanout-tail.yaml");
  const auto& search = path(r, "search");
  const auto& lookup = path(r, "lookup");
  const double sigma = std::log(10.0) / 2.3263478740408408;
  const double expected = 10.0 * std::exp(sigma * 1.8238);
  CHECK(p_ms(search, 50) == Approx(expected).epsilon(0.08));
  CHECK(p_ms(lookup, 96.59) == Approx(expected).epsilon(0.08));
  CHECK(p_ms(lookup, 50) == Approx(10.0).epsilon(0.05));
}

TEST_CASE("thread-pool-exhaustion: a slow dependency starves the other endpoint", "[examples]") {
  const auto slow = run_example("thread-pool-exhaustion.yaml");
  // status needs 1 ms of CPU, yet waits seconds behind reports holding workers,
  // while the api's CPU is nearly idle.
  CHECK(p_ms(path(slow, "status"), 50) > 1000.0);
  for (const auto& s : slow.services) {
    if (s.name == "api") {
      CHECK(s.utilization < 0.2);
      CHECK(s.queue_mean > 100);
    }
  }
  // The same model with a fast backend: status takes about its 1 ms.
  const auto fast = run_example("thread-pool-exhaustion.yaml",
                                {"services.reports.endpoints.build=[{delay: 20ms}]"});
  CHECK(p_ms(path(fast, "status"), 99) < 10.0);
}

TEST_CASE("retry-storm: a short trigger leaves the system down; defences recover", "[examples]") {
  // Measure only after the trigger (60-65 s): from 150 s to 240 s.
  const std::vector<std::string> after = {"simulation.warmup=150s", "simulation.duration=90s"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), after.begin(), after.end());
    return path(run_example("retry-storm.yaml", extra), "checkout");
  };
  // Without the trigger the system is healthy at 70% load...
  const auto calm = with({"workloads.checkout.schedule=[{at: 0s, rate: 70/s}]"});
  CHECK(calm.throughput_rps > 0.9 * 70);
  // ...with it, it stays collapsed long after the spike is over.
  const auto storm = run_example("retry-storm.yaml", after);
  const auto& collapsed = path(storm, "checkout");
  CHECK(collapsed.throughput_rps < 0.1 * 70);
  CHECK(static_cast<double>(collapsed.outcomes[stats::Outcome::timeout]) >
        0.9 * static_cast<double>(collapsed.requests));
  // The client gives up after 2 s while front's third attempt to mid is still
  // out: mid's answers to it are orphaned though front, its caller, waits.
  const auto& mid = tailsim::testing::named(storm.services, "mid");
  CHECK(mid.orphaned > mid.requests / 10);
  // Its success latency describes the few that got through; over all
  // requests the typical checkout waits out the client's 2 s timeout
  // (examples/README.md).
  CHECK(collapsed.latency.value_at_percentile(50) < 500'000'000);
  CHECK(collapsed.latency_all.count() >= collapsed.outcomes[stats::Outcome::timeout]);
  CHECK(std::abs(collapsed.latency_all.value_at_percentile(50) - 2'000'000'000) <=
        2'000'000'000 / 2048);
  // Deadline propagation: abandoned work is dropped, the backlog drains.
  const auto deadlines = with({"simulation.deadlines=propagate"});
  CHECK(deadlines.throughput_rps > 0.9 * 70);
  // A retry budget at both tiers caps the amplification below db's capacity.
  const auto budget = with(
      {"services.mid.endpoints.handle=[{cpu: exp(1ms)}, {call: db.query, timeout: 300ms, retry: "
       "{attempts: 3, backoff: 10ms, on: [timeout], budget: 10%}}]",
       "services.front.endpoints.handle=[{cpu: exp(1ms)}, {call: mid.handle, timeout: 1s, retry: "
       "{attempts: 3, backoff: 10ms, on: [timeout], budget: 10%}}]"});
  CHECK(budget.throughput_rps > 0.9 * 70);
}

TEST_CASE("circuit-breaker: failing fast keeps the caller's other endpoint serving", "[examples]") {
  const auto without = run_example("circuit-breaker.yaml");
  const auto with = run_example(
      "circuit-breaker.yaml",
      {"services.api.endpoints.recommend=[{cpu: exp(1ms)}, {call: recommender.top, optional: "
       "true, circuit_breaker: {window: 40, min_calls: 20, failure_rate: 50%, open_for: 10s, "
       "half_open: 3}}]"});
  // Without: doomed 2 s calls hold the api's threads and browse queues for seconds.
  CHECK(p_ms(path(without, "browse"), 99) > 1000);
  CHECK_FALSE(without.all_slos_ok());
  // With: the breaker opens and browse stays fast.
  CHECK(p_ms(path(with, "browse"), 99) < 250);
  CHECK(with.all_slos_ok());
  bool opened = false;
  for (const auto& e : with.edges) {
    opened = opened || (e.target == "recommender.top" && e.breaker_opens > 0);
  }
  CHECK(opened);
}

TEST_CASE("backpressure: bounded queues bound the latency of admitted requests", "[examples]") {
  const auto unbounded = path(run_example("backpressure.yaml"), "sale");
  const auto bounded =
      path(run_example("backpressure.yaml",
                       {"services.api.pod.queue=50", "services.api.pod.queue_timeout=200ms"}),
           "sale");
  // Unbounded: nothing refused, and the wait grows through the minute of overload.
  CHECK(unbounded.outcomes[stats::Outcome::rejected] == 0);
  CHECK(p_ms(unbounded, 99) > 10'000);
  // Bounded: the excess is refused, fast, and admitted requests stay under a second.
  CHECK(bounded.outcomes[stats::Outcome::rejected] > 0);
  CHECK(p_ms(bounded, 99) < 1000);
}

TEST_CASE("cpu-throttling: a CPU limit below the burst parallelism multiplies p99", "[examples]") {
  const auto limited = run_example("cpu-throttling.yaml");
  const auto raised = run_example("cpu-throttling.yaml", {"services.api.pod.cpu.limit=4"});
  // Same work, same mean CPU use...
  const auto& api_limited = tailsim::testing::named(limited.services, "api");
  const auto& api_raised = tailsim::testing::named(raised.services, "api");
  CHECK(api_limited.busy_cpu_s == Approx(api_raised.busy_cpu_s).epsilon(0.02));
  // ...but throttled, with a tail several times longer: nearly half of the
  // periods with work end throttled (examples/README.md).
  const double throttled_share = static_cast<double>(api_limited.cfs_throttled_periods) /
                                 static_cast<double>(api_limited.cfs_periods);
  CHECK(throttled_share > 0.35);
  CHECK(throttled_share < 0.55);
  CHECK(api_raised.cfs_throttled_periods == 0);
  CHECK(p_ms(path(limited, "requests"), 99) > 3 * p_ms(path(raised, "requests"), 99));
}

TEST_CASE("noisy-neighbours: a small request loses the node's cores in bursts", "[examples]") {
  const auto crowded = run_example("noisy-neighbours.yaml");
  const auto weighted = run_example("noisy-neighbours.yaml", {"services.api.pod.cpu.request=3"});
  // The api's slowest requests wait for node cores; with a request of 3 its
  // weight carries its bursts and p99 passes the 25 ms SLO.
  CHECK(p_ms(path(crowded, "requests"), 99) > 2 * p_ms(path(weighted, "requests"), 99));
  CHECK_FALSE(crowded.all_slos_ok());
  CHECK(weighted.all_slos_ok());
  const auto& api = tailsim::testing::named(crowded.services, "api");
  const auto& api_weighted = tailsim::testing::named(weighted.services, "api");
  CHECK(api.contention_s > 4 * api_weighted.contention_s);
  CHECK(crowded.cluster.node_utilization_mean > 0.8);
  CHECK(slowest_share("noisy-neighbours.yaml", "requests", "node_cores") > 0.5);
}

TEST_CASE("gc-pauses: pauses leave the median alone and make the tail", "[examples]") {
  const auto pausing = run_example("gc-pauses.yaml");
  const auto short_pauses = run_example("gc-pauses.yaml", {"services.api.pod.gc.pause=1ms"});
  const auto& with_gc = path(pausing, "requests");
  const auto& with_short = path(short_pauses, "requests");
  // The median request meets no pause (about 2.7% of the time is paused)...
  CHECK(p_ms(with_gc, 50) == Approx(p_ms(with_short, 50)).epsilon(0.1));
  // ...the slowest 1% do: p99 about twice the short pauses', above the SLO.
  CHECK(p_ms(with_gc, 99) > 1.6 * p_ms(with_short, 99));
  CHECK_FALSE(pausing.all_slos_ok());
  CHECK(short_pauses.all_slos_ok());
  // Where the time went: GC pauses are most of the slowest 1%.
  CHECK(slowest_share("gc-pauses.yaml", "requests", "gc_pause") > 0.6);
  // About once a second on each of the two pods, some 26 ms each.
  const auto& api = tailsim::testing::named(pausing.services, "api");
  CHECK(api.gc_pauses == Approx(600).epsilon(0.15));
  CHECK(api.gc_pause_s == Approx(600 * 0.0269).epsilon(0.2));
}

TEST_CASE("memory-oom: a slow dependency OOM-kills the api; a bounded queue rejects instead",
          "[examples]") {
  const auto killing = run_example("memory-oom.yaml");
  const auto bounded = run_example("memory-oom.yaml", {"services.api.pod.queue=32"});
  const auto& api = tailsim::testing::named(killing.services, "api");
  const auto& bounded_api = tailsim::testing::named(bounded.services, "api");
  // Requests pile up while the db is slow: pods die, restart, die again.
  CHECK(api.oom_kills >= 5);
  CHECK(api.restarts >= 5);
  CHECK(api.replicas.min < 3);
  CHECK(path(killing, "requests").outcomes[tailsim::Outcome::error] > 0);
  // At most 96 requests held (392Mi): no kill, the excess is rejected, and
  // fewer requests fail by far.
  CHECK(bounded_api.oom_kills == 0);
  CHECK(bounded_api.rejected > 0);
  CHECK(path(bounded, "requests").outcomes.failed() * 2 <
        path(killing, "requests").outcomes.failed());
  CHECK_FALSE(killing.all_slos_ok());
}

TEST_CASE("cold-cache: after a flush the hit ratio collapses and latency spikes", "[examples]") {
  const auto before =
      run_example("cold-cache.yaml", {"simulation.warmup=30s", "simulation.duration=30s"});
  const auto after =
      run_example("cold-cache.yaml", {"simulation.warmup=60s", "simulation.duration=5s"});
  const auto later =
      run_example("cold-cache.yaml", {"simulation.warmup=120s", "simulation.duration=30s"});
  const double hit_before = tailsim::testing::named(before.caches, "products").hit_ratio();
  const double hit_after = tailsim::testing::named(after.caches, "products").hit_ratio();
  const double hit_later = tailsim::testing::named(later.caches, "products").hit_ratio();
  CHECK(hit_after < hit_before - 0.2);
  CHECK(p_ms(path(after, "browse"), 50) > 5 * p_ms(path(before, "browse"), 50));
  // And it recovers as the popular keys come back.
  CHECK(hit_later > hit_before - 0.05);
}

TEST_CASE("cold-cache: per interval, the median jumps at the flush and the p99 does not",
          "[examples]") {
  // examples/README.md's claim for Latency per interval. Before the flush a
  // quarter of lookups miss, so the p99 is a miss's latency already; with
  // the hit ratio under a half right after it, the median request is a miss.
  const auto r = run_example("cold-cache.yaml");
  auto series = [&](const std::string& entity, const std::string& metric) {
    for (const auto& s : r.timeseries.series) {
      if (s.entity == entity && s.metric == metric) {
        return s.values;
      }
    }
    FAIL("no series " << entity << " " << metric);
    return std::vector<double>{};
  };
  REQUIRE(r.timeseries.interval_s == 1.0);
  const auto p50 = series("path/browse", "p50_ms");
  const auto p99 = series("path/browse", "p99_ms");
  const auto hits = series("cache/products", "hit_ratio");
  REQUIRE(p50.size() > 64);
  double p99_before = 0;
  for (std::size_t i = 50; i < 60; ++i) {  // the ten seconds before the flush at 60 s
    INFO("interval " << i);
    CHECK(p50[60] > 10 * p50[i]);
    CHECK(hits[i] > 0.6);
    p99_before += p99[i] / 10;
  }
  CHECK(hits[60] < 0.5);
  // The p99 moves by about a fifth: before the flush it is the miss
  // latency's p96 or so (1% of requests over a 27% miss share), after it
  // the miss latency's p98.5 (a 65% share): 93 against 111 ms for the
  // lognormal(median=40ms, p99=120ms) query. One second's p99, of 500
  // requests, varies by about 10% (5 requests above it: sqrt(p (1 - p) / n)
  // over the density there; 8.7% measured), so p99[60] is compared with the
  // mean of the ten seconds before, not with each: against each, the
  // smallest of ten noisy figures, the check failed for 4 of seeds 1..40;
  // against their mean, for none (the ratio 1.20 on average, standard
  // deviation 0.10, at most 1.47: 1.5 is three deviations above).
  CHECK(p99[60] < 1.5 * p99_before);
}

TEST_CASE("async-backlog: a burst builds a backlog; scaling on lag drains it sooner",
          "[examples]") {
  // Without scaling: 30 s at 100/s more than the 200/s the consumers take,
  // nearly 3,000 orders behind, the last waiting backlog / 200/s.
  const auto fixed = run_example("async-backlog.yaml", {"autoscalers.fulfillment.max=2"});
  const auto& q = tailsim::testing::named(fixed.queues, "orders");
  CHECK(q.depth_max == Approx(3000).epsilon(0.15));
  CHECK(q.lag_max_s == Approx(static_cast<double>(q.depth_max) / 200.0).epsilon(0.15));
  CHECK(q.consumed == q.published);
  // The producers are not slowed: checkout stays fast while orders wait.
  CHECK(p_ms(path(fixed, "sale"), 99) < 50);
  CHECK(p_ms(path(fixed, "orders"), 99) > 10'000);
  // Scaling on the lag: pods are added during the sale, the backlog peaks
  // lower and the longest wait is cut by at least a third.
  const auto scaled = run_example("async-backlog.yaml");
  const auto& sq = tailsim::testing::named(scaled.queues, "orders");
  const auto& a = scaled.autoscalers.front();
  CHECK(a.scale_ups >= 1);
  std::int32_t peak = 0;
  for (const auto& h : a.history) {
    peak = std::max(peak, h.desired);
  }
  CHECK(peak > 2);
  CHECK(sq.depth_max < q.depth_max);
  CHECK(sq.lag_max_s < 0.67 * q.lag_max_s);
  CHECK(p_ms(path(scaled, "orders"), 99) < 0.67 * p_ms(path(fixed, "orders"), 99));
}

TEST_CASE("hpa-lag: the replicas catch up a minute after the step, and p99 pays for it",
          "[examples]") {
  const auto r = run_example("hpa-lag.yaml");
  const auto& a = r.autoscalers.front();
  const tailsim::stats::ScaleSample* up = nullptr;
  for (const auto& h : a.history) {
    if (h.desired > 3) {
      up = &h;
      break;
    }
  }
  REQUIRE(up != nullptr);
  // The step is at 120 s; the controller sees it through a 15 s window read
  // 15 s late, at its next sync (every 15 s): between 120 + 15 s (the first
  // window touching the step) and 120 + 15 + 15 + 15 s.
  CHECK(up->t_s > 135.0);
  CHECK(up->t_s < 165.0);
  // The new pods start in 30 s (a multiple of the 10 s probe): ready two
  // syncs later, not one.
  bool ready_in_time = false;
  for (const auto& h : a.history) {
    if (h.t_s > up->t_s + 14 && h.t_s < up->t_s + 16) {
      CHECK(h.ready == 3);
    }
    if (h.t_s > up->t_s + 29 && h.t_s < up->t_s + 31) {
      ready_in_time = h.ready == static_cast<std::uint32_t>(up->desired);
    }
  }
  CHECK(ready_in_time);
  // Meanwhile requests queue: the tail is many times that of a deployment
  // scaled ahead of the step.
  const auto ahead = run_example("hpa-lag.yaml", {"services.api.replicas=6"});
  CHECK(p_ms(path(r, "api"), 99) > 5 * p_ms(path(ahead, "api"), 99));
}

TEST_CASE("cluster-scale-down: nodes removed in the quiet hours are missed at the next peak",
          "[examples]") {
  const auto r = run_example("cluster-scale-down.yaml");
  // The api shrinks at about 10 minutes; nodes 1 (empty) and 2 (reports
  // only, moved to node 0) are unneeded from the next scan and removed ten
  // minutes after it.
  CHECK(r.cluster.nodes_removed == 2);
  CHECK(r.cluster.nodes_min == 1);
  const stats::Series* nodes = nullptr;
  for (const auto& series : r.timeseries.series) {
    if (series.entity == "cluster" && series.metric == "nodes") {
      nodes = &series;
    }
  }
  REQUIRE(nodes != nullptr);
  CHECK(nodes->values[1200] == 3.0);  // 20 minutes: still three
  CHECK(nodes->values[1500] == 1.0);  // 25 minutes: one
  // The morning's pods wait for new nodes...
  CHECK(r.cluster.nodes_added >= 1);
  CHECK(r.cluster.pending_pod_s > 100.0);
  // ...which a cluster that keeps idle nodes for 30 minutes still has: no
  // pod waits, and the tail is several times shorter.
  const auto kept = run_example("cluster-scale-down.yaml", {"cluster.scale_down.unneeded=30m"});
  CHECK(kept.cluster.nodes_removed == 0);
  CHECK(kept.cluster.pending_pod_s == 0.0);
  CHECK(p_ms(path(r, "api"), 99) > 3 * p_ms(path(kept, "api"), 99));
}

TEST_CASE("batching: batches let the GPUs keep up; the wait trades GPU time", "[examples]") {
  const auto waiting = run_example("batching.yaml");
  const auto single =
      run_example("batching.yaml", {"services.model.endpoints.infer.1.batch.max=1"});
  const auto eager =
      run_example("batching.yaml", {"services.model.endpoints.infer.1.batch.wait=0s"});
  const auto& model = tailsim::testing::named(waiting.services, "model");
  // About 1 + 300/s x 10 ms = 4 a batch (less: some leave full, or early).
  CHECK(model.batch_size_mean == Approx(3.75).margin(0.25));
  CHECK(model.gpus == 1);
  // 190 of the 240 GPU-seconds of the two pods' 2 minutes.
  CHECK(model.gpu_busy_s == Approx(190).epsilon(0.05));
  CHECK(p_ms(path(waiting, "requests"), 99) < 25.0);
  CHECK(waiting.all_slos_ok());
  // One at a time the GPU serves 118/s of the 300/s each pod gets.
  CHECK(path(single, "requests").unstable);
  CHECK_FALSE(single.all_slos_ok());
  // No wait: smaller batches, the GPUs never idle.
  const auto& eager_model = tailsim::testing::named(eager.services, "model");
  CHECK(eager_model.batch_size_mean < model.batch_size_mean - 0.5);
  CHECK(eager_model.gpu_busy_s > 0.98 * 240);
}
