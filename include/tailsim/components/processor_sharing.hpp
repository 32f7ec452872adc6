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

  /// Brings the virtual clock to `now`.
  void advance(Time now) {
    if (!heap_.empty()) {
      virtual_now_ += rate() * static_cast<double>((now - last_update_).count());
    } else {
      virtual_now_ = 0;  // idle: restart the clock so it never loses precision
    }
    last_update_ = now;
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

  /// When the earliest busy request will be done, if any is busy.
  [[nodiscard]] std::optional<Time> next_completion() const {
    if (heap_.empty()) {
      return std::nullopt;
    }
    // Rounded up to a whole nanosecond (without a libm call: this is hot).
    const double wait = std::max(0.0, heap_.front().finish - virtual_now_) / rate();
    auto whole = static_cast<std::int64_t>(wait);
    whole += static_cast<double>(whole) < wait ? 1 : 0;
    return last_update_ + Duration{whole};
  }

  [[nodiscard]] std::size_t busy() const { return heap_.size(); }
  [[nodiscard]] double busy_cores() const {
    const double n = static_cast<double>(heap_.size());
    return n < cores_ ? n : cores_;
  }
  [[nodiscard]] double cores() const { return cores_; }
  /// Changes the cores from `now` on (a CPU fault); reschedule afterwards.
  void set_cores(Time now, double cores) {
    advance(now);
    cores_ = cores;
  }
  /// Drops every busy request (the pod was killed).
  void clear() {
    heap_.clear();
    virtual_now_ = 0;
  }
  /// The time the virtual clock was last brought forward.
  [[nodiscard]] Time last_update() const { return last_update_; }

  /// Bumped whenever the scheduled completion may have changed; an event
  /// carrying an older generation is stale.
  [[nodiscard]] std::uint32_t generation() const { return generation_; }
  void bump_generation() { ++generation_; }

 private:
  struct Job {
    double finish;  ///< the virtual time at which the job is done
    std::uint32_t id;
  };
  /// Work below this many core-nanoseconds counts as done: completion events
  /// are scheduled at a whole nanosecond rounded up, so only rounding is left.
  static constexpr double done_tolerance = 1e-3;
  static bool later(const Job& a, const Job& b) { return a.finish > b.finish; }
  [[nodiscard]] double rate() const {
    const double n = static_cast<double>(heap_.size());
    return n <= cores_ ? 1.0 : cores_ / n;
  }

  double cores_;
  double virtual_now_ = 0;
  Time last_update_{};
  std::vector<Job> heap_;  ///< min-heap on finish
  std::uint32_t generation_ = 0;
};

}  // namespace tailsim::components
