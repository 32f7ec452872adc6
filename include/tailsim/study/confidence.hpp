#pragma once
/// Confidence intervals for the mean of independent replications: Student's
/// t at 95%, written out so tailsim needs no statistics library.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>

namespace tailsim::study {

/// The two-sided 95% critical value of Student's t with `df` degrees of
/// freedom, t(0.975, df): exact to ten digits from a table up to 30 degrees
/// of freedom, then the Cornish-Fisher expansion of the normal quantile
/// (Abramowitz and Stegun 26.7.5, four terms), whose error there is below
/// 1e-6. `df` must be at least 1.
double t_critical_95(std::uint64_t df);

/// A mean over `n` replications with its 95% confidence half-width
/// t(0.975, n - 1) x s / sqrt(n). With fewer than two replications there is
/// no interval: `half_width` is NaN.
struct Estimate {
  double mean = std::numeric_limits<double>::quiet_NaN();
  double half_width = std::numeric_limits<double>::quiet_NaN();
  std::size_t n = 0;

  [[nodiscard]] bool has_interval() const { return n >= 2; }
  [[nodiscard]] double low() const { return mean - half_width; }
  [[nodiscard]] double high() const { return mean + half_width; }
};

/// The mean of `samples` and its 95% confidence half-width. A NaN sample
/// (a metric a replication could not measure) makes the mean NaN. Samples
/// that are all equal give exactly that value and a half-width of 0.
Estimate estimate_mean(std::span<const double> samples);

/// The estimate over the samples that are not NaN (the replications that
/// measured the metric); `n` counts them, and with none the mean is NaN.
Estimate estimate_measured(std::span<const double> samples);

}  // namespace tailsim::study
