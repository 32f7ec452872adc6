// The console and JSON forms of a comparison.

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "estimate_json.hpp"
#include "tailsim/core/time.hpp"
#include "tailsim/report/json_numbers.hpp"
#include "tailsim/study/compare.hpp"
#include "tailsim/study/study_text.hpp"

namespace tailsim::study {
namespace {

using ordered_json = nlohmann::ordered_json;

constexpr std::array<std::string_view, 6> service_table_metrics = {
    "requests", "utilization", "queue_mean", "rejected", "replicas.mean", "replicas.max"};

/// "+3.9ms ± 0.2ms (+9.5%)": a signed difference, and relative to A;
/// `format` writes a value in the metric's unit.
template <class Format>
std::string format_signed_difference(const Difference& d, Format format) {
  const Estimate& e = d.b_minus_a;
  if (!std::isfinite(e.mean)) {
    return "-";
  }
  std::string out = (e.mean < 0 ? "-" : "+") + format(std::abs(e.mean));
  if (e.has_interval() && std::isfinite(e.half_width)) {
    out += " ± " + format(e.half_width);
  }
  if (std::isfinite(d.a.mean) && d.a.mean != 0) {
    out += fmt::format(" ({:+.1f}%)", 100 * e.mean / d.a.mean);
  }
  return out;
}

std::string format_difference(Metric m, const Difference& d) {
  return format_signed_difference(d, [m](double x) { return format_metric(m, x); });
}

/// The metrics of a plain run's SERVICES table: always in the comparison's
/// table; the others only when they happened.
bool is_table_metric(ComponentKind kind, std::string_view metric) {
  return kind != ComponentKind::service ||
         std::find(service_table_metrics.begin(), service_table_metrics.end(), metric) !=
             service_table_metrics.end();
}

std::string paint(bool color, Verdict v, std::string_view text) {
  if (!color || v == Verdict::no_significant_change) {
    return std::string(text);
  }
  return fmt::format("\x1b[{}m{}\x1b[0m", v == Verdict::better ? 32 : 31, text);
}

}  // namespace

std::string gate_reason(const SloComparison& s, std::size_t replications) {
  if (s.regression && s.b_unstable_alone > 0) {
    return fmt::format("unstable in {} of {} replications where A was stable, and failing",
                       s.b_unstable_alone, replications);
  }
  if (s.regression && s.b_unmeasured > 0) {
    return fmt::format(
        "no successful request in {} of {} replications where A had some, and failing",
        s.b_unmeasured, replications);
  }
  if (s.regression) {
    return "significantly worse, and failing";
  }
  if (!s.b_ok) {
    return "failing, but not significantly worse than A";
  }
  return fmt::format("passing ({})", verdict_name(s.difference.verdict));
}

namespace {

ordered_json difference_json(const Difference& d) {
  return ordered_json{{"a", estimate_json(d.a)},
                      {"b", estimate_json(d.b)},
                      {"difference", estimate_json(d.b_minus_a)},
                      {"verdict", verdict_name(d.verdict)}};
}

}  // namespace

std::vector<std::vector<std::string>> comparison_component_table(const Comparison& c) {
  std::vector<std::vector<std::string>> rows = {
      {"component", "metric", "A", "B", "B - A", "change"}};
  for (const auto& component : c.components) {
    const auto specs = component_metrics(component.kind);
    std::string name = fmt::format("{} {}", component_kind_name(component.kind), component.name);
    for (std::size_t m = 0; m < specs.size(); ++m) {
      const Difference& d = component.metrics[m];
      if (d.a.n == 0 && d.b.n == 0) {
        continue;  // neither has it (an external service's utilization)
      }
      if (!is_table_metric(component.kind, specs[m].name) && !(d.a.mean != 0) && !(d.b.mean != 0)) {
        continue;
      }
      const ComponentUnit unit = specs[m].unit;
      rows.push_back({std::exchange(name, ""), std::string(specs[m].name),
                      format_component_estimate(unit, d.a), format_component_estimate(unit, d.b),
                      format_signed_difference(
                          d, [unit](double x) { return format_component_value(unit, x); }),
                      std::string(component_change(d))});
    }
  }
  return rows;
}

std::string comparison_to_console(const Comparison& c, bool color) {
  std::string out = fmt::format(
      "  COMPARE  B - A over {} paired replications (common random numbers), 95% intervals\n",
      c.seeds.size());
  for (const auto& [side, coverage] : {std::pair{"A", &c.a_coverage}, {"B", &c.b_coverage}}) {
    for (const auto& line : describe_coverage(*coverage)) {
      out += fmt::format("  {}  {}: {}\n",
                         color ? "\x1b[1;31mSTOPPED EARLY\x1b[0m" : "STOPPED EARLY", side, line);
    }
  }
  if (c.has_stopped_runs()) {
    out += fmt::format(
        "  the estimates include what the stopped replications simulated; {}\n",
        c.b_stopped_alone > 0
            ? fmt::format("B stopped early in {} replications where A did not: the gate fails",
                          c.b_stopped_alone)
            : std::string("B never stopped where A did not: not the change's doing, but B's "
                          "checks fail on runs cut short"));
  }
  for (const auto& path : c.paths) {
    std::vector<std::vector<std::string>> rows = {{"metric", "A", "B", "B - A", "verdict"}};
    std::vector<Verdict> verdicts = {Verdict::no_significant_change};
    auto add_row = [&](const std::string& name, Metric m, const Difference& d) {
      rows.push_back({name, format_estimate(m, d.a, c.seeds.size()),
                      format_estimate(m, d.b, c.seeds.size()), format_difference(m, d),
                      std::string(verdict_name(d.verdict))});
      verdicts.push_back(d.verdict);
    };
    for (const Metric m : all_metrics) {
      add_row(std::string(metric_name(m)), m, path[m]);
    }
    // Where requests failed, the latency over all of them too.
    if (path[Metric::errors].a.mean > 0 || path[Metric::errors].b.mean > 0) {
      for (std::size_t k = 0; k < latency_metric_count; ++k) {
        add_row(fmt::format("all {}", metric_name(all_metrics[k])), all_metrics[k], path.all[k]);
      }
    }
    std::vector<std::size_t> widths(rows.front().size(), 0);
    for (const auto& row : rows) {
      for (std::size_t i = 0; i < row.size(); ++i) {
        widths[i] = std::max(widths[i], display_width(row[i]));
      }
    }
    out += fmt::format("\n    {}\n", path.name);
    for (const auto& [side, unstable] :
         {std::pair{"A", path.a_unstable}, std::pair{"B", path.b_unstable}}) {
      if (unstable > 0) {
        out += fmt::format("      {} in {}: {} of {} replications\n",
                           color ? "\x1b[1;31mUNSTABLE\x1b[0m" : "UNSTABLE", side, unstable,
                           c.seeds.size());
      }
    }
    for (std::size_t r = 0; r < rows.size(); ++r) {
      std::string line = "     ";
      for (std::size_t i = 0; i + 1 < rows[r].size(); ++i) {
        line += " " + pad(rows[r][i], widths[i]);
      }
      out += line + " " + paint(color, verdicts[r], rows[r].back()) + "\n";
    }
  }
  for (const auto& name : c.only_in_a) {
    out += fmt::format("\n    {}: only in A\n", name);
  }
  for (const auto& name : c.only_in_b) {
    out += fmt::format("\n    {}: only in B\n", name);
  }
  if (const auto components = comparison_component_table(c); components.size() > 1) {
    out += "\n  SERVICES, QUEUES AND CACHES  A, B and B - A, 95% intervals\n";
    out += format_table(components, 4, /*left=*/2);
  }
  for (const auto& [side, names] :
       {std::pair{"A", &c.components_only_in_a}, std::pair{"B", &c.components_only_in_b}}) {
    for (const auto& name : *names) {
      out += fmt::format("    {}: only in {}\n", name, side);
    }
  }
  if (!c.slos.empty()) {
    out +=
        "\n  SLO GATE  B's checks, as `run B --replications N` judges them: fails when B fails "
        "one\n";
    for (const auto& s : c.slos) {
      const Metric unit = slo_value_unit(s.check.metric);
      const std::string mark = s.fails_gate ? "✗" : "✓";
      out +=
          fmt::format("    {} {} '{}' A={} B={} B-A={}: {}\n",
                      color ? fmt::format("\x1b[{}m{}\x1b[0m", s.fails_gate ? 31 : 32, mark) : mark,
                      s.path, s.check.text, format_estimate(unit, s.difference.a),
                      format_estimate(unit, s.difference.b), format_difference(unit, s.difference),
                      gate_reason(s, c.seeds.size()));
    }
  }
  out += fmt::format("\n  gate: {}{}\n", c.gate_fails() ? "fail" : "pass",
                     c.b_stopped_alone > 0 ? " (B stopped early where A did not)" : "");
  return out;
}

stats::Results comparison_slo_results(const Comparison& c, const plan::Plan& b) {
  stats::Results out;
  out.model = b.model_name;
  out.seed = c.seeds.empty() ? b.seed : c.seeds.front();
  out.duration_s = to_seconds(b.duration);
  out.warmup_s = to_seconds(b.warmup);
  for (const auto& s : c.slos) {
    out.slos.push_back(stats::SloResult{s.path, s.check, s.difference.b.mean, !s.fails_gate});
  }
  return out;
}

report::SloStudy comparison_slo_study(const Comparison& c, const std::string& a_name) {
  report::SloStudy out;
  out.baseline = a_name;
  const auto half_width = [](const Estimate& e) {
    return e.has_interval() ? e.half_width : std::numeric_limits<double>::quiet_NaN();
  };
  for (const auto& s : c.slos) {
    const Difference& d = s.difference;
    out.checks.push_back(report::SloStudyCheck{
        half_width(d.b), c.seeds.size(), true, d.a.mean, half_width(d.a), d.b_minus_a.mean,
        half_width(d.b_minus_a), gate_reason(s, c.seeds.size())});
  }
  return out;
}

std::string comparison_to_json(const Comparison& c) {
  ordered_json j;
  j["replications"] = c.seeds.size();
  j["seeds"] = c.seeds;
  ordered_json& paths = j["paths"] = ordered_json::object();
  for (const auto& path : c.paths) {
    ordered_json& out = paths[path.name];
    for (const Metric m : all_metrics) {
      out[std::string(metric_name(m))] = difference_json(path[m]);
    }
  }
  // The latency over all requests, failures included, of the paths where
  // some failed (apart from `paths`, whose keys under a path are all metrics).
  ordered_json& all = j["latency_all_ms"] = ordered_json::object();
  for (const auto& path : c.paths) {
    if (path[Metric::errors].a.mean > 0 || path[Metric::errors].b.mean > 0) {
      ordered_json& out = all[path.name];
      for (std::size_t k = 0; k < latency_metric_count; ++k) {
        out[std::string(metric_name(all_metrics[k]))] = difference_json(path.all[k]);
      }
    }
  }
  // Apart from `paths`, whose keys under a path are all metrics.
  ordered_json& unstable = j["unstable_paths"] = ordered_json::object();
  for (const auto& path : c.paths) {
    if (path.a_unstable > 0 || path.b_unstable > 0) {
      unstable[path.name] = {{"a", path.a_unstable}, {"b", path.b_unstable}};
    }
  }
  j["interrupted"] = c.interrupted;
  for (const auto& [key, coverage] : {std::pair{"a", &c.a_coverage}, {"b", &c.b_coverage}}) {
    ordered_json side = ordered_json::object();
    add_coverage_json(side, *coverage);
    j[key] = std::move(side);
  }
  j["b_stopped_alone"] = c.b_stopped_alone;
  j["only_in_a"] = c.only_in_a;
  j["only_in_b"] = c.only_in_b;
  add_components_json<ComponentComparison>(
      j, c.components,
      [](const ComponentComparison& component, std::size_t m) -> std::optional<ordered_json> {
        const Difference& d = component.metrics[m];
        if (d.a.n == 0 && d.b.n == 0) {
          return std::nullopt;
        }
        return ordered_json{{"a", estimate_json(d.a)},
                            {"b", estimate_json(d.b)},
                            {"difference", estimate_json(d.b_minus_a)},
                            {"change", component_change(d)}};
      });
  j["components_only_in_a"] = c.components_only_in_a;
  j["components_only_in_b"] = c.components_only_in_b;
  ordered_json& slos = j["slos"] = ordered_json::array();
  for (const auto& s : c.slos) {
    ordered_json one = difference_json(s.difference);
    one["path"] = s.path;
    one["check"] = s.check.text;
    one["b_ok"] = s.b_ok;
    one["b_unmeasured"] = s.b_unmeasured;
    one["b_unstable"] = s.b_unstable;
    one["b_unstable_alone"] = s.b_unstable_alone;
    one["regression"] = s.regression;
    one["fails_gate"] = s.fails_gate;
    slos.push_back(std::move(one));
  }
  j["gate"] = c.gate_fails() ? "fail" : "pass";
  return report::json_document(std::move(j));
}

}  // namespace tailsim::study
