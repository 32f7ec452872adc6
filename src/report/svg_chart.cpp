#include "tailsim/report/svg_chart.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string_view>

#include <fmt/format.h>

#include "tailsim/report/console_report.hpp"

namespace tailsim::report {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// Room around the plot area, in px: tick labels on the left, tick labels and
// the axis label below.
constexpr double margin_left = 66;
constexpr double margin_right = 34;
constexpr double margin_top = 10;
constexpr double margin_bottom = 44;
constexpr double legend_row_height = 18;
// A rough width of one character of the 11 px system font, to lay out the
// legend and keep marker labels inside the plot without font metrics.
constexpr double char_width = 6.4;

/// The rough width of `text` in px: its characters (not bytes: a service
/// called "zahlungsdienst-süd" is 18 wide) times char_width.
double text_width(std::string_view text) {
  return char_width * static_cast<double>(display_width(text));
}

/// A coordinate in px, one decimal: enough on screen, short in the file.
std::string px(double v) {
  if (std::abs(v) < 0.05) {
    v = 0;
  }
  return fmt::format("{:.1f}", v);
}

/// Where an axis's values go: value -> transformed -> px.
struct Scale {
  ScaleKind kind = ScaleKind::linear;
  double lo = 0;  ///< transformed
  double hi = 1;  ///< transformed
  double px_lo = 0;
  double px_hi = 1;

