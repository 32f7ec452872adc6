#include "tailsim/import/fit.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include <catch2/catch.hpp>

#include "tailsim/model/distribution.hpp"

namespace im = tailsim::import;
namespace m = tailsim::model;
namespace fs = std::filesystem;
using tailsim::Duration;

// Samples are drawn with fixed seeds, so every assertion below is
// deterministic. The tolerances are four standard errors of the estimator
// at the sample size (written out at each), so a correct estimator fails
// them with odds below 1 in 10,000 for a fresh seed.

namespace {

/// `n` draws of `dist` in nanoseconds, rounded to whole ones as spans record them.
template <class Dist>
std::vector<Duration> draw(Dist dist, std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Duration> samples;
  samples.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    samples.emplace_back(std::llround(std::max(0.0, dist(rng))));
  }
  return samples;
}

m::DistSpec parse(const std::string& text) {
  auto parsed = m::parse_distribution(text, m::DistContext{});
  INFO(text << ": " << (parsed.ok() ? std::string("ok") : parsed.error().message));
  REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

/// The 1% critical value of the KS statistic at n (the fit's own threshold
/// before its floor).
double ks_critical(std::size_t n) {
  return 1.6276 / std::sqrt(static_cast<double>(n));
}

/// Every candidate and the choice are free of NaN, and every written text parses.
void check_well_formed(const im::DistributionFit& fit) {
  CHECK(std::isfinite(fit.ks_distance));
  CHECK(std::isfinite(fit.exponential_mean_ns));
  CHECK(std::isfinite(fit.lognormal.mu));
  CHECK(std::isfinite(fit.lognormal.sigma));
  CHECK(std::isfinite(fit.gamma.mean_ns));
  CHECK(std::isfinite(fit.gamma.shape));
  CHECK(std::isfinite(fit.mixture.weight));
  CHECK(fit.ks_distance >= 0);
  CHECK(fit.ks_distance <= 1);
  CHECK_FALSE(fit.text.empty());
  for (const im::FitCandidate& c : fit.candidates) {
    INFO(im::family_name(c.family) << ": " << c.text);
    CHECK(std::isfinite(c.ks_distance));
    CHECK_FALSE(std::isnan(c.bic));
    if (c.is_usable() && c.family != im::FitFamily::empirical) {
      parse(c.text);
    }
  }
  if (fit.family != im::FitFamily::empirical) {
    parse(fit.text);
  }
}

const im::FitCandidate& candidate(const im::DistributionFit& fit, im::FitFamily family) {
  const auto it = std::find_if(fit.candidates.begin(), fit.candidates.end(),
                               [&](const im::FitCandidate& c) { return c.family == family; });
  REQUIRE(it != fit.candidates.end());
  return *it;
}

/// Fits `samples`, checks that the result is well formed and of `family`.
im::DistributionFit fit_expecting(const std::vector<Duration>& samples, im::FitFamily family,
                                  const im::FitOptions& options = {}) {
  im::DistributionFit fit = im::fit_distribution(samples, options);
  INFO(fit.text << " / " << im::fit_comment(fit));
  check_well_formed(fit);
  CHECK(fit.family == family);
  return fit;
}

/// A folder of its own under the system's temporary folder, removed afterwards.
struct ScratchDir {
  fs::path path = fs::temp_directory_path() / ("tailsim-fit-test-" + std::to_string(getpid()));
  ScratchDir() { fs::create_directories(path); }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
};

}  // namespace

TEST_CASE("ks_distance is exact against the whole nanoseconds the engine draws", "[fit]") {
  // Samples 1..4 ns against the constant 2ns: the samples' CDF is 0.25 at
  // 1 ns where the constant's is 0, and 0.5 at 2 ns where it is 1.
  const std::vector<Duration> four{Duration{1}, Duration{2}, Duration{3}, Duration{4}};
  CHECK(im::ks_distance(four, parse("2ns")) == Approx(0.5));
  // 0..9 ns once each against uniform(0ns, 10ns): the engine draws k when
  // x rounds to k, so G(k) = (k + 0.5) / 10 while the samples' CDF is
  // (k + 1) / 10: 0.05 apart at every k.
  std::vector<Duration> ten;
  for (int k = 0; k < 10; ++k) {
    ten.emplace_back(k);
  }
  CHECK(im::ks_distance(ten, parse("uniform(0ns, 10ns)")) == Approx(0.05));
  // Far below the samples: the gap is the whole probability below the
  // first sample.
  CHECK(im::ks_distance(std::vector<Duration>{Duration{1'000'000}}, parse("exp(1ns)")) ==
        Approx(1.0));
}

