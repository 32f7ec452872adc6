#include "analyze_command.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "output_paths.hpp"
#include "study_commands.hpp"
#include "tailsim/analytic/analysis.hpp"
#include "tailsim/report/console_report.hpp"
#include "tailsim/report/json_numbers.hpp"

namespace tailsim::cli {

namespace {

using analytic::Analysis;
using nlohmann::ordered_json;

/// A number for JSON: null where it is infinite (a saturated station, a rate
/// nothing limits).
ordered_json number(double x) {
  return std::isfinite(x) ? ordered_json(x) : ordered_json();
}

std::string to_json(const Analysis& a, const std::string& model_name) {
  ordered_json j;
  j["model"] = model_name;
  ordered_json& services = j["services"] = ordered_json::object();
  for (const auto& s : a.services) {
    ordered_json& out = services[s.name];
    out["arrival_rps"] = number(s.arrival_rps);
    out["utilization"] = number(s.utilization);
    out["load"] = number(s.load);
    out["saturated"] = s.is_saturated();
    if (!s.is_external) {
      out["cpu_servers"] = number(s.cpu_servers);
      out["cpu_stretch"] = number(s.cpu_stretch);
    }
    if (s.worker_wait_s) {
      out["worker_wait_ms"] = number(*s.worker_wait_s * 1e3);
      out["worker_load"] = number(*s.worker_load);
    }
  }
  ordered_json& paths = j["paths"] = ordered_json::object();
  for (const auto& p : a.paths) {
    ordered_json& out = paths[p.name];
    out["mean_ms"] = number(p.mean_s * 1e3);
    out["max_rps"] = p.max_rps ? number(*p.max_rps) : ordered_json();
    out["rate_rps"] = number(p.rate_rps);
    out["kind"] = p.is_queue ? "queue" : "workload";
  }
  j["bottleneck"] = a.bottleneck ? ordered_json(a.services[*a.bottleneck].name) : ordered_json();
  j["analytic_regime"] = a.is_analytic_regime();
  ordered_json& notes = j["notes"] = ordered_json::array();
  for (const auto& n : a.notes) {
    notes.push_back(n);
  }
  return report::json_document(std::move(j));
}

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

/// Why a saturated service saturates, for the warning.
std::string saturation(const analytic::ServiceEstimate& s) {
  if (s.worker_load && !std::isfinite(*s.worker_load)) {
    return "every worker would be held for ever: its requests wait on CPU or a call that "
           "saturates";
  }
  if (s.worker_load && !(*s.worker_load < 1)) {
    return fmt::format("its workers would be busy {} of the time", percent(*s.worker_load));
  }
  if (s.is_external) {
    return fmt::format("{} of its concurrency would be in use", percent(s.load));
  }
  return fmt::format("utilization {} at the model's rates", percent(s.utilization));
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
    write_output(json_path, to_json(analysis, m.name.value));
  }
  if (json_path == "-") {
    return ok;
  }
  std::fputs(to_table(analysis, m.name.value).c_str(), stdout);
  return ok;
}

RunEstimates::RunEstimates(const model::Model& m) {
  Analysis analysis;
  try {
    analysis = analytic::analyze(m, {.max_rates = false});
  } catch (const std::runtime_error& e) {
    fmt::print(stderr, "note: no analytic estimates: {}\n", e.what());
    return;
  }
  for (const auto& s : analysis.services) {
    if (s.is_saturated()) {
      fmt::print(stderr, "warning: service '{}' is predicted to saturate: {}\n", s.name,
                 saturation(s));
    }
  }
  if (analysis.is_analytic_regime()) {
    for (const auto& p : analysis.paths) {
      means_ms_.emplace(p.name, p.mean_s * 1e3);
    }
  }
}

void RunEstimates::fill(stats::Results& results) const {
  for (auto& path : results.paths) {
    if (const auto it = means_ms_.find(path.name); it != means_ms_.end()) {
      path.analytic_mean_ms = it->second;
    }
  }
}

}  // namespace tailsim::cli
