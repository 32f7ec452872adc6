#include "tailsim/report/json_report.hpp"

#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

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
