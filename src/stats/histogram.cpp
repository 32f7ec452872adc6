#include "tailsim/stats/histogram.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <limits>
#include <utility>

namespace tailsim::stats {
namespace {

constexpr std::size_t overflow_index = Histogram::counts_length - 1;
constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();
/// The least room the directory of pages gets beyond the page it must reach,
/// on the side it grows: a power-of-two range.
constexpr std::size_t least_room = 4;

static_assert(overflow_index == static_cast<std::size_t>(Histogram::hdr_bucket_count + 1)
                                    << Histogram::sub_bucket_bits,
              "HdrHistogram's counts, then one for overflow");

/// The sum of the counts of 1 << width_log2 bytes packed in `word`, added
/// in parallel lanes: a whole word of a walk at once.
std::uint64_t sum_of_word(std::uint64_t word, unsigned width_log2) {
  constexpr std::uint64_t bytes = 0x00FF00FF00FF00FFULL;
  constexpr std::uint64_t halves = 0x0000FFFF0000FFFFULL;
  constexpr std::uint64_t low32 = 0x00000000FFFFFFFFULL;
  switch (width_log2) {
    case 0:
      word = (word & bytes) + ((word >> 8) & bytes);
      [[fallthrough]];
    case 1:
      word = (word & halves) + ((word >> 16) & halves);
      [[fallthrough]];
    case 2:
      return (word & low32) + (word >> 32);
    default:
      return word;
  }
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

Histogram::Histogram(const Histogram& other)
    : first_page_(other.first_page_),
      page_count_(other.page_count_),
      count_(other.count_),
      min_(other.min_),
      max_(other.max_),
      sum_(other.sum_),
      sum_squares_(other.sum_squares_) {
  if (page_count_ == 0) {
    return;
  }
  pages_ = std::make_unique<PageEntry[]>(page_count_);  // all 0 until copied
  for (std::size_t p = 0; p < page_count_; ++p) {
    if (const PageEntry entry = other.pages_[p]; entry != 0) {
      const std::size_t n = words_per_page(width_of(entry));
      auto* words = new std::uint64_t[n];
      std::copy_n(words_of(entry), n, words);
      pages_[p] = reinterpret_cast<PageEntry>(words) | width_of(entry);  // NOLINT: tagged
    }
  }
}

Histogram::Histogram(Histogram&& other) noexcept
    : pages_(std::move(other.pages_)),
      first_page_(std::exchange(other.first_page_, 0)),
      page_count_(std::exchange(other.page_count_, 0)),
      count_(std::exchange(other.count_, 0)),
      min_(std::exchange(other.min_, int64_max)),
      max_(std::exchange(other.max_, 0)),
      sum_(std::exchange(other.sum_, 0)),
      sum_squares_(std::exchange(other.sum_squares_, Uint192{})) {}

Histogram& Histogram::operator=(const Histogram& other) {
  if (this != &other) {
    *this = Histogram(other);
  }
  return *this;
}

Histogram& Histogram::operator=(Histogram&& other) noexcept {
  if (this != &other) {
    release();
    pages_ = std::move(other.pages_);
    first_page_ = std::exchange(other.first_page_, 0);
    page_count_ = std::exchange(other.page_count_, 0);
    count_ = std::exchange(other.count_, 0);
    min_ = std::exchange(other.min_, int64_max);
    max_ = std::exchange(other.max_, 0);
    sum_ = std::exchange(other.sum_, 0);
    sum_squares_ = std::exchange(other.sum_squares_, Uint192{});
  }
  return *this;
}

Histogram::~Histogram() {
  release();
}

void Histogram::release() {
  for (std::size_t p = 0; p < page_count_; ++p) {
    delete[] words_of(pages_[p]);  // NOLINT: the page's own words (nullptr when none)
  }
  pages_.reset();
  first_page_ = 0;
  page_count_ = 0;
}

std::size_t Histogram::stored_counts() const {
  std::size_t pages = 0;
  for (std::size_t p = 0; p < page_count_; ++p) {
    pages += pages_[p] != 0 ? 1 : 0;
  }
  return pages * page_size;
}

std::size_t Histogram::stored_bytes() const {
  std::size_t bytes = std::size_t{page_count_} * sizeof(PageEntry);
  for (std::size_t p = 0; p < page_count_; ++p) {
    if (pages_[p] != 0) {
      bytes += words_per_page(width_of(pages_[p])) * sizeof(std::uint64_t);
    }
  }
  return bytes;
}

std::size_t Histogram::make_page(std::size_t index) {
  assert(index < counts_length && "an index of a bucket");
  const std::size_t page = index >> page_bits;
  const std::size_t end = std::size_t{first_page_} + page_count_;
  if (page_count_ == 0 || page < first_page_ || page >= end) {
    // Grow the directory with room on the side it grows: a histogram's
    // range widens a few times, then settles.
    const std::size_t room = std::max<std::size_t>(least_room, page_count_ / 2);
    std::size_t new_first = page_count_ == 0 ? page : std::min<std::size_t>(first_page_, page);
    std::size_t new_end = page_count_ == 0 ? page + 1 : std::max(end, page + 1);
    if (page_count_ == 0 || new_first < first_page_) {
      new_first -= std::min(new_first, room);
    }
    if (page_count_ == 0 || new_end > end) {
      new_end = std::min(new_end + room, page_total);
    }
    auto grown = std::make_unique<PageEntry[]>(new_end - new_first);  // all 0
    if (page_count_ != 0) {  // new_first <= first_page_ then
      std::copy_n(pages_.get(), page_count_, grown.get() + (first_page_ - new_first));
    }
    pages_ = std::move(grown);
    first_page_ = static_cast<std::uint32_t>(new_first);
    page_count_ = static_cast<std::uint32_t>(new_end - new_first);
  }
  const std::size_t p = page - first_page_;
  if (pages_[p] == 0) {
    pages_[p] = reinterpret_cast<PageEntry>(new std::uint64_t[words_per_page(0)]());  // NOLINT
  }
  return p;
}

void Histogram::widen_and_add(std::size_t p, std::size_t j, std::uint64_t count) {
  const PageEntry entry = pages_[p];
  const std::uint64_t needed = count_in(entry, j) + count;
  unsigned width = width_of(entry);
  while (width < 3 && needed > limit_of(width)) {
    ++width;
  }
  const unsigned per_word_log2 = 3U - width;
  auto* words = new std::uint64_t[words_per_page(width)]();
  for (std::size_t i = 0; i < page_size; ++i) {
    const std::uint64_t c = i == j ? needed : count_in(entry, i);
    words[i >> per_word_log2] |=
        c << (static_cast<unsigned>(i & ((std::size_t{1} << per_word_log2) - 1)) << (3 + width));
  }
  delete[] words_of(entry);                                // NOLINT: the page's own words
  pages_[p] = reinterpret_cast<PageEntry>(words) | width;  // NOLINT: tagged
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) {  // its exact figures are those of no value: nothing to add
    return;
  }
  for (std::size_t p = 0; p < other.page_count_; ++p) {
    const PageEntry entry = other.pages_[p];
    if (entry == 0) {
      continue;
    }
    const std::size_t first = (other.first_page_ + p) << page_bits;
    const unsigned width = width_of(entry);
    const unsigned per_word_log2 = 3U - width;
    const std::uint64_t* words = words_of(entry);
    for (std::size_t w = 0; w < words_per_page(width); ++w) {
      if (words[w] == 0) {
        continue;
      }
      for (std::size_t k = 0; k < (std::size_t{1} << per_word_log2); ++k) {
        const std::size_t j = (w << per_word_log2) + k;
        if (const std::uint64_t c = count_in(entry, j); c != 0) {
          add_at(first + j, c);
        }
      }
    }
  }
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
  sum_squares_.add(other.sum_squares_);
}

void Histogram::clear() {
  for (std::size_t p = 0; p < page_count_; ++p) {
    if (const PageEntry entry = pages_[p]; entry != 0) {
      std::fill_n(words_of(entry), words_per_page(width_of(entry)), 0);
    }
  }
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
  // Equal min() and max(): nothing is counted outside their buckets.
  const std::size_t high = index_of(max_);
  for (std::size_t i = index_of(min_); i <= high; ++i) {
    const PageEntry mine = page_at(i);
    const PageEntry theirs = other.page_at(i);
    if (mine == 0 && theirs == 0) {  // nothing on either side: the next page
      i |= page_size - 1;
      continue;
    }
    if (count_at(i) != other.count_at(i)) {
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

std::uint64_t Histogram::rank_at(double p, std::uint64_t count) {
  if (!(p > 0.0)) {
    return 1;
  }
  if (p >= 100.0) {
    return count;
  }
  // Forgive two units in the last place of p, as HdrHistogram forgives one:
  // 99.9 of 1,000 values is rank 999, though the double 99.9 is a shade more.
  const long double exact = static_cast<long double>(p) * static_cast<long double>(count) / 100;
  const long double forgiven = exact - exact * 0x1p-52L;
  const auto rank = static_cast<std::uint64_t>(std::ceil(forgiven));
  return std::clamp<std::uint64_t>(rank, 1, count);
}

std::int64_t Histogram::reported_value(std::size_t index, std::uint64_t rank, std::uint64_t count,
                                       std::int64_t min, std::int64_t max) {
  if (rank == 1) {
    return min;
  }
  if (rank == count || index == overflow_index) {
    return max;
  }
  const std::int64_t low = lowest_of_bucket(index);
  const std::int64_t middle = low + (highest_of_bucket(index) - low + 1) / 2;
  return std::clamp(middle, min, max);
}

std::int64_t Histogram::value_at_percentile_of(std::span<const std::int64_t> values, double p) {
  return values_at_percentiles_of(values, std::array{p})[0];
}

template <std::size_t N>
std::array<std::int64_t, N> Histogram::values_at_percentiles_of(
    std::span<const std::int64_t> values, const std::array<double, N>& percentiles) {
  assert(!values.empty() && "a percentile of no values");
  const std::uint64_t count = values.size();
  // Each rank's bucket by counting, as the histogram finds it, not by
  // selection: counting has no branch on the values, where a quickselect's
  // comparisons are mispredicted about half the time (a quarter of an M/M/1
  // run's mispredictions with 16,000 latencies an interval). First the
  // values per run of 2^sub_bucket_bits buckets, and the extremes (reported
  // at the first and last ranks, and clamping the buckets' middles between).
  constexpr unsigned run_bits = sub_bucket_bits;
  constexpr std::size_t runs = (counts_length >> run_bits) + 1;
  std::array<std::uint64_t, runs> in_run{};
  std::int64_t min = std::numeric_limits<std::int64_t>::max();
  std::int64_t max = 0;
  for (const std::int64_t value : values) {
    const std::int64_t v = std::max<std::int64_t>(value, 0);
    min = std::min(min, v);
    max = std::max(max, v);
    ++in_run[index_of(v) >> run_bits];
  }
  std::array<std::uint64_t, N> rank{};
  std::array<std::size_t, N> run{};
  std::array<std::uint64_t, N> below{};  // values in the buckets before the one looked at
  for (std::size_t k = 0; k < N; ++k) {
    rank[k] = rank_at(percentiles[k], count);
    while (below[k] + in_run[run[k]] < rank[k]) {
      below[k] += in_run[run[k]++];
    }
  }
  // Then the values per bucket of the runs that hold the ranks, all in one
  // pass (a run held by two ranks is counted twice, each in its own place).
  constexpr std::size_t run_size = std::size_t{1} << run_bits;
  std::array<std::array<std::uint64_t, run_size>, N> in_bucket{};
  for (const std::int64_t value : values) {
    const std::size_t index = index_of(std::max<std::int64_t>(value, 0));
    for (std::size_t k = 0; k < N; ++k) {
      in_bucket[k][index & (run_size - 1)] += (index >> run_bits) == run[k] ? 1 : 0;
    }
  }
  std::array<std::int64_t, N> found{};
  for (std::size_t k = 0; k < N; ++k) {
    std::size_t bucket = 0;
    while (below[k] + in_bucket[k][bucket] < rank[k]) {
      below[k] += in_bucket[k][bucket++];
    }
    found[k] = reported_value((run[k] << run_bits) + bucket, rank[k], count, min, max);
  }
  return found;
}

template std::array<std::int64_t, 1> Histogram::values_at_percentiles_of<1>(
    std::span<const std::int64_t>, const std::array<double, 1>&);
template std::array<std::int64_t, 2> Histogram::values_at_percentiles_of<2>(
    std::span<const std::int64_t>, const std::array<double, 2>&);

Histogram::Found Histogram::find_rank(std::uint64_t rank) const {
  std::uint64_t seen = 0;
  // Nothing is counted below the smallest value: start at its page.
  const std::size_t first = (index_of(min_) >> page_bits) - first_page_;
  for (std::size_t p = first; p < page_count_; ++p) {
    const PageEntry entry = pages_[p];
    if (entry == 0) {
      continue;
    }
    const unsigned width = width_of(entry);
    const unsigned per_word_log2 = 3U - width;
    const std::uint64_t* words = words_of(entry);
    for (std::size_t w = 0; w < words_per_page(width); ++w) {
      const std::uint64_t in_word = sum_of_word(words[w], width);
      if (seen + in_word < rank) {  // the rank lies further on: the next word
        seen += in_word;
        continue;
      }
      for (std::size_t j = w << per_word_log2;; ++j) {
        seen += count_in(entry, j);
        if (seen >= rank) {
          return {((first_page_ + p) << page_bits) + j, seen};
        }
      }
    }
  }
  assert(false && "the counts add up to count()");
  return {overflow_index, seen};
}

std::int64_t Histogram::value_at_percentile(double p) const {
  if (count_ == 0) {
    return 0;
  }
  const std::uint64_t rank = rank_at(p);
  return reported_value(find_rank(rank).index, rank);
}

Histogram::RankBucket Histogram::bucket_of_rank(std::uint64_t rank) const {
  assert(rank >= 1 && rank <= count_ && "a rank among the values recorded");
  if (count_ == 0) {
    return {};
  }
  const Found found = find_rank(std::clamp<std::uint64_t>(rank, 1, count_));
  return {lowest_of_bucket(found.index), highest_of_bucket(found.index), count_ - found.seen};
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
  for (std::size_t i = std::size_t{first_page_} << page_bits;
       i < (std::size_t{first_page_} + page_count_) << page_bits; ++i) {
    const PageEntry entry = page_at(i);
    if (entry == 0) {  // nothing counted in this page: the next
      i |= page_size - 1;
      continue;
    }
    const std::uint64_t c = count_in(entry, i & (page_size - 1));
    if (c == 0) {
      continue;
    }
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
