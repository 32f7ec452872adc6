#pragma once
// How every study writes an estimate in its JSON (compare, replications,
// sweep). Internal: public headers keep nlohmann-json out.

#include <nlohmann/json.hpp>

#include "tailsim/study/confidence.hpp"

namespace tailsim::study {

/// `{"mean", "half_width", "n"}`; NaN (not measured, or no interval) is
/// written as null.
inline nlohmann::ordered_json estimate_json(const Estimate& estimate) {
  return nlohmann::ordered_json{
      {"mean", estimate.mean}, {"half_width", estimate.half_width}, {"n", estimate.n}};
}

}  // namespace tailsim::study