TEST_CASE("distribution_cdf follows each form of the model format", "[fit]") {
  CHECK(im::distribution_cdf(parse("exp(2ms)"), 2e6) == Approx(1 - std::exp(-1.0)));
  CHECK(im::distribution_cdf(parse("lognormal(median=2ms, p99=20ms)"), 2e6) == Approx(0.5));
  CHECK(im::distribution_cdf(parse("lognormal(median=2ms, p99=20ms)"), 20e6) ==
        Approx(0.99).margin(1e-9));
  // A gamma of shape 1 is the exponential.
  CHECK(im::distribution_cdf(parse("gamma(mean=2ms, cv=1)"), 3e6) ==
        Approx(1 - std::exp(-1.5)).epsilon(1e-12));
  CHECK(im::distribution_cdf(parse("mix(25% 1ms, 75% 3ms)"), 2e6) == Approx(0.25));
  CHECK(im::distribution_cdf(parse("uniform(1ms, 3ms)"), 1.5e6) == Approx(0.25));
  CHECK(im::distribution_cdf(parse("weibull(scale=2ms, shape=1)"), 2e6) ==
        Approx(1 - std::exp(-1.0)));
  CHECK(im::distribution_cdf(parse("pareto(min=1ms, alpha=2)"), 2e6) == Approx(0.75));
}

TEST_CASE("exponential samples fit an exponential of their mean", "[fit]") {
  const double mean = 2e6;
  const std::size_t n = 10'000;
  const auto samples = draw(std::exponential_distribution<double>(1 / mean), n, 11);
  const im::DistributionFit fit = fit_expecting(samples, im::FitFamily::exponential);
  CHECK(fit.n == n);
  // The MLE of the mean is the sample mean: sd = mean / sqrt(n) = 20us; 4 sd = 80us.
  const double tolerance = 4 * mean / std::sqrt(static_cast<double>(n));
  CHECK(std::abs(fit.exponential_mean_ns - mean) < tolerance);
  CHECK(std::abs(parse(fit.text).mean_ns() - mean) < tolerance);
  CHECK(fit.ks_distance < ks_critical(n));
  CHECK(fit.text.starts_with("exp("));
}

TEST_CASE("lognormal samples fit a lognormal", "[fit]") {
  const double mu = std::log(2e6);
  const double sigma = 1.0;
  const std::size_t n = 10'000;
  const auto samples = draw(std::lognormal_distribution<double>(mu, sigma), n, 12);
  const im::DistributionFit fit = fit_expecting(samples, im::FitFamily::lognormal);
  // MLE of mu: sd = sigma / sqrt(n) = 0.01; of sigma: sd = sigma / sqrt(2n) = 0.0071.
  CHECK(std::abs(fit.lognormal.mu - mu) < 4 * sigma / std::sqrt(n));
  CHECK(std::abs(fit.lognormal.sigma - sigma) < 4 * sigma / std::sqrt(2.0 * n));
  // The mean exp(mu + sigma^2/2) by the delta method: relative sd =
  // sigma * sqrt(1 + sigma^2 / 2) / sqrt(n) = 1.22%; 4 sd = 4.9%.
  const double true_mean = std::exp(mu + sigma * sigma / 2);
  const double tolerance = 4 * true_mean * sigma * std::sqrt(1 + sigma * sigma / 2) / std::sqrt(n);
  CHECK(std::abs(parse(fit.text).mean_ns() - true_mean) < tolerance);
  CHECK(fit.ks_distance < ks_critical(n));
  CHECK(im::fit_comment(fit).starts_with("lognormal fit to 10000 samples, KS distance 0.00"));
  // The mixture fits too, but is not even tried against a single family that passes.
  const im::FitCandidate& mix = candidate(fit, im::FitFamily::mixture);
  CHECK(mix.ks_distance <= fit.threshold);
  // Written back, mu and sigma survive to a millionth.
  const auto back = std::get<m::LogNormalDist>(parse(fit.text).form);
  CHECK(back.mu == Approx(fit.lognormal.mu).epsilon(1e-6));
  CHECK(back.sigma == Approx(fit.lognormal.sigma).epsilon(1e-5));
}

