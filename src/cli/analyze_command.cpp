#include "analyze_command.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "cli_common.hpp"
#include "output_paths.hpp"
#include "study_commands.hpp"
#include "tailsim/analytic/analysis.hpp"
#include "tailsim/report/console_report.hpp"
#include "tailsim/study/up_front_analysis.hpp"

namespace tailsim::cli {

namespace {

using analytic::Analysis;

/// `text` broken into lines of at most `width` columns, the first starting
/// with `first`, the others with `indent`.
std::string wrap(const std::string& text, std::size_t width, const std::string& first,
                 const std::string& indent) {
  std::string out = first;
  std::size_t column = first.size();
  bool line_empty = true;
  std::istringstream words(text);
  for (std::string word; words >> word;) {
    if (!line_empty && column + 1 + word.size() > width) {
      out += "\n" + indent;
      column = indent.size();
      line_empty = true;
    }
    if (!line_empty) {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
    line_empty = false;
  }
  return out + "\n";
}

/// A name cut to the table's first column.
std::string shortened(const std::string& name) {
  constexpr std::size_t width = 22;
  return name.size() > width ? name.substr(0, width - 3) + "..." : name;
}

std::string percent(double x) {
  return std::isfinite(x) ? fmt::format("{:.1f}%", 100 * x) : "-";
}

std::string to_table(const Analysis& a, const std::string& model_name) {
  std::string out =
      fmt::format("tailsim {} · model '{}' · analytic estimates\n\n", TAILSIM_VERSION, model_name);
  out +=
      fmt::format("  {:<24}{:>12}{:>12}{:>8}\n", "SERVICES", "arrivals/s", "utilization", "load");
  for (std::size_t i = 0; i < a.services.size(); ++i) {
    const auto& s = a.services[i];
    std::string mark;
    if (a.bottleneck == i) {
      mark = " bottleneck";
    }
    if (s.is_saturated()) {
      mark += " SATURATED";
    }
    out += fmt::format("    {:<22}{:>12.1f}{:>12}{:>8}{}\n", shortened(s.name), s.arrival_rps,
                       s.is_external && s.utilization == 0 ? "-" : percent(s.utilization),
                       percent(s.load), mark);
  }
  out += fmt::format("\n  {:<24}{:>12}{:>12}{:>13}\n", "PATHS", "rate/s", "mean", "max rate/s");
  for (const auto& p : a.paths) {
    const std::string mean =
        std::isfinite(p.mean_s) ? report::format_ms(p.mean_s * 1e3) : "saturated";
    std::string max = "-";
    if (p.max_rps) {
      max = std::isfinite(*p.max_rps) ? fmt::format("{:.1f}", *p.max_rps) : "unlimited";
    }
    const std::string name = p.is_queue ? p.name + " (queue)" : p.name;
    out += fmt::format("    {:<24}{:>12.1f}{:>13}{:>13}\n",
                       name.size() > 24 ? name.substr(0, 21) + "..." : name, p.rate_rps, mean, max);
  }
  out +=
      "\n  max rate/s: the rate the path's workload could reach, the other workloads at theirs,"
      "\n  before a service it uses saturates; 'unlimited' when nothing it uses has a limit,"
      "\n  '-' for a queue's path (its rate is its publishers').\n";
  out += fmt::format("\n  {}\n",
                     a.is_analytic_regime()
                         ? "In the analytic regime: these means should match a simulation's."
                         : "Outside the analytic regime: read these as rough estimates (notes).");
  if (!a.notes.empty()) {
    out += "\n  NOTES\n";
    for (const auto& n : a.notes) {
      out += wrap(n, 80, "    - ", "      ");
    }
  }
  return out;
}

}  // namespace

int analyze(const std::string& path, const std::vector<std::string>& overrides,
            const std::vector<std::string>& allowed_paths, const std::optional<std::string>& load,
            const std::string& json_path) {
  CheckedModel checked = check_model(path, overrides, allowed_paths);
  if (!checked.ok()) {
    fmt::print(stderr, "{}: {} error(s)\n", path, checked.load.diagnostics.error_count());
    return bad_input;
  }
  if (!check_output_paths({{"--json", json_path, OutputKind::file_or_stdout}}) ||
      !apply_load(load, *checked.load.model)) {
    return bad_input;
  }
  const model::Model& m = *checked.load.model;
  Analysis analysis;
  try {
    analysis = analytic::analyze(m);
  } catch (const std::runtime_error& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return bad_input;
  }
  if (!json_path.empty()) {
    write_output(json_path, study::analysis_to_json(analysis, m.name.value));
  }
  if (json_path == "-") {
    return ok;
  }
  std::fputs(to_table(analysis, m.name.value).c_str(), stdout);
  return ok;
}

RunEstimates::RunEstimates(const model::Model& m) : analysis_(study::analyze_for_run(m)) {
  if (!analysis_.note.empty()) {
    fmt::print(stderr, "note: no analytic estimates: {}\n", analysis_.note);
  }
  for (const auto& warning : analysis_.warnings) {
    fmt::print(stderr, "warning: {}\n", warning);
  }
}

void RunEstimates::fill(stats::Results& results) const {
  analysis_.fill(results);
}

}  // namespace tailsim::cli
