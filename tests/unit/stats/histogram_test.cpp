#include "tailsim/stats/histogram.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

namespace {

using tailsim::stats::Histogram;
using tailsim::stats::PercentileRow;

constexpr std::int64_t one_us = 1'000;
constexpr std::int64_t one_ms = 1'000'000;
constexpr std::int64_t one_hour = 3'600'000'000'000;
constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();

/// A uniform double in [0, 1) from 53 random bits: the same on every platform.
double unit(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1p-53;
}

/// `n` values log-uniform between 1 us and 1 h.
std::vector<std::int64_t> log_uniform_values(std::uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  const double low = std::log(static_cast<double>(one_us));
  const double high = std::log(static_cast<double>(one_hour));
  std::vector<std::int64_t> values(static_cast<std::size_t>(n));
  for (auto& v : values) {
    v = static_cast<std::int64_t>(std::exp(low + unit(rng) * (high - low)));
  }
  return values;
}

/// The counts the 2-significant-digit layout before kept: a window of
/// eight-byte counts (128 per power-of-two range, one per value below 256
/// ns) over the buckets in use, grown with room of half its width (at least
/// 32) on the side it grew. Its rule, to measure the present one against.
class OldWindow {
 public:
  void record(std::int64_t value) {
    const std::size_t i = index(value);
    if (size_ != 0 && i >= base_ && i < base_ + size_) {
      return;
    }
    const std::size_t room = std::max<std::size_t>(32, size_ / 2);
    std::size_t new_base = size_ == 0 ? i : std::min(base_, i);
    std::size_t new_end = size_ == 0 ? i + 1 : std::max(base_ + size_, i + 1);
    if (size_ == 0 || new_base < base_) {
      new_base -= std::min(new_base, room);
    }
    if (size_ == 0 || new_end > base_ + size_) {
      new_end = std::min<std::size_t>(new_end + room, 4609);
    }
    base_ = new_base;
    size_ = new_end - new_base;
  }
  [[nodiscard]] std::size_t bytes() const { return 8 * size_; }

 private:
  static std::size_t index(std::int64_t value) {
    const auto v = std::min(static_cast<std::uint64_t>(value), std::uint64_t{1} << 42);
    const int b = static_cast<int>(std::bit_width(v | 255U)) - 8;
    return (static_cast<std::size_t>(b) << 7) + static_cast<std::size_t>(v >> b);
  }
  std::size_t base_ = 0;
  std::size_t size_ = 0;
};

Histogram histogram_of(const std::vector<std::int64_t>& values) {
  Histogram h;
  for (const std::int64_t v : values) {
    h.record(v);
  }
  return h;
}

/// What value_at_percentile must answer for the value of `rank` (1-based)
/// among `sorted`: min exactly for rank 1, max for the last rank and in the
/// open bucket beyond the top, else the middle of its bucket, clamped to min
/// and max.
std::int64_t expected_at_rank(const std::vector<std::int64_t>& sorted, std::uint64_t rank) {
  const std::int64_t v = sorted[rank - 1];
  if (rank == 1) {
    return sorted.front();
  }
  if (rank == sorted.size() || v > Histogram::highest_trackable_value) {
    return sorted.back();
  }
  return std::clamp(Histogram::median_equivalent_value(v), sorted.front(), sorted.back());
}

}  // namespace

TEST_CASE("buckets tile 0 to the top, within 1/1024 of each value, exact below 2048",
          "[histogram]") {
  std::size_t buckets = 0;
  std::int64_t low = 0;
  while (low <= Histogram::highest_trackable_value) {
    const std::int64_t high = Histogram::highest_equivalent_value(low);
    INFO("bucket from " << low << " to " << high);
    REQUIRE(high >= low);
    CHECK(Histogram::lowest_equivalent_value(low) == low);
    CHECK(Histogram::lowest_equivalent_value(high) == low);
    CHECK(Histogram::highest_equivalent_value(high) == high);
    // The middle, which percentiles report, is within half the bucket's
    // width of every value in it: 1/2048 of the value.
    const std::int64_t middle = Histogram::median_equivalent_value(low);
    CHECK(Histogram::median_equivalent_value(high) == middle);
    CHECK(middle - low <= high - middle + 1);
    CHECK(high - middle <= middle - low);
    if (low < 2048) {
      CHECK(high == low);
      CHECK(middle == low);
    } else {
      // The widest gap is from the bucket's lowest value to its highest.
      CHECK((high - low) * 1024 < low);
      CHECK((high - middle) * 2048 < low);
    }
    low = high + 1;
    ++buckets;
  }
  CHECK(buckets == Histogram::counts_length - 1);
  CHECK(low == Histogram::highest_trackable_value + 1);
  CHECK(Histogram::highest_trackable_value >= one_hour);
  // Beyond the top, one open bucket.
  CHECK(Histogram::lowest_equivalent_value(int64_max) == low);
  CHECK(Histogram::highest_equivalent_value(low) == int64_max);
  // The layout is HdrHistogram's: 32 buckets of 2048, the first whole, the rest by halves.
  CHECK((Histogram::hdr_bucket_count + 1) * Histogram::hdr_sub_bucket_count / 2 ==
        static_cast<int>(Histogram::counts_length - 1));
}

