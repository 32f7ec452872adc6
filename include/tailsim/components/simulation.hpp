#pragma once
/// Running a compiled plan: the event loop and the microservice behaviour it
/// dispatches to. A `Simulation` is a value: sweeps run many, one per thread.

#include <cstdint>

#include "tailsim/plan/plan.hpp"
#include "tailsim/stats/results.hpp"

namespace tailsim::components {

/// Bounds on a run, for fuzzing and tests: the run stops early (and says so
/// in `Results`) when one is reached.
struct RunLimits {
  std::uint64_t max_events = 0;  ///< 0: no limit
};

/// Simulates `plan` with its seed and returns what the measured window saw.
stats::Results simulate(const plan::Plan& plan, const RunLimits& limits = {});

}  // namespace tailsim::components
