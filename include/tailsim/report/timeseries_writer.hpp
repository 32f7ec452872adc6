#pragma once
/// timeseries.csv: the run's time series as tidy rows, for spreadsheets,
/// notebooks (pandas, R) and Grafana's CSV data sources.

#include <string>

#include "tailsim/stats/results.hpp"

namespace tailsim::report {

/// `results.timeseries` as CSV: the header `time_s,entity,metric,value`, then
/// one row per value of every series, series after series in their order and
/// each in time order. `time_s` is the start of the value's interval (i x
/// interval), written exactly to the nanosecond (`0`, `0.5`, `1`, ...);
/// `value` is the shortest decimal that reads back as the double, and an
/// empty field where the value is undefined (NaN). Entity and metric names
/// with a comma, double quote or line break are quoted as RFC 4180 says.
/// Lines end in `\n`. With no series, just the header.
std::string format_timeseries_csv(const stats::Results& results);

}  // namespace tailsim::report
