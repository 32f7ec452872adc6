#pragma once
/// Zipf-distributed keys 1..n in O(1) expected time per draw, by
/// rejection-inversion (W. Hörmann and G. Derflinger, "Rejection-inversion to
/// generate variates from monotone discrete distributions", ACM TOMACS 6(3),
/// 1996): P(k) is proportional to k^-s, for any exponent s > 0.

#include <cstdint>

#include "tailsim/engine/random_stream.hpp"

namespace tailsim::engine {

class ZipfSampler {
 public:
  ZipfSampler(std::uint64_t n, double exponent);

  /// A key in 1..n.
  std::uint64_t sample(RandomStream& rng) const;

 private:
  /// H(x) = ((x)^(1-s) - 1) / (1 - s), or ln(x) when s = 1: the integral of x^-s.
  [[nodiscard]] double h(double x) const;
  [[nodiscard]] double h_inverse(double x) const;

  double n_;
  double s_;
  double h_integral_x1_;
  double h_integral_n_;
  double threshold_;
};

}  // namespace tailsim::engine
