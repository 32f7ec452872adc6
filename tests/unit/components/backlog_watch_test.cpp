#include "tailsim/components/backlog_watch.hpp"

#include <catch2/catch.hpp>

using tailsim::Time;
using tailsim::components::backlog_grew;
using tailsim::components::BacklogSample;
using tailsim::components::BacklogWatch;

namespace {

Time at_s(std::int64_t s) {
  return Time{} + tailsim::Duration{s * 1'000'000'000};
}

}  // namespace

TEST_CASE("a backlog grows when it keeps more than a tenth of what arrived", "[backlog]") {
  // rho = 2: half of the arrivals stay.
  CHECK(backlog_grew({10, 1000}, {510, 2000}));
  // A stable path's backlog wanders by a few requests over thousands.
  CHECK_FALSE(backlog_grew({3, 1000}, {9, 2000}));
  CHECK_FALSE(backlog_grew({9, 1000}, {3, 2000}));
  // Exactly a tenth is not more than a tenth.
  CHECK_FALSE(backlog_grew({0, 0}, {100, 1000}));
  CHECK(backlog_grew({0, 0}, {101, 1000}));
  // Below the least growth, however large a share: a handful of requests is noise.
  CHECK_FALSE(backlog_grew({0, 0}, {19, 20}));
  CHECK(backlog_grew({0, 0}, {20, 20}));
}

TEST_CASE("the watch samples the window's start, middle and end", "[backlog]") {
  BacklogWatch watch(1, at_s(10), at_s(30));
  CHECK(watch.next_due() == at_s(10));
  watch.take({{5, 100}});
  CHECK(watch.next_due() == at_s(20));
  watch.take({{505, 1100}});
  CHECK(watch.next_due() == at_s(30));
  watch.take({{1005, 2100}});
  CHECK(watch.next_due() == Time::max());
  CHECK(watch.is_unstable(0, {1005, 2100}));
}

TEST_CASE("a path is unstable only when its backlog grew over both halves", "[backlog]") {
  // Grew in the first half (a slow start), level in the second: stable.
  BacklogWatch settled(1, at_s(0), at_s(20));
  settled.take({{0, 0}});
  settled.take({{400, 1000}});
  settled.take({{410, 2000}});
  CHECK_FALSE(settled.is_unstable(0, {410, 2000}));
  // Level, then grew: not yet judged unstable either.
  BacklogWatch late(1, at_s(0), at_s(20));
  late.take({{5, 0}});
  late.take({{5, 1000}});
  late.take({{600, 2000}});
  CHECK_FALSE(late.is_unstable(0, {600, 2000}));
}

TEST_CASE("a run stopped early is judged from its first sample to the stop", "[backlog]") {
  BacklogWatch none_taken(1, at_s(100), at_s(200));
  CHECK(none_taken.is_unstable(0, {5000, 10000}));
  CHECK_FALSE(none_taken.is_unstable(0, {3, 10000}));
  BacklogWatch one_taken(1, at_s(0), at_s(200));
  one_taken.take({{4000, 8000}});
  CHECK_FALSE(one_taken.is_unstable(0, {4010, 9000}));  // the backlog came from the warm-up
  CHECK(one_taken.is_unstable(0, {4600, 9000}));
}
