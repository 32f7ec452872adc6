#include "tailsim/analytic/queueing.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include <catch2/catch.hpp>

namespace {

using tailsim::analytic::erlang_c;
using tailsim::analytic::expected_max_of_exponentials;
using tailsim::analytic::mean_in_system;
using tailsim::analytic::mean_response_time;
using tailsim::analytic::mean_value_analysis;
using tailsim::analytic::MvaStation;

/// Erlang C from its textbook closed form (Kleinrock, Queueing Systems I, 3.10):
/// C = (a^c / c!) (c / (c - a)) / (sum_{k<c} a^k / k! + (a^c / c!) (c / (c - a))).
double erlang_c_closed_form(double a, int c) {
  double term = 1;  // a^k / k!
  double sum = 0;
  for (int k = 0; k < c; ++k) {
    sum += term;
    term *= a / (k + 1);
  }
  const double waiting = term * c / (c - a);
  return waiting / (sum + waiting);
}

/// The machine-repairman model M/M/m//N (Kleinrock, Queueing Systems I,
/// 3.11 and 3.14): N users thinking Z on average between requests, one
/// station of m servers with mean service D. P(j there) is proportional to
/// N! / (N - j)! (D / Z)^j / b(j), b(j) = j! below m and m! m^(j - m) from m;
/// the throughput is the mean number thinking over Z.
double repairman_throughput(int users, double think, double demand, int servers) {
  std::vector<double> weight(static_cast<std::size_t>(users) + 1);
  weight[0] = 1;
  for (int j = 1; j <= users; ++j) {
    // From j - 1 to j: one more of the N - j + 1 thinking users arrives,
    // served at min(j, m) / D.
    weight[static_cast<std::size_t>(j)] = weight[static_cast<std::size_t>(j) - 1] *
                                          (users - j + 1) * (demand / think) / std::min(j, servers);
  }
  double total = 0;
  double thinking = 0;
  for (int j = 0; j <= users; ++j) {
    total += weight[static_cast<std::size_t>(j)];
    thinking += (users - j) * weight[static_cast<std::size_t>(j)];
  }
  return thinking / total / think;
}

}  // namespace

TEST_CASE("mean value analysis matches the machine-repairman model, one or several servers",
          "[analytic][queueing]") {
  const double think = 0.100;
  const double demand = 0.010;
  for (int servers : {1, 2, 4}) {
    for (int users : {1, 5, 30, 200}) {
      const std::vector<MvaStation> station = {{demand, static_cast<double>(servers), 1}};
      const auto mva = mean_value_analysis(station, think, static_cast<std::uint64_t>(users));
      const double x = repairman_throughput(users, think, demand, servers);
      INFO(servers << " servers, " << users << " users");
      CHECK(mva.throughput == Approx(x).epsilon(1e-9));
      CHECK(mva.response == Approx(users / x - think).epsilon(1e-9));  // Little
    }
  }
}

TEST_CASE("mean value analysis: identical stations count as many, demands add up",
          "[analytic][queueing]") {
  // Two pods sharing a service's visits are two stations of half its demand;
  // with one user nothing queues: R is the sum of the demands.
  const std::vector<MvaStation> stations = {{0.005, 1, 2}, {0.020, 2, 1}};
  const auto one = mean_value_analysis(stations, 0.1, 1);
  CHECK(one.response == Approx(2 * 0.005 + 0.020).epsilon(1e-12));
  CHECK(one.throughput == Approx(1 / (0.1 + 0.030)).epsilon(1e-12));
  // Many users: the bottleneck (1 / max demand per server) bounds X.
  const auto many = mean_value_analysis(stations, 0.1, 2000);
  CHECK(many.throughput <= 1 / 0.010 * (1 + 1e-9));
  CHECK(many.throughput == Approx(1 / 0.010).epsilon(1e-3));
  CHECK(mean_value_analysis(stations, 0.1, 0).throughput == 0);
}

