// The tailsim program: CLI11 wiring only. It parses the command line, calls the
// library and maps outcomes to the exit codes of SPEC.md.

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "tailsim/graph/dependency_graph.hpp"
#include "tailsim/graph/graph_writer.hpp"
#include "tailsim/model/loader.hpp"

namespace {

namespace model = tailsim::model;
namespace graph = tailsim::graph;

/// Exit codes of SPEC.md.
enum ExitCode : int { ok = 0, slo_failed = 1, bad_input = 2, simulation_failed = 3 };

/// A model loaded and checked, graph included, with every diagnostic printed.
struct CheckedModel {
  model::LoadResult load;
  std::optional<graph::DependencyGraph> graph;

  [[nodiscard]] bool ok() const { return load.ok() && !load.diagnostics.has_errors(); }
};

CheckedModel check_model(const std::string& path, const std::vector<std::string>& overrides) {
  CheckedModel checked{model::load_file(path, model::LoadOptions{overrides}), std::nullopt};
  if (checked.load.model) {
    checked.graph = graph::build_graph(*checked.load.model, checked.load.diagnostics);
    checked.load.diagnostics.sort();
  }
  std::fputs(checked.load.diagnostics.format_all().c_str(), stderr);
  return checked;
}

int validate(const std::string& path, const std::vector<std::string>& overrides, bool quiet) {
  CheckedModel checked = check_model(path, overrides);
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
               const std::string& format) {
  CheckedModel checked = check_model(path, overrides);
  if (!checked.ok()) {
    return bad_input;
  }
  const std::string text = format == "json"
                               ? graph::write_json(*checked.graph, *checked.load.model)
                               : graph::write_dot(*checked.graph, *checked.load.model);
  std::fputs(text.c_str(), stdout);
  return ok;
}

int not_built_yet(const std::string& command) {
  fmt::print(stderr,
             "error: 'tailsim {}' is not available in tailsim {} yet: the simulation engine is "
             "still being built. 'tailsim validate' and 'tailsim graph' work today.\n",
             command, TAILSIM_VERSION);
  return bad_input;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tailsim: a discrete-event simulator of microservice architectures.\n"
               "It shows the tail latency a topology will have before production does."};
  app.set_version_flag("--version", std::string("tailsim ") + TAILSIM_VERSION);
  app.require_subcommand(1);

  std::string model_path;
  std::vector<std::string> overrides;
  bool quiet = false;
  auto add_model_options = [&](CLI::App* cmd) {
    cmd->add_option("MODEL", model_path, "The model file (YAML)")->required();
    cmd->add_option("--set", overrides,
                    "Override a value of the model before validation: PATH=VALUE, e.g. "
                    "services.frontend.replicas=6 (repeatable)")
        ->allow_extra_args(false);
  };

  auto* validate_cmd = app.add_subcommand("validate", "Check a model and report every error");
  add_model_options(validate_cmd);
  validate_cmd->add_flag("--quiet,-q", quiet, "Print only problems");

  std::string format = "dot";
  auto* graph_cmd = app.add_subcommand("graph", "Print the dependency graph (DOT or JSON)");
  add_model_options(graph_cmd);
  graph_cmd->add_option("--format", format, "dot (Graphviz) or json")
      ->check(CLI::IsMember({"dot", "json"}));

  // Commands of SPEC.md whose machinery is still being built: accepted as
  // words so the user gets a clear message instead of "unknown command".
  const std::pair<const char*, const char*> coming[] = {
      {"run", "Simulate a model and report latency per request path"},
      {"analyze", "Analytic estimates (utilization, bottleneck) without simulating"},
      {"sweep", "Simulate over a grid of values with replications"},
      {"compare", "Compare two models on the same random traffic"}};
  for (const auto& [name, what] : coming) {
    auto* cmd = app.add_subcommand(name, fmt::format("{} (not available yet)", what));
    cmd->allow_extras();
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? ok : bad_input;  // CLI11 uses 100+ for its errors; SPEC says 2
  }

  try {
    if (*validate_cmd) {
      return validate(model_path, overrides, quiet);
    }
    if (*graph_cmd) {
      return draw_graph(model_path, overrides, format);
    }
    for (const auto& [name, what] : coming) {
      if (app.got_subcommand(name)) {
        return not_built_yet(name);
      }
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return simulation_failed;
  }
  return bad_input;
}
