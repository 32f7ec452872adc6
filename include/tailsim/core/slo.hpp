#pragma once
/// SLO checks after parsing: what the plan carries to the run, stats
/// evaluates and the reports show. They live below plan and stats so that
/// neither includes the other.

#include <cstdint>
#include <string>

namespace tailsim {

enum class SloMetric : std::uint8_t { mean, max, percentile, errors, throughput };
enum class Comparison : std::uint8_t { less, less_equal, greater, greater_equal };

/// One SLO check to evaluate against a path.
struct SloSpec {
  std::uint32_t path = 0;
  std::string text;
  SloMetric metric = SloMetric::mean;
  double percentile = 0;
  Comparison op = Comparison::less;
  double threshold = 0;  ///< ms, fraction or per second, by metric
};

}  // namespace tailsim
