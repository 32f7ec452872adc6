#pragma once
// Helpers for tests that run whole models: load, compile and simulate, with
// the diagnostics shown when something does not load.

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tailsim/components/simulation.hpp"
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

/// Compiles a model file, with `--set` overrides.
inline plan::Plan compile_file(const std::string& path, std::vector<std::string> overrides = {}) {
  auto loaded = model::load_file(path, model::LoadOptions{std::move(overrides)});
  INFO(loaded.diagnostics.format_all());
  REQUIRE(loaded.ok());
  auto plan = plan::compile_plan(*loaded.model, loaded.diagnostics);
  INFO(loaded.diagnostics.format_all());
  REQUIRE(plan);
  return std::move(*plan);
}

/// Simulates a model given as text, with `--set` overrides.
inline stats::Results simulate_text(const std::string& yaml,
                                    std::vector<std::string> overrides = {},
                                    const components::RunLimits& limits = {}) {
  return components::simulate(compile_text(yaml, std::move(overrides)), limits);
}

/// Simulates a model file, with `--set` overrides.
inline stats::Results simulate_file(const std::string& path,
                                    std::vector<std::string> overrides = {}) {
  return components::simulate(compile_file(path, std::move(overrides)));
}

/// The item called `name` (a path or a service) of a results list.
template <class T>
const T& named(const std::vector<T>& items, const std::string& name) {
  for (const auto& item : items) {
    if (item.name == name) {
      return item;
    }
  }
  FAIL("nothing named " << name);
  return items.front();
}

/// The series of `entity`'s `metric` among `all` (TimeSeries::series or
/// ::pods); fails the test if there is none.
inline const stats::Series& series_named(const std::vector<stats::Series>& all,
                                         const std::string& entity, const std::string& metric) {
  for (const stats::Series& series : all) {
    if (series.entity == entity && series.metric == metric) {
      return series;
    }
  }
  FAIL("no series " << entity << " " << metric);
  return all.front();
}

/// The calls from `caller` to `target` (service.endpoint).
inline const stats::EdgeResult& edge(const stats::Results& r, const std::string& caller,
                                     const std::string& target) {
  for (const auto& e : r.edges) {
    if (e.caller == caller && e.target == target) {
      return e;
    }
  }
  FAIL("no edge " << caller << " -> " << target);
  return r.edges.front();
}

}  // namespace tailsim::testing
