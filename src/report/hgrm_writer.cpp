#include "tailsim/report/hgrm_writer.hpp"

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace tailsim::report {
namespace {

/// HdrHistogram's output value unit scaling ratio for nanoseconds shown as
/// milliseconds.
constexpr double ns_per_ms = 1e6;
/// Digits after the point of values, mean, stddev and max. Java prints its
/// `numberOfSignificantValueDigits` there, which is 2 for the layout our
/// histogram shares; 3 (microseconds, finer than the histogram's 1/128 from
/// 0.128 ms up) is what wrk2 and most `.hgrm` files show.
constexpr int value_decimals = 3;
constexpr int percentile_decimals = 12;
constexpr int inverse_decimals = 2;
/// HdrHistogram's default: five rows per halving of the distance to 100%.
constexpr int ticks_per_half_distance = 5;

/// `value` with `decimals` digits after the point, as Java's Formatter writes
/// `%.Nf`: it takes the digits of Double.toString (the shortest decimal that
/// reads back as the double) and rounds them half up. C's printf rounds the
/// exact binary value instead, so the two differ on ties: 1.0005 is
/// 1.000499999... in binary, "1.000" in C and "1.001" in Java.
std::string java_fixed(double value, int decimals) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "Infinity" : "-Infinity";
  }
  char buffer[64];
  const auto written =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string_view text(buffer, static_cast<std::size_t>(written.ptr - buffer));
  std::string out;
  if (text.front() == '-') {
    out += '-';
    text.remove_prefix(1);
  }
  // text is d[.ddd]e(+|-)xx: the digits, and the exponent of the first one.
  const std::size_t e = text.find('e');
  std::string digits;
  for (const char c : text.substr(0, e)) {
    if (c != '.') {
      digits += c;
    }
  }
  std::string_view exponent_text = text.substr(e + 1);
  const bool negative_exponent = exponent_text.front() == '-';
  exponent_text.remove_prefix(1);
  int exponent = 0;
  std::from_chars(exponent_text.data(), exponent_text.data() + exponent_text.size(), exponent);
  // The value is 0.<digits> x 10^point.
  int point = (negative_exponent ? -exponent : exponent) + 1;

  const int keep = point + decimals;  // digits that stay after rounding
  if (keep < 0) {
    digits.clear();  // the first digit is beyond the one that decides: rounds to 0
  } else if (static_cast<std::size_t>(keep) < digits.size()) {
    const bool round_up = digits[static_cast<std::size_t>(keep)] >= '5';
    digits.resize(static_cast<std::size_t>(keep));
    if (round_up) {
      std::size_t i = digits.size();
      while (i > 0 && digits[i - 1] == '9') {
        digits[--i] = '0';
      }
      if (i == 0) {
        digits.insert(digits.begin(), '1');
        ++point;
      } else {
        ++digits[i - 1];
      }
    }
  }

  const auto digit_at = [&](int position) {
    return position >= 0 && static_cast<std::size_t>(position) < digits.size()
               ? digits[static_cast<std::size_t>(position)]
               : '0';
  };
  if (point <= 0) {
    out += '0';
  }
  for (int i = 0; i < point; ++i) {
    out += digit_at(i);
  }
  if (decimals > 0) {
    out += '.';
    for (int i = point; i < point + decimals; ++i) {
      out += digit_at(i);
    }
  }
  return out;
}

/// java_fixed right-aligned in `width` columns, as `%<width>.<decimals>f`.
std::string java_fixed(double value, int width, int decimals) {
  return fmt::format("{:>{}}", java_fixed(value, decimals), width);
}

}  // namespace

std::string format_hgrm(const stats::Histogram& latency_ns) {
  std::string out = fmt::format("{:>12} {:>14} {:>10} {:>14}\n\n", "Value", "Percentile",
                                "TotalCount", "1/(1-Percentile)");
  for (const stats::PercentileRow& row :
       latency_ns.percentile_distribution(ticks_per_half_distance)) {
    const double value_ms = static_cast<double>(row.value) / ns_per_ms;
    const double fraction = row.percentile / 100.0;
    out += java_fixed(value_ms, 12, value_decimals);
    out += ' ';
    out += java_fixed(fraction, 2, percentile_decimals);
    out += fmt::format(" {:>10}", row.total_count);
    if (row.percentile != 100.0) {  // Java leaves 1/(1-p) out of the 100% row only
      out += ' ';
      out += java_fixed(1.0 / (1.0 - fraction), 14, inverse_decimals);
    }
    out += '\n';
  }
  out += fmt::format("#[Mean    = {}, StdDeviation   = {}]\n",
                     java_fixed(latency_ns.mean() / ns_per_ms, 12, value_decimals),
                     java_fixed(latency_ns.stddev() / ns_per_ms, 12, value_decimals));
  out +=
      fmt::format("#[Max     = {}, Total count    = {:>12}]\n",
                  java_fixed(static_cast<double>(latency_ns.max()) / ns_per_ms, 12, value_decimals),
                  latency_ns.count());
  out += fmt::format("#[Buckets = {:>12}, SubBuckets     = {:>12}]\n",
                     stats::Histogram::hdr_bucket_count, stats::Histogram::hdr_sub_bucket_count);
  return out;
}

}  // namespace tailsim::report
