// The tailsim program: CLI11 wiring only. It parses the command line, calls the
// library and maps outcomes to the exit codes of SPEC.md.

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "analyze_command.hpp"
#include "calibrate_command.hpp"
#include "cli_common.hpp"
#include "distribution.hpp"
#include "import_command.hpp"
#include "interrupt.hpp"
#include "output_folder.hpp"
#include "output_paths.hpp"
#include "study_commands.hpp"
#include "tailsim/components/memory_budget.hpp"
#include "tailsim/components/simulation.hpp"
#include "tailsim/core/duration_text.hpp"
#include "tailsim/graph/dependency_graph.hpp"
#include "tailsim/graph/graph_writer.hpp"
#include "tailsim/model/loader.hpp"
#include "tailsim/model/units.hpp"
#include "tailsim/plan/compiler.hpp"
#include "tailsim/report/console_report.hpp"
#include "tailsim/report/epoch.hpp"
#include "tailsim/report/file_output.hpp"
#include "tailsim/report/json_report.hpp"
#include "tailsim/report/junit_writer.hpp"
#include "tailsim/report/markdown_summary.hpp"
#include "topology_numbers.hpp"

namespace {

namespace model = tailsim::model;
namespace graph = tailsim::graph;
using namespace tailsim::cli;  // NOLINT(google-build-using-namespace): the commands share it

int validate(const std::string& path, const std::vector<std::string>& overrides,
             const std::vector<std::string>& allowed_paths, bool quiet) {
  CheckedModel checked = check_model(path, overrides, allowed_paths);
  if (!checked.ok()) {
    std::fprintf(stderr, "%s: %zu error(s)\n", path.c_str(),
                 checked.load.diagnostics.error_count());
    return bad_input;
  }
  if (!quiet) {
    const auto& m = *checked.load.model;
    std::size_t endpoints = 0;
    for (const auto& s : m.services) {
      endpoints += s.endpoints.size();
    }
    fmt::print("{}: ok: model '{}', {} services, {} endpoints, {} workloads\n", path, m.name.value,
               m.services.size(), endpoints, m.workloads.size());
  }
  return ok;
}

int draw_graph(const std::string& path, const std::vector<std::string>& overrides,
               const std::vector<std::string>& allowed_paths, const std::string& format) {
  CheckedModel checked = check_model(path, overrides, allowed_paths);
  if (!checked.ok()) {
    return bad_input;
  }
  const std::string text = format == "json" ? graph::write_json(*checked.graph, *checked.load.model)
                                            : graph::write_dot(*checked.graph, *checked.load.model);
  std::fputs(text.c_str(), stdout);
  return ok;
}

/// The most requests `--traces` keeps: each is held whole in memory, and
/// trace viewers slow down long before this many.
constexpr std::uint32_t max_traces = 100'000;
/// The traces `--out` keeps when `--traces` is not given.
constexpr std::uint32_t default_traces = 50;

/// What `tailsim run` was asked for.
struct RunOptions {
  SeedAndDuration seed_and_duration;
  std::string json_path;
  std::string junit_path;
  std::string summary_md_path;
  std::string out_dir;
  std::optional<std::string> traces;  ///< requests to keep as traces in `out_dir` (unparsed)
  std::optional<std::string> epoch;   ///< wall-clock instant of simulated time 0 (unparsed)
  std::string color = "auto";
  bool quiet = false;
  bool no_attribution = false;
  ReplicationFlags replication;
  DistributionFlags distribution;
};

int run(const std::string& path, const std::vector<std::string>& overrides,
        const std::vector<std::string>& allowed_paths, const RunOptions& options,
        const std::string& command) {
  // An output folder holds traces too, unless asked otherwise: they come from
  // the replay attribution makes anyway.
  std::uint32_t traces = options.out_dir.empty() ? 0 : default_traces;
  if (options.traces) {
    const auto n = model::parse_integer(*options.traces);
    if (!n || *n < 0 || *n > max_traces) {
      fmt::print(stderr, "error: --traces takes a whole number from 0 to {}, got '{}'\n",
                 max_traces, *options.traces);
      return bad_input;
    }
    traces = static_cast<std::uint32_t>(*n);
  }
  if (traces > 0 && options.out_dir.empty()) {
    fmt::print(stderr,
               "error: --traces needs --out DIR, the folder to write traces.otlp.json, "
               "traces.jaeger.json and traces.chrome.json into\n");
    return bad_input;
  }
  const auto epoch = options.epoch ? tailsim::report::parse_epoch(*options.epoch)
                                   : tailsim::report::default_epoch_unix_ns;
  if (!epoch || (options.epoch && options.out_dir.empty())) {
    fmt::print(stderr,
               "error: --epoch takes an RFC 3339 instant (2026-01-01T00:00:00Z) or Unix seconds "
               "(1767225600) from 1970 to 2100, with --out DIR; got '{}'{}\n",
               *options.epoch, epoch ? " without --out" : "");
    return bad_input;
  }
  CheckedModel checked =
      check_model(path, overrides, allowed_paths, duration_flag(options.seed_and_duration));
  if (!checked.ok()) {
    std::fprintf(stderr, "%s: %zu error(s)\n", path.c_str(),
                 checked.load.diagnostics.error_count());
    return bad_input;
  }
  model::Model& m = *checked.load.model;
  if (!apply_seed_and_duration(options.seed_and_duration, m)) {
    return bad_input;
  }
  auto plan = tailsim::plan::compile_plan(m, checked.load.diagnostics);
  if (!plan) {
    return bad_input;
  }
  if (!check_output_paths({{"--json", options.json_path, OutputKind::file_or_stdout},
                           {"--junit", options.junit_path, OutputKind::file},
                           {"--summary-md", options.summary_md_path, OutputKind::file},
                           {"--out", options.out_dir, OutputKind::folder}})) {
    return bad_input;
  }
  const RunEstimates estimates(m);

  auto replication = replication_options(options.replication, options.seed_and_duration.seed);
  if (!replication) {
    return bad_input;
  }
  const bool replicates = is_replicated(options.replication) || !replication->seeds.empty();
  if (is_sharded() && (!replicates || replication->precision)) {
    fmt::print(stderr, "error: --shard shares a study's replications: {}\n",
               replicates ? "--precision decides how many as they finish, which shards cannot; "
                            "give --replications N"
                          : "give --replications N or a --seed range");
    return bad_input;
  }
  if (!replicates && !writes_outputs()) {
    return ok;  // one simulation: rank 0 runs it
  }
  // Replication 0 is the plain run, with what a plain run records.
  replication->attribution = !options.no_attribution;
  replication->traces = traces;
  const auto started = std::chrono::steady_clock::now();
  std::optional<tailsim::study::ReplicatedRun> replicated;
  tailsim::stats::Results results;
  if (replicates) {
    replicated = run_replications(*plan, *replication, options.quiet);
    if (!writes_outputs()) {
      return ok;  // rank 0 writes the outputs
    }
    results = replicated->first_with_mean_slos();
  } else {
    ProgressBar progress(!options.quiet);
    tailsim::components::RunLimits limits;
    limits.on_progress = [&](double done) { progress.update(done); };
    limits.attribution = !options.no_attribution;
    limits.traces = traces;
    limits.stop_requested = replication->limits.stop_requested;
    // One simulation: the whole default budget, not a share per job.
    limits.max_memory_bytes = options.replication.max_memory
                                  ? replication->limits.max_memory_bytes
                                  : tailsim::components::default_memory_budget(1);
    results = tailsim::components::simulate(*plan, limits);
  }
  estimates.fill(results);
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  // results.json's text, built when first written: a run that writes none
  // (no --json, or --out of a plain run, which writes its own) spends
  // neither the time nor the memory.
  std::optional<std::string> json;
  const auto results_json = [&]() -> const std::string& {
    if (!json) {
      json = replicated ? tailsim::study::replications_to_json(*replicated, *replication)
                        : tailsim::report::to_json(results);
    }
    return *json;
  };
  if (!options.json_path.empty()) {
    write_output(options.json_path, results_json());
  }
  // A replicated run states each check as mean ± half-width over N.
  const tailsim::report::SloStudy study =
      replicated ? tailsim::study::slo_study(*replicated) : tailsim::report::SloStudy{};
  const auto junit = [&] {
    return tailsim::report::format_junit(results, tailsim::report::JunitInputs{path, wall_s},
                                         study);
  };
  if (!options.junit_path.empty()) {
    tailsim::report::write_file_atomically(options.junit_path, junit());
  }
  if (!options.summary_md_path.empty()) {
    tailsim::report::write_file_atomically(
        options.summary_md_path, tailsim::report::format_markdown_summary(results, study));
  }
  if (!options.out_dir.empty()) {
    std::ifstream model_file(path, std::ios::binary);
    std::ostringstream model_text;
    model_text << model_file.rdbuf();
    tailsim::cli::write_output_folder(tailsim::cli::OutputFolderInputs{
        options.out_dir, &results, path, model_text.str(), command,
        graph::write_dot(*checked.graph, m,
                         tailsim::cli::topology_numbers(*checked.graph, m, results)),
        wall_s, /*has_traces=*/traces > 0, *epoch,
        replicated ? tailsim::study::replications_to_html(*replicated) : std::string()});
    if (replicated) {
      const std::filesystem::path dir(options.out_dir);
      tailsim::report::write_file_atomically(dir / "results.json", results_json());
      tailsim::report::write_file_atomically(dir / "junit.xml", junit());
      tailsim::report::write_file_atomically(
          dir / "summary.md", tailsim::report::format_markdown_summary(results, study));
    }
    if (traces > 0 && results.traces.empty()) {
      fmt::print(stderr, "note: the run kept no request as a trace; the trace files are empty\n");
    }
    std::uint64_t dropped_spans = 0;
    for (const auto& trace : results.traces) {
      dropped_spans += trace.dropped_spans;
    }
    if (dropped_spans > 0 || results.traces_dropped > 0) {
      fmt::print(stderr,
                 "note: traces keep at most {} spans each and {} in all: {} spans and {} chosen "
                 "requests were left out\n",
                 tailsim::stats::max_spans_per_trace, tailsim::stats::max_trace_spans,
                 dropped_spans, results.traces_dropped);
    }
  }
  if (!results.attribution_skipped.empty()) {
    fmt::print(stderr,
               "warning: no tail attribution or traces: the replay that records them stopped "
               "({}); the other results are complete (--no-attribution skips the replay, "
               "--max-memory gives it more room)\n",
               results.attribution_skipped);
  }
  if (!options.quiet && options.json_path != "-") {
    fmt::print("tailsim {} · model '{}' · {} · {} measured after {} warm-up\n", TAILSIM_VERSION,
               results.model,
               seeds_label(*replication, results.seed, options.seed_and_duration.seed),
               tailsim::format_duration(m.simulation.duration.value),
               tailsim::format_duration(m.simulation.warmup.value));
    if (replicated) {
      fmt::print("{} replications of {:.1f}s simulated in {:.2f}s wall on {}{} thread{}\n\n",
                 replicated->runs.size(), results.simulated_s, wall_s,
                 mpi_ranks() > 1 ? fmt::format("{} MPI ranks x ", mpi_ranks()) : "",
                 replication->jobs, replication->jobs == 1 ? "" : "s");
    } else {
      fmt::print("simulated {:.1f}s in {:.2f}s wall · {} events ({:.1f} M/s)\n\n",
                 results.simulated_s, wall_s, results.events,
                 wall_s > 0 ? static_cast<double>(results.events) / wall_s * 1e-6 : 0.0);
    }
    const bool color = stdout_wants_color(options.color);
    fmt::print("{}",
               replicated
                   ? tailsim::study::replications_to_console(*replicated, *replication, color)
                   : tailsim::report::to_console(results, tailsim::report::ConsoleStyle{color}));
  }
  if (replicated) {
    return study_exit_code(replicated->coverage.stopped.size(),
                           results.all_slos_ok() ? ok : slo_failed);
  }
  if (received_signal() != 0) {
    fmt::print(stderr, "note: stopped by {}: the results cover the {:.1f}s simulated before it\n",
               received_signal() == SIGINT ? "SIGINT" : "SIGTERM", results.simulated_s);
    return 128 + received_signal();  // written what it had; the shell's code for the signal
  }
  if (results.stopped_early) {
    fmt::print(stderr,
               "error: the run stopped early ({}); its results cover the {:.1f}s simulated\n",
               results.stop_reason, results.simulated_s);
    return slo_failed;
  }
  return results.all_slos_ok() ? ok : slo_failed;
}

int run_tailsim(int argc, char** argv) {
  CLI::App app{
      "tailsim: a discrete-event simulator of microservice architectures.\n"
      "It shows the tail latency a topology will have before production does."};
  app.set_version_flag("--version", std::string("tailsim ") + TAILSIM_VERSION);
  app.require_subcommand(1);

  std::string model_path;
  std::vector<std::string> overrides;
  std::vector<std::string> allowed_paths;
  bool quiet = false;
  auto add_model_options = [&](CLI::App* cmd) {
    cmd->add_option("MODEL", model_path, "The model file (YAML)")->required()->type_name("FILE");
    cmd->add_option("--set", overrides,
                    "Override a value of the model before validation: PATH=VALUE, e.g. "
                    "services.frontend.replicas=6 (repeatable)")
        ->type_name("PATH=VALUE")
        ->allow_extra_args(false);
    add_allow_path_option(*cmd, allowed_paths);
  };

  auto* validate_cmd = app.add_subcommand("validate", "Check a model and report every error");
  add_model_options(validate_cmd);
  validate_cmd->add_flag("--quiet,-q", quiet, "Print only problems");
  validate_cmd->footer(
      "Example: tailsim validate examples/quickstart.yaml --set "
      "services.frontend.replicas=6\n");

  std::string format = "dot";
  auto* graph_cmd = app.add_subcommand("graph", "Print the dependency graph (DOT or JSON)");
  add_model_options(graph_cmd);
  graph_cmd->add_option("--format", format, "dot (Graphviz) or json")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"dot", "json"}));
  graph_cmd->footer("Example: tailsim graph examples/quickstart.yaml --format json\n");

  RunOptions run_options;
  auto* run_cmd = app.add_subcommand("run", "Simulate a model and report latency per request path");
  add_model_options(run_cmd);
  run_cmd
      ->add_option("--seed", run_options.seed_and_duration.seed,
                   "Seed of every random stream (default: the model's); a range 1..5 or a "
                   "list 3,7,11 runs one replication on each seed")
      ->type_name("SEED");
  run_cmd
      ->add_option("--duration", run_options.seed_and_duration.duration,
                   "Measured duration, e.g. 10m (default: the model's)")
      ->type_name("DURATION");
  add_load_option(*run_cmd, run_options.seed_and_duration.load);
  run_cmd->add_option("--json", run_options.json_path, "Write results.json here (- for stdout)")
      ->type_name("FILE");
  run_cmd
      ->add_option("--junit", run_options.junit_path,
                   "Write the SLO checks as JUnit XML here, one test case per check")
      ->type_name("FILE");
  run_cmd
      ->add_option("--summary-md", run_options.summary_md_path,
                   "Write a Markdown summary here (for $GITHUB_STEP_SUMMARY or a job page)")
      ->type_name("FILE");
  run_cmd->add_option("--out", run_options.out_dir, "Write every output into this folder")
      ->type_name("DIR");
  run_cmd
      ->add_option("--traces", run_options.traces,
                   "With --out: keep N requests, the slowest and the failed first, as traces "
                   "(OTLP, Jaeger and Chrome trace files); default 50, 0 for none")
      ->type_name("N");
  run_cmd
      ->add_option("--epoch", run_options.epoch,
                   "With --out: the wall-clock instant of simulated time 0 in metrics.om and "
                   "the traces, RFC 3339 or Unix seconds (default 2000-01-01T00:00:00Z)")
      ->type_name("TIME");
  run_cmd
      ->add_option("--color", run_options.color,
                   "Colour in the console: auto (on a terminal, unless NO_COLOR is set), always "
                   "or never")
      ->type_name("WHEN")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  run_cmd->add_flag("--quiet,-q", run_options.quiet, "Print no summary");
  run_cmd->add_flag("--no-attribution", run_options.no_attribution,
                    "Skip tail attribution (where the time went), which replays the run: half "
                    "the time");

  add_replication_flags(*run_cmd, run_options.replication, /*with_precision=*/true);
  add_distribution_flags(*run_cmd, run_options.distribution);
  run_cmd->footer("Example: tailsim run examples/quickstart.yaml --duration 5m --out results\n");

  SweepArgs sweep_args;
  auto* sweep_cmd = add_sweep_command(app, sweep_args);
  CompareArgs compare_args;
  auto* compare_cmd = add_compare_command(app, compare_args);

  std::string analyze_json;
  auto* analyze_cmd = app.add_subcommand(
      "analyze", "Analytic estimates (utilization, bottleneck, mean latency) without simulating");
  add_model_options(analyze_cmd);
  analyze_cmd->add_option("--json", analyze_json, "Write the estimates as JSON here (- for stdout)")
      ->type_name("FILE");
  std::optional<std::string> analyze_load;
  add_load_option(*analyze_cmd, analyze_load);
  analyze_cmd->footer("Example: tailsim analyze examples/mm1.yaml --load 1.1x\n");

  ImportArgs import_args;
  auto* import_cmd = add_import_command(app, import_args);

  CalibrateArgs calibrate_args;
  auto* calibrate_cmd = add_calibrate_command(app, calibrate_args);

  // Listed for --help; `tailsim merge` is read before the others
  // (run_merge), as its options are those of the study it merges.
  app.add_subcommand("merge",
                     "Combine the partial results of a study's shards (--shard K/N) into its "
                     "outputs (tailsim merge --help)");

  install_interrupt_handlers();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? ok : bad_input;  // CLI11 uses 100+ for its errors; SPEC says 2
  }

  try {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (!writes_outputs() && !*run_cmd && !*sweep_cmd && !*compare_cmd) {
      return ok;  // another MPI rank: nothing to share, rank 0 does it
    }
    if (*run_cmd && !begin_study("run", {model_path}, args, run_options.distribution)) {
      return bad_input;
    }
    if (*sweep_cmd &&
        !begin_study("sweep", {sweep_args.model_path}, args, sweep_args.distribution)) {
      return bad_input;
    }
    if (*compare_cmd && !begin_study("compare", {compare_args.model_a, compare_args.model_b}, args,
                                     compare_args.distribution)) {
      return bad_input;
    }
    if (*validate_cmd) {
      return validate(model_path, overrides, allowed_paths, quiet);
    }
    if (*graph_cmd) {
      return draw_graph(model_path, overrides, allowed_paths, format);
    }
    std::string command = "tailsim";
    for (int i = 1; i < argc; ++i) {
      command += ' ';
      command += argv[i];
    }
    if (*run_cmd) {
      return run(model_path, overrides, allowed_paths, run_options, command);
    }
    if (*analyze_cmd) {
      return analyze(model_path, overrides, allowed_paths, analyze_load, analyze_json);
    }
    if (*sweep_cmd) {
      return run_sweep(sweep_args, command);
    }
    if (*compare_cmd) {
      return run_compare(compare_args);
    }
    if (*import_cmd) {
      return run_import(import_args);
    }
    if (*calibrate_cmd) {
      return run_calibrate(calibrate_args, command);
    }
  } catch (const StudyHandedOff& handed_off) {
    return handed_off.code;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return simulation_failed;
  }
  return bad_input;
}

/// run_tailsim() on a command line built here (`tailsim merge`'s).
int run_tailsim_args(const std::vector<std::string>& args) {
  std::vector<std::string> copies = args;
  std::vector<char*> argv;
  for (auto& arg : copies) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  return run_tailsim(static_cast<int>(args.size()), argv.data());
}

}  // namespace

int main(int argc, char** argv) {
  MpiSession mpi(argc, argv);
  int code = ok;
  try {
    if (argc >= 2 && std::string_view(argv[1]) == "merge") {
      install_interrupt_handlers();
      code = writes_outputs()
                 ? run_merge(std::vector<std::string>(argv + 1, argv + argc), run_tailsim_args)
                 : ok;
    } else {
      code = run_tailsim(argc, argv);
    }
  } catch (const MpiRankZeroLeft&) {
    code = ok;  // rank 0 ended the program: finish() gives its exit code
  }
  return mpi.finish(code);
}
