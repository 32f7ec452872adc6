#pragma once
/// Words and numbers of a run that every human-readable format writes the
/// same way: the console and report.html share them.

#include <string>
#include <string_view>
#include <vector>

#include "tailsim/stats/results.hpp"

namespace tailsim::report {

/// An SLO check's measured value in the unit of its threshold: "0.21%",
/// "399.2/s", "180.5ms".
std::string format_slo_value(const stats::SloResult& slo);

/// The syncs of an autoscaler where the desired or the ready count changed
/// (the first sync included): the lag between the two is its story.
std::vector<const stats::ScaleSample*> scale_changes(const stats::AutoscalerResult& autoscaler);
/// A sync's metric as the controller read it: "130%" for cpu, "12.5" else,
/// "-" when it read none.
std::string format_scale_metric(const stats::AutoscalerResult& autoscaler,
                                const stats::ScaleSample& sync);

/// What an attribution part's `what` means, in words: "waiting for a worker"
/// for `queue`.
std::string_view attribution_label(std::string_view what);

/// One row of a path's attribution table: a part, by name, with its time in
/// the mean request and in the slowest 1%.
struct AttributionRow {
  std::string label;  ///< "payments waiting for a worker"; "everything else" for the rest
  double mean_ms = 0;
  double slowest_ms = 0;
  bool is_rest = false;
};

/// The rows an attribution table shows for a path: the parts largest in the
/// slowest 1% (then in the mean), at most `rows`, each at least `min_share`
/// of one group's latency, then "everything else" when something is left.
std::vector<AttributionRow> attribution_table(const stats::Attribution& a, std::size_t rows,
                                              double min_share);

}  // namespace tailsim::report
