#pragma once
/// Whether a path is unstable: its backlog of open requests grows without
/// bound because work arrives faster than it is served (docs/semantics.md,
/// "Unstable paths"). The engine samples each path's backlog at the start,
/// the middle and the end of the measured window; this file judges the
/// samples.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tailsim/core/time.hpp"

namespace tailsim::components {

/// A path's backlog at one moment.
struct BacklogSample {
  std::uint64_t open = 0;      ///< requests that have arrived and are not finished
  std::uint64_t arrivals = 0;  ///< requests that have arrived since the run began
};

/// The least growth, in requests, that counts: below it a backlog's rise is
/// noise whatever the share of arrivals.
inline constexpr std::uint64_t min_backlog_growth = 20;

/// Whether the backlog grew from `from` to `to` as an overloaded path's
/// does: by at least `min_backlog_growth` requests, and by more than a tenth
/// of the requests that arrived in between (a stable path's backlog goes up
/// and down around a level, so its growth is a vanishing share of its
/// arrivals; an overloaded one keeps a fixed share, 1 - 1/rho).
bool backlog_grew(const BacklogSample& from, const BacklogSample& to);

/// The samples of every path and the verdict on them.
class BacklogWatch {
 public:
  /// Samples are due at `window_start`, its middle and `window_end`.
  BacklogWatch(std::size_t paths, Time window_start, Time window_end);

  /// When the next sample is due; Time::max() once all three are taken.
  [[nodiscard]] Time next_due() const { return taken_ < 3 ? due_[taken_] : Time::max(); }
  /// Records the sample due now: `samples[p]` is path p's backlog.
  void take(const std::vector<BacklogSample>& samples);

  /// Whether path `p` is unstable. With all three samples: its backlog grew
  /// over each half of the measured window. In a run stopped before the
  /// window's end: it grew from the last sample before the window (or the
  /// run's start) to `now`, its backlog when the run stopped.
  [[nodiscard]] bool is_unstable(std::size_t p, const BacklogSample& now) const;

 private:
  std::size_t taken_ = 0;
  Time due_[3];
  std::vector<BacklogSample> samples_[3];  ///< per sample, per path
};

}  // namespace tailsim::components
