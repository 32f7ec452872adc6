// Episodes in report.html and on compare.html: the shaded bands on the
// charts over time and report.html's "What happened" section.

#include <cstddef>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "report_html/sample_results.hpp"
#include "support/text.hpp"
#include "tailsim/report/compare_report.hpp"
#include "tailsim/report/episode_text.hpp"
#include "tailsim/report/html_report.hpp"
#include "tailsim/report/svg_chart.hpp"

using tailsim::testing::contains;

namespace {

using tailsim::report::escape_html;
using tailsim::report::format_html_report;
using tailsim::stats::Episode;
using tailsim::testing::sample_inputs;
using tailsim::testing::sample_results;

std::size_t count_episode_text(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

/// Each `<svg class="chart"...</svg>` of a page, in order.
std::vector<std::string> episode_test_charts(const std::string& html) {
  std::vector<std::string> out;
  for (auto at = html.find("<svg class=\"chart\""); at != std::string::npos;
       at = html.find("<svg class=\"chart\"", at + 1)) {
    out.push_back(html.substr(at, html.find("</svg>", at) + 6 - at));
  }
  return out;
}

/// The value of `name`="..." in the first tag at or after `from`.
std::string episode_test_attribute(const std::string& text, std::size_t from,
                                   const std::string& name) {
  const auto end = text.find('>', from);
  const auto at = text.find(" " + name + "=\"", from);
  if (at == std::string::npos || at > end) {
    return {};
  }
  const auto value = at + name.size() + 3;
  return text.substr(value, text.find('"', value) - value);
}

struct EpisodeBandRect {
  std::string path;
  std::string x;
  std::string width;
  std::string fill;
};

std::vector<EpisodeBandRect> episode_band_rects(const std::string& svg) {
  std::vector<EpisodeBandRect> out;
  for (auto at = svg.find("<rect class=\"episode-band\""); at != std::string::npos;
       at = svg.find("<rect class=\"episode-band\"", at + 1)) {
    out.push_back({episode_test_attribute(svg, at, "data-path"),
                   episode_test_attribute(svg, at, "x"), episode_test_attribute(svg, at, "width"),
                   episode_test_attribute(svg, at, "fill")});
  }
  return out;
}

/// Where a time maps on an 880 px wide chart whose x axis runs from 0 to
/// `axis_end`: the plot spans x 66..846.
std::string episode_x_px(double t, double axis_end) {
  return fmt::format("{:.1f}", 66 + t / axis_end * 780);
}

Episode made_episode(const std::string& path, double start, double end, double p99_ms) {
  Episode e;
  e.path = path;
  e.first_interval = static_cast<std::size_t>(start);
  e.last_interval = static_cast<std::size_t>(end) - 1;
  e.start_s = start;
  e.end_s = end;
  e.p99_ms = p99_ms;
  e.baseline_p99_ms = 120;
  e.error_share = 0.4;
  e.baseline_error_share = 0.001;
  tailsim::stats::EpisodeCondition fault;
  fault.kind = "fault";
  fault.name = "kill <bank-api>";
  fault.start_s = 60;
  fault.end_s = 75;
  e.conditions.push_back(fault);
  return e;
}

/// The sample with a long checkout episode (40-60 s: its title fits its
/// band) and a short browse one (70-75 s: only its number does).
tailsim::stats::Results sample_with_episodes() {
  auto r = sample_results();
  r.episodes.push_back(made_episode("checkout", 40, 60, 2400));
  r.episodes.push_back(made_episode("browse", 70, 75, 900));
  tailsim::stats::MetastableVerdict v;
  v.path = "checkout";
  v.trigger = "kill <bank-api>";
  v.trigger_end_s = 75;
  v.sustained_by = "payments -> bank-api.charge retries";
  r.feedback.metastable.push_back(v);
  tailsim::stats::EdgeAmplification a;
  a.edge = "payments -> bank-api.charge";
  a.baseline = 1.02;
  a.max = 3.456;
  a.at_s = 63;
  a.mean = 1.5;
  r.feedback.amplification.push_back(a);
  return r;
}

}  // namespace

TEST_CASE("every chart over time shades each episode over its time span", "[html_episodes]") {
  const auto r = sample_with_episodes();
  const std::string html = format_html_report(r, sample_inputs());
  std::size_t time_charts = 0;
  for (const std::string& svg : episode_test_charts(html)) {
    const auto bands = episode_band_rects(svg);
    if (!contains(svg, ">simulated time (s)</text>")) {
      CHECK(bands.empty());  // latency by percentile, the CDF
      continue;
    }
    ++time_charts;
    // Every chart over time of the sample runs from 0 to 125 s.
    REQUIRE(bands.size() == 2);
    CHECK(bands[0].path == "checkout");
    CHECK(bands[0].x == episode_x_px(40, 125));
    CHECK(bands[0].width == fmt::format("{:.1f}", 20.0 / 125 * 780));
    CHECK(bands[0].fill == tailsim::report::palette_colour(0));  // checkout's colour
    CHECK(bands[1].path == "browse");
    CHECK(bands[1].x == episode_x_px(70, 125));
    CHECK(bands[1].width == fmt::format("{:.1f}", 5.0 / 125 * 780));
    CHECK(bands[1].fill == tailsim::report::palette_colour(1));
    // The bands lie under the grid, and so under the series.
    CHECK(svg.find("class=\"episode-band\"") < svg.find("<g class=\"grid\">"));
    // The hover title: the episode's number and line; the label: its title
    // where it fits (124.8 px), else its number (31.2 px).
    CHECK(contains(svg, "<g class=\"episode\" data-path=\"checkout\"><title>1. " +
                            escape_html(tailsim::report::episode_line(r.episodes[0])) +
                            "</title>"));
    CHECK(contains(svg, "<title>2. " + escape_html(tailsim::report::episode_line(r.episodes[1])) +
                            "</title>"));
    CHECK(contains(svg, ">checkout 40 s-60 s</text>"));
    CHECK(contains(svg, ">2</text></g>"));
    CHECK_FALSE(contains(svg, ">browse 70 s-75 s</text>"));
  }
  // Offered, errors, latency, replicas, utilization, ...: all of them.
  CHECK(time_charts >= 8);
  CHECK(count_episode_text(html, "<rect class=\"episode-band\"") == 2 * time_charts);
  CHECK(contains(html,
                 "The spans in a path's colour are its episodes, numbered as in "
                 "\"What happened\"."));
}

TEST_CASE("'What happened' lists the episodes, the verdicts and the amplification",
          "[html_episodes]") {
  const auto r = sample_with_episodes();
  const std::string html = format_html_report(r, sample_inputs());
  const auto start = html.find("<section id=\"episodes\">\n<h2>What happened</h2>");
  REQUIRE(start != std::string::npos);
  // After "Where the time went", before "Over time"; in the navigation too.
  CHECK(html.find("<section id=\"attribution\">") < start);
  CHECK(start < html.find("<section id=\"timeseries\">"));
  CHECK(contains(html, "<a href=\"#episodes\">What happened</a>"));
  const std::string section = html.substr(start, html.find("</section>", start) - start);
  CHECK(contains(
      section, "<li>" + escape_html(tailsim::report::episode_line(r.episodes[0])) + "</li>\n<li>" +
                   escape_html(tailsim::report::episode_line(r.episodes[1])) + "</li>\n</ol>"));
  CHECK(contains(section,
                 "checkout 40 s-60 s: p99 2.40s (baseline 120.0ms), 40% errors, "
                 "during fault kill &lt;bank-api&gt; (60-75 s)"));
  CHECK(contains(section, "<li class=\"fail\"><span class=\"mark\">✗</span>" +
                              escape_html(tailsim::report::verdict_line(r.feedback.metastable[0])) +
                              "</li>"));
  CHECK(contains(section,
                 "checkout did not recover after kill &lt;bank-api&gt; ended at 75 s: "
                 "metastable, sustained by payments -&gt; bank-api.charge retries"));
  CHECK(contains(section,
                 "<td>payments -&gt; bank-api.charge</td><td class=\"n\">1.02</td>"
                 "<td class=\"n\">3.46</td><td class=\"n\">63s</td>"
                 "<td class=\"n\">1.50</td>"));
  CHECK_FALSE(contains(section, "shorter or milder"));
}

TEST_CASE("past 20 episodes, the largest are listed and shaded and the rest counted",
          "[html_episodes]") {
  auto r = sample_results();
  for (int k = 0; k < 25; ++k) {
    // 1 s episodes, one every 4 s from 22 s; the five at 22-38 s the mildest.
    r.episodes.push_back(made_episode("checkout", 22 + 4 * k, 23 + 4 * k, k < 5 ? 300 : 3000));
  }
  const std::string html = format_html_report(r, sample_inputs());
  const auto start = html.find("<section id=\"episodes\">");
  REQUIRE(start != std::string::npos);
  const std::string section = html.substr(start, html.find("</section>", start) - start);
  CHECK(count_episode_text(section, "<li>") == 20);
  CHECK(contains(section,
                 "… and 5 shorter or milder episodes (all of them are in "
                 "results.json)."));
  CHECK_FALSE(contains(section, "<li>checkout 22 s-23 s"));
  CHECK(contains(section, "<ol class=\"episodes\">\n<li>checkout 42 s-43 s"));
  const auto charts = episode_test_charts(html);
  for (const std::string& svg : charts) {
    if (contains(svg, ">simulated time (s)</text>")) {
      CHECK(episode_band_rects(svg).size() == 20);
    }
  }
  // No verdict, no amplification: neither heading.
  CHECK_FALSE(contains(section, "<h3>"));
}

TEST_CASE("without episodes, no band and no section, whatever the amplification",
          "[html_episodes]") {
  const auto r = sample_results();
  REQUIRE(r.episodes.empty());
  const std::string html = format_html_report(r, sample_inputs());
  CHECK_FALSE(contains(html, "episode"));
  CHECK_FALSE(contains(html, "What happened"));

  // Amplification without an episode (a model that retries, calmly): the
  // same page, byte for byte.
  auto amplified = r;
  amplified.feedback.amplification.push_back({"front -> mid.handle", 1.0, 1.25, 80, 1.05});
  CHECK(format_html_report(amplified, sample_inputs()) == html);
}

TEST_CASE("an episode beyond the axis is clipped, one outside it left out", "[html_episodes]") {
  tailsim::report::Chart c;
  c.x.has_min = true;
  c.x.has_max = true;
  c.x.max = 100;
  c.series.push_back({"s", {{0, 1}, {100, 2}}, 0, tailsim::report::SeriesKind::line, false});
  tailsim::report::ChartEpisode inside;
  inside.from = 90;
  inside.to = 130;  // past the axis's end
  inside.path = "p";
  inside.title = "t";
  c.episodes.push_back(inside);
  tailsim::report::ChartEpisode outside = inside;
  outside.from = 110;
  c.episodes.push_back(outside);
  const std::string svg = tailsim::report::render_svg(c);
  const auto bands = episode_band_rects(svg);
  REQUIRE(bands.size() == 1);
  CHECK(bands[0].x == episode_x_px(90, 100));
  CHECK(bands[0].width == "78.0");  // 846 - 768
}

TEST_CASE("the compare page shades each run's episodes of a path in its colour",
          "[html_episodes]") {
  auto a = sample_results();
  a.model = "before";
  a.episodes.push_back(made_episode("checkout", 40, 60, 2400));
  a.episodes.push_back(made_episode("browse", 70, 75, 900));  // not on checkout's chart
  auto b = sample_results();
  b.model = "after";
  b.episodes.push_back(made_episode("checkout", 50, 80, 5000));
  const std::string html = tailsim::report::format_compare_report(
      a, b, b, tailsim::report::SloStudy{},
      tailsim::report::CompareReportInputs{"a.yaml", "b.yaml", 1, "pass"});
  CHECK(contains(html, "The shaded spans are each run's episodes"));
  const auto charts = episode_test_charts(html);
  std::vector<std::string> p99;
  for (const std::string& svg : charts) {
    if (contains(svg, "p99 per interval, A and B</title>")) {
      p99.push_back(svg);
    } else {
      CHECK(episode_band_rects(svg).empty());  // the CDFs
    }
  }
  // checkout's chart, then browse's, in B's order of paths.
  REQUIRE(p99.size() == 2);
  REQUIRE(contains(p99[0], "<title>checkout: p99 per interval"));
  const auto checkout = episode_band_rects(p99[0]);
  REQUIRE(checkout.size() == 2);
  // The p99 points sit mid-interval, 0.5 s to 124.5 s: nice ticks up to 140.
  CHECK(checkout[0].x == episode_x_px(40, 140));
  CHECK(checkout[0].width == fmt::format("{:.1f}", 20.0 / 140 * 780));
  CHECK(checkout[0].fill == tailsim::report::palette_colour(0));
  CHECK(checkout[1].x == episode_x_px(50, 140));
  CHECK(checkout[1].fill == tailsim::report::palette_colour(1));
  CHECK(contains(p99[0],
                 "<title>A: before: " + escape_html(tailsim::report::episode_line(a.episodes[0])) +
                     "</title>"));
  CHECK(contains(p99[0],
                 "<title>B: after: " + escape_html(tailsim::report::episode_line(b.episodes[0])) +
                     "</title>"));
  // A's 111 px band takes its letter, B's 167 px one its title.
  CHECK(contains(p99[0], ">A</text></g>"));
  CHECK(contains(p99[0], ">B: checkout 50 s-80 s</text></g>"));
  const auto browse = episode_band_rects(p99[1]);
  REQUIRE(browse.size() == 1);
  CHECK(browse[0].path == "browse");
  CHECK(browse[0].fill == tailsim::report::palette_colour(0));

  // Without episodes, neither bands nor the sentence.
  const auto plain = sample_results();
  const std::string none = tailsim::report::format_compare_report(
      plain, plain, plain, tailsim::report::SloStudy{},
      tailsim::report::CompareReportInputs{"a.yaml", "b.yaml", 1, "pass"});
  CHECK_FALSE(contains(none, "episode"));
}