  /// The value on the axis's own scale; NaN where it has no place (log of 0).
  [[nodiscard]] double transform(double v) const {
    switch (kind) {
      case ScaleKind::linear:
        return v;
      case ScaleKind::log:
        return v > 0 ? std::log10(v) : nan;
      case ScaleKind::percentile:
        return v >= 0 && v < 100 ? -std::log10(1 - v / 100) : nan;
    }
    return nan;
  }
  [[nodiscard]] double to_px(double v) const { return to_px_transformed(transform(v)); }
  [[nodiscard]] double to_px_transformed(double t) const {
    return px_lo + (t - lo) / (hi - lo) * (px_hi - px_lo);
  }
};

struct Tick {
  double value;  ///< transformed
  std::string label;
};

struct Range {
  bool empty = true;
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    if (std::isfinite(v)) {
      empty = false;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
};

/// The ticks and transformed range of an axis, given the transformed
/// extent of its data.
std::vector<Tick> make_axis(const ChartAxis& axis, Range data, Scale& scale) {
  scale.kind = axis.scale;
  std::vector<Tick> ticks;
  const double fixed_lo = axis.has_min ? scale.transform(axis.min) : nan;
  const double fixed_hi = axis.has_max ? scale.transform(axis.max) : nan;
  if (axis.scale == ScaleKind::linear && axis.include_zero && !axis.has_min) {
    data.add(0);
  }
  if (data.empty) {
    data.add(0);
    data.add(1);
  }
  double lo = std::isfinite(fixed_lo) ? fixed_lo : data.lo;
  double hi = std::isfinite(fixed_hi) ? fixed_hi : data.hi;
  if (!(hi > lo)) {
    hi = lo + 1;
  }

  if (!axis.categories.empty()) {
    for (const auto& [value, label] : axis.categories) {
      ticks.push_back({scale.transform(value), label});
    }
  } else if (axis.scale == ScaleKind::linear) {
    NiceTicks nice = nice_ticks(lo, hi);
    if (!std::isfinite(fixed_hi) && data.hi > data.lo && data.hi >= nice.hi - nice.step * 1e-9) {
      // A line along the top of the frame is hard to see: one more tick.
      nice.hi += nice.step;
      nice.values.push_back(nice.hi);
    }
    lo = std::isfinite(fixed_lo) ? lo : nice.lo;
    hi = std::isfinite(fixed_hi) ? hi : nice.hi;
    const double step = axis.as_percent ? nice.step * 100 : nice.step;
    for (double v : nice.values) {
      if (v >= lo - nice.step * 1e-9 && v <= hi + nice.step * 1e-9) {
        ticks.push_back(
            {v, format_tick(axis.as_percent ? v * 100 : v, step) + (axis.as_percent ? "%" : "")});
      }
    }
  } else if (axis.scale == ScaleKind::log) {
    lo = std::isfinite(fixed_lo) ? lo : std::floor(lo + 1e-9);
    hi = std::isfinite(fixed_hi) ? hi : std::ceil(hi - 1e-9);
    if (!(hi > lo)) {
      hi = lo + 1;
    }
    const bool minor = hi - lo <= 3;
    for (auto k = static_cast<int>(std::floor(lo)); k <= static_cast<int>(std::ceil(hi)); ++k) {
      for (double m : {1.0, 2.0, 5.0}) {
        if (m != 1.0 && !minor) {
          continue;
        }
        const double v = m * std::pow(10.0, k);
        const double t = std::log10(v);
        if (t >= lo - 1e-9 && t <= hi + 1e-9) {
          ticks.push_back({t, format_tick(v, v)});
        }
      }
    }
  } else {
    // Percentile: a tick per nine, 0%, 90%, 99%, 99.9%, ...
    lo = std::isfinite(fixed_lo) ? lo : 0;
    hi = std::isfinite(fixed_hi) ? hi : std::max(1.0, std::ceil(hi - 1e-9));
    for (int k = 0; k <= static_cast<int>(std::floor(hi + 1e-9)); ++k) {
      if (k < lo - 1e-9) {
        continue;
      }
      std::string label = k == 0 ? "0" : k == 1 ? "90" : "99";
      if (k > 2) {
        label += "." + std::string(static_cast<std::size_t>(k - 2), '9');
      }
      ticks.push_back({static_cast<double>(k), label + "%"});
    }
  }
  scale.lo = lo;
  scale.hi = hi;
  return ticks;
}

std::string series_path(const ChartSeries& series, const std::vector<ChartPoint>& points,
                        const Scale& xs, const Scale& ys) {
  std::string d;
  bool pen_down = false;
  bool drew_segment = false;
  const auto y_of = [&](std::size_t i) {
    const double x = xs.to_px(points[i].x);
    const double y = ys.to_px(points[i].y);
    return std::pair{x, y};
  };
  const auto finite_at = [&](std::size_t i) {
    const auto [x, y] = y_of(i);
    return std::isfinite(x) && std::isfinite(y);
  };
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (!finite_at(i)) {
      if (pen_down && !drew_segment) {
        d += "h0";  // an isolated point: round caps make it a dot
      }
      pen_down = false;
      continue;
    }
    const auto [x, y] = y_of(i);
    if (!pen_down) {
      d += fmt::format("M{} {}", px(x), px(y));
      pen_down = true;
      drew_segment = false;
    } else if (series.kind == SeriesKind::step) {
      d += fmt::format("V{}", px(y));
      drew_segment = true;
    } else {
      d += fmt::format("L{} {}", px(x), px(y));
      drew_segment = true;
    }
    if (series.kind == SeriesKind::step && i + 1 < points.size()) {
      const double next_x = xs.to_px(points[i + 1].x);
      if (std::isfinite(next_x)) {
        d += fmt::format("H{}", px(next_x));
        drew_segment = true;
      }
    }
  }
  if (pen_down && !drew_segment) {
    d += "h0";
  }
  return d;
}

/// A points series as dots, a whiskers series as a vertical bar per pair of
/// points, each with the series' name as its hover title.
std::string render_marks(const ChartSeries& series, const Scale& xs, const Scale& ys) {
  const std::string colour(palette_colour(series.colour));
  std::string d;
  const bool whiskers = series.kind == SeriesKind::whiskers;
  const std::size_t step = whiskers ? 2 : 1;
  for (std::size_t i = 0; i + step <= series.points.size(); i += step) {
    const double x = xs.to_px(series.points[i].x);
    const double y = ys.to_px(series.points[i].y);
    const double to = whiskers ? ys.to_px(series.points[i + 1].y) : y;
    if (std::isfinite(x) && std::isfinite(y) && std::isfinite(to)) {
      d += whiskers ? fmt::format("M{} {}V{}", px(x), px(y), px(to))
                    : fmt::format("M{} {}h0", px(x), px(y));
    }
  }
  if (d.empty()) {
    return {};
  }
  return fmt::format(
      "<path class=\"series\" d=\"{}\" stroke=\"{}\" "
      "stroke-width=\"{}\"{}><title>{}</title></path>",
      d, colour, whiskers ? 2 : 7, whiskers ? " stroke-opacity=\"0.5\"" : "",
      escape_html(series.name));
}

std::string render_bars(const ChartSeries& series, const std::vector<ChartPoint>& points,
                        const Scale& xs, const Scale& ys) {
  std::vector<double> xs_px;
  for (const auto& p : points) {
    xs_px.push_back(xs.to_px(p.x));
  }
  double gap = 40;
  for (std::size_t i = 1; i < xs_px.size(); ++i) {
    const double g = std::abs(xs_px[i] - xs_px[i - 1]);
    if (g > 0) {
      gap = std::min(gap, g);
    }
  }
  const double width = std::max(1.0, gap * 0.8);
  const double base = ys.to_px(std::max(0.0, std::min(ys.lo, ys.hi)));
  std::string out = fmt::format("<g fill=\"{}\"><title>{}</title>", palette_colour(series.colour),
                                escape_html(series.name));
  for (std::size_t i = 0; i < points.size(); ++i) {
    const double top = ys.to_px(points[i].y);
    if (!std::isfinite(top) || !std::isfinite(xs_px[i])) {
      continue;
    }
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
                       px(xs_px[i] - width / 2), px(std::min(top, base)), px(width),
                       px(std::abs(base - top)));
  }
  return out + "</g>";
}

