#pragma once
// `tailsim run --out DIR`: every output of a run in one folder.

#include <cstdint>
#include <filesystem>
#include <string>

#include "tailsim/report/epoch.hpp"
#include "tailsim/stats/results.hpp"

namespace tailsim::cli {

/// What the folder is made from.
struct OutputFolderInputs {
  std::filesystem::path dir;
  const stats::Results* results = nullptr;
  std::string model_path;
  std::string model_text;    ///< the model file as written (before --set)
  std::string command;       ///< the command line that ran
  std::string topology_dot;  ///< the dependency graph in DOT
  double wall_s = 0;         ///< how long the run took, in seconds (junit.xml)
  bool has_traces = false;   ///< write the trace files (`--traces N`), even with none kept
  /// Unix nanoseconds of simulated time 0 in metrics.om and the trace files (`--epoch`).
  std::int64_t epoch_unix_ns = report::default_epoch_unix_ns;
  /// A replicated run's estimates for report.html (study::replications_to_html).
  std::string replications_html;
};

/// Writes into `inputs.dir` (created if needed): results.json; timeseries.csv
/// (tidy: time_s, entity, metric, value); `<path>.hgrm` per path (HdrHistogram's
/// percentile distribution); metrics.om (OpenMetrics); topology.dot, and
/// topology.svg when Graphviz's `dot` is on the PATH (run without a shell; a
/// `dot` that fails is a warning on stderr and no topology.svg); report.html;
/// junit.xml (the SLO checks) and summary.md (Markdown for a CI job page);
/// with `has_traces`, traces.otlp.json, traces.jaeger.json and
/// traces.chrome.json. Each file is written whole under a temporary name and
/// then renamed, so a failure never leaves half a file.
///
/// The folder holds one run: `.tailsim-manifest` lists the files the last run
/// wrote, and those of them this run does not write (a path the model no
/// longer has, traces with `--traces 0`) are removed. No other file is ever
/// touched. Throws std::runtime_error with the reason when something cannot
/// be written.
void write_output_folder(const OutputFolderInputs& inputs);

}  // namespace tailsim::cli
