#include "tailsim/report/html_report.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "report_html/sample_results.hpp"
#include "support/simulate.hpp"
#include "support/text.hpp"

using tailsim::testing::contains;

namespace {

using tailsim::report::format_html_report;
using tailsim::report::HtmlReportInputs;
using tailsim::testing::sample_inputs;
using tailsim::testing::sample_results;

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// Checks that every element is closed in order (HTML void elements and
/// self-closed SVG elements aside) and that the text between tags holds no
/// raw '<' or '>': what an escaping mistake or a lost tag would break.
/// Returns the first problem, or "" when there is none.
std::string tag_problem(const std::string& html) {
  static const std::vector<std::string> void_elements = {"meta",  "br",   "hr", "img",
                                                         "input", "link", "wbr"};
  std::vector<std::string> open;
  std::size_t at = 0;
  while ((at = html.find('<', at)) != std::string::npos) {
    if (html.compare(at, 2, "<!") == 0) {
      at = html.find('>', at);
      continue;
    }
    const auto end = html.find('>', at);
    if (end == std::string::npos) {
      return "unterminated tag at " + std::to_string(at);
    }
    const std::string tag = html.substr(at + 1, end - at - 1);
    const bool closing = !tag.empty() && tag[0] == '/';
    const auto name_end = tag.find_first_of(" \n/", closing ? 1 : 0);
    const std::string name =
        tag.substr(closing ? 1 : 0, name_end == std::string::npos ? std::string::npos
                                                                  : name_end - (closing ? 1 : 0));
    if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0]))) {
      return "bad tag <" + tag.substr(0, 40) + "> at " + std::to_string(at);
    }
    if (closing) {
      if (open.empty() || open.back() != name) {
        return "</" + name + "> closes <" + (open.empty() ? "" : open.back()) + "> at " +
               std::to_string(at);
      }
      open.pop_back();
    } else if (tag.back() != '/' &&
               std::find(void_elements.begin(), void_elements.end(), name) == void_elements.end()) {
      open.push_back(name);
    }
    at = end + 1;
    const auto next = html.find('<', at);
    if (html.substr(at, next - at).find('>') != std::string::npos) {
      return "raw '>' in text after <" + name + ">";
    }
  }
  return open.empty() ? "" : "<" + open.back() + "> never closed";
}

}  // namespace

