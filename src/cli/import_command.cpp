// `tailsim import`: traces (and Kubernetes manifests) in, a draft model out
// (SPEC.md, the command line; docs/import.md). Also the trace reading that
// `calibrate` shares.

#include "import_command.hpp"

#include <cstdio>
#include <filesystem>
#include <span>

#include <fmt/format.h>

#include "output_paths.hpp"
#include "tailsim/import/fit.hpp"
#include "tailsim/import/k8s_manifests.hpp"
#include "tailsim/import/model_writer.hpp"
#include "tailsim/import/trace_reader.hpp"
#include "tailsim/model/diagnostics.hpp"
#include "tailsim/model/loader.hpp"
#include "tailsim/model/text_encoding.hpp"
#include "tailsim/model/units.hpp"
#include "tailsim/report/file_output.hpp"

namespace tailsim::cli {
namespace {

/// Reading one trace file failed: where and why, on stderr.
void print_import_error(const import::ImportError& e) {
  std::string where = e.file();
  if (e.offset() > 0) {
    where += fmt::format(": at byte {}", e.offset());
  }
  if (!e.trace_id().empty()) {
    where += fmt::format(" (trace {})", e.trace_id());
  }
  fmt::print(stderr, "error: {}: {}\n", model::escape_control(where),
             model::escape_control(e.what()));
}

/// --sample-rate: a share in (0, 1], as `0.1` or `10%`.
std::optional<double> parse_sample_rate(const std::optional<std::string>& text) {
  if (!text) {
    return 1.0;
  }
  const auto rate = model::parse_fraction(*text);
  if (!rate || !(*rate > 0 && *rate <= 1)) {
    fmt::print(stderr,
               "error: --sample-rate takes the share of requests that were traced, above 0 and at "
               "most 1 (0.1 or 10%), got '{}'\n",
               model::escape_control(*text));
    return std::nullopt;
  }
  return *rate;
}

/// Whether `store` holds spans of a collector's file export (OTLP JSON
/// Lines): spans written as they arrived, so that the traces still open when
/// the capture ended lack spans. A file of one document (a Jaeger or Zipkin
/// download, a query API's answer, tailsim's own traces) holds whole traces.
bool holds_streamed_spans(const import::SpanStore& store) {
  for (const auto& file : store.files()) {
    if (file.format == import::TraceFormat::otlp_json && file.documents > 1) {
      return true;
    }
  }
  return false;
}

/// Prints what reading the traces met that a user should know.
void print_reading_summary(const import::SpanStore& store, const import::TraceEvidence& evidence) {
  const auto& read = store.counts();
  const auto& counts = evidence.counts;
  fmt::print(stderr, "read {} spans from {} file(s): {} traces, {} analysed\n", read.spans_read,
             store.files().size(), counts.traces, counts.traces_kept);
  auto note = [](std::size_t n, std::string_view what) {
    if (n > 0) {
      fmt::print(stderr, "note: {} {}\n", n, what);
    }
  };
  note(read.duplicates, "spans were copies of spans already read and were dropped");
  note(read.skipped_total(), "spans had no usable start or end time and were dropped");
  note(read.truncated_strings, "names were longer than 256 bytes and were cut");
  note(counts.rootless_traces, "traces have no root span and were dropped");
  note(counts.cyclic_traces, "traces have a cycle in their parent links and were dropped");
  note(counts.cut_traces,
       "traces were still open near the end of the capture and were dropped (--edge-cut)");
  note(counts.orphan_spans, "spans name a parent the trace lacks (analysed as partial subtrees)");
  note(counts.kindless_spans, "spans have no kind (read by the rules for kindless spans)");
  note(counts.roots_without_entry, "root spans reach no endpoint (a client at the top)");
  note(counts.unnamed_peers, "client spans name no peer: their dependency is 'unknown'");
}

}  // namespace

void add_trace_reading_flags(CLI::App& cmd, TraceFlags& flags) {
  cmd.add_option("--sample-rate", flags.sample_rate,
                 "The share of requests that were traced, 0.1 or 10% (default 1): each trace "
                 "without a sampling weight of its own stands for 1/R requests")
      ->type_name("SHARE");
  cmd.add_option("--edge-cut", flags.edge_cut,
                 "Drop traces still open this close to the capture's end, e.g. 5s (default 5s "
                 "for a collector's OTLP JSON Lines export, 0s for a file of one JSON document "
                 "(a download or query answer, which holds whole traces))")
      ->type_name("DURATION");
}

std::optional<import::TraceEvidence> read_trace_evidence(const TraceFlags& flags, bool quiet) {
  const auto sample_rate = parse_sample_rate(flags.sample_rate);
  if (!sample_rate) {
    return std::nullopt;
  }
  std::optional<Duration> edge_cut;
  if (flags.edge_cut) {
    const auto parsed = model::parse_duration(*flags.edge_cut);
    if (!parsed) {
      fmt::print(stderr, "error: --edge-cut: {}\n", model::escape_control(parsed.error().message));
      return std::nullopt;
    }
    edge_cut = *parsed;
  }
  import::SpanStore store;
  for (const auto& file : flags.files) {
    try {
      import::read_trace_file(file, store);
    } catch (const import::ImportError& e) {
      print_import_error(e);
      return std::nullopt;
    }
  }
  import::AnalysisOptions options;
  options.sample_rate = *sample_rate;
  options.edge_cut = edge_cut                      ? *edge_cut
                     : holds_streamed_spans(store) ? options.edge_cut
                                                   : Duration{0};
  import::TraceEvidence evidence = import::analyze_traces(store, options);
  if (!quiet) {
    print_reading_summary(store, evidence);
  }
  if (evidence.workloads.empty()) {
    fmt::print(stderr,
               "error: no trace in the files reaches an endpoint: {} spans read, {} traces, none "
               "with a root span that is (or leads to) a server span\n",
               store.counts().spans_read, evidence.counts.traces);
    return std::nullopt;
  }
  return evidence;
}

CLI::App* add_import_command(CLI::App& app, ImportArgs& args) {
  auto* cmd = app.add_subcommand(
      "import", "Draft a model from traces (OTLP, Jaeger, Zipkin JSON) and Kubernetes manifests");
  cmd->add_option("--traces", args.traces.files,
                  "A trace file: OTLP/JSON, Jaeger JSON, Zipkin v2 JSON or a span CSV (repeatable)")
      ->type_name("FILE")
      ->allow_extra_args(false);
  cmd->add_option("--k8s", args.manifests,
                  "A Kubernetes manifest file or a folder of them (repeatable): replicas, pod "
                  "CPU, autoscalers of the services of the same name")
      ->type_name("PATH")
      ->allow_extra_args(false);
  add_trace_reading_flags(*cmd, args.traces);
  cmd->add_option("-o,--output", args.output,
                  "Write the model here, and the sample files it names beside it (default: the "
                  "model to stdout)")
      ->type_name("FILE");
  cmd->add_option("--own-time", args.own_time,
                  "How an endpoint's own time enters the model: cpu (queues for the pod's cores "
                  "as load grows; default) or delay (the same time at any load)")
      ->type_name("KIND")
      ->check(CLI::IsMember({"cpu", "delay"}));
  cmd->add_option("--name", args.name, "The model's name (default: the output file's stem)")
      ->type_name("NAME");
  cmd->add_flag("--quiet,-q", args.quiet, "Print only problems");
  cmd->footer(
      "Example: tailsim import --traces examples/imported/traces.otlp.json --k8s "
      "examples/imported/k8s --name bookshop -o bookshop.yaml\n");
  return cmd;
}

int run_import(const ImportArgs& args) {
  if (args.traces.files.empty()) {
    fmt::print(stderr,
               "error: import needs at least one --traces FILE: the endpoints, calls and times "
               "of a model come from traces; --k8s adds replicas, pods and autoscalers to them\n");
    return bad_input;
  }
  if (!check_output_paths({{"-o", args.output, OutputKind::file}})) {
    return bad_input;
  }
  model::Diagnostics manifest_diags;
  std::optional<import::Manifests> manifests;
  if (!args.manifests.empty()) {
    std::vector<std::filesystem::path> paths(args.manifests.begin(), args.manifests.end());
    manifests = import::read_manifests(paths, manifest_diags);
    manifest_diags.sort();
    if (!manifest_diags.all().empty()) {
      fmt::print(stderr, "{}", manifest_diags.format_all());
    }
    if (manifest_diags.has_errors()) {
      fmt::print(stderr, "the manifests: {} error(s)\n", manifest_diags.error_count());
      return bad_input;
    }
    if (!args.quiet) {
      for (const auto& [kind, skipped] : manifests->skipped) {
        fmt::print(stderr, "note: {} object(s) of kind {} skipped (first at {}:{})\n",
                   skipped.count, model::escape_control(kind),
                   model::escape_control(manifest_diags.source_name(skipped.first.file)),
                   skipped.first.line);
      }
    }
  }
  const auto evidence = read_trace_evidence(args.traces, args.quiet);
  if (!evidence) {
    return bad_input;
  }

  import::WriterOptions options;
  options.own_time = args.own_time == "delay" ? import::OwnTimeAs::delay : import::OwnTimeAs::cpu;
  options.manifest_sources = manifests ? &manifest_diags : nullptr;
  if (args.name) {
    options.name = import::sanitize_model_name(*args.name);
  } else if (!args.output.empty()) {
    options.name = import::sanitize_model_name(std::filesystem::path(args.output).stem().string());
  }
  const import::DraftModel draft =
      import::write_model(*evidence, manifests ? &*manifests : nullptr, options);
  if (!args.quiet) {
    for (const auto& note : draft.notes) {
      fmt::print(stderr, "note: {}\n", model::escape_control(note));
    }
  }
  if (args.output.empty()) {
    if (!draft.files.empty()) {
      fmt::print(stderr,
                 "error: the model names {} sample file(s) (empirical distributions, first '{}'), "
                 "which are written beside it: give -o MODEL\n",
                 draft.files.size(), draft.files.front().name);
      return bad_input;
    }
    std::fputs(draft.yaml.c_str(), stdout);
    return ok;
  }
  // The sample files first, then the model that names them, checked before
  // it is written: a model appears whole and loading, or not at all.
  const std::filesystem::path output(args.output);
  const std::filesystem::path folder = output.parent_path();
  for (const auto& file : draft.files) {
    import::write_empirical_file(folder / file.name, file.samples);
  }
  const model::LoadResult check =
      model::load_string(draft.yaml, args.output, {}, folder.empty() ? "." : folder);
  if (!check.ok() || check.diagnostics.has_errors()) {
    for (const auto& file : draft.files) {
      std::error_code ignored;
      std::filesystem::remove(folder / file.name, ignored);
    }
    fmt::print(stderr, "{}", check.diagnostics.format_all());
    fmt::print(stderr,
               "error: the drafted model does not load, so {} was not written: a defect of "
               "tailsim's importer, please report it with the traces' shape\n",
               args.output);
    return simulation_failed;
  }
  report::write_file_atomically(output, draft.yaml);
  if (!args.quiet) {
    std::size_t endpoints = 0;
    for (const auto& s : check.model->services) {
      endpoints += s.endpoints.size();
    }
    fmt::print(stderr, "wrote {}: model '{}', {} services, {} endpoints, {} workloads{}\n",
               args.output, check.model->name.value, check.model->services.size(), endpoints,
               check.model->workloads.size(),
               draft.files.empty() ? "" : fmt::format(", {} sample files", draft.files.size()));
  }
  return ok;
}

}  // namespace tailsim::cli
