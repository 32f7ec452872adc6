#include "tailsim/report/slo_text.hpp"

#include <catch2/catch.hpp>

#include "support/slo_results.hpp"

using tailsim::report::format_sim_seconds;
using tailsim::report::format_slo_measured;
using tailsim::report::has_slo_measurement;

TEST_CASE("a latency check on a path without a successful request measured nothing", "[slo_text]") {
  const auto r = tailsim::testing::slo_results();
  CHECK(has_slo_measurement(r, r.slos[0]));
  CHECK(format_slo_measured(r, r.slos[0]) == "640.2ms");
  CHECK(format_slo_measured(r, r.slos[1]) == "1.83%");
  CHECK_FALSE(has_slo_measurement(r, r.slos[2]));
  CHECK(format_slo_measured(r, r.slos[2]) == "no successful request");
  // Error and throughput checks always have a value, even of a path without requests.
  CHECK(has_slo_measurement(
      r, tailsim::testing::slo_result("search & <browse>", "errors < 1%", 1.0, false)));
  CHECK(has_slo_measurement(
      r, tailsim::testing::slo_result("search & <browse>", "throughput > 1/s", 0, false)));
}

TEST_CASE("simulated seconds read as the model writes durations", "[slo_text]") {
  CHECK(format_sim_seconds(600) == "10m");
  CHECK(format_sim_seconds(1.5) == "1.5s");
}
