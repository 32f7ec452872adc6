#include "tailsim/study/partial_results.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tailsim/study/replications.hpp"
#include "tailsim/study/runner.hpp"
#include "tailsim/study/sweep.hpp"
#include "unit/study/study_plans.hpp"

namespace study = tailsim::study;

namespace {

/// The bits of a double: NaN equals NaN, and -0 is not 0.
std::uint64_t bits(double x) {
  return std::bit_cast<std::uint64_t>(x);
}

void check_same(const study::RunMetrics& a, const study::RunMetrics& b) {
  CHECK(a.seed == b.seed);
  CHECK(a.ran == b.ran);
  CHECK(a.stopped_early == b.stopped_early);
  CHECK(a.stop_reason == b.stop_reason);
  REQUIRE(a.paths.size() == b.paths.size());
  for (std::size_t p = 0; p < a.paths.size(); ++p) {
    CHECK(a.paths[p].name == b.paths[p].name);
    CHECK(a.paths[p].unstable == b.paths[p].unstable);
    for (std::size_t m = 0; m < study::metric_count; ++m) {
      CHECK(bits(a.paths[p].values[m]) == bits(b.paths[p].values[m]));
    }
    for (std::size_t m = 0; m < study::latency_metric_count; ++m) {
      CHECK(bits(a.paths[p].all[m]) == bits(b.paths[p].all[m]));
    }
  }
  REQUIRE(a.slo_values.size() == b.slo_values.size());
  for (std::size_t i = 0; i < a.slo_values.size(); ++i) {
    CHECK(bits(a.slo_values[i]) == bits(b.slo_values[i]));
  }
  REQUIRE(a.components.size() == b.components.size());
  for (std::size_t c = 0; c < a.components.size(); ++c) {
    CHECK(a.components[c].kind == b.components[c].kind);
    CHECK(a.components[c].name == b.components[c].name);
    CHECK(a.components[c].is_external == b.components[c].is_external);
    REQUIRE(a.components[c].values.size() == b.components[c].values.size());
    for (std::size_t i = 0; i < a.components[c].values.size(); ++i) {
      CHECK(bits(a.components[c].values[i]) == bits(b.components[c].values[i]));
    }
  }
}

/// Runs a batch's jobs last first, on one thread: any order must give the
/// same study.
class BackwardsRunner final : public study::JobRunner {
 public:
  std::vector<study::RunMetrics> run(const study::JobBatch& batch) override {
    ++batches;
    std::vector<study::RunMetrics> out(batch.count);
    for (std::size_t i = batch.count; i-- > 0;) {
      out[i] = batch.run(i);
    }
    return out;
  }
  std::size_t batches = 0;
};

}  // namespace

TEST_CASE("partial results keep every measure to the bit", "[study][partial_results]") {
  const auto plan = tailsim::testing::compile_text(tailsim::testing::parts_model);
  auto measured = study::measure_run(study::simulate_with_seed(plan, 5), plan.slos);
  REQUIRE_FALSE(measured.components.empty());
  study::RunMetrics odd = measured;
  odd.seed = (std::uint64_t{1} << 63) - 1;
  odd.stopped_early = true;
  odd.stop_reason = "memory: 12:3 lines\nand spaces";
  odd.paths[0].name = "a path with spaces 7:x";
  odd.paths[0].values[0] = std::numeric_limits<double>::quiet_NaN();
  odd.paths[0].values[1] = -0.0;
  odd.paths[0].values[2] = std::numeric_limits<double>::denorm_min();
  odd.paths[0].values[3] = std::numeric_limits<double>::infinity();
  odd.paths[0].values[4] = 0.1 + 0.2;
  odd.slo_values = {std::nextafter(1.0, 2.0), -1e308};
  study::RunMetrics skipped;
  skipped.seed = 9;
  skipped.ran = false;
  const std::vector<study::RunMetrics> runs{measured, odd, skipped};

  const auto back = study::parse_run_metrics(study::format_run_metrics(runs));
  REQUIRE(back.size() == runs.size());
  for (std::size_t i = 0; i < runs.size(); ++i) {
    check_same(runs[i], back[i]);
  }

  study::PartialResults partial;
  partial.study = {"0.1.0", {"sweep", "m.yaml", "--vary", "x=1,2"}, study::text_hash("model")};
  partial.shard = 2;
  partial.shards = 3;
  partial.jobs = 7;
  partial.indexes = {1, 4};
  partial.runs = {measured, odd};
  const std::string text = study::format_partial(partial);
  const auto read = study::parse_partial(text);
  CHECK(read.study == partial.study);
  CHECK(read.shard == 2);
  CHECK(read.shards == 3);
  CHECK(read.jobs == 7);
  CHECK(read.indexes == partial.indexes);
  REQUIRE(read.runs.size() == 2);
  check_same(read.runs[1], odd);

  // Any byte changed, or the end cut, is found.
  for (const std::size_t at : {text.size() / 3, text.size() / 2, text.size() - 30}) {
    std::string changed = text;
    changed[at] = changed[at] == '1' ? '2' : '1';
    CHECK_THROWS_AS(study::parse_partial(changed), std::runtime_error);
    CHECK_THROWS_AS(study::parse_partial(text.substr(0, at)), std::runtime_error);
  }
  CHECK_THROWS_AS(study::parse_partial("version 1\n"), std::runtime_error);
  CHECK_THROWS_AS(study::parse_run_metrics("runs 2\nrun 1 1 0 0: 0\n"), std::runtime_error);
}

TEST_CASE("shards share the jobs: each once, in turn", "[study][partial_results]") {
  for (const bool first_here : {false, true}) {
    std::vector<std::size_t> per_shard(4, 0);
    for (std::size_t i = 0; i < 100; ++i) {
      const std::size_t k = study::shard_of(i, 3, first_here);
      if (first_here && i == 0) {
        CHECK(k == 0);  // the merge runs it
      } else {
        CHECK(k >= 1);
        CHECK(k <= 3);
      }
      ++per_shard[k];
    }
    CHECK(per_shard[0] == (first_here ? 1 : 0));
    for (std::size_t k = 1; k <= 3; ++k) {  // dealt in turn: at most one apart
      CHECK(per_shard[k] >= 33);
      CHECK(per_shard[k] <= 34);
    }
  }
  CHECK(study::shard_of(0, 3, false) == 1);
  CHECK(study::shard_of(1, 3, false) == 2);
  CHECK(study::shard_of(1, 3, true) == 1);
}

TEST_CASE("a study run by another runner, in another order, is the same study",
          "[study][partial_results]") {
  const auto plan = tailsim::testing::compile_text(tailsim::testing::mm1_model);
  study::ReplicationOptions options;
  options.replications = 5;
  options.jobs = 2;
  const auto here = study::replicate(plan, options);
  BackwardsRunner backwards;
  options.limits.runner = &backwards;
  const auto there = study::replicate(plan, options);
  CHECK(backwards.batches == 1);
  CHECK(study::replications_to_json(here, options) == study::replications_to_json(there, options));

  const std::vector<tailsim::plan::Plan> plans{plan, plan};
  const auto sweep_here = study::run_sweep(plans, {study::Vary{"x", {"1", "2"}}}, 3, 2);
  study::StudyLimits limits;
  limits.runner = &backwards;
  const auto sweep_there =
      study::run_sweep(plans, {study::Vary{"x", {"1", "2"}}}, 3, 2, {}, limits);
  CHECK(backwards.batches == 2);
  CHECK(study::sweep_to_csv(sweep_here) == study::sweep_to_csv(sweep_there));
}
