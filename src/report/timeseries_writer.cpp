#include "tailsim/report/timeseries_writer.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "tailsim/report/csv_field.hpp"
#include "tailsim/report/epoch.hpp"

namespace tailsim::report {
namespace {

/// A value: the shortest decimal that reads back as the double; NaN is an
/// empty field.
std::string value_text(double value) {
  return std::isnan(value) ? std::string() : fmt::format("{}", value);
}

}  // namespace

std::string format_timeseries_csv(const stats::Results& results) {
  const stats::TimeSeries& ts = results.timeseries;
  // The interval in whole ns, as the model gave it: i x interval is then exact.
  const auto interval_ns = static_cast<std::int64_t>(std::llround(ts.interval_s * 1e9));
  std::string out = "time_s,entity,metric,value\n";
  auto add = [&](const stats::Series& series) {
    const std::string prefix =
        fmt::format(",{},{},", csv_field(series.entity), csv_field(series.metric));
    for (std::size_t i = 0; i < series.values.size(); ++i) {
      out += exact_seconds_text(static_cast<std::int64_t>(series.first + i) * interval_ns);
      out += prefix;
      out += value_text(series.values[i]);
      out += '\n';
    }
  };
  for (const stats::Series& series : ts.series) {
    add(series);
  }
  for (const stats::Series& series : ts.pods) {  // each from the interval its pod was made in
    add(series);
  }
  return out;
}

}  // namespace tailsim::report
