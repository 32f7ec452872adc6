#include "tailsim/model/units.hpp"

#include <cstdint>
#include <limits>
#include <string>

#include <catch2/catch.hpp>

#include "tailsim/core/duration_text.hpp"

namespace m = tailsim::model;
using namespace std::chrono_literals;
using tailsim::Duration;

namespace {

/// The error of a parse that must fail, with the message and offset shown on failure.
template <class T>
m::ParseError error_of(const m::ParseResult<T>& r) {
  REQUIRE_FALSE(r.ok());
  INFO(r.error().message << " at " << r.error().offset);
  return r.error();
}

}  // namespace

TEST_CASE("durations are read in every unit", "[units]") {
  CHECK(*m::parse_duration("250us") == 250us);
  CHECK(*m::parse_duration("1.5ms") == 1500us);
  CHECK(*m::parse_duration("2s") == 2s);
  CHECK(*m::parse_duration("10m") == 10min);
  CHECK(*m::parse_duration("1h") == 1h);
  CHECK(*m::parse_duration("7ns") == 7ns);
  CHECK(*m::parse_duration("0s") == 0ns);
  CHECK(*m::parse_duration("0.1s") == 100ms);
  CHECK(*m::parse_duration(".5ms") == 500us);
  CHECK(*m::parse_duration("1e3ms") == 1s);
  CHECK(*m::parse_duration("2.5E-3s") == 2500us);
  CHECK(*m::parse_duration("+3ms") == 3ms);
  CHECK(*m::parse_duration("007ms") == 7ms);
  CHECK(*m::parse_duration("-0ms") == 0ns);
}

