#include "tailsim/report/compare_report.hpp"

#include <string>

#include <catch2/catch.hpp>

#include "support/slo_results.hpp"

TEST_CASE("compare page: both models named, a CDF per shared path, only-in-B said",
          "[compare_report]") {
  auto a = tailsim::testing::slo_results();
  auto b = a;
  a.model = "shop-a";
  b.model = "shop-b";
  a.paths.pop_back();  // the last path is B's alone
  tailsim::report::SloStudy study;
  study.baseline = "shop-a";
  const std::string html = tailsim::report::format_compare_report(
      a, b, b, study, tailsim::report::CompareReportInputs{"a.yaml", "b.yaml", 5, "fail"});
  INFO(html);
  CHECK(html.find("</html>") != std::string::npos);
  CHECK_THAT(html, Catch::Contains("A <code>shop-a</code> (a.yaml) with B <code>shop-b</code>"));
  CHECK_THAT(html, Catch::Contains("Gate: <strong>fail</strong>"));
  CHECK_THAT(html, Catch::Contains("<figcaption>checkout: latency CDF, A and B</figcaption>"));
  CHECK_THAT(html, Catch::Contains("A: shop-a"));
  CHECK_THAT(html, Catch::Contains("B: shop-b"));
  CHECK_THAT(html, Catch::Contains("<p>Only in B.</p>"));
  CHECK(html.find("<script") == std::string::npos);
}

TEST_CASE("compare page: the services, queues and caches of A and B with B - A",
          "[compare_report]") {
  const auto results = tailsim::testing::slo_results();
  tailsim::report::CompareReportInputs inputs{"a.yaml", "b.yaml", 5, "pass"};
  const auto page = [&] {
    return tailsim::report::format_compare_report(results, results, results, {}, inputs);
  };
  CHECK(page().find("Services, queues and caches") == std::string::npos);  // none given
  inputs.components = {
      {"component", "metric", "A", "B", "B - A", "change"},
      {"service api", "utilization", "80% ± 1%", "40% ± 1%", "-40% ± 0.5% (-50.0%)", "lower"},
      {"", "requests", "4800 ± 20", "4800 ± 20", "+0 ± 0", "no significant change"}};
  const std::string html = page();
  CHECK_THAT(html, Catch::Contains("<h2>Services, queues and caches</h2>"));
  CHECK_THAT(html, Catch::Contains("<th>B - A</th>"));
  CHECK_THAT(html, Catch::Contains("<td>service api</td><td>utilization</td><td class=\"n\">80% ± "
                                   "1%</td><td class=\"n\">40% ± 1%</td><td class=\"n\">-40% ± "
                                   "0.5% (-50.0%)</td><td>lower</td>"));
}
