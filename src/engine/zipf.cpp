#include "tailsim/engine/zipf.hpp"

#include <algorithm>
#include <cmath>

namespace tailsim::engine {
namespace {

/// log1p(x) / x, continuous at 0.
double helper1(double x) {
  return std::abs(x) > 1e-8 ? std::log1p(x) / x : 1.0 - x / 2.0;
}
/// expm1(x) / x, continuous at 0.
double helper2(double x) {
  return std::abs(x) > 1e-8 ? std::expm1(x) / x : 1.0 + x / 2.0;
}

}  // namespace

ZipfSampler::ZipfSampler(std::uint64_t n, double exponent)
    : n_(static_cast<double>(std::max<std::uint64_t>(n, 1))), s_(exponent) {
  h_integral_x1_ = h(1.5) - 1.0;
  h_integral_n_ = h(n_ + 0.5);
  threshold_ = 2.0 - h_inverse(h(2.5) - std::pow(2.0, -s_));
}

double ZipfSampler::h(double x) const {
  const double log_x = std::log(x);
  return helper2((1.0 - s_) * log_x) * log_x;
}

double ZipfSampler::h_inverse(double x) const {
  double t = x * (1.0 - s_);
  t = std::max(t, -1.0);
  return std::exp(helper1(t) * x);
}

std::uint64_t ZipfSampler::sample(RandomStream& rng) const {
  if (n_ <= 1.0) {
    return 1;
  }
  for (;;) {
    const double u = h_integral_n_ + rng.uniform() * (h_integral_x1_ - h_integral_n_);
    const double x = h_inverse(u);
    double k = std::floor(x + 0.5);
    k = std::clamp(k, 1.0, n_);
    // Accept k when u is under the hat at k (the common case), or at once
    // when x is close enough to k.
    if (k - x <= threshold_ || u >= h(k + 0.5) - std::pow(k, -s_)) {
      return static_cast<std::uint64_t>(k);
    }
  }
}

}  // namespace tailsim::engine