TEST_CASE(
    "percentiles of 1e6 log-uniform values from 1 us to 1 h are within 1/2048 of the exact "
    "ones",
    "[histogram]") {
  std::vector<std::int64_t> values = log_uniform_values(20240611, 1'000'000);
  const Histogram h = histogram_of(values);
  std::sort(values.begin(), values.end());
  const auto n = static_cast<std::uint64_t>(values.size());

  // Percentiles in parts per million, so that the rank ceil(p% of n) is
  // computed in integers.
  for (const std::uint64_t ppm : {0, 10, 1'000, 10'000, 100'000, 250'000, 500'000, 750'000, 900'000,
                                  990'000, 999'000, 999'900, 999'990, 999'999, 1'000'000}) {
    const double p = static_cast<double>(ppm) / 1e4;
    const std::uint64_t rank = std::max<std::uint64_t>(1, (ppm * n + 999'999) / 1'000'000);
    const std::int64_t exact = values[rank - 1];
    const std::int64_t reported = h.value_at_percentile(p);
    INFO("p" << p << " rank " << rank << " exact " << exact << " reported " << reported);
    CHECK(reported == expected_at_rank(values, rank));
    // Within half a bucket of the exact value: 1/2048 (0.05%) of it
    // (docs/semantics.md, "Percentiles").
    CHECK(static_cast<double>(std::abs(reported - exact)) <= static_cast<double>(exact) / 2048);
  }

  CHECK(h.count() == n);
  CHECK(h.min() == values.front());
  CHECK(h.max() == values.back());
  CHECK(h.value_at_percentile(0) == values.front());
  CHECK(h.value_at_percentile(100) == values.back());
  CHECK(h.overflow() == 0);

  // Mean and stddev against sums in long double (64-bit mantissa: the sum
  // of 1e6 values below 2^42 is exact; the squares to 1e-19 each).
  long double sum = 0;
  for (const std::int64_t v : values) {
    sum += static_cast<long double>(v);
  }
  const long double mean = sum / static_cast<long double>(n);
  long double squares = 0;
  for (const std::int64_t v : values) {
    const long double d = static_cast<long double>(v) - mean;
    squares += d * d;
  }
  const auto stddev = static_cast<double>(std::sqrt(squares / static_cast<long double>(n)));
  CHECK(h.mean() == Approx(static_cast<double>(mean)).epsilon(1e-15));
  CHECK(h.stddev() == Approx(stddev).epsilon(1e-12));
}

TEST_CASE("every percentile of small samples picks rank ceil(p% of n)", "[histogram]") {
  // p in steps of 0.1%, none but the halves exact in binary, against
  // rank = ceil(k n / 1000) in integers: p x n / 100 lands a hair above a
  // whole rank as often as on it, and must still pick that rank.
  std::mt19937_64 rng(7);
  for (int n = 1; n <= 40; ++n) {
    std::vector<std::int64_t> values(static_cast<std::size_t>(n));
    for (auto& v : values) {
      v = static_cast<std::int64_t>(rng() % 100'000);
    }
    const Histogram h = histogram_of(values);
    std::sort(values.begin(), values.end());
    for (int k = 0; k <= 1000; ++k) {
      const auto un = static_cast<std::uint64_t>(n);
      const auto uk = static_cast<std::uint64_t>(k);
      const std::uint64_t rank = std::max<std::uint64_t>(1, (uk * un + 999) / 1000);
      INFO("n " << n << " p " << k / 10.0);
      CHECK(h.value_at_percentile(k / 10.0) == expected_at_rank(values, rank));
    }
  }
}

TEST_CASE("a percentile just past a rank boundary in decimal lands on it", "[histogram]") {
  Histogram h;
  for (std::int64_t i = 1; i <= 1000; ++i) {
    h.record(i * one_us);
  }
  // 99.9 as a double is 99.900000000000006: 999.00000000000006 of 1,000 values.
  CHECK(h.value_at_percentile(99.9) == Histogram::median_equivalent_value(999 * one_us));
  CHECK(h.value_at_percentile(99.90001) == 1000 * one_us);
  CHECK(h.value_at_percentile(0.1) == one_us);
  CHECK(h.value_at_percentile(0.2) == 2 * one_us);  // exact below 2048 ns
}

TEST_CASE("mean of 1e8 values is exact where a double sum is not", "[histogram]") {
  Histogram h;
  h.record(1, 50'000'000);
  h.record(one_hour, 50'000'000);
  CHECK(h.count() == 100'000'000);
  // (5e7 x 1 + 5e7 x 3.6e12) / 1e8, exactly representable.
  CHECK(h.mean() == 1'800'000'000'000.5);

  // Values 1e12 and 1e12 + 2, 5e7 each: the sum of squares (1e32) has no
  // room in a double for a variance of 1.
  Histogram close;
  close.record(1'000'000'000'000, 50'000'000);
  close.record(1'000'000'000'002, 50'000'000);
  CHECK(close.mean() == 1'000'000'000'001.0);
  CHECK(close.stddev() == 1.0);
  // Both values share a bucket, whose middle is below min: the median reads
  // as min.
  CHECK(close.value_at_percentile(50) == close.min());

  // A mean that is not a whole number, right to the last bit.
  Histogram thirds;
  thirds.record(1, 1);
  thirds.record(2, 1);
  thirds.record(2, 1);
  CHECK(thirds.mean() == 5.0 / 3.0);
  CHECK(thirds.stddev() == Approx(std::sqrt(2.0) / 3.0).epsilon(1e-15));

  Histogram same;
  same.record(170 * one_ms, 1'000'000);
  CHECK(same.stddev() == 0.0);
  CHECK(same.mean() == 170.0 * one_ms);
}

TEST_CASE("merging equals recording everything in one, bit for bit", "[histogram]") {
  std::vector<std::int64_t> values = log_uniform_values(99, 100'000);
  values.push_back(0);
  values.push_back(1);
  values.push_back(10 * one_hour);  // overflow
  values.push_back(int64_max);
  std::mt19937_64 rng(3);
  Histogram a;
  Histogram b;
  Histogram all;
  for (const std::int64_t v : values) {
    (rng() % 3 == 0 ? a : b).record(v);
    all.record(v);
  }
  a.record(5 * one_ms, 1000);
  all.record(5 * one_ms, 1000);
  CHECK_FALSE(a == all);

  Histogram merged = a;
  merged.merge(b);
  CHECK(merged == all);
  CHECK(merged.count() == all.count());
  CHECK(merged.overflow() == 2);
  CHECK(merged.min() == 0);
  CHECK(merged.max() == int64_max);
  CHECK(merged.mean() == all.mean());
  CHECK(merged.stddev() == all.stddev());
  CHECK(merged.percentile_distribution() == all.percentile_distribution());

  // Order does not matter; nor does merging into or from an empty histogram.
  Histogram other_way = b;
  other_way.merge(a);
  CHECK(other_way == all);
  Histogram empty;
  empty.merge(all);
  CHECK(empty == all);
  merged.merge(Histogram{});
  CHECK(merged == all);
}

TEST_CASE("edge cases: empty, single value, 0 and 1 ns, out-of-range p", "[histogram]") {
  Histogram h;
  CHECK(h.count() == 0);
  CHECK(h.min() == 0);
  CHECK(h.max() == 0);
  CHECK(h.mean() == 0);
  CHECK(h.stddev() == 0);
  CHECK(h.value_at_percentile(0) == 0);
  CHECK(h.value_at_percentile(50) == 0);
  CHECK(h.value_at_percentile(100) == 0);
  CHECK(h.percentile_distribution().empty());

  SECTION("a count of zero records nothing") {
    h.record(5 * one_ms, 0);
    CHECK(h == Histogram{});
  }
  SECTION("a single value is every percentile, exactly") {
    const std::int64_t v = 123'456'789;  // not the top of its bucket
    REQUIRE(Histogram::highest_equivalent_value(v) != v);
    h.record(v);
    for (const double p : {0.0, 1e-9, 50.0, 99.99, 100.0}) {
      CHECK(h.value_at_percentile(p) == v);
    }
    CHECK(h.min() == v);
    CHECK(h.max() == v);
    CHECK(h.mean() == static_cast<double>(v));
    CHECK(h.stddev() == 0);
  }
  SECTION("0 and 1 ns are exact") {
    h.record(0);
    CHECK(h.value_at_percentile(100) == 0);
    h.record(1);
    CHECK(h.value_at_percentile(0) == 0);
    CHECK(h.value_at_percentile(50) == 0);
    CHECK(h.value_at_percentile(50.1) == 1);
    CHECK(h.value_at_percentile(100) == 1);
    CHECK(h.mean() == 0.5);
    CHECK(h.stddev() == 0.5);
    CHECK(Histogram::highest_equivalent_value(0) == 0);
    CHECK(Histogram::highest_equivalent_value(1) == 1);
    CHECK(Histogram::highest_equivalent_value(2047) == 2047);
    CHECK(Histogram::highest_equivalent_value(2048) == 2049);
    CHECK(Histogram::median_equivalent_value(2049) == 2049);
  }
  SECTION("p outside 0 to 100 clamps; NaN reads as 0") {
    h.record(2 * one_ms);
    h.record(7 * one_ms);
    CHECK(h.value_at_percentile(-5) == 2 * one_ms);
    CHECK(h.value_at_percentile(std::nan("")) == 2 * one_ms);
    CHECK(h.value_at_percentile(150) == 7 * one_ms);
  }
  SECTION("clear forgets everything") {
    h.record(3, 10);
    h.record(10 * one_hour);
    h.clear();
    CHECK(h == Histogram{});
    CHECK(h.count() == 0);
    CHECK(h.min() == 0);
  }
}

TEST_CASE("values beyond the top are counted as overflow, with exact max and mean", "[histogram]") {
  Histogram h;
  h.record(Histogram::highest_trackable_value);
  CHECK(h.overflow() == 0);
  h.clear();

  const std::int64_t ten_hours = 10 * one_hour;
  h.record(one_ms, 990);
  h.record(ten_hours, 9);
  h.record(ten_hours + 1);
  CHECK(h.overflow() == 10);
  CHECK(h.max() == ten_hours + 1);
  CHECK(h.count() == 1000);
  CHECK(h.mean() == (990.0 * one_ms + 10.0 * ten_hours + 1) / 1000);
  CHECK(h.value_at_percentile(99) ==
        std::max(Histogram::median_equivalent_value(one_ms), one_ms));  // clamped to min
  // The overflow bucket has no resolution: its percentiles read as max.
  CHECK(h.value_at_percentile(99.1) == ten_hours + 1);
  CHECK(h.value_at_percentile(100) == ten_hours + 1);

  Histogram top;
  top.record(int64_max, 3);
  CHECK(top.overflow() == 3);
  CHECK(top.max() == int64_max);
  CHECK(top.min() == int64_max);
  CHECK(top.mean() == static_cast<double>(int64_max));
  CHECK(top.stddev() == 0);
  CHECK(top.value_at_percentile(50) == int64_max);
}

TEST_CASE("the percentile distribution follows HdrHistogram's iteration", "[histogram]") {
  SECTION("rows for 1 to 10 ns, worked by hand") {
    Histogram h;
    for (std::int64_t v = 1; v <= 10; ++v) {
      h.record(v);
    }
    // Each level is reported at the first value whose running count
    // reaches level% of 10; the bucket of max is reported once more at 100%.
    const std::vector<PercentileRow> expected = {
        {1, 0.0, 1},  {1, 10.0, 1},  {2, 20.0, 2}, {3, 30.0, 3},    {4, 40.0, 4},
        {5, 50.0, 5}, {6, 55.0, 6},  {6, 60.0, 6}, {7, 65.0, 7},    {7, 70.0, 7},
        {8, 75.0, 8}, {8, 77.5, 8},  {8, 80.0, 8}, {9, 82.5, 9},    {9, 85.0, 9},
        {9, 87.5, 9}, {9, 88.75, 9}, {9, 90.0, 9}, {10, 91.25, 10}, {10, 100.0, 10}};
    CHECK(h.percentile_distribution(5) == expected);
  }

  SECTION("1e6 log-uniform values") {
    const Histogram h = histogram_of(log_uniform_values(1234, 1'000'000));
    const std::vector<PercentileRow> rows = h.percentile_distribution(5);
    REQUIRE(rows.size() > 40);
    // The steps halve every 5 rows: exact binary fractions with 5 ticks.
    const std::vector<double> first_levels = {
        0,  10,   20,    30, 40,    50,   55,    60,     65, 70,     75,    77.5,   80,     82.5,
        85, 87.5, 88.75, 90, 91.25, 92.5, 93.75, 94.375, 95, 95.625, 96.25, 96.875, 97.1875};
    for (std::size_t i = 0; i < first_levels.size(); ++i) {
      CHECK(rows[i].percentile == first_levels[i]);
    }
    CHECK(rows.front().value == h.min());
    for (std::size_t i = 1; i < rows.size(); ++i) {
      INFO("row " << i << " at " << rows[i].percentile);
      CHECK(rows[i].percentile > rows[i - 1].percentile);
      CHECK(rows[i].value >= rows[i - 1].value);
      CHECK(rows[i].total_count >= rows[i - 1].total_count);
    }
    for (const PercentileRow& row : rows) {
      CHECK(row.value == h.value_at_percentile(row.percentile));
      CHECK(static_cast<double>(row.total_count) >=
            row.percentile / 100 * static_cast<double>(h.count()) * (1 - 1e-15));
    }
    CHECK(rows.back().percentile == 100.0);
    CHECK(rows.back().total_count == h.count());
    CHECK(rows.back().value == h.max());
    CHECK(rows[rows.size() - 2].percentile < 100.0);
    CHECK(rows[rows.size() - 2].total_count == h.count());
  }

  SECTION("a single value gives the 0% row and the 100% row") {
    Histogram h;
    h.record(42 * one_ms);
    const std::vector<PercentileRow> expected = {{42 * one_ms, 0.0, 1}, {42 * one_ms, 100.0, 1}};
    CHECK(h.percentile_distribution() == expected);
    CHECK(h.percentile_distribution(1) == expected);
  }
}

TEST_CASE("counts are stored only in the pages in use", "[histogram]") {
  Histogram h;
  CHECK(h.stored_counts() == 0);
  CHECK(h.stored_bytes() == 0);
  h.record(5 * one_ms);
  CHECK(h.stored_counts() == 256);         // one page
  CHECK(h.stored_bytes() >= 256);          // a byte each
  CHECK(h.stored_bytes() <= 256 + 9 * 8);  // and a directory of the page and room either side
  // 5 to 6 ms lies in [2^22, 2^23) ns, buckets of 4,096 ns: buckets 197 to 441
  // of that range, two pages of 256.
  for (int i = 0; i < 1000; ++i) {
    h.record(5 * one_ms + i * one_us);
  }
  CHECK(h.stored_counts() == 2 * 256);
  h.record(0);
  h.record(10 * one_hour);  // overflow: the last page
  CHECK(h.stored_counts() == 4 * 256);
  CHECK(h.stored_bytes() <= 4 * 256 + Histogram::counts_length / 256 * 8 + 8);
  // clear keeps the pages; a histogram that grew and was cleared equals a new one
  h.clear();
  CHECK(h.stored_counts() == 4 * 256);
  CHECK(h == Histogram{});
  CHECK(Histogram{} == h);
}

TEST_CASE("a busy page takes wide counts, the pages around it stay narrow", "[histogram]") {
  // One bucket holds a million values (4-byte counts); 30 other ranges hold
  // one value each (a byte each). Counts all 4 bytes wide would take 31 KiB.
  Histogram h;
  h.record(3 * one_ms, 1'000'000);
  for (int k = 12; k < 42; ++k) {
    h.record((std::int64_t{1} << k) + 1);
  }
  CHECK(h.stored_counts() == 31 * 256);
  const std::size_t directory = (Histogram::counts_length / 256 + 1) * 8;
  CHECK(h.stored_bytes() >= 30 * 256 + 1024);
  CHECK(h.stored_bytes() <= 30 * 256 + 1024 + directory);
  CHECK(h.value_at_percentile(50) == Histogram::median_equivalent_value(3 * one_ms));
  CHECK(h.count() == 1'000'030);

  // Copies and moves keep every count, and the source of a move is empty.
  Histogram copy = h;
  CHECK(copy == h);
  CHECK(copy.stored_bytes() == h.stored_bytes());
  Histogram moved = std::move(copy);
  CHECK(moved == h);
  CHECK(copy.count() == 0);  // NOLINT: a moved-from histogram is empty and usable
  copy.record(one_ms);
  CHECK(copy.count() == 1);
  copy = moved;
  CHECK(copy == h);
  copy = Histogram{};
  CHECK(copy == Histogram{});
}

TEST_CASE("a histogram grown at both ends equals one recorded in any order", "[histogram]") {
  std::vector<std::int64_t> values = log_uniform_values(7, 20'000);
  values.push_back(0);
  values.push_back(2047);
  values.push_back(2048);
  values.push_back(Histogram::highest_trackable_value);
  std::vector<std::int64_t> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  // Starting in the middle, then alternately below and above: every record
  // past the first lands outside the window at one end or the other.
  std::vector<std::int64_t> outward;
  std::size_t low = sorted.size() / 2;
  std::size_t high = low;
  outward.push_back(sorted[low]);
  while (low > 0 || high + 1 < sorted.size()) {
    if (low > 0) {
      outward.push_back(sorted[--low]);
    }
    if (high + 1 < sorted.size()) {
      outward.push_back(sorted[++high]);
    }
  }
  const Histogram shuffled = histogram_of(values);
  const Histogram rising = histogram_of(sorted);
  const Histogram falling = histogram_of({sorted.rbegin(), sorted.rend()});
  const Histogram spreading = histogram_of(outward);
  for (const Histogram* h : {&rising, &falling, &spreading}) {
    CHECK(*h == shuffled);
    CHECK(h->percentile_distribution() == shuffled.percentile_distribution());
    CHECK(h->mean() == shuffled.mean());
    CHECK(h->overflow() == 0);
  }
  const auto n = static_cast<std::uint64_t>(sorted.size());
  for (std::uint64_t rank = 1; rank <= n; rank += 97) {
    const double p = 100.0 * static_cast<double>(rank) / static_cast<double>(n);
    CHECK(falling.value_at_percentile(p) == expected_at_rank(sorted, rank));
    CHECK(spreading.value_at_percentile(p) == expected_at_rank(sorted, rank));
  }
  // Two values at the far ends, the second at a bucket the window never held.
  Histogram ends;
  ends.record(Histogram::highest_trackable_value);
  ends.record(0);
  CHECK(ends.value_at_percentile(0) == 0);
  CHECK(ends.value_at_percentile(100) == Histogram::highest_trackable_value);
  CHECK(ends == histogram_of({0, Histogram::highest_trackable_value}));
}

TEST_CASE("histograms of disjoint and overlapping ranges merge exactly", "[histogram]") {
  std::vector<std::int64_t> fast;
  std::vector<std::int64_t> slow;
  std::vector<std::int64_t> middle;
  for (std::int64_t i = 0; i < 500; ++i) {
    fast.push_back(1 * one_us + i * 7);         // 1 to 4.5 us
    slow.push_back(2'000 * one_ms + i * 999);   // about 2 s
    middle.push_back(3 * one_us + i * 40'000);  // 3 us to 20 ms: overlaps fast
  }
  std::vector<std::int64_t> all = fast;
  all.insert(all.end(), slow.begin(), slow.end());
  all.insert(all.end(), middle.begin(), middle.end());
  const Histogram expected = histogram_of(all);

  Histogram a = histogram_of(fast);  // merged into: grows up
  a.merge(histogram_of(slow));
  a.merge(histogram_of(middle));
  Histogram b = histogram_of(slow);  // merged into: grows down
  b.merge(histogram_of(middle));
  b.merge(histogram_of(fast));
  Histogram c = histogram_of(middle);  // grows at both ends in turn
  c.merge(histogram_of(fast));
  c.merge(histogram_of(slow));
  for (const Histogram* h : {&a, &b, &c}) {
    CHECK(*h == expected);
    CHECK(h->percentile_distribution() == expected.percentile_distribution());
    CHECK(h->stddev() == expected.stddev());
    CHECK(h->value_at_percentile(33.4) == expected.value_at_percentile(33.4));
  }
  // Different windows but different values: not equal.
  Histogram d = histogram_of(fast);
  d.merge(histogram_of(slow));
  CHECK_FALSE(d == expected);
  CHECK_FALSE(expected == d);
}

TEST_CASE("empty histograms store nothing and merge as nothing", "[histogram]") {
  const Histogram empty;
  Histogram target;
  target.merge(empty);
  CHECK(target.stored_counts() == 0);
  CHECK(target == empty);
  CHECK(target.overflow() == 0);
  CHECK(target.value_at_percentile(99) == 0);
  CHECK(target.percentile_distribution().empty());

  Histogram cleared;
  cleared.record(42 * one_ms);
  cleared.clear();
  CHECK(cleared == empty);
  CHECK(empty == cleared);
  Histogram some = histogram_of({1, 2, 3});
  some.merge(cleared);  // a cleared histogram with a window adds nothing
  CHECK(some == histogram_of({1, 2, 3}));
  cleared.merge(histogram_of({10 * one_hour, one_ms}));  // records land outside the old window
  CHECK(cleared == histogram_of({one_ms, 10 * one_hour}));
  CHECK(cleared.overflow() == 1);
}

TEST_CASE("overflow recorded first, then values far below it", "[histogram]") {
  Histogram h;
  h.record(int64_max, 2);
  CHECK(h.overflow() == 2);
  CHECK(h.stored_counts() == 256);  // the last page only
  h.record(3);
  h.record(700 * one_ms);
  CHECK(h.overflow() == 2);
  CHECK(h.count() == 4);
  CHECK(h.value_at_percentile(0) == 3);
  CHECK(h.value_at_percentile(50) == Histogram::median_equivalent_value(700 * one_ms));
  CHECK(h.value_at_percentile(75) == int64_max);
  CHECK(h == histogram_of({700 * one_ms, int64_max, 3, int64_max}));

  Histogram low = histogram_of({5, 6});
  Histogram high;
  high.record(10 * one_hour);
  low.merge(high);
  CHECK(low.overflow() == 1);
  high.merge(histogram_of({5, 6}));
  CHECK(high == low);
  CHECK(high.percentile_distribution() == low.percentile_distribution());
}

TEST_CASE("percentiles report the bucket's middle: known answers", "[histogram]") {
  SECTION("a constant 10 ms reads 10 ms") {
    Histogram h;
    h.record(10 * one_ms, 5'000);
    for (const double p : {1.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
      CHECK(h.value_at_percentile(p) == 10 * one_ms);
    }
    // The bucket itself is wider: its middle is within half its width.
    const std::int64_t low = Histogram::lowest_equivalent_value(10 * one_ms);
    const std::int64_t high = Histogram::highest_equivalent_value(10 * one_ms);
    REQUIRE(high > low);
    CHECK(std::abs(Histogram::median_equivalent_value(10 * one_ms) - 10 * one_ms) <=
          (high - low + 1) / 2);
  }
  SECTION("a uniform set's p50 is within half a bucket of the true median") {
    // 20,001 values evenly from 10 ms to 30 ms: the median is 20 ms.
    Histogram h;
    for (std::int64_t i = 0; i <= 20'000; ++i) {
      h.record(10 * one_ms + i * one_us);
    }
    const std::int64_t p50 = h.value_at_percentile(50);
    const std::int64_t half = (Histogram::highest_equivalent_value(20 * one_ms) -
                               Histogram::lowest_equivalent_value(20 * one_ms) + 1) /
                              2;
    CHECK(std::abs(p50 - 20 * one_ms) <= half);
    // The bucket's top, as HdrHistogram reports it, is further off than that.
    CHECK(Histogram::highest_equivalent_value(20 * one_ms) - 20 * one_ms > half / 2);
    CHECK(p50 == Histogram::median_equivalent_value(20 * one_ms));
  }
  SECTION("values spread in one bucket read its middle, not its top") {
    const std::int64_t low = Histogram::lowest_equivalent_value(50 * one_ms);
    const std::int64_t high = Histogram::highest_equivalent_value(50 * one_ms);
    Histogram h;
    h.record(low - 1);  // min in the bucket below: no clamping at the bottom
    for (std::int64_t v = low; v <= high; v += (high - low) / 16) {
      h.record(v);
    }
    h.record(high + 1);  // max in the bucket above
    CHECK(h.value_at_percentile(50) == low + (high - low + 1) / 2);
  }
}

TEST_CASE("counts take 1 byte until they need more, and widen exactly", "[histogram]") {
  Histogram h;
  h.record(3 * one_ms, 255);
  const std::size_t one_byte = h.stored_bytes();
  CHECK(h.stored_counts() == 256);
  h.record(3 * one_ms);  // 256: two bytes for each count of the page
  CHECK(h.stored_bytes() == one_byte + 256);
  h.record(7 * one_ms, std::uint64_t{1} << 40);  // eight bytes
  h.record(7 * one_ms);
  CHECK(h.count() == 256 + (std::uint64_t{1} << 40) + 1);
  CHECK(h.value_at_percentile(1e-9) == 3 * one_ms);
  CHECK(h.value_at_percentile(0.00001) == Histogram::median_equivalent_value(7 * one_ms));
  CHECK(h.value_at_percentile(100) == 7 * one_ms);

  // Widened or not, the same values give equal histograms, and merges add up.
  Histogram narrow;
  narrow.record(3 * one_ms, 256);
  Histogram wide;
  wide.record(7 * one_ms, (std::uint64_t{1} << 40) + 1);
  narrow.merge(wide);
  CHECK(narrow == h);
  CHECK(h == narrow);
  CHECK(narrow.percentile_distribution() == h.percentile_distribution());
  Histogram small;
  small.record(3 * one_ms, 256);
  wide.merge(small);  // a wide histogram merging a narrow one
  CHECK(wide == h);

  // The object itself is smaller than with 2 significant digits (x86-64).
  CHECK(sizeof(Histogram) <= 96);

  // A light histogram takes no more than the 2-significant-digit layout
  // did: its window of eight-byte counts, grown as it grew (OldWindow), over
  // the same values in the same order.
  for (const std::uint64_t seed : {3, 4, 5}) {
    for (const int n : {10, 200, 2'000}) {
      const std::vector<std::int64_t> values = log_uniform_values(seed, n);
      OldWindow old;
      for (const std::int64_t v : values) {
        old.record(v);
      }
      CAPTURE(seed, n);
      CHECK(histogram_of(values).stored_bytes() <= old.bytes());
    }
  }
}

TEST_CASE("a busy histogram takes no more memory than the 2-digit layout did", "[histogram]") {
  // Latency shapes of 100,000 values each (bench/histogram_bench.cpp measures
  // them up to 10^8: beyond about 10^6 values, the busiest ranges need more).
  std::mt19937_64 rng(20261206);
  std::normal_distribution<double> normal;
  std::exponential_distribution<double> exponential(1.0 / 5e6);
  const std::vector<std::function<double()>> shapes = {
      [&] { return 10e6 * std::exp(0.5 * normal(rng)); },
      [&] { return 10e6 * std::exp(1.0 * normal(rng)); },
      [&] { return 50e6 * std::exp(0.25 * normal(rng)); },
      [&] { return exponential(rng); },
  };
  for (std::size_t k = 0; k < shapes.size(); ++k) {
    Histogram h;
    OldWindow old;
    for (int i = 0; i < 100'000; ++i) {
      const auto v = static_cast<std::int64_t>(shapes[k]());
      h.record(v);
      old.record(v);
    }
    CAPTURE(k);
    CHECK(h.stored_bytes() <= old.bytes());
  }
}

TEST_CASE("one value at a time counts as record(value, count) does, through the widenings",
          "[histogram]") {
  // The 256 buckets of one page (2^20 ns up, 1,024 ns each), recorded one
  // value at a time in turns, so that counts pass 255 and 65,535 (the page
  // widens to 2 and then 4 bytes) while the others keep counting: every
  // count lands where record(value, count) puts it, at every width.
  const std::int64_t base = std::int64_t{1} << 20;
  const auto count_of = [](int k) {
    return static_cast<std::uint64_t>((k * 37) % 300) + (k == 5 ? 70'000 : 0) +
           (k == 200 ? 256 : 0);
  };
  Histogram single;
  std::vector<std::uint64_t> left(256);
  for (int k = 0; k < 256; ++k) {
    left[static_cast<std::size_t>(k)] = count_of(k);
  }
  for (bool any = true; any;) {
    any = false;
    for (int k = 0; k < 256; ++k) {
      if (left[static_cast<std::size_t>(k)] > 0) {
        --left[static_cast<std::size_t>(k)];
        single.record(base + k * 1'024 + (k % 7));
        any = true;
      }
    }
  }
  Histogram counted;
  for (int k = 0; k < 256; ++k) {
    counted.record(base + k * 1'024 + (k % 7), count_of(k));
  }
  CHECK(single == counted);
  CHECK(single.stored_counts() == 256);
  CHECK(single.stored_bytes() == counted.stored_bytes());
  CHECK(single.percentile_distribution() == counted.percentile_distribution());
  CHECK(single.mean() == counted.mean());
  CHECK(single.stddev() == counted.stddev());
  for (const std::uint64_t rank :
       {std::uint64_t{1}, std::uint64_t{300}, std::uint64_t{40'000}, single.count()}) {
    CHECK(single.bucket_of_rank(rank).lowest == counted.bucket_of_rank(rank).lowest);
    CHECK(single.bucket_of_rank(rank).above == counted.bucket_of_rank(rank).above);
  }
}

TEST_CASE("a percentile worked out from the values equals the histogram's", "[histogram]") {
  // value_at_percentile_of reports, from the values themselves, what a
  // histogram that recorded them reports: the extremes at the first and last
  // ranks, else the middle of the rank's bucket within them. Samples with
  // many ties, with values in the exact range below 2,048, and past the top.
  std::mt19937_64 draw(17);
  std::lognormal_distribution<double> wide(14.0, 4.0);  // ns: 1 to beyond 2^42
  const double levels[] = {0, 0.1, 1, 25, 50, 90, 99, 99.9, 99.99, 100};
  for (const std::size_t n : {1, 2, 3, 10, 1'000, 5'000}) {
    for (int shape = 0; shape < 3; ++shape) {
      std::vector<std::int64_t> values;
      for (std::size_t k = 0; k < n; ++k) {
        const auto v = shape == 0   ? static_cast<std::int64_t>(draw() % 40)  // ties, exact range
                       : shape == 1 ? static_cast<std::int64_t>(std::min(wide(draw), 1e17))
                                    : Histogram::highest_trackable_value - 3 +
                                          static_cast<std::int64_t>(draw() % 8);  // at the top
        values.push_back(v);
      }
      Histogram h;
      for (const std::int64_t v : values) {
        h.record(v);
      }
      for (const double p : levels) {
        std::vector<std::int64_t> shuffled = values;
        std::shuffle(shuffled.begin(), shuffled.end(), draw);
        INFO("n = " << n << ", shape " << shape << ", p = " << p);
        CHECK(Histogram::value_at_percentile_of(shuffled, p) == h.value_at_percentile(p));
        // Two at once, in either order, in the same passes: as one at a time.
        const std::array<std::int64_t, 2> pair = {h.value_at_percentile(p),
                                                  h.value_at_percentile(99.0)};
        CHECK(Histogram::values_at_percentiles_of(shuffled, std::array{p, 99.0}) == pair);
        CHECK(Histogram::values_at_percentiles_of(shuffled, std::array{99.0, p}) ==
              std::array{pair[1], pair[0]});
      }
    }
  }
}
