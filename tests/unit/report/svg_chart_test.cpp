#include "tailsim/report/svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace {

using namespace tailsim::report;

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

std::size_t occurrences_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

ChartSeries series(std::string name, std::vector<ChartPoint> points,
                   SeriesKind kind = SeriesKind::line) {
  ChartSeries s;
  s.name = std::move(name);
  s.points = std::move(points);
  s.kind = kind;
  return s;
}

}  // namespace

TEST_CASE("nice ticks are steps of 1, 2 or 5 times a power of ten", "[svg_chart]") {
  const auto t = nice_ticks(0, 97);
  CHECK(t.step == 20);
  CHECK(t.values == std::vector<double>{0, 20, 40, 60, 80, 100});

  const auto small = nice_ticks(0.013, 0.087);
  CHECK(small.step == Approx(0.01));
  CHECK(small.lo == Approx(0.01));
  CHECK(small.hi == Approx(0.09));
  CHECK(small.values.size() == 9);

  // 0 to 125 s: steps of 20, not 50 (which would give 3 ticks).
  CHECK(nice_ticks(0, 125).step == 20);

  const auto negative = nice_ticks(-3.2, 7.9);
  CHECK(negative.step == 2);
  CHECK(negative.lo == -4);
  CHECK(negative.hi == 8);
  CHECK(std::count(negative.values.begin(), negative.values.end(), 0.0) == 1);

  // Already on the grid: no extra tick from rounding (0.3 / 0.1 is 2.9999...).
  const auto exact = nice_ticks(0, 0.3, 3);
  CHECK(exact.hi == Approx(0.3));
  CHECK(exact.values.size() == 4);

  const auto flat = nice_ticks(5, 5);
  CHECK(flat.lo < 5);
  CHECK(flat.hi > 5);
  const auto broken = nice_ticks(not_a_number, std::numeric_limits<double>::infinity());
  CHECK(broken.lo == 0);
  CHECK(broken.hi == 1);
}

TEST_CASE("tick labels have the decimals their step needs and a k or M", "[svg_chart]") {
  CHECK(format_tick(20, 20) == "20");
  CHECK(format_tick(0.25, 0.05) == "0.25");
  CHECK(format_tick(0.4, 0.2) == "0.4");
  CHECK(format_tick(1500, 500) == "1500");
  CHECK(format_tick(15000, 5000) == "15k");
  CHECK(format_tick(2.5e7, 5e6) == "25M");
  CHECK(format_tick(-1e-17, 0.1) == "0.0");
  CHECK(format_tick(not_a_number, 1) == "-");
}

TEST_CASE("values map linearly onto the plot area", "[svg_chart]") {
  Chart c;
  c.x.has_min = true;
  c.x.min = 0;
  c.x.has_max = true;
  c.x.max = 10;
  c.y.has_max = true;
  c.y.max = 100;
  c.series.push_back(series("s", {{0, 0}, {10, 100}}));
  // The plot spans x 66..846 and y 256..10 of the default 880 x 300 chart.
  CHECK(render_svg(c).find("d=\"M66.0 256.0L846.0 10.0\"") != std::string::npos);

  c.series[0].points = {{5, 50}};
  CHECK(render_svg(c).find("d=\"M456.0 133.0h0\"") != std::string::npos);

  // Without a fixed top, a maximum on a tick gets one more tick above it.
  c.y.has_max = false;
  c.series[0].points = {{0, 0}, {10, 100}};
  const std::string svg = render_svg(c);
  CHECK(svg.find(">120<") != std::string::npos);
  CHECK(svg.find(">140<") == std::string::npos);
}

TEST_CASE("the percentile axis gives each nine the same width", "[svg_chart]") {
  Chart c;
  c.x.scale = ScaleKind::percentile;
  c.x.has_min = true;
  c.x.min = 0;
  c.x.has_max = true;
  c.x.max = 99.999;
  c.series.push_back(series("p", {{0, 1}, {90, 2}, {99, 3}, {99.9, 4}}));
  const std::string svg = render_svg(c);
  for (const char* label : {">0%<", ">90%<", ">99%<", ">99.9%<", ">99.99%<", ">99.999%<"}) {
    CHECK(svg.find(label) != std::string::npos);
  }
  // 99% is two nines of five: 66 + 2/5 x 780.
  CHECK(svg.find("L378.0 ") != std::string::npos);
}

