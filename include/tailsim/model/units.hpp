#pragma once
/// Parsers for the values of the model format: durations, rates, percentages,
/// sizes, bandwidths, numbers and whole-number ranges (SPEC.md, "Units and values").
///
/// Each takes the text of one YAML scalar and returns the value or an error
/// whose `offset` is the character of the text the problem starts at, so the
/// loader can report the exact column.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "tailsim/core/time.hpp"

namespace tailsim::model {

/// Why a text could not be read, and where in it.
struct ParseError {
  std::string message;
  std::size_t offset = 0;
};

/// Either a value or a `ParseError`.
template <class T>
class ParseResult {
 public:
  ParseResult(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  ParseResult(ParseError error)
      : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  [[nodiscard]] const T& value() const& { return std::get<0>(state_); }
  [[nodiscard]] T&& value() && { return std::get<0>(std::move(state_)); }
  [[nodiscard]] const T& operator*() const& { return value(); }
  [[nodiscard]] const T* operator->() const { return &value(); }
  [[nodiscard]] const ParseError& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, ParseError> state_;
};

/// An inclusive range of whole numbers, `5` or `1..10`.
struct IntRange {
  std::int64_t low = 1;
  std::int64_t high = 1;
  friend bool operator==(const IntRange&, const IntRange&) = default;
};

/// `250us`, `1.5ms`, `2s`, `10m`, `1h`: a non-negative duration with a unit
/// (`ns us ms s m h`), rounded to whole nanoseconds. A bare number is an error.
ParseResult<Duration> parse_duration(std::string_view text);

/// `400/s`, `24000/m`, `1.5k/s`, `2/h`: events per second. A `k` or `M`
/// multiplier may precede the slash. At most `max_rate`.
ParseResult<double> parse_rate(std::string_view text);

/// The highest rate a run can simulate: one event per nanosecond, the
/// resolution of its clock. A faster rate would put several arrivals at the
/// same instant and a run at it could never finish.
inline constexpr double max_rate = 1e9;

/// The longest run tailsim simulates: warm-up, measured duration and drain
/// together. 100 years, a third of the 292 that an `int64_t` counts in
/// nanoseconds, so that a timeout or delay scheduled from any moment of the
/// run still fits the clock.
inline constexpr Duration max_simulated_time{std::int64_t{100} * 365 * 24 * 3600 * 1'000'000'000};

/// Why `warmup + duration + drain` cannot be simulated (their sum is above
/// `max_simulated_time`), or nothing when it can.
std::optional<std::string> simulated_time_error(Duration warmup, Duration duration, Duration drain);

/// `20%` or a plain fraction `0.2`, returned as a fraction (0.2). Values above
/// 1 (`150%`) are allowed here; the caller checks the range it needs.
ParseResult<double> parse_fraction(std::string_view text);

/// `4KiB`, `1MB`, `512B`, `2GiB`: a size in bytes (decimal and binary prefixes).
ParseResult<std::int64_t> parse_size(std::string_view text);

/// `1Gbps`, `100Mbps` (bits) or `100MBps` (bytes): bytes per second.
ParseResult<double> parse_bandwidth(std::string_view text);

/// A finite decimal number (`3`, `-0.5`, `1e3`).
ParseResult<double> parse_number(std::string_view text);

/// A whole number that fits in 64 bits.
ParseResult<std::int64_t> parse_integer(std::string_view text);

/// A seed: a whole number from 0 to 2^64-1 (18446744073709551615), the
/// range of the random streams' 64-bit seeds.
ParseResult<std::uint64_t> parse_seed(std::string_view text);

/// `5` or `1..10` (low <= high).
ParseResult<IntRange> parse_int_range(std::string_view text);

}  // namespace tailsim::model
