#pragma once
/// A compiled distribution of durations, sampled in the hot loop: a kind and
/// its parameters in nanoseconds, dispatched by a `switch`. No virtual call,
/// no allocation per sample.

#include <cmath>
#include <cstdint>
#include <vector>

#include "tailsim/core/time.hpp"
#include "tailsim/engine/random_stream.hpp"

namespace tailsim::engine {

enum class DistributionKind : std::uint8_t {
  constant,
  exponential,
  uniform,
  normal,
  lognormal,
  gamma,
  erlang,
  pareto,
  weibull,
  mixture,
  empirical
};

class Distribution {
 public:
  static Distribution constant(Duration value);
  static Distribution exponential(Duration mean);
  static Distribution uniform(Duration low, Duration high);
  /// Normal, truncated at zero by drawing again.
  static Distribution normal(Duration mean, Duration sd);
  /// Lognormal with the parameters of ln(nanoseconds).
  static Distribution lognormal(double mu, double sigma);
  static Distribution gamma(double shape, Duration mean);
  static Distribution erlang(int k, Duration mean);
  static Distribution pareto(Duration min, double alpha);
  static Distribution weibull(Duration scale, double shape);
  /// Weights need not be normalised.
  static Distribution mixture(const std::vector<double>& weights, std::vector<Distribution> parts);
  /// Draws uniformly among the samples.
  static Distribution empirical(const std::vector<Duration>& samples);

  Distribution() = default;

  /// One draw, rounded to a whole, non-negative number of nanoseconds. The
  /// exponential and the lognormal, by far the most common in models (service
  /// times, network latency), are drawn inline, and the draw is inlined where
  /// a step samples: left to GCC, it stayed a call from the hot handlers
  /// (bench/README.md, "Hot handlers inline").
  [[gnu::always_inline]] Duration sample(RandomStream& rng) const {
    if (kind_ == DistributionKind::exponential) {
      return round_ns(rng.exponential(a_));  // finite and >= 0: u is in (0, 1)
    }
    if (kind_ == DistributionKind::lognormal) {
      return round_ns(std::exp(a_ + b_ * rng.normal()));  // > 0, +inf at worst
    }
    return sample_other(rng);
  }
  /// The mean in nanoseconds.
  [[nodiscard]] double mean_ns() const;
  [[nodiscard]] DistributionKind kind() const { return kind_; }

 private:
  /// What int64 nanoseconds hold (292 years), with room: a heavy tail must not overflow.
  static constexpr double max_ns = 9.0e18;

  /// A draw that is not NaN and not below zero, in whole nanoseconds (+inf
  /// and anything past max_ns become max_ns).
  static Duration round_ns(double x) {
    return Duration{static_cast<std::int64_t>((x < max_ns ? x : max_ns) + 0.5)};
  }
  Duration sample_other(RandomStream& rng) const;
  double draw(RandomStream& rng) const;

  DistributionKind kind_ = DistributionKind::constant;
  double a_ = 0;                       ///< constant value, mean, low, mu, shape, k, min or scale
  double b_ = 0;                       ///< high, sd, sigma, scale, alpha or shape
  std::vector<double> cumulative_;     ///< mixture weights, normalised, cumulative
  std::vector<Distribution> parts_;    ///< mixture parts
  std::vector<std::int64_t> samples_;  ///< empirical
};

}  // namespace tailsim::engine
