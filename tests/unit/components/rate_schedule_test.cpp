#include "tailsim/components/rate_schedule.hpp"

#include <catch2/catch.hpp>

#include "support/time.hpp"

using tailsim::Duration;
using tailsim::Time;
using tailsim::components::RateSchedule;
using tailsim::plan::RatePoint;
using tailsim::testing::at;
using namespace std::chrono_literals;

namespace {}  // namespace

TEST_CASE("a constant rate spaces one expected arrival 1/rate apart", "[rate_schedule]") {
  RateSchedule s({RatePoint{at(0s), 100.0, 0s}});
  CHECK(s.rate_at(at(5s)) == 100.0);
  CHECK(s.advance(at(0s), 1.0) == at(10ms));
  CHECK(s.advance(at(10ms), 2.5) == at(35ms));
}

TEST_CASE("a step in the schedule changes the spacing where it happens", "[rate_schedule]") {
  RateSchedule s({RatePoint{at(0s), 10.0, 0s}, RatePoint{at(1s), 1000.0, 0s}});
  // 0.95 s at 10/s gives 9.5 arrivals; the 10th comes 0.5 / 1000 s after 1 s.
  CHECK(s.advance(at(50ms), 10.0) == at(1000ms + 500us));
}

TEST_CASE("a linear ramp is integrated exactly", "[rate_schedule]") {
  // From 0/s, ramping to 100/s over 10 s: after t seconds, 5 t^2 arrivals.
  RateSchedule s({RatePoint{at(0s), 0.0, 0s}, RatePoint{at(0s) + 1ns, 100.0, 10s}});
  CHECK(s.rate_at(at(5s)) == Approx(50.0).epsilon(1e-6));
  const auto t = s.advance(at(0s), 20.0);  // 5 t^2 = 20 -> t = 2 s
  REQUIRE(t != tailsim::Time::max());
  CHECK(tailsim::to_seconds(t - at(0s)) == Approx(2.0).epsilon(1e-6));
  const auto after = s.advance(at(10s), 100.0);  // past the ramp: 100/s
  REQUIRE(after != tailsim::Time::max());
  CHECK(tailsim::to_seconds(after - at(10s)) == Approx(1.0).epsilon(1e-9));
}

TEST_CASE("a rate that drops to zero produces no more arrivals", "[rate_schedule]") {
  RateSchedule s({RatePoint{at(0s), 10.0, 0s}, RatePoint{at(1s), 0.0, 0s}});
  CHECK(s.advance(at(0s), 5.0) == at(500ms));
  CHECK(s.advance(at(500ms), 6.0) == tailsim::Time::max());  // never
  CHECK(s.max_rate() == 10.0);
}

TEST_CASE("before the first point the rate is zero", "[rate_schedule]") {
  RateSchedule s({RatePoint{at(2s), 100.0, 0s}});
  CHECK(s.rate_at(at(1s)) == 0.0);
  CHECK(s.advance(at(0s), 1.0) == at(2010ms));
}
