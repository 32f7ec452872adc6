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

/// Every kind of component a run reports: a service calling an external
/// one, a cache, a queue and its consumer, a pod under a CFS quota and one
/// with GC pauses.
inline const std::string parts_model = R"(version: 1
name: parts
simulation: {duration: 5s, warmup: 1s, seed: 3}
services:
  api:
    replicas: 2
    pod: {cpu: {request: 1, limit: 1, period: 100ms, node_cores: 4}, workers: 8}
    endpoints:
      get:
        - cpu: exp(2ms)
        - cache: c
          miss: [{call: bank.ask}]
        - publish: q
  worker:
    pod: {cpu: 1, workers: 2, gc: {every: 1s, pause: 20ms}}
    endpoints:
      process:
        - cpu: exp(3ms)
  bank:
    external: true
    endpoints:
      ask:
        - delay: exp(5ms)
caches:
  c: {hit_ratio: 70%}
queues:
  q: {consumer: worker.process, partitions: 2}
workloads:
  main: {entry: api.get, rate: 100/s}
)";

/// A model no seed changes: evenly spaced arrivals, constant demands.
inline const std::string deterministic_model = R"(version: 1
name: clockwork
simulation: {duration: 5s, warmup: 1s, seed: 1}
services:
  server:
    pod: {cpu: 1, workers: 1}
    endpoints:
      handle:
        - cpu: 4ms
        - publish: q
  worker:
    pod: {cpu: 1, workers: 1}
    endpoints:
      process:
        - cpu: 2ms
queues:
  q: {consumer: worker.process}
workloads:
  requests: {entry: server.handle, rate: 100/s, arrivals: uniform}
slos:
  requests: ["p99 < 300ms"]
)";

}  // namespace tailsim::testing
