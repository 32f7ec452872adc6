#pragma once
/// results.json, exactly as SPEC.md describes it (and a few keys more).

#include <string>

#include "tailsim/stats/results.hpp"

namespace tailsim::report {

/// results.json's `schema_version`: raised when a key changes its meaning
/// or goes away (keys are added without raising it).
inline constexpr int results_schema_version = 1;

/// The results as JSON text, keys in a fixed order, ending with a newline,
/// headed by `schema_version` and `tailsim_version`. Same results, same bytes.
std::string to_json(const stats::Results& results);

}  // namespace tailsim::report
