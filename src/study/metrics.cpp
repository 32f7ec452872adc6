#include "tailsim/study/metrics.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <iterator>
#include <limits>

namespace tailsim::study {
namespace {

constexpr std::array<std::string_view, metric_count> metric_names = {
    "mean", "p50", "p90", "p99", "p99.9", "max", "errors", "throughput"};

/// A number results.json does not have for a component.
constexpr double not_reported = std::numeric_limits<double>::quiet_NaN();

using enum ComponentUnit;

/// results.json's keys per service, queue and cache (report/json_report.cpp).
constexpr std::array<ComponentMetricSpec, 28> service_metrics = {{
    {"requests", count},
    {"utilization", share},
    {"queue_mean", number},
    {"rejected", count},
    {"replicas.min", number},
    {"replicas.max", number},
    {"replicas.mean", number},
    {"busy_cpu_s", seconds},
    {"goodput_rps", rate},
    {"wasted_cpu_s", seconds},
    {"orphaned", count},
    {"deadline_drops", count},
    {"throttled_s", seconds},
    {"cpu_stat.nr_periods", count},
    {"cpu_stat.nr_throttled", count},
    {"gc_pause_s", seconds},
    {"gc_pauses", count},
    {"contention_s", seconds},
    {"oom_kills", count},
    {"restarts", count},
    {"evictions", count},
    {"batch_size_mean", number},
    {"batches", count},
    {"gpu_busy_s", seconds},
    {"retries", count},
    {"retries_refused", count},
    {"hedges", count},
    {"hedges_won", count},
}};
constexpr std::array<ComponentMetricSpec, 5> queue_metrics = {{
    {"published", count},
    {"consumed", count},
    {"dead_letters", count},
    {"depth_max", count},
    {"lag_max_s", seconds},
}};
constexpr std::array<ComponentMetricSpec, 2> cache_metrics = {{
    {"lookups", count},
    {"hit_ratio", share},
}};

/// A service's values in the order of service_metrics.
std::vector<double> service_values(const stats::ServiceResult& s) {
  const auto n = [](std::uint64_t x) { return static_cast<double>(x); };
  if (s.is_external) {  // results.json has only these two
    std::vector<double> values(service_metrics.size(), not_reported);
    values[0] = n(s.requests);
    values[3] = n(s.rejected);
    return values;
  }
  return {n(s.requests),
          s.utilization,
          s.queue_mean,
          n(s.rejected),
          s.replicas.min,
          s.replicas.max,
          s.replicas.mean,
          s.busy_cpu_s,
          s.goodput_rps,
          s.wasted_cpu_s,
          n(s.orphaned),
          n(s.deadline_drops),
          s.throttled_s,
          s.has_cfs ? n(s.cfs_periods) : not_reported,
          s.has_cfs ? n(s.cfs_throttled_periods) : not_reported,
          s.has_gc ? s.gc_pause_s : not_reported,
          s.has_gc ? n(s.gc_pauses) : not_reported,
          s.has_contention ? s.contention_s : not_reported,
          s.has_memory ? n(s.oom_kills) : not_reported,
          s.has_memory ? n(s.restarts) : not_reported,
          s.has_memory ? n(s.evictions) : not_reported,
          s.has_batch ? s.batch_size_mean : not_reported,
          s.has_batch ? n(s.batches) : not_reported,
          s.gpus > 0 ? s.gpu_busy_s : not_reported,
          n(s.retries),
          n(s.retries_refused),
          n(s.hedges),
          n(s.hedges_won)};
}

}  // namespace

std::string_view component_kind_name(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::service:
      return "service";
    case ComponentKind::queue:
      return "queue";
    case ComponentKind::cache:
      return "cache";
  }
  return "";
}

std::string_view component_kind_key(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::service:
      return "services";
    case ComponentKind::queue:
      return "queues";
    case ComponentKind::cache:
      return "caches";
  }
  return "";
}

std::span<const ComponentMetricSpec> component_metrics(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::service:
      return service_metrics;
    case ComponentKind::queue:
      return queue_metrics;
    case ComponentKind::cache:
      return cache_metrics;
  }
  return {};
}

