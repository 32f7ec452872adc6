#include "tailsim/import/fit.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <optional>
#include <utility>

#include <boost/math/policies/policy.hpp>
#include <boost/math/special_functions/digamma.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <boost/math/special_functions/trigamma.hpp>
#include <fmt/format.h>

#include "tailsim/core/duration_text.hpp"
#include "tailsim/model/units.hpp"
#include "tailsim/report/file_output.hpp"

// The helpers live in a namespace of this file's own: in a unity build
// (TAILSIM_UNITY_BUILD) other files of src/import/ share the translation unit.
namespace tailsim::import::fitting {
namespace {

namespace bm = boost::math;

/// Boost.Math reports a domain error, an overflow or a series that did not
/// converge as NaN or infinity rather than by throwing (the callers check),
/// and computes in double rather than long double (a fit evaluates the CDF
/// at every distinct sample).
using MathPolicy = bm::policies::policy<bm::policies::promote_double<false>,
                                        bm::policies::domain_error<bm::policies::ignore_error>,
                                        bm::policies::pole_error<bm::policies::ignore_error>,
                                        bm::policies::overflow_error<bm::policies::ignore_error>,
                                        bm::policies::evaluation_error<bm::policies::ignore_error>>;

/// The standard normal quantile at 0.99, as src/model/distribution.cpp reads `p99=`.
constexpr double z_p99 = 2.3263478740408408;
/// The asymptotic 1% critical value of the Kolmogorov-Smirnov statistic
/// times sqrt(n): sqrt(-ln(0.005) / 2).
constexpr double ks_critical_1pct = 1.6276;
/// The smallest threshold on the KS distance, whatever n (ks_threshold()).
constexpr double ks_threshold_floor = 0.02;
/// Durations are written to six significant digits: below this many nanoseconds, exactly.
constexpr std::int64_t significant_limit = 1'000'000;
/// Samples below half a nanosecond (zeros) enter logarithms as half a
/// nanosecond: the engine rounds a draw below it to zero.
constexpr double smallest_sample_ns = 0.5;
/// The largest duration a fit writes: what the engine's draws are clamped to.
constexpr double max_written_ns = 9.0e18;
/// A gamma's shape is capped here (cv 0.0001): samples that close together
/// are better written as they are, and Boost's incomplete gamma stays fast.
constexpr double max_gamma_shape = 1e8;
/// The smallest standard deviation of ln(ns) a mixture's part may shrink to
/// (0.1% spread), so that a part on one repeated value keeps a finite likelihood.
constexpr double min_part_sigma = 1e-3;
/// Expectation maximisation: at most this many samples (evenly spaced order
/// statistics), this many iterations per start, and these starting splits.
constexpr std::size_t max_em_samples = 10'000;
constexpr int max_em_iterations = 300;
constexpr std::array<double, 5> em_split_quantiles{0.5, 0.75, 0.9, 0.25, 0.1};
/// A mixture needs this many samples and distinct values to be tried.
constexpr std::size_t min_mixture_samples = 10;
constexpr std::size_t min_mixture_distinct = 4;
/// A part lighter than this (or heavier than 1 minus it) makes the mixture a
/// single lognormal: it is not a candidate then.
constexpr double min_part_weight = 1e-3;
/// Weights are written in hundredths of a percent.
constexpr std::int64_t weight_units = 10'000;

double log_pdf_normal(double y, double mu, double sigma) {
  const double z = (y - mu) / sigma;
  return -0.5 * z * z - std::log(sigma) - 0.5 * std::log(2 * std::numbers::pi);
}

double normal_cdf(double z) {
  return 0.5 * std::erfc(-z / std::numbers::sqrt2);
}

/// Samples as doubles for the likelihood, zeros lifted to half a nanosecond,
/// with their logarithms.
struct Working {
  std::vector<double> x;
  std::vector<double> log_x;
  double mean = 0;
  double sum_log = 0;
};

Working working_samples(std::span<const Duration> sorted) {
  Working w;
  w.x.reserve(sorted.size());
  w.log_x.reserve(sorted.size());
  double sum = 0;
  for (Duration d : sorted) {
    const double x = std::max(static_cast<double>(d.count()), smallest_sample_ns);
    w.x.push_back(x);
    w.log_x.push_back(std::log(x));
    sum += x;
    w.sum_log += w.log_x.back();
  }
  w.mean = sum / static_cast<double>(sorted.size());
  return w;
}

double bic(int parameters, double log_likelihood, std::size_t n) {
  if (!std::isfinite(log_likelihood)) {
    return std::numeric_limits<double>::infinity();
  }
  return parameters * std::log(static_cast<double>(n)) - 2 * log_likelihood;
}

/// A duration in the model format to six significant digits (`2.01853ms`,
/// far below the sampling error of any fit), or nothing when it is not a
/// positive number of nanoseconds tailsim can write.
std::optional<std::string> duration_text(double ns) {
  if (!(ns >= 0.5 && ns <= max_written_ns)) {
    return std::nullopt;
  }
  std::int64_t whole = std::llround(ns);
  std::int64_t unit = 1;  // the place of the sixth significant digit
  for (std::int64_t v = whole; v >= significant_limit; v /= 10) {
    unit *= 10;
  }
  whole = (whole + unit / 2) / unit * unit;
  return format_duration(Duration{whole});
}

/// A parse of text the fit wrote itself (no file is read).
std::optional<model::DistSpec> parse_back(const std::string& text) {
  auto parsed = model::parse_distribution(text, model::DistContext{});
  if (!parsed) {
    return std::nullopt;
  }
  return std::move(parsed).value();
}

/// A lognormal in whichever of its two forms parses back closer to (mu,
/// sigma): each loses to the six significant digits of its two values, but
/// rounding moves mu and sigma less in one or the other.
std::optional<std::string> lognormal_text(const LogNormalParams& p) {
  if (!(std::isfinite(p.mu) && std::isfinite(p.sigma) && p.sigma > 0)) {
    return std::nullopt;
  }
  std::vector<std::string> forms;
  const auto median = duration_text(std::exp(p.mu));
  const auto p99 = duration_text(std::exp(p.mu + z_p99 * p.sigma));
  if (median && p99) {
    forms.push_back(fmt::format("lognormal(median={}, p99={})", *median, *p99));
  }
  const auto mean = duration_text(std::exp(p.mu + p.sigma * p.sigma / 2));
  const double cv = std::sqrt(std::expm1(p.sigma * p.sigma));
  if (mean && std::isfinite(cv) && cv > 0) {
    forms.push_back(fmt::format("lognormal(mean={}, cv={:.6g})", *mean, cv));
  }
  std::optional<std::string> best;
  double best_error = std::numeric_limits<double>::infinity();
  for (std::string& text : forms) {
    const auto spec = parse_back(text);
    if (!spec || !std::holds_alternative<model::LogNormalDist>(spec->form)) {
      continue;
    }
    const auto& back = std::get<model::LogNormalDist>(spec->form);
    // Errors in the same terms: ln of the scale, and sigma relative.
    const double error = std::abs(back.mu - p.mu) + std::abs(back.sigma / p.sigma - 1);
    if (error < best_error) {
      best_error = error;
      best = std::move(text);
    }
  }
  return best;
}

std::optional<std::string> gamma_text(const GammaParams& p) {
  const auto mean = duration_text(p.mean_ns);
  if (!mean || !(p.shape > 0 && std::isfinite(p.shape))) {
    return std::nullopt;
  }
  return fmt::format("gamma(mean={}, cv={:.6g})", *mean, 1 / std::sqrt(p.shape));
}

/// `mix(W% FIRST, (100-W)% SECOND)` with W in hundredths of a percent; the
/// second weight is 100% minus the first in the same hundredths, so the two
/// add up to 100% as the parser requires. Nothing when a weight would be 0.
std::optional<std::string> two_part_mix(double first_weight, const std::string& first,
                                        const std::string& second) {
  const std::int64_t units = std::llround(first_weight * weight_units);
  if (units <= 0 || units >= weight_units) {
    return std::nullopt;
  }
  return fmt::format("mix({:.10g}% {}, {:.10g}% {})", static_cast<double>(units) / 100, first,
                     static_cast<double>(weight_units - units) / 100, second);
}

std::optional<std::string> mixture_text(const MixtureParams& p) {
  const auto a = lognormal_text(p.first);
  const auto b = lognormal_text(p.second);
  if (!a || !b) {
    return std::nullopt;
  }
  return two_part_mix(p.weight, *a, *b);
}

double lognormal_log_likelihood(const Working& w, const LogNormalParams& p) {
  double sum = 0;
  for (double y : w.log_x) {
    sum += log_pdf_normal(y, p.mu, p.sigma);
  }
  return sum - w.sum_log;  // the density of x is that of ln x over x
}

/// Maximum likelihood: mu and sigma are the mean and (1/n) standard
/// deviation of ln x.
LogNormalParams fit_lognormal(const Working& w) {
  const double n = static_cast<double>(w.log_x.size());
  const double mu = w.sum_log / n;
  double squares = 0;
  for (double y : w.log_x) {
    squares += (y - mu) * (y - mu);
  }
  return LogNormalParams{mu, std::sqrt(squares / n)};
}

/// Maximum likelihood: the shape k solves ln k - digamma(k) = s, with
/// s = ln(mean) - mean(ln x) >= 0, started at Minka's approximation and
/// refined by Newton's method (a few steps); the mean is the sample mean.
GammaParams fit_gamma(const Working& w) {
  const auto n = static_cast<double>(w.x.size());
  // Both logarithms are finite (x >= 0.5 ns). For samples close together s
  // is a small difference of large numbers: summed as ln(x / mean) instead.
  double s = std::log(w.mean) - w.sum_log / n;
  if (s < 1e-3) {
    s = 0;
    for (double x : w.x) {
      s -= std::log1p((x - w.mean) / w.mean);
    }
    s /= n;
  }
  if (!(s > 0)) {
    return GammaParams{w.mean, max_gamma_shape};
  }
  double k = (3 - s + std::sqrt((s - 3) * (s - 3) + 24 * s)) / (12 * s);
  for (int i = 0; i < 50 && k < max_gamma_shape; ++i) {
    const double g = std::log(k) - bm::digamma(k, MathPolicy{}) - s;
    const double slope = 1 / k - bm::trigamma(k, MathPolicy{});
    if (!(std::isfinite(g) && std::isfinite(slope)) || slope == 0) {
      break;
    }
    double next = k - g / slope;
    if (!(next > 0)) {
      next = k / 2;  // overshot below zero: halve instead
    }
    const bool converged = std::abs(next - k) <= 1e-12 * k;
    k = next;
    if (converged) {
      break;
    }
  }
  return GammaParams{w.mean, std::clamp(k, 1e-300, max_gamma_shape)};
}

double gamma_log_likelihood(const Working& w, const GammaParams& p) {
  const double scale = p.mean_ns / p.shape;
  double sum = 0;
  for (std::size_t i = 0; i < w.x.size(); ++i) {
    sum += (p.shape - 1) * w.log_x[i] - w.x[i] / scale;
  }
  const double n = static_cast<double>(w.x.size());
  return sum - n * bm::lgamma(p.shape, MathPolicy{}) - n * p.shape * std::log(scale);
}

/// Every `count`th order statistic at evenly spaced ranks, or all of them.
template <class T>
std::vector<T> thin(std::span<const T> sorted, std::size_t count) {
  if (sorted.size() <= count) {
    return {sorted.begin(), sorted.end()};
  }
  std::vector<T> kept;
  kept.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const auto rank =
        static_cast<std::size_t>((static_cast<double>(i) + 0.5) *
                                 static_cast<double>(sorted.size()) / static_cast<double>(count));
    kept.push_back(sorted[std::min(rank, sorted.size() - 1)]);
  }
  return kept;
}

/// The log-density of a two-normal mixture on ln x, with its constants
/// computed once: each sample then costs one exp and one log1p.
class MixtureDensity {
 public:
  explicit MixtureDensity(const MixtureParams& p)
      : p_(p),
        offset_first_(std::log(p.weight) - std::log(p.first.sigma) - log_sqrt_2pi),
        offset_second_(std::log1p(-p.weight) - std::log(p.second.sigma) - log_sqrt_2pi) {}

