#include "tailsim/report/hgrm_writer.hpp"

#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace {

using tailsim::report::format_hgrm;
using tailsim::stats::Histogram;

constexpr std::int64_t hgrm_ms = 1'000'000;

const std::string header = "       Value     Percentile TotalCount 1/(1-Percentile)\n\n";
const std::string buckets_line = "#[Buckets =           32, SubBuckets     =         2048]\n";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

/// A row of the spectrum as the plotter reads it: whitespace-separated numbers.
std::vector<double> numbers_of(const std::string& line) {
  std::vector<double> numbers;
  std::istringstream in(line);
  for (double x = 0; in >> x;) {
    numbers.push_back(x);
  }
  return numbers;
}

}  // namespace

TEST_CASE("hgrm of 1..10 ms is HdrHistogram's spectrum, checked by hand", "[hgrm]") {
  Histogram h;
  for (int ms = 1; ms <= 10; ++ms) {
    h.record(ms * hgrm_ms);
  }
  // Levels 0, 10, ... 50, then steps of 5, 2.5 and 1.25 (five per halving of
  // the distance to 100%), a row each while its rank is within the counts.
  // Values are the middle of each value's bucket (e.g. 5 ms lies in
  // [4.997120, 5.001215] ms: 4.999168), the first the exact min, the last
  // the exact max.
  const std::string expected = header +
                               "       1.000 0.000000000000          1           1.00\n"
                               "       1.000 0.100000000000          1           1.11\n"
                               "       2.000 0.200000000000          2           1.25\n"
                               "       2.999 0.300000000000          3           1.43\n"
                               "       4.001 0.400000000000          4           1.67\n"
                               "       4.999 0.500000000000          5           2.00\n"
                               "       5.999 0.550000000000          6           2.22\n"
                               "       5.999 0.600000000000          6           2.50\n"
                               "       6.998 0.650000000000          7           2.86\n"
                               "       6.998 0.700000000000          7           3.33\n"
                               "       8.002 0.750000000000          8           4.00\n"
                               "       8.002 0.775000000000          8           4.44\n"
                               "       8.002 0.800000000000          8           5.00\n"
                               "       8.999 0.825000000000          9           5.71\n"
                               "       8.999 0.850000000000          9           6.67\n"
                               "       8.999 0.875000000000          9           8.00\n"
                               "       8.999 0.887500000000          9           8.89\n"
                               "       8.999 0.900000000000          9          10.00\n"
                               "      10.000 0.912500000000         10          11.43\n"
                               "      10.000 1.000000000000         10\n"
                               "#[Mean    =        5.500, StdDeviation   =        2.872]\n"
                               "#[Max     =       10.000, Total count    =           10]\n" +
                               buckets_line;
  CHECK(format_hgrm(h) == expected);
}

TEST_CASE("hgrm rounds ties half up, as Java's Formatter does", "[hgrm]") {
  // 1.0005 ms is 1.000499999... as a double: C's printf writes 1.000, Java
  // rounds the shortest decimal "1.0005" half up to 1.001.
  Histogram h;
  h.record(1'000'500);
  const std::string expected = header +
                               "       1.001 0.000000000000          1           1.00\n"
                               "       1.001 1.000000000000          1\n"
                               "#[Mean    =        1.001, StdDeviation   =        0.000]\n"
                               "#[Max     =        1.001, Total count    =            1]\n" +
                               buckets_line;
  CHECK(format_hgrm(h) == expected);

  // A carry through every digit: 999.9995 ms rounds to 1000.000.
  Histogram carry;
  carry.record(999'999'500);
  CHECK(format_hgrm(carry).find("\n    1000.000 0.000000000000          1           1.00\n") !=
        std::string::npos);
}

TEST_CASE("hgrm of an empty histogram is the header and a footer of zeros", "[hgrm]") {
  const std::string expected = header +
                               "#[Mean    =        0.000, StdDeviation   =        0.000]\n"
                               "#[Max     =        0.000, Total count    =            0]\n" +
                               buckets_line;
  CHECK(format_hgrm(Histogram{}) == expected);
}

TEST_CASE("hgrm of a large histogram: monotone rows, a last row at 1.0, counts", "[hgrm]") {
  // 200,000 values log-uniform between 50 us and 20 s.
  std::mt19937_64 rng(7);
  Histogram h;
  const double low = std::log(50'000.0);
  const double high = std::log(20e9);
  constexpr std::uint64_t n = 200'000;
  for (std::uint64_t i = 0; i < n; ++i) {
    const double u = static_cast<double>(rng() >> 11) * 0x1p-53;
    h.record(static_cast<std::int64_t>(std::exp(low + u * (high - low))));
  }
  const std::string text = format_hgrm(h);
  const auto lines = lines_of(text);
  const auto rows = h.percentile_distribution(5);
  REQUIRE(lines.size() == 2 + rows.size() + 3);
  CHECK(lines[0] + "\n" + lines[1] + "\n" == header);

  double previous_value = -1;
  double previous_percentile = -1;
  double previous_count = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string& line = lines[2 + i];
    INFO(line);
    const auto numbers = numbers_of(line);
    const bool is_last = i + 1 == rows.size();
    REQUIRE(numbers.size() == (is_last ? 3U : 4U));
    CHECK(line.size() == (is_last ? 38U : 53U));  // %12.3f %2.12f %10d [%14.2f]
    const double value = numbers[0];
    const double percentile = numbers[1];
    const double count = numbers[2];
    CHECK(value >= previous_value);
    CHECK(percentile > previous_percentile);
    CHECK(count >= previous_count);
    CHECK(count >= percentile * static_cast<double>(n) - 1e-6);  // the row's level is reached
    CHECK(
        value ==
        Approx(static_cast<double>(h.value_at_percentile(percentile * 100)) / 1e6).margin(0.0005));
    if (!is_last) {
      CHECK(numbers[3] == Approx(1 / (1 - percentile)).epsilon(0.01).margin(0.005));
    }
    previous_value = value;
    previous_percentile = percentile;
    previous_count = count;
  }
  CHECK(lines[2 + rows.size() - 1].substr(13, 14) == "1.000000000000");
  CHECK(previous_count == static_cast<double>(n));
  CHECK(previous_value == Approx(static_cast<double>(h.max()) / 1e6).margin(0.0005));
  // Finer steps near the tail: rows past 99.9% exist.
  CHECK(rows[rows.size() - 2].percentile > 99.9);

  const auto footer = std::vector<std::string>(lines.end() - 3, lines.end());
  CHECK(footer[0].rfind("#[Mean    = ", 0) == 0);
  CHECK(footer[1].rfind("#[Max     = ", 0) == 0);
  CHECK(std::stod(footer[1].substr(12, 12)) ==
        Approx(static_cast<double>(h.max()) / 1e6).margin(0.0005));
  CHECK(footer[1].find("Total count    =       200000]") != std::string::npos);
  CHECK(footer[2] + "\n" == buckets_line);
}
