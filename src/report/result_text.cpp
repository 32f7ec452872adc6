#include "tailsim/report/result_text.hpp"

#include <fmt/format.h>

#include "tailsim/report/console_report.hpp"

namespace tailsim::report {

std::string format_slo_value(const stats::SloResult& slo) {
  const std::string_view check = slo.check;
  if (check.find("errors") != std::string_view::npos) {
    return fmt::format("{:.3g}%", slo.value * 100);
  }
  if (check.find("throughput") != std::string_view::npos) {
    return fmt::format("{:.1f}/s", slo.value);
  }
  return format_ms(slo.value);
}

std::string slo_term(std::string_view check) {
  return std::string(check.substr(0, check.find_first_of(" <>")));
}

std::vector<const stats::ScaleSample*> scale_changes(const stats::AutoscalerResult& autoscaler) {
  std::vector<const stats::ScaleSample*> changes;
  for (const auto& sync : autoscaler.history) {
    if (changes.empty() || sync.desired != changes.back()->desired ||
        sync.ready != changes.back()->ready) {
      changes.push_back(&sync);
    }
  }
  return changes;
}

std::string format_scale_metric(const stats::AutoscalerResult& autoscaler,
                                const stats::ScaleSample& sync) {
  if (!sync.has_metric) {
    return "-";
  }
  return autoscaler.metric == "cpu" ? fmt::format("{:.0f}%", sync.metric)
                                    : fmt::format("{:.1f}", sync.metric);
}

}  // namespace tailsim::report
