#pragma once
/// The sweep report: one self-contained HTML page (the style and rules of
/// report.html) with, per request path, p50 and p99 against the first
/// varied value with their 95% confidence intervals as shaded bands, the
/// error share likewise, the knees marked; each service's utilization (and
/// each queue's depth) against it likewise; and the table of every point,
/// the rows of points that fail an SLO check shaded.

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tailsim::report {

/// A mean and its 95% confidence half-width (NaN: no interval).
struct MeanInterval {
  double mean = 0;
  double half_width = 0;
};

/// One curve: the points that share the values of the other varied paths.
struct SweepLine {
  std::string label;  ///< the other varied values; empty with one varied path
  std::vector<double> x;
  std::vector<MeanInterval> p50_ms;
  std::vector<MeanInterval> p99_ms;
  std::vector<MeanInterval> errors_share;
  std::optional<double> p99_knee_x;
  std::optional<double> errors_knee_x;
};

struct SweepPathCharts {
  std::string path;
  std::vector<SweepLine> lines;
};

/// One metric of one component (a service, a queue) on one curve.
struct SweepComponentLine {
  std::string name;  ///< "api", or "api (replicas=4)" with several varied paths
  std::vector<double> x;
  std::vector<MeanInterval> values;
};

/// One metric of every component of a kind against the first varied path:
/// "Utilization", each service a line.
struct SweepComponentChart {
  std::string title;    ///< the figure's caption
  std::string y_label;  ///< with its unit
  bool as_percent = false;
  std::vector<SweepComponentLine> lines;
};

struct SweepReportInputs {
  std::string model_name;
  std::string command_line;
  std::size_t points = 0;
  std::size_t replications = 0;
  std::string x_label;  ///< the first varied path
  /// Tick labels when the varied values are not numbers (x is their index);
  /// empty for a numeric axis.
  std::vector<std::pair<double, std::string>> x_categories;
  std::vector<std::string> knees;  ///< in words, one per line
  std::vector<SweepPathCharts> paths;
  std::vector<SweepComponentChart> components;
  std::vector<std::vector<std::string>> table;  ///< header row first
  /// Per row of `table` after the header: its point fails an SLO check.
  std::vector<bool> failing_rows;
};

/// The page as HTML text; same inputs, same bytes.
std::string format_sweep_report(const SweepReportInputs& inputs);

}  // namespace tailsim::report
