#include "tailsim/report/slo_text.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

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

namespace {

/// `value` in the unit of `slo`'s threshold, "-" when it is not a number.
std::string slo_value_text(const stats::SloResult& slo, double value) {
  if (!std::isfinite(value)) {
    return "-";
  }
  stats::SloResult copy = slo;
  copy.value = value;
  return format_slo_value(copy);
}

/// "310.0ms ± 2.1ms", or "310.0ms" without a half-width.
std::string with_half_width(const stats::SloResult& slo, double mean, double half_width) {
  std::string out = slo_value_text(slo, mean);
  if (std::isfinite(mean) && std::isfinite(half_width)) {
    out += " ± " + slo_value_text(slo, half_width);
  }
  return out;
}

}  // namespace

std::string format_slo_estimate(const stats::SloResult& slo, const SloStudyCheck& study) {
  const std::string value = std::isfinite(slo.value)
                                ? with_half_width(slo, slo.value, study.half_width)
                                : std::string("no successful request in some replication");
  return fmt::format("{} over {} replication{}", value, study.replications,
                     study.replications == 1 ? "" : "s");
}

std::string format_slo_baseline(const stats::SloResult& slo, const SloStudyCheck& study) {
  if (!study.has_baseline) {
    return {};
  }
  std::string difference = "-";
  if (std::isfinite(study.difference)) {
    difference = (study.difference < 0 ? "-" : "+") +
                 with_half_width(slo, std::abs(study.difference), study.difference_half_width);
  }
  return fmt::format("A {}, B - A {}: {}", with_half_width(slo, study.a_mean, study.a_half_width),
                     difference, study.verdict);
}

std::string format_sim_seconds(double seconds) {
  return format_duration(Duration(std::llround(seconds * 1e9)));
}

}  // namespace tailsim::report
