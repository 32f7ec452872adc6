// How a calibration is shown: the console table, JSON, and the HTML page
// with observed and simulated CDFs overlaid.

#include <cmath>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tailsim/report/html_report.hpp"
#include "tailsim/report/json_numbers.hpp"
#include "tailsim/report/svg_chart.hpp"
#include "tailsim/study/calibration.hpp"

namespace tailsim::study {
namespace {

using ordered_json = nlohmann::ordered_json;

/// A figure's value: milliseconds, or a share in percent.
std::string value_text(const FigureCheck& f, double value) {
  if (std::isnan(value)) {
    return "-";
  }
  return f.figure == Figure::errors ? fmt::format("{:.2f}%", value * 100)
                                    : fmt::format("{:.3f}ms", value);
}

std::string difference_text(const FigureCheck& f) {
  if (std::isnan(f.difference) || std::isnan(f.simulated) || std::isnan(f.observed)) {
    return "-";
  }
  return f.figure == Figure::errors ? fmt::format("{:+.2f}pt", f.difference * 100)
                                    : fmt::format("{:+.1f}%", f.difference * 100);
}

std::string interval_text(const FigureCheck& f, double low, double high) {
  if (std::isnan(low)) {
    return "-";
  }
  return fmt::format("{}..{}", value_text(f, low),
                     std::isnan(high) ? std::string("∞") : value_text(f, high));
}

/// NaN as JSON null.
ordered_json json_number(double value) {
  return std::isfinite(value) ? ordered_json(value) : ordered_json(nullptr);
}

ordered_json item_json(const CalibrationItem& item) {
  ordered_json out;
  out["name"] = item.name;
  if (!item.workload.empty()) {
    out["workload"] = item.workload;
  }
  out["in_traces"] = item.in_traces;
  out["in_model"] = item.in_model;
  out["observed_count"] = item.observed_count;
  out["simulated_count"] = item.simulated_count;
  if (!item.problem.empty()) {
    out["problem"] = item.problem;
  }
  out["passes"] = item.passes();
  ordered_json& figures = out["figures"] = ordered_json::object();
  for (const FigureCheck& f : item.figures) {
    ordered_json figure;
    figure["observed"] = json_number(f.observed);
    figure["simulated"] = json_number(f.simulated);
    figure["observed_interval"] = {json_number(f.observed_low), json_number(f.observed_high)};
    figure["simulated_interval"] = {json_number(f.simulated_low), json_number(f.simulated_high)};
    figure["difference"] = json_number(f.difference);
    figure["tolerance"] = f.tolerance;
    figure["verdict"] = f.verdict == FigureVerdict::ok         ? "ok"
                        : f.verdict == FigureVerdict::in_noise ? "in_noise"
                        : f.verdict == FigureVerdict::off      ? "off"
                                                               : "no_data";
    figures[figure_name(f.figure)] = std::move(figure);
  }
  return out;
}

void append_items(std::string& out, const char* heading, const std::vector<CalibrationItem>& items,
                  bool color) {
  const char* red = color ? "\033[31m" : "";
  const char* green = color ? "\033[32m" : "";
  const char* reset = color ? "\033[0m" : "";
  for (const CalibrationItem& item : items) {
    if (!item.problem.empty()) {
      out += fmt::format("{} {}: {}{}{}\n", heading, item.name, item.passes() ? "" : red,
                         item.problem, item.passes() ? "" : reset);
      continue;
    }
    out += fmt::format("{} {}{}: {} traced, {} simulated\n", heading, item.name,
                       item.workload.empty() ? "" : fmt::format(" (workload {})", item.workload),
                       item.observed_count, item.simulated_count);
    out += fmt::format("  {:<7} {:>12} {:>12} {:>9}  {:<24} {:<24} {}\n", "", "observed",
                       "simulated", "diff", "observed interval", "simulated interval", "verdict");
    for (const FigureCheck& f : item.figures) {
      const bool bad = f.verdict == FigureVerdict::off;
      const bool good = f.verdict == FigureVerdict::ok || f.verdict == FigureVerdict::in_noise;
      out +=
          fmt::format("  {:<7} {:>12} {:>12} {:>9}  {:<24} {:<24} {}{}{}\n", figure_name(f.figure),
                      value_text(f, f.observed), value_text(f, f.simulated), difference_text(f),
                      interval_text(f, f.observed_low, f.observed_high),
                      interval_text(f, f.simulated_low, f.simulated_high),
                      bad    ? red
                      : good ? green
                             : "",
                      figure_verdict_name(f.verdict), bad || good ? reset : "");
    }
  }
}

/// The observed and simulated CDFs of an item, latency on a log axis.
std::string cdf_chart(const CalibrationItem& item, std::size_t index) {
  report::Chart chart;
  chart.id = fmt::format("cdf-{}", index);
  chart.title = fmt::format("{}: latency CDF, observed and simulated", item.name);
  chart.height = 260;
  chart.x.label = "latency (ms)";
  chart.x.scale = report::ScaleKind::log;
  chart.y.label = "share at or below";
  chart.y.as_percent = true;
  chart.y.has_min = chart.y.has_max = true;
  chart.y.min = 0;
  chart.y.max = 1;
  report::ChartSeries observed{"observed (traces)", {}, 0, report::SeriesKind::step, false};
  const auto n = static_cast<double>(item.observed_sorted.size());
  for (std::size_t i = 0; i < item.observed_sorted.size(); ++i) {
    observed.points.push_back({to_millis(item.observed_sorted[i]), static_cast<double>(i + 1) / n});
  }
  report::ChartSeries simulated{"simulated (model)", {}, 1, report::SeriesKind::line, true};
  for (const auto& row : item.simulated.percentile_distribution()) {
    simulated.points.push_back({static_cast<double>(row.value) * 1e-6, row.percentile / 100});
  }
  chart.series = {std::move(observed), std::move(simulated)};
  return report::has_data(chart) ? report::render_svg(chart) : std::string();
}

std::string figures_table(const CalibrationItem& item) {
  std::string out =
      "<table><thead><tr><th>figure</th><th>observed</th><th>simulated</th><th>diff</th>"
      "<th>observed interval</th><th>simulated interval</th><th>verdict</th></tr></thead>"
      "<tbody>\n";
  for (const FigureCheck& f : item.figures) {
    out += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td "
        "class=\"{}\">{}</td></tr>\n",
        figure_name(f.figure), value_text(f, f.observed), value_text(f, f.simulated),
        difference_text(f), report::escape_html(interval_text(f, f.observed_low, f.observed_high)),
        report::escape_html(interval_text(f, f.simulated_low, f.simulated_high)),
        f.verdict == FigureVerdict::off ? "fail" : "ok", figure_verdict_name(f.verdict));
  }
  out += "</tbody></table>\n";
  return out;
}

}  // namespace

