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
