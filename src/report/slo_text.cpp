#include "tailsim/report/slo_text.hpp"

#include <algorithm>
#include <cmath>

#include "tailsim/core/duration_text.hpp"
#include "tailsim/core/time.hpp"
#include "tailsim/report/result_text.hpp"

namespace tailsim::report {
namespace {

std::string_view trim(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

}  // namespace

SloCheckParts split_slo_check(std::string_view check) {
  check = trim(check);
  const std::size_t op_start = std::min(check.find_first_of("<>"), check.size());
  std::size_t op_end = op_start;
  while (op_end < check.size() &&
         (check[op_end] == '<' || check[op_end] == '>' || check[op_end] == '=')) {
    ++op_end;
  }
  const std::string_view op = check.substr(op_start, op_end - op_start);
  const std::string_view threshold = trim(check.substr(op_end));
  SloCheckParts parts{std::string(trim(check.substr(0, op_start))), std::string(op)};
  if (!threshold.empty()) {
    parts.promise += ' ';
    parts.promise += threshold;
  }
  return parts;
}

bool has_slo_measurement(const stats::Results& results, const stats::SloResult& slo) {
  const std::string term = split_slo_check(slo.check).term;
  if (term == "errors" || term == "throughput") {
    return true;
  }
  const auto path = std::find_if(results.paths.begin(), results.paths.end(),
                                 [&](const stats::PathResult& p) { return p.name == slo.path; });
  return path == results.paths.end() || path->latency.count() > 0;
}

std::string format_slo_measured(const stats::Results& results, const stats::SloResult& slo) {
  return has_slo_measurement(results, slo) ? format_slo_value(slo) : "no successful request";
}

std::string format_sim_seconds(double seconds) {
  return format_duration(Duration(std::llround(seconds * 1e9)));
}

}  // namespace tailsim::report
