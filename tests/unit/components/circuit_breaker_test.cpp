#include "tailsim/components/circuit_breaker.hpp"

#include <catch2/catch.hpp>

#include "support/time.hpp"

using tailsim::Duration;
using tailsim::Time;
using tailsim::components::CircuitBreaker;
using tailsim::testing::at;
using State = CircuitBreaker::State;
using namespace std::chrono_literals;

namespace {

tailsim::plan::BreakerSpec spec() {
  tailsim::plan::BreakerSpec s;
  s.window = 10;
  s.min_calls = 5;
  s.failure_rate = 0.5;
  s.open_for = 30s;
  s.half_open = 2;
  return s;
}

}  // namespace

TEST_CASE("a breaker opens only once min_calls outcomes are in the window", "[breaker]") {
  CircuitBreaker b(spec());
  for (int i = 0; i < 4; ++i) {
    REQUIRE(b.allow(at(1s)));
    b.record(at(1s), /*failed=*/true);
  }
  CHECK(b.state() == State::closed);  // 4 failures of 4, but min_calls is 5
  b.record(at(1s), /*failed=*/true);
  CHECK(b.state() == State::open);
  CHECK(b.opens() == 1);
  CHECK_FALSE(b.allow(at(2s)));
}

TEST_CASE("the failure rate is over the last window outcomes", "[breaker]") {
  CircuitBreaker b(spec());
  // 10 successes, then failures push successes out of the window of 10.
  for (int i = 0; i < 10; ++i) {
    b.record(at(1s), false);
  }
  for (int i = 0; i < 4; ++i) {
    b.record(at(1s), true);  // 4 of 10 failed
  }
  CHECK(b.state() == State::closed);
  b.record(at(1s), true);  // 5 of 10: the rate reaches 50%
  CHECK(b.state() == State::open);
}

TEST_CASE("half-open: all trials succeed closes, any failure reopens", "[breaker]") {
  CircuitBreaker b(spec());
  for (int i = 0; i < 5; ++i) {
    b.record(at(0s), true);
  }
  REQUIRE(b.state() == State::open);
  CHECK_FALSE(b.allow(at(29s)));
  CHECK(b.allow(at(30s)));  // open_for is over: a trial goes through
  CHECK(b.state() == State::half_open);
  CHECK(b.allow(at(30s)));        // the second trial
  CHECK_FALSE(b.allow(at(30s)));  // no third
  b.record(at(31s), false);
  CHECK(b.state() == State::half_open);
  b.record(at(31s), false);
  CHECK(b.state() == State::closed);
  CHECK(b.time_open(at(40s)) == 30s);

  // Open again; a failed trial reopens at once.
  for (int i = 0; i < 5; ++i) {
    b.record(at(50s), true);
  }
  REQUIRE(b.state() == State::open);
  CHECK(b.allow(at(80s)));
  b.record(at(81s), true);
  CHECK(b.state() == State::open);
  CHECK(b.opens() == 3);
  CHECK_FALSE(b.allow(at(90s)));
  CHECK(b.allow(at(111s)));
}