/// A band's polygon: its points joined and closed, filled and unstroked.
std::string render_band(const ChartSeries& series, const Scale& xs, const Scale& ys) {
  std::string d;
  for (const auto& p : series.points) {
    const double x = xs.to_px(p.x);
    const double y = ys.to_px(p.y);
    if (std::isfinite(x) && std::isfinite(y)) {
      d += fmt::format("{}{} {}", d.empty() ? "M" : "L", px(x), px(y));
    }
  }
  if (d.empty()) {
    return d;
  }
  return fmt::format(
      "<path class=\"interval\" d=\"{}Z\" fill=\"{}\" fill-opacity=\"0.18\" "
      "stroke=\"none\"><title>{}</title></path>",
      d, palette_colour(series.colour), escape_html(series.name));
}

}  // namespace

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string_view palette_colour(std::size_t index) {
  static constexpr std::array<std::string_view, palette_size> tableau10 = {
      "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
      "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  return tableau10[index % tableau10.size()];
}

NiceTicks nice_ticks(double lo, double hi, std::size_t target) {
  NiceTicks t;
  if (!std::isfinite(lo) || !std::isfinite(hi)) {
    lo = 0;
    hi = 1;
  }
  if (lo > hi) {
    std::swap(lo, hi);
  }
  if (hi == lo) {
    const double pad = lo == 0 ? 1 : std::abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / static_cast<double>(std::max<std::size_t>(target, 1));
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double residual = raw / magnitude;
  // Round to the nearest of 1, 2, 5, 10 on a log scale (d3's thresholds),
  // so the tick count stays near the target.
  const double nice = residual >= std::sqrt(50.0)   ? 10
                      : residual >= std::sqrt(10.0) ? 5
                      : residual >= std::sqrt(2.0)  ? 2
                                                    : 1;
  t.step = nice * magnitude;
  // Tolerate rounding so that 0.30000000000000004 / 0.1 does not add a tick.
  t.lo = std::floor(lo / t.step + 1e-9) * t.step;
  t.hi = std::ceil(hi / t.step - 1e-9) * t.step;
  const auto n = static_cast<long>(std::llround((t.hi - t.lo) / t.step));
  for (long i = 0; i <= n; ++i) {
    double v = t.lo + static_cast<double>(i) * t.step;
    if (std::abs(v) < t.step * 1e-9) {
      v = 0;
    }
    t.values.push_back(v);
  }
  return t;
}

std::string format_tick(double value, double step) {
  if (!std::isfinite(value)) {
    return "-";
  }
  step = std::abs(step);
  if (step == 0 || !std::isfinite(step)) {
    step = std::abs(value) > 0 ? std::abs(value) : 1;
  }
  if (std::abs(value) < step * 1e-9) {
    value = 0;
  }
  std::string_view suffix;
  if (std::abs(value) >= 1e7 && step >= 1e5) {
    value /= 1e6;
    step /= 1e6;
    suffix = "M";
  } else if (std::abs(value) >= 1e4 && step >= 100) {
    value /= 1e3;
    step /= 1e3;
    suffix = "k";
  }
  const int decimals = std::clamp(static_cast<int>(-std::floor(std::log10(step) + 1e-9)), 0, 9);
  std::string out = fmt::format("{:.{}f}", value, decimals);
  if (out.find_first_not_of("-0.") == std::string::npos && out.front() == '-') {
    out.erase(0, 1);
  }
  return out + std::string(suffix);
}

std::vector<ChartPoint> downsample_min_max(const std::vector<ChartPoint>& points,
                                           std::size_t max_points) {
  max_points = std::max<std::size_t>(max_points, 4);
  if (points.size() <= max_points) {
    return points;
  }
  // Two points per bucket (three where a bucket also keeps a gap), and two
  // more for the ends.
  const bool has_gaps =
      std::any_of(points.begin(), points.end(), [](const auto& p) { return std::isnan(p.y); });
  const std::size_t buckets = (max_points - 2) / (has_gaps ? 3 : 2);
  std::vector<ChartPoint> out;
  out.reserve(max_points);
  out.push_back(points.front());
  const std::size_t inner = points.size() - 2;
  for (std::size_t b = 0; b < buckets; ++b) {
    const std::size_t begin = 1 + b * inner / buckets;
    const std::size_t end = 1 + (b + 1) * inner / buckets;
    std::size_t lowest = end;
    std::size_t highest = end;
    std::size_t gap = end;
    for (std::size_t i = begin; i < end; ++i) {
      const double y = points[i].y;
      if (std::isnan(y)) {
        gap = std::min(gap, i);
        continue;
      }
      if (lowest == end || y < points[lowest].y) {
        lowest = i;
      }
      if (highest == end || y > points[highest].y) {
        highest = i;
      }
    }
    std::array<std::size_t, 3> keep = {lowest, highest, gap};
    std::sort(keep.begin(), keep.end());
    for (std::size_t k = 0; k < keep.size(); ++k) {
      if (keep[k] != end && (k == 0 || keep[k] != keep[k - 1])) {
        out.push_back(points[keep[k]]);
      }
    }
  }
  out.push_back(points.back());
  return out;
}

bool has_data(const Chart& chart) {
  for (const auto& s : chart.series) {
    for (const auto& p : s.points) {
      if (std::isfinite(p.x) && std::isfinite(p.y)) {
        return true;
      }
    }
  }
  return false;
}

std::string render_svg(const Chart& chart) {
  const auto width = static_cast<double>(chart.width);
  const auto height = static_cast<double>(chart.height);
  const double left = margin_left;
  const double right = width - margin_right;
  const double top = margin_top;
  const double bottom = height - margin_bottom;

  // The data's extent, in each axis's own scale.
  std::vector<std::vector<ChartPoint>> thinned;
  Scale xs{chart.x.scale, 0, 1, left, right};
  Scale ys{chart.y.scale, 0, 1, bottom, top};
  Range x_data;
  Range y_data;
  for (const auto& s : chart.series) {
    thinned.push_back(downsample_min_max(s.points, chart.max_points_per_line));
    for (const auto& p : s.points) {
      const double x = xs.transform(p.x);
      const double y = ys.transform(p.y);
      if (std::isfinite(x) && std::isfinite(y)) {
        x_data.add(x);
        y_data.add(y);
      }
    }
    if (s.kind == SeriesKind::bars) {
      y_data.add(ys.transform(0));
    }
  }
  const std::vector<Tick> x_ticks = make_axis(chart.x, x_data, xs);
  const std::vector<Tick> y_ticks = make_axis(chart.y, y_data, ys);

  // The legend's rows, laid out left to right.
  struct LegendItem {
    double x;
    double row;
  };
  std::vector<LegendItem> legend;
  double cursor = left;
  double rows = 0;
  for (const auto& s : chart.series) {
    const double w = 30 + text_width(s.name) + 18;
    if (cursor + w > right && cursor > left) {
      cursor = left;
      rows += 1;
    }
    legend.push_back({cursor, rows});
    cursor += w;
  }
  const double legend_height = chart.series.empty() ? 0 : (rows + 1) * legend_row_height + 4;
  const double total_height = height + legend_height;

  std::string out = fmt::format(
      "<svg class=\"chart\" viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" role=\"img\">"
      "<title>{}</title>",
      chart.width, px(total_height), chart.width, px(total_height), escape_html(chart.title));
  out += fmt::format(
      "<clipPath id=\"{}-clip\"><rect x=\"{}\" y=\"{}\" width=\"{}\" "
      "height=\"{}\"/></clipPath>",
      chart.id, px(left), px(top), px(right - left), px(bottom - top));

  // Bands under everything.
  for (const auto& b : chart.bands) {
    const double x0 = std::clamp(xs.to_px(b.from), left, right);
    const double x1 = std::clamp(xs.to_px(b.to), left, right);
    if (!(x1 > x0)) {
      continue;
    }
    out += fmt::format(
        "<rect class=\"band\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}</title>"
        "</rect>",
        px(x0), px(top), px(x1 - x0), px(bottom - top), escape_html(b.label));
    if (x1 - x0 > text_width(b.label) + 6) {
      out += fmt::format("<text class=\"band-label\" x=\"{}\" y=\"{}\">{}</text>", px(x0 + 4),
                         px(bottom - 5), escape_html(b.label));
    }
  }

  // Episodes over the bands, under the grid and the series.
  for (const auto& e : chart.episodes) {
    const double x0 = std::clamp(xs.to_px(e.from), left, right);
    const double x1 = std::clamp(xs.to_px(e.to), left, right);
    if (!(x1 > x0)) {
      continue;
    }
    const std::string path = escape_html(e.path);
    out += fmt::format(
        "<g class=\"episode\" data-path=\"{}\"><title>{}</title><rect class=\"episode-band\" "
        "data-path=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" "
        "fill-opacity=\"{}\"/>",
        path, escape_html(e.title), path, px(x0), px(top), px(x1 - x0), px(bottom - top),
        palette_colour(e.colour), fmt::format("{:g}", e.opacity));
    std::string_view label;
    if (x1 - x0 > text_width(e.label) + 6) {
      label = e.label;
    } else if (x1 - x0 > text_width(e.short_label) + 6) {
      label = e.short_label;
    }
    if (!label.empty()) {
      out += fmt::format(
          "<text class=\"episode-label\" x=\"{}\" y=\"{}\" fill=\"{}\" paint-order=\"stroke\" "
          "stroke=\"#fff\" stroke-width=\"3\" stroke-linejoin=\"round\">{}</text>",
          px(x0 + 4), px(bottom - 18), palette_colour(e.colour), escape_html(label));
    }
    out += "</g>";
  }

  // Grid and tick labels.
  out += "<g class=\"grid\">";
  for (const auto& t : y_ticks) {
    const double y = ys.to_px_transformed(t.value);
    if (!std::isfinite(y) || y < top - 0.5 || y > bottom + 0.5) {
      continue;
    }
    out += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>", px(left), px(right),
                       px(y), px(y));
  }
  for (const auto& t : x_ticks) {
    const double x = xs.to_px_transformed(t.value);
    if (!std::isfinite(x) || x < left - 0.5 || x > right + 0.5) {
      continue;
    }
    out += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>", px(x), px(x), px(top),
                       px(bottom));
  }
  out += "</g><g class=\"ticks\">";
  for (const auto& t : y_ticks) {
    const double y = ys.to_px_transformed(t.value);
    if (!std::isfinite(y) || y < top - 0.5 || y > bottom + 0.5) {
      continue;
    }
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", px(left - 6),
                       px(y + 4), escape_html(t.label));
  }
  for (const auto& t : x_ticks) {
    const double x = xs.to_px_transformed(t.value);
    if (!std::isfinite(x) || x < left - 0.5 || x > right + 0.5) {
      continue;
    }
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", px(x),
                       px(bottom + 16), escape_html(t.label));
  }
  out += "</g>";
  out += fmt::format("<path class=\"axis\" d=\"M{} {}V{}H{}\"/>", px(left), px(top), px(bottom),
                     px(right));
  out +=
      fmt::format("<text class=\"axis-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                  px((left + right) / 2), px(bottom + 36), escape_html(chart.x.label));
  out += fmt::format(
      "<text class=\"axis-label\" transform=\"translate(14 {}) rotate(-90)\" "
      "text-anchor=\"middle\">{}</text>",
      px((top + bottom) / 2), escape_html(chart.y.label));

  // The series, clipped to the plot area.
  out += fmt::format("<g clip-path=\"url(#{}-clip)\">", chart.id);
  for (std::size_t i = 0; i < chart.series.size(); ++i) {
    const auto& s = chart.series[i];
    if (s.kind == SeriesKind::bars) {
      out += render_bars(s, thinned[i], xs, ys);
      continue;
    }
    if (s.kind == SeriesKind::band) {
      out += render_band(s, xs, ys);
      continue;
    }
    if (s.kind == SeriesKind::points || s.kind == SeriesKind::whiskers) {
      out += render_marks(s, xs, ys);
      continue;
    }
    const std::string d = series_path(s, thinned[i], xs, ys);
    if (d.empty()) {
      continue;
    }
    out += fmt::format("<path class=\"series\" d=\"{}\" stroke=\"{}\"{}><title>{}</title></path>",
                       d, palette_colour(s.colour), s.dashed ? " stroke-dasharray=\"6 3\"" : "",
                       escape_html(s.name));
  }
  out += "</g>";

  // Markers over the series, labels staggered over three rows.
  for (std::size_t i = 0; i < chart.markers.size(); ++i) {
    const auto& m = chart.markers[i];
    const double x = xs.to_px(m.x);
    if (!std::isfinite(x) || x < left - 0.5 || x > right + 0.5) {
      continue;
    }
    const double label_width = text_width(m.label);
    const bool flip = x + 4 + label_width > right;
    out += fmt::format(
        "<g class=\"marker\"><title>{}</title><line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>"
        "<text x=\"{}\" y=\"{}\" text-anchor=\"{}\">{}</text></g>",
        escape_html(fmt::format("t={:g}s: {}", m.x, m.label)), px(x), px(x), px(top), px(bottom),
        px(flip ? x - 4 : x + 4), px(top + 12 + static_cast<double>(i % 3) * 13),
        flip ? "end" : "start", escape_html(m.label));
  }

  // Legend.
  for (std::size_t i = 0; i < chart.series.size(); ++i) {
    const auto& s = chart.series[i];
    const double y = height + legend[i].row * legend_row_height + 10;
    const double x = legend[i].x;
    const std::string colour(palette_colour(s.colour));
    out += "<g class=\"legend\">";
    if (s.kind == SeriesKind::points) {
      out += fmt::format(
          "<path d=\"M{} {}h0\" stroke=\"{}\" stroke-width=\"7\" stroke-linecap=\"round\"/>",
          px(x + 11), px(y), colour);
    } else if (s.kind == SeriesKind::bars || s.kind == SeriesKind::band) {
      out +=
          fmt::format("<rect x=\"{}\" y=\"{}\" width=\"22\" height=\"10\" fill=\"{}\"{}/>", px(x),
                      px(y - 5), colour, s.kind == SeriesKind::band ? " fill-opacity=\"0.3\"" : "");
    } else {
      out += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{}\"{}/>", px(x),
                         px(x + 22), px(y), px(y), colour,
                         s.dashed ? " stroke-dasharray=\"6 3\"" : "");
    }
    out += fmt::format("<text x=\"{}\" y=\"{}\">{}</text></g>", px(x + 28), px(y + 4),
                       escape_html(s.name));
  }
  out += "</svg>";
  return out;
}

}  // namespace tailsim::report