TEST_CASE("a log axis has ticks at powers of ten and drops values <= 0", "[svg_chart]") {
  Chart c;
  c.x.scale = ScaleKind::log;
  c.series.push_back(series("l", {{0, 1}, {1, 1}, {1000, 2}}));
  const std::string svg = render_svg(c);
  for (const char* label : {">1<", ">10<", ">100<", ">1000<", ">2<", ">50<"}) {
    CHECK(svg.find(label) != std::string::npos);
  }
  CHECK(svg.find("d=\"M66.0 ") != std::string::npos);  // 1 is the left edge; 0 is dropped
}

TEST_CASE("NaN breaks a line, a step series holds its value", "[svg_chart]") {
  Chart c;
  c.series.push_back(series("gap", {{0, 1}, {1, 2}, {2, not_a_number}, {3, 2}, {4, 1}}));
  CHECK(occurrences_of(render_svg(c), "M") >= 2);
  const auto d_of = [](const std::string& svg) {
    const auto at = svg.find("class=\"series\" d=\"");
    return svg.substr(at, svg.find('"', at + 18) - at);
  };
  CHECK(occurrences_of(d_of(render_svg(c)), "M") == 2);

  Chart step;
  step.series.push_back(series("replicas", {{0, 3}, {10, 6}, {20, 6}}, SeriesKind::step));
  const std::string d = d_of(render_svg(step));
  CHECK(d.find('H') != std::string::npos);
  CHECK(d.find('V') != std::string::npos);
  CHECK(d.find('L') == std::string::npos);
}

TEST_CASE("bars, bands, markers and the legend are drawn", "[svg_chart]") {
  Chart c;
  c.id = "c7";
  c.x.has_min = true;
  c.x.has_max = true;
  c.x.max = 100;
  c.series.push_back(series("counts", {{10, 3}, {20, 5}, {30, 1}}, SeriesKind::bars));
  c.series.push_back(series("other", {{10, 1}, {90, 2}}));
  c.series.back().dashed = true;
  c.bands.push_back({0, 20, "warm-up"});
  c.markers.push_back({60, "kill db"});
  const std::string svg = render_svg(c);
  CHECK(occurrences_of(svg, "<rect x=") == 3 + 1 + 1);  // bars, legend swatch, clip
  CHECK(svg.find("class=\"band\"") != std::string::npos);
  CHECK(svg.find(">warm-up<") != std::string::npos);
  CHECK(svg.find(">kill db<") != std::string::npos);
  CHECK(svg.find("t=60s: kill db") != std::string::npos);
  CHECK(svg.find("stroke-dasharray=\"6 3\"") != std::string::npos);
  CHECK(svg.find("clip-path=\"url(#c7-clip)\"") != std::string::npos);
  CHECK(svg.find(">counts<") != std::string::npos);
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.substr(svg.size() - 6) == "</svg>");
}

TEST_CASE("a confidence band is one closed, shaded polygon with a swatch", "[svg_chart]") {
  Chart c;
  c.id = "c8";
  // Upper edge left to right, lower edge back: (0, 12) (10, 14) (10, 6) (0, 8).
  c.series.push_back(series("p99 95% CI", {{0, 12}, {10, 14}, {10, 6}, {0, 8}}, SeriesKind::band));
  const std::string svg = render_svg(c);
  const auto at = svg.find("<path class=\"interval\" d=\"M");
  REQUIRE(at != std::string::npos);
  const auto end = svg.find('"', at + 30);
  const std::string d = svg.substr(at + 29, end - at - 29);
  CHECK(occurrences_of(d, "L") == 3);
  CHECK(d.back() == 'Z');
  CHECK(svg.find("fill-opacity=\"0.18\" stroke=\"none\"><title>p99 95% CI</title>") !=
        std::string::npos);
  CHECK(svg.find("fill-opacity=\"0.3\"/>") != std::string::npos);  // the legend's swatch
}

