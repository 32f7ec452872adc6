#include "tailsim/report/html_report.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "tailsim/report/console_report.hpp"
#include "tailsim/report/episode_text.hpp"
#include "tailsim/report/result_text.hpp"
#include "tailsim/report/svg_chart.hpp"

namespace tailsim::report {
namespace {

using stats::error_kinds;
using stats::Outcome;

// The percentile axis ends at 99.999%, five nines, as HdrHistogram's plots
// usually do; the spectrum is sampled every 1/100 of a nine.
constexpr double last_percentile = 99.999;
constexpr int nines = 5;
constexpr int samples_per_nine = 100;
// The autoscaler tables list this many changes, then say how many more.
constexpr std::size_t autoscaler_rows_shown = 40;
// "What happened" lists this many episodes, the largest, and the charts
// over time shade the same ones; results.json has them all.
constexpr std::size_t episodes_shown = 20;

constexpr std::string_view style_sheet = R"(:root{color-scheme:light}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif;margin:0 auto;max-width:1180px;padding:12px 24px 48px;color:#1f2328;background:#fff;line-height:1.45}
h1{font-size:1.7em;margin:.3em 0 .2em}
h2{font-size:1.3em;border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.8em}
h3{font-size:1.05em;margin:1.2em 0 .3em}
nav{font-size:14px;margin:.4em 0 1em}nav a{margin-right:1em;color:#0969da;text-decoration:none}
dl.run{display:grid;grid-template-columns:max-content auto;gap:2px 14px;font-size:14px;margin:.6em 0}
dl.run dt{color:#57606a}dl.run dd{margin:0}
code,pre{font-family:ui-monospace,"SFMono-Regular","DejaVu Sans Mono",Menlo,Consolas,monospace}
div.table{overflow-x:auto}
table{border-collapse:collapse;font-size:13px;margin:.4em 0 1em;font-variant-numeric:tabular-nums}
th,td{border:1px solid #d0d7de;padding:3px 8px;white-space:nowrap}
th{background:#f6f8fa;text-align:left;font-weight:600}td.n{text-align:right}
ul.slos{list-style:none;padding:0;font-size:15px}ul.slos li{margin:2px 0}
.ok{color:#1a7f37}.fail{color:#cf222e}.mark{font-weight:700;display:inline-block;width:1.2em}
.warn{background:#fff8c5;border:1px solid #d4a72c;padding:6px 10px}
.note{color:#57606a;font-size:14px}
figure{margin:.6em 0 1.4em}figcaption{font-weight:600;font-size:14px;margin-bottom:2px}
svg.chart{display:block;max-width:100%;height:auto;font-size:11px;font-family:inherit}
svg.chart .grid line{stroke:#e8e8e8;stroke-width:1}
svg.chart .axis{fill:none;stroke:#8c959f}
svg.chart .ticks text{fill:#57606a}
svg.chart .axis-label{fill:#1f2328;font-size:12px}
svg.chart .series{fill:none;stroke-width:1.75;stroke-linejoin:round;stroke-linecap:round}
svg.chart .band{fill:#000;fill-opacity:.06}
svg.chart .band-label{fill:#6e7781;font-style:italic}
svg.chart .marker line{stroke:#8250df;stroke-dasharray:4 3;stroke-width:1.2}
svg.chart .marker text{fill:#8250df;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
svg.chart .legend line{stroke-width:2.5}svg.chart .legend text{fill:#1f2328}
pre{background:#f6f8fa;border:1px solid #d0d7de;padding:10px 12px;overflow:auto;font-size:12.5px;line-height:1.35}
.topology{overflow:auto}.topology svg{max-width:100%;height:auto}
footer{margin-top:3em;color:#6e7781;font-size:12px}
)";

std::string ms_of_ns(std::int64_t ns) {
  return format_ms(static_cast<double>(ns) * 1e-6);
}

std::string seconds(double s) {
  return fmt::format("{:g}s", s);
}

std::string fixed(double v, int decimals) {
  return fmt::format("{:.{}f}", v, decimals);
}

std::string percent(double fraction) {
  return fmt::format("{:.1f}%", fraction * 100);
}

/// A series; named arguments read better than a designated initializer
/// that must list every member to please -Wextra.
ChartSeries make_series(std::string name, std::vector<ChartPoint> points, std::size_t colour,
                        SeriesKind kind = SeriesKind::line, bool dashed = false) {
  ChartSeries s;
  s.name = std::move(name);
  s.points = std::move(points);
  s.colour = colour;
  s.kind = kind;
  s.dashed = dashed;
  return s;
}

/// A linear axis from `min` to `max`, whatever the data.
ChartAxis fixed_axis(std::string label, double min, double max) {
  ChartAxis a;
  a.label = std::move(label);
  a.has_min = true;
  a.min = min;
  a.has_max = true;
  a.max = max;
  return a;
}

/// A table whose optional columns disappear when every cell is 0 or empty.
}  // namespace

std::string html_table(const std::vector<std::vector<std::string>>& rows,
                       const HtmlTableStyle& style) {
  if (rows.empty()) {
    return {};
  }
  std::string out = "<div class=\"table\"><table>\n<tr>";
  for (const auto& header : rows.front()) {
    out += fmt::format("<th>{}</th>", escape_html(header));
  }
  out += "</tr>\n";
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const bool fails = r - 1 < style.failing_rows.size() && style.failing_rows[r - 1];
    out += fails ? "<tr class=\"fail\" style=\"background:#ffebe9\">" : "<tr>";
    for (std::size_t c = 0; c < rows[r].size(); ++c) {
      const bool numeric = c >= style.first_numeric && c <= style.last_numeric;
      out += fmt::format("<td{}>{}</td>", numeric ? " class=\"n\"" : "", escape_html(rows[r][c]));
    }
    out += "</tr>\n";
  }
  return out + "</table></div>\n";
}

namespace {

class Table {
 public:
  struct Column {
    std::string header;
    bool is_numeric = true;
    bool is_optional = false;
  };

  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }

  [[nodiscard]] std::string render() const {
    std::vector<bool> shown(columns_.size(), true);
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      if (!columns_[c].is_optional) {
        continue;
      }
      shown[c] = std::any_of(rows_.begin(), rows_.end(),
                             [&](const auto& row) { return c < row.size() && !is_blank(row[c]); });
    }
    std::string out = "<div class=\"table\"><table><thead><tr>";
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      if (shown[c]) {
        out += fmt::format("<th>{}</th>", escape_html(columns_[c].header));
      }
    }
    out += "</tr></thead><tbody>";
    for (const auto& row : rows_) {
      out += "<tr>";
      for (std::size_t c = 0; c < columns_.size(); ++c) {
        if (shown[c]) {
          out += fmt::format("<td{}>{}</td>", columns_[c].is_numeric ? " class=\"n\"" : "",
                             escape_html(c < row.size() ? row[c] : std::string()));
        }
      }
      out += "</tr>";
    }
    return out + "</tbody></table></div>";
  }

 private:
  static bool is_blank(const std::string& cell) {
    return cell.empty() || cell == "-" || cell.find_first_not_of("0.%s ") == std::string::npos;
  }

  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

/// The time series, found by entity and metric.
class SeriesIndex {
 public:
  explicit SeriesIndex(const stats::TimeSeries& ts) {
    for (const auto& s : ts.series) {
      by_key_.emplace(std::pair{s.entity, s.metric}, &s);
      const auto slash = s.entity.find('/');
      if (slash == std::string::npos) {
        continue;
      }
      auto& names = names_[s.entity.substr(0, slash)];
      const std::string name = s.entity.substr(slash + 1);
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        names.push_back(name);
      }
    }
  }

  [[nodiscard]] const stats::Series* find(const std::string& kind, const std::string& name,
                                          const std::string& metric) const {
    const auto it = by_key_.find({kind + "/" + name, metric});
    return it == by_key_.end() ? nullptr : it->second;
  }

  /// The names of the entities of a kind ("path", "service", ...), in the
  /// order they first appear.
  [[nodiscard]] const std::vector<std::string>& names(const std::string& kind) const {
    static const std::vector<std::string> none;
    const auto it = names_.find(kind);
    return it == names_.end() ? none : it->second;
  }

 private:
  std::map<std::pair<std::string, std::string>, const stats::Series*> by_key_;
  std::map<std::string, std::vector<std::string>> names_;
};

bool has_nonzero(const stats::Series* s) {
  return s != nullptr && std::any_of(s->values.begin(), s->values.end(),
                                     [](double v) { return std::isfinite(v) && v != 0; });
}

bool has_finite(const stats::Series* s) {
  return s != nullptr &&
         std::any_of(s->values.begin(), s->values.end(), [](double v) { return std::isfinite(v); });
}

bool is_varying(const stats::Series* s) {
  if (s == nullptr) {
    return false;
  }
  double first = std::numeric_limits<double>::quiet_NaN();
  for (double v : s->values) {
    if (!std::isfinite(v)) {
      continue;
    }
    if (std::isnan(first)) {
      first = v;
    } else if (v != first) {
      return true;
    }
  }
  return false;
}

/// The position of `name` in a results list (so an entity keeps its colour
/// across charts), or past the end for a name the list lacks.
template <class T>
std::size_t colour_of(const std::vector<T>& items, const std::string& name,
                      const std::vector<std::string>& fallback_order) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].name == name) {
      return i;
    }
  }
  const auto it = std::find(fallback_order.begin(), fallback_order.end(), name);
  return items.size() + static_cast<std::size_t>(it - fallback_order.begin());
}

/// Writes the report, numbering charts so their SVG ids are unique.
class ReportWriter {
 public:
  ReportWriter(const stats::Results& results, const HtmlReportInputs& inputs)
      : r_(results),
        in_(inputs),
        index_(results.timeseries),
        episodes_(episodes_to_show(results.episodes, episodes_shown)) {}

  std::string write() {
    add_section("replications", "Replications", in_.replications_html);
    add_section("paths", "Request paths", paths_section());
    add_section("attribution", "Where the time went", attribution_section());
    add_section("episodes", "What happened", episodes_section());
    add_section("timeseries", "Over time", timeseries_section());
    add_section("autoscalers", "Autoscalers", autoscalers_section());
    add_section("services", "Services", services_section());
    add_section("calls", "Calls between services", edges_section());
    add_section("caches", "Caches", caches_section());
    add_section("queues", "Queues", queues_section());
    add_section("cluster", "Cluster", cluster_section());
    add_section("traces", "Traces", traces_section());
    add_section("topology", "Topology", topology_section());
    add_section("model", "Model", model_section());

    std::string out = html_page_start(fmt::format("tailsim report: {}", model_name()));
    out += header_section();
    out += "<nav>";
    for (const auto& [id, title, body] : sections_) {
      out += fmt::format("<a href=\"#{}\">{}</a>", id, escape_html(title));
    }
    out += "</nav>\n";
    for (const auto& [id, title, body] : sections_) {
      out += fmt::format("<section id=\"{}\">\n<h2>{}</h2>\n{}</section>\n", id, escape_html(title),
                         body);
    }
    out += html_page_end();
    return out;
  }

 private:
  struct Section {
    std::string id;
    std::string title;
    std::string body;
  };

  void add_section(std::string id, std::string title, std::string body) {
    if (!body.empty()) {
      sections_.push_back({std::move(id), std::move(title), std::move(body)});
    }
  }

  [[nodiscard]] std::string model_name() const {
    return r_.model.empty() ? std::string("(unnamed model)") : r_.model;
  }

  /// A chart in a <figure>, or nothing when it has no data.
  std::string figure(Chart chart) {
    if (!has_data(chart)) {
      return {};
    }
    chart.id = fmt::format("chart-{}", ++charts_);
    return fmt::format("<figure><figcaption>{}</figcaption>{}</figure>\n", escape_html(chart.title),
                       render_svg(chart));
  }

  // ---- 1. The run and its SLO checks ----

  std::string header_section() const {
    std::string out = fmt::format("<header>\n<h1>tailsim report: {}</h1>\n<dl class=\"run\">",
                                  escape_html(model_name()));
    const auto row = [&](std::string_view term, const std::string& text) {
      out += fmt::format("<dt>{}</dt><dd>{}</dd>", term, escape_html(text));
    };
    if (!in_.model_file.empty()) {
      row("model file", in_.model_file);
    }
    if (!in_.command_line.empty()) {
      out += fmt::format("<dt>command</dt><dd><code>{}</code></dd>", escape_html(in_.command_line));
    }
    row("seed", fmt::format("{}", r_.seed));
    row("duration",
        seconds(r_.duration_s) + " measured, after a warm-up of " + seconds(r_.warmup_s));
    row("simulated time", seconds(r_.simulated_s) + " (drain included)");
    row("events", fmt::format("{}", r_.events));
    out += "</dl>\n";
    if (r_.stopped_early) {
      out +=
          "<p class=\"warn\">A run limit stopped the run early: the figures cover less than "
          "the duration asked for.</p>\n";
    }
    if (!r_.slos.empty()) {
      const auto passed = static_cast<std::size_t>(
          std::count_if(r_.slos.begin(), r_.slos.end(), [](const auto& s) { return s.ok; }));
      out += fmt::format(
          "<h2 id=\"slos\">SLO checks: <span class=\"{}\">{} of {} passed</span></h2>"
          "\n<ul class=\"slos\">",
          passed == r_.slos.size() ? "ok" : "fail", passed, r_.slos.size());
      for (const auto& s : r_.slos) {
        out += fmt::format(
            "<li class=\"{}\"><span class=\"mark\">{}</span><b>{}</b> <code>'{}'</code> "
            "{}={}</li>",
            s.ok ? "ok" : "fail", s.ok ? "✓" : "✗", escape_html(s.path), escape_html(s.check.text),
            escape_html(s.check.term), escape_html(format_slo_value(s)));
      }
      out += "</ul>\n";
    }
    return out + "</header>\n";
  }

  // ---- 2. Request paths ----

  std::string paths_section() {
    if (r_.paths.empty()) {
      return {};
    }
    std::vector<Table::Column> columns = {{"path", false}, {"requests"}, {"ok"}, {"errors"}};
    for (const auto& [kind, name] : error_kinds) {
      columns.push_back({std::string(name), true, true});
    }
    for (const char* c : {"attempts/request", "retried"}) {
      columns.push_back({c, true, true});
    }
    for (const char* c : {"throughput", "mean", "p50", "p90", "p99", "p99.9", "max"}) {
      columns.push_back({c});
    }
    Table table(columns);
    for (const auto& p : r_.paths) {
      const auto& h = p.latency;
      const std::uint64_t ok = p.outcomes[Outcome::ok];
      const std::uint64_t failed = p.requests >= ok ? p.requests - ok : 0;
      std::vector<std::string> row = {p.name, fmt::format("{}", p.requests), fmt::format("{}", ok),
                                      p.requests ? fmt::format("{} ({:.2f}%)", failed,
                                                               100.0 * static_cast<double>(failed) /
                                                                   static_cast<double>(p.requests))
                                                 : fmt::format("{}", failed)};
      for (const auto& [kind, name] : error_kinds) {
        row.push_back(fmt::format("{}", p.outcomes[kind]));
      }
      const bool retries = p.requests > 0 && p.attempts > p.requests;
      row.push_back(
          retries ? fixed(static_cast<double>(p.attempts) / static_cast<double>(p.requests), 2)
                  : "-");
      row.push_back(retries
                        ? percent(static_cast<double>(p.retried) / static_cast<double>(p.requests))
                        : "-");
      row.push_back(fmt::format("{:.1f}/s", p.throughput_rps));
      const std::size_t counts = row.size();
      add_latency_cells(row, h);
      table.add_row(std::move(row));
      if (failed > 0 && p.latency_all.count() > 0) {
        // Beside the successes' latency, every finished request's, each
        // failure at the time it failed (the console's "all requests" row).
        std::vector<std::string> all = {p.name + ": all requests"};
        all.resize(counts, "-");
        add_latency_cells(all, p.latency_all);
        table.add_row(std::move(all));
      }
    }
    std::string out = table.render();
    out +=
        "<p class=\"note\">Latency of successful requests, arrival to response, in the "
        "measured window; a path with failures has a second row, \"all requests\", with every "
        "finished request, each failure at the time it failed. Errors count every request "
        "that did not end ok.</p>\n";
    out += figure(percentile_chart());
    out += figure(cdf_chart());
    return out;
  }

  /// The mean, p50, p90, p99, p99.9 and max of `h`, "-" when empty.
  static void add_latency_cells(std::vector<std::string>& row, const stats::Histogram& h) {
    if (h.count() == 0) {
      row.insert(row.end(), 6, "-");
      return;
    }
    row.push_back(format_ms(h.mean() * 1e-6));
    for (double q : {50.0, 90.0, 99.0, 99.9}) {
      row.push_back(ms_of_ns(h.value_at_percentile(q)));
    }
    row.push_back(ms_of_ns(h.max()));
  }

  Chart percentile_chart() const {
    Chart c;
    c.title = "Latency by percentile";
    c.x = fixed_axis("percentile (log scale: each tick one more nine)", 0, last_percentile);
    c.x.scale = ScaleKind::percentile;
    c.y.label = "latency (ms)";
    for (std::size_t i = 0; i < r_.paths.size(); ++i) {
      const auto& h = r_.paths[i].latency;
      if (h.count() == 0) {
        continue;
      }
      ChartSeries s = make_series(r_.paths[i].name, {}, i);
      for (int k = 0; k <= nines * samples_per_nine; ++k) {
        const double t = static_cast<double>(k) / samples_per_nine;
        const double p = std::min(last_percentile, 100 * (1 - std::pow(10.0, -t)));
        s.points.push_back({p, static_cast<double>(h.value_at_percentile(p)) * 1e-6});
      }
      c.series.push_back(std::move(s));
    }
    return c;
  }

  Chart cdf_chart() const {
    Chart c;
    c.title = "Latency CDF";
    c.y = fixed_axis("requests at or below", 0, 1);
    c.y.as_percent = true;
    double lowest = std::numeric_limits<double>::infinity();
    double highest = 0;
    // The body every 0.5%, then the tail as on the percentile chart.
    std::vector<double> percentiles;
    for (int k = 0; k < 200; ++k) {
      percentiles.push_back(k * 0.5);
    }
    for (int k = 30; k <= nines * samples_per_nine; ++k) {
      percentiles.push_back(100 * (1 - std::pow(10.0, -static_cast<double>(k) / samples_per_nine)));
    }
    std::sort(percentiles.begin(), percentiles.end());
    for (std::size_t i = 0; i < r_.paths.size(); ++i) {
      const auto& h = r_.paths[i].latency;
      if (h.count() == 0) {
        continue;
      }
      ChartSeries s = make_series(r_.paths[i].name, {}, i);
      for (double p : percentiles) {
        s.points.push_back({static_cast<double>(h.value_at_percentile(p)) * 1e-6, p / 100});
      }
      s.points.push_back({static_cast<double>(h.max()) * 1e-6, 1.0});
      lowest = std::min(lowest, static_cast<double>(h.min()) * 1e-6);
      highest = std::max(highest, static_cast<double>(h.max()) * 1e-6);
      c.series.push_back(std::move(s));
    }
    // Latencies spread over decades read better on a log axis.
    const bool is_log = lowest > 0 && highest > 20 * lowest;
    c.x.label = is_log ? "latency (ms, log scale)" : "latency (ms)";
    c.x.scale = is_log ? ScaleKind::log : ScaleKind::linear;
    return c;
  }

  // ---- Attribution ----

  /// Where the time of each path went along its critical path: two stacked
  /// bars per path (the mean request, the slowest 1%), a segment per part,
  /// and the numbers in a table.
  std::string attribution_section() const {
    constexpr std::size_t rows = 8;
    std::string out;
    for (const auto& p : r_.paths) {
      const stats::Attribution& a = p.attribution;
      if (!a.is_computed || a.mean.requests == 0) {
        continue;
      }
      const auto rows_shown = attribution_table(a, rows, 0.001);
      out += fmt::format("<h3>{}</h3>\n", escape_html(p.name));
      out += attribution_bars(a, rows_shown);
      Table table({{"part", false}, {"mean"}, {"share"}, {"slowest 1%"}, {"share "}});
      auto add = [&](std::string label, double mean_ms, double slow_ms) {
        table.add_row({std::move(label), format_ms(mean_ms), share_of(mean_ms, a.mean.latency_ms),
                       a.slowest.requests ? format_ms(slow_ms) : "-",
                       a.slowest.requests ? share_of(slow_ms, a.slowest.latency_ms) : "-"});
      };
      for (const auto& row : rows_shown) {
        add(row.label, row.mean_ms, row.slowest_ms);
      }
      add("total", a.mean.latency_ms, a.slowest.latency_ms);
      out += table.render();
      out += fmt::format(
          "<p class=\"note\">{} successful requests; the slowest 1% are the {} at or above "
          "p99 = {}.</p>\n",
          a.mean.requests, a.slowest.requests, format_ms(a.slowest.from_ms));
    }
    if (out.empty()) {
      return out;
    }
    return "<p class=\"note\">The critical path is what the client waited for: a call counts "
           "its callee's parts, a parallel step only its slowest child. The parts of a bar add "
           "up to its mean latency.</p>\n" +
           out;
  }

  static std::string share_of(double part, double total) {
    return total > 0 ? fmt::format("{:.1f}%", 100 * part / total) : "-";
  }

  /// Two horizontal bars, each the whole of its group's mean latency.
  static std::string attribution_bars(const stats::Attribution& a,
                                      const std::vector<AttributionRow>& rows) {
    constexpr int width = 880;
    constexpr int label_width = 150;
    constexpr int bar_height = 26;
    constexpr int legend_row = 20;
    const int bars_width = width - label_width - 10;
    const int legend_rows = static_cast<int>((rows.size() + 2) / 3);
    const int height = 2 * (bar_height + 12) + 10 + legend_rows * legend_row;
    auto colour = [&](std::size_t i) {
      return rows[i].is_rest ? std::string_view("#bbbbbb") : palette_colour(i);
    };
    std::string svg = fmt::format(
        "<svg viewBox=\"0 0 {0} {1}\" width=\"{0}\" height=\"{1}\" role=\"img\"><title>Where "
        "the time went</title>\n",
        width, height);
    const stats::AttributionGroup* groups[] = {&a.mean, &a.slowest};
    const char* names[] = {"mean", "slowest 1%"};
    for (int g = 0; g < 2; ++g) {
      const stats::AttributionGroup& group = *groups[g];
      const int y = 6 + g * (bar_height + 12);
      svg += fmt::format("<text x=\"0\" y=\"{}\" font-size=\"13\">{} {}</text>\n",
                         y + bar_height / 2 + 5, names[g],
                         group.requests ? escape_html(format_ms(group.latency_ms)) : "-");
      if (group.requests == 0 || group.latency_ms <= 0) {
        continue;
      }
      double x = label_width;
      for (std::size_t i = 0; i < rows.size(); ++i) {
        const double ms = g == 0 ? rows[i].mean_ms : rows[i].slowest_ms;
        const double w = bars_width * ms / group.latency_ms;
        if (w <= 0) {
          continue;
        }
        svg += fmt::format(
            "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\">"
            "<title>{}: {} ({:.1f}%)</title></rect>\n",
            x, y, w, bar_height, colour(i), escape_html(rows[i].label), escape_html(format_ms(ms)),
            100 * ms / group.latency_ms);
        x += w;
      }
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const int lx = label_width + static_cast<int>(i % 3) * (bars_width / 3);
      const int ly = 2 * (bar_height + 12) + 10 + static_cast<int>(i / 3) * legend_row;
      svg += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/>"
          "<text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>\n",
          lx, ly, colour(i), lx + 16, ly + 10, escape_html(rows[i].label));
    }
    return "<figure><figcaption>The mean request and the slowest 1%</figcaption>" + svg +
           "</svg></figure>\n";
  }

  // ---- What happened ----

  /// The episodes (numbered as on the charts), whether their paths
  /// recovered, and each retrying edge's amplification; empty when the run
  /// had no episode, so that a quiet run's report stays as it was.
  std::string episodes_section() const {
    const stats::Feedback& f = r_.feedback;
    if (episodes_.empty()) {
      return {};
    }
    std::string out =
        "<p class=\"note\">Episodes: stretches of time in which a path's p99 or error share "
        "departed from its own baseline beyond noise, with what was happening then and where "
        "their requests' time went. The charts over time shade them, numbered as here.</p>\n"
        "<ol class=\"episodes\">\n";
    for (const stats::Episode* e : episodes_) {
      out += fmt::format("<li>{}</li>\n", escape_html(episode_line(*e)));
    }
    out += "</ol>\n";
    if (r_.episodes.size() > episodes_.size()) {
      out += fmt::format(
          "<p class=\"note\">… and {} shorter or milder episodes (all of them are in "
          "results.json).</p>\n",
          r_.episodes.size() - episodes_.size());
    }
    if (!f.metastable.empty()) {
      out += "<h3>After the trigger</h3>\n<ul class=\"slos\">\n";
      for (const stats::MetastableVerdict& v : f.metastable) {
        out += fmt::format("<li class=\"{}\"><span class=\"mark\">{}</span>{}</li>\n",
                           v.recovered ? "ok" : "fail", v.recovered ? "✓" : "✗",
                           escape_html(verdict_line(v)));
      }
      out += "</ul>\n";
    }
    if (!f.amplification.empty()) {
      out += "<h3>Retry amplification</h3>\n";
      Table table({{"edge", false}, {"baseline"}, {"max"}, {"at"}, {"mean"}});
      for (const stats::EdgeAmplification& a : f.amplification) {
        table.add_row(
            {a.edge, fixed(a.baseline, 2), fixed(a.max, 2), seconds(a.at_s), fixed(a.mean, 2)});
      }
      out += table.render();
      out +=
          "\n<p class=\"note\">Attempts sent over each edge that may retry or hedge, per request "
          "entering the paths that reach it: the baseline and highest of its intervals in the "
          "measured window (the highest starting at \"at\"), and the mean over the window.</p>\n";
    }
    return out;
  }

  // ---- 3. Time series ----

  [[nodiscard]] double interval() const { return r_.timeseries.interval_s; }

  [[nodiscard]] double series_end() const {
    return static_cast<double>(r_.timeseries.intervals) * interval();
  }

  /// A chart over simulated time with the warm-up and drain shaded and
  /// every marker drawn.
  Chart time_chart(std::string title, std::string y_label, double end) const {
    Chart c;
    c.title = std::move(title);
    c.x = fixed_axis("simulated time (s)", 0, end);
    c.y.label = std::move(y_label);
    if (r_.warmup_s > 0) {
      c.bands.push_back({0, r_.warmup_s, "warm-up"});
    }
    const double measured_end = r_.warmup_s + r_.duration_s;
    if (r_.duration_s > 0 && end > measured_end) {
      c.bands.push_back({measured_end, end, "drain"});
    }
    for (const auto& m : r_.timeseries.markers) {
      c.markers.push_back({m.t_s, m.label});
    }
    add_episodes(c);
    return c;
  }

  /// Shades the episodes listed in "What happened", each in its path's
  /// colour, labelled with its title or its number in the list.
  void add_episodes(Chart& c) const {
    const auto& paths = index_.names("path");
    for (std::size_t i = 0; i < episodes_.size(); ++i) {
      const stats::Episode& e = *episodes_[i];
      ChartEpisode band;
      band.from = e.start_s;
      band.to = e.end_s;
      band.label = episode_title(e);
      band.short_label = fmt::format("{}", i + 1);
      band.title = fmt::format("{}. {}", i + 1, episode_line(e));
      band.path = e.path;
      band.colour = colour_of(r_.paths, e.path, paths) % palette_size;
      c.episodes.push_back(std::move(band));
    }
  }

  /// A series's values as points: at the middle of each interval for a
  /// rate or a level, or held over the interval for a count (`step`).
  /// The points of a series, each value times `scale`; with `per_second`
  /// a count per interval becomes a rate, over the interval's real length
  /// (the last one ends with the run and is usually shorter).
  std::vector<ChartPoint> points_of(const stats::Series& s, double scale, bool step,
                                    bool per_second = false) const {
    std::vector<ChartPoint> points;
    const double dt = interval();
    points.reserve(s.values.size() + 1);
    for (std::size_t i = 0; i < s.values.size(); ++i) {
      const double t = static_cast<double>(s.first + i) * dt;
      const double end =
          r_.simulated_s > 0 ? r_.simulated_s : static_cast<double>(s.first + s.values.size()) * dt;
      const double length = std::clamp(end - t, dt * 1e-6, dt);
      const double value = s.values[i] * scale / (per_second ? length : 1.0);
      points.push_back({step ? t : t + length / 2, value});
    }
    if (step && !s.values.empty()) {
      points.push_back(
          {static_cast<double>(s.first + s.values.size()) * dt, s.values.back() * scale});
    }
    return points;
  }

  /// One chart with a line per entity of `kind` for `metric`, skipping
  /// entities whose series is all zero (or all undefined). Past
  /// `most_lines` entities, the ones with the largest totals keep their
  /// lines and the rest become one "others" line: their sum for a count
  /// (`per_second`), their mean for a level. Each line its own colour.
  template <class T>
  Chart per_entity_chart(const std::vector<T>& items, const std::string& kind,
                         const std::string& metric, std::string title, std::string y_label,
                         double scale, bool keep_zero = false, bool per_second = false) const {
    constexpr std::size_t most_lines = 8;
    const auto& names = index_.names(kind);
    std::vector<std::pair<const std::string*, const stats::Series*>> shown;
    for (const auto& name : names) {
      const auto* s = index_.find(kind, name, metric);
      if (keep_zero ? has_finite(s) : has_nonzero(s)) {
        shown.emplace_back(&name, s);
      }
    }
    std::vector<const stats::Series*> others;
    if (shown.size() > most_lines) {
      auto total = [](const stats::Series* s) {
        double sum = 0;
        for (double v : s->values) {
          sum += std::isfinite(v) ? v : 0;
        }
        return sum;
      };
      std::stable_sort(shown.begin(), shown.end(), [&](const auto& a, const auto& b) {
        return total(a.second) > total(b.second);
      });
      for (std::size_t i = most_lines - 1; i < shown.size(); ++i) {
        others.push_back(shown[i].second);
      }
      shown.resize(most_lines - 1);
      title += fmt::format(" (the {} largest of {}, the rest as others)", shown.size(),
                           shown.size() + others.size());
    }
    Chart c = time_chart(std::move(title), std::move(y_label), series_end());
    std::vector<bool> taken(palette_size, false);
    taken[palette_size - 1] = !others.empty();  // the grey of "others"
    for (const auto& [name, s] : shown) {
      // The entity's own colour (the same in every chart) unless a line
      // here already has it.
      std::size_t colour = colour_of(items, *name, names) % palette_size;
      while (taken[colour] && std::find(taken.begin(), taken.end(), false) != taken.end()) {
        colour = (colour + 1) % palette_size;
      }
      taken[colour] = true;
      c.series.push_back(
          make_series(*name, points_of(*s, scale, /*step=*/false, per_second), colour));
    }
    if (!others.empty()) {
      stats::Series grouped("others", metric, std::vector<double>(others.front()->values.size()));
      for (std::size_t i = 0; i < grouped.values.size(); ++i) {
        double sum = 0;
        std::size_t defined = 0;
        for (const stats::Series* s : others) {
          if (i < s->values.size() && std::isfinite(s->values[i])) {
            sum += s->values[i];
            ++defined;
          }
        }
        grouped.values[i] = defined == 0 ? std::numeric_limits<double>::quiet_NaN()
                            : per_second ? sum
                                         : sum / static_cast<double>(defined);
      }
      c.series.push_back(
          make_series(fmt::format("others ({}{})", per_second ? "" : "mean of ", others.size()),
                      points_of(grouped, scale, /*step=*/false, per_second), palette_size - 1,
                      SeriesKind::line, /*dashed=*/true));
    }
    return c;
  }

  /// Each path's offered load (arrivals, dashed) and what it completed
  /// (successes, solid) per second, in one colour: a storm is the gap.
  Chart offered_chart() const {
    Chart c = time_chart("Offered (dashed) and completed (solid) requests per second, per path",
                         "requests/s", series_end());
    const auto& names = index_.names("path");
    for (const auto& name : names) {
      const std::size_t colour = colour_of(r_.paths, name, names);
      const auto* done = index_.find("path", name, "completions");
      const auto* offered = index_.find("path", name, "arrivals");
      if (has_finite(done)) {
        c.series.push_back(make_series(name + " completed",
                                       points_of(*done, 1.0, /*step=*/false, /*per_second=*/true),
                                       colour));
      }
      if (has_nonzero(offered)) {
        c.series.push_back(make_series(
            name + " offered", points_of(*offered, 1.0, /*step=*/false, /*per_second=*/true),
            colour, SeriesKind::line, /*dashed=*/true));
      }
    }
    return c;
  }

  /// Attempts per call on each edge that may retry or hedge, per interval:
  /// 1 while calls succeed at once, 1 + p + p² for three attempts at a
  /// failure share p; undefined in an interval without calls.
  Chart amplification_chart() const {
    Chart c = time_chart("Amplification: attempts per call, per edge that retries or hedges",
                         "attempts per call", series_end());
    const auto& edges = index_.names("edge");
    for (const auto& name : edges) {
      const auto* calls = index_.find("edge", name, "calls");
      const auto* attempts = index_.find("edge", name, "attempts");
      if (calls == nullptr || attempts == nullptr || !has_nonzero(calls)) {
        continue;
      }
      std::vector<double> ratio(calls->values.size());
      for (std::size_t i = 0; i < ratio.size(); ++i) {
        ratio[i] = calls->values[i] > 0 ? attempts->values[i] / calls->values[i]
                                        : std::numeric_limits<double>::quiet_NaN();
      }
      const stats::Series per_call(name, "amplification", std::move(ratio));
      c.series.push_back(
          make_series(name, points_of(per_call, 1.0, /*step=*/false), c.series.size()));
    }
    return c;
  }

  /// Each path's latency SLOs on the percentile it promises (or the mean),
  /// as a dotted level in the path's colour.
  void add_slo_lines(Chart& latency) const {
    const auto& names = index_.names("path");
    const double end = series_end();
    for (const stats::SloResult& slo : r_.slos) {
      const bool is_latency = slo.check.metric == stats::SloMetric::percentile ||
                              slo.check.metric == stats::SloMetric::mean ||
                              slo.check.metric == stats::SloMetric::max;
      if (!is_latency || !(end > 0)) {
        continue;
      }
      const double ms = slo.check.threshold;
      latency.series.push_back(
          make_series(fmt::format("{} SLO {}", slo.path, slo.check.text), {{0, ms}, {end, ms}},
                      colour_of(r_.paths, slo.path, names), SeriesKind::line, /*dashed=*/true));
    }
  }

  /// A band over each stretch of intervals in which a path had requests
  /// out or arriving but none succeeded: its latency line breaks there for
  /// want of a success, not of data.
  void add_no_success_bands(Chart& latency) const {
    const double dt = interval();
    for (const auto& name : index_.names("path")) {
      const auto* p99 = index_.find("path", name, "p99_ms");
      const auto* arrivals = index_.find("path", name, "arrivals");
      const auto* in_flight = index_.find("path", name, "in_flight");
      if (p99 == nullptr || arrivals == nullptr) {
        continue;
      }
      auto busy = [&](std::size_t i) {
        const bool arriving = i < arrivals->values.size() && arrivals->values[i] > 0;
        const bool waiting =
            in_flight != nullptr && i < in_flight->values.size() && in_flight->values[i] > 0;
        return arriving || waiting;
      };
      std::size_t i = 0;
      while (i < p99->values.size()) {
        if (!std::isnan(p99->values[i]) || !busy(i)) {
          ++i;
          continue;
        }
        const std::size_t from = i;
        while (i < p99->values.size() && std::isnan(p99->values[i]) && busy(i)) {
          ++i;
        }
        latency.bands.push_back({static_cast<double>(from) * dt,
                                 std::min(static_cast<double>(i) * dt, series_end()),
                                 name + ": no success"});
      }
    }
  }

  /// One chart with a line per pod for `metric` (TimeSeries::pods), each
  /// from the interval the pod was made in: the `most` pods with the highest
  /// peak, so that a fleet of hundreds stays readable.
  Chart pods_chart(const std::string& metric, std::string title, std::string y_label,
                   double scale) const {
    constexpr std::size_t most = 10;
    std::vector<const stats::Series*> pods;
    for (const stats::Series& s : r_.timeseries.pods) {
      if (s.metric == metric && has_nonzero(&s)) {
        pods.push_back(&s);
      }
    }
    auto peak = [](const stats::Series* s) {
      double high = 0;
      for (double v : s->values) {
        high = std::isnan(v) ? high : std::max(high, v);
      }
      return high;
    };
    std::stable_sort(pods.begin(), pods.end(),
                     [&](const auto* a, const auto* b) { return peak(a) > peak(b); });
    if (pods.size() > most) {
      title += fmt::format(" (the {} of {} pods with the highest peak)", most, pods.size());
      pods.resize(most);
    }
    Chart c = time_chart(std::move(title), std::move(y_label), series_end());
    for (const stats::Series* s : pods) {
      c.series.push_back(make_series(s->entity.substr(s->entity.find('/') + 1),
                                     points_of(*s, scale, /*step=*/false), c.series.size()));
    }
    return c;
  }

  std::string timeseries_section() {
    const auto& ts = r_.timeseries;
    if (ts.intervals == 0 || ts.series.empty() || !(ts.interval_s > 0)) {
      return {};
    }
    std::string out;
    const auto& paths = index_.names("path");

    out += figure(offered_chart());

    // Errors by path and kind: a line for each pair that ever happened.
    Chart errors = time_chart("Errors per second, by path and kind", "errors/s", series_end());
    bool any_error_series = false;
    for (const auto& path : paths) {
      for (const auto& [kind, name] : error_kinds) {
        const auto* s = index_.find("path", path, "errors_" + std::string(name));
        any_error_series = any_error_series || has_finite(s);
        if (!has_nonzero(s)) {
          continue;
        }
        errors.series.push_back(make_series(path + ": " + std::string(name),
                                            points_of(*s, 1.0, /*step=*/false, /*per_second=*/true),
                                            errors.series.size()));
      }
    }
    if (has_data(errors)) {
      out += figure(std::move(errors));
    } else if (any_error_series) {
      out += "<p class=\"note\">No request failed in any interval.</p>\n";
    }

    Chart latency = time_chart("Latency per interval: p99 (solid) and p50 (dashed)", "latency (ms)",
                               series_end());
    for (const auto& path : paths) {
      const std::size_t colour = colour_of(r_.paths, path, paths);
      for (const auto& [metric, dashed] : {std::pair{"p99_ms", false}, {"p50_ms", true}}) {
        const auto* s = index_.find("path", path, metric);
        if (!has_finite(s)) {
          continue;
        }
        latency.series.push_back(make_series(path + (dashed ? " p50" : " p99"),
                                             points_of(*s, 1, /*step=*/false), colour,
                                             SeriesKind::line, dashed));
      }
    }
    if (has_data(latency)) {  // a promise alone is no chart
      add_slo_lines(latency);
      add_no_success_bands(latency);
    }
    out += figure(std::move(latency));

    out += replicas_charts();

    Chart utilization = per_entity_chart(r_.services, "service", "utilization",
                                         "CPU utilization per service", "utilization", 1);
    utilization.y.as_percent = true;
    out += figure(std::move(utilization));
    out += figure(per_entity_chart(r_.services, "service", "queue_length",
                                   "Requests waiting for a worker, per service", "requests", 1));
    out += figure(per_entity_chart(r_.services, "service", "arrivals",
                                   "Requests arriving per second, per service", "requests/s", 1.0,
                                   /*keep_zero=*/false, /*per_second=*/true));
    out += figure(amplification_chart());
    out += figure(per_entity_chart(r_.services, "service", "retries",
                                   "Retries sent per second, per calling service", "retries/s", 1.0,
                                   /*keep_zero=*/false, /*per_second=*/true));
    out += figure(per_entity_chart(r_.services, "service", "wasted_cpu_s",
                                   "Wasted CPU per service: work for requests no one waits for",
                                   "cores", 1.0, /*keep_zero=*/false, /*per_second=*/true));
    out += figure(per_entity_chart(r_.services, "service", "throttled_s",
                                   "CPU throttling (CFS quota) per service",
                                   "throttled pod-seconds per second", 1.0, /*keep_zero=*/false,
                                   /*per_second=*/true));
    out += figure(per_entity_chart(r_.services, "service", "gc_pause_s", "GC pauses per service",
                                   "paused pod-seconds per second", 1.0,
                                   /*keep_zero=*/false, /*per_second=*/true));
    out += figure(per_entity_chart(r_.services, "service", "contention_s",
                                   "Waiting for node cores, per service",
                                   "requests slowed by the node (request-s per second)", 1.0,
                                   /*keep_zero=*/false, /*per_second=*/true));
    // Nodes have no results of their own: their lines take colours in order.
    const std::vector<stats::ServiceResult> no_items;
    Chart nodes = per_entity_chart(no_items, "node", "utilization", "CPU utilization per node",
                                   "utilization", 1);
    nodes.y.as_percent = true;
    out += figure(std::move(nodes));
    out += figure(per_entity_chart(no_items, "node", "pods_cores", "Cores used by pods, per node",
                                   "cores", 1.0));
    out += figure(per_entity_chart(no_items, "node", "neighbour_cores",
                                   "Cores used by neighbours, per node", "cores", 1.0));
    out += figure(per_entity_chart(r_.services, "service", "memory_bytes",
                                   "Memory in use per service (pod.memory)", "MiB", 1.0 / 1048576,
                                   /*keep_zero=*/true));
    out += figure(
        pods_chart("memory_bytes", "Memory in use per pod (pod.memory)", "MiB", 1.0 / 1048576));
    out += figure(pods_chart("cores", "Cores used per pod", "cores", 1.0));
    out += figure(per_entity_chart(r_.services, "service", "gpu_busy_s", "Busy GPUs per service",
                                   "GPU-seconds serving batches per second", 1.0,
                                   /*keep_zero=*/false, /*per_second=*/true));

    Chart hits = per_entity_chart(r_.caches, "cache", "hit_ratio", "Cache hit ratio", "hit ratio",
                                  1, /*keep_zero=*/true);
    hits.y.as_percent = true;
    hits.y.has_max = true;
    hits.y.max = 1;
    out += figure(std::move(hits));
    out +=
        figure(per_entity_chart(r_.queues, "queue", "depth", "Queue depth", "messages waiting", 1));
    out += figure(per_entity_chart(r_.queues, "queue", "lag_s",
                                   "Queue lag: age of the oldest waiting message", "lag (s)", 1));

    out += breaker_chart();
    if (out.empty()) {
      return {};
    }
    std::string intro = fmt::format(
        "<p class=\"note\">One value per {} of simulated time. The shaded spans are the "
        "warm-up and the drain, outside the measured window; dashed purple lines mark faults "
        "and schedule changes.{}</p>\n",
        seconds(interval()),
        episodes_.empty() ? ""
                          : " The spans in a path's colour are its episodes, numbered as in "
                            "\"What happened\".");
    return intro + out;
  }

  /// A replicas chart for each service an autoscaler drives or whose
  /// replicas change: ready, starting, and the autoscaler's desired count.
  std::string replicas_charts() {
    std::string out;
    for (const auto& service : index_.names("service")) {
      const auto* ready = index_.find("service", service, "replicas_ready");
      const auto* starting = index_.find("service", service, "replicas_starting");
      std::vector<std::pair<std::string, const stats::Series*>> desired;
      for (const auto& a : r_.autoscalers) {
        if (a.service == service) {
          desired.emplace_back(a.name, index_.find("autoscaler", a.name, "desired"));
        }
      }
      const bool has_autoscaler = std::any_of(desired.begin(), desired.end(),
                                              [](const auto& d) { return has_finite(d.second); });
      if (!has_autoscaler && !is_varying(ready) && !has_nonzero(starting)) {
        continue;
      }
      Chart c = time_chart("Replicas of " + service, "pods", series_end());
      if (has_finite(ready)) {
        c.series.push_back(
            make_series("ready", points_of(*ready, 1, /*step=*/true), 0, SeriesKind::step));
      }
      if (has_finite(starting)) {
        c.series.push_back(
            make_series("starting", points_of(*starting, 1, /*step=*/true), 1, SeriesKind::step));
      }
      for (std::size_t i = 0; i < desired.size(); ++i) {
        if (!has_finite(desired[i].second)) {
          continue;
        }
        c.series.push_back(make_series("desired (" + desired[i].first + ")",
                                       points_of(*desired[i].second, 1, /*step=*/true), 2 + i,
                                       SeriesKind::step, /*dashed=*/true));
      }
      out += figure(std::move(c));
    }
    return out;
  }

  std::string breaker_chart() {
    Chart c = time_chart("Circuit breakers (only those that opened)", "state", series_end());
    c.y = fixed_axis("state", -0.25, 2.25);
    c.y.categories = {{0, "closed"}, {1, "open"}, {2, "half-open"}};
    for (const auto& name : index_.names("breaker")) {
      const auto* s = index_.find("breaker", name, "state");
      if (!has_nonzero(s)) {
        continue;
      }
      c.series.push_back(
          make_series(name, points_of(*s, 1, /*step=*/true), c.series.size(), SeriesKind::step));
    }
    return figure(std::move(c));
  }

  // ---- 4. Autoscalers ----

  std::string autoscalers_section() {
    std::string out;
    for (const auto& a : r_.autoscalers) {
      out += fmt::format(
          "<h3>{} <span class=\"note\">({} on {}): {} scale-ups, {} "
          "scale-downs</span></h3>\n",
          escape_html(a.name), escape_html(a.metric), escape_html(a.service), a.scale_ups,
          a.scale_downs);
      if (a.history.empty()) {
        out += "<p class=\"note\">No sync happened.</p>\n";
        continue;
      }
      const double end = std::max({r_.simulated_s, a.history.back().t_s, series_end()});
      Chart c =
          time_chart("Autoscaler " + a.name + ": desired and ready pods at each sync", "pods", end);
      ChartSeries desired = make_series("desired", {}, 2, SeriesKind::step, /*dashed=*/true);
      ChartSeries ready = make_series("ready", {}, 0, SeriesKind::step);
      ChartSeries starting = make_series("starting", {}, 1, SeriesKind::step);
      for (const auto& h : a.history) {
        desired.points.push_back({h.t_s, static_cast<double>(h.desired)});
        ready.points.push_back({h.t_s, static_cast<double>(h.ready)});
        starting.points.push_back({h.t_s, static_cast<double>(h.starting)});
      }
      for (auto* s : {&desired, &ready, &starting}) {
        s->points.push_back({end, s->points.back().y});
      }
      // Ready last, on top: it is what serves the traffic.
      c.series = {std::move(desired), std::move(starting), std::move(ready)};
      out += figure(std::move(c));

      // The syncs where desired or ready changed: the lag between the two
      // is the story of an autoscaler.
      Table table({{"time"}, {"metric"}, {"recommended"}, {"desired"}, {"ready"}, {"starting"}});
      const auto changes = scale_changes(a);
      for (std::size_t k = 0; k < changes.size() && k < autoscaler_rows_shown; ++k) {
        const stats::ScaleSample& h = *changes[k];
        table.add_row({fmt::format("{:.1f}s", h.t_s), format_scale_metric(a, h),
                       fmt::format("{}", h.recommended), fmt::format("{}", h.desired),
                       fmt::format("{}", h.ready), fmt::format("{}", h.starting)});
      }
      out += table.render();
      if (changes.size() > autoscaler_rows_shown) {
        out += fmt::format(
            "<p class=\"note\">… and {} more changes (all of them are in "
            "results.json).</p>\n",
            changes.size() - autoscaler_rows_shown);
      }
    }
    return out;
  }

  // ---- 5. Tables ----

  std::string services_section() const {
    if (r_.services.empty()) {
      return {};
    }
    Table table({{"service", false},
                 {"requests"},
                 {"rejected"},
                 {"utilization"},
                 {"queue (mean)"},
                 {"busy CPU (core-s)"},
                 {"replicas", false},
                 {"goodput", true, true},
                 {"retries sent", true, true},
                 {"retries refused", true, true},
                 {"hedges (won)", true, true},
                 {"orphaned", true, true},
                 {"deadline drops", true, true},
                 {"wasted CPU (s)", true, true},
                 {"throttled (pod-s)", true, true},
                 {"throttled periods", true, true}});
    for (const auto& s : r_.services) {
      if (s.is_external) {
        table.add_row({s.name, fmt::format("{}", s.requests), fmt::format("{}", s.rejected), "-",
                       "-", "-", "external"});
        continue;
      }
      const std::string replicas =
          s.replicas.min == s.replicas.max
              ? fmt::format("{:g}", s.replicas.mean)
              : fmt::format("{:.1f} ({:g}–{:g})", s.replicas.mean, s.replicas.min, s.replicas.max);
      table.add_row({s.name, fmt::format("{}", s.requests), fmt::format("{}", s.rejected),
                     percent(s.utilization), fixed(s.queue_mean, 2), fixed(s.busy_cpu_s, 1),
                     replicas, s.has_wasted_work() ? fmt::format("{:.1f}/s", s.goodput_rps) : "-",
                     fmt::format("{}", s.retries), fmt::format("{}", s.retries_refused),
                     s.hedges > 0 ? fmt::format("{} ({})", s.hedges, s.hedges_won) : "-",
                     fmt::format("{}", s.orphaned), fmt::format("{}", s.deadline_drops),
                     fixed(s.wasted_cpu_s, 1), s.has_cfs ? fixed(s.throttled_s, 1) : "-",
                     s.has_cfs && s.cfs_throttled_periods > 0
                         ? fmt::format("{} of {}", s.cfs_throttled_periods, s.cfs_periods)
                         : "-"});
    }
    return table.render();
  }

  std::string edges_section() const {
    if (r_.edges.empty()) {
      return {};
    }
    Table table({{"caller", false},
                 {"callee", false},
                 {"calls"},
                 {"attempts"},
                 {"ok"},
                 {"failed"},
                 {"p50"},
                 {"p99"},
                 {"breaker opens", true, true},
                 {"breaker open (s)", true, true}});
    for (const auto& e : r_.edges) {
      const auto& h = e.latency;
      table.add_row({e.caller, e.target, fmt::format("{}", e.calls), fmt::format("{}", e.attempts),
                     fmt::format("{}", e.outcomes[Outcome::ok]),
                     fmt::format("{}", e.outcomes.failed()),
                     h.count() ? ms_of_ns(h.value_at_percentile(50)) : "-",
                     h.count() ? ms_of_ns(h.value_at_percentile(99)) : "-",
                     fmt::format("{}", e.breaker_opens), fixed(e.breaker_open_s, 1)});
    }
    return table.render() +
           "<p class=\"note\">Latency of successful calls as the caller saw them, retries "
           "included.</p>\n";
  }

  std::string caches_section() const {
    if (r_.caches.empty()) {
      return {};
    }
    Table table({{"cache", false}, {"lookups"}, {"hits"}, {"hit ratio"}});
    for (const auto& c : r_.caches) {
      table.add_row({c.name, fmt::format("{}", c.lookups), fmt::format("{}", c.hits),
                     c.lookups ? percent(c.hit_ratio()) : "-"});
    }
    return table.render();
  }

  std::string queues_section() const {
    if (r_.queues.empty()) {
      return {};
    }
    Table table({{"queue", false},
                 {"published"},
                 {"consumed"},
                 {"dead letters"},
                 {"depth max"},
                 {"lag max"}});
    for (const auto& q : r_.queues) {
      table.add_row({q.name, fmt::format("{}", q.published), fmt::format("{}", q.consumed),
                     fmt::format("{}", q.dead_letters), fmt::format("{}", q.depth_max),
                     fmt::format("{:.2f}s", q.lag_max_s)});
    }
    return table.render();
  }

  std::string cluster_section() const {
    if (!r_.cluster.is_modelled) {
      return {};
    }
    const auto& c = r_.cluster;
    // The scale-down's columns show only when the cluster autoscaler removes nodes.
    auto when_scaling_down = [&](std::uint32_t value) {
      return c.scales_down ? fmt::format("{}", value) : std::string();
    };
    Table table({{"nodes at start"},
                 {"nodes at least", true, /*is_optional=*/true},
                 {"nodes at most"},
                 {"nodes added"},
                 {"nodes removed", true, /*is_optional=*/true},
                 {"pending pods at most"},
                 {"pending pod-seconds"}});
    table.add_row({fmt::format("{}", c.nodes_start), when_scaling_down(c.nodes_min),
                   fmt::format("{}", c.nodes_max), fmt::format("{}", c.nodes_added),
                   when_scaling_down(c.nodes_removed), fmt::format("{}", c.pending_max),
                   fixed(c.pending_pod_s, 0)});
    return table.render();
  }

  /// How many requests were kept as traces and why; the traces themselves
  /// are in the trace files beside the report.
  std::string traces_section() const {
    if (r_.traces.empty()) {
      return {};
    }
    std::map<std::string, std::size_t> kept_because;
    for (const auto& t : r_.traces) {
      ++kept_because[t.why];
    }
    std::string reasons;
    for (const auto& [why, count] : kept_because) {
      reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", count, why);
    }
    return fmt::format(
        "<p>{} requests kept as traces ({}), in traces.otlp.json, traces.jaeger.json (the Jaeger "
        "UI opens it without a backend) and traces.chrome.json (Perfetto, speedscope) beside this "
        "report.</p>\n",
        r_.traces.size(), escape_html(reasons));
  }

  // ---- 6. The topology and the model ----

  std::string topology_section() const {
    const std::string& svg = in_.topology_svg;
    const auto start = svg.find("<svg");
    if (start == std::string::npos) {
      return {};
    }
    return "<div class=\"topology\">\n" + svg.substr(start) + "\n</div>\n";
  }

  std::string model_section() const {
    if (in_.model_text.empty()) {
      return {};
    }
    std::string out;
    if (!in_.model_file.empty()) {
      out += fmt::format("<p class=\"note\">{}</p>\n", escape_html(in_.model_file));
    }
    return out + "<pre>" + escape_html(in_.model_text) + "</pre>\n";
  }

  const stats::Results& r_;
  const HtmlReportInputs& in_;
  SeriesIndex index_;
  /// The episodes listed and shaded, in time order: the n-th is "n".
  std::vector<const stats::Episode*> episodes_;
  std::vector<Section> sections_;
  int charts_ = 0;
};

}  // namespace

std::string html_page_start(std::string_view title) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      // Nothing is ever fetched: the report is one file and stays so.
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; img-src data:\">\n"
      "<meta name=\"generator\" content=\"tailsim " TAILSIM_VERSION "\">\n";
  out += fmt::format("<title>{}</title>\n", escape_html(title));
  out += "<style>\n";
  out += style_sheet;
  out += "</style>\n</head>\n<body>\n";
  return out;
}

std::string html_page_end() {
  return "<footer>Generated by tailsim " TAILSIM_VERSION
         ". Every chart is drawn by tailsim as inline SVG; this file needs nothing "
         "else.</footer>\n</body>\n</html>\n";
}

std::string format_html_report(const stats::Results& results, const HtmlReportInputs& inputs) {
  return ReportWriter(results, inputs).write();
}

}  // namespace tailsim::report
