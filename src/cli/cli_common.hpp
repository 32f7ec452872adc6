#pragma once
// What every `tailsim` command shares: exit codes, loading and checking a
// model, the run flags, colour and the progress bar. Each command lives in its
// own file (run in main.cpp; analyze, sweep and compare beside it).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tailsim/graph/dependency_graph.hpp"
#include "tailsim/model/loader.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace tailsim::cli {

/// Exit codes of SPEC.md.
enum ExitCode : int { ok = 0, slo_failed = 1, bad_input = 2, simulation_failed = 3 };

/// A model loaded and checked, graph included, with every diagnostic printed.
struct CheckedModel {
  model::LoadResult load;
  std::optional<graph::DependencyGraph> graph;

  [[nodiscard]] bool ok() const { return load.ok() && !load.diagnostics.has_errors(); }
};

/// Loads `path` with the `--set` overrides and builds its graph, printing
/// nothing. The model may read data files in `allowed_paths` (`--allow-path`)
/// besides its own folder.
/// `duration`: the run's measured duration when --duration replaces the
/// model's (duration_flag), for the checks that depend on it.
CheckedModel load_checked_model(const std::string& path, const std::vector<std::string>& overrides,
                                const std::vector<std::string>& allowed_paths = {},
                                std::optional<Duration> duration = std::nullopt);

/// Loads `path` with the `--set` overrides, builds its graph and prints every
/// diagnostic to stderr.
CheckedModel check_model(const std::string& path, const std::vector<std::string>& overrides,
                         const std::vector<std::string>& allowed_paths = {},
                         std::optional<Duration> duration = std::nullopt);

/// Adds `--allow-path DIR` (repeatable, an existing folder) to a command that
/// reads a model: folders outside the model's own it may read data files from.
void add_allow_path_option(CLI::App& cmd, std::vector<std::string>& allowed_paths);

/// `--seed`, `--duration` and `--load` as given (unparsed), shared by run,
/// sweep and compare (calibrate takes the first two: it runs at the traced load).
struct SeedAndDuration {
  std::optional<std::string> seed;
  std::optional<std::string> duration;
  std::optional<std::string> load;
};

/// Applies --seed (the first of a range or list), --duration and --load to
/// a loaded model; false (after a message on stderr) when one is invalid.
bool apply_seed_and_duration(const SeedAndDuration& flags, model::Model& m);

/// --duration as a duration, when given and valid (above zero); otherwise
/// none, and apply_seed_and_duration reports it.
std::optional<Duration> duration_flag(const SeedAndDuration& flags);

/// Adds `--load F` to a command that simulates or analyses a model.
void add_load_option(CLI::App& cmd, std::optional<std::string>& load);

/// Applies `--load` (when given; `flag` names it in messages) to a loaded
/// model; false (after a message on stderr) when it is invalid or cannot
/// scale the model.
bool apply_load(const std::optional<std::string>& load, model::Model& m,
                std::string_view flag = "--load");

/// --color: `always`, `never`, or `auto`: on a terminal, unless NO_COLOR is
/// set (no-color.org) or TERM is dumb. An explicit flag wins over NO_COLOR.
bool stdout_wants_color(const std::string& color);

/// Progress on stderr (report/progress_text.hpp): on a terminal, a bar for
/// runs longer than a second, erased when the run ends; elsewhere (a CI log,
/// a file) a line every ten seconds of wall time. Nothing when not `enabled`
/// (--quiet).
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled);
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar();

  /// `done`: the share of the work finished, 0 to 1.
  void update(double done);

 private:
  bool enabled_ = false;
  bool lines_ = false;      ///< stderr is no terminal: lines instead of the bar
  double last_line_s_ = 0;  ///< when the last line was printed
  bool shown_ = false;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace tailsim::cli
