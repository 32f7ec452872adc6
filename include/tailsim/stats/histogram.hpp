#pragma once
/// A log-linear (HDR-style) histogram of non-negative nanosecond values:
/// fixed memory, O(1) record, mergeable.
///
/// Values are grouped in ranges [2^k, 2^(k+1)), each split in 128 equal
/// buckets, so a recorded value is known to within 1/128 (0.8%) of itself;
/// values below 256 ns are exact. Values above 2^42 ns (73 minutes) land in
/// the last bucket and are counted as overflow; min, max and mean stay exact.
///
/// | operation | cost |
/// | --- | --- |
/// | record | O(1), no allocation |
/// | merge | O(buckets) |
/// | value_at_percentile | O(buckets) |
/// | memory | 4,736 buckets x 8 bytes = 37 KiB |

#include <cstdint>
#include <vector>

namespace tailsim::stats {

class Histogram {
 public:
  Histogram();

  void record(std::int64_t value) { record(value, 1); }
  void record(std::int64_t value, std::uint64_t count);
  void merge(const Histogram& other);
  void clear();

  [[nodiscard]] std::uint64_t count() const { return count_; }
  [[nodiscard]] std::uint64_t overflow() const { return overflow_; }
  [[nodiscard]] std::int64_t min() const { return count_ ? min_ : 0; }
  [[nodiscard]] std::int64_t max() const { return max_; }
  [[nodiscard]] double mean() const;
  [[nodiscard]] double stddev() const;
  /// The smallest bucket value v such that at least p% of the values are <= v,
  /// reported as the highest value that bucket holds (as HdrHistogram does),
  /// clamped to max(). 0 when empty.
  [[nodiscard]] std::int64_t value_at_percentile(double p) const;

  /// One row of a percentile distribution (HdrHistogram's layout).
  struct PercentileRow {
    std::int64_t value;
    double percentile;
    std::uint64_t total_count;
  };
  /// Percentiles stepping closer to 100% by halves, `ticks_per_half_distance`
  /// rows per half, as HdrHistogram's outputPercentileDistribution.
  [[nodiscard]] std::vector<PercentileRow> percentile_distribution(
      int ticks_per_half_distance = 5) const;

 private:
  static std::size_t index_of(std::int64_t value);
  static std::int64_t highest_value_of(std::size_t index);

  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t overflow_ = 0;
  std::int64_t min_ = 0;
  std::int64_t max_ = 0;
  __extension__ using Sum = unsigned __int128;  // exact: 2^64 values of 2^63 ns
  Sum sum_ = 0;
  double sum_squares_ = 0;
};

}  // namespace tailsim::stats
