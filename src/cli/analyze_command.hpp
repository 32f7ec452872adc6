#pragma once
// `tailsim analyze`, and what `run` takes from it: analytic estimates beside
// the simulated means, and warnings about services predicted to saturate.

#include <optional>
#include <string>
#include <vector>

#include "tailsim/model/model.hpp"
#include "tailsim/stats/results.hpp"
#include "tailsim/study/up_front_analysis.hpp"

namespace tailsim::cli {

/// `tailsim analyze MODEL [--set ...] [--allow-path DIR] [--load F] [--json FILE]`:
/// prints the estimates as a table (or writes them as JSON to FILE, `-` for
/// stdout). Returns the exit code.
int analyze(const std::string& path, const std::vector<std::string>& overrides,
            const std::vector<std::string>& allowed_paths, const std::optional<std::string>& load,
            const std::string& json_path);

/// What `run` shows of the analysis of the model it simulates.
class RunEstimates {
 public:
  /// Analyzes `m` and prints to stderr a warning for each service predicted
  /// to saturate, whatever the regime.
  explicit RunEstimates(const model::Model& m);

  /// In the analytic regime, sets each path's `analytic_mean_ms`.
  void fill(stats::Results& results) const;

 private:
  study::RunAnalysis analysis_;
};

}  // namespace tailsim::cli
