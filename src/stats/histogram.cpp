#include "tailsim/stats/histogram.hpp"

#include <cmath>

namespace tailsim::stats {
namespace {

constexpr std::size_t overflow_index = Histogram::counts_length - 1;
constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();
/// The least room a window of counts gets beyond the buckets it must cover on
/// a side it grows: a quarter of a power-of-two range.
constexpr std::size_t least_room = std::size_t{1} << (Histogram::sub_bucket_bits - 2);

static_assert(overflow_index == static_cast<std::size_t>(Histogram::hdr_bucket_count + 1)
                                    << Histogram::sub_bucket_bits,
              "HdrHistogram's counts, then one for overflow");

/// The 64-bit words that hold `size` counts of 1 << width_log2 bytes.
std::size_t words_for(std::size_t size, unsigned width_log2) {
  const unsigned per_word_log2 = 3U - width_log2;
  return (size + (std::size_t{1} << per_word_log2) - 1) >> per_word_log2;
}

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

void Histogram::cover(std::size_t low, std::size_t high) {
  assert(low <= high && high < counts_length && "indexes of buckets");
  const std::size_t end = std::size_t{base_} + size_;
  if (size_ != 0 && low >= base_ && high < end) {
    return;
  }
  const std::size_t room = std::max<std::size_t>(least_room, size_ / 2);
  std::size_t new_base = size_ == 0 ? low : std::min<std::size_t>(base_, low);
  std::size_t new_end = size_ == 0 ? high + 1 : std::max(end, high + 1);
  if (size_ == 0 || new_base < base_) {
    new_base -= std::min(new_base, room);
  }
  if (size_ == 0 || new_end > end) {
    new_end = std::min(new_end + room, counts_length);
  }
  Histogram grown;
  grown.width_log2_ = width_log2_;
  grown.base_ = static_cast<std::uint32_t>(new_base);
  grown.size_ = static_cast<std::uint32_t>(new_end - new_base);
  grown.words_.assign(words_for(grown.size_, width_log2_), 0);
  for (std::size_t j = 0; j < size_; ++j) {
    if (const std::uint64_t c = stored(j); c != 0) {
      grown.add_at(base_ + j - new_base, c);
    }
  }
  words_ = std::move(grown.words_);
  base_ = grown.base_;
  size_ = grown.size_;
}

void Histogram::widen_and_add(std::size_t j, std::uint64_t count) {
  const std::uint64_t needed = stored(j) + count;
  unsigned width = width_log2_;
  while (width < 3 && needed > (std::uint64_t{1} << (8U << width)) - 1) {
    ++width;
  }
  Histogram wider;
  wider.width_log2_ = width;
  wider.words_.assign(words_for(size_, width), 0);
  for (std::size_t i = 0; i < size_; ++i) {
    if (const std::uint64_t c = stored(i); c != 0) {
      wider.add_at(i, c);
    }
  }
  words_ = std::move(wider.words_);
  width_log2_ = width;
  add_at(j, count);
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) {  // its exact figures are those of no value: nothing to add
    return;
  }
  const std::size_t low = index_of(other.min_);
  const std::size_t high = index_of(other.max_);
  cover(low, high);
  for (std::size_t i = low; i <= high; ++i) {
    if (const std::uint64_t c = other.stored(i - other.base_); c != 0) {
      add_at(i - base_, c);
    }
  }
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
  sum_squares_.add(other.sum_squares_);
}

void Histogram::clear() {
  std::fill(words_.begin(), words_.end(), 0);
  count_ = 0;
  min_ = int64_max;
  max_ = 0;
  sum_ = 0;
  sum_squares_ = Uint192{};
}

bool Histogram::operator==(const Histogram& other) const {
  if (count_ != other.count_ || min_ != other.min_ || max_ != other.max_ || sum_ != other.sum_ ||
      !(sum_squares_ == other.sum_squares_)) {
    return false;
  }
  if (count_ == 0) {
    return true;
  }
  // Equal min() and max(): both windows cover the same buckets in use.
  const std::size_t high = index_of(max_);
  for (std::size_t i = index_of(min_); i <= high; ++i) {
    if (stored(i - base_) != other.stored(i - other.base_)) {
      return false;
    }
  }
  return true;
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
  if (rank == count_ || index == overflow_index) {
    return max_;
  }
  const std::int64_t low = lowest_of_bucket(index);
  const std::int64_t middle = low + (highest_of_bucket(index) - low + 1) / 2;
  return std::clamp(middle, min_, max_);
}

std::int64_t Histogram::value_at_percentile(double p) const {
  if (count_ == 0) {
    return 0;
  }
  const std::uint64_t rank = rank_at(p);
  std::uint64_t seen = 0;
  std::size_t i = index_of(min_);  // nothing is counted below the smallest value
  for (;; ++i) {
    seen += stored(i - base_);
    if (seen >= rank) {
      break;
    }
  }
  return reported_value(i, rank);
}

Histogram::RankBucket Histogram::bucket_of_rank(std::uint64_t rank) const {
  assert(rank >= 1 && rank <= count_ && "a rank among the values recorded");
  if (count_ == 0) {
    return {};
  }
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  std::size_t i = index_of(min_);
  for (;; ++i) {
    seen += stored(i - base_);
    if (seen >= rank) {
      break;
    }
  }
  return {lowest_of_bucket(i), highest_of_bucket(i), count_ - seen};
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
  for (std::size_t j = 0; j < size_; ++j) {
    const std::uint64_t c = stored(j);
    if (c == 0) {
      continue;
    }
    const std::size_t i = base_ + j;
    seen += c;
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

std::int64_t Histogram::median_equivalent_value(std::int64_t value) {
  const std::size_t index = index_of(std::max<std::int64_t>(value, 0));
  const std::int64_t low = lowest_of_bucket(index);
  return index == overflow_index ? low : low + (highest_of_bucket(index) - low + 1) / 2;
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
