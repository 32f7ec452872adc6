#include "tailsim/report/console_report.hpp"

#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "report_html/sample_results.hpp"
#include "support/slo_results.hpp"
#include "support/text.hpp"

using tailsim::report::ConsoleStyle;
using tailsim::report::to_console;

TEST_CASE("console: the SLO block comes first, k6-style and aligned", "[console]") {
  const std::string text = to_console(tailsim::testing::slo_results(), ConsoleStyle{false});
  INFO(text);
  CHECK(text.rfind("  SLOS\n"
                   "    ✓ checkout           p99 < 800ms  640.2ms\n"
                   "    ✗ checkout           errors < 1%  1.83%\n"
                   "    ✗ search & <browse>  p(99)<1s     no successful request\n\n"
                   "  PATHS ",
                   0) == 0);
  CHECK(text.find('\x1b') == std::string::npos);
}

TEST_CASE("console: a very long name does not push every line past 80 columns", "[console]") {
  auto r = tailsim::testing::slo_results();
  r.slos[1].path = std::string(60, 'x');
  const std::string text = to_console(r, ConsoleStyle{false});
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);
  std::getline(lines, line);
  CHECK(line == "    ✓ checkout              p99 < 800ms  640.2ms");
}

TEST_CASE("console: marks are coloured only when the style says so", "[console]") {
  const std::string text = to_console(tailsim::testing::slo_results(), ConsoleStyle{true});
  CHECK_THAT(text, Catch::Contains("\x1b[31m✗\x1b[0m checkout"));
  CHECK_THAT(text, Catch::Contains("\x1b[32m✓\x1b[0m checkout"));
}

using tailsim::testing::contains;

namespace {

using tailsim::report::attribution_section;
using tailsim::testing::sample_results;

}  // namespace

TEST_CASE("the attribution table shows the mean and the slowest 1% side by side",
          "[console_report]") {
  const std::string text = attribution_section(sample_results());
  INFO(text);
  CHECK(contains(text, "WHERE THE TIME WENT"));
  // Ordered by the slowest 1%: the failed attempts lead, though the mean has none.
  CHECK(contains(text,
                 "      bank-api failed attempts            0us   0%   480.0ms  75%\n"
                 "      payments waiting for a worker    60.0ms  50%   128.0ms  20%\n"
                 "      bank-api delay steps             40.0ms  33%    32.0ms   5%\n"
                 "      bank-api network                 20.0ms  17%       0us   0%\n"));
  CHECK_FALSE(contains(text, "browse"));           // no attribution: no rows made up
  CHECK_FALSE(contains(text, "everything else"));  // the parts cover it all
}

TEST_CASE("the console summary fits an 80-column terminal", "[console_report]") {
  std::istringstream lines(to_console(sample_results()));
  for (std::string line; std::getline(lines, line);) {
    INFO(line);
    // Count characters, not bytes: ✓ and · are one column each.
    std::size_t columns = 0;
    for (unsigned char c : line) {
      columns += (c & 0xC0) != 0x80 ? 1 : 0;
    }
    CHECK(columns <= 80);
  }
}

TEST_CASE("no attribution, no section", "[console_report]") {
  CHECK(attribution_section(tailsim::stats::Results{}).empty());
}

TEST_CASE("the console shows the analytic mean under its path", "[report][console]") {
  tailsim::stats::Results r;
  r.paths.resize(1);
  r.paths[0].name = "main";
  CHECK(tailsim::report::to_console(r).find("analytic estimate") == std::string::npos);
  r.paths[0].analytic_mean_ms = 60.0;
  CHECK(tailsim::report::to_console(r).find("analytic estimate: mean=60.0ms") != std::string::npos);
}

TEST_CASE("console: the SERVICES columns stay apart however wide the values", "[console]") {
  tailsim::stats::Results r;
  r.paths.resize(1);
  r.paths[0].name = "main";
  tailsim::stats::ServiceResult s;
  s.name = "a-service-with-a-name-longer-than-its-column";
  s.requests = 123'456'789'012;
  s.utilization = 1.0;
  s.queue_mean = 180775.92;
  s.rejected = 98'765'432'109;
  s.replicas = {3, 3, 3};
  r.services.push_back(s);
  const std::string text = to_console(r, ConsoleStyle{false});
  INFO(text);
  CHECK_THAT(text, Catch::Contains("a-service-with-a-name-longer-than-its-column 123456789012  "
                                   "100.0% 180775.92 98765432109  3\n"));
  // Ordinary values keep their columns.
  r.services[0] = {};
  r.services[0].name = "api";
  r.services[0].requests = 1200;
  r.services[0].utilization = 0.5;
  r.services[0].queue_mean = 0.25;
  r.services[0].replicas = {2, 2, 2};
  CHECK_THAT(to_console(r, ConsoleStyle{false}),
             Catch::Contains("    api              1200   50.0%   0.25        0  2\n"));
}