TEST_CASE("durations are exact to the nanosecond and rounded half up", "[units]") {
  CHECK(m::parse_duration("1.000000001s")->count() == 1'000'000'001);
  CHECK(m::parse_duration("0.3333333333s")->count() == 333'333'333);
  CHECK(m::parse_duration("1.5ns")->count() == 2);
  CHECK(m::parse_duration("1.4999ns")->count() == 1);
  CHECK(m::parse_duration("0.0000000005s")->count() == 1);
  CHECK(m::parse_duration("1e-400s")->count() == 0);
  CHECK(m::parse_duration("9223372036854775807ns")->count() ==
        std::numeric_limits<std::int64_t>::max());
  CHECK(m::parse_duration("2562047h")->count() == 2'562'047LL * 3'600'000'000'000LL);
}

TEST_CASE("surrounding spaces are ignored and offsets count them", "[units]") {
  CHECK(*m::parse_duration("  2s \t") == 2s);
  CHECK(*m::parse_duration("2 ms") == 2ms);
  auto e = error_of(m::parse_duration("  5"));
  CHECK(e.offset == 2);
}

TEST_CASE("compound durations add their parts, as Go and Kubernetes write them", "[units]") {
  CHECK(*m::parse_duration("1h30m") == 90min);
  CHECK(*m::parse_duration("9m30s") == 570s);
  CHECK(*m::parse_duration(" 1m30.5s ") == 90500ms);
  CHECK(*m::parse_duration("2s500ms") == 2500ms);
  CHECK(*m::parse_duration("1h2m3s4ms5us6ns") ==
        1h + 2min + 3s + 4ms + std::chrono::microseconds(5) + std::chrono::nanoseconds(6));
  CHECK(*m::parse_duration("1e3ms") == 1s);  // an exponent is not a second part
  SECTION("units from the largest down, each once") {
    auto e = error_of(m::parse_duration("30s1m"));
    CHECK_THAT(e.message, Catch::Contains("write the units from the largest down"));
    CHECK(e.offset == 3);
    CHECK_THAT(error_of(m::parse_duration("1m1m")).message,
               Catch::Contains("from the largest down"));
  }
  SECTION("a bad part is named at its position") {
    auto e = error_of(m::parse_duration("1h30x"));
    CHECK_THAT(e.message, Catch::Contains("unknown duration unit 'x'"));
    CHECK(e.offset == 4);
  }
}

TEST_CASE("bad durations are refused with a reason and a position", "[units]") {
  SECTION("a bare number needs a unit") {
    auto e = error_of(m::parse_duration("5"));
    CHECK(e.message == "a duration needs a unit (ns, us, ms, s, m, h), e.g. '250ms'");
    CHECK(e.offset == 0);
  }
  SECTION("empty text") {
    auto e = error_of(m::parse_duration("   "));
    CHECK_THAT(e.message, Catch::Contains("a duration is empty"));
    CHECK(error_of(m::parse_duration("")).offset == 0);
  }
  SECTION("negative") {
    auto e = error_of(m::parse_duration(" -5ms"));
    CHECK_THAT(e.message, Catch::Contains("cannot be negative, got '-5ms'"));
    CHECK(e.offset == 1);
  }
  SECTION("unknown unit, with a hint where one is likely") {
    auto e = error_of(m::parse_duration("5sec"));
    CHECK(e.message == "unknown duration unit 'sec' in '5sec'; did you mean 's'?");
    CHECK(e.offset == 1);
    CHECK_THAT(error_of(m::parse_duration("5MS")).message, Catch::Contains("did you mean 'ms'?"));
    CHECK_THAT(error_of(m::parse_duration("2min")).message, Catch::Contains("did you mean 'm'?"));
    auto x = error_of(m::parse_duration("5x"));
    CHECK_THAT(x.message, Catch::Contains("unknown duration unit 'x'"));
    CHECK_THAT(x.message, Catch::Contains("use ns, us, ms, s, m or h"));
  }
  SECTION("no number") {
    auto e = error_of(m::parse_duration("ms"));
    CHECK_THAT(e.message, Catch::Contains("must start with a number"));
    CHECK_THAT(e.message, Catch::Contains("'ms'"));
  }
  SECTION("NaN and infinity") {
    CHECK_THAT(error_of(m::parse_duration("nanms")).message, Catch::Contains("finite"));
    CHECK_THAT(error_of(m::parse_duration("infs")).message, Catch::Contains("finite"));
    CHECK_THAT(error_of(m::parse_duration("-inf s")).message, Catch::Contains("finite"));
  }
  SECTION("too large for int64 nanoseconds") {
    auto e = error_of(m::parse_duration("1e12h"));
    CHECK_THAT(e.message, Catch::StartsWith("duration too large"));
    CHECK_THAT(e.message, Catch::Contains("'1e12h'"));
    CHECK(e.offset == 0);
    CHECK_THAT(error_of(m::parse_duration("9223372036854775808ns")).message,
               Catch::Contains("too large"));
    CHECK_THAT(error_of(m::parse_duration("2562048h")).message, Catch::Contains("too large"));
    CHECK_THAT(error_of(m::parse_duration("1e99999999999999999999s")).message,
               Catch::Contains("too large"));
  }
  SECTION("trailing text") {
    auto e = error_of(m::parse_duration("5ms extra"));
    CHECK_THAT(e.message, Catch::Contains("unknown duration unit 'ms extra'"));
    CHECK(e.offset == 1);
  }
}

TEST_CASE("rates are events per second", "[units]") {
  CHECK(*m::parse_rate("400/s") == Approx(400));
  CHECK(*m::parse_rate("24000/m") == Approx(400));
  CHECK(*m::parse_rate("2/h") == Approx(2.0 / 3600));
  CHECK(*m::parse_rate("1.5k/s") == Approx(1500));
  CHECK(*m::parse_rate("2M/s") == Approx(2e6));
  CHECK(*m::parse_rate(" 3 / ms ") == Approx(3000));
  CHECK(*m::parse_rate("0/s") == 0);

  auto bare = error_of(m::parse_rate("400"));
  CHECK_THAT(bare.message, Catch::Contains("a rate needs a time unit, e.g. '400/s'"));
  CHECK_THAT(bare.message, Catch::Contains("'400'"));
  CHECK(bare.offset == 0);

  auto neg = error_of(m::parse_rate("-4/s"));
  CHECK_THAT(neg.message, Catch::Contains("cannot be negative"));

  auto mult = error_of(m::parse_rate("1K/s"));
  CHECK_THAT(mult.message, Catch::Contains("unknown multiplier 'K'"));
  CHECK(mult.offset == 1);

  auto unit = error_of(m::parse_rate("4/sec"));
  CHECK_THAT(unit.message, Catch::Contains("unknown rate unit 'sec'"));
  CHECK_THAT(unit.message, Catch::Contains("did you mean 's'?"));
  CHECK(unit.offset == 2);

  CHECK_THAT(error_of(m::parse_rate("4/")).message, Catch::Contains("after '/'"));
  CHECK_THAT(error_of(m::parse_rate("4 per s")).message, Catch::Contains("COUNT/UNIT"));
  CHECK_THAT(error_of(m::parse_rate("fast")).message, Catch::Contains("got 'fast'"));
  CHECK_THAT(error_of(m::parse_rate("1e400/s")).message, Catch::Contains("too large"));
}

TEST_CASE("a rate above one per nanosecond cannot be simulated", "[units]") {
  CHECK(*m::parse_rate("1e9/s") == Approx(1e9));
  CHECK(*m::parse_rate("1000M/s") == Approx(1e9));
  const auto huge = error_of(m::parse_rate("1e308/s"));
  CHECK_THAT(huge.message, Catch::Contains("rate too large: '1e308/s' is more than 1G/s"));
  CHECK_THAT(error_of(m::parse_rate("2/ns")).message, Catch::Contains("more than 1G/s"));
}

TEST_CASE("warm-up, duration and drain together fit the simulated clock", "[units]") {
  const tailsim::Duration year{std::int64_t{365} * 24 * 3600 * 1'000'000'000};
  CHECK_FALSE(m::simulated_time_error(year * 40, year * 40, year * 20));
  const auto over = m::simulated_time_error(year * 40, year * 40, year * 20 + tailsim::Duration{1});
  REQUIRE(over);
  CHECK_THAT(*over, Catch::Contains("is more than the 876000h (100 years) a run can simulate"));
  // Each term near the 292-year limit: the sum would overflow a signed 64-bit count.
  const tailsim::Duration most{std::numeric_limits<std::int64_t>::max()};
  CHECK(m::simulated_time_error(most, most, most));
  CHECK_THAT(error_of(m::parse_rate("nan/s")).message, Catch::Contains("finite"));
  CHECK(error_of(m::parse_rate("")).offset == 0);
}

TEST_CASE("fractions are written as percentages or plain fractions", "[units]") {
  CHECK(*m::parse_fraction("20%") == 0.2);
  CHECK(*m::parse_fraction("0.2") == 0.2);
  CHECK(*m::parse_fraction(" 12.5 % ") == 0.125);
  CHECK(*m::parse_fraction("150%") == 1.5);
  CHECK(*m::parse_fraction("0") == 0);

  auto neg = error_of(m::parse_fraction("-5%"));
  CHECK_THAT(neg.message, Catch::Contains("cannot be negative, got '-5%'"));
  auto junk = error_of(m::parse_fraction("20 percent"));
  CHECK_THAT(junk.message, Catch::Contains("unexpected 'percent'"));
  CHECK(junk.offset == 3);
  CHECK_THAT(error_of(m::parse_fraction("%")).message, Catch::Contains("got '%'"));
  CHECK_THAT(error_of(m::parse_fraction("nan")).message, Catch::Contains("finite"));
  CHECK_THAT(error_of(m::parse_fraction("1e999%")).message, Catch::Contains("too large"));
  CHECK_THAT(error_of(m::parse_fraction("20%%")).message, Catch::Contains("unexpected '%%'"));
  CHECK_THAT(error_of(m::parse_fraction("")).message, Catch::Contains("empty"));
}

TEST_CASE("sizes use decimal and binary prefixes", "[units]") {
  CHECK(*m::parse_size("512B") == 512);
  CHECK(*m::parse_size("4KiB") == 4096);
  CHECK(*m::parse_size("1MB") == 1'000'000);
  CHECK(*m::parse_size("2GiB") == 2LL << 30);
  CHECK(*m::parse_size("1TB") == 1'000'000'000'000LL);
  CHECK(*m::parse_size("1TiB") == 1LL << 40);
  CHECK(*m::parse_size("256Mi") == 256LL << 20);  // Kubernetes' binary suffixes
  CHECK(*m::parse_size("1.5Gi") == 3LL << 29);
  CHECK(*m::parse_size("4Ki") == 4096);
  CHECK(*m::parse_size("1.5KiB") == 1536);
  CHECK(*m::parse_size("3kB") == 3000);
  CHECK(*m::parse_size("9223372036854775807B") == std::numeric_limits<std::int64_t>::max());

  auto bare = error_of(m::parse_size("4096"));
  CHECK_THAT(bare.message, Catch::Contains("a size needs a unit"));
  auto unit = error_of(m::parse_size("4kib"));
  CHECK_THAT(unit.message, Catch::Contains("did you mean 'KiB'?"));
  CHECK(unit.offset == 1);
  CHECK_THAT(error_of(m::parse_size("8388608TiB")).message, Catch::Contains("size too large"));
  CHECK_THAT(error_of(m::parse_size("9223372036854775808B")).message,
             Catch::Contains("size too large"));
  CHECK_THAT(error_of(m::parse_size("-1KB")).message, Catch::Contains("cannot be negative"));
  CHECK_THAT(error_of(m::parse_size("4PB")).message, Catch::Contains("unknown size unit 'PB'"));
}

TEST_CASE("bandwidths are bytes per second", "[units]") {
  CHECK(*m::parse_bandwidth("1Gbps") == Approx(125e6));
  CHECK(*m::parse_bandwidth("100Mbps") == Approx(12.5e6));
  CHECK(*m::parse_bandwidth("8bps") == Approx(1));
  CHECK(*m::parse_bandwidth("10Kbps") == Approx(1250));
  CHECK(*m::parse_bandwidth("100MBps") == Approx(100e6));
  CHECK(*m::parse_bandwidth("2GBps") == Approx(2e9));
  CHECK(*m::parse_bandwidth("3KBps") == Approx(3000));
  CHECK(*m::parse_bandwidth("5Bps") == Approx(5));

  auto ambiguous = error_of(m::parse_bandwidth("1mbps"));
  CHECK_THAT(ambiguous.message, Catch::Contains("unknown bandwidth unit 'mbps'"));
  CHECK_THAT(ambiguous.message, Catch::Contains("Mbps"));
  CHECK_THAT(ambiguous.message, Catch::Contains("MBps"));
  CHECK_THAT(error_of(m::parse_bandwidth("1MB/s")).message,
             Catch::Contains("did you mean 'MBps'?"));
  CHECK_THAT(error_of(m::parse_bandwidth("100")).message, Catch::Contains("needs a unit"));
  CHECK_THAT(error_of(m::parse_bandwidth("-1Gbps")).message, Catch::Contains("negative"));
  CHECK_THAT(error_of(m::parse_bandwidth("1e400Gbps")).message, Catch::Contains("too large"));
}

TEST_CASE("numbers are finite decimals", "[units]") {
  CHECK(*m::parse_number("3") == 3);
  CHECK(*m::parse_number("-0.5") == -0.5);
  CHECK(*m::parse_number("1e3") == 1000);
  CHECK(*m::parse_number(" +2.25 ") == 2.25);
  CHECK(*m::parse_number("1e-400") == 0);

  auto tail = error_of(m::parse_number("12abc"));
  CHECK_THAT(tail.message, Catch::Contains("unexpected 'abc'"));
  CHECK(tail.offset == 2);
  CHECK_THAT(error_of(m::parse_number("nan")).message, Catch::Contains("finite number, got 'nan'"));
  CHECK_THAT(error_of(m::parse_number("-inf")).message, Catch::Contains("finite"));
  CHECK_THAT(error_of(m::parse_number(".inf")).message, Catch::Contains("finite"));
  CHECK_THAT(error_of(m::parse_number("1e400")).message, Catch::Contains("number too large"));
  CHECK_THAT(error_of(m::parse_number("")).message, Catch::Contains("got nothing"));
  CHECK_THAT(error_of(m::parse_number("0x10")).message, Catch::Contains("unexpected 'x10'"));
  CHECK_THAT(error_of(m::parse_number("--1")).message, Catch::Contains("got '--1'"));
}

TEST_CASE("integers are whole numbers that fit in 64 bits", "[units]") {
  CHECK(*m::parse_integer("42") == 42);
  CHECK(*m::parse_integer("-7") == -7);
  CHECK(*m::parse_integer(" +8 ") == 8);
  CHECK(*m::parse_integer("9223372036854775807") == std::numeric_limits<std::int64_t>::max());
  CHECK(*m::parse_integer("-9223372036854775808") == std::numeric_limits<std::int64_t>::min());

  auto big = error_of(m::parse_integer("9223372036854775808"));
  CHECK_THAT(big.message, Catch::StartsWith("number too large"));
  auto frac = error_of(m::parse_integer("1.5"));
  CHECK_THAT(frac.message, Catch::Contains("expected a whole number, got '1.5'"));
  CHECK(frac.offset == 1);
  CHECK(error_of(m::parse_integer(" x")).offset == 1);
  CHECK(error_of(m::parse_integer("-")).offset == 0);
  CHECK_THAT(error_of(m::parse_integer("")).message, Catch::Contains("got nothing"));
  CHECK_THAT(error_of(m::parse_integer("1e3")).message, Catch::Contains("whole number"));
}

TEST_CASE("integer ranges are one number or low..high", "[units]") {
  CHECK(*m::parse_int_range("5") == m::IntRange{5, 5});
  CHECK(*m::parse_int_range("1..10") == m::IntRange{1, 10});
  CHECK(*m::parse_int_range(" 2 .. 3 ") == m::IntRange{2, 3});
  CHECK(*m::parse_int_range("-5..-1") == m::IntRange{-5, -1});
  CHECK(*m::parse_int_range("4..4") == m::IntRange{4, 4});

  auto backwards = error_of(m::parse_int_range("10..1"));
  CHECK_THAT(backwards.message, Catch::Contains("'10..1' is backwards"));
  auto high = error_of(m::parse_int_range("1..x"));
  CHECK_THAT(high.message, Catch::Contains("high end"));
  CHECK(high.offset == 3);
  auto low = error_of(m::parse_int_range("a..3"));
  CHECK_THAT(low.message, Catch::Contains("low end"));
  CHECK(low.offset == 0);
  CHECK(error_of(m::parse_int_range("1...10")).offset == 3);
  CHECK_THAT(error_of(m::parse_int_range("..3")).message, Catch::Contains("needs a low end"));
  CHECK_THAT(error_of(m::parse_int_range("3..")).message, Catch::Contains("needs a high end"));
  CHECK_THAT(error_of(m::parse_int_range("many")).message, Catch::Contains("'5' or '1..10'"));
}

TEST_CASE("formatted durations read back to the same value", "[units]") {
  for (std::int64_t ns :
       {std::int64_t{1}, std::int64_t{999}, std::int64_t{1'234'567}, std::int64_t{60'000'000'001},
        std::int64_t{5'400'000'000'000}, std::numeric_limits<std::int64_t>::max()}) {
    const std::string text = tailsim::format_duration(Duration{ns});
    INFO(text);
    auto back = m::parse_duration(text);
    REQUIRE(back.ok());
    CHECK(back->count() == ns);
  }
}

TEST_CASE("a seed is any unsigned 64-bit number", "[units]") {
  CHECK(m::parse_seed("0").value() == 0);
  CHECK(m::parse_seed("9223372036854775808").value() == std::uint64_t{1} << 63);
  CHECK(m::parse_seed(" 18446744073709551615 ").value() == ~std::uint64_t{0});
  auto above = m::parse_seed("18446744073709551616");
  REQUIRE_FALSE(above.ok());
  CHECK(above.error().message ==
        "a seed is at most 18446744073709551615 (2^64-1), got '18446744073709551616'");
  CHECK_FALSE(m::parse_seed("-1").ok());
  CHECK_FALSE(m::parse_seed("1e3").ok());
  CHECK_FALSE(m::parse_seed("").ok());
  CHECK_FALSE(m::parse_seed("+").ok());
}
