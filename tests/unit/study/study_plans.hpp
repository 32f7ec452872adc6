#pragma once
// Models the study tests share (support/simulate.hpp compiles them).

#include <string>

#include "support/simulate.hpp"

namespace tailsim::testing {

/// M/M/1 at 80% utilization: one worker, exp(10ms) of CPU, 80 requests/s.
inline const std::string mm1_model = R"(version: 1
name: mm1
simulation: {duration: 5s, warmup: 1s, seed: 1}
services:
  server:
    pod: {cpu: 1, workers: 1}
    endpoints:
      handle:
        - cpu: exp(10ms)
workloads:
  requests: {entry: server.handle, rate: 80/s}
slos:
  requests: ["p99 < 300ms"]
)";

}  // namespace tailsim::testing
