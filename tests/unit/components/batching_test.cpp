// Batch steps in whole simulations (SPEC.md "Batching (inference servers)"):
// known answers of a dynamic batcher, worked out by hand below.

#include <string>

#include <catch2/catch.hpp>

#include "support/simulate.hpp"

namespace stats = tailsim::stats;
using tailsim::testing::named;
using tailsim::testing::simulate_text;

namespace {

/// One pod serving `get` with one batch step; `arrivals` is the workload's
/// rate and arrival process.
std::string batching_model(const std::string& pod, const std::string& batch,
                           const std::string& arrivals, const std::string& duration) {
  return R"y(version: 1
simulation: {duration: )y" +
         duration + R"y(, warmup: 0s, seed: 5}
services:
  model:
    pod: {)y" +
         pod + R"y(}
    endpoints:
      infer:
        - batch: )y" +
         batch + R"y(
workloads:
  main: {entry: model.infer, )y" +
         arrivals + "}\n";
}

double batch_mean_ms(const stats::Results& r) {
  return named(r.paths, "main").latency.mean() * 1e-6;
}

double batch_attributed_ms(const stats::Results& r, const std::string& what) {
  double ms = 0;
  for (const auto& part : named(r.paths, "main").attribution.mean.parts) {
    if (part.what == what) {
      ms += part.ms;
    }
  }
  return ms;
}

}  // namespace

