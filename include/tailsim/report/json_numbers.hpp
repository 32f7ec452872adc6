#pragma once
/// Numbers in tailsim's JSON documents written as a person would read them.
///
/// A figure computed in binary floating point carries noise in its last
/// digits: 120 s of nanoseconds times 1e-9 is 120.00000000000001, and
/// nlohmann writes the shortest text that reads back as the same double.
/// Every float of a document is rounded to `json_digits` significant digits
/// before it is written, which no measured figure comes near (a histogram's
/// quantiles have three), so `"duration_s": 120.0`.

#include <cmath>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

namespace tailsim::report {

/// Significant digits kept in JSON output.
inline constexpr int json_digits = 12;

/// `x` rounded to `json_digits` significant digits (through its decimal
/// text, so the result is the double nearest that decimal).
inline double round_for_json(double x) {
  if (!std::isfinite(x) || x == 0) {
    return x;
  }
  const std::string text = fmt::format("{:.{}g}", x, json_digits);
  return std::strtod(text.c_str(), nullptr);
}

/// Rounds every float in `j` (any nlohmann::basic_json) with round_for_json.
template <class Json>
void round_json_numbers(Json& j) {
  if (j.is_number_float()) {
    j = round_for_json(j.template get<double>());
  } else if (j.is_structured()) {
    for (auto& child : j) {
      round_json_numbers(child);
    }
  }
}

/// The text of document `j`, indented by two, its floats rounded, ending in
/// a newline.
template <class Json>
std::string json_document(Json j) {
  round_json_numbers(j);
  return j.dump(2) + "\n";
}

}  // namespace tailsim::report
