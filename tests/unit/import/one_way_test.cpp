#include "tailsim/import/one_way.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

namespace im = tailsim::import;
using tailsim::Duration;

// Draws use fixed seeds, so every assertion is deterministic. Tolerances on
// sampled figures are four standard errors at the sample size (worked out at
// each); those on the integral are its accuracy.

namespace {

/// `n` round trips X1 + X2, each X drawn by `one_way`, in whole nanoseconds.
template <class OneWay>
std::vector<Duration> round_trips(OneWay one_way, std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Duration> samples;
  samples.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double first = one_way(rng);
    samples.emplace_back(std::llround(first + one_way(rng)));
  }
  return samples;
}

double median_of(std::vector<Duration> samples) {
  std::sort(samples.begin(), samples.end());
  const std::size_t n = samples.size();
  return n % 2 == 1 ? static_cast<double>(samples[n / 2].count())
                    : (static_cast<double>(samples[n / 2 - 1].count()) +
                       static_cast<double>(samples[n / 2].count())) /
                          2;
}

double mean_of(const std::vector<Duration>& samples) {
  double sum = 0;
  for (const Duration d : samples) {
    sum += static_cast<double>(d.count());
  }
  return sum / static_cast<double>(samples.size());
}

/// P(X1 + X2 <= x) for the fitted one-way lognormal.
double fitted_cdf(const im::OneWayFit& fit, double x) {
  return im::lognormal_pair_sum_cdf(fit.params.sigma, x * std::exp(-fit.params.mu));
}

}  // namespace

TEST_CASE("The CDF of a sum of two lognormal draws", "[import][network]") {
  SECTION("against 400,000 simulated pairs") {
    // At a fixed point the simulated share has a standard error of at most
    // sqrt(0.25 / 400,000) = 0.00079: four of them are 0.0032.
    for (const double sigma : {0.1, 0.7, 2.0}) {
      std::mt19937_64 rng(11);
      std::normal_distribution<double> normal;
      constexpr int pairs = 400'000;
      const double points[] = {0.5, 1.0, 2.0, 2.2, 3.0, 6.0, 20.0};
      std::vector<int> below(std::size(points), 0);
      for (int i = 0; i < pairs; ++i) {
        const double first = std::exp(sigma * normal(rng));
        const double s = first + std::exp(sigma * normal(rng));
        for (std::size_t p = 0; p < std::size(points); ++p) {
          below[p] += s <= points[p] ? 1 : 0;
        }
      }
      for (std::size_t p = 0; p < std::size(points); ++p) {
        CAPTURE(sigma, points[p]);
        CHECK(im::lognormal_pair_sum_cdf(sigma, points[p]) ==
              Approx(static_cast<double>(below[p]) / pairs).margin(0.0032));
      }
    }
  }
  SECTION("a narrow lognormal sums to a normal about 2") {
    // e^(sigma N) = 1 + sigma N to first order: the sum is 2 + sigma sqrt(2) N.
    const double sigma = 1e-3;
    CHECK(im::lognormal_pair_sum_cdf(sigma, 2.0) == Approx(0.5).margin(1e-3));
    CHECK(im::lognormal_pair_sum_cdf(sigma, 2.0 + sigma * std::sqrt(2.0)) ==
          Approx(0.841345).margin(1e-3));
  }
  SECTION("a distribution function") {
    CHECK(im::lognormal_pair_sum_cdf(0.7, 0.0) == 0.0);
    CHECK(im::lognormal_pair_sum_cdf(0.7, -1.0) == 0.0);
    CHECK(im::lognormal_pair_sum_cdf(0.7, 1e-9) == 0.0);
    CHECK(im::lognormal_pair_sum_cdf(0.7, 1e6) == Approx(1.0).margin(1e-9));
    double previous = 0;
    for (double s = 0.05; s < 50; s *= 1.1) {
      const double p = im::lognormal_pair_sum_cdf(1.3, s);
      CHECK(p >= previous);
      previous = p;
    }
  }
}

