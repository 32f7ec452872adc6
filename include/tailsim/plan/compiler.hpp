#pragma once
/// Compiling a checked model into a `Plan`.

#include <optional>

#include "tailsim/model/diagnostics.hpp"
#include "tailsim/model/model.hpp"
#include "tailsim/plan/plan.hpp"

namespace tailsim::plan {

/// Compiles `model`, which must have loaded without errors. A model that uses
/// a mechanism the engine does not simulate yet is refused with an error at
/// the line that uses it, never silently run without it.
std::optional<Plan> compile_plan(const model::Model& model, model::Diagnostics& diagnostics);

/// The engine's sampler for a parsed distribution.
engine::Distribution to_sampler(const model::DistSpec& spec);

}  // namespace tailsim::plan
