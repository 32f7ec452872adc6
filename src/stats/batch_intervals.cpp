#include "tailsim/stats/batch_intervals.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>

#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <boost/math/policies/policy.hpp>

namespace tailsim::stats {
namespace {

/// In double, not promoted to long double: Boost.Math initialises the
/// functions each precision uses when the program starts, and under
/// valgrind, which computes long double as double, erfc_inv<long double>'s
/// initialisation overflows and ends every run (callgrind is how bench/
/// measures instructions).
using Policy = boost::math::policies::policy<boost::math::policies::promote_double<false>>;

/// An interval's missing end.
constexpr double open_end = std::numeric_limits<double>::quiet_NaN();

/// The values of batch `j` of `n` cut into `batches`: [first, last).
struct Batch {
  std::size_t first;
  std::size_t last;
};

Batch batch(std::size_t j, std::size_t n) {
  return {j * n / BatchIntervals::batches, (j + 1) * n / BatchIntervals::batches};
}

bool can_batch(std::size_t n) {
  return n >= BatchIntervals::batches * BatchIntervals::min_batch_size;
}

/// The variance of sum(value) / sum(weight) over `stretches` in time order,
/// from `batches` consecutive batches of about equal weight: batch j takes
/// the stretches until the weight reaches (j + 1) / batches of the total.
/// Batches of unequal weight count by their weights (the ratio estimator of
/// cluster sampling): 10/9 x sum over batches of (weight / total)^2 x
/// (batch ratio - ratio)^2. None when the total is too small to batch, or a
/// batch is left empty (a stretch holding more than a tenth).
template <class Weight, class Value>
std::optional<double> batched_ratio_variance(std::span<const IntervalTally> stretches,
                                             Weight weight_of, Value value_of) {
  constexpr std::size_t b_count = BatchIntervals::batches;
  std::uint64_t total = 0;
  double sum = 0;
  for (const IntervalTally& s : stretches) {
    total += weight_of(s);
    sum += value_of(s);
  }
  if (!can_batch(static_cast<std::size_t>(total))) {
    return std::nullopt;
  }
  std::array<double, b_count> weights{};
  std::array<double, b_count> values{};
  std::size_t j = 0;
  std::uint64_t so_far = 0;
  for (const IntervalTally& s : stretches) {
    weights[j] += static_cast<double>(weight_of(s));
    values[j] += value_of(s);
    so_far += weight_of(s);
    while (j + 1 < b_count && so_far * b_count >= (j + 1) * total) {
      ++j;
    }
  }
  const auto nn = static_cast<double>(total);
  const double ratio = sum / nn;
  double spread = 0;
  for (std::size_t b = 0; b < b_count; ++b) {
    if (weights[b] == 0) {
      return std::nullopt;
    }
    const double gap = values[b] / weights[b] - ratio;
    spread += weights[b] * weights[b] * gap * gap;
  }
  return static_cast<double>(b_count) / static_cast<double>(b_count - 1) * spread / (nn * nn);
}

/// The sample variance of `values` (at least two).
template <std::size_t N>
double variance(const std::array<double, N>& values) {
  double mean = 0;
  for (const double v : values) {
    mean += v;
  }
  mean /= static_cast<double>(N);
  double squares = 0;
  for (const double v : values) {
    squares += (v - mean) * (v - mean);
  }
  return squares / static_cast<double>(N - 1);
}

}  // namespace

double nearest_rank(std::span<const double> sorted, double q) {
  const auto n = static_cast<double>(sorted.size());
  const auto rank = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(q * n - 1e-9)));
  return sorted[std::min(rank, sorted.size()) - 1];
}

BatchIntervals::BatchIntervals(double alpha)
    : alpha_(alpha),
      z_(boost::math::quantile(boost::math::normal_distribution<double, Policy>(), 1 - alpha / 2)),
      t_(boost::math::quantile(
          boost::math::students_t_distribution<double, Policy>(static_cast<double>(batches - 1)),
          1 - alpha / 2)) {}

Interval BatchIntervals::mean(std::span<const double> in_order) const {
  const std::size_t n = in_order.size();
  const auto nn = static_cast<double>(n);
  double mean = 0;
  for (const double v : in_order) {
    mean += v;
  }
  mean /= nn;
  if (n < 2) {
    return {open_end, open_end};  // one value says nothing of its spread
  }
  double squares = 0;
  for (const double v : in_order) {
    squares += (v - mean) * (v - mean);
  }
  double half = z_ * std::sqrt(squares / (nn - 1) / nn);
  if (can_batch(n)) {
    std::array<double, batches> means{};
    for (std::size_t j = 0; j < batches; ++j) {
      const auto [first, last] = batch(j, n);
      double sum = 0;
      for (std::size_t i = first; i < last; ++i) {
        sum += in_order[i];
      }
      means[j] = sum / static_cast<double>(last - first);
    }
    half = std::max(half, t_ * std::sqrt(variance(means) / static_cast<double>(batches)));
  }
  return {mean - half, mean + half};
}

