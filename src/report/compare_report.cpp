#include "tailsim/report/compare_report.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "tailsim/report/episode_text.hpp"
#include "tailsim/report/html_report.hpp"
#include "tailsim/report/svg_chart.hpp"

namespace tailsim::report {
namespace {

/// Colours of A and B on every chart: the palette's first two.
constexpr std::size_t a_colour = 0;
constexpr std::size_t b_colour = 1;

/// The CDF of a path's latency: the body every 1%, then the tail up to
/// p99.99, and the maximum.
ChartSeries cdf_series(const stats::PathResult& path, std::string name, std::size_t colour) {
  ChartSeries s;
  s.name = std::move(name);
  s.colour = colour;
  const stats::Histogram& h = path.latency;
  std::vector<double> percentiles;
  for (int k = 0; k < 100; ++k) {
    percentiles.push_back(k);
  }
  for (double p : {99.5, 99.9, 99.95, 99.99}) {
    percentiles.push_back(p);
  }
  for (double p : percentiles) {
    s.points.push_back({static_cast<double>(h.value_at_percentile(p)) * 1e-6, p / 100});
  }
  s.points.push_back({static_cast<double>(h.max()) * 1e-6, 1.0});
  return s;
}

/// A path's p99 per interval from the run's time series; empty without one.
ChartSeries p99_series(const stats::Results& r, const std::string& path, std::string name,
                       std::size_t colour) {
  ChartSeries s;
  s.name = std::move(name);
  s.colour = colour;
  for (const auto& series : r.timeseries.series) {
    if (series.entity == "path/" + path && series.metric == "p99_ms") {
      for (std::size_t i = 0; i < series.values.size(); ++i) {
        s.points.push_back(
            {(static_cast<double>(i) + 0.5) * r.timeseries.interval_s, series.values[i]});
      }
    }
  }
  return s;
}

/// The episodes of a run that the compare page shades on a path's chart:
/// at most this many, the largest.
constexpr std::size_t compare_episodes = 20;

/// Shades `run`'s episodes of `path` on `chart`, lighter, in the run's
/// colour, its name in each band's hover title.
void add_run_episodes(Chart& chart, const stats::Results& run, const std::string& path,
                      const std::string& run_label, std::string_view letter, std::size_t colour) {
  std::vector<stats::Episode> of_path;
  for (const stats::Episode& e : run.episodes) {
    if (e.path == path) {
      of_path.push_back(e);
    }
  }
  for (const stats::Episode* e : episodes_to_show(of_path, compare_episodes)) {
    ChartEpisode band;
    band.from = e->start_s;
    band.to = e->end_s;
    band.label = fmt::format("{}: {}", letter, episode_title(*e));
    band.short_label = std::string(letter);
    band.title = fmt::format("{}: {}", run_label, episode_line(*e));
    band.path = e->path;
    band.colour = colour;
    band.opacity = 0.1;
    chart.episodes.push_back(std::move(band));
  }
}

std::string figure(Chart chart, std::size_t& charts) {
  if (!has_data(chart)) {
    return "<p class=\"note\">Nothing to draw: no successful request.</p>\n";
  }
  chart.id = fmt::format("chart-{}", ++charts);
  return fmt::format("<figure><figcaption>{}</figcaption>{}</figure>\n", escape_html(chart.title),
                     render_svg(chart));
}

std::string slo_table(const stats::Results& b_checks, const SloStudy& study) {
  if (b_checks.slos.empty()) {
    return "<p>B has no SLO checks on paths A also has: nothing was gated.</p>\n";
  }
  std::string out =
      "<table>\n<tr><th></th><th>path</th><th>check</th><th>B</th><th>A, B - A and "
      "verdict</th></tr>\n";
  for (std::size_t i = 0; i < b_checks.slos.size(); ++i) {
    const stats::SloResult& s = b_checks.slos[i];
    const SloStudyCheck check = i < study.checks.size() ? study.checks[i] : SloStudyCheck{};
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                       s.ok ? "✓" : "✗", escape_html(s.path), escape_html(s.check.text),
                       escape_html(format_slo_estimate(s, check)),
                       escape_html(format_slo_baseline(s, check)));
  }
  return out + "</table>\n";
}

/// The components' table: each metric of A and B over the replications,
/// and B - A with its interval.
std::string component_table(const std::vector<std::vector<std::string>>& rows) {
  if (rows.size() < 2) {
    return {};
  }
  HtmlTableStyle style;  // A, B and B - A
  style.first_numeric = 2;
  style.last_numeric = 4;
  return "<h2>Services, queues and caches</h2>\n" + html_table(rows, style) +
         "<p class=\"note\">Mean ± the half-width of the 95% interval over the paired "
         "replications; B - A is the paired difference.</p>\n";
}

}  // namespace

