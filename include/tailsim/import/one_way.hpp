#pragma once
/// The one-way network latency of a pair of services, from round trips.
///
/// A traced call is timed at both ends: the client's span less the server's
/// is the round trip R = X1 + X2, the request's way and the response's, two
/// independent draws of the one-way latency X the model writes. So the model
/// needs the law whose sum of two draws is R's, not R's own law halved.
///
/// Within the lognormal family X = e^(mu + sigma N) the mean is exact: R's
/// mean is twice X's. The spread is not: the sum of two lognormals has no
/// closed form. Two candidates, each exact in two of R's figures:
///
/// - **from the variance** (Fenton and Wilkinson's moment match, IRE Trans.
///   Commun. Syst. 8(1), 1960): R's variance is twice X's, so X's coefficient
///   of variation is sqrt(2) times R's;
/// - **from the median**: the sigma for which the median of X1 + X2 is R's,
///   found numerically (the median over the mean of a sum of two lognormals
///   falls as sigma grows).
///
/// A heavy-tailed round trip (a fast body, a rare slow tail) has a variance
/// the tail makes: the first candidate then puts the median far below R's.
/// The median's is kept when its sum is nearer the round trips by the
/// Kolmogorov-Smirnov distance and its sigma is no larger than the
/// variance's (a larger one would make the sum vary more than the round
/// trips do). docs/import.md, "Each latency of `network`", states the rule.

#include <optional>
#include <span>

#include "tailsim/core/time.hpp"
#include "tailsim/import/fit.hpp"

namespace tailsim::import {

/// P(Z1 + Z2 <= s) for two independent draws of e^(sigma N), N a standard
/// normal: the integral over Z1 of its density times P(Z2 <= s - Z1), by
/// Simpson's rule over 400 intervals (within 1e-7 of the same rule over
/// 200,000, for sigma from 0.001 to 6 and s from 2 e^(-6 sigma) to 2 e^(6 sigma)).
[[nodiscard]] double lognormal_pair_sum_cdf(double sigma, double s);

/// Which of the two candidates a one-way fit kept.
enum class OneWaySpread {
  variance,  ///< X's cv is sqrt(2) times the round trips'
  median     ///< the sum's median is the round trips'
};

/// A one-way lognormal and how the two candidates fared.
struct OneWayFit {
  LogNormalParams params;  ///< of ln(nanoseconds)
  OneWaySpread spread = OneWaySpread::variance;
  /// The Kolmogorov-Smirnov distance of X1 + X2 from the round trips, for the
  /// kept candidate and for the variance's (the same when it is kept).
  double ks_distance = 1;
  double variance_ks_distance = 1;
  /// X's coefficient of variation, sqrt(e^(sigma^2) - 1).
  [[nodiscard]] double cv() const;
};

/// Fits X to `round_trips` (nanoseconds, any order; negative ones, from
/// clock skew, count as zero). None when they have no spread: fewer than two,
/// a mean not above zero, or all equal.
[[nodiscard]] std::optional<OneWayFit> fit_one_way_lognormal(std::span<const Duration> round_trips);

}  // namespace tailsim::import