std::size_t component_metric_index(ComponentKind kind, std::string_view name) {
  const auto specs = component_metrics(kind);
  const auto at = std::find_if(specs.begin(), specs.end(),
                               [&](const ComponentMetricSpec& m) { return m.name == name; });
  assert(at != specs.end() && "a component metric results.json does not have");
  return static_cast<std::size_t>(at - specs.begin());
}

std::string_view metric_name(Metric metric) {
  return metric_names[static_cast<std::size_t>(metric)];
}

bool is_latency(Metric metric) {
  return metric != Metric::errors && metric != Metric::throughput;
}

bool is_lower_better(Metric metric) {
  return metric != Metric::throughput;
}

Metric slo_value_unit(SloMetric metric) {
  switch (metric) {
    case SloMetric::errors:
      return Metric::errors;
    case SloMetric::throughput:
      return Metric::throughput;
    case SloMetric::mean:
    case SloMetric::max:
    case SloMetric::percentile:
      break;
  }
  return Metric::mean;
}

RunMetrics measure_run(const stats::Results& results, std::span<const stats::SloSpec> slos) {
  RunMetrics run;
  run.seed = results.seed;
  run.stopped_early = results.stopped_early;
  run.stop_reason = results.stop_reason;
  run.paths.reserve(results.paths.size());
  for (const auto& p : results.paths) {
    PathMetrics m;
    m.name = p.name;
    m.unstable = p.unstable;
    if (p.latency.count() > 0) {
      m[Metric::mean] = p.latency.mean() * 1e-6;
      m[Metric::p50] = stats::latency_ms_at(p, 50);
      m[Metric::p90] = stats::latency_ms_at(p, 90);
      m[Metric::p99] = stats::latency_ms_at(p, 99);
      m[Metric::p99_9] = stats::latency_ms_at(p, 99.9);
      m[Metric::max] = static_cast<double>(p.latency.max()) * 1e-6;
    } else {
      for (const Metric latency : all_metrics) {
        if (is_latency(latency)) {
          m[latency] = std::numeric_limits<double>::quiet_NaN();  // nothing succeeded
        }
      }
    }
    // The same figures over all finished requests, failures included.
    const stats::Histogram& all = p.latency_all;
    if (all.count() > 0) {
      const auto ms = [&](double percentile) {
        return static_cast<double>(all.value_at_percentile(percentile)) * 1e-6;
      };
      m.all = {all.mean() * 1e-6,
               ms(50),
               ms(90),
               ms(99),
               ms(99.9),
               static_cast<double>(all.max()) * 1e-6};
    } else {
      m.all.fill(std::numeric_limits<double>::quiet_NaN());
    }
    const std::uint64_t ok = p.outcomes[stats::Outcome::ok];
    m[Metric::errors] = p.requests > ok
                            ? static_cast<double>(p.requests - ok) / static_cast<double>(p.requests)
                            : 0.0;
    m[Metric::throughput] = p.throughput_rps;
    run.paths.push_back(std::move(m));
  }
  for (const auto& s : results.services) {
    run.components.push_back({ComponentKind::service, s.name, s.is_external, service_values(s)});
  }
  for (const auto& q : results.queues) {
    const auto n = [](std::uint64_t x) { return static_cast<double>(x); };
    run.components.push_back(
        {ComponentKind::queue,
         q.name,
         false,
         {n(q.published), n(q.consumed), n(q.dead_letters), n(q.depth_max), q.lag_max_s}});
  }
  for (const auto& c : results.caches) {
    run.components.push_back(
        {ComponentKind::cache, c.name, false, {static_cast<double>(c.lookups), c.hit_ratio()}});
  }
  run.slo_values.reserve(slos.size());
  for (const auto& spec : slos) {
    const stats::PathResult& path = results.paths.at(spec.path);
    const bool is_latency_check = spec.check.metric != stats::SloMetric::errors &&
                                  spec.check.metric != stats::SloMetric::throughput;
    run.slo_values.push_back(is_latency_check && path.latency.count() == 0
                                 ? std::numeric_limits<double>::quiet_NaN()
                                 : stats::slo_value(path, spec.check));
  }
  return run;
}

