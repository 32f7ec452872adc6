#include "tailsim/stats/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>

#include "tailsim/engine/random_stream.hpp"

using tailsim::stats::Histogram;

TEST_CASE("percentiles are within 1% of the exact ones from 1 us to 1 h", "[histogram]") {
  tailsim::engine::RandomStream rng(5);
  Histogram h;
  std::vector<std::int64_t> values;
  for (int i = 0; i < 1000000; ++i) {
    // Log-uniform between 1 us and 1 h.
    const double x = std::exp(std::log(1e3) + rng.uniform() * (std::log(3.6e12) - std::log(1e3)));
    values.push_back(static_cast<std::int64_t>(x));
    h.record(values.back());
  }
  std::sort(values.begin(), values.end());
  for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99}) {
    const auto rank =
        static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size()))) - 1;
    const double exact = static_cast<double>(values[rank]);
    INFO("p" << p);
    CHECK(std::abs(static_cast<double>(h.value_at_percentile(p)) - exact) <= 0.01 * exact);
  }
  CHECK(h.count() == values.size());
  CHECK(h.min() == values.front());
  CHECK(h.max() == values.back());
  CHECK(h.value_at_percentile(100) == values.back());
}

TEST_CASE("mean is exact and merging equals recording all in one", "[histogram]") {
  Histogram a;
  Histogram b;
  Histogram all;
  long double sum = 0;
  for (std::int64_t v = 1; v <= 100000; v += 7) {
    (v % 2 ? a : b).record(v * 1013);
    all.record(v * 1013);
    sum += static_cast<long double>(v * 1013);
  }
  a.merge(b);
  CHECK(a.count() == all.count());
  CHECK(a.mean() == all.mean());
  CHECK(a.mean() ==
        Approx(static_cast<double>(sum / static_cast<long double>(all.count()))).epsilon(1e-12));
  CHECK(a.min() == all.min());
  CHECK(a.max() == all.max());
  for (double p : {0.0, 25.0, 50.0, 99.0, 100.0}) {
    CHECK(a.value_at_percentile(p) == all.value_at_percentile(p));
  }
}

TEST_CASE("edge cases: empty, zero, single value, overflow", "[histogram]") {
  Histogram h;
  CHECK(h.value_at_percentile(50) == 0);
  CHECK(h.mean() == 0);
  h.record(0);
  CHECK(h.value_at_percentile(50) == 0);
  h.clear();
  h.record(1);
  CHECK(h.value_at_percentile(0) == 1);
  CHECK(h.value_at_percentile(100) == 1);
  h.clear();
  const std::int64_t ten_hours = 36'000'000'000'000;
  h.record(ten_hours);
  CHECK(h.overflow() == 1);
  CHECK(h.max() == ten_hours);
  CHECK(h.mean() == Approx(static_cast<double>(ten_hours)));
}

TEST_CASE("the percentile distribution climbs to 100%", "[histogram]") {
  Histogram h;
  for (std::int64_t v = 1; v <= 10000; ++v) {
    h.record(v * 1000);
  }
  const auto rows = h.percentile_distribution(5);
  REQUIRE(rows.size() > 10);
  for (std::size_t i = 1; i < rows.size(); ++i) {
    CHECK(rows[i].percentile >= rows[i - 1].percentile);
    CHECK(rows[i].value >= rows[i - 1].value);
    CHECK(rows[i].total_count >= rows[i - 1].total_count);
  }
  CHECK(rows.back().percentile == 100.0);
  CHECK(rows.back().total_count == h.count());
  CHECK(rows.back().value == h.max());
}
