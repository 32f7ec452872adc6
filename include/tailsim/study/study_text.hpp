#pragma once
/// How every study writes its numbers for people and for programs: an
/// estimate as `41.2ms ± 0.5ms` (and as JSON: src/study/estimate_json.hpp).

#include <string>
#include <vector>

#include "tailsim/report/console_report.hpp"
#include "tailsim/study/confidence.hpp"
#include "tailsim/study/metrics.hpp"

namespace tailsim::study {

/// A value of `metric` in its unit: "41.2ms", "0.21%", "399.2/s".
std::string format_metric(Metric metric, double value);

/// "41.2ms ± 0.51ms", or just the mean without an interval; "-" for NaN.
std::string format_estimate(Metric metric, const Estimate& estimate);

/// As above, with "(2 of 3)" after it when the estimate covers only some of
/// the `replications` (a latency, where some had no successful request).
std::string format_estimate(Metric metric, const Estimate& estimate, std::size_t replications);

/// A value of a component metric in its unit, to three significant digits
/// and never with an exponent (whole numbers from 100): "12003", "2.5",
/// "50.1%", "0.52", "1.25s", "399.2/s"; "-" for NaN.
std::string format_component_value(ComponentUnit unit, double value);

/// "50.1% ± 0.31%", or just the mean without an interval; "-" for NaN.
std::string format_component_estimate(ComponentUnit unit, const Estimate& estimate);

/// A table for the console: the header row first, the first `left`
/// columns aligned left and the others right, each as wide as its widest
/// cell, columns two spaces apart, every line indented by `indent` and
/// ending in a newline.
std::string format_table(const std::vector<std::vector<std::string>>& rows, std::size_t indent,
                         std::size_t left = 1);

/// Why some replications do not count in full, one line each: "interrupted:
/// 3 of 5 replications ran", "2 of 3 replications stopped early: memory
/// budget (2); the first (seed 1): memory budget: live work reached ...".
/// Empty when every replication ran to its end.
std::vector<std::string> describe_coverage(const RunCoverage& coverage);

using report::display_width;  // the characters `text` shows (UTF-8 code points)

/// `text` padded with spaces to `width` characters (counting UTF-8 code points).
std::string pad(const std::string& text, std::size_t width);

}  // namespace tailsim::study
