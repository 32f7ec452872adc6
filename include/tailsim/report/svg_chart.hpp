#pragma once
/// Small SVG charts drawn by tailsim itself, for the HTML report: axes with
/// nice ticks (linear, log, or HdrHistogram's percentile axis), line and
/// step series, bars, shaded bands, labelled vertical markers and a legend.
///
/// The output is an inline `<svg>` element (no XML prolog, no external
/// reference, no script) that depends only on its input: the same chart
/// gives the same bytes. Long series are thinned to at most
/// `max_points_per_line` points by keeping each bucket's minimum and maximum,
/// so spikes survive, as vegeta's plot does.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tailsim::report {

/// `text` with `& < > " '` replaced by entities: safe in HTML and SVG text
/// and in quoted attribute values.
std::string escape_html(std::string_view text);

/// The palette's colours: index palette_size - 1 is its grey.
inline constexpr std::size_t palette_size = 10;

/// The report's colours, Tableau 10: legible on white and told apart by most
/// colour-blind readers. Index `i` wraps around.
std::string_view palette_colour(std::size_t index);

/// How an axis maps values to positions.
enum class ScaleKind : std::uint8_t {
  linear,
  /// log10; values must be > 0 (others are dropped).
  log,
  /// A percentile 0 to 100 placed at log10(1 / (1 - p/100)), as
  /// HdrHistogram's plots do: 90%, 99%, 99.9% equally spaced.
  percentile,
};

/// One point of a series; a NaN `y` breaks the line there.
struct ChartPoint {
  double x = 0;
  double y = 0;
};

/// Tick positions for a linear axis: multiples of a step of 1, 2 or 5 x 10^k
/// chosen so about `target` intervals cover [lo, hi].
struct NiceTicks {
  double lo = 0;               ///< the range widened down to a multiple of step
  double hi = 1;               ///< the range widened up to a multiple of step
  double step = 1;             ///< the distance between ticks
  std::vector<double> values;  ///< lo, lo + step, ..., hi
};

/// Nice ticks covering [lo, hi]. An empty range (lo == hi) is widened around
/// the value; NaN or infinite bounds give the ticks of [0, 1].
NiceTicks nice_ticks(double lo, double hi, std::size_t target = 6);

/// A tick value written with just the decimals its step needs: 0.25, 2500,
/// 15k (from 10,000), 20M (from 10 million). Never "-0".
std::string format_tick(double value, double step);

/// At most `max_points` points (at least 4) keeping, for each bucket of
/// consecutive points, its lowest and highest `y` in x order, plus the first
/// and the last point. There are max_points / 2 buckets, or max_points / 3
/// when some `y` is NaN: a bucket with a NaN keeps one NaN too (the gap).
/// Fewer points come back unchanged.
std::vector<ChartPoint> downsample_min_max(const std::vector<ChartPoint>& points,
                                           std::size_t max_points);

/// One axis of a chart.
struct ChartAxis {
  std::string label;  ///< with its unit: "simulated time (s)"
  ScaleKind scale = ScaleKind::linear;
  bool has_min = false;  ///< use `min` instead of the data's lowest value
  double min = 0;
  bool has_max = false;  ///< use `max` instead of the data's highest value
  double max = 0;
  /// A linear axis starts at zero even if the data does not.
  bool include_zero = true;
  /// Tick labels as percentages: 0.25 reads "25%".
  bool as_percent = false;
  /// Fixed ticks with their own labels (a breaker's closed/open/half-open);
  /// replaces the computed ticks when not empty.
  std::vector<std::pair<double, std::string>> categories;
};

enum class SeriesKind : std::uint8_t {
  line,
  /// Holds each value until the next point's x (a count of replicas).
  step,
  /// A bar from 0 to y at each x.
  bars,
  /// A shaded area (a confidence band): the points run along its upper edge
  /// and back along its lower edge.
  band,
  /// A dot at each point, nothing between them (values of categories).
  points,
  /// A vertical bar per pair of points of one x, from the first's y to the
  /// second's (an interval around a point).
  whiskers,
};

/// One line (or set of bars) of a chart.
struct ChartSeries {
  std::string name;  ///< shown in the legend and as the hover title
  std::vector<ChartPoint> points;
  std::size_t colour = 0;  ///< index into the palette
  SeriesKind kind = SeriesKind::line;
  bool dashed = false;
};

/// A shaded span of the x axis (the warm-up), labelled at its top left.
struct ChartBand {
  double from = 0;
  double to = 0;
  std::string label;
};

/// An episode (docs/semantics.md, "Episodes"): a span of the x axis shaded
/// in a light palette colour behind the series, as a `<g class="episode">`
/// holding its hover title, a `<rect class="episode-band">` and its label.
struct ChartEpisode {
  double from = 0;
  double to = 0;
  /// Drawn at the band's bottom left when it fits ("checkout 62 s-140 s"),
  /// else `short_label` when that fits ("1"), else nothing.
  std::string label;
  std::string short_label;
  std::string title;       ///< the hover text
  std::string path;        ///< the episode's path, as the band's data-path
  std::size_t colour = 0;  ///< index into the palette
  double opacity = 0.12;   ///< of the fill
};

/// A labelled vertical line (a fault starting, a rate changing).
struct ChartMarker {
  double x = 0;
  std::string label;
};

struct Chart {
  /// Makes the ids inside the SVG (the clip path) unique in a page holding
  /// several charts; letters, digits and '-' only.
  std::string id = "chart";
  std::string title;  ///< the SVG's accessible name (`<title>`)
  int width = 880;
  int height = 300;
  ChartAxis x;
  ChartAxis y;
  std::vector<ChartSeries> series;
  std::vector<ChartBand> bands;
  std::vector<ChartEpisode> episodes;
  std::vector<ChartMarker> markers;
  std::size_t max_points_per_line = 2000;
};

/// Whether any series has a finite point to draw.
bool has_data(const Chart& chart);

/// The chart as an inline `<svg>` element, legend below the plot.
std::string render_svg(const Chart& chart);

}  // namespace tailsim::report
