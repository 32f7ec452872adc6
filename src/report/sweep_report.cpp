#include "tailsim/report/sweep_report.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "tailsim/report/html_report.hpp"
#include "tailsim/report/svg_chart.hpp"

namespace tailsim::report {
namespace {

/// The means as a line.
std::vector<ChartPoint> means(const std::vector<double>& x, const std::vector<MeanInterval>& ys) {
  std::vector<ChartPoint> points;
  for (std::size_t i = 0; i < x.size(); ++i) {
    points.push_back({x[i], ys[i].mean});
  }
  return points;
}

/// The intervals as a band: along the upper ends, back along the lower;
/// over categories, a whisker per category (ChartSeries::whiskers: its
/// lower and upper end). Latencies and shares are never negative and a
/// share never passes 100% (`is_share`), so the intervals stop there.
std::vector<ChartPoint> band(const std::vector<double>& x, const std::vector<MeanInterval>& ys,
                             bool is_share = false, bool as_whiskers = false) {
  std::vector<ChartPoint> upper;
  std::vector<ChartPoint> lower;
  std::vector<ChartPoint> whiskers;
  const double top = is_share ? 1.0 : std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(ys[i].half_width)) {
      continue;
    }
    const ChartPoint high{x[i], std::min(top, ys[i].mean + ys[i].half_width)};
    const ChartPoint low{x[i], std::max(0.0, ys[i].mean - ys[i].half_width)};
    upper.push_back(high);
    lower.push_back(low);
    whiskers.insert(whiskers.end(), {low, high});
  }
  if (as_whiskers) {
    return whiskers;
  }
  upper.insert(upper.end(), lower.rbegin(), lower.rend());
  return upper;
}

/// A mean's kind and its interval's: over categories (`spread`, `pack`)
/// there is nothing between two values, so points and whiskers, not a line
/// and a band.
std::pair<SeriesKind, SeriesKind> kinds_of(const SweepReportInputs& inputs) {
  return inputs.x_categories.empty() ? std::pair{SeriesKind::line, SeriesKind::band}
                                     : std::pair{SeriesKind::points, SeriesKind::whiskers};
}

ChartAxis x_axis(const SweepReportInputs& inputs) {
  ChartAxis axis;
  axis.label = inputs.x_label;
  axis.include_zero = false;
  axis.categories = inputs.x_categories;
  return axis;
}

std::string with_label(const std::string& name, const SweepLine& line) {
  return line.label.empty() ? name : fmt::format("{} ({})", name, line.label);
}

std::string latency_chart(const SweepReportInputs& inputs, const SweepPathCharts& path,
                          std::size_t index) {
  Chart chart;
  chart.id = fmt::format("latency-{}", index);
  chart.title = fmt::format("{}: p50 and p99 against {}", path.path, inputs.x_label);
  chart.x = x_axis(inputs);
  chart.y.label = "latency (ms)";
  std::size_t colour = 0;
  const auto [mean_kind, interval_kind] = kinds_of(inputs);
  const bool categorical = mean_kind == SeriesKind::points;
  for (const auto& line : path.lines) {
    for (const auto& [name, values, dashed] :
         {std::tuple{"p99", &line.p99_ms, false}, std::tuple{"p50", &line.p50_ms, true}}) {
      chart.series.push_back(
          {with_label(name, line), means(line.x, *values), colour, mean_kind, dashed});
      chart.series.push_back({with_label(std::string(name) + " 95% CI", line),
                              band(line.x, *values, false, categorical), colour, interval_kind,
                              false});
    }
    if (line.p99_knee_x) {
      chart.markers.push_back({*line.p99_knee_x, with_label("p99 knee", line)});
    }
    ++colour;
  }
  return render_svg(chart);
}

