#include "tailsim/report/epoch.hpp"

#include <cstdint>
#include <optional>

#include <catch2/catch.hpp>

namespace {

using tailsim::report::default_epoch_unix_ns;
using tailsim::report::exact_seconds_text;
using tailsim::report::format_rfc3339;
using tailsim::report::parse_epoch;

constexpr std::int64_t ns_per_s = 1'000'000'000;

}  // namespace

TEST_CASE("epoch: RFC 3339 instants and Unix seconds", "[epoch]") {
  CHECK(parse_epoch("2026-01-01T00:00:00Z") == 1'767'225'600 * ns_per_s);
  CHECK(parse_epoch("2026-01-01t00:00:00z") == 1'767'225'600 * ns_per_s);
  CHECK(parse_epoch("1767225600") == 1'767'225'600 * ns_per_s);
  CHECK(parse_epoch("1767225600.5") == 1'767'225'600 * ns_per_s + ns_per_s / 2);
  CHECK(parse_epoch("2000-01-01T00:00:00Z") == default_epoch_unix_ns);
  CHECK(parse_epoch("2026-03-05T09:30:00.250+01:00") == 1'772'699'400 * ns_per_s + ns_per_s / 4);
  CHECK(parse_epoch("2026-03-05T08:30:00.25-00:00") == 1'772'699'400 * ns_per_s + ns_per_s / 4);
  CHECK(parse_epoch("2024-02-29T12:00:00.000000001Z") == 1'709'208'000 * ns_per_s + 1);
  CHECK(parse_epoch("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_epoch("0") == 0);
  CHECK(parse_epoch("2100-01-01T00:00:00Z") == 4'102'444'800 * ns_per_s);
}

TEST_CASE("epoch: anything else is refused", "[epoch]") {
  for (const char* bad : {"",
                          "now",
                          "2026-01-01",
                          "2026-01-01T00:00:00",
                          "2026-13-01T00:00:00Z",
                          "2025-02-29T00:00:00Z",
                          "2026-01-01T24:00:00Z",
                          "2026-01-01T00:00:60Z",
                          "2026-01-01T00:00:00.Z",
                          "2026-01-01T00:00:00.1234567891Z",
                          "2026-01-01T00:00:00+1:00",
                          "2026-01-01 00:00:00Z",
                          "1969-12-31T23:59:59Z",
                          "1970-01-01T00:30:00+01:00",
                          "2100-01-01T00:00:00.1Z",
                          "4102444801",
                          "-1",
                          "1e9",
                          "1767225600.",
                          "0x10",
                          " 0",
                          "99999999999999999999"}) {
    INFO(bad);
    CHECK(parse_epoch(bad) == std::nullopt);
  }
}

TEST_CASE("epoch: RFC 3339 and exact seconds as text", "[epoch]") {
  CHECK(format_rfc3339(default_epoch_unix_ns) == "2000-01-01T00:00:00Z");
  CHECK(format_rfc3339(1'772'699'400 * ns_per_s + ns_per_s / 4) == "2026-03-05T08:30:00.25Z");
  CHECK(format_rfc3339(1'709'208'000 * ns_per_s + 1) == "2024-02-29T12:00:00.000000001Z");
  CHECK(format_rfc3339(0) == "1970-01-01T00:00:00Z");
  for (const char* text : {"2026-12-31T23:59:59.999Z", "2028-02-29T01:02:03Z"}) {
    CHECK(format_rfc3339(*parse_epoch(text)) == text);
  }
  CHECK(exact_seconds_text(0) == "0");
  CHECK(exact_seconds_text(ns_per_s / 2) == "0.5");
  CHECK(exact_seconds_text(946'684'801 * ns_per_s + 1) == "946684801.000000001");
  CHECK(exact_seconds_text(120 * ns_per_s) == "120");
}
