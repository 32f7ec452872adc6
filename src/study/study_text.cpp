#include "tailsim/study/study_text.hpp"

#include <cmath>

#include <fmt/format.h>

#include "tailsim/report/console_report.hpp"

namespace tailsim::study {

std::string format_metric(Metric metric, double value) {
  if (std::isnan(value)) {
    return "-";
  }
  switch (metric) {
    case Metric::errors:
      return fmt::format("{:.3g}%", value * 100);
    case Metric::throughput:
      return fmt::format("{:.1f}/s", value);
    default:
      return report::format_ms(value);
  }
}

std::string format_estimate(Metric metric, const Estimate& estimate) {
  if (std::isnan(estimate.mean)) {
    return "-";
  }
  if (!estimate.has_interval() || std::isnan(estimate.half_width)) {
    return format_metric(metric, estimate.mean);
  }
  return fmt::format("{} ± {}", format_metric(metric, estimate.mean),
                     format_metric(metric, estimate.half_width));
}

std::string format_estimate(Metric metric, const Estimate& estimate, std::size_t replications) {
  std::string out = format_estimate(metric, estimate);
  if (estimate.n > 0 && estimate.n < replications) {
    out += fmt::format(" ({} of {})", estimate.n, replications);
  }
  return out;
}

std::string pad(const std::string& text, std::size_t width) {
  const std::size_t shown = display_width(text);
  return shown >= width ? text : text + std::string(width - shown, ' ');
}

}  // namespace tailsim::study
