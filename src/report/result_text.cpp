#include "tailsim/report/result_text.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "tailsim/report/console_report.hpp"

namespace tailsim::report {

std::string format_slo_value(const stats::SloResult& slo) {
  switch (slo.check.metric) {
    case SloMetric::errors:
      return fmt::format("{:.3g}%", slo.value * 100);
    case SloMetric::throughput:
      return fmt::format("{:.1f}/s", slo.value);
    case SloMetric::mean:
    case SloMetric::max:
    case SloMetric::percentile:
      break;
  }
  return format_ms(slo.value);
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
      {"gc_pause", "GC pause"},
      {"node_cores", "waiting for node cores"},
      {"batch_wait", "waiting for a batch"},
      {"gpu_wait", "waiting for a GPU"},
      {"gpu", "GPU"},
      {"unaccounted", "unaccounted"}};
  for (const auto& [key, label] : labels) {
    if (key == what) {
      return label;
    }
  }
  return what;
}

namespace {

/// The ms of (entity, what) in a group; 0 when it has no such part.
double part_ms(const stats::AttributionGroup& group, const std::string& entity,
               const std::string& what) {
  for (const auto& part : group.parts) {
    if (part.entity == entity && part.what == what) {
      return part.ms;
    }
  }
  return 0.0;
}

}  // namespace

std::vector<AttributionRow> attribution_table(const stats::Attribution& a, std::size_t rows,
                                              double min_share) {
  auto share = [](double ms, double total) { return total > 0 ? ms / total : 0.0; };
  std::vector<std::pair<std::string, std::string>> keys;
  std::vector<AttributionRow> out;
  double mean_rest = a.mean.latency_ms;
  double slowest_rest = a.slowest.latency_ms;
  for (const auto* group : {&a.slowest, &a.mean}) {
    for (const auto& part : group->parts) {
      std::pair<std::string, std::string> key{part.entity, part.what};
      if (out.size() >= rows || std::find(keys.begin(), keys.end(), key) != keys.end()) {
        continue;
      }
      AttributionRow row;
      row.mean_ms = part_ms(a.mean, part.entity, part.what);
      row.slowest_ms = part_ms(a.slowest, part.entity, part.what);
      if (std::max(share(row.mean_ms, a.mean.latency_ms),
                   share(row.slowest_ms, a.slowest.latency_ms)) < min_share) {
        continue;
      }
      row.label = part.entity.empty()
                      ? std::string(attribution_label(part.what))
                      : fmt::format("{} {}", part.entity, attribution_label(part.what));
      mean_rest -= row.mean_ms;
      slowest_rest -= row.slowest_ms;
      keys.push_back(std::move(key));
      out.push_back(std::move(row));
    }
  }
  constexpr double negligible = 1e-6;  // of the latency: rounding, not a part
  if (share(mean_rest, a.mean.latency_ms) > negligible ||
      share(slowest_rest, a.slowest.latency_ms) > negligible) {
    out.push_back({"everything else", std::max(mean_rest, 0.0), std::max(slowest_rest, 0.0), true});
  }
  return out;
}

}  // namespace tailsim::report