TEST_CASE("the report has every section when the results have data", "[html_report]") {
  const std::string html = format_html_report(sample_results(), sample_inputs());
  CHECK(html.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0) == 0);
  CHECK(html.substr(html.size() - 8) == "</html>\n");
  CHECK(tag_problem(html).empty());
  INFO(tag_problem(html));

  // The run: title, seed, times, the command, and the SLO checks k6-style.
  CHECK(contains(html, "<h1>tailsim report: shop &lt;demo&gt; &amp; co</h1>"));
  CHECK(contains(html, "<dt>seed</dt><dd>7</dd>"));
  CHECK(contains(html, "100s measured, after a warm-up of 20s"));
  CHECK(contains(html, "125s (drain included)"));
  CHECK(contains(html, "tailsim run examples/shop.yaml"));
  CHECK(contains(html, "1 of 2 passed"));
  CHECK(contains(html, "✓</span><b>checkout</b> <code>'p99 &lt; 800ms'</code> p99=640.2ms"));
  CHECK(contains(html, "✗</span><b>checkout</b> <code>'errors &lt; 1%'</code> errors=1.83%"));

  for (const char* id : {"paths", "attribution", "timeseries", "autoscalers", "services", "calls",
                         "caches", "queues", "cluster", "topology", "model"}) {
    INFO(id);
    CHECK(contains(html, std::string("<section id=\"") + id + "\">"));
    CHECK(contains(html, std::string("<a href=\"#") + id + "\">"));
  }
  // Attribution: bars and a table for the path that has it, nothing made up
  // for the one without.
  CHECK(contains(html, "<h3>checkout</h3>"));
  CHECK_FALSE(contains(html, "<h3>browse</h3>"));
  CHECK(contains(html, "<title>bank-api failed attempts: 480.0ms (75.0%)</title>"));
  CHECK(contains(html, "<td>payments waiting for a worker</td><td class=\"n\">60.0ms</td>"));
  CHECK(contains(html, "the slowest 1% are the 59 at or above p99 = 600.0ms"));

  // Paths: the table and both latency charts.
  CHECK(contains(html, "<th>p99.9</th>"));
  CHECK(contains(html, "<th>timeout</th>"));
  CHECK_FALSE(contains(html, "<th>unavailable</th>"));  // no path had one
  CHECK(contains(html, "<figcaption>Latency by percentile</figcaption>"));
  CHECK(contains(html, "<figcaption>Latency CDF</figcaption>"));
  CHECK(contains(html, ">99.999%<"));

  // Time series: each chart, the markers and the warm-up.
  for (const char* caption :
       {"Offered (dashed) and completed (solid) requests per second, per path",
        "Errors per second, by path and kind", "Latency per interval: p99 (solid) and p50 (dashed)",
        "Replicas of frontend", "CPU utilization per service",
        "Requests waiting for a worker, per service", "CPU throttling (CFS quota) per service",
        "Cache hit ratio", "Queue depth", "Queue lag: age of the oldest waiting message",
        "Circuit breakers (only those that opened)",
        "Autoscaler frontend: desired and ready pods at each sync"}) {
    INFO(caption);
    CHECK(contains(html, std::string("<figcaption>") + caption + "</figcaption>"));
  }
  CHECK_FALSE(contains(html, "Replicas of payments"));  // constant, no autoscaler
  CHECK(contains(html, ">kill bank-api (latency x10)<"));
  CHECK(contains(html, ">checkout: 60/s<"));
  CHECK(contains(html, ">warm-up<"));
  CHECK(contains(html, ">checkout: timeout<"));
  CHECK_FALSE(contains(html, ">checkout: error<"));  // all zero
  CHECK(contains(html, ">payments-&gt;bank-api.authorize<"));
  CHECK_FALSE(contains(html, ">frontend-&gt;cart.get<"));  // never opened
  CHECK(contains(html, ">half-open<"));

  // Tables.
  CHECK(contains(html, "<td>bank-api.authorize</td>"));
  CHECK(contains(html, "<td class=\"n\">420 of 2000</td>"));
  CHECK(contains(html, "<td class=\"n\">80.0%</td>"));
  CHECK(contains(html, "<td>external</td>"));
  CHECK(contains(html, "<th>pending pod-seconds</th>"));
  CHECK(contains(html, "<td class=\"n\">45.0s</td>"));  // the autoscaler's first change

  // Topology inlined without its XML prolog; every chart id unique.
  CHECK(contains(html, "<svg width=\"220pt\""));
  CHECK_FALSE(contains(html, "<?xml"));
  CHECK_FALSE(contains(html, "<!DOCTYPE svg"));
  for (int i = 1; i <= 14; ++i) {
    INFO(i);
    CHECK(count_of(html, "id=\"chart-" + std::to_string(i) + "-clip\"") == 1);
  }
}

TEST_CASE("the report refers to nothing outside itself", "[html_report]") {
  const std::string html = lower(format_html_report(sample_results(), sample_inputs()));
  CHECK_FALSE(contains(html, "http://"));
  CHECK_FALSE(contains(html, "https://"));
  CHECK_FALSE(contains(html, "<script"));
  CHECK_FALSE(contains(html, "<link"));
  CHECK_FALSE(contains(html, "<img"));
  CHECK_FALSE(contains(html, "<iframe"));
  CHECK_FALSE(contains(html, "@import"));
  CHECK_FALSE(contains(html, "src="));
  CHECK_FALSE(contains(html, "href=\"/"));
  // Every url() is a reference inside the page (a clip path).
  for (auto at = html.find("url("); at != std::string::npos; at = html.find("url(", at + 1)) {
    CHECK(html.compare(at, 5, "url(#") == 0);
  }
  CHECK(contains(html, "content-security-policy"));
}

