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
/// A pause (a garbage collector stopping the world) stops every request of
/// the pod until `resume`: no work progresses and no completion is due; the
/// quota's periods go on.
///
/// On a node whose cores its pods contend for, the node grants the pod a
/// share of the cores it would use: `set_speed` scales every busy request's
/// progress (and the cores in use, and so the quota spent) by that share, 1
/// when the node has cores enough.
///
/// The busy count changes only in add and pop_done, so the rate, its
/// inverse, the cores in use and the progress per nanosecond are kept from
/// one change to the next (looked up in a table by busy count): the steps
/// every event takes (advance, next_completion) are straight arithmetic,
/// without a division or a branch that depends on how busy the CPU is. The
/// job heap is libstdc++'s push_heap and pop_heap written out, with the same
/// layout (so requests done at one instant leave in the same order), but
/// with the child chosen and the parent moved down without a branch.
///
/// | operation | cost |
/// | --- | --- |
/// | add | O(log n) |
/// | pop_done | O(log n) per request done |
/// | advance (no quota), next_completion, busy_cores | O(1), no data-dependent branch |

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "tailsim/core/time.hpp"

namespace tailsim::components {

class ProcessorSharing {
 public:
  explicit ProcessorSharing(double cores = 1.0) : cores_(cores) {
    assert(cores > 0 && "a model's cores are at least 0.001");
    busy_changed();
  }

  /// Turns on CFS bandwidth control: at most `quota_cores x period` of CPU
  /// time per period (a limit of 0.5 with a 100 ms period is 50 ms).
  void set_quota(Duration period, double quota_cores) {
    period_ = period;
    quota_ns_ = quota_cores * static_cast<double>(period.count());
    has_quota_ = true;
    slow_ = true;
    next_boundary_ = Time{} + period_;
  }
  [[nodiscard]] bool has_quota() const { return has_quota_; }

  /// Brings the virtual clock (and the quota accounting) to `now`.
  [[gnu::always_inline]] void advance(Time now) {
    if (!slow_) {
      // Idle, progress_ is 0 and the clock stays at 0, where pop_done left
      // it, so it never loses precision; at one instant this adds 0.
      virtual_now_ += progress_ * static_cast<double>((now - last_update_).count());
      last_update_ = now;
      return;
    }
    advance_slow(now);
  }

  /// Stops every request from `now` until `resume`; reschedule afterwards.
  void pause(Time now) {
    advance(now);
    stops_ |= paused_bit;
    slow_ = true;
  }
  /// Lets the requests go on from `now`; reschedule afterwards.
  void resume(Time now) {
    advance(now);
    stops_ &= static_cast<std::uint8_t>(~paused_bit);
    slow_ = has_quota_;
  }

  /// From `now` on the busy requests get `speed` (0 < speed <= 1) of the
  /// cores they would use: a node's grant under contention. Reschedule
  /// afterwards.
  void set_speed(Time now, double speed) {
    assert(speed > 0 && speed <= 1);
    advance(now);
    speed_ = speed;
    inverse_speed_ = 1 / speed;
    stops_ = static_cast<std::uint8_t>((stops_ & ~slowed_bit) | (speed < 1 ? slowed_bit : 0));
    busy_changed();
  }
  [[nodiscard]] double speed() const { return speed_; }
  /// The cores the busy requests would use if the node had them: min(busy,
  /// cores), 0 while throttled or paused (they ask the node for nothing).
  [[nodiscard]] double wanted_cores() const {
    return is_stopped() ? 0.0 : shares_[heap_.size()].busy_cores;
  }

  /// A request `job` starts needing `work_ns` core-nanoseconds.
  [[gnu::always_inline]] void add(Time now, double work_ns, std::uint32_t job) {
    advance(now);
    push_job(Job{virtual_now_ + std::max(0.0, work_ns), job});
    busy_changed();
  }

  /// Removes and returns one request whose work is done at `now`, if any.
  /// Call `advance(now)` first.
  std::optional<std::uint32_t> pop_done() {
    if (front_finish_ > virtual_now_ + done_tolerance) {  // +inf when idle
      return std::nullopt;
    }
    const std::uint32_t id = pop_job();
    if (heap_.empty()) {
      virtual_now_ = 0;
    }
    busy_changed();
    return id;
  }

