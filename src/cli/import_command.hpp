#pragma once
// The commands that read observability data (src/cli/import_command.cpp,
// calibrate_command.cpp): `import` drafts a model from traces and
// Kubernetes manifests, `calibrate` checks a model against traces. The
// reading and analysis live in src/import/, the comparison in src/study/.

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli_common.hpp"
#include "tailsim/import/spans.hpp"
#include "tailsim/import/trace_analysis.hpp"

namespace tailsim::cli {

/// --traces, --sample-rate and --edge-cut: how both commands read traces.
struct TraceFlags {
  std::vector<std::string> files;
  std::optional<std::string> sample_rate;
  std::optional<std::string> edge_cut;
};

/// Adds --sample-rate and --edge-cut to `cmd` (--traces is the command's own:
/// required for calibrate, optional for import).
void add_trace_reading_flags(CLI::App& cmd, TraceFlags& flags);

/// The trace files read and analysed, with every problem printed to stderr
/// (`error: FILE: at byte N (trace ID): ...`); nothing when one is wrong.
/// `quiet` leaves out the line that says what was read.
std::optional<import::TraceEvidence> read_trace_evidence(const TraceFlags& flags, bool quiet);

/// What `tailsim import` was asked for.
struct ImportArgs {
  TraceFlags traces;
  std::vector<std::string> manifests;  ///< --k8s
  std::string output;                  ///< -o; empty: the model to stdout
  std::string own_time = "cpu";
  std::optional<std::string> name;
  bool quiet = false;
};

/// Registers `import` on `app`.
CLI::App* add_import_command(CLI::App& app, ImportArgs& args);
int run_import(const ImportArgs& args);

}  // namespace tailsim::cli
