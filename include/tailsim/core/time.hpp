#pragma once
/// Simulated time: integer nanoseconds on a clock of tailsim's own.
///
/// `Time` is a point on the simulated clock and `Duration` a span of it, so
/// `Time - Time` is a `Duration` and `Time + Time` does not compile.

#include <bit>
#include <chrono>
#include <cstdint>

namespace tailsim {

/// The simulation clock. It never reads the wall clock: `now()` is absent on purpose.
struct SimClock {
  using rep = std::int64_t;
  using period = std::nano;
  using duration = std::chrono::duration<rep, period>;
  using time_point = std::chrono::time_point<SimClock>;
  static constexpr bool is_steady = true;
};

using Duration = SimClock::duration;
using Time = SimClock::time_point;

/// Seconds as a double, for reports and rates.
[[nodiscard]] constexpr double to_seconds(Duration d) {
  return static_cast<double>(d.count()) * 1e-9;
}
/// Milliseconds as a double, for reports.
[[nodiscard]] constexpr double to_millis(Duration d) {
  return static_cast<double>(d.count()) * 1e-6;
}
/// std::ceil(ns) as whole nanoseconds, for 0 <= ns < 2^63, without the libm
/// call std::ceil is on baseline x86-64 (no SSE4.1 rounding instruction):
/// the engine rounds a computed wait up to the clock's grain on every event.
/// Below 2^52, adding 2^52 rounds to the nearest whole number, which is then
/// the low bits of the sum; one more if that fell below `ns`. Two additions
/// and a bit move, where converting to an integer and back crosses between
/// the processor's integer and floating-point units twice, on the path from
/// an event to the next one.
[[nodiscard]] constexpr std::int64_t ceil_ns(double ns) {
  constexpr double two_52 = 4503599627370496.0;  // from here on every double is whole
  if (ns >= two_52) [[unlikely]] {
    return static_cast<std::int64_t>(ns);
  }
  const double shifted = ns + two_52;
  const double nearest = shifted - two_52;
  const std::int64_t whole =
      std::bit_cast<std::int64_t>(shifted) - std::bit_cast<std::int64_t>(two_52);
  return whole + (nearest < ns ? 1 : 0);
}

}  // namespace tailsim
