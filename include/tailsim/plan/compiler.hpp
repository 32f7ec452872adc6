#pragma once
/// Compiling a checked model into a `Plan`.

#include <optional>

#include "tailsim/model/diagnostics.hpp"
#include "tailsim/model/model.hpp"
#include "tailsim/plan/plan.hpp"

namespace tailsim::plan {

/// Compiles `model`, which must have loaded without errors. `diagnostics`
/// receives anything the compiler finds (nothing today: every mechanism of
/// SPEC.md is simulated).
std::optional<Plan> compile_plan(const model::Model& model, model::Diagnostics& diagnostics);

/// The engine's sampler for a parsed distribution.
engine::Distribution to_sampler(const model::DistSpec& spec);

}  // namespace tailsim::plan
