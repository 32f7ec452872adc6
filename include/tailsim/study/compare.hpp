#pragma once
/// `tailsim compare A B`: paired replications with common random numbers.
/// Replication i of both models uses the same seed, so each named random
/// stream (arrivals, every step's draws, every link) gives both the same
/// numbers and the two runs differ by the change between the models, not by
/// noise. Per metric the difference d_i = B_i - A_i is estimated as
/// mean(d) ± t(0.975, n - 1) s_d / sqrt(n) (the paired-t interval; Law,
/// "Simulation Modeling and Analysis", 5th ed., section 10.2.1).

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tailsim/plan/plan.hpp"
#include "tailsim/report/slo_text.hpp"
#include "tailsim/study/confidence.hpp"
#include "tailsim/study/metrics.hpp"
#include "tailsim/study/runner.hpp"

namespace tailsim::study {

enum class Verdict : std::uint8_t { better, worse, no_significant_change };

/// "better", "worse", "no significant change".
std::string_view verdict_name(Verdict verdict);

/// A difference B - A is significant when its 95% interval excludes zero;
/// it is then better or worse by the metric's direction.
Verdict judge(const Estimate& difference, bool lower_is_better);

/// One metric of both models and their paired difference.
struct Difference {
  Estimate a;
  Estimate b;
  Estimate b_minus_a;
  Verdict verdict = Verdict::no_significant_change;
};

/// Pairs a[i] with b[i]. A NaN (a value a replication could not measure)
/// makes its estimates NaN; see compare_measured_pairs.
Difference compare_paired(std::span<const double> a, std::span<const double> b,
                          bool lower_is_better);

/// For a value some replications could not measure (NaN): a path's latency,
/// which a replication where nothing succeeded lacks. A and B are each
/// estimated over the replications that measured them, the difference over
/// the pairs where both did; `n` of each estimate counts them.
Difference compare_measured_pairs(std::span<const double> a, std::span<const double> b,
                                  bool lower_is_better);

struct PathComparison {
  std::string name;
  std::array<Difference, metric_count> metrics;
  /// The latency over all requests, failures included (PathMetrics::all).
  std::array<Difference, latency_metric_count> all{};
  /// The replications of each model that judged the path unstable.
  std::size_t a_unstable = 0;
  std::size_t b_unstable = 0;

  [[nodiscard]] const Difference& operator[](Metric m) const {
    return metrics[static_cast<std::size_t>(m)];
  }
};

/// One service, queue or cache both models have: each of its metrics
/// (component_metrics(kind)) on A and B and paired as B - A. The verdicts
/// are left as no significant change: whether more is better depends on
/// the metric (more requests, more utilization), so the outputs say which
/// way it changed instead (component_change).
struct ComponentComparison {
  ComponentKind kind = ComponentKind::service;
  std::string name;
  bool is_external = false;
  std::vector<Difference> metrics;  ///< one per component_metrics(kind) entry

  [[nodiscard]] const Difference& operator[](std::string_view metric) const {
    return metrics[component_metric_index(kind, metric)];
  }
};

/// "higher" or "lower" when the interval of B - A excludes zero, else "no
/// significant change".
std::string_view component_change(const Difference& difference);

/// An SLO check of model B, measured on both models.
struct SloComparison {
  std::string path;
  SloCheck check;
  Difference difference;  ///< in the unit of the threshold
  bool b_ok = false;      ///< B's mean passes the check
  /// Replications where B could not measure the check (a latency with no
  /// successful request) and A could: B is worse there whatever the numbers.
  std::size_t b_unmeasured = 0;
  /// Replications that judged the check's path unstable in B, and of those
  /// the ones where A's path was stable. B fails a check on an unstable path.
  std::size_t b_unstable = 0;
  std::size_t b_unstable_alone = 0;
  /// A regression: B is significantly worse than A on this check's metric,
  /// lost every successful request in a replication where A had some, or
  /// became unstable in a replication where A was stable, and B fails the
  /// check. A check B fails as badly as A did is no regression: it was
  /// failing before the change.
  bool regression = false;
  /// The CI gate, the verdict `run B --replications N` gives on the same
  /// seeds: B fails the check (its mean fails it, or a replication judged
  /// its path unstable or stopped early), whether or not A failed it too.
  /// One gate, one verdict: `regression` says whether the change caused it.
  bool fails_gate = false;
};

struct Comparison {
  std::vector<std::uint64_t> seeds;
  std::vector<PathComparison> paths;  ///< paths of both models, in B's order
  std::vector<std::string> only_in_a;
  std::vector<std::string> only_in_b;
  std::vector<SloComparison> slos;  ///< B's checks whose path A also has
  /// The services, queues and caches of both models, in B's order; those of
  /// one model only as "service/name".
  std::vector<ComponentComparison> components;
  std::vector<std::string> components_only_in_a;
  std::vector<std::string> components_only_in_b;
  /// Each model's replications: asked for, run, stopped early. The
  /// estimates are over the pairs where both ran, stopped ones included.
  RunCoverage a_coverage;
  RunCoverage b_coverage;
  /// Pairs where B stopped early and A ran to its end: B's change made the
  /// run outgrow its budget, and the gate fails.
  std::size_t b_stopped_alone = 0;
  bool interrupted = false;  ///< the stop flag was set: the comparison stopped

