#include "tailsim/report/markdown_summary.hpp"

#include <string>

#include <catch2/catch.hpp>

#include "support/slo_results.hpp"

using tailsim::report::format_markdown_summary;

TEST_CASE("Markdown summary: verdict, SLO table, paths and busiest services", "[markdown]") {
  const std::string md = format_markdown_summary(tailsim::testing::slo_results());
  INFO(md);
  CHECK(md.rfind("## ❌ tailsim: 2 of 3 SLO checks failed\n\nModel **shop** · seed 7 · 10m "
                 "measured after 1m warm-up · tailsim ",
                 0) == 0);
  CHECK_THAT(md, Catch::Contains("| | path | check | measured |\n| :-: | --- | --- | --: |\n"
                                 "| ❌ | checkout | p99 \\< 400ms | 512.3ms |\n"
                                 "| ✅ | checkout | errors \\< 1% | 0.2% |\n"
                                 "| ❌ | search \\& \\<browse\\> | p(99)\\<1s | no successful "
                                 "request |\n"));
  CHECK_THAT(md, Catch::Contains("| checkout | 1000 | 2 (0.20%) | "));
  CHECK_THAT(md, Catch::Contains("| search \\& \\<browse\\> | 5 | 5 (100.00%) | – | – | 0.0/s |"));
  // Busiest first; external services have no CPU and are left out.
  const auto frontend = md.find("| frontend | 61.0% |");
  const auto cart = md.find("| cart | 20.0% |");
  CHECK(frontend != std::string::npos);
  CHECK(cart != std::string::npos);
  CHECK(frontend < cart);
  CHECK(md.find("| bank-api |") == std::string::npos);
}

TEST_CASE("Markdown summary: the verdict when all pass and when there is nothing to check",
          "[markdown]") {
  auto r = tailsim::testing::slo_results();
  r.slos = {{"checkout", "errors < 1%", 0.002, true}};
  CHECK(format_markdown_summary(r).rfind("## ✅ tailsim: all 1 SLO checks passed\n", 0) == 0);
  r.slos.clear();
  const std::string md = format_markdown_summary(r);
  CHECK(md.rfind("## ✅ tailsim: the run finished; no SLOs to check\n", 0) == 0);
  CHECK_THAT(md, Catch::Contains("No SLOs to check: add an `slos:` section"));
  CHECK(md.find("| :-: |") == std::string::npos);
}

TEST_CASE("Markdown summary: a cell cannot break its table", "[markdown]") {
  auto r = tailsim::testing::slo_results();
  r.paths[0].name = "a|b\nc*d_e`f";
  const std::string md = format_markdown_summary(r);
  CHECK_THAT(md, Catch::Contains("| a\\|b c\\*d\\_e\\`f | 1000 |"));
}
