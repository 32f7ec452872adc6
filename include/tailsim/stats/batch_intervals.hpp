#pragma once
/// Confidence intervals for the figures of a sample taken over time, whose
/// values need not be independent: the latencies of a busy service's
/// requests, traced one after another, are not (a queue that is long for one
/// request is long for the next). Intervals that take such a sample as
/// independent are far too narrow: 10 s of an M/M/1 queue at 80% load, and
/// the interval of its mean 1.96 standard errors wide holds the true mean in
/// about one capture in five.
///
/// Each interval is the wider of two: the one that takes the values as
/// independent, and the method of batch means (Law and Kelton, "Simulation
/// Modeling and Analysis", 5th ed., section 9.5.3). The sample, in time
/// order, is cut into `batches` consecutive batches; each batch's figure
/// (its mean, its share of values at most the quantile, its share of
/// failures) varies from batch to batch as much as the correlation makes it,
/// and the spread of the batches' figures, with Student's t of batches - 1
/// degrees of freedom, gives the interval of the whole sample's. Ten batches
/// hold coverage best on short, strongly correlated samples (docs/import.md
/// gives the measurements); with fewer than `min_batch_size` values a
/// batch, the batches are left out and the independent interval stands.

#include <cstddef>
#include <cstdint>
#include <span>

#include "tailsim/stats/interval_tally.hpp"

namespace tailsim::stats {

/// A confidence interval; `high` NaN: unbounded above (a quantile's
/// interval reaching past the largest value).
struct Interval {
  double low = 0;
  double high = 0;
};

/// The value of rank max(1, ceil(q n)) (1-based) of `sorted` (ascending, at
/// least one value): the nearest-rank percentile, as stats::Histogram reads it.
[[nodiscard]] double nearest_rank(std::span<const double> sorted, double q);

class BatchIntervals {
 public:
  static constexpr std::size_t batches = 10;
  static constexpr std::size_t min_batch_size = 5;

  /// Intervals that each miss with probability `alpha` (two-sided), 0 < alpha < 1.
  explicit BatchIntervals(double alpha);

  /// The chance of each interval to miss.
  [[nodiscard]] double alpha() const { return alpha_; }
  /// The normal quantile of 1 - alpha / 2: the independent intervals' width.
  [[nodiscard]] double z() const { return z_; }
  /// Student's t quantile of 1 - alpha / 2 with batches - 1 degrees of freedom.
  [[nodiscard]] double t() const { return t_; }

  /// The interval of the mean of `in_order` (at least one value); NaN,
  /// NaN for one value, whose spread is unknown.
  [[nodiscard]] Interval mean(std::span<const double> in_order) const;

  /// The interval of the q quantile (0 < q < 1) of `in_order` (at least
  /// one value), whose values `sorted` holds in ascending order: the order
  /// statistics of ranks n q -+ spread, where spread is z sqrt(n q (1 - q))
  /// for independent values (the binomial count of values below the
  /// quantile), or, when larger, n t times the standard error of the
  /// batches' shares of values at most the sample's q quantile. A rank below
  /// the first value gives 0, past the last NaN (unbounded).
  [[nodiscard]] Interval quantile(std::span<const double> in_order, std::span<const double> sorted,
                                  double q) const;

  /// The ranks (1-based, fractional) that bound the interval of the q
  /// quantile of `n` independent values, n q -+ z sqrt(n q (1 - q)) widened
  /// by `variance_ratio`: the lower rounded down, the upper rounded up plus
  /// one. Below 1: below the first value; past n: past the last.
  [[nodiscard]] Interval quantile_ranks(std::size_t n, double q, double variance_ratio = 1) const;

  /// For a sample known only by its summary (a histogram, with no time
  /// order): the intervals for independent values of its mean, from the
  /// values' standard deviation (NaN, NaN for one value), and of a share of
  /// k in n (Wilson's).
  [[nodiscard]] Interval independent_mean(double mean, double stddev, std::size_t n) const;

  /// The interval of the mean of a sample known by its stretches in time
  /// order (a run's time-series intervals: each one's count and sum), and
  /// its variance at the batches' width as a multiple of the independent
  /// one's at z's (at least 1), which widens the sample's quantile
  /// intervals as quantile() widens its own (quantile_ranks). The stretches
  /// are grouped into `batches` consecutive batches of about equal counts;
  /// the spread of their means, weighed by their counts (the ratio
  /// estimator of cluster sampling), gives the interval when wider than the
  /// independent one from `mean`, `stddev` and `n`. With too few values or
  /// stretches for ten batches of min_batch_size, or a batch left empty by a
  /// stretch holding more than a tenth, the independent interval and 1.
  struct TalliedMean {
    Interval interval;
    double variance_ratio = 1;
  };
  [[nodiscard]] TalliedMean tallied_mean(std::span<const IntervalTally> stretches, double mean,
                                         double stddev, std::size_t n) const;
  /// The interval of a share of k in n outcomes known by the same
  /// stretches (each one's successes `count` and failures `failed`):
  /// Wilson's, on n divided by the ratio of the batches' variance of the
  /// failures' share to that of independent outcomes, as share() widens
  /// its own; the independent one without batches.
  [[nodiscard]] Interval tallied_share(std::span<const IntervalTally> stretches, std::size_t k,
                                       std::size_t n) const;
  [[nodiscard]] Interval independent_share(std::size_t k, std::size_t n) const;

  /// The interval of the share of true flags in `in_order` (1 = failed):
  /// Wilson's score interval, on n values or, when the batches vary more than
  /// independent flags would, on the smaller number of independent flags
  /// with the batches' variance. NaN, NaN when empty.
  [[nodiscard]] Interval share(std::span<const std::uint8_t> in_order) const;

 private:
  /// How many times the variance of the sample's share of values for which
  /// `flag(value)` holds exceeds that of independent values (at least 1),
  /// from the batches' shares; 1 when there are too few values to batch.
  template <typename Flag>
  [[nodiscard]] double share_variance_ratio(std::size_t n, double share, Flag flag) const;

  /// Wilson's score interval of share p of n (possibly fractional) values.
  [[nodiscard]] Interval wilson(double p, double n) const;

  double alpha_ = 0;
  double z_ = 0;
  double t_ = 0;
};

}  // namespace tailsim::stats
