// import/cpu_sizing: the mean slowdown of processor sharing on c cores, the
// cores a traced load needs, and how much of a traced own time is CPU
// demand, against M/M/1 and M/M/c in closed form.

#include "import/cpu_sizing.hpp"

#include <cmath>

#include <catch2/catch.hpp>

namespace tid = tailsim::import::detail;

TEST_CASE("sharing slowdown: M/M/1's 1 / (1 - rho) and M/M/2's Erlang C", "[import]") {
  CHECK(tid::sharing_slowdown(1, 0) == 1);
  CHECK(tid::sharing_slowdown(1, 0.5) == Approx(2.0));  // 1 / (1 - 0.5)
  CHECK(tid::sharing_slowdown(1, 0.9) == Approx(10.0));
  // Two cores, one busy: Erlang B(2, 1) = 0.2, C = 1/3, slowdown 1 + (1/3) / (2 - 1)
  CHECK(tid::sharing_slowdown(2, 1) == Approx(4.0 / 3));
  // At or over the cores: no steady state.
  CHECK(std::isinf(tid::sharing_slowdown(2, 2)));
  // More cores, the same work: less waiting.
  CHECK(tid::sharing_slowdown(4, 1) < tid::sharing_slowdown(2, 1));
  // A fractional limit lies between the whole numbers around it.
  const double between = tid::sharing_slowdown(2.5, 1);
  CHECK(between < tid::sharing_slowdown(2, 1));
  CHECK(between > tid::sharing_slowdown(3, 1));
}

TEST_CASE("cores for a traced load: the fewest at which it waits under 2%", "[import]") {
  CHECK(tid::cores_for(0) == 1);
  CHECK(tid::cores_for(0.01) == 1);   // 1 / (1 - 0.01) = 1.0101
  CHECK(tid::cores_for(0.272) == 2);  // one core: 1.37; two: 1.0188
  for (const double busy : {0.5, 1.6, 7.3, 40.0}) {
    INFO(busy);
    const auto c = tid::cores_for(busy);
    CHECK(tid::sharing_slowdown(static_cast<double>(c), busy) <= 1.02);
    CHECK(tid::sharing_slowdown(static_cast<double>(c - 1), busy) > 1.02);
  }
}

TEST_CASE("demand factor: the CPU demand that, shared at the traced load, takes the traced time",
          "[import]") {
  CHECK(tid::demand_factor(1, 0) == 1);
  // M/M/1: S / (1 - lambda S) = R  ->  S = R / (1 + lambda R); lambda R = 0.5: S = 2R/3
  CHECK(tid::demand_factor(1, 0.5) == Approx(2.0 / 3).epsilon(1e-9));
  // lambda R = 3 on one core: S = R / 4 (the traced time was mostly waiting)
  CHECK(tid::demand_factor(1, 3) == Approx(0.25).epsilon(1e-9));
  // Whatever the cores: x slowdown(c, x busy) = 1.
  for (const double cores : {1.0, 2.0, 3.5, 8.0}) {
    for (const double busy : {0.1, 1.0, 5.0}) {
      const double x = tid::demand_factor(cores, busy);
      INFO(cores << " cores, " << busy << " busy");
      CHECK(x > 0);
      CHECK(x <= 1);
      CHECK(x * tid::sharing_slowdown(cores, x * busy) == Approx(1.0).epsilon(1e-6));
    }
  }
}
