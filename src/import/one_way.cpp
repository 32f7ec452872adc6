#include "tailsim/import/one_way.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

// Helpers in a namespace of this file's own: in a unity build other files of
// src/import/ share the translation unit.
namespace tailsim::import::one_way {
namespace {

/// Simpson's rule over this many intervals of ln Z1 / sigma.
constexpr int simpson_intervals = 400;
/// ln Z1 / sigma below this has a density too small to count (1e-18).
constexpr double lowest_u = -9.0;
/// The median's sigma is searched in [lowest_sigma, highest_sigma].
constexpr double lowest_sigma = 1e-3;
constexpr double highest_sigma = 6.0;
constexpr int bisection_steps = 60;
/// The round trips' CDF is compared at this many of their order statistics
/// at most (evenly spaced ranks), which moves the distance by at most its
/// inverse.
constexpr std::size_t max_ks_points = 2048;

double standard_normal_cdf(double z) {
  return 0.5 * std::erfc(-z / std::numbers::sqrt2);
}

double standard_normal_pdf(double z) {
  return std::exp(-0.5 * z * z) / std::sqrt(2 * std::numbers::pi);
}

/// The largest gap between the round trips' empirical CDF and the CDF of
/// e^mu (Z1 + Z2), at (up to max_ks_points of) their order statistics.
double pair_sum_ks_distance(const std::vector<double>& sorted, double mu, double sigma) {
  const std::size_t n = sorted.size();
  const std::size_t points = std::min(n, max_ks_points);
  const double scale = std::exp(-mu);
  const auto count = static_cast<double>(n);
  double distance = 0;
  for (std::size_t k = 0; k < points; ++k) {
    const std::size_t i = points == n ? k : k * (n - 1) / (points - 1);
    const double x = sorted[i];
    // Ties: the empirical CDF jumps from the first equal value's rank to past the last's.
    const auto first = std::lower_bound(sorted.begin(), sorted.end(), x) - sorted.begin();
    const auto past = std::upper_bound(sorted.begin(), sorted.end(), x) - sorted.begin();
    const double model = lognormal_pair_sum_cdf(sigma, x * scale);
    distance = std::max({distance, std::abs(model - static_cast<double>(first) / count),
                         std::abs(model - static_cast<double>(past) / count)});
  }
  return distance;
}

}  // namespace
}  // namespace tailsim::import::one_way

namespace tailsim::import {

double lognormal_pair_sum_cdf(double sigma, double s) {
  using namespace one_way;
  if (!(s > 0)) {
    return 0;
  }
  // Z1 = e^(sigma u), u standard normal. The sum is at most s with the
  // smaller draw below s / 2 (at u_half), so by symmetry
  //   P = integral over u < u_half of phi(u) (2 P(Z2 <= s - Z1) - P(Z2 <= s / 2)),
  // whose integrand is smooth: s - Z1 stays above s / 2, where the plain
  // integral up to Z1 = s has a logarithm's singularity at its end.
  const double u_half = std::log(s / 2) / sigma;
  if (u_half <= lowest_u) {
    return 0;  // at most 2 P(Z1 <= s / 2) < 1e-18
  }
  const double highest = std::min(u_half, -lowest_u);  // beyond, phi is below 1e-18
  const double below_half = standard_normal_cdf(u_half);
  const double h = (highest - lowest_u) / simpson_intervals;
  auto f = [&](double u) {
    return standard_normal_pdf(u) *
           (2 * standard_normal_cdf(std::log(s - std::exp(sigma * u)) / sigma) - below_half);
  };
  double sum = f(lowest_u) + f(highest);
  for (int i = 1; i < simpson_intervals; ++i) {
    sum += (i % 2 == 1 ? 4 : 2) * f(lowest_u + i * h);
  }
  return std::clamp(sum * h / 3, 0.0, 1.0);
}

double OneWayFit::cv() const {
  return std::sqrt(std::expm1(params.sigma * params.sigma));
}

std::optional<OneWayFit> fit_one_way_lognormal(std::span<const Duration> round_trips) {
  using namespace one_way;
  const std::size_t n = round_trips.size();
  if (n < 2) {
    return std::nullopt;
  }
  std::vector<double> sorted;
  sorted.reserve(n);
  for (const Duration d : round_trips) {
    sorted.push_back(static_cast<double>(std::max<std::int64_t>(0, d.count())));
  }
  std::sort(sorted.begin(), sorted.end());
  double sum = 0;
  for (const double x : sorted) {
    sum += x;
  }
  const double mean = sum / static_cast<double>(n);
  double squares = 0;
  for (const double x : sorted) {
    squares += (x - mean) * (x - mean);
  }
  const double cv = mean > 0 ? std::sqrt(squares / static_cast<double>(n)) / mean : 0;
  if (!(cv > 0)) {
    return std::nullopt;
  }
  // X's mean is half the round trips': mu + sigma^2 / 2 = ln(mean / 2).
  const double log_half_mean = std::log(mean / 2);
  auto mu_of = [&](double sigma) { return log_half_mean - sigma * sigma / 2; };

  OneWayFit fit;
  const double variance_sigma = std::sqrt(std::log1p(2 * cv * cv));
  fit.params = {mu_of(variance_sigma), variance_sigma};
  fit.ks_distance = pair_sum_ks_distance(sorted, fit.params.mu, variance_sigma);
  fit.variance_ks_distance = fit.ks_distance;

  // The median's candidate: the sigma at which P(X1 + X2 <= the round trips'
  // median) is a half. In units of e^mu the median is (median / mean) x 2 e^(sigma^2 / 2);
  // the probability below it rises with sigma.
  const double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const double ratio = median / mean;
  auto below_median = [&](double sigma) {
    return lognormal_pair_sum_cdf(sigma, ratio * 2 * std::exp(sigma * sigma / 2)) - 0.5;
  };
  if (!(ratio > 0 && ratio < 1) || below_median(lowest_sigma) >= 0 ||
      below_median(highest_sigma) <= 0) {
    return fit;  // no sigma gives that median: a sum of lognormals has its median below its mean
  }
  double low = lowest_sigma;
  double high = highest_sigma;
  for (int i = 0; i < bisection_steps; ++i) {
    const double middle = (low + high) / 2;
    (below_median(middle) < 0 ? low : high) = middle;
  }
  const double median_sigma = (low + high) / 2;
  if (median_sigma > variance_sigma) {
    // Its sums would vary more than the round trips do: a tail heavier than
    // the traces', whose rare draws would make a run's means noisier than
    // the traced ones.
    return fit;
  }
  const double median_mu = mu_of(median_sigma);
  const double median_ks = pair_sum_ks_distance(sorted, median_mu, median_sigma);
  if (median_ks < fit.ks_distance) {
    fit.params = {median_mu, median_sigma};
    fit.spread = OneWaySpread::median;
    fit.ks_distance = median_ks;
  }
  return fit;
}

}  // namespace tailsim::import
