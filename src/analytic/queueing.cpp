#include "tailsim/analytic/queueing.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace tailsim::analytic {

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();

/// The stationary chain of a station with rates min(n, c) mu at load a < c:
/// its mean number in system and the probability that all servers are busy,
/// P(N >= ceil(c)).
struct Chain {
  double mean = 0;
  double all_busy = 0;
};

Chain birth_death(double a, double c) {
  // States n < m = ceil(c) are served at rate n mu, so q_n = a^n / n!; from m
  // on the rate is c mu and q_n = q_(m-1) r^(n-m+1) with r = a / c, a
  // geometric tail with closed sums. Far beyond the mode a of q_n the terms
  // vanish, so a huge c (unlimited workers) costs no more than a few a.
  const double r = a / c;
  const double m = std::ceil(c);
  const double cutoff = a + 12 * std::sqrt(a) + 60;
  const bool has_tail = m - 1 <= cutoff;
  const auto last = static_cast<std::int64_t>(has_tail ? m - 1 : std::floor(cutoff));
  // Terms in logarithms, scaled by the largest, so nothing overflows.
  std::vector<double> log_q(static_cast<std::size_t>(last) + 1);
  for (std::int64_t n = 0; n <= last; ++n) {
    log_q[static_cast<std::size_t>(n)] =
        static_cast<double>(n) * std::log(a) - std::lgamma(static_cast<double>(n) + 1);
  }
  const double top = *std::max_element(log_q.begin(), log_q.end());
  double weight = 0;
  double count = 0;
  for (std::int64_t n = 0; n <= last; ++n) {
    const double q = std::exp(log_q[static_cast<std::size_t>(n)] - top);
    weight += q;
    count += static_cast<double>(n) * q;
  }
  double tail = 0;
  if (has_tail) {
    const double q_last = std::exp(log_q.back() - top);
    tail = q_last * r / (1 - r);
    weight += tail;
    count += q_last * ((m - 1) * r / (1 - r) + r / ((1 - r) * (1 - r)));
  }
  return Chain{count / weight, tail / weight};
}

}  // namespace

double mean_in_system(double offered_load, double servers) {
  if (!(offered_load > 0)) {
    return 0;
  }
  if (!(servers > offered_load)) {
    return infinity;
  }
  return birth_death(offered_load, servers).mean;
}

double erlang_c(double offered_load, double servers) {
  if (!(offered_load > 0)) {
    return 0;
  }
  if (!(servers > offered_load)) {
    return 1;
  }
  return birth_death(offered_load, servers).all_busy;
}

double mean_response_time(double lambda, double service, double servers) {
  if (!(lambda > 0) || !(service > 0)) {
    return service;
  }
  return mean_in_system(lambda * service, servers) / lambda;
}

double expected_max_of_exponentials(std::span<const double> means) {
  std::vector<double> rates;
  double largest = 0;
  for (double m : means) {
    if (m > 0) {
      rates.push_back(1 / m);
      largest = std::max(largest, m);
    }
  }
  if (!std::isfinite(largest)) {
    return infinity;
  }
  const std::size_t k = rates.size();
  constexpr std::size_t exact_up_to = 16;
  if (k > exact_up_to) {
    double harmonic = 0;
    for (std::size_t i = 1; i <= k; ++i) {
      harmonic += 1.0 / static_cast<double>(i);
    }
    return largest * harmonic;
  }
  double sum = 0;
  for (std::uint32_t subset = 1; subset < (std::uint32_t{1} << k); ++subset) {
    double rate = 0;
    for (std::size_t i = 0; i < k; ++i) {
      if ((subset >> i) & 1U) {
        rate += rates[i];
      }
    }
    sum += (std::popcount(subset) % 2 == 1 ? 1.0 : -1.0) / rate;
  }
  return sum;
}

}  // namespace tailsim::analytic
