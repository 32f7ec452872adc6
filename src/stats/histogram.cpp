#include "tailsim/stats/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace tailsim::stats {
namespace {

constexpr int sub_bits = 7;  // 128 buckets per power of two
constexpr std::int64_t sub_count = 1 << sub_bits;
constexpr int top_bit = 42;  // values up to 2^42 ns (~73 min)
constexpr std::size_t bucket_count = static_cast<std::size_t>(top_bit - sub_bits + 2) * sub_count;
constexpr std::int64_t top_value = (std::int64_t{1} << top_bit) - 1;

}  // namespace

Histogram::Histogram() : counts_(bucket_count, 0) {}

std::size_t Histogram::index_of(std::int64_t value) {
  // Values below 2 x sub_count are exact (linear); above, range k = bit width
  // keeps the top sub_bits + 1 bits.
  const auto v = static_cast<std::uint64_t>(value);
  const auto width = static_cast<int>(std::bit_width(v));  // 0 for 0
  if (width <= sub_bits + 1) {
    return static_cast<std::size_t>(v);
  }
  const int shift = width - sub_bits - 1;
  const std::uint64_t mantissa = (v >> shift) - static_cast<std::uint64_t>(sub_count);
  return static_cast<std::size_t>((shift + 1) * sub_count + static_cast<std::int64_t>(mantissa));
}

std::int64_t Histogram::highest_value_of(std::size_t index) {
  const auto i = static_cast<std::int64_t>(index);
  if (i < 2 * sub_count) {
    return i;
  }
  const std::int64_t shift = i / sub_count - 1;
  const std::int64_t mantissa = i % sub_count + sub_count;
  return ((mantissa + 1) << shift) - 1;
}

void Histogram::record(std::int64_t value, std::uint64_t count) {
  if (count == 0) {
    return;
  }
  value = std::max<std::int64_t>(value, 0);
  if (count_ == 0 || value < min_) {
    min_ = value;
  }
  max_ = std::max(max_, value);
  count_ += count;
  sum_ += static_cast<Sum>(value) * count;
  const auto v = static_cast<double>(value);
  sum_squares_ += v * v * static_cast<double>(count);
  if (value > top_value) {
    overflow_ += count;
    value = top_value;
  }
  counts_[index_of(value)] += count;
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) {
    return;
  }
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    counts_[i] += other.counts_[i];
  }
  min_ = count_ ? std::min(min_, other.min_) : other.min_;
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  overflow_ += other.overflow_;
  sum_ += other.sum_;
  sum_squares_ += other.sum_squares_;
}

void Histogram::clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = overflow_ = 0;
  min_ = max_ = 0;
  sum_ = 0;
  sum_squares_ = 0;
}

double Histogram::mean() const {
  if (count_ == 0) {
    return 0.0;
  }
  // Whole part and remainder separately, so the division loses nothing.
  const Sum whole = sum_ / count_;
  const Sum rest = sum_ % count_;
  return static_cast<double>(whole) + static_cast<double>(rest) / static_cast<double>(count_);
}

double Histogram::stddev() const {
  if (count_ < 2) {
    return 0.0;
  }
  const auto n = static_cast<double>(count_);
  const double m = mean();
  return std::sqrt(std::max(0.0, sum_squares_ / n - m * m));
}

std::int64_t Histogram::value_at_percentile(double p) const {
  if (count_ == 0) {
    return 0;
  }
  p = std::clamp(p, 0.0, 100.0);
  const auto wanted = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= wanted) {
      return std::min(highest_value_of(i), max_);
    }
  }
  return max_;
}

std::vector<Histogram::PercentileRow> Histogram::percentile_distribution(
    int ticks_per_half_distance) const {
  std::vector<PercentileRow> rows;
  if (count_ == 0) {
    return rows;
  }
  double percentile = 0;
  std::uint64_t seen = 0;
  std::size_t i = 0;
  for (;;) {
    const auto wanted = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::ceil(percentile / 100.0 * static_cast<double>(count_))));
    while (seen < wanted && i < counts_.size()) {
      seen += counts_[i++];
    }
    const std::int64_t value = i == 0 ? 0 : std::min(highest_value_of(i - 1), max_);
    rows.push_back(PercentileRow{value, percentile, seen});
    if (seen >= count_ && percentile >= 100.0) {
      break;
    }
    if (seen >= count_) {
      rows.push_back(PercentileRow{max_, 100.0, count_});
      break;
    }
    // Halve the distance to 100% every `ticks_per_half_distance` rows.
    const double remaining = 100.0 - percentile;
    const double half_steps = std::floor(std::log2(100.0 / remaining)) + 1;
    const double tick = 100.0 / (std::pow(2.0, half_steps) * ticks_per_half_distance);
    percentile = std::min(100.0, percentile + tick);
  }
  return rows;
}

}  // namespace tailsim::stats
