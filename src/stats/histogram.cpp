#include "tailsim/stats/histogram.hpp"

#include <cmath>

namespace tailsim::stats {
namespace {

constexpr std::size_t overflow_index = Histogram::counts_length - 1;
constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();

static_assert(overflow_index == static_cast<std::size_t>(Histogram::hdr_bucket_count + 1)
                                    << Histogram::sub_bucket_bits,
              "HdrHistogram's counts, then one for overflow");

/// Where the bucket at `index` (< overflow_index) lies: it holds the values
/// whose top bits, after a right shift by `shift`, read `top`.
struct BucketPlace {
  int shift;
  std::int64_t top;
};

BucketPlace place_of(std::size_t index) {
  const auto i = static_cast<std::int64_t>(index);
  const std::int64_t shift = std::max<std::int64_t>(0, (i >> Histogram::sub_bucket_bits) - 1);
  return {static_cast<int>(shift), i - (shift << Histogram::sub_bucket_bits)};
}

/// The next percentile level of HdrHistogram's PercentileIterator: a fixed
/// tick within each half of the distance left to 100%.
double next_level(double level, int ticks_per_half_distance) {
  const double halvings = std::floor(std::log2(100.0 / (100.0 - level)));
  const double ticks = ticks_per_half_distance * std::exp2(halvings + 1);
  return level + 100.0 / ticks;
}

}  // namespace

long double Histogram::Uint192::to_long_double() const {
  return static_cast<long double>(high) * 0x1p128L +
         static_cast<long double>(static_cast<std::uint64_t>(low >> 64)) * 0x1p64L +
         static_cast<long double>(static_cast<std::uint64_t>(low));
}

Histogram::Histogram() : counts_(counts_length, 0) {}

void Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < counts_length; ++i) {
    counts_[i] += other.counts_[i];
  }
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
  sum_squares_.add(other.sum_squares_);
}

void Histogram::clear() {
  if (count_ > 0) {  // only the buckets from the smallest value to the largest hold counts
    std::fill(counts_.begin() + static_cast<std::ptrdiff_t>(index_of(min_)),
              counts_.begin() + static_cast<std::ptrdiff_t>(index_of(max_)) + 1, 0);
  }
  count_ = 0;
  min_ = int64_max;
  max_ = 0;
  sum_ = 0;
  sum_squares_ = Uint192{};
}

double Histogram::mean() const {
  if (count_ == 0) {
    return 0.0;
  }
  // Quotient and remainder apart, the sum in long double (64-bit mantissa):
  // one rounding to double after errors of 2^-64, so almost always the
  // correctly rounded mean.
  const auto whole = static_cast<std::uint64_t>(sum_ / count_);
  const auto rest = static_cast<std::uint64_t>(sum_ % count_);
  return static_cast<double>(static_cast<long double>(whole) +
                             static_cast<long double>(rest) / static_cast<long double>(count_));
}

double Histogram::stddev() const {
  if (count_ == 0) {
    return 0.0;
  }
  // With q = floor(mean) and r = sum - n q, exactly in integers:
  //   D = sum (x - q)^2 = sum x^2 - 2 q sum x + n q^2,
  // and n variance = D - r^2 / n. D is small when the values are close, so
  // nothing cancels in floating point.
  const auto q = static_cast<std::uint64_t>(sum_ / count_);
  const auto r = static_cast<std::uint64_t>(sum_ % count_);
  Uint192 deviations = sum_squares_;
  deviations.add(Uint192::product(static_cast<Uint128>(q) * q, count_));
  deviations.subtract(Uint192::product(sum_, 2 * q));
  const auto n = static_cast<long double>(count_);
  const long double offset = static_cast<long double>(r) / n;
  const long double variance = deviations.to_long_double() / n - offset * offset;
  return static_cast<double>(std::sqrt(std::max(variance, 0.0L)));
}

std::uint64_t Histogram::rank_at(double p) const {
  if (!(p > 0.0)) {
    return 1;
  }
  if (p >= 100.0) {
    return count_;
  }
  // Forgive two units in the last place of p, as HdrHistogram forgives one:
  // 99.9 of 1,000 values is rank 999, though the double 99.9 is a shade more.
  const long double exact = static_cast<long double>(p) * static_cast<long double>(count_) / 100;
  const long double forgiven = exact - exact * 0x1p-52L;
  const auto rank = static_cast<std::uint64_t>(std::ceil(forgiven));
  return std::clamp<std::uint64_t>(rank, 1, count_);
}

std::int64_t Histogram::reported_value(std::size_t index, std::uint64_t rank) const {
  if (rank == 1) {
    return min_;
  }
  return std::min(highest_of_bucket(index), max_);
}

std::int64_t Histogram::value_at_percentile(double p) const {
  if (count_ == 0) {
    return 0;
  }
  const std::uint64_t rank = rank_at(p);
  std::uint64_t seen = 0;
  std::size_t i = index_of(min_);  // nothing is counted below the smallest value
  for (;; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      break;
    }
  }
  return reported_value(i, rank);
}

std::vector<PercentileRow> Histogram::percentile_distribution(int ticks_per_half_distance) const {
  assert(ticks_per_half_distance >= 1 && "at least one row per half distance");
  ticks_per_half_distance = std::max(ticks_per_half_distance, 1);
  std::vector<PercentileRow> rows;
  if (count_ == 0) {
    return rows;
  }
  double level = 0.0;
  std::uint64_t rank = rank_at(level);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_length; ++i) {
    if (counts_[i] == 0) {
      continue;
    }
    seen += counts_[i];
    while (seen >= rank) {
      rows.push_back(PercentileRow{reported_value(i, rank), level, seen});
      if (seen == count_) {
        // HdrHistogram's one extra step: the bucket of max() at 100%.
        if (level < 100.0) {
          rows.push_back(PercentileRow{reported_value(i, count_), 100.0, seen});
        }
        return rows;
      }
      const double next = next_level(level, ticks_per_half_distance);
      level = next > level ? next : 100.0;  // steps below a unit in the last place end it
      rank = rank_at(level);
    }
  }
  assert(false && "the counts add up to count()");
  return rows;
}

std::int64_t Histogram::lowest_equivalent_value(std::int64_t value) {
  return lowest_of_bucket(index_of(std::max<std::int64_t>(value, 0)));
}

std::int64_t Histogram::highest_equivalent_value(std::int64_t value) {
  return highest_of_bucket(index_of(std::max<std::int64_t>(value, 0)));
}

std::int64_t Histogram::lowest_of_bucket(std::size_t index) {
  if (index == overflow_index) {
    return highest_trackable_value + 1;
  }
  const BucketPlace b = place_of(index);
  return b.top << b.shift;
}

std::int64_t Histogram::highest_of_bucket(std::size_t index) {
  if (index == overflow_index) {
    return int64_max;
  }
  const BucketPlace b = place_of(index);
  return ((b.top + 1) << b.shift) - 1;
}

}  // namespace tailsim::stats