std::string calibration_to_console(const Calibration& calibration, bool color) {
  std::string out;
  append_items(out, "path", calibration.paths, color);
  append_items(out, "edge", calibration.edges, color);
  const std::size_t failures = calibration.failures();
  out += fmt::format(
      "\n{}: {} figures compared against {} traces (tolerance {:.0f}% for latency, {:.0f}% for "
      "p99, {:.0f} point for errors, or a gap within the noise of both values: the root sum "
      "of squares of their intervals, {:.2f} standard errors wide, or the traces' {:.2f} of ten "
      "batches in time order when wider, so that all {} hold together at 95%): {}\n",
      failures == 0 ? "calibrated" : "NOT calibrated", calibration.figures_compared(),
      calibration.traces, calibration.tolerance.latency * 100, calibration.tolerance.p99 * 100,
      calibration.tolerance.errors * 100, calibration.interval_z, calibration.interval_t,
      calibration.figures_compared(),
      failures == 0 ? "every one passes" : fmt::format("{} off", failures));
  return out;
}

std::string calibration_to_json(const Calibration& calibration, const std::string& model_name) {
  ordered_json out;
  out["model"] = model_name;
  out["traces"] = calibration.traces;
  out["tolerance"] = {{"latency", calibration.tolerance.latency},
                      {"p99", calibration.tolerance.p99},
                      {"errors", calibration.tolerance.errors}};
  out["passes"] = calibration.passes();
  out["figures_compared"] = calibration.figures_compared();
  out["failures"] = calibration.failures();
  ordered_json& paths = out["paths"] = ordered_json::array();
  for (const auto& item : calibration.paths) {
    paths.push_back(item_json(item));
  }
  ordered_json& edges = out["edges"] = ordered_json::array();
  for (const auto& item : calibration.edges) {
    edges.push_back(item_json(item));
  }
  out["notes"] = calibration.notes;
  return report::json_document(std::move(out));
}

std::string calibration_page(const Calibration& calibration, const std::string& model_name,
                             const std::string& command_line) {
  std::string out = report::html_page_start(fmt::format("tailsim calibrate: {}", model_name));
  out += fmt::format("<h1>Calibration of {}</h1>\n", report::escape_html(model_name));
  out += fmt::format(
      "<dl class=\"run\"><dt>command</dt><dd><code>{}</code></dd><dt>traces</dt><dd>{}</dd>"
      "<dt>verdict</dt><dd>{}: {} figures compared, {} off</dd><dt>tolerance</dt><dd>{:.0f}% "
      "for mean, p50 and p90, {:.0f}% for p99, {:.0f} point for error shares; a figure outside "
      "it passes when the gap is within the noise of both values, the root sum of squares of "
      "their intervals' half-widths ({:.2f} standard errors wide, or the traces' {:.2f} of ten "
      "batches in time order when wider, so that all figures hold together at 95%)</dd></dl>\n",
      report::escape_html(command_line), calibration.traces,
      calibration.passes() ? "calibrated" : "not calibrated", calibration.figures_compared(),
      calibration.failures(), calibration.tolerance.latency * 100, calibration.tolerance.p99 * 100,
      calibration.tolerance.errors * 100, calibration.interval_z, calibration.interval_t);
  std::size_t index = 0;
  for (const auto* items : {&calibration.paths, &calibration.edges}) {
    out += items == &calibration.paths ? "<h2>Paths</h2>\n" : "<h2>Edges</h2>\n";
    for (const CalibrationItem& item : *items) {
      out += fmt::format("<h3>{}</h3>\n", report::escape_html(item.name));
      if (!item.problem.empty()) {
        out += fmt::format("<p class=\"note\">{}</p>\n", report::escape_html(item.problem));
        continue;
      }
      out += fmt::format("<p class=\"note\">{} traced, {} simulated</p>\n", item.observed_count,
                         item.simulated_count);
      const std::string chart = cdf_chart(item, index++);
      if (!chart.empty()) {
        out += fmt::format("<figure><figcaption>Latency CDF</figcaption>{}</figure>\n", chart);
      }
      out += figures_table(item);
    }
  }
  if (!calibration.notes.empty()) {
    out += "<h2>Notes</h2>\n<ul>\n";
    for (const auto& note : calibration.notes) {
      out += fmt::format("<li>{}</li>\n", report::escape_html(note));
    }
    out += "</ul>\n";
  }
  out += report::html_page_end();
  return out;
}

}  // namespace tailsim::study