TEST_CASE("text in a chart is escaped", "[svg_chart]") {
  CHECK(escape_html("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&#39;");
  Chart c;
  c.title = "<script>";
  c.x.label = "x & y";
  c.series.push_back(series("<b>bold</b>", {{0, 1}, {1, 2}}));
  c.markers.push_back({0.5, "\"quoted\" <m>"});
  const std::string svg = render_svg(c);
  CHECK(svg.find("<script") == std::string::npos);
  CHECK(svg.find("<b>") == std::string::npos);
  CHECK(svg.find("<m>") == std::string::npos);
  CHECK(svg.find("&lt;b&gt;bold&lt;/b&gt;") != std::string::npos);
  CHECK(svg.find("x &amp; y") != std::string::npos);
}

TEST_CASE("downsampling keeps the extremes, the ends and the gaps", "[svg_chart]") {
  std::vector<ChartPoint> points;
  for (int i = 0; i < 100000; ++i) {
    points.push_back({static_cast<double>(i), std::sin(i * 0.001)});
  }
  points[54321].y = 1e6;
  points[777].y = -1e6;
  points[90000].y = not_a_number;
  const auto thin = downsample_min_max(points, 2000);
  CHECK(thin.size() <= 2000);
  CHECK(thin.size() >= 1000);
  CHECK(thin.front().x == 0);
  CHECK(thin.back().x == 99999);
  CHECK(std::is_sorted(thin.begin(), thin.end(),
                       [](const auto& a, const auto& b) { return a.x < b.x; }));
  const auto has = [&](double x) {
    return std::any_of(thin.begin(), thin.end(), [&](const auto& p) { return p.x == x; });
  };
  CHECK(has(54321));
  CHECK(has(777));
  CHECK(has(90000));
  const auto [lo, hi] = std::minmax_element(thin.begin(), thin.end(),
                                            [](const auto& a, const auto& b) { return a.y < b.y; });
  CHECK(lo->y == -1e6);
  CHECK(hi->y == 1e6);

  const std::vector<ChartPoint> few = {{0, 1}, {1, 2}};
  CHECK(downsample_min_max(few, 2000).size() == 2);

  // Render thins too: a line of 100,000 points has at most 2,000 vertices.
  Chart c;
  c.series.push_back(series("long", points));
  const std::string svg = render_svg(c);
  CHECK(occurrences_of(svg, "L") <= 2000);
}

TEST_CASE("a chart renders the same bytes every time; all NaN is no data", "[svg_chart]") {
  Chart c;
  c.series.push_back(series("a", {{0, 1}, {1, 3}, {2, 2}}));
  c.markers.push_back({1, "m"});
  CHECK(render_svg(c) == render_svg(c));
  CHECK(has_data(c));

  Chart empty;
  empty.series.push_back(series("nothing", {{0, not_a_number}, {1, not_a_number}}));
  CHECK_FALSE(has_data(empty));
  CHECK(render_svg(empty).find("<svg") == 0);  // still drawable: empty axes
  CHECK(palette_colour(0) == palette_colour(10));
}

TEST_CASE("the legend lays out characters, not bytes", "[svg_chart]") {
  // Six series named with 20 characters: accented letters take two bytes in
  // UTF-8 and the same room on screen, so the legend wraps the same way.
  auto chart_of = [](const std::string& letter) {
    Chart c;
    c.id = "legend";
    for (int i = 0; i < 6; ++i) {
      std::string name;
      for (int k = 0; k < 20; ++k) {
        name += letter;
      }
      c.series.push_back(series(name, {{0, 1}, {1, static_cast<double>(i)}}));
    }
    const std::string svg = render_svg(c);
    return svg.substr(0, svg.find('>'));  // the <svg ...> tag: its height says the rows
  };
  CHECK(chart_of("\xC3\xA9") == chart_of("e"));  // "é" and "e"
}
