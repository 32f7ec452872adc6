#pragma once
/// The offered rate of an open-loop workload over time, and the arrivals it
/// produces by inverting its integral: arrival k comes when the expected
/// number of arrivals since the last one reaches a target (1 for evenly
/// spaced arrivals, an Exp(1) draw for a Poisson process). This is exact for
/// any schedule with ramps, with one draw per arrival and no rejected
/// candidates.
///
/// A point `{at, rate, ramp}` starts a linear ramp at `at` from the rate in
/// force before it, reaching `rate` at `at + ramp` (or the next point, if that
/// comes first). Before the first point the rate is zero.

#include <vector>

#include "tailsim/core/time.hpp"
#include "tailsim/plan/plan.hpp"

namespace tailsim::components {

class RateSchedule {
 public:
  explicit RateSchedule(const std::vector<plan::RatePoint>& points);

  /// Arrivals per second at `t`.
  [[nodiscard]] double rate_at(Time t) const;
  /// The highest rate the schedule reaches.
  [[nodiscard]] double max_rate() const { return max_rate_; }

  /// The time after `from` at which `expected` arrivals' worth of rate has
  /// accumulated; Time::max() if the rate stays zero from some point on.
  /// Calls must not go back in time. A Time, not an optional: GCC returns an
  /// optional through memory and reads it back across its one-byte flag, a
  /// store the load must wait for, on the path from an arrival to the next.
  [[nodiscard]] Time advance(Time from, double expected) {
    if (cursor_ + 1 == segments_.size()) {  // the last segment, a constant rate: the usual case
      const Segment& s = segments_[cursor_];
      if (s.slope == 0 && s.end == Time::max() && s.start_rate > 0 && from >= s.start) {
        return from + Duration{ceil_ns(expected / s.start_rate * 1e9)};  // as below, in short
      }
    }
    return advance_through(from, expected);
  }

 private:
  /// Rate `start_rate + slope x (t - start)` per second on `[start, end)`.
  struct Segment {
    Time start;
    Time end;
    double start_rate;
    double slope;  ///< per second, per second
  };
  std::size_t find(Time t) const;
  /// advance() across the segments from the cursor on.
  [[nodiscard]] Time advance_through(Time from, double expected);

  std::vector<Segment> segments_;
  std::size_t cursor_ = 0;
  double max_rate_ = 0;
};

}  // namespace tailsim::components
