// `tailsim calibrate MODEL --traces FILE...`: simulates the model at the
// traced rates and compares every path and edge with the traces (SPEC.md,
// the command line; docs/import.md, "Calibrating a model").

#include "calibrate_command.hpp"

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "interrupt.hpp"
#include "output_paths.hpp"
#include "study_commands.hpp"
#include "tailsim/components/memory_budget.hpp"
#include "tailsim/components/simulation.hpp"
#include "tailsim/core/duration_text.hpp"
#include "tailsim/model/text_encoding.hpp"
#include "tailsim/model/units.hpp"
#include "tailsim/plan/compiler.hpp"
#include "tailsim/report/file_output.hpp"
#include "tailsim/study/calibration.hpp"
#include "tailsim/study/seed_list.hpp"

namespace tailsim::cli {
namespace {

/// A tolerance flag: `10%` or `0.1`, above 0.
bool parse_tolerance(const std::optional<std::string>& text, const char* flag, double& out) {
  if (!text) {
    return true;
  }
  const auto value = model::parse_fraction(*text);
  if (!value || !(*value > 0)) {
    fmt::print(stderr, "error: {} takes a share above 0, as 10% or 0.1, got '{}'\n", flag,
               model::escape_control(*text));
    return false;
  }
  out = *value;
  return true;
}

}  // namespace

CLI::App* add_calibrate_command(CLI::App& app, CalibrateArgs& args) {
  auto* cmd = app.add_subcommand(
      "calibrate",
      "Simulate a model at the traced rates and compare each path and edge with the traces");
  cmd->add_option("MODEL", args.model_path, "The model file (YAML)")->required()->type_name("FILE");
  cmd->add_option("--traces", args.traces.files,
                  "A trace file: OTLP/JSON, Jaeger JSON, Zipkin v2 JSON or a span CSV (repeatable)")
      ->type_name("FILE")
      ->required()
      ->allow_extra_args(false);
  add_trace_reading_flags(*cmd, args.traces);
  cmd->add_option("--tolerance", args.tolerance,
                  "How far mean, p50 and p90 may be from the traces, e.g. 10% (the default); p99 "
                  "gets half as much again unless --tolerance-p99 says otherwise")
      ->type_name("P%");
  cmd->add_option("--tolerance-p99", args.tolerance_p99, "How far p99 may be (default 15%)")
      ->type_name("P%");
  cmd->add_option("--tolerance-errors", args.tolerance_errors,
                  "How far an error share may be, in points: 1% (the default) is one point")
      ->type_name("P%");
  cmd->add_option("--set", args.overrides, "Override a value of the model: PATH=VALUE (repeatable)")
      ->type_name("PATH=VALUE")
      ->allow_extra_args(false);
  add_allow_path_option(*cmd, args.allowed_paths);
  cmd->add_option("--seed", args.seed_and_duration.seed, "Seed of the run (default: the model's)")
      ->type_name("SEED");
  cmd->add_option("--duration", args.seed_and_duration.duration,
                  "Measured duration, e.g. 10m (default: the model's)")
      ->type_name("DURATION");
  cmd->add_option("--json", args.json_path, "Write the comparison as JSON here (- for stdout)")
      ->type_name("FILE");
  cmd->add_option("--out", args.out_dir,
                  "Write calibration.html (observed and simulated CDFs per path and edge) and "
                  "calibration.json into this folder")
      ->type_name("DIR");
  cmd->add_option("--color", args.color, "Colour in the console: auto, always or never")
      ->type_name("WHEN")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  cmd->add_flag("--quiet,-q", args.quiet, "Print no table");
  cmd->footer(
      "Example: tailsim calibrate examples/imported/model.yaml --traces "
      "examples/imported/traces.otlp.json --out calibration\n");
  return cmd;
}

int run_calibrate(const CalibrateArgs& args, const std::string& command_line) {
  study::CalibrationTolerance tolerance;
  if (!parse_tolerance(args.tolerance, "--tolerance", tolerance.latency)) {
    return bad_input;
  }
  tolerance.p99 = args.tolerance ? tolerance.latency * 1.5 : tolerance.p99;
  if (!parse_tolerance(args.tolerance_p99, "--tolerance-p99", tolerance.p99) ||
      !parse_tolerance(args.tolerance_errors, "--tolerance-errors", tolerance.errors)) {
    return bad_input;
  }
  CheckedModel checked = check_model(args.model_path, args.overrides, args.allowed_paths,
                                     duration_flag(args.seed_and_duration));
  if (!checked.ok()) {
    fmt::print(stderr, "{}: {} error(s)\n", args.model_path,
               checked.load.diagnostics.error_count());
    return bad_input;
  }
  model::Model& m = *checked.load.model;
  if (!apply_seed_and_duration(args.seed_and_duration, m)) {
    return bad_input;
  }
  // Read already: a range or list of seeds is for the commands that replicate.
  if (args.seed_and_duration.seed && study::parse_seeds(*args.seed_and_duration.seed)->size() > 1) {
    fmt::print(stderr, "error: --seed: calibrate simulates once, on one seed, got '{}'\n",
               model::escape_control(*args.seed_and_duration.seed));
    return bad_input;
  }
  if (!check_output_paths({{"--json", args.json_path, OutputKind::file_or_stdout},
                           {"--out", args.out_dir, OutputKind::folder}})) {
    return bad_input;
  }
  const auto evidence = read_trace_evidence(args.traces, args.quiet);
  if (!evidence) {
    return bad_input;
  }
  std::vector<std::string> notes = study::apply_traced_rates(m, *evidence);
  if (!args.quiet) {
    for (const auto& note : notes) {
      fmt::print(stderr, "note: {}\n", model::escape_control(note));
    }
  }
  auto plan = plan::compile_plan(m, checked.load.diagnostics);
  if (!plan) {
    return bad_input;
  }

  stats::Results results;
  {
    ProgressBar progress(!args.quiet);
    components::RunLimits limits;
    limits.on_progress = [&](double done) { progress.update(done); };
    limits.attribution = false;
    limits.interval_tallies = true;
    limits.stop_requested = &stop_flag();
    limits.max_memory_bytes = components::default_memory_budget(1);
    results = components::simulate(*plan, limits);
  }
  if (received_signal() != 0 || results.stopped_early) {
    fmt::print(stderr, "error: the run stopped early ({}): nothing to compare\n",
               received_signal() != 0 ? "by a signal" : results.stop_reason);
    return received_signal() != 0 ? 128 + received_signal() : simulation_failed;
  }

  study::Calibration calibration = study::calibrate(*evidence, m, results, tolerance);
  calibration.notes = std::move(notes);
  const std::string json = study::calibration_to_json(calibration, m.name.value);
  if (!args.json_path.empty()) {
    write_output(args.json_path, json);
  }
  if (!args.out_dir.empty()) {
    const std::filesystem::path folder(args.out_dir);
    report::write_file_atomically(folder / "calibration.json", json);
    report::write_file_atomically(folder / "calibration.html",
                                  study::calibration_page(calibration, m.name.value, command_line));
  }
  if (!args.quiet && args.json_path != "-") {
    fmt::print("tailsim {} · calibrate '{}' · seed {} · {} simulated at the traced rates\n\n",
               TAILSIM_VERSION, m.name.value, results.seed,
               format_duration(m.simulation.duration.value));
    fmt::print("{}", study::calibration_to_console(calibration, stdout_wants_color(args.color)));
  }
  return calibration.passes() ? ok : slo_failed;
}

}  // namespace tailsim::cli
