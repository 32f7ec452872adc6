// Queues in whole simulations (SPEC.md "queues").

#include <cmath>
#include <string>

#include <catch2/catch.hpp>

#include "support/simulate.hpp"

namespace stats = tailsim::stats;
using stats::Outcome;
using tailsim::testing::named;
using tailsim::testing::simulate_text;

namespace {

std::string model(const std::string& queue, const std::string& consume,
                  const std::string& simulation) {
  return "version: 1\nsimulation: " + simulation + R"y(
services:
  api:
    endpoints: {order: [{publish: orders}]}
  worker:
    endpoints: {process: )y" +
         consume + R"y(}
queues:
  orders: )y" +
         queue + R"y(
workloads:
  w: {entry: api.order, rate: 50/s}
)y";
}

}  // namespace

TEST_CASE("one partition makes a queue an M/M/1 station", "[queue]") {
  // Poisson publishes at 50/s, one consumer at a time taking exp(10 ms): the
  // publish-to-processed time is M/M/1's, 1 / (100 - 50) = 20 ms on average.
  // 50,000 messages: tolerance 4/1.96 x 0.59% x sqrt(20) = 5.4%.
  const auto r =
      simulate_text(model("{consumer: worker.process, partitions: 1}", "[{delay: exp(10ms)}]",
                          "{duration: 1000s, warmup: 20s, seed: 2}"));
  const auto& path = named(r.paths, "orders");
  CHECK(path.latency.mean() * 1e-6 == Approx(20.0).epsilon(0.054));
  const auto& q = named(r.queues, "orders");
  CHECK(q.published == path.requests);
  CHECK(q.consumed == path.outcomes[Outcome::ok]);
  CHECK(q.dead_letters == 0);
  CHECK(q.depth_max > 5);
  // The publisher does not wait for the consumer: its own requests are instant.
  CHECK(named(r.paths, "w").latency.max() == 0);
}

TEST_CASE("a full queue refuses what is published", "[queue]") {
  // A consumer far slower than the publishers: the backlog fills to its
  // capacity and further publishes fail with rejected.
  const auto r = simulate_text(model("{consumer: worker.process, partitions: 1, capacity: 100}",
                                     "[{delay: 100ms}]", "{duration: 60s, seed: 1}"));
  const auto& w = named(r.paths, "w");
  CHECK(w.outcomes[Outcome::rejected] > 0);
  CHECK(named(r.queues, "orders").depth_max <= 100);
}

TEST_CASE("failed messages are redelivered, then dead-lettered", "[queue]") {
  const auto r = simulate_text(
      model("{consumer: worker.process, partitions: 4, redelivery: {attempts: 3, delay: 1s}}",
            "[{delay: 5ms}, {fail: 100%}]", "{duration: 20s, seed: 1, drain: 30s}"));
  const auto& q = named(r.queues, "orders");
  CHECK(q.consumed == 0);
  CHECK(q.dead_letters == q.published);
  // Every message was delivered three times.
  const auto& path = named(r.paths, "orders");
  CHECK(path.attempts == 3 * q.published);
  CHECK(path.outcomes[Outcome::error] == q.published);
}

TEST_CASE("a consumer group of c partitions is an M/M/c station", "[queue]") {
  // Poisson publishes at 280/s, 4 partitions, exp(10 ms) per message: Erlang
  // C gives a mean publish-to-processed time of 13.5721 ms. 280,000 messages:
  // tolerance 4/1.96 x 0.68% x sqrt(1e6 / 2.8e5) = 2.7%.
  std::string text = model("{consumer: worker.process, partitions: 4}", "[{delay: exp(10ms)}]",
                           "{duration: 1000s, warmup: 20s, seed: 4}");
  text.replace(text.find("rate: 50/s"), 10, "rate: 280/s");
  const auto r = simulate_text(text);
  CHECK(named(r.paths, "orders").latency.mean() * 1e-6 == Approx(13.5721).epsilon(0.027));
}
