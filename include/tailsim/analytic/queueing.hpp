#pragma once
/// Closed forms of queueing theory that the analysis builds on: the
/// birth-death chain of a station with `c` servers (M/M/c, Erlang C) and the
/// expected maximum of independent exponentials (fork-join).

#include <cstdint>
#include <span>

namespace tailsim::analytic {

/// The mean number in system L of a station whose n requests are served at
/// total rate min(n, c) x mu under Poisson arrivals, for an offered load
/// a = lambda / mu (in servers) and c > 0 servers, which may be fractional
/// (a pod with 1.5 cores). For whole c this is M/M/c:
/// L = a + C(c, a) x a / (c - a), with C Erlang's delay formula. Infinite
/// when a >= c (the station saturates).
[[nodiscard]] double mean_in_system(double offered_load, double servers);

/// Erlang C: the probability that an arrival waits at an M/M/c station with
/// offered load a < c (for fractional c, that all ceil(c) servers are busy);
/// 1 when the station saturates.
[[nodiscard]] double erlang_c(double offered_load, double servers);

/// The mean response time of such a station with arrival rate `lambda` and
/// mean service time `service` (seconds): L / lambda (Little), or `service`
/// itself when nothing arrives.
[[nodiscard]] double mean_response_time(double lambda, double service, double servers);

/// E[max(X_1, ..., X_k)] for independent exponentials with the given means
/// (zeros ignored): the inclusion-exclusion sum over non-empty subsets S of
/// (-1)^(|S|+1) / sum_{i in S} 1/mean_i, which for k equal means m is
/// m x H_k (the k-th harmonic number). Above 16 non-zero means it returns
/// the bound max_i(mean_i) x H_k instead, which is never below the exact value.
[[nodiscard]] double expected_max_of_exponentials(std::span<const double> means);

/// A queueing station of a closed network, for mean value analysis:
/// `count` identical stations (a service's pods, each taking an equal share
/// of its visits), each needing `demand` seconds of one server per request
/// (visits x mean service time) and having `servers` servers, a whole
/// number (a request is served by one server at a time).
struct MvaStation {
  double demand = 0;
  double servers = 1;
  double count = 1;
};

/// A closed network's throughput and mean response time (think time
/// excluded) with `users` requests circulating.
struct MvaResult {
  double throughput = 0;
  double response = 0;
};

/// Exact mean value analysis of a single-class closed product-form network
/// (Reiser and Lavenberg 1980): `users` users, each thinking (or in pure
/// delays) for `delay` seconds between requests, over the queueing
/// stations. A station with m > 1 servers uses the exact multi-server step
/// (Bolch, Greiner, de Meer and Trivedi, Queueing Networks and Markov
/// Chains, 2nd ed., section 8.2.4), which needs the probabilities of 0 to
/// m - 1 requests there: O(users x sum of m).
[[nodiscard]] MvaResult mean_value_analysis(std::span<const MvaStation> stations, double delay,
                                            std::uint64_t users);

}  // namespace tailsim::analytic
