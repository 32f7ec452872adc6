#pragma once
/// A log-linear (HDR-style) histogram of non-negative nanosecond values:
/// bounded memory, O(1) record, exact merge.
///
/// Layout. Values below 2,048 ns have a count each, so they are exact. Above,
/// each power-of-two range [2^k, 2^(k+1)) for k = 11 .. 41 is cut into 1,024
/// sub-buckets of width 2^(k-10), so a bucket is at most 1/1,024 of its
/// values wide: 3 significant digits. That covers 0 to 2^42 - 1 ns (73.3
/// minutes). These 33,792 counts are HdrHistogram's own layout for lowest 1,
/// highest 2^42 - 1 and 3 significant digits (32 buckets of 2,048
/// sub-buckets, the first bucket whole, the others by their upper half), so a
/// `.hgrm` file written from it means what the real thing means. One more
/// count, the last, holds every value of 2^42 ns or more; `overflow()` reads
/// it.
///
/// Exact figures. min, max, count and the sums behind mean and stddev are
/// kept apart from the buckets, in integers wide enough never to overflow
/// (the sum of squares has 192 bits), so they are exact whatever the values
/// are, overflow included, and `merge` is exact: merging histograms gives,
/// bit for bit, the histogram of all their values.
///
/// Memory: the counts are kept in pages of 256 (a quarter of a
/// power-of-two range), allocated at a page's first record, each in as few
/// bytes as its largest count needs: 1 byte while no count of the page is
/// above 255, then 2, 4 and 8 (the page is widened in place, at most three
/// times). A small directory (8 bytes a page) covers the pages from the
/// lowest in use to the highest, with some room. Nothing is stored until the
/// first record. A page that no value reaches costs nothing, and a busy range
/// pays 2 or 4 bytes a count only in the pages whose counts need them: the
/// peak of the distribution. Against the 2-significant-digit layout before it
/// (128 eight-byte counts per range, in a window with room), measured in
/// bench/README.md ("Histogram memory") on six latency shapes: 25 to 78% of
/// its memory with a thousand values, 37 to 82% with a hundred thousand, 47
/// /// to 108% with a million, 63 to 117% with ten million, 83 to 179% with a
/// hundred million. No exact layout of 1,024 buckets a range can keep every
/// busy range to the 1 KiB the old one took: 1,024 buckets holding n values
/// have C(n + 1023, 1023) possible contents, more than 2^8192 once n passes
/// 96,772. The object itself is 96 bytes.
///
/// | operation | cost |
/// | --- | --- |
/// | record | O(1): bit_width, shift, a page look-up, add; adds or widens a page (rarely) |
/// | count, min, max, overflow, mean, stddev | O(1) |
/// | merge, clear, == | O(counts in the pages from min()'s to max()'s), word by word |
/// | value_at_percentile | O(counts in the pages from min()'s to the rank's) at worst; 8 counts a
/// word summed at once | | percentile_distribution | O(stored counts + rows); about 10 rows per
/// factor 2 of count |
///
/// Percentiles: the answer for p is the bucket holding the value of rank
/// ceil(p% of count) (at least 1), as HdrHistogram's `getValueAtPercentile`
/// finds it, reported as the bucket's midpoint (HdrHistogram's
/// `medianEquivalentValue`), so it is within half a bucket of the exact value
/// of that rank: exact below 2,048 ns, within 1/2,048 (0.05%) of it above.
/// (The bucket's highest value, as HdrHistogram reports it, read every
/// percentile up to a whole bucket high.) Exact figures sharpen it: it is
/// clamped to min() and max(), the value of rank 1 is min() and that of the
/// last rank max().
///
/// A histogram is a value: copy it, compare it, merge it. It is not safe to
/// record into one histogram from two threads; give each thread its own and
/// merge them.

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <vector>

namespace tailsim::stats {

/// One row of a percentile distribution, in the order of HdrHistogram's
/// `outputPercentileDistribution` (the `.hgrm` percentile spectrum).
struct PercentileRow {
  std::int64_t value;         ///< value_at_percentile(percentile), in ns
  double percentile;          ///< in percent, 0 to 100 (`.hgrm` prints percentile / 100)
  std::uint64_t total_count;  ///< values recorded in value's bucket and all below it

