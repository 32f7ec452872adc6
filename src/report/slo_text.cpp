#include "tailsim/report/slo_text.hpp"

#include <algorithm>
#include <cmath>

#include "tailsim/core/duration_text.hpp"
#include "tailsim/core/time.hpp"
#include "tailsim/report/result_text.hpp"

namespace tailsim::report {

bool has_slo_measurement(const stats::Results& results, const stats::SloResult& slo) {
  if (slo.check.metric == SloMetric::errors || slo.check.metric == SloMetric::throughput) {
    return true;
  }
  const auto path = std::find_if(results.paths.begin(), results.paths.end(),
                                 [&](const stats::PathResult& p) { return p.name == slo.path; });
  return path == results.paths.end() || path->latency.count() > 0;
}

std::string format_slo_measured(const stats::Results& results, const stats::SloResult& slo) {
  return has_slo_measurement(results, slo) ? format_slo_value(slo) : "no successful request";
}

std::string format_sim_seconds(double seconds) {
  return format_duration(Duration(std::llround(seconds * 1e9)));
}

}  // namespace tailsim::report
