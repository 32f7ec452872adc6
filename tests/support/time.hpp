#pragma once
// Instants for tests of components driven by hand: the time `d` after the
// start of a run.

#include "tailsim/core/time.hpp"

namespace tailsim::testing {

inline Time at(Duration d) {
  return Time{} + d;
}

}  // namespace tailsim::testing