  /// ln of the mixture's density at y; `first` receives the first part's
  /// share of it (its responsibility for y).
  double log_density(double y, double& first) const {
    const double za = (y - p_.first.mu) / p_.first.sigma;
    const double zb = (y - p_.second.mu) / p_.second.sigma;
    const double a = offset_first_ - 0.5 * za * za;
    const double b = offset_second_ - 0.5 * zb * zb;
    if (a >= b) {
      const double e = std::exp(b - a);
      first = 1 / (1 + e);
      return a + std::log1p(e);
    }
    const double e = std::exp(a - b);
    first = e / (1 + e);
    return b + std::log1p(e);
  }

 private:
  static constexpr double log_sqrt_2pi = 0.91893853320467274178;
  MixtureParams p_;
  double offset_first_;
  double offset_second_;
};

struct EmResult {
  MixtureParams params;
  double log_likelihood = -std::numeric_limits<double>::infinity();
};

/// Expectation maximisation for two normals on ln x, started by splitting
/// the sorted logarithms at `split` (a rank).
EmResult run_em(std::span<const double> y, std::size_t split) {
  const std::size_t n = y.size();
  auto moments = [&](std::size_t from, std::size_t to) {
    double sum = 0;
    for (std::size_t i = from; i < to; ++i) {
      sum += y[i];
    }
    const double mu = sum / static_cast<double>(to - from);
    double squares = 0;
    for (std::size_t i = from; i < to; ++i) {
      squares += (y[i] - mu) * (y[i] - mu);
    }
    return LogNormalParams{
        mu, std::max(std::sqrt(squares / static_cast<double>(to - from)), min_part_sigma)};
  };
  MixtureParams p{static_cast<double>(split) / static_cast<double>(n), moments(0, split),
                  moments(split, n)};
  std::vector<double> r(n);  // the first part's responsibility for each sample
  double previous = -std::numeric_limits<double>::infinity();
  EmResult result;
  for (int iteration = 0; iteration < max_em_iterations; ++iteration) {
    double log_likelihood = 0;
    const MixtureDensity density(p);
    for (std::size_t i = 0; i < n; ++i) {
      log_likelihood += density.log_density(y[i], r[i]);
    }
    result = EmResult{p, log_likelihood};
    if (std::abs(log_likelihood - previous) <= 1e-9 * static_cast<double>(n)) {
      break;
    }
    previous = log_likelihood;
    double w1 = 0;
    double s1 = 0;
    double s2 = 0;
    for (std::size_t i = 0; i < n; ++i) {
      w1 += r[i];
      s1 += r[i] * y[i];
      s2 += (1 - r[i]) * y[i];
    }
    const double w2 = static_cast<double>(n) - w1;
    if (!(w1 > 0.5 && w2 > 0.5)) {
      break;  // a part has lost all its samples: a single lognormal
    }
    const double mu1 = s1 / w1;
    const double mu2 = s2 / w2;
    double v1 = 0;
    double v2 = 0;
    for (std::size_t i = 0; i < n; ++i) {
      v1 += r[i] * (y[i] - mu1) * (y[i] - mu1);
      v2 += (1 - r[i]) * (y[i] - mu2) * (y[i] - mu2);
    }
    p = MixtureParams{w1 / static_cast<double>(n),
                      {mu1, std::max(std::sqrt(v1 / w1), min_part_sigma)},
                      {mu2, std::max(std::sqrt(v2 / w2), min_part_sigma)}};
  }
  return result;
}

/// The best of a few EM runs, the more probable part first; nothing when
/// every run ends with a negligible part.
std::optional<MixtureParams> fit_mixture(const Working& w) {
  const std::vector<double> y = thin(std::span<const double>(w.log_x), max_em_samples);
  std::optional<EmResult> best;
  for (double q : em_split_quantiles) {
    const auto split = static_cast<std::size_t>(q * static_cast<double>(y.size()));
    if (split < 2 || split + 2 > y.size() || y[split - 1] == y[split]) {
      continue;  // each part starts with two samples or more, split between distinct values
    }
    EmResult run = run_em(y, split);
    const double weight = run.params.weight;
    if (!std::isfinite(run.log_likelihood) || weight < min_part_weight ||
        weight > 1 - min_part_weight) {
      continue;
    }
    if (!best || run.log_likelihood > best->log_likelihood) {
      best = run;
    }
  }
  if (!best) {
    return std::nullopt;
  }
  MixtureParams p = best->params;
  if (p.weight < 0.5) {
    p = MixtureParams{1 - p.weight, p.second, p.first};
  }
  return p;
}

double mixture_log_likelihood(const Working& w, const MixtureParams& p) {
  const MixtureDensity density(p);
  double sum = 0;
  double first = 0;
  for (double y : w.log_x) {
    sum += density.log_density(y, first);
  }
  return sum - w.sum_log;
}

/// A candidate from its text: parsed back and measured as written.
FitCandidate measure(FitFamily family, const std::optional<std::string>& text,
                     std::span<const Duration> sorted, double bic_value) {
  FitCandidate candidate;
  candidate.family = family;
  if (!text) {
    return candidate;
  }
  const auto spec = parse_back(*text);
  if (!spec) {
    return candidate;
  }
  candidate.text = *text;
  candidate.ks_distance = ks_distance(sorted, *spec);
  candidate.bic = bic_value;
  return candidate;
}

/// A file name as `empirical(...)` reads it back: quoted when it holds a
/// character that would end or split the argument.
std::string quoted_file_name(const std::string& name) {
  const bool plain = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-' ||
           c == '/';
  });
  if (plain && !name.empty()) {
    return name;
  }
  const char quote = name.find('\'') == std::string::npos ? '\'' : '"';
  return quote + name + quote;
}

