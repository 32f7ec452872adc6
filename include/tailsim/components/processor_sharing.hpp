#pragma once
/// A pod's CPU as exact processor sharing: `n` busy requests on `c` cores each
/// get min(1, c/n) of a core, so one request never runs faster than one core
/// and M/M/c with `cpu: c, workers: c` is exact.
///
/// All busy requests progress at the same rate, so the CPU keeps one virtual
/// clock V (core-nanoseconds of service each busy request has received since
/// the CPU was last idle) and a min-heap of the V at which each request is
/// done. Only the earliest completion is ever scheduled.
///
/// With a CFS quota (Linux CFS bandwidth control, as Kubernetes CPU limits
/// set it) the pod may use at most `quota` core-nanoseconds per `period`,
/// counted from time zero in whole periods; once spent, every request of the
/// pod stops until the next period starts. The CPU then also schedules the
/// moment the quota runs out and, while throttled, the end of the period.
///
/// | operation | cost |
/// | --- | --- |
/// | add | O(log n) |
/// | pop_done | O(log n) per request done |
/// | next_completion | O(1) |

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

#include "tailsim/core/time.hpp"

namespace tailsim::components {

class ProcessorSharing {
 public:
  explicit ProcessorSharing(double cores = 1.0) : cores_(cores) {}

  /// Turns on CFS bandwidth control: at most `quota_cores x period` of CPU
  /// time per period (a limit of 0.5 with a 100 ms period is 50 ms).
  void set_quota(Duration period, double quota_cores) {
    period_ = period;
    quota_ns_ = quota_cores * static_cast<double>(period.count());
    has_quota_ = true;
    next_boundary_ = Time{} + period_;
  }
  [[nodiscard]] bool has_quota() const { return has_quota_; }

  /// Brings the virtual clock (and the quota accounting) to `now`.
  [[gnu::always_inline]] void advance(Time now) {
    if (!has_quota_) {
      if (now == last_update_) {
        return;  // nothing ran since (the common second call at one instant)
      }
      if (!heap_.empty()) {
        virtual_now_ += rate() * static_cast<double>((now - last_update_).count());
      } else {
        virtual_now_ = 0;  // idle: restart the clock so it never loses precision
      }
      last_update_ = now;
      return;
    }
    advance_with_quota(now);
  }

  /// A request `job` starts needing `work_ns` core-nanoseconds.
  void add(Time now, double work_ns, std::uint32_t job) {
    advance(now);
    heap_.push_back(Job{virtual_now_ + std::max(0.0, work_ns), job});
    std::push_heap(heap_.begin(), heap_.end(), later);
  }

  /// Removes and returns one request whose work is done at `now`, if any.
  /// Call `advance(now)` first.
  std::optional<std::uint32_t> pop_done() {
    if (heap_.empty() || heap_.front().finish > virtual_now_ + done_tolerance) {
      return std::nullopt;
    }
    std::pop_heap(heap_.begin(), heap_.end(), later);
    const std::uint32_t id = heap_.back().id;
    heap_.pop_back();
    if (heap_.empty()) {
      virtual_now_ = 0;
    }
    return id;
  }

  /// When something next happens on this CPU, if anything is busy: the
  /// earliest request is done or, with a quota, the quota runs out or (while
  /// throttled) the period ends.
  [[nodiscard]] std::optional<Time> next_completion() const {
    if (heap_.empty()) {
      return std::nullopt;
    }
    if (throttled_) {
      return next_boundary_;
    }
    // Rounded up to a whole nanosecond (without a libm call: this is hot).
    // Dividing by the rate is multiplying by n / cores, and needs nothing while
    // every job has a core of its own.
    const double n = static_cast<double>(heap_.size());
    double wait = std::max(0.0, heap_.front().finish - virtual_now_);
    if (n > cores_) {
      wait /= cores_ / n;
    }
    Time next = last_update_ + Duration{round_up(wait)};
    if (has_quota_) {
      const double to_exhaust = std::max(0.0, quota_ns_ - used_ns_) / busy_cores_unthrottled();
      next = std::min(next, last_update_ + Duration{round_up(to_exhaust)});
    }
    return next;
  }

  [[nodiscard]] std::size_t busy() const { return heap_.size(); }
  /// Cores in use now: zero while throttled.
  [[nodiscard]] double busy_cores() const { return throttled_ ? 0.0 : busy_cores_unthrottled(); }
  [[nodiscard]] double cores() const { return cores_; }
  [[nodiscard]] bool is_throttled() const { return throttled_; }
  /// The time the virtual clock was last brought forward.
  [[nodiscard]] Time last_update() const { return last_update_; }
  /// cgroup cpu.stat: periods with work, periods that ran out of quota.
  [[nodiscard]] std::uint64_t periods() const { return periods_; }
  [[nodiscard]] std::uint64_t throttled_periods() const { return throttled_periods_; }

  /// Changes the cores from `now` on (a CPU fault); reschedule afterwards.
  /// With a quota, the cores set the quota (a CPU limit change).
  void set_cores(Time now, double cores) {
    advance(now);
    if (has_quota_) {
      quota_ns_ = cores * static_cast<double>(period_.count());
    } else {
      cores_ = cores;
    }
  }
  /// Drops every busy request (the pod was killed).
  void clear() {
    heap_.clear();
    virtual_now_ = 0;
  }

 private:
  struct Job {
    double finish;  ///< the virtual time at which the job is done
    std::uint32_t id;
  };
  /// Work below this many core-nanoseconds counts as done: completion events
  /// are scheduled at a whole nanosecond rounded up, so only rounding is left.
  static constexpr double done_tolerance = 1e-3;
  static bool later(const Job& a, const Job& b) { return a.finish > b.finish; }
  static std::int64_t round_up(double x) {
    auto whole = static_cast<std::int64_t>(x);
    return whole + (static_cast<double>(whole) < x ? 1 : 0);
  }

  [[nodiscard]] double rate() const {
    const double n = static_cast<double>(heap_.size());
    return n <= cores_ ? 1.0 : cores_ / n;
  }
  [[nodiscard]] double busy_cores_unthrottled() const {
    const double n = static_cast<double>(heap_.size());
    return n < cores_ ? n : cores_;
  }

  void advance_with_quota(Time now);

  double cores_;
  double virtual_now_ = 0;
  Time last_update_{};
  std::vector<Job> heap_;  ///< min-heap on finish

  bool has_quota_ = false;
  bool throttled_ = false;
  Duration period_{0};
  double quota_ns_ = 0;   ///< core-nanoseconds per period
  double used_ns_ = 0;    ///< used in the current period
  Time next_boundary_{};  ///< where the current period ends
  bool period_active_ = false;
  std::uint64_t periods_ = 0;
  std::uint64_t throttled_periods_ = 0;
};

}  // namespace tailsim::components
