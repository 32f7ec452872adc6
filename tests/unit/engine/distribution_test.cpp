#include "tailsim/engine/distribution.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include <catch2/catch.hpp>

using tailsim::Duration;
using tailsim::engine::Distribution;
using tailsim::engine::RandomStream;
using namespace std::chrono_literals;

namespace {

constexpr int sample_size = 200000;
constexpr double z = 4.5;  // standard errors allowed: fixed seed, never flakes by chance

std::vector<double> draw(const Distribution& d, std::uint64_t seed) {
  RandomStream rng(seed);
  std::vector<double> xs(sample_size);
  for (auto& x : xs) {
    x = static_cast<double>(d.sample(rng).count());
  }
  std::sort(xs.begin(), xs.end());
  return xs;
}

/// The sample mean is within z standard errors of the true mean.
void check_mean(const std::vector<double>& xs, double mean, double sd) {
  double sum = 0;
  for (double x : xs) {
    sum += x;
  }
  INFO("sample mean " << sum / sample_size << ", expected " << mean);
  CHECK(std::abs(sum / sample_size - mean) <= z * sd / std::sqrt(sample_size) + 1.0);
}

/// The exact CDF at the sample p-quantile lies within z binomial standard
/// errors of p: F(x_p) in [p - z sqrt(p(1-p)/n), p + z sqrt(p(1-p)/n)], n the sample size.
void check_quantile(const std::vector<double>& xs, double p,
                    const std::function<double(double)>& cdf) {
  const double x = xs[static_cast<std::size_t>(p * sample_size)];
  const double band = z * std::sqrt(p * (1 - p) / sample_size) + 1e-4;
  INFO("p = " << p << ", sample quantile " << x << ", cdf there " << cdf(x));
  CHECK(std::abs(cdf(x) - p) <= band);
}

double phi(double x) {
  return 0.5 * std::erfc(-x / std::sqrt(2.0));
}

}  // namespace

TEST_CASE("constant and uniform", "[distribution_sampler]") {
  RandomStream rng(1);
  CHECK(Distribution::constant(3ms).sample(rng) == 3ms);
  const auto xs = draw(Distribution::uniform(1ms, 3ms), 2);
  check_mean(xs, 2e6, 2e6 / std::sqrt(12.0));
  check_quantile(xs, 0.5, [](double x) { return (x - 1e6) / 2e6; });
  check_quantile(xs, 0.99, [](double x) { return (x - 1e6) / 2e6; });
  CHECK(xs.front() >= 1e6);
  CHECK(xs.back() <= 3e6);
}

TEST_CASE("exponential", "[distribution_sampler]") {
  const auto xs = draw(Distribution::exponential(2ms), 3);
  check_mean(xs, 2e6, 2e6);
  auto cdf = [](double x) { return 1 - std::exp(-x / 2e6); };
  check_quantile(xs, 0.5, cdf);
  check_quantile(xs, 0.99, cdf);
}

TEST_CASE("normal truncated at zero", "[distribution_sampler]") {
  const auto d = Distribution::normal(5ms, 1ms);
  const auto xs = draw(d, 4);
  check_mean(xs, d.mean_ns(), 1e6);
  auto cdf = [](double x) { return phi((x - 5e6) / 1e6); };
  check_quantile(xs, 0.5, cdf);
  check_quantile(xs, 0.99, cdf);
  // Mostly below zero: every draw still lands at or above it.
  const auto low = draw(Distribution::normal(1ms, 2ms), 5);
  CHECK(low.front() >= 0);
}

TEST_CASE("lognormal", "[distribution_sampler]") {
  const double mu = std::log(2e6);
  const double sigma = 1.0;
  const auto d = Distribution::lognormal(mu, sigma);
  const auto xs = draw(d, 6);
  const double sd = d.mean_ns() * std::sqrt(std::exp(sigma * sigma) - 1);
  check_mean(xs, d.mean_ns(), sd);
  auto cdf = [&](double x) { return phi((std::log(x) - mu) / sigma); };
  check_quantile(xs, 0.5, cdf);
  check_quantile(xs, 0.99, cdf);
}

TEST_CASE("gamma and erlang", "[distribution_sampler]") {
  const auto g = draw(Distribution::gamma(4.0, 2ms), 7);  // cv 0.5
  check_mean(g, 2e6, 1e6);
  const auto e = draw(Distribution::erlang(4, 2ms), 8);
  check_mean(e, 2e6, 1e6);
  // Erlang(4, rate 2/ms): CDF 1 - sum_{k<4} e^{-lx} (lx)^k / k!.
  auto cdf = [](double x) {
    const double lx = 4.0 * x / 2e6;
    double term = 1;
    double sum = 1;
    for (int k = 1; k < 4; ++k) {
      term *= lx / k;
      sum += term;
    }
    return 1 - std::exp(-lx) * sum;
  };
  check_quantile(e, 0.5, cdf);
  check_quantile(e, 0.99, cdf);
  check_quantile(g, 0.5, cdf);
}

TEST_CASE("pareto and weibull", "[distribution_sampler]") {
  const auto p = Distribution::pareto(1ms, 3.0);
  const auto xs = draw(p, 9);
  // alpha 3: mean 1.5 ms, variance alpha m^2 / ((alpha-1)^2 (alpha-2)) = 0.75 ms^2.
  check_mean(xs, 1.5e6, std::sqrt(0.75) * 1e6);
  auto pareto_cdf = [](double x) { return 1 - std::pow(1e6 / x, 3.0); };
  check_quantile(xs, 0.5, pareto_cdf);
  check_quantile(xs, 0.99, pareto_cdf);

  const auto w = Distribution::weibull(2ms, 0.8);
  const auto ws = draw(w, 10);
  const double var = 4e12 * (std::tgamma(1 + 2 / 0.8) - std::pow(std::tgamma(1 + 1 / 0.8), 2));
  check_mean(ws, w.mean_ns(), std::sqrt(var));
  auto weibull_cdf = [](double x) { return 1 - std::exp(-std::pow(x / 2e6, 0.8)); };
  check_quantile(ws, 0.5, weibull_cdf);
  check_quantile(ws, 0.99, weibull_cdf);
}

TEST_CASE("mixture and empirical", "[distribution_sampler]") {
  std::vector<Distribution> parts{Distribution::exponential(1ms), Distribution::exponential(40ms)};
  const auto m = Distribution::mixture({0.9, 0.1}, std::move(parts));
  CHECK(m.mean_ns() == Approx(0.9e6 + 4e6));
  const auto xs = draw(m, 11);
  const double second_moment = 0.9 * 2e12 + 0.1 * 2 * 1.6e15;
  check_mean(xs, m.mean_ns(), std::sqrt(second_moment - m.mean_ns() * m.mean_ns()));
  auto cdf = [](double x) {
    return 0.9 * (1 - std::exp(-x / 1e6)) + 0.1 * (1 - std::exp(-x / 4e7));
  };
  check_quantile(xs, 0.5, cdf);
  check_quantile(xs, 0.99, cdf);

  const auto e = Distribution::empirical({1ms, 2ms, 3ms, 4ms});
  CHECK(e.mean_ns() == Approx(2.5e6));
  const auto es = draw(e, 12);
  check_mean(es, 2.5e6, std::sqrt(1.25) * 1e6);
  CHECK(es.front() == 1e6);
  CHECK(es.back() == 4e6);
}
