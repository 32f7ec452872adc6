#include "tailsim/report/timeseries_writer.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "tailsim/report/csv_field.hpp"

namespace tailsim::report {
namespace {

constexpr std::int64_t ns_per_s = 1'000'000'000;

/// A time in ns as exact decimal seconds, without trailing zeros.
std::string seconds_text(std::int64_t ns) {
  const std::int64_t whole = ns / ns_per_s;
  std::int64_t fraction = ns % ns_per_s;
  if (fraction == 0) {
    return fmt::format("{}", whole);
  }
  int digits = 9;
  while (fraction % 10 == 0) {
    fraction /= 10;
    --digits;
  }
  return fmt::format("{}.{:0{}}", whole, fraction, digits);
}

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
  for (const stats::Series& series : ts.series) {
    const std::string prefix =
        fmt::format(",{},{},", csv_field(series.entity), csv_field(series.metric));
    for (std::size_t i = 0; i < series.values.size(); ++i) {
      out += seconds_text(static_cast<std::int64_t>(i) * interval_ns);
      out += prefix;
      out += value_text(series.values[i]);
      out += '\n';
    }
  }
  return out;
}

}  // namespace tailsim::report
