#include "tailsim/report/junit_writer.hpp"

#include <string>

#include <catch2/catch.hpp>

#include "support/slo_results.hpp"

using tailsim::report::format_junit;
using tailsim::report::JunitInputs;

namespace {

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("JUnit: one test case per SLO check, failures with value and threshold", "[junit]") {
  const std::string xml =
      format_junit(tailsim::testing::slo_results(), JunitInputs{"models/shop.yaml", 3.4121});
  INFO(xml);
  CHECK(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites ", 0) == 0);
  CHECK(occurrences(xml, "<testcase ") == 3);
  CHECK(occurrences(xml, "<failure ") == 2);
  const char* expected[] = {
      "<testsuites name=\"tailsim\" tests=\"3\" failures=\"2\" errors=\"0\" time=\"3.412\">",
      "<testsuite name=\"tailsim: shop &lt;demo&gt; &amp; co\" tests=\"3\" failures=\"2\" "
      "errors=\"0\" skipped=\"0\" time=\"3.412\" file=\"models/shop.yaml\">",
      "<testcase classname=\"slo.checkout\" name=\"p99 &lt; 800ms\" time=\"0\"/>",
      "<testcase classname=\"slo.checkout\" name=\"errors &lt; 1%\" time=\"0\">\n      <failure "
      "message=\"errors = 1.83%, threshold &lt; 1%\" type=\"slo\">path checkout: 5890 ok of 6000 "
      "requests, 110 failed (1.83%), 58.9/s\n",
      "model shop &lt;demo&gt; &amp; co, seed 7, 100s measured after 20s warm-up\n</failure>",
      // Names are escaped everywhere, and a check with nothing measured says so.
      "<testcase classname=\"slo.search &amp; &lt;browse&gt;\" name=\"p(99)&lt;1s\" "
      "time=\"0\">\n      <failure message=\"p(99) = no successful request, threshold &lt; 1s\"",
      "path search &amp; &lt;browse&gt;: 0 ok of 5 requests",
      // The run, to reproduce it.
      "<property name=\"seed\" value=\"7\"/>",
      "<property name=\"model\" value=\"shop &lt;demo&gt; &amp; co\"/>",
      "<property name=\"duration\" value=\"100s\"/>",
  };
  for (const char* fragment : expected) {
    CHECK_THAT(xml, Catch::Contains(fragment));
  }
  CHECK(xml.find("<browse") == std::string::npos);
  CHECK(xml.find("<demo") == std::string::npos);
  CHECK(xml.find("<system-out>") == std::string::npos);
  CHECK(xml.substr(xml.size() - 29) == "  </testsuite>\n</testsuites>\n");
}

TEST_CASE("JUnit: a model without SLOs is a valid empty suite that says so", "[junit]") {
  auto r = tailsim::testing::slo_results();
  r.slos.clear();
  r.model.clear();
  const std::string xml = format_junit(r, JunitInputs{"ci/checkout-path.yaml", 0.5});
  INFO(xml);
  CHECK_THAT(xml, Catch::Contains("<testsuite name=\"tailsim: checkout-path\" tests=\"0\" "
                                  "failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0.500\""));
  CHECK(occurrences(xml, "<testcase ") == 0);
  CHECK_THAT(xml, Catch::Contains("<system-out>Model checkout-path has no SLOs"));
}

TEST_CASE("JUnit: text XML 1.0 cannot carry is replaced, line breaks survive attributes",
          "[junit]") {
  auto r = tailsim::testing::slo_results();
  // A control character, a bare continuation byte, a truncated sequence, an
  // overlong '/', a UTF-16 surrogate, and then well-formed UTF-8.
  r.model = std::string("a\x01 b\x80 c\xE2\x82 d\xC0\xAF e\xED\xA0\x80 ") + "naïve €";
  r.slos = {tailsim::testing::slo_result("two\nlines\t\"q\"", "p99 < 400ms", 1, true)};
  const std::string xml = format_junit(r, JunitInputs{});
  INFO(xml);
  const std::string fffd = "\xEF\xBF\xBD";
  CHECK_THAT(xml, Catch::Contains("name=\"tailsim: a" + fffd + " b" + fffd + " c" + fffd + fffd +
                                  " d" + fffd + fffd + " e" + fffd + fffd + fffd + " naïve €\""));
  CHECK_THAT(xml, Catch::Contains("classname=\"slo.two&#10;lines&#9;&quot;q&quot;\""));
  CHECK(xml.find(" file=") == std::string::npos);
}

TEST_CASE("JUnit: a study states each check's mean ± half-width over N, and A's side", "[junit]") {
  auto r = tailsim::testing::slo_results();
  tailsim::report::SloStudy replicated;
  for (std::size_t i = 0; i < r.slos.size(); ++i) {
    tailsim::report::SloStudyCheck check;
    check.half_width = 2.8;
    check.replications = 5;
    replicated.checks.push_back(check);
  }
  r.slos[0].value = 320;
  const std::string run = format_junit(r, JunitInputs{"models/shop.yaml", 1}, replicated);
  INFO(run);
  // The passing check says its estimate too, in its own system-out.
  CHECK_THAT(run, Catch::Contains("name=\"p99 &lt; 800ms\" time=\"0\">\n      <system-out>p99 = "
                                  "320.0ms ± 2.80ms over 5 replications</system-out>"));
  CHECK_THAT(run, Catch::Contains("<property name=\"replications\" value=\"5\"/>"));
  // The failure's body says the mean first, then replication 0's details as such.
  CHECK_THAT(run, Catch::Contains("replication 0 in full (the plain run): path checkout"));
  CHECK(run.find("baseline_model") == std::string::npos);

  tailsim::report::SloStudy compared = replicated;
  compared.baseline = "shop-a";
  compared.checks[0].has_baseline = true;
  compared.checks[0].a_mean = 300;
  compared.checks[0].a_half_width = 2.1;
  compared.checks[0].difference = 20;
  compared.checks[0].difference_half_width = 1.5;
  compared.checks[0].verdict = "passing (worse)";
  const std::string compare = format_junit(r, JunitInputs{"models/shop.yaml", 1}, compared);
  INFO(compare);
  CHECK_THAT(compare, Catch::Contains("<system-out>p99 = 320.0ms ± 2.80ms over 5 replications; "
                                      "A 300.0ms ± 2.10ms, B - A +20.0ms ± 1.50ms: passing "
                                      "(worse)</system-out>"));
  CHECK_THAT(compare, Catch::Contains("<property name=\"baseline_model\" value=\"shop-a\"/>"));
}