TEST_CASE("the model text is escaped, script and all", "[html_report]") {
  HtmlReportInputs in = sample_inputs();
  in.model_text = "name: x\n</pre><script>alert(\"pwned\")</script>\n& <b>bold</b>\n";
  in.model_file = "<evil>.yaml";
  in.command_line = "tailsim run '<x>'";
  const std::string html = format_html_report(sample_results(), in);
  CHECK_FALSE(contains(html, "<script"));
  CHECK_FALSE(contains(html, "<b>bold"));
  CHECK_FALSE(contains(html, "<evil>"));
  CHECK(contains(html, "&lt;/pre&gt;&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;"));
  CHECK(contains(html, "&amp; &lt;b&gt;bold&lt;/b&gt;"));
  CHECK(contains(html, "&lt;evil&gt;.yaml"));
  CHECK(tag_problem(html).empty());
}

TEST_CASE("the same results give the same bytes", "[html_report]") {
  const auto results = sample_results();
  const std::string first = format_html_report(results, sample_inputs());
  const auto copy = results;
  CHECK(format_html_report(copy, sample_inputs()) == first);
  CHECK(format_html_report(sample_results(), sample_inputs()) == first);
}

TEST_CASE("empty results give a short report with no empty sections", "[html_report]") {
  const std::string html = format_html_report(tailsim::stats::Results{}, HtmlReportInputs{});
  CHECK(tag_problem(html).empty());
  CHECK(contains(html, "(unnamed model)"));
  CHECK_FALSE(contains(html, "<section"));
  CHECK_FALSE(contains(html, "<svg"));
  CHECK_FALSE(contains(html, "SLO checks"));
}

TEST_CASE("the traces section counts the kept requests by why they were kept",
          "[html_report][traces]") {
  tailsim::stats::Results results;
  for (const char* why : {"slowest", "failed", "slowest", "sampled", "slowest"}) {
    tailsim::stats::Trace trace;
    trace.why = why;
    results.traces.push_back(trace);
  }
  const std::string html = format_html_report(results, HtmlReportInputs{});
  CHECK(tag_problem(html).empty());
  CHECK(contains(html, "<section id=\"traces\">"));
  CHECK(contains(html, "5 requests kept as traces (1 failed, 1 sampled, 3 slowest)"));
}

TEST_CASE("series with no data leave their chart out", "[html_report]") {
  auto results = sample_results();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (auto& s : results.timeseries.series) {
    std::fill(s.values.begin(), s.values.end(), nan);
  }
  results.autoscalers.clear();
  const std::string html = format_html_report(results, sample_inputs());
  CHECK_FALSE(contains(html, "<section id=\"timeseries\">"));
  CHECK(contains(html, "<section id=\"paths\">"));
  CHECK(tag_problem(html).empty());

  results.timeseries = {};
  CHECK_FALSE(contains(format_html_report(results, sample_inputs()), "Over time"));
}

TEST_CASE("long series are thinned to a couple of thousand points a line", "[html_report]") {
  // 125 s at 100 values a second: 12,500 values per series.
  const auto results = sample_results(100);
  const std::string html = format_html_report(results, sample_inputs());
  CHECK(html.size() < 1'500'000);
  const auto start = html.find("<figcaption>Offered");
  REQUIRE(start != std::string::npos);
  const auto d = html.find(" d=\"M", html.find("class=\"series\"", start));
  const auto d_end = html.find('"', d + 4);
  const std::string path = html.substr(d, d_end - d);
  CHECK(count_of(path, "L") <= 2000);
  CHECK(count_of(path, "L") >= 1000);
}