TEST_CASE("gamma samples fit a gamma, cv 0.5 and cv 2", "[fit]") {
  struct Case {
    double mean;
    double cv;
    std::size_t n;
    std::uint64_t seed;
  };
  // The mean of the cv-2 case is large enough that the draws below half a
  // nanosecond, which spans record as 0, are few (0.6%): the fit lifts them
  // to half a nanosecond, which moves the shape by less than one standard error.
  const Case c = GENERATE(Case{5e6, 0.5, 10'000, 13}, Case{200e6, 2.0, 20'000, 14});
  const double shape = 1 / (c.cv * c.cv);
  const auto samples = draw(std::gamma_distribution<double>(shape, c.mean / shape), c.n, c.seed);
  const im::DistributionFit fit = fit_expecting(samples, im::FitFamily::gamma);
  const double n = static_cast<double>(c.n);
  // The mean is the sample mean: sd = cv * mean / sqrt(n).
  const double mean_tolerance = 4 * c.cv * c.mean / std::sqrt(n);
  CHECK(std::abs(fit.gamma.mean_ns - c.mean) < mean_tolerance);
  CHECK(std::abs(parse(fit.text).mean_ns() - c.mean) < mean_tolerance);
  // The shape's MLE: var = k / (n (k trigamma(k) - 1)); trigamma(4) =
  // 0.28382 gives sd 0.054 (n 10,000); trigamma(0.25) = 17.1973 gives sd
  // 0.0019 (n 20,000).
  const double trigamma = c.cv == 0.5 ? 0.2838229557371153 : 17.197329154507113;
  const double shape_sd = std::sqrt(shape / (n * (shape * trigamma - 1)));
  CHECK(std::abs(fit.gamma.shape - shape) < 4 * shape_sd);
  CHECK(fit.ks_distance < ks_critical(c.n));
}

TEST_CASE("a 90/10 mixture of two separated lognormals fits a mixture", "[fit]") {
  const double mu1 = std::log(1e6);
  const double sigma1 = 0.3;
  const double mu2 = std::log(30e6);
  const double sigma2 = 0.4;
  const double weight = 0.9;
  const std::size_t n = 20'000;
  std::mt19937_64 rng(15);
  std::bernoulli_distribution first(weight);
  std::lognormal_distribution<double> a(mu1, sigma1);
  std::lognormal_distribution<double> b(mu2, sigma2);
  std::vector<Duration> samples;
  for (std::size_t i = 0; i < n; ++i) {
    samples.emplace_back(std::llround(first(rng) ? a(rng) : b(rng)));
  }
  const im::DistributionFit fit = fit_expecting(samples, im::FitFamily::mixture);
  CHECK(fit.text.starts_with("mix("));
  // The parts barely overlap, so the weight is nearly a binomial share:
  // sd = sqrt(w (1 - w) / n) = 0.0021; each part's mu as a lognormal on its
  // own samples: sd = sigma / sqrt(n w).
  const double dn = static_cast<double>(n);
  CHECK(std::abs(fit.mixture.weight - weight) < 4 * std::sqrt(weight * (1 - weight) / dn));
  CHECK(std::abs(fit.mixture.first.mu - mu1) < 4 * sigma1 / std::sqrt(dn * weight));
  CHECK(std::abs(fit.mixture.second.mu - mu2) < 4 * sigma2 / std::sqrt(dn * (1 - weight)));
  CHECK(std::abs(fit.mixture.first.sigma - sigma1) < 4 * sigma1 / std::sqrt(2 * dn * weight));
  CHECK(std::abs(fit.mixture.second.sigma - sigma2) <
        4 * sigma2 / std::sqrt(2 * dn * (1 - weight)));
  // The mean, with the sample mean's standard error (sd of the mixture /
  // sqrt(n)) standing in for the MLE's, which it matches to first order.
  const double m1 = std::exp(mu1 + sigma1 * sigma1 / 2);
  const double m2 = std::exp(mu2 + sigma2 * sigma2 / 2);
  const double true_mean = weight * m1 + (1 - weight) * m2;
  const double second_moment = weight * m1 * m1 * std::exp(sigma1 * sigma1) +
                               (1 - weight) * m2 * m2 * std::exp(sigma2 * sigma2);
  const double sd = std::sqrt(second_moment - true_mean * true_mean);
  CHECK(std::abs(parse(fit.text).mean_ns() - true_mean) < 4 * sd / std::sqrt(dn));
  CHECK(fit.ks_distance < ks_critical(n));
  // Every single family was refused: the mixture was needed.
  for (const im::FitCandidate& c : fit.candidates) {
    if (c.family != im::FitFamily::mixture && c.family != im::FitFamily::empirical) {
      CHECK(c.ks_distance > fit.threshold);
    }
  }
}