TEST_CASE("The one-way lognormal of lognormal round trips", "[import][network]") {
  // X = e^(ln(300 us) + 0.7 N): both candidates estimate sigma = 0.7 without
  // bias. The median's is the noisier: over 100,000 round trips (cv 0.55)
  // the median and the mean have relative standard errors of at most
  // 0.0020 and 0.0017, so their ratio at most 0.0037; the ratio moves by
  // 0.43 of a change of sigma, so sigma's standard error is at most 0.0086,
  // four of them 0.035 (the variance's candidate: 0.004). X's cv moves by
  // 1.46 times sigma: 0.051.
  const double mu = std::log(300e3);
  std::normal_distribution<double> normal;
  const auto samples =
      round_trips([&](auto& rng) { return std::exp(mu + 0.7 * normal(rng)); }, 100'000, 5);
  const auto fit = im::fit_one_way_lognormal(samples);
  REQUIRE(fit);
  CHECK(fit->params.sigma == Approx(0.7).margin(0.035));
  // Two draws have the round trips' mean, whichever candidate is kept.
  CHECK(2 * std::exp(fit->params.mu + fit->params.sigma * fit->params.sigma / 2) ==
        Approx(mean_of(samples)).epsilon(1e-12));
  CHECK(fit->ks_distance <= fit->variance_ks_distance);
  CHECK(fit->cv() == Approx(std::sqrt(std::expm1(0.49))).margin(0.051));
}

TEST_CASE("A heavy-tailed round trip keeps its median one way", "[import][network]") {
  // 99% of one-way draws about 1 ms (sigma 0.5), 1% about 30 ms (sigma 1):
  // the round trips' variance is the slow draws', their median the fast
  // ones'. Sqrt(2) times their cv (3.5) puts the median of two draws well
  // below theirs; the median's candidate has it by construction (to the
  // integral's accuracy), the mean too, and its sum is the nearer (KS
  // distance about 0.19 against 0.48).
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform;
  const auto samples = round_trips(
      [&](auto& rng) {
        const bool slow = uniform(rng) < 0.01;
        return std::exp((slow ? std::log(30e6) : std::log(1e6)) + (slow ? 1.0 : 0.5) * normal(rng));
      },
      20'000, 9);
  const auto fit = im::fit_one_way_lognormal(samples);
  REQUIRE(fit);
  CHECK(fit->spread == im::OneWaySpread::median);
  const double median = median_of(samples);
  CHECK(fitted_cdf(*fit, median) == Approx(0.5).margin(1e-4));
  CHECK(2 * std::exp(fit->params.mu + fit->params.sigma * fit->params.sigma / 2) ==
        Approx(mean_of(samples)).epsilon(1e-12));
  CHECK(fit->ks_distance < fit->variance_ks_distance);

  // The variance's candidate, for comparison: more than 65% of its sums
  // fall below the round trips' median (about 69%).
  double sum = 0;
  double squares = 0;
  const double mean = mean_of(samples);
  for (const Duration d : samples) {
    sum += static_cast<double>(d.count());
    squares += (static_cast<double>(d.count()) - mean) * (static_cast<double>(d.count()) - mean);
  }
  const double cv = std::sqrt(squares / static_cast<double>(samples.size())) / mean;
  const double sigma = std::sqrt(std::log1p(2 * cv * cv));
  const double variance_mu = std::log(mean / 2) - sigma * sigma / 2;
  CHECK(im::lognormal_pair_sum_cdf(sigma, median * std::exp(-variance_mu)) > 0.65);
}

TEST_CASE("Round trips a one-way lognormal cannot be fitted to", "[import][network]") {
  auto ms = [](std::initializer_list<int> values) {
    std::vector<Duration> out;
    for (const int v : values) {
      out.emplace_back(static_cast<std::int64_t>(v) * 1'000'000);
    }
    return out;
  };
  CHECK_FALSE(im::fit_one_way_lognormal(std::vector<Duration>{}));
  CHECK_FALSE(im::fit_one_way_lognormal(ms({3})));
  CHECK_FALSE(im::fit_one_way_lognormal(ms({3, 3, 3})));
  CHECK_FALSE(im::fit_one_way_lognormal(ms({0, 0})));
  CHECK_FALSE(im::fit_one_way_lognormal(std::vector<Duration>{Duration{-5}, Duration{-7}}));
  // A median above the mean: no sum of two lognormal draws has one, so the
  // variance's candidate stays.
  const auto left = im::fit_one_way_lognormal(ms({1, 9, 10, 10, 10}));
  REQUIRE(left);
  CHECK(left->spread == im::OneWaySpread::variance);
  CHECK(left->ks_distance == left->variance_ks_distance);
}
