#include "tailsim/report/markdown_summary.hpp"

#include <string>

#include <catch2/catch.hpp>

#include "support/slo_results.hpp"

using tailsim::report::format_markdown_summary;

TEST_CASE("Markdown summary: verdict, SLO table, paths and busiest services", "[markdown]") {
  const std::string md = format_markdown_summary(tailsim::testing::slo_results());
  INFO(md);
  CHECK(md.rfind("## ❌ tailsim: 2 of 3 SLO checks failed\n\nModel **shop \\<demo\\> \\& co** · "
                 "seed 7 · 100s measured after 20s warm-up · tailsim ",
                 0) == 0);
  CHECK_THAT(md, Catch::Contains("| | path | check | measured |\n| :-: | --- | --- | --: |\n"
                                 "| ✅ | checkout | p99 \\< 800ms | 640.2ms |\n"
                                 "| ❌ | checkout | errors \\< 1% | 1.83% |\n"
                                 "| ❌ | search \\& \\<browse\\> | p(99)\\<1s | no successful "
                                 "request |\n"));
  CHECK_THAT(md, Catch::Contains("| checkout | 6000 | 110 (1.83%) | "));
  CHECK_THAT(md, Catch::Contains("| search \\& \\<browse\\> | 5 | 5 (100.00%) | – | – | 0.0/s |"));
  // Busiest first; external services have no CPU and are left out.
  const auto payments = md.find("| payments | 91.0% | 2.0 | 3.50 | 40 |");
  const auto frontend = md.find("| frontend | 62.0% | 4.2 | 0.40 | 0 |");
  CHECK(payments != std::string::npos);
  CHECK(frontend != std::string::npos);
  CHECK(payments < frontend);
  CHECK(md.find("| bank-api |") == std::string::npos);
}

TEST_CASE("Markdown summary: the verdict when all pass and when there is nothing to check",
          "[markdown]") {
  auto r = tailsim::testing::slo_results();
  r.slos = {tailsim::testing::slo_result("checkout", "errors < 1%", 0.002, true)};
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
  CHECK_THAT(md, Catch::Contains("| a\\|b c\\*d\\_e\\`f | 6000 |"));
}

TEST_CASE("Markdown summary: a comparison states B ± half-width over N, A and B - A",
          "[markdown]") {
  auto r = tailsim::testing::slo_results();
  tailsim::report::SloStudy compared;
  compared.baseline = "shop-a";
  for (std::size_t i = 0; i < r.slos.size(); ++i) {
    tailsim::report::SloStudyCheck check;
    check.half_width = 2.8;
    check.replications = 5;
    check.has_baseline = true;
    check.a_mean = 300;
    check.a_half_width = 2.1;
    check.difference = -20;
    check.difference_half_width = 1.5;
    check.verdict = "passing (better)";
    compared.checks.push_back(check);
  }
  r.slos[0].value = 320;
  const std::string md = format_markdown_summary(r, compared);
  INFO(md);
  CHECK_THAT(md, Catch::Contains("Each check on the mean of 5 replications"));
  CHECK_THAT(md, Catch::Contains("A is **shop-a**"));
  CHECK_THAT(md, Catch::Contains("| ✅ | checkout | p99 \\< 800ms | 320.0ms ± 2.80ms over 5 "
                                 "replications | 300.0ms ± 2.10ms | -20.0ms ± 1.50ms: passing "
                                 "(better) |"));
  CHECK_THAT(md, Catch::Contains("### Request paths (replication 0, the plain run)"));
}

TEST_CASE("Markdown summary: episodes and verdicts, escaped, only when there are episodes",
          "[markdown]") {
  auto r = tailsim::testing::slo_results();
  CHECK(format_markdown_summary(r).find("### What happened") == std::string::npos);
  tailsim::stats::Episode e;
  e.path = "checkout";
  e.start_s = 62;
  e.end_s = 140;
  e.p99_ms = 2400;
  e.baseline_p99_ms = 180;
  e.error_share = 0.71;
  tailsim::stats::EpisodeCondition& retries = e.conditions.emplace_back();
  retries.kind = "retry_amplification";
  retries.entity = "mid -> db.query";
  retries.start_s = 63;
  retries.end_s = 140;
  retries.value = 3.1;
  retries.baseline = 1.0;
  r.episodes.push_back(e);
  tailsim::stats::MetastableVerdict& v = r.feedback.metastable.emplace_back();
  v.path = "checkout";
  v.trigger = "db-slow";
  v.trigger_end_s = 70;
  v.sustained_by = "mid -> db.query retries";
  const std::string md = format_markdown_summary(r);
  INFO(md);
  CHECK_THAT(md, Catch::Contains("### What happened\n\n- checkout 62 s-140 s: p99 2.40s (baseline "
                                 "180.0ms), 71% errors, during retries to db.query x3.1\n"
                                 "- ❌ checkout did not recover after db-slow ended at 70 s: "
                                 "metastable, sustained by mid -\\> db.query retries\n"));
  // Between the paths and the services.
  CHECK(md.find("### Request paths") < md.find("### What happened"));
  CHECK(md.find("### What happened") < md.find("### Busiest services"));
}