  /// When something next happens on this CPU, if anything is busy: the
  /// earliest request is done or, with a quota, the quota runs out or (while
  /// throttled) the period ends.
  [[nodiscard]] std::optional<Time> next_completion() const {
    if (heap_.empty()) {
      return std::nullopt;
    }
    if ((stops_ & stopped_mask) != 0) [[unlikely]] {
      // Throttled: the period's end; paused: nothing until resume.
      return (stops_ & stopped_mask) == throttled_bit ? std::optional<Time>{next_boundary_}
                                                      : std::nullopt;
    }
    // Rounded up to a whole nanosecond (ceil_ns: no libm call, this is hot).
    // While every job has a core of its own the wait per unit of work is
    // exactly 1, and multiplying by it changes nothing.
    const double wait = std::max(0.0, front_finish_ - virtual_now_) * wait_per_work_;
    Time next = last_update_ + Duration{ceil_ns(wait)};
    if (has_quota_) {
      // Not throttled, so some quota is left (advance_slow keeps it so): the
      // moment it runs out is later than the last update.
      assert(used_ns_ < quota_ns_);
      const double to_exhaust = std::max(0.0, quota_ns_ - used_ns_) / busy_cores_unthrottled();
      next = std::min(next, last_update_ + Duration{ceil_ns(to_exhaust)});
    }
    return next;
  }

  [[nodiscard]] std::size_t busy() const { return heap_.size(); }
  /// Cores in use now: zero while throttled or paused.
  [[nodiscard]] double busy_cores() const { return is_stopped() ? 0.0 : busy_cores_; }
  [[nodiscard]] double cores() const { return cores_; }
  [[nodiscard]] bool is_throttled() const { return (stops_ & throttled_bit) != 0; }
  [[nodiscard]] bool is_paused() const { return (stops_ & paused_bit) != 0; }
  /// Throttled or paused: the busy requests make no progress.
  [[nodiscard]] bool is_stopped() const { return (stops_ & stopped_mask) != 0; }
  /// Stopped or slowed by the node: what touching the CPU must account
  /// beyond the cores in use (one byte, tested on every touch).
  [[nodiscard]] bool is_held_back() const { return stops_ != 0; }
  /// The time the virtual clock was last brought forward.
  [[nodiscard]] Time last_update() const { return last_update_; }
  /// cgroup cpu.stat: periods with work, periods that ran out of quota.
  [[nodiscard]] std::uint64_t periods() const { return periods_; }
  [[nodiscard]] std::uint64_t throttled_periods() const { return throttled_periods_; }

