#pragma once
/// Fitting one of tailsim's distributions to observed durations (SPEC.md,
/// `tailsim import`: each endpoint's own time and each network time).
///
/// The candidates are an exponential, a lognormal and a gamma (each by
/// maximum likelihood), a mixture of two lognormals (expectation
/// maximisation) and, when none of them fits, the samples themselves as an
/// `empirical` file. Goodness of fit is the Kolmogorov-Smirnov distance D
/// between the samples and the distribution as written (parsed back, so that
/// rounding of the text counts), against the whole nanoseconds the engine
/// draws. docs/import.md, "Fitting own times", states the selection rule.

#include <cstddef>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tailsim/core/time.hpp"
#include "tailsim/model/distribution.hpp"

namespace tailsim::import {

/// The forms a fit may take.
enum class FitFamily {
  constant,
  exponential,
  lognormal,
  gamma,
  /// `mix(P% 0s, Q% FAMILY)`: a share of zeros (a span its children cover
  /// whole) and a single family fitted to the rest.
  zero_mixture,
  /// Two lognormals.
  mixture,
  empirical
};

/// The family's name in comments: as the model format spells it (`exp`,
/// `lognormal`, `gamma`, `mix`, `empirical`), `zero mix` or `constant`.
[[nodiscard]] std::string_view family_name(FitFamily family);

/// A lognormal: the mean and standard deviation of ln(nanoseconds).
struct LogNormalParams {
  double mu = 0;
  double sigma = 0;
};

/// A gamma by its mean and shape (cv = 1 / sqrt(shape)).
struct GammaParams {
  double mean_ns = 0;
  double shape = 1;
};

/// Two lognormals; `weight` is the first part's, the more probable one.
struct MixtureParams {
  double weight = 1;
  LogNormalParams first;
  LogNormalParams second;
};

/// Zeros and a single family fitted to the positive samples.
struct ZeroMixParams {
  double zero_share = 0;
  FitFamily part = FitFamily::exponential;
  std::string part_text;  ///< the positive samples' distribution, as written
};

/// One candidate as fitted, written and measured.
struct FitCandidate {
  FitFamily family = FitFamily::empirical;
  /// The distribution in the model format; empty when the candidate could
  /// not be fitted or written (too few distinct values, a duration beyond
  /// what tailsim counts).
  std::string text;
  /// Kolmogorov-Smirnov distance of the written distribution from the
  /// samples (1 when not fitted).
  double ks_distance = 1;
  /// Bayesian information criterion, parameters x ln(n) - 2 ln(likelihood),
  /// on the samples in nanoseconds; lower is better. Infinite for the
  /// zero mix (an atom has no density), the empirical candidate and one not
  /// fitted.
  double bic = std::numeric_limits<double>::infinity();

  [[nodiscard]] bool is_usable() const { return !text.empty(); }
};

/// How the caller wants the result written.
struct FitOptions {
  /// The file `empirical(...)` names, relative to the model's folder, that
  /// the caller writes with write_empirical_file(). Quoted in the text when
  /// it holds other characters than letters, digits, `.`, `_`, `-` and `/`.
  std::string empirical_file = "samples.csv";
};

/// The chosen distribution and how every candidate fared.
struct DistributionFit {
  FitFamily family = FitFamily::constant;
  /// The chosen distribution in the model format (`lognormal(median=2ms,
  /// p99=20ms)`, `empirical(samples.csv)`).
  std::string text;
  /// The chosen fit's Kolmogorov-Smirnov distance from the samples.
  double ks_distance = 0;
  /// The largest distance a parametric fit may have: ks_threshold(n).
  double threshold = 1;
  /// How many samples were fitted.
  std::size_t n = 0;
  /// How many samples were negative and counted as zero.
  std::size_t negatives = 0;

  /// The estimates of each family (meaningful when its candidate is usable).
  double constant_ns = 0;
  double exponential_mean_ns = 0;
  LogNormalParams lognormal;
  GammaParams gamma;
  MixtureParams mixture;
  ZeroMixParams zero_mixture;

  /// Exponential, lognormal, gamma, zero mix, mixture and empirical, in that order;
  /// empty when all samples are equal (the fit is then a constant).
  std::vector<FitCandidate> candidates;
};

/// Fits `samples` (nanoseconds, any order, at least one). Negative samples
/// (clock skew between hosts) count as zero. Never fails: when no family
/// fits, the result is `empirical(options.empirical_file)` and the caller
/// writes the samples there with write_empirical_file().
DistributionFit fit_distribution(std::span<const Duration> samples, const FitOptions& options = {});

/// The Kolmogorov-Smirnov distance above which a parametric fit is refused:
/// the test's 1% critical value 1.6276 / sqrt(n), but never below 0.02 (two
/// points of probability at any quantile), since with tens of thousands of
/// samples the test rejects differences too small to change a simulation.
[[nodiscard]] double ks_threshold(std::size_t n);

/// One line for the model's comment: the family, n, the KS distance and the
/// threshold, and the other candidates' distances, e.g. `lognormal fit to
/// 10000 samples, KS distance 0.00786 (limit 0.02, exp 0.0651, gamma 0.0719,
/// mix 0.0063)`.
[[nodiscard]] std::string fit_comment(const DistributionFit& fit);

/// P(X <= x) for a draw of `dist` before the engine rounds it to whole
/// nanoseconds (an empirical or constant draw is whole already).
[[nodiscard]] double distribution_cdf(const model::DistSpec& dist, double x_ns);

/// The Kolmogorov-Smirnov distance sup |F_n(k) - G(k)| between the samples'
/// empirical CDF F_n and the CDF G of the whole nanoseconds the engine draws
/// from `dist` (G(k) = distribution_cdf(dist, k + 0.5)), exact over all k.
/// `sorted` is in ascending order and not empty.
[[nodiscard]] double ks_distance(std::span<const Duration> sorted, const model::DistSpec& dist);

/// The most lines an empirical file gets. More samples are thinned to this
/// many order statistics at evenly spaced ranks, which moves the empirical
/// CDF by at most 1/max_empirical_samples.
inline constexpr std::size_t max_empirical_samples = 100'000;

/// The content of an empirical file for `samples`: a `#` comment line, then
/// one duration per line in ascending order, as `empirical(FILE)` reads it.
[[nodiscard]] std::string format_empirical_file(std::span<const Duration> samples);

/// Writes format_empirical_file(samples) to `path`, whole or not at all.
/// Throws std::runtime_error with the reason when it cannot.
void write_empirical_file(const std::filesystem::path& path, std::span<const Duration> samples);

}  // namespace tailsim::import
