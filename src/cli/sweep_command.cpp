// `tailsim sweep MODEL --vary PATH=V1,V2,...`: the model over a grid of
// values, each point replicated; a table, sweep.csv, JSON and a report page.

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "output_paths.hpp"
#include "study_commands.hpp"
#include "tailsim/plan/compiler.hpp"
#include "tailsim/report/file_output.hpp"
#include "tailsim/report/sweep_report.hpp"
#include "tailsim/study/sweep.hpp"

namespace tailsim::cli {
namespace {

/// The --vary flags read; nothing (after a message) when one is wrong.
std::optional<std::vector<study::Vary>> read_varies(const std::vector<std::string>& texts) {
  std::vector<study::Vary> varies;
  for (const auto& text : texts) {
    auto vary = study::parse_vary(text);
    if (!vary) {
      fmt::print(stderr, "error: --vary '{}': {}\n", text, vary.error().message);
      return std::nullopt;
    }
    if (std::any_of(varies.begin(), varies.end(),
                    [&](const study::Vary& v) { return v.path == vary->path; })) {
      fmt::print(stderr, "error: --vary {} is given twice; list all its values in one --vary\n",
                 vary->path);
      return std::nullopt;
    }
    varies.push_back(std::move(vary).value());
  }
  return varies;
}

/// The plan of every grid point. Diagnostics are printed for the first
/// point, and for any other point that has errors, so warnings the points
/// share are printed once.
std::optional<std::vector<plan::Plan>> compile_points(const SweepArgs& args,
                                                      const std::vector<study::Vary>& varies) {
  const auto grid = study::sweep_grid(varies);
  std::vector<plan::Plan> plans;
  plans.reserve(grid.size());
  for (std::size_t p = 0; p < grid.size(); ++p) {
    std::vector<std::string> overrides = args.overrides;
    const auto point = study::point_overrides(varies, grid[p]);
    overrides.insert(overrides.end(), point.begin(), point.end());
    CheckedModel checked = load_checked_model(args.model_path, overrides, args.allowed_paths,
                                              duration_flag(args.seed_and_duration));
    if (p == 0 || !checked.ok()) {
      std::fputs(checked.load.diagnostics.format_all().c_str(), stderr);
    }
    if (!checked.ok()) {
      fmt::print(stderr, "{}: {} error(s) at the sweep point {}\n", args.model_path,
                 checked.load.diagnostics.error_count(), fmt::join(point, " "));
      return std::nullopt;
    }
    model::Model& m = *checked.load.model;
    // `--vary load=...` scales on top of `--load`.
    if (!apply_seed_and_duration(args.seed_and_duration, m) ||
        !apply_load(study::point_load(varies, grid[p]), m, "--vary load")) {
      return std::nullopt;
    }
    auto plan = plan::compile_plan(m, checked.load.diagnostics);
    if (!plan) {
      std::fputs(checked.load.diagnostics.format_all().c_str(), stderr);
      return std::nullopt;
    }
    plans.push_back(std::move(*plan));
  }
  return plans;
}

}  // namespace

CLI::App* add_sweep_command(CLI::App& app, SweepArgs& args) {
  auto* cmd = app.add_subcommand("sweep", "Simulate over a grid of values with replications");
  cmd->add_option("MODEL", args.model_path, "The model file (YAML)")->required()->type_name("FILE");
  cmd->add_option("--set", args.overrides,
                  "Override a value of the model at every point: PATH=VALUE (repeatable)")
      ->type_name("PATH=VALUE")
      ->allow_extra_args(false);
  add_allow_path_option(*cmd, args.allowed_paths);
  cmd->add_option("--vary", args.varies,
                  "A path and its values: PATH=V1,V2,... or PATH=A..B:STEP, e.g. "
                  "services.api.replicas=2..8:2 (repeatable: the grid is every combination)")
      ->type_name("PATH=VALUES")
      ->required()
      ->allow_extra_args(false);
  cmd->add_option("--seed", args.seed_and_duration.seed,
                  "Base seed of the replications (default: the model's); a range 1..5 or a "
                  "list 3,7,11 gives each point's replications those seeds")
      ->type_name("SEED");
  add_load_option(*cmd, args.seed_and_duration.load);
  cmd->add_option("--duration", args.seed_and_duration.duration,
                  "Measured duration of each run, e.g. 2m (default: the model's)")
      ->type_name("DURATION");
  add_replication_flags(*cmd, args.replication, /*with_precision=*/false);
  add_distribution_flags(*cmd, args.distribution);
  cmd->add_option("--csv", args.csv_path,
                  "Write every point's metrics here (tidy CSV; - for stdout)")
      ->type_name("FILE");
  cmd->add_option("--json", args.json_path,
                  "Write every point's metrics and the knees as JSON here (- for stdout)")
      ->type_name("FILE");
  cmd->add_option("--report", args.report_path,
                  "Write an HTML page charting each path against the first --vary")
      ->type_name("FILE");
  cmd->add_flag("--quiet,-q", args.quiet, "Print no table");
  cmd->footer(
      "Example: tailsim sweep examples/mm1.yaml --vary workloads.requests.rate=50/s,70/s,90/s "
      "--duration 2m --csv sweep.csv\n");
  return cmd;
}

int run_sweep(const SweepArgs& args, const std::string& command_line) {
  const auto varies = read_varies(args.varies);
  if (!varies) {
    return bad_input;
  }
  const auto replication = replication_options(args.replication, args.seed_and_duration.seed);
  if (!replication) {
    return bad_input;
  }
  const auto plans = compile_points(args, *varies);
  if (!plans) {
    return bad_input;
  }
  if (!check_output_paths({{"--csv", args.csv_path, OutputKind::file_or_stdout},
                           {"--json", args.json_path, OutputKind::file_or_stdout},
                           {"--report", args.report_path, OutputKind::file}})) {
    return bad_input;
  }
  study::SweepResult sweep;
  {
    ProgressBar progress(!args.quiet);
    sweep = study::run_sweep(
        *plans, *varies, replication->replications, replication->jobs,
        [&](double done) { progress.update(done); }, replication->limits, replication->seeds);
  }
  if (!writes_outputs()) {
    return ok;  // rank 0 writes the outputs
  }
  if (!args.csv_path.empty()) {
    write_output(args.csv_path, study::sweep_to_csv(sweep));
  }
  if (!args.json_path.empty()) {
    write_output(args.json_path, study::sweep_to_json(sweep, plans->front().model_name));
  }
  if (!args.report_path.empty()) {
    report::write_file_atomically(args.report_path,
                                  report::format_sweep_report(study::sweep_report_inputs(
                                      sweep, plans->front().model_name, command_line)));
  }
  if (!args.quiet && args.csv_path != "-" && args.json_path != "-") {
    fmt::print("tailsim {} · model '{}' · {}{}\n\n", TAILSIM_VERSION, plans->front().model_name,
               replication->seeds.empty() ? "base " : "",
               seeds_label(*replication, plans->front().seed, args.seed_and_duration.seed));
    fmt::print("{}", study::sweep_to_console(sweep));
  }
  std::size_t stopped = 0;
  for (const auto& point : sweep.points) {
    stopped += point.coverage.stopped.size();
  }
  return study_exit_code(stopped, ok);
}

}  // namespace tailsim::cli
