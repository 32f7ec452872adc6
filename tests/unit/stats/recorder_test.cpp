#include "tailsim/stats/recorder.hpp"

#include <chrono>

#include <catch2/catch.hpp>

namespace {

using tailsim::Duration;
using tailsim::Time;
using tailsim::stats::Outcome;
using tailsim::stats::Recorder;
using tailsim::stats::Results;

Time at_ms(std::int64_t ms) {
  return Time{} + std::chrono::milliseconds(ms);
}

}  // namespace

TEST_CASE("a call's edge statistics count by the call's start, finished or not") {
  // Window [100 ms, 200 ms): calls that start in it count, whenever they end.
  Recorder recorder(at_ms(100), at_ms(200), /*paths=*/0, /*services=*/0, /*edges=*/1);
  recorder.call_finished(0, at_ms(50), at_ms(150), Outcome::ok, /*attempts=*/1);  // before
  recorder.call_finished(0, at_ms(110), at_ms(130), Outcome::ok, /*attempts=*/1);
  recorder.call_finished(0, at_ms(120), at_ms(250), Outcome::timeout, /*attempts=*/3);
  recorder.call_unfinished(0, at_ms(190), /*attempts=*/2);  // open when the run stopped
  recorder.call_unfinished(0, at_ms(200), /*attempts=*/1);  // after

  Results results;
  results.edges.resize(1);
  recorder.finish(results);
  const auto& edge = results.edges[0];
  CHECK(edge.calls == 3);
  CHECK(edge.attempts == 6);
  CHECK(edge.outcomes[Outcome::ok] == 1);
  CHECK(edge.outcomes[Outcome::timeout] == 1);
  CHECK(edge.outcomes.total() == 2);
  CHECK(edge.latency.count() == 1);
  CHECK(edge.latency.max() == Duration{std::chrono::milliseconds(20)}.count());
}
