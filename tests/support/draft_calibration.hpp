#pragma once
// The last half of a round trip, shared by the round-trip tests: trace files
// read and analysed, the model drafted from them with the defaults, written
// with its sample files to a folder, simulated at the traced rates, and
// calibrated against the same traces.

#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tailsim/components/simulation.hpp"
#include "tailsim/import/fit.hpp"
#include "tailsim/import/model_writer.hpp"
#include "tailsim/import/trace_reader.hpp"
#include "tailsim/model/loader.hpp"
#include "tailsim/plan/compiler.hpp"
#include "tailsim/study/calibration.hpp"

namespace tailsim::testing {

/// Imports `traces` (files of whole traces: no edge cut), drafts a model in
/// `folder`, runs it with `overrides` at the traced rates, and compares.
inline study::Calibration calibrate_draft(const std::filesystem::path& traces,
                                          const std::filesystem::path& folder,
                                          std::vector<std::string> overrides = {},
                                          const study::CalibrationTolerance& tolerance = {}) {
  import::SpanStore store;
  import::read_trace_file(traces, store);
  import::AnalysisOptions options;
  options.edge_cut = Duration::zero();
  const auto evidence = import::analyze_traces(store, options);
  const auto draft = import::write_model(evidence, nullptr);
  for (const auto& file : draft.files) {
    import::write_empirical_file(folder / file.name, file.samples);
  }
  auto loaded = model::load_string(draft.yaml, "draft.yaml",
                                   model::LoadOptions{std::move(overrides)}, folder);
  INFO(draft.yaml);
  INFO(loaded.diagnostics.format_all());
  REQUIRE(loaded.ok());
  REQUIRE_FALSE(loaded.diagnostics.has_errors());
  model::Model& m = *loaded.model;
  study::apply_traced_rates(m, evidence);
  const auto plan = plan::compile_plan(m, loaded.diagnostics);
  REQUIRE(plan);
  components::RunLimits limits;
  limits.attribution = false;
  limits.interval_tallies = true;
  return study::calibrate(evidence, m, components::simulate(*plan, limits), tolerance);
}

}  // namespace tailsim::testing