TEST_CASE("a simulated model makes a whole report", "[html_report]") {
  const std::string model = R"(version: 1
name: tiny
simulation: {duration: 20s, warmup: 5s, seed: 3, interval: 1s}
services:
  api:
    replicas: 2
    pod: {cpu: 1, workers: 8}
    endpoints:
      get:
        - cpu: exp(5ms)
        - call: db.query
  db:
    replicas: 1
    pod: {cpu: 2, workers: 16}
    endpoints:
      query:
        - cpu: exp(2ms)
workloads:
  reads:
    entry: api.get
    rate: 100/s
slos:
  reads: ["p99 < 500ms"]
)";
  const auto results = tailsim::testing::simulate_text(model);
  HtmlReportInputs in;
  in.model_text = model;
  in.model_file = "tiny.yaml";
  const std::string html = format_html_report(results, in);
  CHECK(tag_problem(html).empty());
  CHECK(contains(html, "<h1>tailsim report: tiny</h1>"));
  CHECK(contains(html, "<section id=\"paths\">"));
  CHECK(contains(html, "<td>reads</td>"));
  CHECK(contains(html, "Latency by percentile"));
  CHECK(contains(html, "<section id=\"services\">"));
  CHECK(contains(html, "p99 &lt; 500ms"));
  CHECK(html == format_html_report(results, in));
}

TEST_CASE("rates over time use each interval's real length, the last one's too", "[html_report]") {
  // 10 completions a second; the run ends half-way through the tenth
  // interval, which therefore counted 5: the throughput line stays flat.
  tailsim::stats::Results results;
  results.simulated_s = 9.5;
  results.paths.resize(1);
  results.paths[0].name.assign(1, 'p');
  results.timeseries.interval_s = 1;
  results.timeseries.intervals = 10;
  std::vector<double> completions(10, 10.0);
  completions.back() = 5.0;
  results.timeseries.series.push_back({"path/p", "completions", completions});
  const std::string html = format_html_report(results, sample_inputs());
  const auto start = html.find("<figcaption>Offered");
  REQUIRE(start != std::string::npos);
  const auto d = html.find(" d=\"M", html.find("class=\"series\"", start));
  REQUIRE(d != std::string::npos);
  const std::string path = html.substr(d + 5, html.find('"', d + 5) - d - 5);
  // Every point "x,y" (or "x y") of the line has the same y.
  std::vector<std::string> ys;
  std::size_t i = 0;
  while (i < path.size()) {
    const std::size_t end = path.find_first_of("ML", i + 1);
    const std::string point = path.substr(i + 1, end == std::string::npos ? end : end - i - 1);
    ys.push_back(point.substr(point.find_first_of(", ") + 1));
    i = end == std::string::npos ? path.size() : end;
  }
  REQUIRE(ys.size() == 10);
  for (const auto& y : ys) {
    CHECK(y == ys.front());
  }
}

TEST_CASE("pods' charts: a line per pod from when it was made, the highest peaks first",
          "[html_report]") {
  // 12 pods, pod i using i cores from interval i on: the chart keeps the 10
  // with the highest peaks (2 to 11) and says so.
  tailsim::stats::Results results;
  results.simulated_s = 12;
  results.paths.resize(1);
  results.paths[0].name.assign(1, 'p');
  results.timeseries.interval_s = 1;
  results.timeseries.intervals = 12;
  results.timeseries.series.push_back({"path/p", "completions", std::vector<double>(12, 1.0)});
  for (std::size_t i = 0; i < 12; ++i) {
    results.timeseries.pods.push_back({fmt::format("pod/api-{}", i), "cores",
                                       std::vector<double>(12 - i, static_cast<double>(i)), i});
  }
  const std::string html = format_html_report(results, sample_inputs());
  CHECK(contains(html,
                 "<figcaption>Cores used per pod (the 10 of 11 pods with the highest "
                 "peak)</figcaption>"));  // api-0 used nothing: no line
  const auto start = html.find("<figcaption>Cores used per pod");
  const std::string chart = html.substr(start, html.find("</figure>", start) - start);
  CHECK(contains(chart, "api-11"));
  CHECK(contains(chart, "api-2"));
  CHECK_FALSE(contains(chart, "api-1<"));
  CHECK_FALSE(contains(html, "Memory in use per pod"));  // no pod has memory series
}

