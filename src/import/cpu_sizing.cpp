#include "cpu_sizing.hpp"

#include <cmath>
#include <limits>

namespace tailsim::import::detail {

double sharing_slowdown(double cores, double busy) {
  if (busy <= 0) {
    return 1;
  }
  if (busy >= cores) {
    return std::numeric_limits<double>::infinity();
  }
  // Erlang's B by its recursion over whole servers, then C from B; a
  // fractional number of cores (a CPU limit of 1.5) interpolates between
  // the whole numbers around it.
  const auto erlang_c = [busy](std::int64_t servers) {
    double b = 1;
    for (std::int64_t k = 1; k <= servers; ++k) {
      b = busy * b / (static_cast<double>(k) + busy * b);
    }
    const auto c = static_cast<double>(servers);
    return c * b / (c - busy * (1 - b));
  };
  const double whole = std::floor(cores);
  const auto at = [&](double servers) {
    if (servers <= busy) {
      return std::numeric_limits<double>::infinity();
    }
    return 1 + erlang_c(static_cast<std::int64_t>(servers)) / (servers - busy);
  };
  if (whole == cores) {
    return at(whole);
  }
  const double low = at(whole);
  const double high = at(whole + 1);
  if (std::isinf(low)) {
    // Between busy and the next whole core: the interpolation has no lower
    // end; use the exact form of one server's slowdown scaled to the cores.
    return 1 / (1 - busy / cores);
  }
  const double t = cores - whole;
  return low * (1 - t) + high * t;
}

std::int64_t cores_for(double busy, double allowed) {
  constexpr std::int64_t most = 1024;
  for (std::int64_t c = 1; c < most; ++c) {
    if (sharing_slowdown(static_cast<double>(c), busy) <= 1 + allowed) {
      return c;
    }
  }
  return most;
}

double demand_factor(double cores, double busy) {
  if (busy <= 0) {
    return 1;
  }
  // x slowdown(x busy) grows from 0 (x -> 0) past 1 (as x busy nears the
  // cores): bisection on (0, min(1, cores / busy)).
  double low = 0;
  double high = std::min(1.0, cores / busy);
  for (int i = 0; i < 100; ++i) {
    const double x = (low + high) / 2;
    if (x * sharing_slowdown(cores, x * busy) > 1) {
      high = x;
    } else {
      low = x;
    }
  }
  return low;
}

}  // namespace tailsim::import::detail
