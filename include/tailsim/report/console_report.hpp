#pragma once
/// The summary printed after a run: SLO checks first, as k6 prints
/// thresholds, then one line per request path and per service.

#include <cstddef>
#include <string>
#include <string_view>

#include "tailsim/stats/results.hpp"

namespace tailsim::report {

struct ConsoleStyle {
  bool color = false;  ///< ANSI colours (only on a terminal, NO_COLOR unset)
};

std::string to_console(const stats::Results& results, const ConsoleStyle& style = {});

/// Tail attribution per path: the largest parts of the mean request and of
/// the slowest 1%, as a table; empty when the run computed none.
std::string attribution_section(const stats::Results& results);

/// A duration in milliseconds written with a unit that suits it: 850us, 12.3ms, 1.52s.
std::string format_ms(double ms);

/// The characters `text` shows (UTF-8 code points, not bytes), for laying
/// out tables and charts without font metrics.
std::size_t display_width(std::string_view text);

}  // namespace tailsim::report
