#pragma once
/// Root cause over time: the episodes in which a path's tail or errors
/// departed from its own baseline, what was happening during each, and the
/// feedback loops that kept a path down after its trigger had gone
/// (docs/semantics.md, "Episodes").

#include <cstddef>
#include <vector>

#include "tailsim/stats/results.hpp"

namespace tailsim::stats {

/// How far from its baseline an interval must be to count as a departure.
struct EpisodeRules {
  /// Noise is judged from the measured window's own intervals: a departure
  /// is beyond `sigmas` robust standard deviations (1.4826 x the median
  /// absolute deviation; for the error share, also the binomial standard
  /// deviation of the interval's finished requests).
  double sigmas = 3.0;
  /// A p99 departs beyond `tail_sigmas` robust standard deviations of the
  /// logarithm of the baseline's interval p99s: an interval's p99 is skewed
  /// to the right, and at 3 a stationary queue at 70% load still sends one
  /// interval in 200 past it.
  double tail_sigmas = 4.0;
  /// A p99 departs only above `tail_factor` x its baseline: a model whose
  /// intervals barely vary has a tiny noise, and a tail 10% longer is no
  /// episode. Once an episode has begun, an interval keeps it going at half
  /// of every margin (above 1.5 x the baseline, 2 sigmas...).
  double tail_factor = 2.0;
  double error_floor = 0.01;
  /// A condition read from a series (throttling, GC, queue lag...) holds
  /// where the series is beyond its noise and above this x its baseline.
  double rise_factor = 1.5;  ///< an error share departs by at least this much
  /// A path that completes this many requests in its median interval has
  /// departed in an interval where none succeeded (e^-7 < 0.1% by chance).
  double no_success_after = 7.0;
  /// Baselines come from the measured window's intervals before its first
  /// fault or change of rate when at least this many precede it.
  std::size_t baseline_intervals = 10;
  std::size_t gap = 2;       ///< an episode goes on through this many intervals without a departure
  std::size_t back_for = 3;  ///< intervals of goodput back at baseline that make a recovery
  double amplification = 1.2;  ///< an edge's amplification departs above this x its baseline
};

/// Fills `results.episodes` and `results.feedback` from the run's time
/// series, its faults and autoscalers, and (when computed) the attribution
/// timeline. Reads nothing but `results`.
void find_episodes(Results& results, const EpisodeRules& rules = {});

/// The median of the finite values (NaN when there is none).
double median_of(std::vector<double> values);

}  // namespace tailsim::stats
