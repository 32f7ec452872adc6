#include "tailsim/study/confidence.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include <catch2/catch.hpp>

using tailsim::study::estimate_mean;
using tailsim::study::estimate_measured;
using tailsim::study::t_critical_95;

TEST_CASE("t(0.975, df) matches R's qt at known degrees of freedom", "[study][confidence]") {
  // qt(0.975, df) in R, to ten digits.
  const std::vector<std::pair<std::uint64_t, double>> known = {
      {1, 12.7062047362}, {2, 4.3026527297},  {3, 3.1824463053},   {5, 2.5705818356},
      {10, 2.2281388520}, {29, 2.0452296421}, {30, 2.0422724563},  {31, 2.0395134464},
      {40, 2.0210753903}, {60, 2.0002978220}, {120, 1.9799304051}, {1000, 1.9623390808}};
  for (const auto& [df, t] : known) {
    INFO("df = " << df);
    CHECK(t_critical_95(df) == Approx(t).epsilon(1e-6));
  }
}

TEST_CASE("t(0.975, df) falls toward the normal quantile as df grows", "[study][confidence]") {
  for (std::uint64_t df = 1; df < 500; ++df) {
    INFO("df = " << df);
    CHECK(t_critical_95(df + 1) < t_critical_95(df));
  }
  CHECK(t_critical_95(1'000'000) == Approx(1.959963984540054).epsilon(1e-5));
}

TEST_CASE("estimate_mean is t x s / sqrt(n) around the sample mean", "[study][confidence]") {
  const std::vector<double> samples = {1, 2, 3, 4, 5};
  const auto e = estimate_mean(samples);
  CHECK(e.n == 5);
  CHECK(e.mean == Approx(3));
  // s^2 = (4 + 1 + 0 + 1 + 4) / 4 = 2.5
  CHECK(e.half_width == Approx(2.7764451052 * std::sqrt(2.5) / std::sqrt(5.0)));
  CHECK(e.low() == Approx(3 - e.half_width));

  const std::vector<double> one = {7};
  const auto single = estimate_mean(one);
  CHECK(single.mean == 7);
  CHECK_FALSE(single.has_interval());
  CHECK(std::isnan(single.half_width));

  const std::vector<double> with_nan = {1, std::numeric_limits<double>::quiet_NaN()};
  CHECK(std::isnan(estimate_mean(with_nan).mean));
}

TEST_CASE("estimate_measured leaves out what a replication could not measure",
          "[study][confidence]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> samples = {1, nan, 2, 3, nan, 4, 5};
  const auto e = estimate_measured(samples);
  const std::vector<double> measured = {1, 2, 3, 4, 5};
  const auto expected = estimate_mean(measured);
  CHECK(e.n == 5);
  CHECK(e.mean == expected.mean);
  CHECK(e.half_width == expected.half_width);

  const std::vector<double> none = {nan, nan};
  CHECK(estimate_measured(none).n == 0);
  CHECK(std::isnan(estimate_measured(none).mean));
}

TEST_CASE("equal samples give exactly their value and a half-width of 0", "[study][confidence]") {
  // 0.4 + 0.4 + 0.4 is 1.2000000000000002 in binary: divided by 3 it is not
  // 0.4, and the spread around it is not 0.
  const std::vector<double> same = {0.4, 0.4, 0.4};
  const auto e = tailsim::study::estimate_mean(same);
  CHECK(e.mean == 0.4);
  CHECK(e.half_width == 0);
  CHECK(e.n == 3);
  CHECK(std::isnan(tailsim::study::estimate_mean(std::vector<double>{0.4}).half_width));
}
