#include "tailsim/model/slo.hpp"

#include <catch2/catch.hpp>

namespace m = tailsim::model;

TEST_CASE("SLO checks of SPEC.md parse", "[slo]") {
  auto p99 = m::parse_slo_check("p99 < 400ms");
  REQUIRE(p99.ok());
  CHECK(p99->metric == m::SloMetric::percentile);
  CHECK(p99->percentile == 99);
  CHECK(p99->op == m::Comparison::less);
  CHECK(p99->threshold == 400);

  auto p999 = m::parse_slo_check("p99.9 <= 1.5s");
  REQUIRE(p999.ok());
  CHECK(p999->percentile == Approx(99.9));
  CHECK(p999->op == m::Comparison::less_equal);
  CHECK(p999->threshold == 1500);

  auto errors = m::parse_slo_check("errors < 0.5%");
  REQUIRE(errors.ok());
  CHECK(errors->metric == m::SloMetric::errors);
  CHECK(errors->threshold == Approx(0.005));
  CHECK(m::parse_slo_check("errors < 0.005")->threshold == Approx(0.005));

  auto throughput = m::parse_slo_check("throughput > 380/s");
  REQUIRE(throughput.ok());
  CHECK(throughput->metric == m::SloMetric::throughput);
  CHECK(throughput->op == m::Comparison::greater);
  CHECK(throughput->threshold == Approx(380));
  CHECK(m::parse_slo_check("throughput >= 24000/m")->threshold == Approx(400));

  CHECK(m::parse_slo_check("mean < 50ms")->metric == m::SloMetric::mean);
  CHECK(m::parse_slo_check("max < 2s")->metric == m::SloMetric::max);
}

TEST_CASE("a parsed check keeps its term and threshold as written, its promise spaced regularly",
          "[slo]") {
  const auto p99 = m::parse_slo_check("p99 < 400ms");
  REQUIRE(p99.ok());
  CHECK(p99->text == "p99 < 400ms");
  CHECK(p99->term == "p99");
  CHECK(p99->threshold_text == "400ms");
  CHECK(p99->promise() == "< 400ms");
  const auto k6 = m::parse_slo_check("  p(99.9)<=1.5s ");
  REQUIRE(k6.ok());
  CHECK(k6->term == "p(99.9)");
  CHECK(k6->promise() == "<= 1.5s");
  CHECK(m::parse_slo_check("throughput>=380/s")->promise() == ">= 380/s");
  CHECK(m::parse_slo_check("errors > 0.5%")->promise() == "> 0.5%");
  CHECK(m::parse_slo_check("errors < 0.5%")->term == "errors");
  CHECK(m::parse_slo_check("avg\t<\t3ms")->term == "avg");
}

TEST_CASE("k6 spellings are accepted", "[slo]") {
  CHECK(m::parse_slo_check("p(95) < 200ms")->percentile == 95);
  CHECK(m::parse_slo_check("avg<100ms")->metric == m::SloMetric::mean);
  auto med = m::parse_slo_check("med < 80ms");
  REQUIRE(med.ok());
  CHECK(med->metric == m::SloMetric::percentile);
  CHECK(med->percentile == 50);

  struct Case {
    const char* text;
    m::SloMetric metric;
    double percentile;
    m::Comparison op;
    double threshold_ms;
  };
  using enum m::SloMetric;
  using enum m::Comparison;
  for (const Case& c : {Case{"p(99) <= 400ms", percentile, 99, less_equal, 400},
                        Case{"p(99.9)>=2ms", percentile, 99.9, greater_equal, 2},
                        Case{"avg >= 1s", mean, 0, greater_equal, 1000},
                        Case{"med <= 80ms", percentile, 50, less_equal, 80}}) {
    INFO(c.text);
    auto check = m::parse_slo_check(c.text);
    REQUIRE(check.ok());
    CHECK(check->metric == c.metric);
    CHECK(check->percentile == Approx(c.percentile));
    CHECK(check->op == c.op);
    CHECK(check->threshold == Approx(c.threshold_ms));
    CHECK(check->text == c.text);
  }
  CHECK_FALSE(m::parse_slo_check("p() < 1s").ok());
  CHECK_FALSE(m::parse_slo_check("p(99 < 1s").ok());
  CHECK_FALSE(m::parse_slo_check("p(100) < 1s").ok());
}

TEST_CASE("bad SLO checks say what is wrong and where", "[slo]") {
  auto unit = m::parse_slo_check("p99 < 400");
  REQUIRE_FALSE(unit.ok());
  CHECK_THAT(unit.error().message, Catch::Contains("unit"));
  CHECK(unit.error().offset == 6);

  auto term = m::parse_slo_check("p101 < 1s");
  REQUIRE_FALSE(term.ok());
  CHECK_THAT(term.error().message, Catch::Contains("'p101' is not a percentile"));

  auto op = m::parse_slo_check("p99 = 1s");
  REQUIRE_FALSE(op.ok());
  CHECK(op.error().offset == 4);

  auto unknown = m::parse_slo_check("latency < 1s");
  REQUIRE_FALSE(unknown.ok());
  CHECK_THAT(unknown.error().message, Catch::Contains("unknown SLO term 'latency'"));

  CHECK_FALSE(m::parse_slo_check("errors < 150%").ok());
  CHECK_FALSE(m::parse_slo_check("p99 <").ok());
  CHECK_FALSE(m::parse_slo_check("").ok());
  CHECK_FALSE(m::parse_slo_check("throughput > fast").ok());
}
