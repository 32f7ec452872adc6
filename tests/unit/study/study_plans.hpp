#pragma once
// Models the study tests share, compiled to plans.

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tailsim/model/loader.hpp"
#include "tailsim/plan/compiler.hpp"

namespace tailsim::testing {

/// Compiles a model given as text, with `--set` overrides.
inline plan::Plan compile_text(const std::string& yaml, std::vector<std::string> overrides = {}) {
  auto loaded = model::load_string(yaml, "t.yaml", model::LoadOptions{std::move(overrides)});
  INFO(loaded.diagnostics.format_all());
  REQUIRE(loaded.ok());
  auto plan = plan::compile_plan(*loaded.model, loaded.diagnostics);
  INFO(loaded.diagnostics.format_all());
  REQUIRE(plan);
  return std::move(*plan);
}

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
