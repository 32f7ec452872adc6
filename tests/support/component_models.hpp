#pragma once
// Models that more than one test of the engine's components runs, each
// checking its own side of the same run (results, attribution, faults).

namespace tailsim::testing {

/// api calls slow.work (100 ms) with a 50 ms timeout, three attempts and
/// 10 ms backoffs: every call fails after 50 + 10 + 50 + 10 + 50 = 170 ms,
/// and `optional` makes the request a success anyway.
inline constexpr char retried_timeouts_model[] = R"y(version: 1
simulation: {duration: 10s, seed: 1}
services:
  api:
    endpoints:
      get:
        - call: slow.work
          timeout: 50ms
          optional: true
          retry: {attempts: 3, backoff: 10ms, multiplier: 1, jitter: none, on: [timeout]}
  slow:
    endpoints: {work: [{delay: 100ms}]}
workloads:
  w: {entry: api.get, rate: 10/s, arrivals: uniform}
)y";

/// api's only pod is killed at 9.9 s and replaced at once; the new pod's
/// cpu demand starts at x3 and falls linearly to x1 over 10 s. Each request
/// needs 10 ms of cpu.
inline constexpr char warmup_after_kill_model[] = R"y(version: 1
simulation: {duration: 30s, seed: 1}
services:
  api:
    pod: {cpu: 4, warmup: {for: 10s, slowdown: 3}}
    endpoints: {get: [{cpu: 10ms}]}
workloads:
  w: {entry: api.get, rate: 2/s, arrivals: uniform}
faults:
  - {at: 9.9s, kill: api}
)y";

}  // namespace tailsim::testing
