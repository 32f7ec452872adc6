#include "tailsim/report/csv_field.hpp"

#include <charconv>

namespace tailsim::report {
namespace {

/// Is `text` a number as a spreadsheet reads one (`-12`, `-1.5e3`), whole?
bool is_number(std::string_view text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

/// Would a spreadsheet take a cell starting like `text` for a formula?
bool is_formula_like(std::string_view text) {
  return !text.empty() && std::string_view("=+-@\t\r").find(text[0]) != std::string_view::npos &&
         !is_number(text);
}

}  // namespace

std::string csv_field(std::string_view text) {
  const bool neutralise = is_formula_like(text);
  if (!neutralise && text.find_first_of(",\"\r\n") == std::string_view::npos) {
    return std::string(text);
  }
  std::string out = neutralise ? "\"'" : "\"";
  for (const char c : text) {
    if (c == '"') {
      out += '"';
    }
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace tailsim::report