TEST_CASE("a share of zeros and exponential times fit a mix with 0s", "[fit]") {
  // Own times of 0 where the children cover the whole span, 30% of them.
  const double zero_share = 0.3;
  const double mean = 1e6;
  const std::size_t n = 5'000;
  std::mt19937_64 rng(18);
  std::bernoulli_distribution zero(zero_share);
  std::exponential_distribution<double> positive(1 / mean);
  std::vector<Duration> samples;
  for (std::size_t i = 0; i < n; ++i) {
    samples.emplace_back(zero(rng) ? 0 : std::llround(positive(rng)));
  }
  const im::DistributionFit fit = fit_expecting(samples, im::FitFamily::zero_mixture);
  CHECK(fit.text.starts_with("mix("));
  const double dn = static_cast<double>(n);
  // The zeros' share is binomial: sd = sqrt(p (1 - p) / n) = 0.0065.
  CHECK(std::abs(fit.zero_mixture.zero_share - zero_share) <
        4 * std::sqrt(zero_share * (1 - zero_share) / dn));
  // The rest is an exponential of the positive samples' mean: sd = mean /
  // sqrt(n (1 - p)) = 17us.
  CHECK(fit.zero_mixture.part == im::FitFamily::exponential);
  CHECK(std::abs(parse(fit.zero_mixture.part_text).mean_ns() - mean) <
        4 * mean / std::sqrt(dn * (1 - zero_share)));
  // The whole mean (1 - p) mean, within 4 standard errors of the sample
  // mean: var = (1 - p) 2 mean^2 - ((1 - p) mean)^2.
  const double true_mean = (1 - zero_share) * mean;
  const double sd = mean * std::sqrt(2 * (1 - zero_share) - (1 - zero_share) * (1 - zero_share));
  CHECK(std::abs(parse(fit.text).mean_ns() - true_mean) < 4 * sd / std::sqrt(dn));
  CHECK(fit.ks_distance < ks_critical(n));
}

TEST_CASE("a shape no family fits falls back to the samples", "[fit]") {
  // Three narrow, well-separated modes of equal weight: two lognormals
  // cannot cover three.
  const std::size_t n = 6'000;
  std::mt19937_64 rng(16);
  std::uniform_real_distribution<double> jitter(0, 0.2e6);
  std::vector<Duration> samples;
  const std::array<double, 3> modes{1e6, 5e6, 20e6};
  for (std::size_t i = 0; i < n; ++i) {
    samples.emplace_back(std::llround(modes[i % 3] + jitter(rng)));
  }
  im::FitOptions options;
  options.empirical_file = "checkout-own.csv";
  const im::DistributionFit fit = fit_expecting(samples, im::FitFamily::empirical, options);
  CHECK(fit.text == "empirical(checkout-own.csv)");
  CHECK(fit.ks_distance == 0);  // the file holds every sample
  for (const im::FitCandidate& c : fit.candidates) {
    if (c.family != im::FitFamily::empirical) {
      CHECK(c.ks_distance > fit.threshold);
    }
  }
  CHECK(im::fit_comment(fit).starts_with("empirical: no distribution fits the 6000 samples"));
}

