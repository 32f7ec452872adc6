#pragma once
/// results.json, exactly as SPEC.md describes it (and a few keys more).

#include <string>

#include "tailsim/stats/results.hpp"

namespace tailsim::report {

/// The results as JSON text, keys in a fixed order, ending with a newline.
/// Same results, same bytes.
std::string to_json(const stats::Results& results);

}  // namespace tailsim::report
