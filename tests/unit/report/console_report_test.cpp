#include "tailsim/report/console_report.hpp"

#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/slo_results.hpp"

using tailsim::report::ConsoleStyle;
using tailsim::report::to_console;

TEST_CASE("console: the SLO block comes first, k6-style and aligned", "[console]") {
  const std::string text = to_console(tailsim::testing::slo_results(), ConsoleStyle{false});
  INFO(text);
  CHECK(text.rfind("  SLOS\n"
                   "    ✓ checkout           p99 < 800ms  640.2ms\n"
                   "    ✗ checkout           errors < 1%  1.83%\n"
                   "    ✗ search & <browse>  p(99)<1s     no successful request\n\n"
                   "  PATHS\n",
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
