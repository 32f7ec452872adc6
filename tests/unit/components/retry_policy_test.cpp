#include "tailsim/components/retry_policy.hpp"

#include <algorithm>

#include <catch2/catch.hpp>

#include "support/simulate.hpp"

using tailsim::Duration;
using tailsim::components::backoff_delay;
using tailsim::components::RetryLimits;
using tailsim::engine::RandomStream;
using tailsim::plan::CallPolicy;
using tailsim::plan::Jitter;
using namespace std::chrono_literals;

namespace {

CallPolicy policy(Jitter jitter) {
  CallPolicy p;
  p.backoff = 25ms;
  p.multiplier = 2;
  p.max_backoff = 250ms;
  p.jitter = jitter;
  return p;
}

}  // namespace

TEST_CASE("without jitter the backoff doubles up to its cap", "[retry]") {
  const CallPolicy p = policy(Jitter::none);
  RandomStream rng(1);
  double previous = 0;
  CHECK(backoff_delay(p, 1, previous, rng) == 25ms);
  CHECK(backoff_delay(p, 2, previous, rng) == 50ms);
  CHECK(backoff_delay(p, 3, previous, rng) == 100ms);
  CHECK(backoff_delay(p, 4, previous, rng) == 200ms);
  CHECK(backoff_delay(p, 5, previous, rng) == 250ms);
  CHECK(backoff_delay(p, 9, previous, rng) == 250ms);
}

TEST_CASE("each jitter mode stays in its bounds", "[retry]") {
  RandomStream rng(2);
  for (std::uint32_t retry = 1; retry <= 6; ++retry) {
    const double b = std::min(250.0, 25.0 * std::pow(2.0, retry - 1.0));
    double previous = 0;
    for (int i = 0; i < 2000; ++i) {
      const double full =
          static_cast<double>(backoff_delay(policy(Jitter::full), retry, previous, rng).count()) *
          1e-6;
      CHECK(full >= 0.0);
      CHECK(full <= b);
      const double equal =
          static_cast<double>(backoff_delay(policy(Jitter::equal), retry, previous, rng).count()) *
          1e-6;
      CHECK(equal >= b / 2);
      CHECK(equal <= b);
    }
  }
  // Decorrelated: between the base and three times the previous wait, capped.
  double previous = 0;
  for (int i = 0; i < 2000; ++i) {
    const double before = previous > 0 ? previous : 25e6;
    const double wait =
        static_cast<double>(backoff_delay(policy(Jitter::decorrelated), 1, previous, rng).count());
    CHECK(wait >= 25e6 - 1);
    CHECK(wait <= std::min(250e6, 3 * before) + 1);
  }
}

TEST_CASE("full jitter averages half the backoff", "[retry]") {
  RandomStream rng(3);
  double previous = 0;
  double sum = 0;
  constexpr int n = 100000;
  for (int i = 0; i < n; ++i) {
    sum += static_cast<double>(backoff_delay(policy(Jitter::full), 3, previous, rng).count());
  }
  // U(0, 100ms): mean 50 ms, sd 28.9 ms; 4.5 standard errors.
  CHECK(std::abs(sum / n - 50e6) < 4.5 * 28.9e6 / std::sqrt(n));
}

TEST_CASE("the retry budget allows max(min_concurrency, budget x active) retries", "[retry]") {
  CallPolicy p;
  p.budget = 0.2;
  p.min_concurrency = 3;
  RetryLimits limits;
  limits.active = 10;  // 20% of 10 is 2: the floor of 3 applies
  limits.retries_in_flight = 2;
  CHECK(limits.budget_allows(p));
  limits.retries_in_flight = 3;
  CHECK_FALSE(limits.budget_allows(p));
  limits.active = 100;  // 20% of 100 is 20
  limits.retries_in_flight = 19;
  CHECK(limits.budget_allows(p));
  limits.retries_in_flight = 20;
  CHECK_FALSE(limits.budget_allows(p));
  p.budget = -1;  // no budget: always allowed
  CHECK(limits.budget_allows(p));
}

TEST_CASE("the throttle spends a token per failure and earns a fraction per success", "[retry]") {
  CallPolicy p;
  p.throttle_max_tokens = 10;
  p.throttle_ratio = 0.1;
  RetryLimits limits;
  CHECK(limits.throttle_allows(p));  // starts full: 10 > 5
  for (int i = 0; i < 5; ++i) {
    limits.throttle_record(p, /*failed=*/true);
  }
  CHECK(limits.tokens == Approx(5.0));
  CHECK_FALSE(limits.throttle_allows(p));  // 5 is not above 5
  limits.throttle_record(p, /*failed=*/false);
  CHECK(limits.tokens == Approx(5.1));
  CHECK(limits.throttle_allows(p));
  for (int i = 0; i < 100; ++i) {
    limits.throttle_record(p, /*failed=*/false);
  }
  CHECK(limits.tokens == Approx(10.0));  // never above max_tokens
  for (int i = 0; i < 100; ++i) {
    limits.throttle_record(p, /*failed=*/true);
  }
  CHECK(limits.tokens == Approx(0.0));  // never below zero
}

TEST_CASE("without max_backoff the cap is ten backoffs, as documented", "[retry]") {
  const auto plan = tailsim::testing::compile_text(R"(version: 1
services:
  a: {endpoints: {get: [{call: b.get, retry: {attempts: 3, backoff: 40ms}}]}}
  b: {endpoints: {get: [{cpu: exp(1ms)}]}}
workloads:
  main: {entry: a.get, rate: 1/s}
)");
  const auto retrying = std::find_if(plan.policies.begin(), plan.policies.end(),
                                     [](const CallPolicy& p) { return p.attempts == 3; });
  REQUIRE(retrying != plan.policies.end());
  CHECK(retrying->backoff == 40ms);
  CHECK(retrying->max_backoff == 400ms);
}
