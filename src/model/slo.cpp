#include "tailsim/model/slo.hpp"

#include <cctype>
#include <string>

#include <fmt/format.h>

namespace tailsim::model {
namespace {

std::size_t skip_spaces(std::string_view text, std::size_t i) {
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
    ++i;
  }
  return i;
}

bool is_term_char(char ch) {
  return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '.' || ch == '(' || ch == ')' ||
         ch == '_';
}

/// Reads the metric term: mean/avg, max, med, pN, p(N), errors, throughput.
ParseResult<SloCheck> read_term(std::string_view term, std::size_t offset) {
  SloCheck check;
  check.term = std::string(term);
  if (term == "mean" || term == "avg") {
    check.metric = SloMetric::mean;
    return check;
  }
  if (term == "max") {
    check.metric = SloMetric::max;
    return check;
  }
  if (term == "med") {
    check.metric = SloMetric::percentile;
    check.percentile = 50;
    return check;
  }
  if (term == "errors") {
    check.metric = SloMetric::errors;
    return check;
  }
  if (term == "throughput") {
    check.metric = SloMetric::throughput;
    return check;
  }
  if (term.size() >= 2 && term.front() == 'p') {
    std::string_view digits = term.substr(1);
    if (digits.size() >= 2 && digits.front() == '(' && digits.back() == ')') {
      digits = digits.substr(1, digits.size() - 2);
    }
    auto value = parse_number(digits);
    if (!value || *value <= 0 || *value >= 100 ||
        digits.find_first_not_of("0123456789.") != std::string_view::npos) {
      return ParseError{fmt::format("'{}' is not a percentile: write p50, p99 or p99.9 (above 0, "
                                    "below 100)",
                                    term),
                        offset};
    }
    check.metric = SloMetric::percentile;
    check.percentile = *value;
    return check;
  }
  return ParseError{fmt::format("unknown SLO term '{}': use mean, max, pN (p99, p99.9), errors "
                                "or throughput",
                                term),
                    offset};
}

}  // namespace

ParseResult<SloCheck> parse_slo_check(std::string_view text) {
  std::size_t i = skip_spaces(text, 0);
  const std::size_t term_start = i;
  while (i < text.size() && is_term_char(text[i])) {
    ++i;
  }
  if (i == term_start) {
    return ParseError{"an SLO check reads TERM OP VALUE, e.g. 'p99 < 400ms'", term_start};
  }
  auto parsed = read_term(text.substr(term_start, i - term_start), term_start);
  if (!parsed) {
    return parsed;
  }
  SloCheck check = *parsed;
  i = skip_spaces(text, i);
  const std::size_t op_start = i;
  if (i < text.size() && (text[i] == '<' || text[i] == '>')) {
    const bool less = text[i] == '<';
    ++i;
    const bool or_equal = i < text.size() && text[i] == '=';
    if (or_equal) {
      ++i;
    }
    check.op = less ? (or_equal ? Comparison::less_equal : Comparison::less)
                    : (or_equal ? Comparison::greater_equal : Comparison::greater);
  } else {
    return ParseError{"expected a comparison (<, <=, >, >=) after the term", op_start};
  }
  i = skip_spaces(text, i);
  std::string_view value = text.substr(i);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
    value.remove_suffix(1);
  }
  if (value.empty()) {
    return ParseError{"expected a threshold after the comparison", i};
  }
  switch (check.metric) {
    case SloMetric::mean:
    case SloMetric::max:
    case SloMetric::percentile: {
      auto d = parse_duration(value);
      if (!d) {
        return ParseError{d.error().message, i + d.error().offset};
      }
      check.threshold = to_millis(*d);
      if (check.threshold < 0) {
        return ParseError{"a latency threshold cannot be negative", i};
      }
      break;
    }
    case SloMetric::errors: {
      auto f = parse_fraction(value);
      if (!f) {
        return ParseError{f.error().message, i + f.error().offset};
      }
      if (*f < 0 || *f > 1) {
        return ParseError{"an error threshold must be between 0% and 100%", i};
      }
      check.threshold = *f;
      break;
    }
    case SloMetric::throughput: {
      if (auto n = parse_number(value)) {
        check.threshold = *n;
      } else if (auto r = parse_rate(value)) {
        check.threshold = *r;
      } else {
        return ParseError{r.error().message, i + r.error().offset};
      }
      if (check.threshold < 0) {
        return ParseError{"a throughput threshold cannot be negative", i};
      }
      break;
    }
  }
  check.threshold_text = std::string(value);
  check.text = std::string(text);
  return check;
}

}  // namespace tailsim::model
