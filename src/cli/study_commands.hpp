#pragma once
// The commands that run many simulations: `run --replications`, `sweep` and
// `compare` (src/cli/replications_command.cpp, sweep_command.cpp,
// compare_command.cpp). The statistics live in src/study/.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli_common.hpp"
#include "distribution.hpp"
#include "tailsim/plan/plan.hpp"
#include "tailsim/study/replications.hpp"

namespace tailsim::cli {

/// --replications, --precision, --max-replications and --jobs as given.
struct ReplicationFlags {
  std::size_t replications = 1;
  std::optional<std::string> precision;
  std::size_t max_replications = 50;
  unsigned jobs = 0;  ///< 0: one per hardware thread; 1 on each of several MPI ranks
  /// --max-memory: each simulation's memory budget (model::parse_size);
  /// none: half of the physical memory, shared among the jobs.
  std::optional<std::string> max_memory;
  bool replications_given = false;  ///< --replications was on the command line
};

/// Adds --replications (default `replications`), --jobs and --max-memory to
/// `cmd`, and --precision with --max-replications when `with_precision`.
void add_replication_flags(CLI::App& cmd, ReplicationFlags& flags, bool with_precision);

/// Whether `run` was asked for more than the plain run.
bool is_replicated(const ReplicationFlags& flags);

/// The flags checked, with the stop flag of SIGINT and SIGTERM, each
/// simulation's memory budget and where the simulations run (study_runner()), and the seeds of the
/// replications when `seed` (--seed) is a range or list (study/seed_list.hpp); nothing (after a
/// message on stderr) when one is invalid.
std::optional<study::ReplicationOptions> replication_options(
    const ReplicationFlags& flags, const std::optional<std::string>& seed = std::nullopt);

/// How a study's console header names its seeds: `seed 7`, or `seeds 1..5`
/// as --seed listed them.
std::string seeds_label(const study::ReplicationOptions& options, std::uint64_t base_seed,
                        const std::optional<std::string>& seed);

/// Writes `text` to stdout when `path` is "-", else to the file `path`
/// (report::write_file_atomically). Throws std::runtime_error when it
/// cannot, a closed stdout included.
void write_output(const std::string& path, const std::string& text);

/// The exit code of a study whose outputs are written: 128 + the signal
/// after SIGINT or SIGTERM (with a note), 1 when a replication stopped early
/// (with an error naming how many; `stopped_runs`), else `otherwise`.
int study_exit_code(std::size_t stopped_runs, int otherwise);

/// `run --replications`: the replications of `plan`, with a progress bar.
study::ReplicatedRun run_replications(const plan::Plan& plan,
                                      const study::ReplicationOptions& options, bool quiet);

/// What `tailsim sweep` was asked for.
struct SweepArgs {
  std::string model_path;
  std::vector<std::string> overrides;
  std::vector<std::string> allowed_paths;  ///< --allow-path
  std::vector<std::string> varies;
  SeedAndDuration seed_and_duration;
  ReplicationFlags replication = {3, std::nullopt, 50, 0, std::nullopt};
  std::string csv_path;
  std::string json_path;
  std::string report_path;
  bool quiet = false;
  DistributionFlags distribution;
};

/// Registers `sweep` on `app`.
CLI::App* add_sweep_command(CLI::App& app, SweepArgs& args);
int run_sweep(const SweepArgs& args, const std::string& command_line);

/// What `tailsim compare` was asked for.
struct CompareArgs {
  std::string model_a;
  std::string model_b;
  std::vector<std::string> overrides;
  std::vector<std::string> allowed_paths;  ///< --allow-path
  SeedAndDuration seed_and_duration;
  ReplicationFlags replication = {10, std::nullopt, 50, 0, std::nullopt};
  std::string json_path;
  std::string junit_path;       ///< B's SLO checks with A's side, as JUnit XML
  std::string summary_md_path;  ///< the same as Markdown
  std::string out_dir;          ///< comparison.json, junit.xml and summary.md
  std::string color = "auto";
  bool quiet = false;
  DistributionFlags distribution;
};

/// Registers `compare` on `app`.
CLI::App* add_compare_command(CLI::App& app, CompareArgs& args);
int run_compare(const CompareArgs& args);

}  // namespace tailsim::cli
