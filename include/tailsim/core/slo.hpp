#pragma once
/// SLO checks after parsing: what the plan carries to the run, stats
/// evaluates and the reports show. They live below plan and stats so that
/// neither includes the other.

#include <cstdint>
#include <string>
#include <string_view>

namespace tailsim {

enum class SloMetric : std::uint8_t { mean, max, percentile, errors, throughput };
enum class Comparison : std::uint8_t { less, less_equal, greater, greater_equal };

/// How a comparison is written: "<", "<=", ">" or ">=".
constexpr std::string_view comparison_symbol(Comparison op) {
  switch (op) {
    case Comparison::less:
      return "<";
    case Comparison::less_equal:
      return "<=";
    case Comparison::greater:
      return ">";
    case Comparison::greater_equal:
      return ">=";
  }
  return "<";
}

/// One check such as `p99 < 400ms`, parsed once when the model is read:
/// what it measures and promises, and how the model wrote its term and
/// threshold, which the reports show as written.
struct SloCheck {
  std::string text;            ///< as written: "p99 < 400ms", "p(99.9)<=1.5s"
  std::string term;            ///< the term as written: "p99", "p(99.9)", "avg", "errors"
  std::string threshold_text;  ///< the threshold as written: "400ms", "0.5%", "380/s"
  SloMetric metric = SloMetric::mean;
  double percentile = 0;  ///< 99.9 for p99.9
  Comparison op = Comparison::less;
  double threshold = 0;  ///< ms for latency terms, a fraction for errors, per second for throughput

  /// The comparison and the threshold with regular spacing: "< 400ms".
  [[nodiscard]] std::string promise() const {
    return std::string(comparison_symbol(op)) + ' ' + threshold_text;
  }
};

/// One SLO check to evaluate against a path (an index into the results' paths).
struct SloSpec {
  std::uint32_t path = 0;
  SloCheck check;
};

}  // namespace tailsim
