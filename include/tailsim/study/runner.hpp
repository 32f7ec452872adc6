#pragma once
/// Running many simulations at once: the seed of each replication, and a
/// pool of threads that runs whole simulations and hands back their results
/// in job order, so a study's output never depends on how many threads ran it.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "tailsim/plan/plan.hpp"
#include "tailsim/stats/results.hpp"
#include "tailsim/study/metrics.hpp"

namespace tailsim::study {

/// The seed of replication `index` of a study seeded with `base`.
/// Replication 0 uses `base` itself, so one replication is the plain run;
/// replication i > 0 uses SplitMix64 (Steele, Lea and Flood, "Fast
/// splittable pseudorandom number generators", OOPSLA 2014) of
/// base + i x 0x9E3779B97F4A7C15, shifted right by one bit so that every
/// seed is a valid `--seed` (0 to 2^63 - 1) and each replication can be
/// rerun alone with `tailsim run --seed S`. Each replication's named random
/// streams are derived from its seed, so replications are independent, and
/// replication i of two models shares its streams (common random numbers).
std::uint64_t replication_seed(std::uint64_t base, std::size_t index);

/// The seeds of replications 0 to `count` - 1.
std::vector<std::uint64_t> replication_seeds(std::uint64_t base, std::size_t count);

/// The threads to use when the user named none: the hardware's, at least 1.
unsigned default_jobs();

/// Calls `task(i)` for every i in [0, count) on `jobs` threads (the calling
/// thread is one of them); each thread takes the next index when it is done.
/// `on_done(finished)` is called, one call at a time, after each task. If
/// tasks throw, the exception of the lowest index is rethrown once all have
/// stopped.
void run_in_parallel(std::size_t count, unsigned jobs, const std::function<void(std::size_t)>& task,
                     const std::function<void(std::size_t)>& on_done = {});

/// One batch of a study's simulations, as a JobRunner receives it: jobs 0
/// to `count` - 1, each run by `run(i)`, which returns its measures.
struct JobBatch {
  std::size_t count = 0;
  /// Threads to run them on, in each process that runs some.
  unsigned jobs = 1;
  /// Runs job i in this process. It may throw; a job the study was asked
  /// to stop before has `ran` false.
  std::function<RunMetrics(std::size_t)> run;
  /// Job 0 must run in the process that writes the outputs: it keeps more
  /// than its measures (replication 0 of `run --replications`, in full).
  bool first_here = false;
  /// Called, one call at a time, with the number of jobs finished so far.
  std::function<void(std::size_t)> on_done;
};

/// Where a study's simulations run. Without one, they run on this
/// process's threads (run_batch_here); a runner may share them among
/// processes (MPI ranks), run one share (a shard) or read them back from
/// shards' partial results. Every runner returns the measures of every job,
/// in job order, so the outputs do not depend on where the jobs ran.
class JobRunner {
 public:
  JobRunner() = default;
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;
  virtual ~JobRunner() = default;
  /// The measures of jobs 0 to `batch.count` - 1. If jobs throw, the
  /// exception of the lowest index is rethrown.
  virtual std::vector<RunMetrics> run(const JobBatch& batch) = 0;
  /// The processes that run jobs at once (MPI ranks); a study that runs in
  /// batches (`--precision`) makes its batches this many times wider.
  [[nodiscard]] virtual std::size_t processes() const { return 1; }
};

/// `batch` run on this process's `batch.jobs` threads.
std::vector<RunMetrics> run_batch_here(const JobBatch& batch);

/// What bounds every simulation of a study (components::RunLimits): the
/// memory budget of each, and the flag that asks them all to stop; and
/// where the simulations run.
struct StudyLimits {
  std::uint64_t max_memory_bytes = 0;                 ///< per simulation; 0: none
  const std::atomic<bool>* stop_requested = nullptr;  ///< may be null
  JobRunner* runner = nullptr;                        ///< null: on this process's threads
};

/// `batch` run by `limits.runner`, or on this process's threads without one.
std::vector<RunMetrics> run_batch(const JobBatch& batch, const StudyLimits& limits);

/// Whether the study was asked to stop (StudyLimits::stop_requested set).
bool is_stop_requested(const StudyLimits& limits);

/// One simulation of a study: a plan run with a seed, measured on `slos`.
struct SimulationJob {
  const plan::Plan* plan = nullptr;
  std::uint64_t seed = 0;
  std::span<const stats::SloSpec> slos;
};

/// The request paths of a plan, as Results::paths names them.
std::vector<std::string> path_names(const plan::Plan& plan);

/// `plan` simulated with `seed` instead of its own.
stats::Results simulate_with_seed(const plan::Plan& plan, std::uint64_t seed,
                                  const StudyLimits& limits = {});

/// Runs every job on `jobs` threads and returns their measures in job order.
/// Once `limits` asks to stop, running simulations stop early and jobs not
/// yet started are not run: their measures have `ran` false.
/// `on_progress` receives the share of jobs done (0 to 1), one call at a time.
std::vector<RunMetrics> run_jobs(std::span<const SimulationJob> simulations, unsigned jobs,
                                 const std::function<void(double)>& on_progress = {},
                                 const StudyLimits& limits = {});

}  // namespace tailsim::study