TEST_CASE("M/M/1: L = rho / (1 - rho), T = 1 / (mu - lambda)", "[analytic][queueing]") {
  for (double rho : {0.01, 0.3, 0.5, 0.8, 0.95, 0.999}) {
    CHECK(mean_in_system(rho, 1) == Approx(rho / (1 - rho)).epsilon(1e-12));
  }
  // lambda = 80/s, service 10 ms: T = 1 / (100 - 80) = 50 ms.
  CHECK(mean_response_time(80, 0.010, 1) == Approx(0.050).epsilon(1e-12));
}

TEST_CASE("M/M/c matches Erlang C's closed form", "[analytic][queueing]") {
  for (int c : {1, 2, 4, 8, 32}) {
    for (double rho : {0.2, 0.7, 0.95}) {
      const double a = rho * c;
      const double C = erlang_c_closed_form(a, c);
      INFO("c=" << c << " rho=" << rho);
      CHECK(erlang_c(a, c) == Approx(C).epsilon(1e-10));
      CHECK(mean_in_system(a, c) == Approx(a + C * a / (c - a)).epsilon(1e-10));
    }
  }
  // tests/scenarios/mmc-erlang-c: M/M/4, 280/s, 10 ms: C = 0.428654, T = 13.5721 ms.
  CHECK(erlang_c(2.8, 4) == Approx(0.428654).epsilon(1e-6));
  CHECK(mean_response_time(280, 0.010, 4) * 1e3 == Approx(13.5721).epsilon(1e-5));
}

TEST_CASE("fractional servers follow the birth-death chain min(n, c) mu", "[analytic][queueing]") {
  // Half a core: every state is served at mu / 2, an M/M/1 at half speed.
  CHECK(mean_in_system(0.3, 0.5) == Approx(0.6 / (1 - 0.6)).epsilon(1e-12));
  // 1.5 cores: q_0 = 1, q_n = a r^(n-1) with r = a / 1.5 for n >= 1, so
  // sum q = 1 + a / (1 - r) and sum n q = a / (1 - r)^2.
  const double a = 1.2;
  const double r = a / 1.5;
  CHECK(mean_in_system(a, 1.5) == Approx((a / ((1 - r) * (1 - r))) / (1 + a / (1 - r))));
}

TEST_CASE("stations saturate at a >= c; idle and unlimited ones never wait",
          "[analytic][queueing]") {
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(mean_in_system(1.0, 1) == inf);
  CHECK(mean_in_system(5.0, 4) == inf);
  CHECK(mean_in_system(0, 1) == 0);
  CHECK(mean_response_time(0, 0.010, 1) == 0.010);
  // A thousand servers at half load, or unlimited ones: L = a (nobody waits).
  CHECK(mean_in_system(500, 1000) == Approx(500).epsilon(1e-12));
  CHECK(mean_in_system(3, inf) == Approx(3).epsilon(1e-12));
}

TEST_CASE("the maximum of independent exponentials", "[analytic][queueing]") {
  // k equal means m: m H_k.
  const std::vector<double> three{2.0, 2.0, 2.0};
  CHECK(expected_max_of_exponentials(three) == Approx(2.0 * (1 + 1.0 / 2 + 1.0 / 3)));
  // Two: 1/mu1 + 1/mu2 - 1/(mu1 + mu2).
  const std::vector<double> two{1.0, 4.0, 0.0};
  CHECK(expected_max_of_exponentials(two) == Approx(1.0 + 4.0 - 1.0 / (1.0 + 0.25)));
  CHECK(expected_max_of_exponentials(std::vector<double>{}) == 0);
  // Beyond 16 children: the bound max x H_k, which equals the exact value
  // for equal means.
  const std::vector<double> many(20, 1.5);
  double harmonic = 0;
  for (int i = 1; i <= 20; ++i) {
    harmonic += 1.0 / i;
  }
  CHECK(expected_max_of_exponentials(many) == Approx(1.5 * harmonic));
}
