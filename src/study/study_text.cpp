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

namespace {

/// Three significant digits without an exponent, trailing zeros dropped:
/// 12003, 2.5, 0.523, 0.0000412.
std::string three_digits(double value) {
  if (value == 0 || std::abs(value) >= 100) {
    return fmt::format("{:.0f}", value);
  }
  const int decimals =
      std::clamp(2 - static_cast<int>(std::floor(std::log10(std::abs(value)))), 0, 12);
  std::string text = fmt::format("{:.{}f}", value, decimals);
  if (text.find('.') != std::string::npos) {
    text.erase(text.find_last_not_of('0') + 1);
    if (text.back() == '.') {
      text.pop_back();
    }
  }
  return text;
}

}  // namespace

std::string format_component_value(ComponentUnit unit, double value) {
  if (std::isnan(value)) {
    return "-";
  }
  switch (unit) {
    case ComponentUnit::share:
      return three_digits(value * 100) + "%";
    case ComponentUnit::seconds:
      return three_digits(value) + "s";
    case ComponentUnit::rate:
      return fmt::format("{:.1f}/s", value);
    case ComponentUnit::count:
    case ComponentUnit::number:
      break;
  }
  return three_digits(value);
}

std::string format_component_estimate(ComponentUnit unit, const Estimate& estimate) {
  if (std::isnan(estimate.mean)) {
    return "-";
  }
  if (!estimate.has_interval() || std::isnan(estimate.half_width)) {
    return format_component_value(unit, estimate.mean);
  }
  return fmt::format("{} ± {}", format_component_value(unit, estimate.mean),
                     format_component_value(unit, estimate.half_width));
}

std::string format_table(const std::vector<std::vector<std::string>>& rows, std::size_t indent,
                         std::size_t left) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t c = 0; c < row.size(); ++c) {
      widths[c] = std::max(widths[c], display_width(row[c]));
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line(indent, ' ');
    for (std::size_t c = 0; c < row.size(); ++c) {
      const std::string fill(widths[c] - std::min(widths[c], display_width(row[c])), ' ');
      const std::string gap = c == 0 ? "" : "  ";
      line += c < left ? gap + row[c] + fill : gap + fill + row[c];
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
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
