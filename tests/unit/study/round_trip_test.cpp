// The round trip of issue 18: each shipped model's own traces (every request
// of a short run kept, the internal spans left out as real instrumentation
// has none) are imported into a model that calibrates against them. The
// import never sees the model: only OTLP/JSON, as a collector would write it.

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "support/draft_calibration.hpp"
#include "support/simulate.hpp"
#include "support/temp_dir.hpp"
#include "tailsim/report/trace_writers.hpp"
#include "tailsim/study/calibration.hpp"

namespace {

namespace fs = std::filesystem;
using namespace tailsim;

/// The run's traces without their internal spans (cpu, waits, backoff):
/// each child of one hangs under the internal span's parent instead.
void drop_internal_spans(stats::Results& results) {
  for (auto& trace : results.traces) {
    std::map<std::uint64_t, const stats::Span*> by_id;
    for (const auto& span : trace.spans) {
      by_id[span.span_id] = &span;
    }
    std::vector<stats::Span> kept;
    for (const auto& span : trace.spans) {
      if (span.kind == stats::SpanKind::internal) {
        continue;
      }
      stats::Span copy = span;
      auto parent = by_id.find(copy.parent_span_id);
      while (parent != by_id.end() && parent->second->kind == stats::SpanKind::internal) {
        copy.parent_span_id = parent->second->parent_span_id;
        parent = by_id.find(copy.parent_span_id);
      }
      kept.push_back(std::move(copy));
    }
    trace.spans = std::move(kept);
  }
}

/// Runs `model` (a path under the source tree) for `seconds` keeping every
/// request as a trace, imports the traces, and calibrates the draft.
study::Calibration round_trip(const std::string& model, int seconds) {
  const fs::path path = fs::path(TAILSIM_SOURCE_DIR) / model;
  components::RunLimits limits;
  limits.traces = 100'000;
  auto results = components::simulate(
      testing::compile_file(path.string(),
                            {"simulation.duration=" + std::to_string(seconds) + "s"}),
      limits);
  REQUIRE(results.traces_dropped == 0);
  drop_internal_spans(results);
  const testing::TempDir dir("round_trip_" + fs::path(model).stem().string());
  const fs::path traces = dir.path() / "traces.otlp.json";
  {
    std::ofstream out(traces);
    out << report::to_otlp_json(results);
  }
  // The 15 round trips below are one family: each calibrates at 95% / 15
  // (Bonferroni, as calibrate does across one model's figures), which makes
  // a right draft of every model pass all of them together 95 times in 100:
  // the observed intervals allow for correlated requests (batch means) and
  // the simulated side's noise counts (docs/import.md). Run with
  // `simulation.seed` 1 to 16 instead of each model's own, the family
  // passes on all 16. It failed on 5 of 8 before calibrate's intervals
  // allowed for both, and then on 3 of 12 by two biases of the import it
  // found: a call pattern's varying call counts written as a uniform range
  // (ml-inference's draft overloaded), and a far link seen in 19 calls left
  // in the default network (online-boutique's).
  study::CalibrationTolerance tolerance;
  tolerance.family_error = 0.05 / 15;
  return testing::calibrate_draft(traces, dir.path(), {"simulation.duration=40s"}, tolerance);
}

void check_round_trip(const std::string& model, int seconds) {
  const auto c = round_trip(model, seconds);
  INFO(study::calibration_to_console(c, false));
  CHECK(c.figures_compared() > 0);
  CHECK(c.passes());
}

}  // namespace

// Every example and model.
#define TAILSIM_ROUND_TRIP(file, seconds)                            \
  TEST_CASE("round trip: " file, "[study][calibrate][round-trip]") { \
    check_round_trip(file, seconds);                                 \
  }

TAILSIM_ROUND_TRIP("examples/mm1.yaml", 10)
TAILSIM_ROUND_TRIP("examples/fanout-tail.yaml", 6)
TAILSIM_ROUND_TRIP("examples/quickstart.yaml", 8)
TAILSIM_ROUND_TRIP("examples/retry-storm.yaml", 10)
TAILSIM_ROUND_TRIP("examples/circuit-breaker.yaml", 8)
TAILSIM_ROUND_TRIP("examples/thread-pool-exhaustion.yaml", 8)
TAILSIM_ROUND_TRIP("examples/cold-cache.yaml", 8)
TAILSIM_ROUND_TRIP("examples/closed-loop.yaml", 8)
TAILSIM_ROUND_TRIP("examples/backpressure.yaml", 8)
TAILSIM_ROUND_TRIP("examples/async-backlog.yaml", 8)
TAILSIM_ROUND_TRIP("examples/cpu-throttling.yaml", 10)
TAILSIM_ROUND_TRIP("examples/hpa-lag.yaml", 10)
TAILSIM_ROUND_TRIP("models/ml-inference.yaml", 8)
TAILSIM_ROUND_TRIP("models/online-boutique.yaml", 8)

// payments-platform's bank link loses 0.5% of messages, and a lost request
// or answer costs the call its 1.2 s timeout and a retry. The traces show
// the retries' spans, not the loss, and the draft has no `loss:` (docs/
// import.md, "What traces cannot tell"): the p99 of the chain through the
// bank reads low, by 18-23% on 8 seeds of 30 s of traces. Every other
// figure must pass; those three p99s must be low by no more than 35%.
TEST_CASE("round trip: models/payments-platform.yaml", "[study][calibrate][round-trip]") {
  const auto c = round_trip("models/payments-platform.yaml", 10);
  INFO(study::calibration_to_console(c, false));
  const std::set<std::string> lossy = {"payments-api.create-payment",
                                       "payments-api -> bank-gateway.authorize",
                                       "bank-gateway -> bank-api.authorize"};
  std::size_t lossy_p99 = 0;
  for (const auto* items : {&c.paths, &c.edges}) {
    for (const study::CalibrationItem& item : *items) {
      CAPTURE(item.name);
      CHECK(item.problem.empty());
      for (const study::FigureCheck& check : item.figures) {
        CAPTURE(study::figure_name(check.figure));
        if (check.figure == study::Figure::p99 && lossy.contains(item.name)) {
          ++lossy_p99;
          CHECK(check.difference > -0.35);
          CHECK(check.difference < 0.05);
        } else {
          CHECK(check.verdict != study::FigureVerdict::off);
        }
      }
    }
  }
  CHECK(lossy_p99 == lossy.size());
}
