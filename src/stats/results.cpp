#include "tailsim/stats/results.hpp"

#include <algorithm>
#include <numeric>

namespace tailsim::stats {

std::uint64_t OutcomeCounts::total() const {
  return std::accumulate(std::begin(counts), std::end(counts), std::uint64_t{0});
}

bool Results::all_slos_ok() const {
  return std::all_of(slos.begin(), slos.end(), [](const SloResult& s) { return s.ok; });
}

double latency_ms_at(const PathResult& path, double p) {
  if (path.latency.count() == 0) {
    return 0;
  }
  return static_cast<double>(path.latency.value_at_percentile(p)) * 1e-6;
}

double slo_value(const PathResult& path, const SloCheck& check) {
  switch (check.metric) {
    case SloMetric::mean:
      return path.latency.count() ? path.latency.mean() * 1e-6 : 0;
    case SloMetric::max:
      return static_cast<double>(path.latency.max()) * 1e-6;
    case SloMetric::percentile:
      return latency_ms_at(path, check.percentile);
    case SloMetric::errors:
      return path.requests ? static_cast<double>(path.requests - path.outcomes[Outcome::ok]) /
                                 static_cast<double>(path.requests)
                           : 0;
    case SloMetric::throughput:
      return path.throughput_rps;
  }
  return 0;
}

bool slo_holds(double value, Comparison op, double threshold) {
  switch (op) {
    case Comparison::less:
      return value < threshold;
    case Comparison::less_equal:
      return value <= threshold;
    case Comparison::greater:
      return value > threshold;
    case Comparison::greater_equal:
      return value >= threshold;
  }
  return false;
}

void evaluate_slos(Results& results, const std::vector<SloSpec>& specs) {
  for (const auto& spec : specs) {
    const PathResult& path = results.paths.at(spec.path);
    const SloCheck& check = spec.check;
    const double value = slo_value(path, check);
    // A latency check on a path with no successful request has nothing to pass on.
    const bool has_data = check.metric == SloMetric::errors ||
                          check.metric == SloMetric::throughput || path.latency.count() > 0;
    // An unstable path fails every check: its numbers describe a backlog
    // that would only have grown in a longer run.
    results.slos.push_back(
        SloResult{path.name, check, value,
                  !path.unstable && has_data && slo_holds(value, check.op, check.threshold)});
  }
}

}  // namespace tailsim::stats
