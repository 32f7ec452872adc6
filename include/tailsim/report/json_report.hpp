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

/// `text`, JSON as nlohmann's dump writes it with an indent, with each array
/// of plain numbers on one line (`[1, 2.5, 0]`): attribution.timeline's
/// columns hold an element per interval, and a line each would make them
/// several times longer. to_json does it; a document built on results.json
/// (a replicated run's) does it again after its own dump.
std::string number_arrays_on_one_line(const std::string& text);

}  // namespace tailsim::report
