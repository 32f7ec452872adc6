// Random numbers per request (docs/semantics.md, "Random numbers per
// request"): a request's draws depend on its workload, arrival number and
// step alone, never on which other requests drew before it.

#include <string>

#include <catch2/catch.hpp>

#include "support/simulate.hpp"

namespace {

/// A front end that waits, then calls the back end 1 to 3 times in a row
/// (a random balancer over 3 pods, a branch, a lossy link with latency); the
/// back end only waits. No step uses CPU and workers never run out, so a
/// request of `main` takes the time of its own draws, whatever else runs.
/// `extra` adds more workloads.
std::string model(const std::string& extra) {
  return R"yaml(
version: 1
name: streams
simulation: {duration: 60s, warmup: 5s, seed: 7}
network:
  default: {latency: exp(1ms)}
services:
  front:
    pod: {cpu: 4, workers: 100000}
    endpoints:
      page:
        - delay: exp(2ms)
        - call: back.query
          times: 1..3
        - branch:
            - {p: 0.3, steps: [{delay: "lognormal(median=5ms, p99=50ms)"}]}
  back:
    replicas: 3
    balancer: random
    pod: {cpu: 4, workers: 100000}
    endpoints:
      query:
        - delay: lognormal(median=10ms, p99=80ms)
workloads:
  main: {entry: front.page, rate: 40/s}
)yaml" + extra;
}

}  // namespace

TEST_CASE("a request's draws do not depend on the other requests", "[simulation][random]") {
  const auto alone = tailsim::testing::simulate_text(model(""));
  // Another workload calls the same steps 5 times as often: with one stream
  // per step, its requests would take most of that step's draws and hand
  // `main`'s requests different ones.
  const auto crowded = tailsim::testing::simulate_text(
      model("  other: {entry: front.page, rate: 200/s}\n  direct: {entry: back.query, rate: "
            "100/s}\n"));
  const auto& a = tailsim::testing::named(alone.paths, "main");
  const auto& b = tailsim::testing::named(crowded.paths, "main");
  REQUIRE(a.requests > 2000);
  CHECK(a.requests == b.requests);
  // Every latency of `main` the same to the nanosecond: the same histogram,
  // exact sums included.
  CHECK(a.latency == b.latency);
  CHECK(a.latency.mean() == b.latency.mean());

  // A different seed draws differently.
  const auto reseeded = tailsim::testing::simulate_text(model(""), {"simulation.seed=8"});
  CHECK_FALSE(tailsim::testing::named(reseeded.paths, "main").latency == a.latency);
}