TEST_CASE("arrivals every 1 ms fill batches of 8 every 8 ms: mean latency 9.5 ms", "[batching]") {
  // Request k (1 to 8) of a batch waits 8 - k ms for the eighth, then the
  // batch takes 2 + 0.5 x 8 = 6 ms of CPU, one job on one core; the next
  // batch starts 8 ms later, so they never overlap. Mean: 3.5 + 6 = 9.5 ms.
  // 10 s of arrivals from 0 ms: 10,000 requests, 1,250 batches.
  tailsim::components::RunLimits limits;
  limits.attribution = true;
  const stats::Results r =
      simulate_text(batching_model("cpu: 4", R"({max: 8, wait: 100ms, cpu: "2ms + 0.5ms*n"})",
                                   "rate: 1000/s, arrivals: uniform", "10s"),
                    {}, limits);
  CHECK(named(r.paths, "main").latency.count() == 10'000);
  CHECK(batch_mean_ms(r) == Approx(9.5).epsilon(1e-6));
  CHECK(stats::latency_ms_at(named(r.paths, "main"), 100) == Approx(13.0).epsilon(1e-3));
  const stats::ServiceResult& model = named(r.services, "model");
  CHECK(model.has_batch);
  CHECK(model.batches == 1'250);
  CHECK(model.batch_size_mean == 8.0);
  CHECK(model.gpus == 0);
  // Attribution: 3.5 ms waiting for the batch, 6 ms of CPU, nothing else.
  CHECK(batch_attributed_ms(r, "batch_wait") == Approx(3.5).epsilon(1e-3));
  CHECK(batch_attributed_ms(r, "cpu") == Approx(6.0).epsilon(1e-3));
  CHECK(batch_attributed_ms(r, "queue") == Approx(0).margin(1e-6));
  CHECK(batch_attributed_ms(r, "unaccounted") == Approx(0).margin(1e-6));
}

TEST_CASE("a batch's orphaned members waste their share of its CPU", "[batching][wasted]") {
  // As above, requests 1 to 8 of each batch answer after 13, 12, ..., 6 ms;
  // the client gives up after 10.5 ms, on the first three of each batch:
  // 3/8 of every batch's 6 ms of CPU is spent for nobody.
  const stats::Results r =
      simulate_text(batching_model("cpu: 4", R"({max: 8, wait: 100ms, cpu: "2ms + 0.5ms*n"})",
                                   "rate: 1000/s, arrivals: uniform, timeout: 10.5ms", "10s"));
  const stats::ServiceResult& model = named(r.services, "model");
  CHECK(model.orphaned == 3 * 1'250);
  CHECK(model.goodput_rps * 10 == Approx(5 * 1'250));
  // The last batch ends after the window: 1,249 batches' CPU in it.
  CHECK(model.wasted_cpu_s == Approx(1'249 * 0.006 * 3 / 8));
}

TEST_CASE("Poisson arrivals at a low rate: batches leave by wait", "[batching]") {
  // At 10/s with wait 100 ms a batch is its first request and the arrivals
  // of the next 100 ms: n = 1 + K, K Poisson with mean 1 (max 8 cuts off
  // P(K >= 8) = 1e-5), so the mean size is 2. Its first request waits
  // 100 ms, each other one the rest of the 100 ms, uniform: 150 ms per
  // batch, 75 ms per request. A batch of n takes 1 + n ms, and a request
  // sees batches in proportion to their size: E[n(1 + n)] / E[n] = (2 + 5)
  // / 2 = 3.5 ms. Batches are 100 ms apart at least: they never overlap.
  // Over 20,000 s (about 100,000 batches) the size's standard error is
  // 0.003 and the mean latency's under 0.15 ms: the margins are four of them.
  const stats::Results r = simulate_text(batching_model(
      "cpu: 1", R"({max: 8, wait: 100ms, cpu: "1ms + 1ms*n"})", "rate: 10/s", "20000s"));
  const stats::ServiceResult& model = named(r.services, "model");
  CHECK(model.batch_size_mean == Approx(2.0).margin(0.012));
  CHECK(static_cast<double>(model.batches) == Approx(100'000).epsilon(0.01));
  CHECK(batch_mean_ms(r) == Approx(78.5).margin(0.6));
}

TEST_CASE("Triton's dynamic batcher: max 8, delay 5 ms, an idle instance", "[batching]") {
  // Reference: arrivals every 2 ms give a batch of 3 at 5 ms (the requests
  // of 0, 2 and 4 ms; the one at 6 ms starts the next). They wait 5, 3 and
  // 1 ms, then 1 ms on the GPU: latencies 6, 4 and 2 ms, mean 4 ms.
  const std::string pod = "cpu: 1, gpus: 1";
  const stats::Results slow = simulate_text(batching_model(
      pod, R"({max: 8, wait: 5ms, gpu: "1ms + 0ms*n"})", "rate: 500/s, arrivals: uniform", "6s"));
  CHECK(named(slow.services, "model").batch_size_mean == 3.0);
  CHECK(named(slow.services, "model").batches == 1'000);
  CHECK(batch_mean_ms(slow) == Approx(4.0).epsilon(1e-6));
  CHECK(stats::latency_ms_at(named(slow.paths, "main"), 100) == Approx(6.0).epsilon(1e-3));
  // Every 0.5 ms: the eighth arrives at 3.5 ms and the batch of 8 leaves
  // then. Waits 3.5 down to 0 ms, mean 1.75 ms; the batch takes 1 + 0.25 x 8
  // = 3 ms on the GPU, busy 3 ms of every 4.
  const stats::Results fast =
      simulate_text(batching_model(pod, R"({max: 8, wait: 5ms, gpu: "1ms + 0.25ms*n"})",
                                   "rate: 2000/s, arrivals: uniform", "4s"));
  const stats::ServiceResult& model = named(fast.services, "model");
  CHECK(model.batch_size_mean == 8.0);
  CHECK(model.batches == 1'000);
  CHECK(batch_mean_ms(fast) == Approx(4.75).epsilon(1e-6));
  CHECK(model.gpus == 1);
  // The last batch, due at 3,999.5 ms, runs 2.5 ms past the window.
  CHECK(model.gpu_busy_s == Approx(3.0 - 0.0025).margin(1e-6));
}

TEST_CASE("gpus: 2 serves two batches at once, gpus: 1 one after the other", "[batching]") {
  // Arrivals every 1 ms, batches of 4 (due every 4 ms) that take 6 ms on a
  // GPU. With two GPUs each batch starts when due: a request waits 1.5 ms
  // on average for its batch, then 6 ms. With one GPU the batches queue: the
  // GPU serves 4 requests per 6 ms against 4 per 4 ms arriving, so the
  // backlog grows, batches leave full and back to back, and the mean grows
  // far beyond 7.5 ms; the GPU is never idle.
  const std::string batch = R"({max: 4, wait: 100ms, gpu: "6ms + 0ms*n"})";
  const std::string arrivals = "rate: 1000/s, arrivals: uniform";
  tailsim::components::RunLimits limits;
  limits.attribution = true;
  const stats::Results two =
      simulate_text(batching_model("gpus: 2", batch, arrivals, "4s"), {}, limits);
  CHECK(batch_mean_ms(two) == Approx(7.5).epsilon(1e-6));
  CHECK(named(two.services, "model").batch_size_mean == 4.0);
  // 1,000 batches of 6 ms, the last two (due at 3,995 and 3,999 ms) cut
  // by the window's end at 4,000 ms.
  CHECK(named(two.services, "model").gpu_busy_s == Approx(6.0 - 0.006).margin(1e-6));
  CHECK(batch_attributed_ms(two, "gpu_wait") == Approx(0).margin(1e-6));
  CHECK(batch_attributed_ms(two, "gpu") == Approx(6.0).epsilon(1e-3));
  const stats::Results one =
      simulate_text(batching_model("gpus: 1", batch, arrivals, "4s"), {}, limits);
  CHECK(named(one.services, "model").batch_size_mean == 4.0);
  // From the first batch, due at 3 ms, the GPU never rests, and no batch
  // ran beside another.
  CHECK(named(one.services, "model").gpu_busy_s == Approx(4.0 - 0.003).margin(1e-6));
  CHECK(batch_mean_ms(one) > 100.0);
  CHECK(batch_attributed_ms(one, "gpu_wait") > 100.0);
  CHECK(batch_attributed_ms(one, "batch_wait") == Approx(1.5).margin(0.01));
}

TEST_CASE("killed pods fail the requests in their batches, waiting or served", "[batching]") {
  // Three batch steps on each pod (two on its one GPU, one on its CPU) and
  // kills at 5 s and 10 s: the requests in batches of the killed pods fail
  // with `error`, every request is answered, and the replay that observes
  // them agrees.
  const std::string text = R"y(version: 1
simulation: {duration: 20s, warmup: 0s, seed: 3}
services:
  model:
    replicas: 2
    pod: {cpu: 2, gpus: 1, startup: 1s}
    endpoints:
      infer:
        - batch: {max: 8, wait: 20ms, gpu: "10ms + 1ms*n"}
        - batch: {max: 4, wait: 5ms, cpu: "2ms + 1ms*n"}
        - batch: {max: 4, wait: 5ms, gpu: "3ms + 0ms*n"}
workloads:
  main: {entry: model.infer, rate: 400/s}
faults:
  - {at: 5s, kill: model, pods: 1}
  - {at: 10s, kill: model, pods: 2}
)y";
  tailsim::components::RunLimits limits;
  limits.attribution = true;
  const stats::Results r = simulate_text(text, {}, limits);
  const stats::PathResult& main = named(r.paths, "main");
  CHECK(main.outcomes.total() == main.requests);
  CHECK(main.outcomes[stats::Outcome::error] > 0);
  CHECK(main.latency.count() == main.outcomes[stats::Outcome::ok]);
  CHECK(main.outcomes[stats::Outcome::ok] > main.requests / 2);
  for (const auto& part : main.attribution.mean.parts) {
    CHECK(part.what != "unaccounted");
  }
}

TEST_CASE("the time series carries a service's busy GPU time per interval", "[batching]") {
  // Arrivals every 0.5 ms in batches of 8 that take 3 ms on the GPU, one
  // every 4 ms: 0.75 GPU-seconds in each 1 s interval once the first batch
  // is done, summing to gpu_busy_s over the window.
  const stats::Results r =
      simulate_text(batching_model("gpus: 1", R"({max: 8, wait: 5ms, gpu: "1ms + 0.25ms*n"})",
                                   "rate: 2000/s, arrivals: uniform", "10s"));
  const stats::Series* busy = nullptr;
  for (const stats::Series& series : r.timeseries.series) {
    if (series.entity == "service/model" && series.metric == "gpu_busy_s") {
      busy = &series;
    }
  }
  REQUIRE(busy != nullptr);
  REQUIRE(busy->values.size() >= 10);
  double sum = 0;
  for (std::size_t i = 0; i < 10; ++i) {
    CHECK(busy->values[i] == Approx(0.75).margin(0.004));
    sum += busy->values[i];
  }
  CHECK(sum == Approx(named(r.services, "model").gpu_busy_s).margin(0.004));
  // A pod without GPUs has no such series.
  for (const stats::Series& series :
       simulate_text(batching_model("cpu: 4", R"({max: 8, wait: 5ms, cpu: "1ms + 0ms*n"})",
                                    "rate: 100/s", "3s"))
           .timeseries.series) {
    CHECK(series.metric != "gpu_busy_s");
  }
}
