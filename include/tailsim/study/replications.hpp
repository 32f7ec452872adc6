#pragma once
/// `run --replications N` and `--precision P%`: one model run with N
/// independent seeds, every path metric reported as a mean with its 95%
/// confidence half-width.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tailsim/plan/plan.hpp"
#include "tailsim/report/slo_text.hpp"
#include "tailsim/stats/results.hpp"
#include "tailsim/study/confidence.hpp"
#include "tailsim/study/metrics.hpp"
#include "tailsim/study/runner.hpp"

namespace tailsim::study {

struct ReplicationOptions {
  std::size_t replications = 1;  ///< without `precision`: exactly this many
  /// When not empty, the seeds of the replications themselves (`--seed 1..5`),
  /// `replications` of them, the first the plan's own; else each is derived
  /// from the plan's seed (replication_seed). Not with `precision`.
  std::vector<std::uint64_t> seeds;
  /// Replicate until every path's p99 half-width is at most this share of
  /// its mean (0.05 for 5%), from `min_replications` up to `max_replications`.
  std::optional<double> precision;
  std::size_t min_replications = 3;
  std::size_t max_replications = 50;
  unsigned jobs = 1;
  /// What replication 0, the plain run, also records as `tailsim run` would
  /// (components::RunLimits): where the time went, and requests as traces.
  bool attribution = false;
  std::uint32_t traces = 0;
  StudyLimits limits;  ///< the memory budget of each replication, the stop flag
};

struct ReplicatedRun {
  stats::Results first;  ///< replication 0 in full: the plain run with the base seed
  std::vector<RunMetrics> runs;
  std::vector<PathEstimates> paths;
  std::vector<ComponentEstimates> components;
  std::vector<SloEstimate> slos;
  /// With `precision`: whether it was reached before `max_replications`.
  bool precision_met = true;
  /// The replications asked for, those that ran (fewer once interrupted)
  /// and those that stopped early; `runs` holds only those that ran.
  RunCoverage coverage;
  bool interrupted = false;  ///< the stop flag was set: the study stopped

  [[nodiscard]] bool all_slos_ok() const;
  /// `first` with its SLO checks replaced by those on the mean, and each
  /// path unstable when any replication judged it so: the form results.json
  /// and the exit code use.
  [[nodiscard]] stats::Results first_with_mean_slos() const;
};

/// Whether every path with successful requests has a p99 half-width within
/// `precision` of its mean. Paths where no request succeeded have no p99 to
/// estimate and are left out.
bool is_precise(const std::vector<PathEstimates>& paths, double precision);

/// Runs the replications of `plan` (its seed is the base seed).
/// `on_progress` receives the share done, one call at a time.
ReplicatedRun replicate(const plan::Plan& plan, const ReplicationOptions& options,
                        const std::function<void(double)>& on_progress = {});

}  // namespace tailsim::study

namespace tailsim::study {

/// The console summary of replications: SLO checks on the mean, then each
/// path's metrics as mean ± half-width, and whether the precision asked for
/// was reached.
std::string replications_to_console(const ReplicatedRun& run, const ReplicationOptions& options,
                                    bool color);

/// The SLO checks of a replicated run as the JUnit file and the Markdown
/// summary state them: each check's half-width and replications, beside
/// `first_with_mean_slos()`'s means.
report::SloStudy slo_study(const ReplicatedRun& run);

/// results.json of a replicated run: every key of replication 0 (the plain
/// run with the base seed; SLO checks on the mean), plus `replications`:
/// `{"n", "seeds", "precision"?, "paths": {"<p>": {"latency_ms": {"mean":
/// {"mean", "half_width"}, "p50", ...}, "errors_share", "throughput_rps"}},
/// "slos": [{"path", "check", "mean", "half_width", "ok"}]}`. A half-width
/// that does not exist (one replication) is null.
std::string replications_to_json(const ReplicatedRun& run, const ReplicationOptions& options);

/// The "Replications" section of report.html (report::HtmlReportInputs):
/// the SLO checks on the mean, every path metric and every service, cache
/// and queue metric as mean ± half-width, in tables.
std::string replications_to_html(const ReplicatedRun& run);

}  // namespace tailsim::study
