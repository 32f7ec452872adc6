#include "tailsim/analytic/queueing.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace tailsim::analytic {

namespace {

constexpr double positive_infinity = std::numeric_limits<double>::infinity();

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

MvaResult mean_value_analysis(std::span<const MvaStation> stations, double delay,
                              std::uint64_t users) {
  // Per station: the mean number there Q, and p[j] = P(j requests there) for
  // j < m, all at the population before the current one.
  std::vector<double> queue(stations.size(), 0.0);
  std::vector<std::vector<double>> p(stations.size());
  for (std::size_t k = 0; k < stations.size(); ++k) {
    p[k].assign(static_cast<std::size_t>(stations[k].servers), 0.0);
    p[k][0] = 1;  // nobody there when nobody circulates
  }
  std::vector<double> response(stations.size(), 0.0);
  MvaResult result;
  for (std::uint64_t n = 1; n <= users; ++n) {
    double total = 0;
    for (std::size_t k = 0; k < stations.size(); ++k) {
      const MvaStation& st = stations[k];
      // R = D/m (1 + Q + sum_{j < m-1} (m - 1 - j) p(j)): an arrival waits
      // for the requests ahead of it, less the servers idle when it comes.
      double idle = 0;
      for (std::size_t j = 0; j + 1 < p[k].size(); ++j) {
        idle += (st.servers - 1 - static_cast<double>(j)) * p[k][j];
      }
      response[k] = st.demand / st.servers * (1 + queue[k] + idle);
      total += st.count * response[k];
    }
    const double x = static_cast<double>(n) / (delay + total);
    for (std::size_t k = 0; k < stations.size(); ++k) {
      const MvaStation& st = stations[k];
      queue[k] = x * response[k];
      const std::size_t m = p[k].size();
      // p(j | n) = X D / j p(j-1 | n-1) for 0 < j < m, highest first (each
      // reads the old value below it); p(0 | n) from the busy servers' mean.
      double busy = x * st.demand;
      for (std::size_t j = m - 1; j >= 1; --j) {
        p[k][j] = x * st.demand / static_cast<double>(j) * p[k][j - 1];
        busy += (st.servers - static_cast<double>(j)) * p[k][j];
      }
      p[k][0] = std::max(0.0, 1 - busy / st.servers);
    }
    result = MvaResult{x, total};
  }
  return result;
}

double mean_in_system(double offered_load, double servers) {
  if (!(offered_load > 0)) {
    return 0;
  }
  if (!(servers > offered_load)) {
    return positive_infinity;
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
    return positive_infinity;
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
