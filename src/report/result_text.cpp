#include "tailsim/report/result_text.hpp"

#include <algorithm>

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

std::string_view attribution_label(std::string_view what) {
  static constexpr std::pair<std::string_view, std::string_view> labels[] = {
      {"network", "network"},
      {"queue", "waiting for a worker"},
      {"cpu", "cpu"},
      {"warmup", "cpu warm-up (new pod)"},
      {"cpu_contention", "sharing cpu cores"},
      {"throttled", "cpu throttling"},
      {"delay", "delay steps"},
      {"cache_lookup", "cache lookup"},
      {"cache_wait", "waiting for a cache fill"},
      {"backoff", "retry backoff"},
      {"failed_attempts", "failed attempts"},
      {"broker", "waiting in the queue"},
      {"unaccounted", "unaccounted"}};
  for (const auto& [key, label] : labels) {
    if (key == what) {
      return label;
    }
  }
  return what;
}

std::vector<std::pair<std::string, std::string>> attribution_rows(const stats::Attribution& a,
                                                                  std::size_t rows,
                                                                  double min_share) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto* group : {&a.slowest, &a.mean}) {
    for (const auto& part : group->parts) {
      if (out.size() >= rows) {
        return out;
      }
      std::pair<std::string, std::string> row{part.entity, part.what};
      const double largest_share = std::max(
          a.mean.latency_ms > 0 ? attribution_ms(a.mean, row.first, row.second) / a.mean.latency_ms
                                : 0.0,
          a.slowest.latency_ms > 0
              ? attribution_ms(a.slowest, row.first, row.second) / a.slowest.latency_ms
              : 0.0);
      if (largest_share >= min_share && std::find(out.begin(), out.end(), row) == out.end()) {
        out.push_back(std::move(row));
      }
    }
  }
  return out;
}

double attribution_ms(const stats::AttributionGroup& group, std::string_view entity,
                      std::string_view what) {
  for (const auto& part : group.parts) {
    if (part.entity == entity && part.what == what) {
      return part.ms;
    }
  }
  return 0.0;
}

}  // namespace tailsim::report