TEST_CASE("samples left as they are say whether a mixture fitted but lost by BIC", "[fit]") {
  // The mixture is tried when no single family passes the KS test, and must
  // also beat their BIC: one that passes the test but not the BIC leaves
  // the samples in the model, and the comment must not say nothing fits.
  im::DistributionFit fit;
  fit.family = im::FitFamily::empirical;
  fit.text = "empirical(own.csv)";
  fit.n = 2448;
  fit.threshold = 0.0329;
  const auto candidate = [](im::FitFamily family, std::string text, double ks, double bic) {
    im::FitCandidate c;
    c.family = family;
    c.text = std::move(text);
    c.ks_distance = ks;
    c.bic = bic;
    return c;
  };
  fit.candidates = {
      candidate(im::FitFamily::exponential, "exp(50ms)", 0.0512, 100),
      candidate(im::FitFamily::lognormal, "lognormal(median=30ms, p99=300ms)", 0.109, 130),
      candidate(im::FitFamily::gamma, "gamma(mean=50ms, cv=1.1)", 0.0422, 90),
      candidate(im::FitFamily::zero_mixture, "", 1, 0),
      candidate(im::FitFamily::mixture, "mix(...)", 0.0214, 95),
      candidate(im::FitFamily::empirical, "empirical(own.csv)", 0, 0)};
  CHECK(im::fit_comment(fit) ==
        "empirical: no single distribution fits the 2448 samples within KS distance 0.0329, and "
        "the mixture that does explains them no better by BIC (KS distance exp 0.0512, "
        "lognormal 0.109, gamma 0.0422, mix 0.0214)");
  // Without a mixture within the distance, nothing fits.
  fit.candidates[4].ks_distance = 0.04;
  CHECK(im::fit_comment(fit).starts_with(
      "empirical: no distribution fits the 2448 samples within KS distance 0.0329 (KS"));
}

