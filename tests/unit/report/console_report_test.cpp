#include "tailsim/report/console_report.hpp"

#include <string>

#include <catch2/catch.hpp>

TEST_CASE("the console shows the analytic mean under its path", "[report][console]") {
  tailsim::stats::Results r;
  r.paths.resize(1);
  r.paths[0].name = "main";
  CHECK(tailsim::report::to_console(r).find("analytic estimate") == std::string::npos);
  r.paths[0].analytic_mean_ms = 60.0;
  CHECK(tailsim::report::to_console(r).find("analytic estimate: mean=60.0ms") !=
        std::string::npos);
}
