#pragma once
/// Simulated time: integer nanoseconds on a clock of tailsim's own.
///
/// `Time` is a point on the simulated clock and `Duration` a span of it, so
/// `Time - Time` is a `Duration` and `Time + Time` does not compile.

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

}  // namespace tailsim