/// The exponential, lognormal and gamma fitted to `sorted`, measured.
struct SingleFits {
  double exponential_mean_ns = 0;
  LogNormalParams lognormal;
  GammaParams gamma;
  std::array<FitCandidate, 3> candidates;
};

SingleFits fit_single_families(std::span<const Duration> sorted) {
  const Working w = working_samples(sorted);
  const std::size_t n = sorted.size();
  SingleFits fits;
  fits.exponential_mean_ns = w.mean;
  const double exp_log_likelihood = -static_cast<double>(n) * (std::log(w.mean) + 1);
  const auto exp_mean = duration_text(w.mean);
  fits.candidates[0] =
      measure(FitFamily::exponential,
              exp_mean ? std::optional<std::string>("exp(" + *exp_mean + ")") : std::nullopt,
              sorted, bic(1, exp_log_likelihood, n));
  fits.lognormal = fit_lognormal(w);
  fits.candidates[1] = measure(FitFamily::lognormal, lognormal_text(fits.lognormal), sorted,
                               bic(2, lognormal_log_likelihood(w, fits.lognormal), n));
  fits.gamma = fit_gamma(w);
  fits.candidates[2] = measure(FitFamily::gamma, gamma_text(fits.gamma), sorted,
                               bic(2, gamma_log_likelihood(w, fits.gamma), n));
  return fits;
}