  bool operator==(const PercentileRow&) const = default;
};

class Histogram {
 public:
  /// log2 of the sub-buckets in each power-of-two range: 1,024, for a
  /// resolution of 1/1,024 of the value (3 significant digits).
  static constexpr int sub_bucket_bits = 10;
  /// The largest value the buckets resolve (2^42 - 1 ns, 73.3 minutes); a
  /// larger one is counted in `overflow()`.
  static constexpr std::int64_t highest_trackable_value = (std::int64_t{1} << 42) - 1;
  /// The number of counts: HdrHistogram's 33,792 plus one for overflow.
  static constexpr std::size_t counts_length = 33793;
  /// HdrHistogram's "Buckets" and "SubBuckets" for this layout, as a `.hgrm`
  /// footer prints them.
  static constexpr int hdr_bucket_count = 32;
  static constexpr int hdr_sub_bucket_count = 2048;

  /// An empty histogram; allocates nothing until the first record.
  Histogram() = default;
  Histogram(const Histogram& other);
  Histogram(Histogram&& other) noexcept;
  Histogram& operator=(const Histogram& other);
  Histogram& operator=(Histogram&& other) noexcept;
  ~Histogram();

  /// Records one value in ns. Values must not be negative (a negative one is
  /// recorded as 0 when asserts are off). The same as record(value, 1), in
  /// fewer instructions: a simulation records one value per request.
  [[gnu::always_inline]] void record(std::int64_t value) {
    assert(value >= 0 && "a latency is never negative");
    const std::int64_t v = std::max<std::int64_t>(value, 0);
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
    ++count_;
    const auto u = static_cast<std::uint64_t>(v);
    sum_ += u;
    sum_squares_.add_low(static_cast<Uint128>(u) * u);
    add_one_at(index_of(v));
  }

  /// Records `count` occurrences of `value`, as `count` calls of record(value)
  /// would, in O(1). A count of 0 changes nothing.
  void record(std::int64_t value, std::uint64_t count) {
    assert(value >= 0 && "a latency is never negative");
    if (count == 0) {
      return;
    }
    const std::int64_t v = std::max<std::int64_t>(value, 0);
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
    count_ += count;
    const auto u = static_cast<std::uint64_t>(v);
    sum_ += static_cast<Uint128>(u) * count;
    sum_squares_.add(Uint192::product(static_cast<Uint128>(u) * u, count));
    add_at(index_of(v), count);
  }

  /// Adds every value recorded in `other` to this histogram: the result
  /// equals, bit for bit, one histogram that recorded both sets of values.
  void merge(const Histogram& other);

  /// Forgets every value; keeps the memory (the pages of counts).
  void clear();

  /// The number of values recorded.
  [[nodiscard]] std::uint64_t count() const { return count_; }
  /// The number of values beyond highest_trackable_value. Their
  /// percentiles read as max(); min, max, mean and stddev count them exactly.
  [[nodiscard]] std::uint64_t overflow() const { return count_at(counts_length - 1); }
  /// The counts stored: 256 per page in use; 0 until the first record.
  /// For memory accounting and tests.
  [[nodiscard]] std::size_t stored_counts() const;
  /// The bytes the counts take: 1, 2, 4 or 8 per count of each page, and 8
  /// per entry of the directory of pages.
  [[nodiscard]] std::size_t stored_bytes() const;
  /// The smallest value recorded, exactly; 0 when empty.
  [[nodiscard]] std::int64_t min() const { return count_ ? min_ : 0; }
  /// The largest value recorded, exactly; 0 when empty.
  [[nodiscard]] std::int64_t max() const { return max_; }
  /// The mean, from the exact sum: off by at most a unit in the last place of
  /// the double. 0 when empty.
  [[nodiscard]] double mean() const;
  /// The sum of the values, exact to a unit in the last place of the double.
  [[nodiscard]] double sum() const { return static_cast<double>(static_cast<long double>(sum_)); }
  /// The population standard deviation (divided by count, as HdrHistogram
  /// does), from exact sums: no cancellation, 0 for equal values. 0 when empty.
  [[nodiscard]] double stddev() const;

