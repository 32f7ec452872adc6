#include "tailsim/study/confidence.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <iterator>
#include <numeric>
#include <vector>

namespace tailsim::study {
namespace {

/// t(0.975, df) for df = 1..30, from the regularized incomplete beta function
/// (the values of R's qt(0.975, df)).
constexpr std::array<double, 30> t_table = {
    12.7062047362, 4.3026527297, 3.1824463053, 2.7764451052, 2.5705818356, 2.4469118511,
    2.3646242516,  2.3060041352, 2.2621571628, 2.2281388520, 2.2009851601, 2.1788128297,
    2.1603686565,  2.1447866879, 2.1314495456, 2.1199052992, 2.1098155778, 2.1009220402,
    2.0930240544,  2.0859634473, 2.0796138447, 2.0738730679, 2.0686576104, 2.0638985616,
    2.0595385528,  2.0555294386, 2.0518305165, 2.0484071418, 2.0452296421, 2.0422724563};

/// The standard normal quantile at 0.975.
constexpr double z_975 = 1.959963984540054;

}  // namespace

double t_critical_95(std::uint64_t df) {
  assert(df >= 1 && "Student's t needs at least one degree of freedom");
  if (df <= t_table.size()) {
    return t_table[df - 1];
  }
  // Abramowitz and Stegun 26.7.5: t = x + g1/v + g2/v^2 + g3/v^3 + g4/v^4.
  const double x = z_975;
  const double x2 = x * x;
  const double g1 = x * (x2 + 1) / 4;
  const double g2 = x * ((5 * x2 + 16) * x2 + 3) / 96;
  const double g3 = x * (((3 * x2 + 19) * x2 + 17) * x2 - 15) / 384;
  const double g4 = x * ((((79 * x2 + 776) * x2 + 1482) * x2 - 1920) * x2 - 945) / 92160;
  const double v = static_cast<double>(df);
  return x + (g1 + (g2 + (g3 + g4 / v) / v) / v) / v;
}

Estimate estimate_mean(std::span<const double> samples) {
  Estimate e;
  e.n = samples.size();
  if (samples.empty()) {
    return e;
  }
  const double n = static_cast<double>(samples.size());
  if (std::all_of(samples.begin(), samples.end(), [&](double x) { return x == samples.front(); })) {
    // No spread at all (a deterministic model): exactly the value, with no
    // rounding noise in the sum making up a spread of 1e-17.
    e.mean = samples.front();
    e.half_width = samples.size() < 2 ? e.half_width : 0.0;
    return e;
  }
  e.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / n;
  if (samples.size() < 2) {
    return e;
  }
  double squares = 0;
  for (const double x : samples) {
    squares += (x - e.mean) * (x - e.mean);
  }
  const double sd = std::sqrt(squares / (n - 1));
  e.half_width = t_critical_95(samples.size() - 1) * sd / std::sqrt(n);
  return e;
}

Estimate estimate_measured(std::span<const double> samples) {
  std::vector<double> measured;
  measured.reserve(samples.size());
  std::copy_if(samples.begin(), samples.end(), std::back_inserter(measured),
               [](double x) { return !std::isnan(x); });
  return estimate_mean(measured);
}

}  // namespace tailsim::study