std::vector<PathEstimates> estimate_paths(std::span<const RunMetrics> runs) {
  std::vector<PathEstimates> out;
  if (runs.empty()) {
    return out;
  }
  std::vector<double> samples(runs.size());
  for (std::size_t p = 0; p < runs.front().paths.size(); ++p) {
    PathEstimates e;
    e.name = runs.front().paths[p].name;
    for (const Metric m : all_metrics) {
      for (std::size_t r = 0; r < runs.size(); ++r) {
        samples[r] = runs[r].paths[p][m];
      }
      e.metrics[static_cast<std::size_t>(m)] = estimate_measured(samples);
    }
    for (std::size_t k = 0; k < latency_metric_count; ++k) {
      for (std::size_t r = 0; r < runs.size(); ++r) {
        samples[r] = runs[r].paths[p].all[k];
      }
      e.all[k] = estimate_measured(samples);
    }
    for (const auto& run : runs) {
      e.unstable += run.paths[p].unstable ? 1 : 0;
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<ComponentEstimates> estimate_components(std::span<const RunMetrics> runs) {
  std::vector<ComponentEstimates> out;
  if (runs.empty()) {
    return out;
  }
  std::vector<double> samples(runs.size());
  for (std::size_t c = 0; c < runs.front().components.size(); ++c) {
    const ComponentMetrics& first = runs.front().components[c];
    ComponentEstimates e{first.kind, first.name, first.is_external, {}};
    for (std::size_t m = 0; m < first.values.size(); ++m) {
      for (std::size_t r = 0; r < runs.size(); ++r) {
        samples[r] = runs[r].components[c].values[m];
      }
      e.metrics.push_back(estimate_measured(samples));
    }
    out.push_back(std::move(e));
  }
  return out;
}

const ComponentEstimates* find_component(std::span<const ComponentEstimates> components,
                                         ComponentKind kind, std::string_view name) {
  const auto at = std::find_if(components.begin(), components.end(),
                               [&](const auto& c) { return c.kind == kind && c.name == name; });
  return at == components.end() ? nullptr : &*at;
}

const ComponentEstimates* busiest_service(std::span<const ComponentEstimates> components) {
  const ComponentEstimates* busiest = nullptr;
  for (const auto& c : components) {
    if (c.kind == ComponentKind::service && !c.is_external &&
        std::isfinite(c["utilization"].mean) &&
        (busiest == nullptr || c["utilization"].mean > (*busiest)["utilization"].mean)) {
      busiest = &c;
    }
  }
  return busiest;
}

RunCoverage run_coverage(std::span<const RunMetrics> runs) {
  RunCoverage out;
  out.asked = runs.size();
  for (const auto& run : runs) {
    out.ran += run.ran ? 1 : 0;
    if (run.ran && run.stopped_early) {
      out.stopped.push_back({run.seed, run.stop_reason});
    }
  }
  return out;
}

std::vector<RunMetrics> runs_that_ran(std::span<const RunMetrics> runs) {
  std::vector<RunMetrics> out;
  std::copy_if(runs.begin(), runs.end(), std::back_inserter(out),
               [](const RunMetrics& r) { return r.ran; });
  return out;
}

Estimate estimate_slo(std::span<const RunMetrics> runs, std::size_t index) {
  std::vector<double> samples;
  samples.reserve(runs.size());
  for (const auto& r : runs) {
    samples.push_back(r.slo_values.at(index));
  }
  return estimate_mean(samples);
}

std::vector<SloEstimate> estimate_slos(std::span<const stats::SloSpec> slos,
                                       std::span<const std::string> path_names,
                                       std::span<const RunMetrics> runs,
                                       std::span<const PathEstimates> paths,
                                       const RunCoverage& coverage) {
  std::vector<SloEstimate> out;
  for (std::size_t i = 0; i < slos.size(); ++i) {
    const stats::SloSpec& spec = slos[i];
    SloEstimate e{path_names[spec.path], spec.check, estimate_slo(runs, i), false};
    const bool unstable = spec.path < paths.size() && paths[spec.path].unstable > 0;
    // As in a plain run: a check on numbers a longer run would have made
    // worse (a replication cut short, a backlog growing) fails.
    e.ok = !runs.empty() && stats::slo_holds(e.value.mean, spec.check.op, spec.check.threshold) &&
           coverage.stopped.empty() && !unstable;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace tailsim::study