  /// The value at percentile `p` (0 to 100; outside it clamps, NaN reads as
  /// 0): the midpoint of the bucket holding the value of rank
  /// max(1, ceil(p% of count)), clamped to min() and max(); min() when that
  /// rank is 1, max() when it is count(). Within half a bucket of the exact value of that rank: up
  /// to highest_trackable_value, within 1/2,048 of it (in the overflow bucket, max()). A p that is
  /// a few units in the last place above a rank boundary (99.9 as a double is slightly more
  /// than 99.9) counts as on it. 0 when empty.
  [[nodiscard]] std::int64_t value_at_percentile(double p) const;

  /// The rank (1 to count()) of the value at percentile `p`: max(1, ceil(p%
  /// of count)), with value_at_percentile's forgiveness of a p a few units in
  /// the last place above a rank boundary. 0 when empty.
  [[nodiscard]] std::uint64_t rank_at_percentile(double p) const {
    return count_ == 0 ? 0 : rank_at(p);
  }

  /// value_at_percentile(p) of a histogram that recorded `values` (at least
  /// one, none negative), worked out from the values themselves: the bucket
  /// of its rank found by counting (two passes over the values), reported as
  /// the histogram reports it. Equal to recording them and asking, in O(n)
  /// and without the pages of counts.
  [[nodiscard]] static std::int64_t value_at_percentile_of(std::span<const std::int64_t> values,
                                                           double p);
  /// value_at_percentile_of for N percentiles at once (N = 1 or 2), in the
  /// same two passes over the values.
  template <std::size_t N>
  [[nodiscard]] static std::array<std::int64_t, N> values_at_percentiles_of(
      std::span<const std::int64_t> values, const std::array<double, N>& percentiles);

  /// Where the value of `rank` (1 to count()) lies: its bucket's lowest and
  /// highest value, and how many values lie in buckets above it. A caller
  /// that sees the values again (the attribution replay) finds the exact
  /// value of that rank among the few in that one bucket.
  struct RankBucket {
    std::int64_t lowest = 0;
    std::int64_t highest = 0;
    std::uint64_t above = 0;
  };
  [[nodiscard]] RankBucket bucket_of_rank(std::uint64_t rank) const;

  /// The percentile spectrum of HdrHistogram's `outputPercentileDistribution`:
  /// rows at 0%, then in steps that halve every `ticks_per_half_distance`
  /// rows (0, 10, ... 50, 55, ... 75, 77.5, ... with 5), each row at the first
  /// bucket whose running count reaches the percentile, until the bucket
  /// holding max(); then a last row at 100%. Each row's value is
  /// value_at_percentile(row.percentile). Empty when the histogram is.
  [[nodiscard]] std::vector<PercentileRow> percentile_distribution(
      int ticks_per_half_distance = 5) const;

  /// The value a percentile reports for the bucket of `value` (>= 0): its
  /// midpoint, HdrHistogram's `medianEquivalentValue`; the bucket's lowest
  /// value beyond highest_trackable_value, where the bucket is open.
  [[nodiscard]] static std::int64_t median_equivalent_value(std::int64_t value);
  /// The smallest value counted in the same bucket as `value` (>= 0).
  [[nodiscard]] static std::int64_t lowest_equivalent_value(std::int64_t value);
  /// The largest value counted in the same bucket as `value` (>= 0); the
  /// largest int64 beyond highest_trackable_value, where the bucket is open.
  [[nodiscard]] static std::int64_t highest_equivalent_value(std::int64_t value);

  /// Equal when they recorded the same values (up to bucket resolution) in
  /// any order and with the same exact totals, whatever pages of counts
  /// they store.
  bool operator==(const Histogram& other) const;

 private:
  __extension__ using Uint128 = unsigned __int128;

  /// An unsigned 192-bit integer, enough for the sum of the squares of 2^64
  /// values below 2^63. Arithmetic is modulo 2^192.
  struct Uint192 {
    Uint128 low = 0;
    std::uint64_t high = 0;

