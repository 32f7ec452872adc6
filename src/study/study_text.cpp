#include "tailsim/study/study_text.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

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

std::vector<std::string> describe_coverage(const RunCoverage& coverage) {
  std::vector<std::string> lines;
  if (coverage.ran < coverage.asked) {
    lines.push_back(
        fmt::format("interrupted: {} of {} replications ran", coverage.ran, coverage.asked));
  }
  if (coverage.stopped.empty()) {
    return lines;
  }
  // The kinds of reason ("memory budget", "interrupted", "event limit") with
  // their counts, in order of first appearance; then the first in full.
  std::vector<std::pair<std::string, std::size_t>> kinds;
  for (const auto& stop : coverage.stopped) {
    const std::string kind = stop.reason.substr(0, stop.reason.find(':'));
    const auto at =
        std::find_if(kinds.begin(), kinds.end(), [&](const auto& k) { return k.first == kind; });
    if (at == kinds.end()) {
      kinds.emplace_back(kind, 1);
    } else {
      ++at->second;
    }
  }
  std::string counted;
  for (const auto& [kind, count] : kinds) {
    counted += fmt::format("{}{} ({})", counted.empty() ? "" : ", ", kind, count);
  }
  lines.push_back(fmt::format("{} of {} replications stopped early: {}; the first (seed {}): {}",
                              coverage.stopped.size(), coverage.ran, counted,
                              coverage.stopped.front().seed, coverage.stopped.front().reason));
  return lines;
}

std::string pad(const std::string& text, std::size_t width) {
  const std::size_t shown = display_width(text);
  return shown >= width ? text : text + std::string(width - shown, ' ');
}

}  // namespace tailsim::study
