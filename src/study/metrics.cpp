#include "tailsim/study/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

namespace tailsim::study {
namespace {

constexpr std::array<std::string_view, metric_count> metric_names = {
    "mean", "p50", "p90", "p99", "p99.9", "max", "errors", "throughput"};

}  // namespace

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
    const std::uint64_t ok = p.outcomes[stats::Outcome::ok];
    m[Metric::errors] = p.requests > ok
                            ? static_cast<double>(p.requests - ok) / static_cast<double>(p.requests)
                            : 0.0;
    m[Metric::throughput] = p.throughput_rps;
    run.paths.push_back(std::move(m));
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
    for (const auto& run : runs) {
      e.unstable += run.paths[p].unstable ? 1 : 0;
    }
    out.push_back(std::move(e));
  }
  return out;
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

}  // namespace tailsim::study