    /// a x b in full.
    static Uint192 product(Uint128 a, std::uint64_t b) {
      const Uint128 low_part = static_cast<Uint128>(static_cast<std::uint64_t>(a)) * b;
      const Uint128 high_part = static_cast<Uint128>(static_cast<std::uint64_t>(a >> 64)) * b;
      Uint192 r;
      r.low = low_part + (high_part << 64);
      r.high = static_cast<std::uint64_t>(high_part >> 64) + (r.low < low_part ? 1U : 0U);
      return r;
    }
    void add(const Uint192& o) {
      low += o.low;
      high += o.high + (low < o.low ? 1U : 0U);
    }
    /// Adds a number below 2^128.
    void add_low(Uint128 o) {
      low += o;
      high += low < o ? 1U : 0U;
    }
    void subtract(const Uint192& o) {
      const bool borrow = low < o.low;
      low -= o.low;
      high -= o.high + (borrow ? 1U : 0U);
    }
    [[nodiscard]] long double to_long_double() const;
    bool operator==(const Uint192&) const = default;
  };

  /// The count index of a value >= 0, branch free: values of 2^42 and more
  /// all land on the last index.
  static std::size_t index_of(std::int64_t value) {
    const auto v = std::min(static_cast<std::uint64_t>(value),
                            static_cast<std::uint64_t>(highest_trackable_value) + 1);
    // b = 0 below 2,048 (one count per value); else values of bit width
    // b + 11 keep their top 11 bits, shifted by b.
    constexpr std::uint64_t exact_below = std::uint64_t{1} << (sub_bucket_bits + 1);
    const int b = static_cast<int>(std::bit_width(v | (exact_below - 1))) - (sub_bucket_bits + 1);
    return (static_cast<std::size_t>(b) << sub_bucket_bits) + static_cast<std::size_t>(v >> b);
  }
  /// log2 of the counts in a page: 256, a quarter of a power-of-two range.
  static constexpr unsigned page_bits = 8;
  static constexpr std::size_t page_size = std::size_t{1} << page_bits;
  /// The pages that hold every count: 133, the last for overflow alone.
  static constexpr std::size_t page_total = (counts_length + page_size - 1) >> page_bits;
  /// A directory entry: the address of a page's words, whose low 2 bits (0
  /// in an address of 8-byte words) hold the page's width_log2: counts of 1
  /// << width_log2 bytes. 0 for a page not allocated.
  using PageEntry = std::uintptr_t;
  static constexpr PageEntry width_bits = 3;

