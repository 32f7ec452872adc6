#include "tailsim/components/processor_sharing.hpp"

namespace tailsim::components {

void ProcessorSharing::advance_slow(Time now) {
  if (!has_quota_) {  // paused: the clock moves, the work does not
    last_update_ = now;
    return;
  }
  // A period that has ended gives a whole quota again; idle stretches skip
  // whole periods at once.
  auto roll_period = [&] {
    if (last_update_ < next_boundary_) {
      return;
    }
    if (period_active_) {
      ++periods_;
    }
    // Work waited for this period's end: cgroup's nr_throttled. A quota
    // spent exactly as the period ends (a limit equal to the cores, all of
    // them busy) stopped nothing, and cpu.stat does not count it.
    if (is_throttled() && !heap_.empty() && throttled_at_ < next_boundary_) {
      ++throttled_periods_;
    }
    period_active_ = false;
    const std::int64_t skipped = (last_update_ - next_boundary_) / period_;
    next_boundary_ += period_ * (skipped + 1);
    used_ns_ = 0;
    stops_ &= static_cast<std::uint8_t>(~throttled_bit);
  };
  roll_period();
  while (last_update_ < now) {
    const Time segment_end = std::min(now, next_boundary_);
    if (heap_.empty()) {
      virtual_now_ = 0;
      last_update_ = segment_end;
    } else if (is_stopped()) {  // throttled or paused: no progress
      period_active_ = true;
      last_update_ = segment_end;
    } else {
      period_active_ = true;
      const double busy = busy_cores_unthrottled();
      const double left = quota_ns_ - used_ns_;
      const double span = static_cast<double>((segment_end - last_update_).count());
      // The quota runs out within this span: run until then, then stop. Also
      // when the span falls short of what is left by less than rounding:
      // the quota adds up to spent all the same, and a CPU neither throttled
      // nor with quota left would have its next event now, again and again.
      if (busy * span >= left || used_ns_ + busy * span >= quota_ns_) {
        const double run = left / busy;
        virtual_now_ += rate() * run;
        used_ns_ = quota_ns_;
        stops_ |= throttled_bit;
        last_update_ = std::min(segment_end, last_update_ + Duration{ceil_ns(run)});
        throttled_at_ = last_update_;
      } else {
        virtual_now_ += rate() * span;
        used_ns_ += busy * span;
        last_update_ = segment_end;
      }
    }
    roll_period();
  }
}

}  // namespace tailsim::components