TEST_CASE("the threshold is the 1% critical value with a floor", "[fit]") {
  CHECK(im::ks_threshold(100) == Approx(0.16276));
  CHECK(im::ks_threshold(2'500) == Approx(1.6276 / 50));
  CHECK(im::ks_threshold(1'000'000) == Approx(0.02));
  CHECK(im::ks_threshold(1) == 1);
}

TEST_CASE("degenerate samples give a distribution that parses, never NaN", "[fit]") {
  SECTION("all equal: the constant") {
    const std::vector<Duration> same(5, Duration{3'000'000});
    const auto fit = im::fit_distribution(same);
    CHECK(fit.family == im::FitFamily::constant);
    CHECK(fit.text == "3ms");
    CHECK(fit.ks_distance == 0);
    CHECK(parse(fit.text).mean_ns() == 3e6);
    CHECK(im::fit_comment(fit) == "constant: all 5 samples are 3ms");
  }
  SECTION("all zero") {
    const auto fit = im::fit_distribution(std::vector<Duration>(4, Duration{0}));
    CHECK(fit.family == im::FitFamily::constant);
    CHECK(fit.text == "0s");
    CHECK(parse(fit.text).mean_ns() == 0);
  }
  SECTION("one sample") {
    const auto fit = im::fit_distribution(std::vector<Duration>{Duration{1'500'000}});
    CHECK(fit.family == im::FitFamily::constant);
    CHECK(fit.text == "1.5ms");
    CHECK(fit.n == 1);
  }
  SECTION("two samples") {
    const auto fit =
        im::fit_distribution(std::vector<Duration>{Duration{1'000'000}, Duration{3'000'000}});
    INFO(fit.text);
    check_well_formed(fit);
    CHECK(fit.family != im::FitFamily::constant);
    CHECK(fit.family != im::FitFamily::empirical);  // at n = 2 every family passes
    // The mean is kept by whichever family (all estimate it by the sample
    // mean but the lognormal, off by its sigma here).
    CHECK(parse(fit.text).mean_ns() == Approx(2e6).epsilon(0.1));
  }
  SECTION("zeros among other values") {
    std::vector<Duration> samples = draw(std::exponential_distribution<double>(1e-6), 2'000, 17);
    for (std::size_t i = 0; i < samples.size(); i += 2) {
      samples[i] = Duration{0};
    }
    const auto fit = im::fit_distribution(samples);
    INFO(fit.text << " / " << im::fit_comment(fit));
    check_well_formed(fit);
    // Half the samples at 0 is no exponential, lognormal or gamma, but the
    // zeros and an exponential.
    CHECK(candidate(fit, im::FitFamily::exponential).ks_distance > 0.3);
    CHECK(fit.family == im::FitFamily::zero_mixture);
    CHECK(fit.zero_mixture.zero_share == Approx(0.5).margin(1e-3));
  }
  SECTION("negative samples count as zero") {
    const std::vector<Duration> samples{Duration{-5}, Duration{1'000}, Duration{2'000},
                                        Duration{3'000}};
    const auto fit = im::fit_distribution(samples);
    check_well_formed(fit);
    CHECK(fit.negatives == 1);
    CHECK(fit.n == 4);
  }
  SECTION("huge values") {
    const std::int64_t top = INT64_MAX;
    const std::vector<Duration> samples{Duration{top}, Duration{top - 1'000'000'000},
                                        Duration{top / 2}, Duration{top / 3}, Duration{1}};
    const auto fit = im::fit_distribution(samples);
    INFO(fit.text << " / " << im::fit_comment(fit));
    check_well_formed(fit);
    // The samples as a file are exact, even where a double cannot tell
    // 2^63 - 1 from 2^63 - 1025.
    CHECK(candidate(fit, im::FitFamily::empirical).ks_distance == 0);
  }
  SECTION("values one nanosecond apart") {
    std::vector<Duration> samples;
    for (int i = 0; i < 1'000; ++i) {
      samples.emplace_back(1'000'000'000 + i % 2);
    }
    // No family written to six digits tells 1s from 1.000000001s: the
    // samples are kept.
    fit_expecting(samples, im::FitFamily::empirical);
  }
}

TEST_CASE("the empirical file reads back as the samples", "[fit]") {
  ScratchDir dir;
  const std::vector<Duration> samples{Duration{2'500'000}, Duration{0}, Duration{1},
                                      Duration{INT64_MAX}, Duration{-3}};
  im::write_empirical_file(dir.path / "own.csv", samples);
  auto parsed = m::parse_distribution("empirical(own.csv)", m::DistContext{dir.path, nullptr});
  INFO((parsed.ok() ? std::string("ok") : parsed.error().message));
  REQUIRE(parsed.ok());
  auto read = std::get<m::EmpiricalDist>(parsed->form).samples;
  std::sort(read.begin(), read.end());
  // Negative samples are written as zero, like the fit counts them.
  CHECK(read == std::vector<Duration>{Duration{0}, Duration{0}, Duration{1}, Duration{2'500'000},
                                      Duration{INT64_MAX}});
  CHECK(im::format_empirical_file(samples).starts_with("# 5 observed durations"));

  // A name with a comma is quoted, and reads back.
  im::FitOptions options;
  options.empirical_file = "own, times.csv";
  im::write_empirical_file(dir.path / options.empirical_file, samples);
  const auto fit = im::fit_distribution(samples, options);
  const std::string& text = candidate(fit, im::FitFamily::empirical).text;
  CHECK(text == "empirical('own, times.csv')");
  auto quoted = m::parse_distribution(text, m::DistContext{dir.path, nullptr});
  INFO((quoted.ok() ? std::string("ok") : quoted.error().message));
  CHECK(quoted.ok());
}

TEST_CASE("a large empirical file keeps evenly spaced order statistics", "[fit]") {
  std::vector<Duration> samples;
  const std::size_t n = 3 * im::max_empirical_samples;
  for (std::size_t i = 0; i < n; ++i) {
    samples.emplace_back(static_cast<std::int64_t>(n - i));  // 1 .. n, in reverse
  }
  const std::string content = im::format_empirical_file(samples);
  CHECK(std::count(content.begin(), content.end(), '\n') == im::max_empirical_samples + 1);
  // Ranks 1.5, 4.5, 7.5, ... of 1..n: the values 2, 5, 8, ...
  CHECK(content.find("\n2ns\n5ns\n8ns\n") != std::string::npos);
  // The file's CDF is within 1/max_empirical_samples of the samples'.
  im::FitOptions options;
  const auto fit = im::fit_distribution(samples, options);
  const auto& empirical = fit.candidates.back();
  CHECK(empirical.family == im::FitFamily::empirical);
  CHECK(empirical.ks_distance <= 1.0 / im::max_empirical_samples + 1e-12);
}