TEST_CASE("console: a run stopped early and an unstable path say so", "[console]") {
  tailsim::stats::Results r;
  r.paths.resize(1);
  r.paths[0].name = "main";
  r.paths[0].unstable = true;
  r.stopped_early = true;
  r.simulated_s = 42.5;
  r.stop_reason = "memory budget: live work reached 9.0 MiB of the 8.0 MiB budget";
  const std::string text = to_console(r, ConsoleStyle{false});
  CHECK(text.rfind("  STOPPED EARLY after 42.5s simulated: memory budget: live work reached 9.0 "
                   "MiB of the 8.0 MiB budget\n",
                   0) == 0);
  CHECK_THAT(text, Catch::Contains("UNSTABLE (its backlog grew without bound):"));
}

TEST_CASE("console: every service with wasted work gets its goodput line", "[console]") {
  // back wasted CPU on requests whose root gave up (arrived in the warm-up,
  // so none counted as orphaned) and retried nothing: the line still shows.
  tailsim::stats::Results r;
  r.paths.resize(1);
  r.paths[0].name = "main";
  auto served = [](const char* name, double goodput_rps, double wasted_cpu_s) {
    tailsim::stats::ServiceResult s;
    s.name = name;
    s.goodput_rps = goodput_rps;
    s.wasted_cpu_s = wasted_cpu_s;
    return s;
  };
  const auto clean = served("front", 10, 0);
  const auto back = served("back", 2.5, 3.75);
  r.services = {clean, back};
  const std::string text = to_console(r, ConsoleStyle{false});
  INFO(text);
  CHECK_THAT(text, Catch::Contains("goodput=2.5/s wasted cpu=3.8s orphaned=0"));
  CHECK(text.find("goodput=10.0/s") == std::string::npos);  // nothing wasted at front
}

TEST_CASE("console: a path with failures shows all requests' latency, and warns when they are many",
          "[console]") {
  using tailsim::stats::Outcome;
  tailsim::stats::Results r;
  r.paths.resize(2);
  auto& checkout = r.paths[0];
  checkout.name = "checkout";
  checkout.requests = 1000;
  checkout.outcomes[Outcome::ok] = 134;
  checkout.outcomes[Outcome::timeout] = 866;
  checkout.latency.record(248'500'000, 134);
  checkout.latency_all.record(248'500'000, 134);
  checkout.latency_all.record(2'000'000'000, 866);
  auto& browse = r.paths[1];
  browse.name = "browse";
  browse.requests = 100;
  browse.outcomes[Outcome::ok] = 100;
  browse.latency.record(5'000'000, 100);
  browse.latency_all.record(5'000'000, 100);
  const std::string text = to_console(r, ConsoleStyle{false});
  INFO(text);
  CHECK_THAT(text,
             Catch::Contains("    checkout        248.5ms  248.5ms  248.5ms  248.5ms  248.5ms  "
                             "248.5ms\n"
                             "      all requests    1.77s    2.00s    2.00s    2.00s    2.00s  "
                             "  2.00s\n"
                             "      requests=1000 ok=134 errors=866 (86.60%) timeout=866 0.0/s\n"
                             "      warning: 86.6% failed; the latency above counts the "
                             "successes only\n"
                             "    browse"));
  // A path without failures keeps its one row and no warning.
  CHECK_THAT(text,
             Catch::Contains("    browse           5.00ms   5.00ms   5.00ms   5.00ms   5.00ms  "
                             " 5.00ms\n      requests=100 ok=100 errors=0 (0.00%) 0.0/s\n\n"));
  CHECK(text.find("warning:") == text.rfind("warning:"));

  // Under 10% failed: the second row, but no warning.
  checkout.outcomes[Outcome::ok] = 950;
  checkout.outcomes[Outcome::timeout] = 50;
  CHECK(to_console(r, ConsoleStyle{false}).find("warning:") == std::string::npos);
  CHECK(to_console(r, ConsoleStyle{false}).find("all requests") != std::string::npos);
}
