#pragma once
// SLO results for the tests of their writers: the check parsed as a model's
// `slos:` section parses it, so term, promise and metric are the real ones.

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "tailsim/model/slo.hpp"
#include "tailsim/stats/results.hpp"

namespace tailsim::testing {

/// The result of check `text` on `path`; a check that does not parse throws.
inline stats::SloResult slo_result(std::string path, std::string_view text, double value, bool ok) {
  auto check = model::parse_slo_check(text);
  if (!check) {
    throw std::invalid_argument(check.error().message);
  }
  return {std::move(path), std::move(check).value(), value, ok};
}

}  // namespace tailsim::testing