  /// Changes the cores from `now` on (a CPU fault); reschedule afterwards.
  /// With a quota, the cores set the quota (a CPU limit change).
  void set_cores(Time now, double cores) {
    advance(now);
    assert(cores > 0 && "a model's cores are at least 0.001");
    if (has_quota_) {
      quota_ns_ = cores * static_cast<double>(period_.count());
    } else {
      cores_ = cores;
      shares_.clear();
      busy_changed();
    }
  }
  /// Calls `visit(job)` for every busy request, in no particular order.
  template <class Visit>
  void for_each_job(Visit visit) const {
    for (const Job& job : heap_) {
      visit(job.id);
    }
  }
  /// Drops every busy request (the pod was killed).
  void clear() {
    heap_.clear();
    front_finish_ = idle;
    virtual_now_ = 0;
    busy_changed();
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
  static constexpr double idle = std::numeric_limits<double>::infinity();

  /// What `n` busy requests on these cores get: the rate min(1, c/n),
  /// written c / max(n, c) so that it is exactly 1 while n <= c, and its
  /// inverse (nanoseconds per unit of work) max(n, c) / c, exactly 1 then too;
  /// the cores in use min(n, c); the progress per nanosecond, the rate when
  /// busy and 0 when idle. Kept in a table by n, so that a change of the busy
  /// count is a load, not two divisions on the way to the next completion.
  struct Share {
    double rate;
    double wait_per_work;
    double busy_cores;
    double progress;
  };
  [[gnu::noinline]] void add_shares(std::size_t up_to) {
    for (std::size_t i = shares_.size(); i <= up_to; ++i) {
      const double n = static_cast<double>(i);
      const double rate = cores_ / std::max(n, cores_);
      shares_.push_back(
          Share{rate, std::max(n, cores_) / cores_, std::min(n, cores_), std::min(n, 1.0) * rate});
    }
  }
  /// After the busy count changed.
  void busy_changed() {
    const std::size_t n = heap_.size();
    if (n >= shares_.size()) [[unlikely]] {
      add_shares(n);
    }
    const Share& share = shares_[n];
    rate_ = share.rate;
    wait_per_work_ = share.wait_per_work;
    busy_cores_ = share.busy_cores;
    progress_ = share.progress;
    if ((stops_ & slowed_bit) != 0) [[unlikely]] {
      // The node's grant scales them (never without a contended node).
      rate_ *= speed_;
      wait_per_work_ *= inverse_speed_;
      busy_cores_ *= speed_;
      progress_ *= speed_;
    }
  }
  [[nodiscard]] double rate() const { return rate_; }
  [[nodiscard]] double busy_cores_unthrottled() const { return busy_cores_; }

  /// std::push_heap(heap_, later) after a push_back, written out.
  void push_job(Job job) {
    front_finish_ = std::min(front_finish_, job.finish);
    heap_.push_back(job);
    rise(heap_.size() - 1, job);
  }
  /// std::pop_heap(heap_, later) and pop_back, written out: the hole at the
  /// top goes down to a leaf along the earlier child (chosen without a
  /// branch; on a tie the right one, as libstdc++ chooses), then the last job
  /// rises from there.
  std::uint32_t pop_job() {
    const std::uint32_t id = heap_.front().id;
    const Job last = heap_.back();
    heap_.pop_back();
    const std::size_t len = heap_.size();
    if (len == 0) {
      front_finish_ = idle;
      return id;
    }
    Job* const h = heap_.data();
    // The earliest left is one of the top's two children (either may be
    // `last`, just taken off the end), read before the moves below.
    front_finish_ =
        std::min(len >= 2 ? h[1].finish : last.finish, len >= 3 ? h[2].finish : last.finish);
    std::size_t hole = 0;
    std::size_t child = 0;
    while (child < (len - 1) / 2) {
      child = 2 * (child + 1);
      child -= static_cast<std::size_t>(later(h[child], h[child - 1]));
      h[hole] = h[child];
      hole = child;
    }
    if ((len & 1) == 0 && child == (len - 2) / 2) {
      child = 2 * (child + 1);
      h[hole] = h[child - 1];
      hole = child - 1;
    }
    rise(hole, last);
    return id;
  }
  /// Puts `job` at `hole` or above it, moving later parents down. The loop
  /// climbs all the way to the root, so how often it turns depends on the
  /// heap's size alone and not on the times (a loop that stops at the first
  /// earlier parent mispredicts its exit half the time): once a parent is not
  /// later than `job`, none above it is, and the hole stays where it is.
  void rise(std::size_t hole, Job job) {
    Job* const h = heap_.data();
    for (std::size_t at = hole; at > 0;) {
      const std::size_t parent = (at - 1) / 2;
      // The parent if it moves down, else the hole itself, by arithmetic (as
      // a conditional, GCC branches).
      const std::size_t mask = std::size_t{0} - static_cast<std::size_t>(later(h[parent], job));
      const std::size_t from = hole + ((parent - hole) & mask);
      h[hole] = h[from];
      hole = from;
      at = parent;
    }
    h[hole] = job;
  }

  /// advance() with a quota or while paused.
  void advance_slow(Time now);

  double cores_;
  double virtual_now_ = 0;
  std::vector<Share> shares_;  ///< by busy count, as far as it has reached
  double rate_ = 1;            ///< min(1, cores / busy) x speed_
  double wait_per_work_ = 1;   ///< 1 / rate_
  double busy_cores_ = 0;      ///< min(busy, cores) x speed_
  double speed_ = 1;           ///< the node's grant: the share of wanted_cores_ given
  double inverse_speed_ = 1;
  double progress_ = 0;  ///< virtual time per nanosecond: rate_, or 0 when idle
  Time last_update_{};
  std::vector<Job> heap_;  ///< min-heap on finish
  /// heap_.front().finish, or +inf while idle. Kept beside the heap, it is
  /// known as soon as a job comes or goes: the next completion (and so the
  /// next event) need not wait for the heap's moves, a chain of loads and
  /// stores, to land.
  double front_finish_ = idle;

  bool has_quota_ = false;
  /// advance() takes the slow path: a quota, or paused.
  bool slow_ = false;
  /// What stops the busy requests: the quota (throttled_bit), a pause
  /// (paused_bit); and what slows them: the node (slowed_bit). One byte, so
  /// that the hot checks test it once.
  static constexpr std::uint8_t throttled_bit = 1;
  static constexpr std::uint8_t paused_bit = 2;
  static constexpr std::uint8_t stopped_mask = throttled_bit | paused_bit;
  static constexpr std::uint8_t slowed_bit = 4;
  std::uint8_t stops_ = 0;
  Duration period_{0};
  double quota_ns_ = 0;   ///< core-nanoseconds per period
  double used_ns_ = 0;    ///< used in the current period
  Time next_boundary_{};  ///< where the current period ends
  Time throttled_at_{};   ///< when the quota last ran out
  bool period_active_ = false;
  std::uint64_t periods_ = 0;
  std::uint64_t throttled_periods_ = 0;
};

}  // namespace tailsim::components