std::string distance_text(double d) {
  return fmt::format("{:.3g}", d);
}

}  // namespace
}  // namespace tailsim::import::fitting

namespace tailsim::import {

std::string_view family_name(FitFamily family) {
  switch (family) {
    case FitFamily::constant:
      return "constant";
    case FitFamily::exponential:
      return "exp";
    case FitFamily::lognormal:
      return "lognormal";
    case FitFamily::gamma:
      return "gamma";
    case FitFamily::zero_mixture:
      return "zero mix";
    case FitFamily::mixture:
      return "mix";
    case FitFamily::empirical:
      return "empirical";
  }
  return "empirical";
}

double ks_threshold(std::size_t n) {
  using namespace fitting;
  if (n == 0) {
    return 1;
  }
  return std::min(
      1.0, std::max(ks_critical_1pct / std::sqrt(static_cast<double>(n)), ks_threshold_floor));
}

double distribution_cdf(const model::DistSpec& dist, double x) {
  using namespace fitting;
  struct Cdf {
    double x;
    double operator()(const model::ConstantDist& d) const {
      return x >= static_cast<double>(d.value.count()) ? 1 : 0;
    }
    double operator()(const model::ExponentialDist& d) const {
      const auto mean = static_cast<double>(d.mean.count());
      if (x < 0) {
        return 0;
      }
      return mean > 0 ? -std::expm1(-x / mean) : 1;
    }
    double operator()(const model::UniformDist& d) const {
      const auto low = static_cast<double>(d.low.count());
      const auto high = static_cast<double>(d.high.count());
      if (!(high > low)) {
        return x >= low ? 1 : 0;
      }
      return std::clamp((x - low) / (high - low), 0.0, 1.0);
    }
    double operator()(const model::NormalDist& d) const {
      // Truncated at 0 by drawing again: the normal's CDF renormalised above 0.
      const auto mean = static_cast<double>(d.mean.count());
      const auto sd = static_cast<double>(d.sd.count());
      if (x < 0) {
        return 0;
      }
      if (!(sd > 0)) {
        return x >= std::max(mean, 0.0) ? 1 : 0;
      }
      const double below_zero = normal_cdf(-mean / sd);
      const double kept = 1 - below_zero;
      if (!(kept > 0)) {
        return 1;
      }
      return std::clamp((normal_cdf((x - mean) / sd) - below_zero) / kept, 0.0, 1.0);
    }
    double operator()(const model::LogNormalDist& d) const {
      if (x <= 0) {
        return 0;
      }
      if (!(d.sigma > 0)) {
        return std::log(x) >= d.mu ? 1 : 0;
      }
      return normal_cdf((std::log(x) - d.mu) / d.sigma);
    }
    double operator()(const model::GammaDist& d) const {
      return gamma_cdf(d.shape, static_cast<double>(d.mean.count()) / d.shape);
    }
    double operator()(const model::ErlangDist& d) const {
      const auto k = static_cast<double>(d.k);
      return gamma_cdf(k, static_cast<double>(d.mean.count()) / k);
    }
    double operator()(const model::ParetoDist& d) const {
      const auto low = static_cast<double>(d.min.count());
      if (x < low) {
        return 0;
      }
      return -std::expm1(d.alpha * std::log(low / x));
    }
    double operator()(const model::WeibullDist& d) const {
      if (x <= 0) {
        return 0;
      }
      return -std::expm1(-std::pow(x / static_cast<double>(d.scale.count()), d.shape));
    }
    double operator()(const model::EmpiricalDist& d) const {
      if (d.samples.empty()) {
        return x >= 0 ? 1 : 0;
      }
      // The loader keeps the file's order; count the samples at or below x.
      std::size_t count = 0;
      for (Duration s : d.samples) {
        count += static_cast<double>(s.count()) <= x ? 1 : 0;
      }
      return static_cast<double>(count) / static_cast<double>(d.samples.size());
    }
    double operator()(const model::MixDist& d) const {
      double total = 0;
      double weights = 0;
      for (std::size_t i = 0; i < d.parts.size() && i < d.weights.size(); ++i) {
        total += d.weights[i] * distribution_cdf(d.parts[i], x);
        weights += d.weights[i];
      }
      return weights > 0 ? std::clamp(total / weights, 0.0, 1.0) : 1;
    }

    [[nodiscard]] double gamma_cdf(double shape, double scale) const {
      if (x <= 0) {
        return 0;
      }
      if (!(scale > 0)) {
        return 1;
      }
      const double p = bm::gamma_p(shape, x / scale, MathPolicy{});
      return std::isfinite(p) ? std::clamp(p, 0.0, 1.0) : (x / scale >= shape ? 1 : 0);
    }
  };
  return std::visit(Cdf{x}, dist.form);
}

double ks_distance(std::span<const Duration> sorted, const model::DistSpec& dist) {
  using namespace fitting;
  assert(!sorted.empty() && "ks_distance needs samples");
  // An empirical distribution's CDF counts its samples; sorted once here
  // instead of scanned at every point.
  std::optional<model::DistSpec> sorted_empirical;
  const model::DistSpec* measured = &dist;
  if (const auto* e = std::get_if<model::EmpiricalDist>(&dist.form); e != nullptr) {
    std::vector<Duration> samples = e->samples;
    std::sort(samples.begin(), samples.end());
    sorted_empirical = dist;
    std::get<model::EmpiricalDist>(sorted_empirical->form).samples = std::move(samples);
    measured = &*sorted_empirical;
  }
  // G(k): the probability that the engine draws k nanoseconds or fewer. It
  // rounds a draw x to floor(x + 0.5), so G(k) = F(k + 0.5).
  // Whole nanoseconds stay integers here: near 2^63 a double cannot tell k
  // from k - 1.
  auto draw_cdf = [&](std::int64_t k) -> double {
    if (k < 0) {
      return 0;
    }
    if (sorted_empirical) {
      const auto& samples = std::get<model::EmpiricalDist>(measured->form).samples;
      const auto at_most =
          std::upper_bound(samples.begin(), samples.end(), Duration{k}) - samples.begin();
      return samples.empty() ? 1
                             : static_cast<double>(at_most) / static_cast<double>(samples.size());
    }
    const double g = distribution_cdf(*measured, static_cast<double>(k) + 0.5);
    return std::isfinite(g) ? g : 0;
  };
  auto just_below = [](Duration v) {
    return v.count() == std::numeric_limits<std::int64_t>::min() ? v.count() : v.count() - 1;
  };
  // Both the samples' CDF and G are step functions on whole nanoseconds, and
  // G never falls: between two distinct sample values v < w the samples' CDF
  // is flat, so the largest gap there is at k = v or k = w - 1.
  const auto n = static_cast<double>(sorted.size());
  double d = draw_cdf(just_below(sorted.front()));
  std::size_t i = 0;
  while (i < sorted.size()) {
    std::size_t j = i;
    while (j < sorted.size() && sorted[j] == sorted[i]) {
      ++j;
    }
    const double empirical = static_cast<double>(j) / n;
    d = std::max(d, std::abs(empirical - draw_cdf(sorted[i].count())));
    if (j < sorted.size()) {
      d = std::max(d, std::abs(empirical - draw_cdf(just_below(sorted[j]))));
    }
    i = j;
  }
  return std::clamp(d, 0.0, 1.0);
}

DistributionFit fit_distribution(std::span<const Duration> samples, const FitOptions& options) {
  using namespace fitting;
  assert(!samples.empty() && "fit_distribution needs at least one sample");
  DistributionFit fit;
  std::vector<Duration> sorted;
  sorted.reserve(samples.size());
  for (Duration d : samples) {
    if (d.count() < 0) {
      ++fit.negatives;
      d = Duration{0};
    }
    sorted.push_back(d);
  }
  std::sort(sorted.begin(), sorted.end());
  fit.n = sorted.size();
  fit.threshold = ks_threshold(fit.n);
  if (sorted.empty() || sorted.front() == sorted.back()) {
    // All alike: the constant is exact.
    const Duration value = sorted.empty() ? Duration{0} : sorted.front();
    fit.family = FitFamily::constant;
    fit.constant_ns = static_cast<double>(value.count());
    fit.text = format_duration(value);
    fit.ks_distance = 0;
    return fit;
  }

  const std::size_t n = sorted.size();
  SingleFits singles = fit_single_families(sorted);
  fit.exponential_mean_ns = singles.exponential_mean_ns;
  fit.lognormal = singles.lognormal;
  fit.gamma = singles.gamma;
  fit.candidates.assign(singles.candidates.begin(), singles.candidates.end());

  // Zeros (a parent span its children cover) as a part of their own, the
  // positive samples as the single family that fits them best.
  const auto zeros = static_cast<std::size_t>(
      std::upper_bound(sorted.begin(), sorted.end(), Duration{0}) - sorted.begin());
  FitCandidate zero_mix;
  zero_mix.family = FitFamily::zero_mixture;
  if (zeros > 0 && sorted.back() != sorted[zeros]) {
    const SingleFits positive =
        fit_single_families(std::span<const Duration>(sorted).subspan(zeros));
    const FitCandidate* part = nullptr;
    for (const FitCandidate& c : positive.candidates) {
      if (c.is_usable() && (part == nullptr || c.bic < part->bic)) {
        part = &c;
      }
    }
    const double share = static_cast<double>(zeros) / static_cast<double>(n);
    const auto text = part == nullptr ? std::nullopt : two_part_mix(share, "0s", part->text);
    if (text) {
      fit.zero_mixture = ZeroMixParams{share, part->family, part->text};
      zero_mix =
          measure(FitFamily::zero_mixture, text, sorted, std::numeric_limits<double>::infinity());
    }
  }
  fit.candidates.push_back(zero_mix);

  std::size_t distinct_values = 1;
  for (std::size_t i = 1; i < n; ++i) {
    distinct_values += sorted[i] != sorted[i - 1] ? 1 : 0;
  }
  FitCandidate mixture;
  mixture.family = FitFamily::mixture;
  if (n >= min_mixture_samples && distinct_values >= min_mixture_distinct) {
    const Working w = working_samples(sorted);
    if (const auto params = fit_mixture(w)) {
      fit.mixture = *params;
      mixture = measure(FitFamily::mixture, mixture_text(*params), sorted,
                        bic(5, mixture_log_likelihood(w, *params), n));
    }
  }
  fit.candidates.push_back(mixture);

  // The samples themselves, as the file will hold them.
  FitCandidate empirical;
  empirical.family = FitFamily::empirical;
  empirical.text = "empirical(" + quoted_file_name(options.empirical_file) + ")";
  model::DistSpec written;
  written.form = model::EmpiricalDist{
      options.empirical_file, thin(std::span<const Duration>(sorted), max_empirical_samples)};
  empirical.ks_distance = ks_distance(sorted, written);
  fit.candidates.push_back(empirical);

  // The single families that pass the test compete by BIC; the mixtures
  // are tried only when none passes, the one with a zero part first (it has
  // fewer parameters), and the two lognormals must also beat the single
  // families' BIC; the samples are the last resort.
  auto passes = [&](const FitCandidate& c) {
    return c.is_usable() && c.ks_distance <= fit.threshold;
  };
  auto candidate = [&](FitFamily family) -> const FitCandidate& {
    return *std::find_if(fit.candidates.begin(), fit.candidates.end(),
                         [&](const FitCandidate& c) { return c.family == family; });
  };
  const FitCandidate* chosen = nullptr;
  double best_single_bic = std::numeric_limits<double>::infinity();
  for (FitFamily family : {FitFamily::exponential, FitFamily::lognormal, FitFamily::gamma}) {
    const FitCandidate& c = candidate(family);
    if (c.is_usable()) {
      best_single_bic = std::min(best_single_bic, c.bic);
    }
    if (passes(c) && (chosen == nullptr || c.bic < chosen->bic)) {
      chosen = &c;
    }
  }
  if (chosen == nullptr && passes(candidate(FitFamily::zero_mixture))) {
    chosen = &candidate(FitFamily::zero_mixture);
  }
  const FitCandidate& mix = candidate(FitFamily::mixture);
  if (chosen == nullptr && passes(mix) && mix.bic < best_single_bic) {
    chosen = &mix;
  }
  if (chosen == nullptr) {
    chosen = &candidate(FitFamily::empirical);
  }
  fit.family = chosen->family;
  fit.text = chosen->text;
  fit.ks_distance = chosen->ks_distance;
  return fit;
}

std::string fit_comment(const DistributionFit& fit) {
  using namespace fitting;
  if (fit.family == FitFamily::constant) {
    return fmt::format("constant: all {} samples are {}", fit.n, fit.text);
  }
  std::string others;
  for (const FitCandidate& c : fit.candidates) {
    if (c.family == fit.family || c.family == FitFamily::empirical || !c.is_usable()) {
      continue;
    }
    others += fmt::format(", {} {}", family_name(c.family), distance_text(c.ks_distance));
  }
  if (fit.family == FitFamily::empirical) {
    // A mixture within the distance that lost to a single family's BIC is
    // not chosen (its extra parameters buy too little), but it did fit.
    const auto mixture =
        std::find_if(fit.candidates.begin(), fit.candidates.end(),
                     [](const FitCandidate& c) { return c.family == FitFamily::mixture; });
    const bool mixture_fits = mixture != fit.candidates.end() && mixture->is_usable() &&
                              mixture->ks_distance <= fit.threshold;
    return fmt::format(
        "empirical: no {}distribution fits the {} samples within KS distance {}{} "
        "(KS distance{})",
        mixture_fits ? "single " : "", fit.n, distance_text(fit.threshold),
        mixture_fits ? ", and the mixture that does explains them no better by BIC" : "",
        others.empty() ? std::string(" of none") : others.substr(1));
  }
  return fmt::format("{} fit to {} samples, KS distance {} (limit {}{})", family_name(fit.family),
                     fit.n, distance_text(fit.ks_distance), distance_text(fit.threshold), others);
}

std::string format_empirical_file(std::span<const Duration> samples) {
  using namespace fitting;
  std::vector<Duration> sorted(samples.begin(), samples.end());
  for (Duration& d : sorted) {
    d = std::max(d, Duration{0});
  }
  std::sort(sorted.begin(), sorted.end());
  const std::vector<Duration> kept = thin(std::span<const Duration>(sorted), max_empirical_samples);
  std::string content =
      kept.size() == sorted.size()
          ? fmt::format("# {} observed durations, one per line, in ascending order\n", kept.size())
          : fmt::format(
                "# {} of {} observed durations (evenly spaced ranks), one per line, in "
                "ascending order\n",
                kept.size(), sorted.size());
  for (Duration d : kept) {
    content += format_duration(d);
    content += '\n';
  }
  return content;
}

void write_empirical_file(const std::filesystem::path& path, std::span<const Duration> samples) {
  report::write_file_atomically(path, format_empirical_file(samples));
}

}  // namespace tailsim::import