  static unsigned width_of(PageEntry entry) { return static_cast<unsigned>(entry & width_bits); }
  static std::uint64_t* words_of(PageEntry entry) {
    return reinterpret_cast<std::uint64_t*>(entry & ~width_bits);  // NOLINT: a tagged address
  }
  /// The largest count of 1 << width_log2 bytes.
  static std::uint64_t limit_of(unsigned width_log2) {
    return ~std::uint64_t{0} >> (64U - (8U << width_log2));
  }
  /// The 64-bit words of a page of counts of 1 << width_log2 bytes.
  static constexpr std::size_t words_per_page(unsigned width_log2) {
    return page_size >> (3U - width_log2);
  }
  /// Count `j` (0 to 255) of a page.
  static std::uint64_t count_in(PageEntry entry, std::size_t j) {
    const unsigned width = width_of(entry);
    const unsigned per_word_log2 = 3U - width;
    const unsigned shift = static_cast<unsigned>(j & ((std::size_t{1} << per_word_log2) - 1))
                           << (3 + width);
    return (words_of(entry)[j >> per_word_log2] >> shift) & limit_of(width);
  }
  /// The directory entry of the page holding `index`; 0 when not allocated.
  [[nodiscard]] PageEntry page_at(std::size_t index) const {
    const std::size_t p = (index >> page_bits) - first_page_;
    return p < page_count_ ? pages_[p] : 0;
  }
  /// Adds `count` to the count at `index`, allocating its page or widening
  /// its counts first when needed.
  [[gnu::always_inline]] void add_at(std::size_t index, std::uint64_t count) {
    std::size_t p = (index >> page_bits) - first_page_;  // below first_page_ wraps around
    if (p >= page_count_ || pages_[p] == 0) [[unlikely]] {
      p = make_page(index);
    }
    const PageEntry entry = pages_[p];
    const unsigned width = width_of(entry);
    const unsigned per_word_log2 = 3U - width;
    const std::size_t j = index & (page_size - 1);
    const unsigned shift = static_cast<unsigned>(j & ((std::size_t{1} << per_word_log2) - 1))
                           << (3 + width);
    const std::uint64_t limit = limit_of(width);
    std::uint64_t& word = words_of(entry)[j >> per_word_log2];
    if (count > limit - ((word >> shift) & limit) && width < 3) [[unlikely]] {
      widen_and_add(p, j, count);
      return;
    }
    word += count << shift;
  }
  /// Adds 1 to the count at `index`: add_at(index, 1) with the count found by
  /// its byte offset in the page, (j << width_log2) bytes, in one shift where
  /// add_at takes three. The counts of a word lie in it from its low bits
  /// up, so the offset's word is its eighth and its bit is 8 x its rest.
  [[gnu::always_inline]] void add_one_at(std::size_t index) {
    std::size_t p = (index >> page_bits) - first_page_;  // below first_page_ wraps around
    if (p >= page_count_ || pages_[p] == 0) [[unlikely]] {
      p = make_page(index);
    }
    const PageEntry entry = pages_[p];
    const unsigned width = width_of(entry);
    const std::size_t j = index & (page_size - 1);
    const std::size_t offset = j << width;  // in bytes
    const unsigned shift = static_cast<unsigned>(offset & 7) << 3;
    std::uint64_t& word = words_of(entry)[offset >> 3];
    // Full (all ones) and not yet 8 bytes wide: widen first. (An 8-byte
    // count cannot reach 2^64.)
    if ((((word >> shift) + 1) & limit_of(width)) == 0 && width < 3) [[unlikely]] {
      widen_and_add(p, j, 1);
      return;
    }
    word += std::uint64_t{1} << shift;
  }
  /// Allocates the page of `index` (with 1-byte counts, all 0), growing the
  /// directory to reach it; returns its place in the directory. Out of line:
  /// add_at() reaches it rarely.
  [[gnu::noinline]] std::size_t make_page(std::size_t index);
  /// Widens the counts of page `p` to the fewest bytes that hold its count
  /// `j` plus `count`, then adds it. Out of line: add_at() reaches it rarely.
  [[gnu::noinline]] void widen_and_add(std::size_t p, std::size_t j, std::uint64_t count);
  /// The count at `index`: 0 in a page not allocated.
  [[nodiscard]] std::uint64_t count_at(std::size_t index) const {
    const PageEntry entry = page_at(index);
    return entry == 0 ? 0 : count_in(entry, index & (page_size - 1));
  }
  /// The bucket holding the value of `rank` (1 to count_) and the values
  /// counted up to it and in it.
  struct Found {
    std::size_t index;
    std::uint64_t seen;
  };
  [[nodiscard]] Found find_rank(std::uint64_t rank) const;
  /// Frees every page and the directory.
  void release();
  /// The rank of the value at percentile p, 1 to count_; count_ must be > 0.
  [[nodiscard]] std::uint64_t rank_at(double p) const { return rank_at(p, count_); }
  /// The rank of the value at percentile p among `count` values (> 0).
  [[nodiscard]] static std::uint64_t rank_at(double p, std::uint64_t count);
  /// The value reported for the value of `rank`, which lies in bucket `index`.
  [[nodiscard]] std::int64_t reported_value(std::size_t index, std::uint64_t rank) const {
    return reported_value(index, rank, count_, min_, max_);
  }
  /// The same for `count` values from `min` to `max`.
  [[nodiscard]] static std::int64_t reported_value(std::size_t index, std::uint64_t rank,
                                                   std::uint64_t count, std::int64_t min,
                                                   std::int64_t max);
  /// The smallest and the largest value counted at `index`.
  static std::int64_t lowest_of_bucket(std::size_t index);
  static std::int64_t highest_of_bucket(std::size_t index);

  /// The pages first_page_ to first_page_ + page_count_ - 1; every page
  /// holding a count is among them.
  std::unique_ptr<PageEntry[]> pages_;
  std::uint32_t first_page_ = 0;  ///< 32 bits: a smaller object
  std::uint32_t page_count_ = 0;
  std::uint64_t count_ = 0;
  std::int64_t min_ = std::numeric_limits<std::int64_t>::max();
  std::int64_t max_ = 0;
  Uint128 sum_ = 0;
  Uint192 sum_squares_;
};

}  // namespace tailsim::stats
