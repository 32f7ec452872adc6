#pragma once
/// The analysis made up front, before or instead of simulating, as the
/// library's users outside the command line (the Python module, programs
/// linking the installed library) take it:
/// `tailsim analyze --json`'s document, and what `tailsim run` adds to its
/// results from the analysis (each path's analytic mean, the services
/// predicted to saturate).

#include <string>
#include <utility>
#include <vector>

#include "tailsim/analytic/analysis.hpp"
#include "tailsim/model/model.hpp"
#include "tailsim/stats/results.hpp"

namespace tailsim::study {

/// `tailsim analyze --json`: {"model", "services": {"<s>": {"arrival_rps",
/// "utilization", "load", "saturated", "cpu_servers"?, "cpu_stretch"?,
/// "worker_wait_ms"?, "worker_load"?}}, "paths": {"<p>": {"mean_ms",
/// "max_rps", "rate_rps", "kind"}}, "bottleneck", "analytic_regime",
/// "notes"}; infinite numbers are null.
std::string analysis_to_json(const analytic::Analysis& analysis, const std::string& model_name);

/// What a plain run takes from the analysis of the model it simulates.
struct RunAnalysis {
  /// One line per service predicted to saturate: "service 'db' is predicted
  /// to saturate: utilization 120.0% at the model's rates".
  std::vector<std::string> warnings;
  /// Why there are no estimates, when the analysis could not be made.
  std::string note;
  /// Each path's analytic mean in ms, in the analytic regime only.
  std::vector<std::pair<std::string, double>> means_ms;

  /// Sets `analytic_mean_ms` of each path that has an estimate.
  void fill(stats::Results& results) const;
};

/// Analyzes `m` (without the search for each workload's largest rate) as
/// `tailsim run` does before simulating it.
RunAnalysis analyze_for_run(const model::Model& m);

}  // namespace tailsim::study