  /// B's SLO gate: a check fails it, or B stopped early where A did not.
  [[nodiscard]] bool gate_fails() const;
  /// Whether a replication of either model stopped early.
  [[nodiscard]] bool has_stopped_runs() const;
};

/// Runs `replications` of both plans on `jobs` threads, replication i of
/// both with the i-th seed derived from A's seed (or the i-th of `seeds`,
/// `replications` of them, when given: `--seed 1..5`), and compares them.
/// B's SLO checks on paths A also has are measured on both.
Comparison compare_plans(const plan::Plan& a, const plan::Plan& b, std::size_t replications,
                         unsigned jobs, const std::function<void(double)>& on_progress = {},
                         const StudyLimits& limits = {}, std::span<const std::uint64_t> seeds = {});

/// Compares replications already run: a[i] and b[i] share a seed, and
/// slo_values[k] of both measure `b_slos[k]`. The coverages are those of
/// `a` and `b`, every run of which ran.
Comparison compare_runs(std::span<const RunMetrics> a, std::span<const RunMetrics> b,
                        std::span<const stats::SloSpec> b_slos,
                        const std::vector<std::string>& b_path_names);

/// Why a check passes or fails the gate, in words: "significantly worse,
/// and failing", "failing, but not significantly worse than A", "passing
/// (no significant change)".
std::string gate_reason(const SloComparison& slo, std::size_t replications);

/// B's SLO checks as a `Results` the JUnit and Markdown writers take: B's
/// model name, the base seed and B's durations, each check on B's mean,
/// failing when it fails the gate; no paths.
stats::Results comparison_slo_results(const Comparison& comparison, const plan::Plan& b);

/// The A side, half-widths and verdicts of those checks; `a_name` names A.
report::SloStudy comparison_slo_study(const Comparison& comparison, const std::string& a_name);

/// The components' table for people: a header row (component, metric, A,
/// B, B - A, change), then per component the metrics of a plain run's
/// SERVICES, QUEUES and CACHES tables (a service's requests, utilization,
/// queue_mean, rejected and replicas) and any other metric that is not 0 in
/// A or B, each as mean ± half-width; the component's name on its first row
/// only.
std::vector<std::vector<std::string>> comparison_component_table(const Comparison& comparison);

/// The console form: per path, each metric's A, B, difference and verdict;
/// the services, queues and caches; then the SLO gate.
std::string comparison_to_console(const Comparison& comparison, bool color);

/// The JSON form: {"replications", "seeds", "paths": {"<p>": {"<metric>":
/// {"a": {"mean", "half_width"}, "b": {...}, "difference": {...},
/// "verdict"}}}, "only_in_a", "only_in_b", "services", "queues" and
/// "caches" ({"<name>": {"<metric>": {"a", "b", "difference", "change"}}},
/// nested as results.json nests them), "slos": [...], "gate": "pass" |
/// "fail"}.
std::string comparison_to_json(const Comparison& comparison);

}  // namespace tailsim::study