TEST_CASE("the services table shows goodput wherever work was wasted", "[html_report]") {
  tailsim::stats::Results r;
  r.services.resize(1);
  r.services[0].name = "back";
  r.services[0].goodput_rps = 2.5;
  r.services[0].wasted_cpu_s = 3.75;  // no orphan, retry or drop: wasted CPU alone shows it
  CHECK(contains(format_html_report(r, HtmlReportInputs{}), ">2.5/s</td>"));
  r.services[0].wasted_cpu_s = 0;
  CHECK_FALSE(contains(format_html_report(r, HtmlReportInputs{}), "2.5/s"));
}

TEST_CASE("a chart of many services: the largest seven, the rest as others, each its own colour",
          "[html_report]") {
  // 12 services retrying 1, 2, ..., 12 times an interval: the seven largest
  // (6 to 12) keep their lines, the other five sum to 1 + ... + 5 = 15.
  tailsim::stats::Results results;
  results.simulated_s = 4;
  results.timeseries.interval_s = 1;
  results.timeseries.intervals = 4;
  for (int i = 1; i <= 12; ++i) {
    results.services.emplace_back();
    results.services.back().name = fmt::format("s{}", i);
    results.timeseries.series.push_back(
        {fmt::format("service/s{}", i), "retries", std::vector<double>(4, i)});
  }
  const std::string html = format_html_report(results, sample_inputs());
  const auto start = html.find("<figcaption>Retries sent per second");
  REQUIRE(start != std::string::npos);
  const std::string chart = html.substr(start, html.find("</figure>", start) - start);
  CHECK_THAT(chart, Catch::Contains("(the 7 largest of 12, the rest as others)"));
  CHECK_THAT(chart, Catch::Contains("<title>s12</title>") && Catch::Contains("<title>s6</title>") &&
                        !Catch::Contains("<title>s5</title>") &&
                        Catch::Contains("<title>others (5)</title>"));
  // Each line's stroke differs from every other's.
  std::vector<std::string> strokes;
  for (std::size_t at = chart.find("class=\"series\""); at != std::string::npos;
       at = chart.find("class=\"series\"", at + 1)) {
    const auto stroke = chart.find("stroke=\"", at);
    strokes.push_back(chart.substr(stroke + 8, 7));
  }
  REQUIRE(strokes.size() == 8);
  std::sort(strokes.begin(), strokes.end());
  CHECK(std::unique(strokes.begin(), strokes.end()) == strokes.end());
}

TEST_CASE("a path with failures has an 'all requests' row beside its successes", "[html_report]") {
  tailsim::stats::Results r;
  r.paths.resize(2);
  auto& checkout = r.paths[0];
  checkout.name = "checkout";
  checkout.requests = 10;
  checkout.outcomes[tailsim::Outcome::ok] = 2;
  checkout.outcomes[tailsim::Outcome::timeout] = 8;
  checkout.latency.record(250'000'000, 2);
  checkout.latency_all.record(250'000'000, 2);
  checkout.latency_all.record(2'000'000'000, 8);
  auto& browse = r.paths[1];
  browse.name = "browse";
  browse.requests = 5;
  browse.outcomes[tailsim::Outcome::ok] = 5;
  browse.latency.record(5'000'000, 5);
  browse.latency_all.record(5'000'000, 5);
  const std::string html = format_html_report(r, HtmlReportInputs{});
  const auto row = html.find("checkout: all requests");
  REQUIRE(row != std::string::npos);
  const std::string cells = html.substr(row, html.find("</tr>", row) - row);
  CHECK_THAT(cells,
             Catch::Contains("<td class=\"n\">1.65s</td><td class=\"n\">2.00s</td>"));  // mean, p50
  CHECK_FALSE(contains(html, "browse: all requests"));  // no failure, one row
}
