// `tailsim compare MODEL_A MODEL_B`: paired replications with common random
// numbers; exit 1 when one of B's SLO checks fails, as `run B --replications N`
// judges it (the gate; the console says whether the change caused it).

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "output_paths.hpp"
#include "study_commands.hpp"
#include "tailsim/components/simulation.hpp"
#include "tailsim/plan/compiler.hpp"
#include "tailsim/report/compare_report.hpp"
#include "tailsim/report/file_output.hpp"
#include "tailsim/report/junit_writer.hpp"
#include "tailsim/report/markdown_summary.hpp"
#include "tailsim/study/compare.hpp"

namespace tailsim::cli {
namespace {

/// A model checked and compiled with the shared flags; nothing (after every
/// message) when it cannot be.
std::optional<plan::Plan> compile_model(const std::string& path, const CompareArgs& args) {
  CheckedModel checked =
      check_model(path, args.overrides, args.allowed_paths, duration_flag(args.seed_and_duration));
  if (!checked.ok()) {
    fmt::print(stderr, "{}: {} error(s)\n", path, checked.load.diagnostics.error_count());
    return std::nullopt;
  }
  model::Model& m = *checked.load.model;
  if (!apply_seed_and_duration(args.seed_and_duration, m)) {
    return std::nullopt;
  }
  return plan::compile_plan(m, checked.load.diagnostics);
}

/// compare.html in `--out`: replication 0 of each model, run again in full
/// (the study keeps only their metrics) on its seed, overlaid.
void write_compare_page(const CompareArgs& args, const study::Comparison& comparison,
                        const plan::Plan& a, const plan::Plan& b, const stats::Results& b_checks,
                        const report::SloStudy& slo_study, const study::StudyLimits& limits) {
  if (comparison.seeds.empty()) {
    return;  // interrupted before a pair ran: nothing to draw
  }
  const auto replication_zero = [&](const plan::Plan& plan) {
    plan::Plan seeded = plan;
    seeded.seed = comparison.seeds.front();
    components::RunLimits run_limits;
    run_limits.stop_requested = limits.stop_requested;
    run_limits.max_memory_bytes = limits.max_memory_bytes;
    return components::simulate(seeded, run_limits);
  };
  const stats::Results first_a = replication_zero(a);
  const stats::Results first_b = replication_zero(b);
  report::write_file_atomically(
      std::filesystem::path(args.out_dir) / "compare.html",
      report::format_compare_report(
          first_a, first_b, b_checks, slo_study,
          report::CompareReportInputs{args.model_a, args.model_b, comparison.seeds.size(),
                                      comparison.gate_fails() ? "fail" : "pass",
                                      study::comparison_component_table(comparison)}));
}

}  // namespace

CLI::App* add_compare_command(CLI::App& app, CompareArgs& args) {
  auto* cmd = app.add_subcommand(
      "compare", "Compare two models on the same random traffic (paired replications)");
  cmd->add_option("MODEL_A", args.model_a, "The baseline model")->required()->type_name("FILE");
  cmd->add_option("MODEL_B", args.model_b, "The changed model, whose SLOs are checked")
      ->required()
      ->type_name("FILE");
  cmd->add_option("--set", args.overrides,
                  "Override a value of both models: PATH=VALUE (repeatable)")
      ->type_name("PATH=VALUE")
      ->allow_extra_args(false);
  add_allow_path_option(*cmd, args.allowed_paths);
  cmd->add_option("--seed", args.seed_and_duration.seed,
                  "Base seed of the replications (default: A's); a range 1..5 or a list "
                  "3,7,11 runs one pair on each seed")
      ->type_name("SEED");
  add_load_option(*cmd, args.seed_and_duration.load);
  cmd->add_option("--duration", args.seed_and_duration.duration,
                  "Measured duration of each run, e.g. 2m (default: each model's)")
      ->type_name("DURATION");
  add_replication_flags(*cmd, args.replication, /*with_precision=*/false);
  add_distribution_flags(*cmd, args.distribution);
  cmd->add_option("--json", args.json_path, "Write the comparison as JSON here (- for stdout)")
      ->type_name("FILE");
  cmd->add_option("--junit", args.junit_path,
                  "Write B's SLO checks as JUnit XML here, each with its interval and A's value")
      ->type_name("FILE");
  cmd->add_option("--summary-md", args.summary_md_path,
                  "Write the verdict and B's SLO checks against A as Markdown here")
      ->type_name("FILE");
  cmd->add_option(
         "--out", args.out_dir,
         "Write comparison.json, junit.xml, summary.md and compare.html (A and B overlaid) into "
         "this folder")
      ->type_name("DIR");
  cmd->add_option("--color", args.color, "Colour in the console: auto, always or never")
      ->type_name("WHEN")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  cmd->add_flag("--quiet,-q", args.quiet, "Print no summary");
  cmd->footer(
      "Example: tailsim compare examples/imported/system.yaml examples/imported/model.yaml "
      "--replications 5 --out compare\n");
  return cmd;
}

int run_compare(const CompareArgs& args) {
  const auto replication = replication_options(args.replication, args.seed_and_duration.seed);
  if (!replication) {
    return bad_input;
  }
  if (replication->replications < 2) {
    fmt::print(stderr, "error: compare needs at least 2 replications for an interval\n");
    return bad_input;
  }
  const auto a = compile_model(args.model_a, args);
  const auto b = compile_model(args.model_b, args);
  if (!a || !b) {
    return bad_input;
  }
  if (!check_output_paths({{"--json", args.json_path, OutputKind::file_or_stdout},
                           {"--junit", args.junit_path, OutputKind::file},
                           {"--summary-md", args.summary_md_path, OutputKind::file},
                           {"--out", args.out_dir, OutputKind::folder}})) {
    return bad_input;
  }
  const auto started = std::chrono::steady_clock::now();
  study::Comparison comparison;
  {
    ProgressBar progress(!args.quiet);
    comparison = study::compare_plans(
        *a, *b, replication->replications, replication->jobs,
        [&](double done) { progress.update(done); }, replication->limits, replication->seeds);
  }
  if (!writes_outputs()) {
    return ok;  // rank 0 writes the outputs
  }
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const std::string json = study::comparison_to_json(comparison);
  if (!args.json_path.empty()) {
    write_output(args.json_path, json);
  }
  // B's checks, each with its interval over the replications and A's side.
  const stats::Results b_checks = study::comparison_slo_results(comparison, *b);
  const report::SloStudy slo_study = study::comparison_slo_study(comparison, a->model_name);
  const std::string junit =
      report::format_junit(b_checks, report::JunitInputs{args.model_b, wall_s}, slo_study);
  const std::string summary = report::format_markdown_summary(b_checks, slo_study);
  if (!args.junit_path.empty()) {
    report::write_file_atomically(args.junit_path, junit);
  }
  if (!args.summary_md_path.empty()) {
    report::write_file_atomically(args.summary_md_path, summary);
  }
  if (!args.out_dir.empty()) {
    const std::filesystem::path dir(args.out_dir);
    report::write_file_atomically(dir / "comparison.json", json);
    report::write_file_atomically(dir / "junit.xml", junit);
    report::write_file_atomically(dir / "summary.md", summary);
    write_compare_page(args, comparison, *a, *b, b_checks, slo_study, replication->limits);
  }
  if (!args.quiet && args.json_path != "-") {
    fmt::print("tailsim {} · A '{}' ({}) · B '{}' ({}) · {}{}\n\n", TAILSIM_VERSION, a->model_name,
               args.model_a, b->model_name, args.model_b, replication->seeds.empty() ? "base " : "",
               seeds_label(*replication, a->seed, args.seed_and_duration.seed));
    fmt::print("{}", study::comparison_to_console(comparison, stdout_wants_color(args.color)));
  }
  return study_exit_code(
      comparison.a_coverage.stopped.size() + comparison.b_coverage.stopped.size(),
      comparison.gate_fails() ? slo_failed : ok);
}

}  // namespace tailsim::cli
