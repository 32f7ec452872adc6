// libFuzzer target for the report writers: a fuzzed model that loads is
// simulated briefly (with traces and tail attribution) and its results are
// written in every format `tailsim run --out` writes. JSON (results.json and
// the OTLP, Jaeger and Chrome traces) must parse back; JUnit XML, the HTML
// report, OpenMetrics, the CSV time series and every .hgrm must pass the
// cheap checks of output_checks.hpp. Names, descriptions and the model text
// come from the input, so every escape in every writer is exercised.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "output_checks.hpp"
#include "tailsim/report/hgrm_writer.hpp"
#include "tailsim/report/html_report.hpp"
#include "tailsim/report/json_report.hpp"
#include "tailsim/report/junit_writer.hpp"
#include "tailsim/report/markdown_summary.hpp"
#include "tailsim/report/openmetrics_writer.hpp"
#include "tailsim/report/timeseries_writer.hpp"
#include "tailsim/report/trace_writers.hpp"

namespace {

/// Traces a fuzzed run keeps: a few, so every trace writer has spans to write.
constexpr std::uint32_t kept_traces = 5;

void fail(const char* format_name, const std::string& problem, const std::string& text) {
  std::fprintf(stderr, "%s is malformed: %s\n--- output ---\n%s\n", format_name, problem.c_str(),
               text.c_str());
  std::abort();
}

void expect_json(const char* format_name, const std::string& text) {
  if (!nlohmann::json::accept(text)) {
    fail(format_name, "not JSON", text);
  }
}

void expect_ok(const char* format_name, const std::string& problem, const std::string& text) {
  if (!problem.empty()) {
    fail(format_name, problem, text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fuzz = tailsim::fuzz;
  namespace report = tailsim::report;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto loaded = tailsim::model::load_string(text, "fuzz.yaml");
  const auto results = fuzz::load_and_run(loaded, kept_traces, /*attribution=*/true);
  if (!results) {
    return 0;
  }
  expect_json("results.json", report::to_json(*results));
  expect_json("traces.otlp.json", report::to_otlp_json(*results));
  expect_json("traces.jaeger.json", report::to_jaeger_json(*results));
  expect_json("traces.chrome.json", report::to_chrome_trace(*results));
  const auto junit = report::format_junit(*results, {"fuzz <&> \"model\".yaml", 1.5});
  expect_ok("JUnit XML", fuzz::check_markup(junit, /*html=*/false), junit);
  const auto html = report::format_html_report(
      *results,
      {text, "fuzz <&>.yaml", "tailsim run 'fuzz <&>.yaml'", std::string(), std::string()});
  expect_ok("report.html", fuzz::check_markup(html, /*html=*/true), html);
  const auto metrics = report::format_openmetrics(*results);
  expect_ok("metrics.om", fuzz::check_openmetrics(metrics), metrics);
  const auto series = report::format_timeseries_csv(*results);
  expect_ok("timeseries.csv", fuzz::check_csv(series), series);
  for (const auto& path : results->paths) {
    const auto hgrm = report::format_hgrm(path.latency);
    expect_ok(".hgrm", fuzz::check_hgrm(hgrm), hgrm);
  }
  (void)report::format_markdown_summary(*results);
  return 0;
}
