#pragma once
/// One cell of a CSV file tailsim writes (sweep.csv, timeseries.csv).

#include <string>
#include <string_view>

namespace tailsim::report {

/// `text` as a CSV cell. A cell that a spreadsheet would run as a formula
/// (it starts with `=`, `+`, `-`, `@`, a tab or a carriage return) and is
/// not a plain number gets a leading single quote and double quotes, as
/// OWASP recommends against CSV injection: a `--vary` value or a name in a
/// model from a pull request never becomes a formula on the reviewer's
/// machine. Numbers, negative ones included, stay numbers. A cell holding a
/// comma, a double quote or a line break is quoted with its quotes doubled
/// (RFC 4180).
std::string csv_field(std::string_view text);

}  // namespace tailsim::report
