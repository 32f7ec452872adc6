#include "tailsim/components/rate_schedule.hpp"

#include <algorithm>
#include <cmath>

namespace tailsim::components {
namespace {

double seconds_between(Time a, Time b) {
  return to_seconds(b - a);
}

}  // namespace

RateSchedule::RateSchedule(const std::vector<plan::RatePoint>& points) {
  double before = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const plan::RatePoint& p = points[i];
    const Time next = i + 1 < points.size() ? points[i + 1].at : Time::max();
    Time flat_from = p.at;
    if (p.ramp > Duration::zero()) {
      const Time ramp_end = std::min(next, p.at + p.ramp);
      const double slope = (p.rate - before) / to_seconds(p.ramp);
      segments_.push_back(Segment{p.at, ramp_end, before, slope});
      flat_from = ramp_end;
    }
    if (flat_from < next) {
      segments_.push_back(Segment{flat_from, next, p.rate, 0.0});
    }
    if (next != Time::max()) {
      // The rate at the next point, where its ramp (if any) starts.
      const Segment& last = segments_.back();
      before = last.start_rate + last.slope * seconds_between(last.start, next);
    }
    max_rate_ = std::max({max_rate_, p.rate, before});
  }
}

std::size_t RateSchedule::find(Time t) const {
  auto it = std::upper_bound(segments_.begin(), segments_.end(), t,
                             [](Time value, const Segment& s) { return value < s.start; });
  return it == segments_.begin() ? segments_.size()
                                 : static_cast<std::size_t>(it - segments_.begin() - 1);
}

double RateSchedule::rate_at(Time t) const {
  const std::size_t i = find(t);
  if (i >= segments_.size() || t >= segments_[i].end) {
    return 0;
  }
  const Segment& s = segments_[i];
  return s.start_rate + s.slope * seconds_between(s.start, t);
}

Time RateSchedule::advance_through(Time from, double expected) {
  while (cursor_ < segments_.size() && segments_[cursor_].end <= from) {
    ++cursor_;
  }
  Time t = from;
  double left = expected;
  for (std::size_t i = cursor_; i < segments_.size(); ++i) {
    const Segment& s = segments_[i];
    if (t < s.start) {
      t = s.start;  // a gap with zero rate
    }
    const double a = s.start_rate + s.slope * seconds_between(s.start, t);  // rate at t
    const double b = s.slope;
    const double span = s.end == Time::max() ? INFINITY : seconds_between(t, s.end);
    const double mass = std::isinf(span) ? INFINITY : a * span + 0.5 * b * span * span;
    if (mass >= left && (a > 0 || b > 0)) {
      // Solve a x + b x^2 / 2 = left for x, in the form that is stable when b ~ 0
      // (for a flat segment it is left / a, the same number without the root).
      const double x =
          b == 0 ? left / a : 2.0 * left / (a + std::sqrt(std::max(0.0, a * a + 2.0 * b * left)));
      cursor_ = i;
      return t + Duration{ceil_ns(x * 1e9)};
    }
    if (std::isinf(span)) {
      return Time::max();  // the rate stays zero forever
    }
    left -= mass;
    t = s.end;
  }
  return Time::max();
}

}  // namespace tailsim::components