template <typename Flag>
double BatchIntervals::share_variance_ratio(std::size_t n, double share, Flag flag) const {
  const double independent = share * (1 - share) / static_cast<double>(n);
  if (!can_batch(n) || independent <= 0) {
    return 1;
  }
  std::array<double, batches> shares{};
  for (std::size_t j = 0; j < batches; ++j) {
    const auto [first, last] = batch(j, n);
    std::size_t count = 0;
    for (std::size_t i = first; i < last; ++i) {
      count += flag(i) ? 1 : 0;
    }
    shares[j] = static_cast<double>(count) / static_cast<double>(last - first);
  }
  // The batches' variance, at t's width, as a multiple of the independent
  // variance at z's width.
  const double batched = variance(shares) / static_cast<double>(batches) * (t_ * t_) / (z_ * z_);
  return std::max(1.0, batched / independent);
}

Interval BatchIntervals::quantile(std::span<const double> in_order, std::span<const double> sorted,
                                  double q) const {
  const std::size_t n = sorted.size();
  const auto nn = static_cast<double>(n);
  // The sample's q quantile and the values at most it.
  const double estimate = nearest_rank(sorted, q);
  const auto below = static_cast<std::size_t>(
      std::upper_bound(sorted.begin(), sorted.end(), estimate) - sorted.begin());
  const double ratio = share_variance_ratio(n, static_cast<double>(below) / nn,
                                            [&](std::size_t i) { return in_order[i] <= estimate; });
  const Interval ranks = quantile_ranks(n, q, ratio);
  return {ranks.low < 1 ? 0.0 : sorted[static_cast<std::size_t>(ranks.low) - 1],
          ranks.high > nn ? open_end : sorted[static_cast<std::size_t>(ranks.high) - 1]};
}

Interval BatchIntervals::quantile_ranks(std::size_t n, double q, double variance_ratio) const {
  const auto nn = static_cast<double>(n);
  const double spread = z_ * std::sqrt(nn * q * (1 - q) * variance_ratio);
  return {std::floor(nn * q - spread), std::ceil(nn * q + spread) + 1};
}

Interval BatchIntervals::independent_mean(double mean, double stddev, std::size_t n) const {
  if (n < 2) {
    return {open_end, open_end};  // as mean(): no spread from one value
  }
  const double half = z_ * stddev / std::sqrt(static_cast<double>(n));
  return {mean - half, mean + half};
}

BatchIntervals::TalliedMean BatchIntervals::tallied_mean(std::span<const IntervalTally> stretches,
                                                         double mean, double stddev,
                                                         std::size_t n) const {
  TalliedMean out{independent_mean(mean, stddev, n), 1};
  const auto batched = batched_ratio_variance(
      stretches, [](const IntervalTally& s) { return s.count; },
      [](const IntervalTally& s) { return s.sum_ns; });
  if (n < 2 || !batched) {
    return out;
  }
  const double independent = stddev * stddev / static_cast<double>(n);
  const double half = std::max(z_ * std::sqrt(independent), t_ * std::sqrt(*batched));
  out.interval = {mean - half, mean + half};
  if (independent > 0) {
    out.variance_ratio = std::max(1.0, *batched * (t_ * t_) / (independent * (z_ * z_)));
  }
  return out;
}

Interval BatchIntervals::tallied_share(std::span<const IntervalTally> stretches, std::size_t k,
                                       std::size_t n) const {
  if (n == 0) {
    return {open_end, open_end};
  }
  const double p = static_cast<double>(k) / static_cast<double>(n);
  const double independent = p * (1 - p) / static_cast<double>(n);
  const auto batched = batched_ratio_variance(
      stretches, [](const IntervalTally& s) { return s.count + s.failed; },
      [](const IntervalTally& s) { return static_cast<double>(s.failed); });
  const double ratio = batched && independent > 0
                           ? std::max(1.0, *batched * (t_ * t_) / (independent * (z_ * z_)))
                           : 1.0;
  // Wilson's interval on the number of independent outcomes that would vary
  // as much as these do, as share() widens its own.
  return wilson(p, static_cast<double>(n) / ratio);
}

Interval BatchIntervals::independent_share(std::size_t k, std::size_t n) const {
  if (n == 0) {
    return {open_end, open_end};
  }
  return wilson(static_cast<double>(k) / static_cast<double>(n), static_cast<double>(n));
}

Interval BatchIntervals::wilson(double p, double n) const {
  const double z2 = z_ * z_;
  const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = z_ * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

Interval BatchIntervals::share(std::span<const std::uint8_t> in_order) const {
  const std::size_t n = in_order.size();
  if (n == 0) {
    return {open_end, open_end};
  }
  std::size_t k = 0;
  for (const std::uint8_t flag : in_order) {
    k += flag != 0 ? 1 : 0;
  }
  const double p = static_cast<double>(k) / static_cast<double>(n);
  // Wilson's interval on the number of independent flags that would vary as
  // much as these do.
  return wilson(p, static_cast<double>(n) /
                       share_variance_ratio(n, p, [&](std::size_t i) { return in_order[i] != 0; }));
}

}  // namespace tailsim::stats
