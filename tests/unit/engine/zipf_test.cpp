#include "tailsim/engine/zipf.hpp"

#include <cmath>
#include <vector>

#include <catch2/catch.hpp>

using tailsim::engine::RandomStream;
using tailsim::engine::ZipfSampler;

namespace {

/// Checks the frequencies of ranks 1..5 and of ranks above 100 against the
/// exact normalised pmf, each within 4.5 binomial standard deviations.
void check_zipf(std::uint64_t n, double s) {
  ZipfSampler zipf(n, s);
  RandomStream rng(17);
  constexpr int draws = 200000;
  std::vector<int> counts(n + 1, 0);
  for (int i = 0; i < draws; ++i) {
    const auto k = zipf.sample(rng);
    REQUIRE(k >= 1);
    REQUIRE(k <= n);
    ++counts[k];
  }
  double norm = 0;
  for (std::uint64_t k = 1; k <= n; ++k) {
    norm += std::pow(static_cast<double>(k), -s);
  }
  auto check = [&](double p, double observed) {
    const double sd = std::sqrt(draws * p * (1 - p));
    CHECK(std::abs(observed - draws * p) <= 4.5 * sd + 1);
  };
  for (std::uint64_t k = 1; k <= 5; ++k) {
    INFO("s=" << s << " rank " << k);
    check(std::pow(static_cast<double>(k), -s) / norm, counts[k]);
  }
  double tail_p = 0;
  double tail_count = 0;
  for (std::uint64_t k = 101; k <= n; ++k) {
    tail_p += std::pow(static_cast<double>(k), -s) / norm;
    tail_count += counts[k];
  }
  INFO("s=" << s << " ranks above 100");
  check(tail_p, tail_count);
}

}  // namespace

TEST_CASE("zipf frequencies follow k^-s", "[zipf]") {
  check_zipf(1000, 0.99);
  check_zipf(1000, 1.0);
  check_zipf(1000, 1.5);
  check_zipf(1000, 0.5);
}

TEST_CASE("zipf over one key always gives it", "[zipf]") {
  ZipfSampler zipf(1, 1.2);
  RandomStream rng(1);
  for (int i = 0; i < 100; ++i) {
    CHECK(zipf.sample(rng) == 1);
  }
}