std::string errors_chart(const SweepReportInputs& inputs, const SweepPathCharts& path,
                         std::size_t index) {
  Chart chart;
  chart.id = fmt::format("errors-{}", index);
  chart.title = fmt::format("{}: error share against {}", path.path, inputs.x_label);
  chart.height = 220;
  chart.x = x_axis(inputs);
  chart.y.label = "errors";
  chart.y.as_percent = true;
  std::size_t colour = 0;
  const auto [mean_kind, interval_kind] = kinds_of(inputs);
  const bool categorical = mean_kind == SeriesKind::points;
  for (const auto& line : path.lines) {
    chart.series.push_back(
        {with_label("errors", line), means(line.x, line.errors_share), colour, mean_kind, false});
    chart.series.push_back({with_label("errors 95% CI", line),
                            band(line.x, line.errors_share, /*is_share=*/true, categorical), colour,
                            interval_kind, false});
    if (line.errors_knee_x) {
      chart.markers.push_back({*line.errors_knee_x, with_label("errors knee", line)});
    }
    ++colour;
  }
  return render_svg(chart);
}

std::string component_chart(const SweepReportInputs& inputs, const SweepComponentChart& spec,
                            std::size_t index) {
  Chart chart;
  chart.id = fmt::format("component-{}", index);
  chart.title = fmt::format("{} against {}", spec.title, inputs.x_label);
  chart.x = x_axis(inputs);
  chart.y.label = spec.y_label;
  chart.y.as_percent = spec.as_percent;
  std::size_t colour = 0;
  const auto [mean_kind, interval_kind] = kinds_of(inputs);
  const bool categorical = mean_kind == SeriesKind::points;
  for (const auto& line : spec.lines) {
    chart.series.push_back({line.name, means(line.x, line.values), colour, mean_kind, false});
    chart.series.push_back({line.name + " 95% CI",
                            band(line.x, line.values, spec.as_percent, categorical), colour,
                            interval_kind, false});
    ++colour;
  }
  return render_svg(chart);
}

}  // namespace

std::string format_sweep_report(const SweepReportInputs& inputs) {
  std::string out = html_page_start(fmt::format("tailsim sweep: {}", inputs.model_name));
  out += fmt::format("<h1>Sweep of {}</h1>\n", escape_html(inputs.model_name));
  out += fmt::format(
      "<dl class=\"run\"><dt>command</dt><dd><code>{}</code></dd><dt>points</dt><dd>{}</dd>"
      "<dt>replications</dt><dd>{} per point, the same seeds at every point</dd>"
      "<dt>intervals</dt><dd>mean ± 95% confidence half-width (Student's t)</dd></dl>\n",
      escape_html(inputs.command_line), inputs.points, inputs.replications);
  out += "<h2>Knees</h2>\n";
  if (inputs.knees.empty()) {
    out += "<p class=\"note\">No curve bends enough to name a knee.</p>\n";
  } else {
    out += "<ul>\n";
    for (const auto& k : inputs.knees) {
      out += fmt::format("<li>{}</li>\n", escape_html(k));
    }
    out += "</ul>\n";
  }
  out +=
      "<p class=\"note\">A knee is the point farthest below the chord from the first point "
      "to the last, both axes scaled to [0, 1] (Kneedle, Satopää et al. 2011).</p>\n";
  for (std::size_t i = 0; i < inputs.paths.size(); ++i) {
    const auto& path = inputs.paths[i];
    out += fmt::format("<h2>{}</h2>\n", escape_html(path.path));
    out += fmt::format("<figure><figcaption>Latency</figcaption>{}</figure>\n",
                       latency_chart(inputs, path, i));
    out += fmt::format("<figure><figcaption>Errors</figcaption>{}</figure>\n",
                       errors_chart(inputs, path, i));
  }
  if (!inputs.components.empty()) {
    out += "<h2>Services and queues</h2>\n";
    for (std::size_t i = 0; i < inputs.components.size(); ++i) {
      out += fmt::format("<figure><figcaption>{}</figcaption>{}</figure>\n",
                         escape_html(inputs.components[i].title),
                         component_chart(inputs, inputs.components[i], i));
    }
  }
  out += "<h2>Every point</h2>\n";
  if (std::any_of(inputs.failing_rows.begin(), inputs.failing_rows.end(),
                  [](bool f) { return f; })) {
    out +=
        "<p class=\"note\">Shaded rows are points that fail an SLO check on the mean of their "
        "replications (the SLOs column says which).</p>\n";
  }
  HtmlTableStyle style;  // text cells, failing points shaded
  style.failing_rows = inputs.failing_rows;
  out += html_table(inputs.table, style);
  out += html_page_end();
  return out;
}

}  // namespace tailsim::report
