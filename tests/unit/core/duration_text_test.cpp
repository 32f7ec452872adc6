#include "tailsim/core/duration_text.hpp"

#include <cstdint>
#include <limits>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using tailsim::Duration;
using tailsim::format_duration;

TEST_CASE("durations are formatted in their shortest exact spelling", "[duration_text]") {
  CHECK(format_duration(250us) == "250us");
  CHECK(format_duration(1500us) == "1.5ms");
  CHECK(format_duration(2s) == "2s");
  CHECK(format_duration(10min) == "10m");
  CHECK(format_duration(1h) == "1h");
  CHECK(format_duration(0ns) == "0s");
  CHECK(format_duration(90s) == "90s");
  CHECK(format_duration(90min) == "90m");
  CHECK(format_duration(20s) == "20s");
  CHECK(format_duration(1ns) == "1ns");
  CHECK(format_duration(1'000'000'001ns) == "1.000000001s");
  CHECK(format_duration(-3ms) == "-3ms");
  CHECK(format_duration(Duration{std::numeric_limits<std::int64_t>::min()}) ==
        "-9223372036.854775808s");
}
