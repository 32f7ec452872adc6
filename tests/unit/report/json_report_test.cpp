#include "tailsim/report/json_report.hpp"

#include <cmath>
#include <limits>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tailsim/report/json_numbers.hpp"

TEST_CASE("results.json has the analytic mean only when it was estimated", "[report][json]") {
  tailsim::stats::Results r;
  r.paths.resize(2);
  r.paths[0].name = "estimated";
  r.paths[0].analytic_mean_ms = 60.0;
  r.paths[1].name = "outside";
  const auto j = nlohmann::json::parse(tailsim::report::to_json(r));
  CHECK(j["paths"]["estimated"]["analytic_mean_ms"].get<double>() == 60.0);
  CHECK_FALSE(j["paths"]["outside"].contains("analytic_mean_ms"));
}

TEST_CASE("results.json writes numbers without floating-point noise", "[report][json]") {
  tailsim::stats::Results r;
  r.duration_s = 120e9 * 1e-9;  // 120.00000000000001, as nanoseconds scaled give it
  r.warmup_s = 30.000000000000004;
  r.paths.resize(1);
  r.paths[0].name = "p";
  r.paths[0].analytic_mean_ms = 1.8186229999999999;
  REQUIRE(r.duration_s != 120.0);  // the noise is there to remove
  const std::string text = tailsim::report::to_json(r);
  INFO(text);
  CHECK(text.find("\"duration_s\": 120.0,") != std::string::npos);
  CHECK(text.find("\"warmup_s\": 30.0,") != std::string::npos);
  CHECK(text.find("\"analytic_mean_ms\": 1.818623") != std::string::npos);
  CHECK(text.find("0000000000") == std::string::npos);
}

TEST_CASE("JSON numbers keep twelve significant digits", "[report][json]") {
  using tailsim::report::round_for_json;
  CHECK(round_for_json(0.1 + 0.2) == 0.3);
  CHECK(round_for_json(123456.789012345) == 123456.789012);
  CHECK(round_for_json(1.23456789012345e-7) == 1.23456789012e-7);
  CHECK(round_for_json(0) == 0);
  CHECK(round_for_json(-2.5) == -2.5);
  CHECK(std::isinf(round_for_json(std::numeric_limits<double>::infinity())));
}

TEST_CASE("results.json says which schema and which tailsim wrote it", "[report][json]") {
  const auto j = nlohmann::ordered_json::parse(tailsim::report::to_json({}));
  REQUIRE(j.size() > 2);
  CHECK(j.begin().key() == "schema_version");
  CHECK(j["schema_version"] == tailsim::report::results_schema_version);
  CHECK(j["tailsim_version"] == TAILSIM_VERSION);
}
