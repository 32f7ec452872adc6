// The console and JSON forms of a replicated run.

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "estimate_json.hpp"
#include "tailsim/report/console_report.hpp"
#include "tailsim/report/html_report.hpp"
#include "tailsim/report/json_numbers.hpp"
#include "tailsim/report/json_report.hpp"
#include "tailsim/report/svg_chart.hpp"
#include "tailsim/study/replications.hpp"
#include "tailsim/study/study_text.hpp"

namespace tailsim::study {
namespace {

/// The label of a path's row of latencies over all requests.
constexpr std::string_view all_requests = "    all requests";

using ordered_json = nlohmann::ordered_json;

/// The estimate of `metric` of a component, as the console writes it.
std::string cell(const ComponentEstimates& c, std::string_view metric) {
  const auto unit = component_metrics(c.kind)[component_metric_index(c.kind, metric)].unit;
  return format_component_estimate(unit, c[metric]);
}

/// The services, caches and queues of a replicated run, each number as mean
/// ± half-width: a table each (a header row, then a row per component), and
/// under the services a line for each that retried, hedged or was throttled.
struct ComponentTables {
  std::vector<std::vector<std::string>> services;
  std::vector<std::vector<std::string>> caches;
  std::vector<std::vector<std::string>> queues;
  std::vector<std::string> extras;  ///< "name: goodput_rps=... retries=..."
};

ComponentTables component_tables(std::span<const ComponentEstimates> components) {
  ComponentTables t;
  const bool scaled = std::any_of(components.begin(), components.end(), [](const auto& c) {
    return c.kind == ComponentKind::service && !c.is_external &&
           c["replicas.max"].mean != c["replicas.min"].mean;
  });
  t.services.push_back({"SERVICES", "requests", "util", "queue", "rejected", "replicas"});
  if (scaled) {
    t.services.back().emplace_back("replicas max");
  }
  t.caches.push_back({"CACHES", "lookups", "hit ratio"});
  t.queues.push_back({"QUEUES", "published", "consumed", "dead letters", "depth max", "lag max"});
  for (const auto& c : components) {
    if (c.kind == ComponentKind::queue) {
      t.queues.push_back({c.name, cell(c, "published"), cell(c, "consumed"),
                          cell(c, "dead_letters"), cell(c, "depth_max"), cell(c, "lag_max_s")});
      continue;
    }
    if (c.kind == ComponentKind::cache) {
      t.caches.push_back({c.name, cell(c, "lookups"), cell(c, "hit_ratio")});
      continue;
    }
    if (c.is_external) {
      t.services.push_back(
          {c.name, cell(c, "requests"), "-", "-", cell(c, "rejected"), "external"});
      continue;
    }
    t.services.push_back({c.name, cell(c, "requests"), cell(c, "utilization"),
                          cell(c, "queue_mean"), cell(c, "rejected"), cell(c, "replicas.mean")});
    if (scaled) {
      t.services.back().push_back(cell(c, "replicas.max"));
    }
    // What a plain run writes under a service when it happened, by
    // results.json's names: retries and the work they wasted, hedges, quota,
    // GC pauses, node contention, OOM kills and evictions, batches.
    constexpr std::array<std::string_view, 12> triggers = {
        "retries",      "orphaned",     "deadline_drops",  "hedges",
        "throttled_s",  "wasted_cpu_s", "retries_refused", "gc_pause_s",
        "contention_s", "oom_kills",    "evictions",       "batch_size_mean"};
    if (std::any_of(triggers.begin(), triggers.end(),
                    [&](std::string_view m) { return c[m].mean > 0; })) {
      std::string fields = "goodput_rps=" + cell(c, "goodput_rps");
      for (const std::string_view metric : triggers) {
        if (c[metric].mean > 0) {
          fields += fmt::format(" {}={}", metric, cell(c, metric));
        }
      }
      t.extras.push_back(fmt::format("{}: {}", c.name, fields));
    }
  }
  return t;
}

/// The services, queues and caches as a plain run's console shows them,
/// each number as mean ± half-width.
std::string components_section(std::span<const ComponentEstimates> components) {
  ComponentTables t = component_tables(components);
  auto indented = [](std::vector<std::vector<std::string>> rows) {
    for (std::size_t r = 1; r < rows.size(); ++r) {
      rows[r][0] = "  " + rows[r][0];
    }
    return rows;
  };
  std::string out = "\n" + format_table(indented(t.services), 2);
  for (const auto& line : t.extras) {
    out += "    " + line + "\n";
  }
  for (const auto* table : {&t.caches, &t.queues}) {  // in a plain run's order
    if (table->size() > 1) {
      out += "\n" + format_table(indented(*table), 2);
    }
  }
  return out;
}

/// A table of the Replications section: the first column names, the others
/// estimates.
std::string html_table(const std::vector<std::vector<std::string>>& rows) {
  report::HtmlTableStyle style;
  style.last_numeric = rows.front().size();
  return report::html_table(rows, style);
}

}  // namespace

std::string replications_to_console(const ReplicatedRun& run, const ReplicationOptions& options,
                                    bool color) {
  std::string out;
  const std::size_t n = run.runs.size();
  for (const auto& line : describe_coverage(run.coverage)) {
    out +=
        fmt::format("  {}  {}\n", color ? "\x1b[1;31mSTOPPED EARLY\x1b[0m" : "STOPPED EARLY", line);
  }
  if (!run.coverage.stopped.empty()) {
    out +=
        "  the estimates include what the stopped replications simulated; every SLO check "
        "fails\n";
  }
  if (!run.coverage.is_complete()) {
    out += "\n";
  }
  if (options.precision && run.interrupted && !run.precision_met) {
    out += fmt::format(
        "  precision: not reached before the interruption, after {} replications\n\n", n);
  } else if (options.precision) {
    out += run.precision_met
               ? fmt::format(
                     "  precision: every p99 half-width within {:g}% of its mean after {} "
                     "replications\n\n",
                     *options.precision * 100, n)
               : fmt::format(
                     "  precision: a p99 half-width is still above {:g}% of its mean after "
                     "{} replications (--max-replications)\n\n",
                     *options.precision * 100, n);
  }
  if (!run.slos.empty()) {
    out += fmt::format("  SLOS  on the mean of {} replications\n", n);
    for (const auto& s : run.slos) {
      const std::string mark = s.ok ? "✓" : "✗";
      out +=
          fmt::format("    {} {} '{}' {}\n",
                      color ? fmt::format("\x1b[{}m{}\x1b[0m", s.ok ? 32 : 31, mark) : mark, s.path,
                      s.check.text, format_estimate(slo_value_unit(s.check.metric), s.value));
    }
    out += "\n";
  }
  std::size_t width = 12;
  for (const auto& p : run.paths) {
    width = std::max(width, std::min<std::size_t>(p.name.size() + 2, 24));
    if (p[Metric::errors].mean > 0) {
      width = std::max(width, all_requests.size() - 2);  // its row's label fits the column
    }
  }
  // A table that fits 80 columns: the estimates, and under each its half-width.
  out += fmt::format("  PATHS  mean ± 95% confidence half-width over {} replications\n", n);
  std::string header(width + 4, ' ');
  for (const Metric m : all_metrics) {
    if (is_latency(m)) {
      header += fmt::format("{:>10}", metric_name(m));
    }
  }
  out += header + "\n";
  for (const auto& p : run.paths) {
    std::string means = fmt::format("    {:<{}}", p.name.substr(0, width), width);
    std::string widths(width + 4, ' ');
    for (const Metric m : all_metrics) {
      if (is_latency(m)) {
        means += fmt::format("{:>10}", format_metric(m, p[m].mean));
        const double half_width = p[m].half_width;
        widths += fmt::format("{:>10}",
                              std::isnan(half_width) ? "" : "± " + format_metric(m, half_width));
      }
    }
    out += means + "\n";
    if (widths.find_first_not_of(' ') != std::string::npos) {  // no half-width: no line
      out += widths + "\n";
    }
    // Some requests failed: the latency over all of them, failures at the
    // time they failed, under the successes'.
    if (p[Metric::errors].mean > 0) {
      std::string all = fmt::format("  {:<{}}", all_requests, width + 2);
      for (std::size_t k = 0; k < latency_metric_count; ++k) {
        all += fmt::format("{:>10}", format_metric(all_metrics[k], p.all[k].mean));
      }
      out += all + "\n";
    }
    if (const std::size_t measured = p[Metric::p50].n; measured < n) {
      out += measured == 0 ? "      no replication had a successful request: no latency\n"
                           : fmt::format(
                                 "      latencies over the {} of {} replications with a "
                                 "successful request\n",
                                 measured, n);
    }
    if (p.unstable > 0) {
      out += fmt::format("      {} in {} of {} replications: its backlog grew without bound\n",
                         color ? "\x1b[1;31mUNSTABLE\x1b[0m" : "UNSTABLE", p.unstable, n);
    }
    out += fmt::format("      errors={} throughput={}\n",
                       format_estimate(Metric::errors, p[Metric::errors]),
                       format_estimate(Metric::throughput, p[Metric::throughput]));
  }
  out += components_section(run.components);
  // Where the time went is a ledger of one run's requests: replication 0's.
  std::string where = report::attribution_section(run.first);
  if (const std::size_t header_end = where.find('\n', 1); header_end != std::string::npos) {
    where.insert(header_end + 1,
                 fmt::format("    replication 0 (seed {}), the plain run\n", run.first.seed));
  }
  return out + where;
}

report::SloStudy slo_study(const ReplicatedRun& run) {
  report::SloStudy out;
  for (const auto& slo : run.slos) {
    report::SloStudyCheck check;
    check.half_width = slo.value.has_interval() ? slo.value.half_width : check.half_width;
    check.replications = run.runs.size();
    out.checks.push_back(check);
  }
  return out;
}

std::string replications_to_json(const ReplicatedRun& run, const ReplicationOptions& options) {
  ordered_json j = ordered_json::parse(report::to_json(run.first_with_mean_slos()));
  ordered_json& r = j["replications"];
  r["n"] = run.runs.size();
  r["interrupted"] = run.interrupted;
  add_coverage_json(r, run.coverage);
  ordered_json& seeds = r["seeds"] = ordered_json::array();
  for (const auto& one : run.runs) {
    seeds.push_back(one.seed);
  }
  if (options.precision) {
    r["precision"] = {{"target", *options.precision},
                      {"met", run.precision_met},
                      {"max_replications", options.max_replications}};
  }
  ordered_json& paths = r["paths"] = ordered_json::object();
  for (const auto& p : run.paths) {
    ordered_json& out = paths[p.name];
    ordered_json& latency = out["latency_ms"];
    for (const Metric m : all_metrics) {
      if (is_latency(m)) {
        latency[std::string(metric_name(m))] = estimate_json(p[m]);
      }
    }
    ordered_json& all = out["latency_all_ms"];
    for (std::size_t k = 0; k < latency_metric_count; ++k) {
      all[std::string(metric_name(all_metrics[k]))] = estimate_json(p.all[k]);
    }
    out["errors_share"] = estimate_json(p[Metric::errors]);
    out["throughput_rps"] = estimate_json(p[Metric::throughput]);
    add_unstable_json(out, p.unstable);
  }
  add_component_estimates_json(r, run.components);
  ordered_json& slos = r["slos"] = ordered_json::array();
  for (const auto& s : run.slos) {
    slos.push_back({{"path", s.path},
                    {"check", s.check.text},
                    {"mean", s.value.mean},
                    {"half_width", s.value.half_width},
                    {"ok", s.ok}});
  }
  return report::number_arrays_on_one_line(report::json_document(std::move(j)));
}

std::string replications_to_html(const ReplicatedRun& run) {
  const std::size_t n = run.runs.size();
  std::string out = fmt::format(
      "<p class=\"note\">Each figure is the mean over {} replications ± its 95% confidence "
      "half-width. The sections below are replication 0's, the plain run with seed {}.</p>\n",
      n, run.first.seed);
  for (const auto& line : describe_coverage(run.coverage)) {
    out += fmt::format("<p class=\"warn\">Stopped early: {}</p>\n", report::escape_html(line));
  }
  if (!run.slos.empty()) {
    std::vector<std::vector<std::string>> slos = {{"SLO check", "on the mean", "ok"}};
    for (const auto& s : run.slos) {
      slos.push_back({s.path + " '" + s.check.text + "'",
                      format_estimate(slo_value_unit(s.check.metric), s.value), s.ok ? "✓" : "✗"});
    }
    out += html_table(slos);
  }
  std::vector<std::vector<std::string>> paths = {{"PATHS"}};
  for (const Metric m : all_metrics) {
    paths.front().emplace_back(metric_name(m));
  }
  for (const auto& p : run.paths) {
    paths.push_back({p.name});
    for (const Metric m : all_metrics) {
      paths.back().push_back(format_estimate(m, p[m]));
    }
    if (p[Metric::errors].mean > 0) {  // the latency over all requests, failures included
      paths.push_back({p.name + ", all requests"});
      for (const Metric m : all_metrics) {
        const auto k = static_cast<std::size_t>(m);
        paths.back().push_back(k < latency_metric_count ? format_estimate(m, p.all[k]) : "");
      }
    }
  }
  out += html_table(paths);
  const ComponentTables t = component_tables(run.components);
  for (const auto* table : {&t.services, &t.caches, &t.queues}) {
    if (table->size() > 1) {
      out += html_table(*table);
    }
  }
  for (const auto& line : t.extras) {
    out += fmt::format("<p class=\"note\">{}</p>\n", report::escape_html(line));
  }
  return out;
}

}  // namespace tailsim::study
