// A program that uses tailsim as a library, found with find_package(tailsim):
// it loads a model, simulates it as `tailsim run` does and writes
// results.json.
//   consumer MODEL SEED DURATION RESULTS_JSON

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include "tailsim/components/memory_budget.hpp"
#include "tailsim/components/simulation.hpp"
#include "tailsim/graph/dependency_graph.hpp"
#include "tailsim/model/loader.hpp"
#include "tailsim/model/units.hpp"
#include "tailsim/plan/compiler.hpp"
#include "tailsim/report/json_report.hpp"
#include "tailsim/study/up_front_analysis.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: consumer MODEL SEED DURATION RESULTS_JSON\n");
    return 2;
  }
  namespace model = tailsim::model;
  model::LoadResult load = model::load_file(argv[1]);
  if (load.model) {
    (void)tailsim::graph::build_graph(*load.model, load.diagnostics);
  }
  if (!load.ok()) {
    std::fputs(load.diagnostics.format_all().c_str(), stderr);
    return 2;
  }
  model::Model& m = *load.model;
  m.simulation.seed.value = std::stoull(argv[2]);
  const auto duration = model::parse_duration(argv[3]);
  if (!duration) {
    std::fprintf(stderr, "bad duration: %s\n", duration.error().message.c_str());
    return 2;
  }
  m.simulation.duration.value = *duration;
  const auto plan = tailsim::plan::compile_plan(m, load.diagnostics);
  if (!plan) {
    std::fputs(load.diagnostics.format_all().c_str(), stderr);
    return 2;
  }
  const auto analysis = tailsim::study::analyze_for_run(m);
  tailsim::components::RunLimits limits;
  limits.attribution = true;
  limits.max_memory_bytes = tailsim::components::default_memory_budget(1);
  tailsim::stats::Results results = tailsim::components::simulate(*plan, limits);
  analysis.fill(results);
  std::ofstream(argv[4], std::ios::binary) << tailsim::report::to_json(results);
  for (const auto& path : results.paths) {
    std::printf(
        "consumer: tailsim %s, model '%s', path '%s': %llu requests, analytic mean %.3f ms\n",
        TAILSIM_VERSION, results.model.c_str(), path.name.c_str(),
        static_cast<unsigned long long>(path.requests), path.analytic_mean_ms.value_or(-1.0));
  }
  return 0;
}