std::string format_compare_report(const stats::Results& a, const stats::Results& b,
                                  const stats::Results& b_checks, const SloStudy& study,
                                  const CompareReportInputs& inputs) {
  const std::string a_label = "A: " + a.model;
  const std::string b_label = "B: " + b.model;
  std::string out = html_page_start(fmt::format("tailsim compare: {} vs {}", a.model, b.model));
  out += fmt::format(
      "<h1>Compare A <code>{}</code> ({}) with B <code>{}</code> ({})</h1>\n"
      "<p>Gate: <strong>{}</strong>. B's SLO checks on the mean of {} paired replications "
      "(common random numbers), ± the half-width of the 95% interval.</p>\n",
      escape_html(a.model), escape_html(inputs.a_file), escape_html(b.model),
      escape_html(inputs.b_file), escape_html(inputs.gate), inputs.replications);
  out += "<h2>SLO checks of B</h2>\n" + slo_table(b_checks, study);
  out += component_table(inputs.components);
  out += fmt::format(
      "<h2>Request paths</h2>\n<p class=\"note\">Each chart overlays replication 0 of A and of "
      "B, both run with seed {} (not pooled over the replications): the same random traffic, so "
      "the curves differ by the change. Latency of successful requests in the measured window; "
      "the p99 per interval of {} s covers the warm-up too.{}</p>\n",
      b.seed, a.timeseries.interval_s,
      a.episodes.empty() && b.episodes.empty()
          ? ""
          : " The shaded spans are each run's episodes (in its colour): stretches in which the "
            "path's p99 or error share departed from its own baseline.");
  std::size_t charts = 0;
  for (const auto& pb : b.paths) {
    const auto pa = std::find_if(a.paths.begin(), a.paths.end(),
                                 [&](const stats::PathResult& p) { return p.name == pb.name; });
    out += fmt::format("<h3>{}</h3>\n", escape_html(pb.name));
    if (pa == a.paths.end()) {
      out += "<p>Only in B.</p>\n";
      continue;
    }
    Chart cdf;
    cdf.title = fmt::format("{}: latency CDF, A and B", pb.name);
    cdf.x.label = "latency (ms)";
    cdf.y.label = "requests at or below";
    cdf.y.as_percent = true;
    cdf.y.has_min = true;
    cdf.y.has_max = true;
    cdf.y.max = 1;
    for (const auto& [path, label, colour] :
         {std::tuple{&*pa, a_label, a_colour}, std::tuple{&pb, b_label, b_colour}}) {
      if (path->latency.count() > 0) {
        cdf.series.push_back(cdf_series(*path, label, colour));
      }
    }
    out += figure(std::move(cdf), charts);
    Chart p99;
    p99.title = fmt::format("{}: p99 per interval, A and B", pb.name);
    p99.x.label = "simulated time (s)";
    p99.y.label = "p99 (ms)";
    p99.series.push_back(p99_series(a, pb.name, a_label, a_colour));
    p99.series.push_back(p99_series(b, pb.name, b_label, b_colour));
    add_run_episodes(p99, a, pb.name, a_label, "A", a_colour);
    add_run_episodes(p99, b, pb.name, b_label, "B", b_colour);
    out += figure(std::move(p99), charts);
  }
  out += html_page_end();
  return out;
}

}  // namespace tailsim::report
