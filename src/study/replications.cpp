#include "tailsim/study/replications.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <span>

#include "tailsim/components/simulation.hpp"
#include "tailsim/study/runner.hpp"

namespace tailsim::study {

bool ReplicatedRun::all_slos_ok() const {
  return std::all_of(slos.begin(), slos.end(), [](const SloEstimate& s) { return s.ok; });
}

stats::Results ReplicatedRun::first_with_mean_slos() const {
  stats::Results out = first;
  for (std::size_t i = 0; i < out.slos.size() && i < slos.size(); ++i) {
    out.slos[i].value = slos[i].value.mean;
    out.slos[i].ok = slos[i].ok;
  }
  for (std::size_t p = 0; p < out.paths.size() && p < paths.size(); ++p) {
    out.paths[p].unstable = out.paths[p].unstable || paths[p].unstable > 0;
  }
  return out;
}

bool is_precise(const std::vector<PathEstimates>& paths, double precision) {
  return std::all_of(paths.begin(), paths.end(), [&](const PathEstimates& p) {
    const Estimate& p99 = p[Metric::p99];
    return !(p99.mean > 0) || (p99.has_interval() && p99.half_width <= precision * p99.mean);
  });
}

ReplicatedRun replicate(const plan::Plan& plan, const ReplicationOptions& options,
                        const std::function<void(double)>& on_progress) {
  ReplicatedRun out;
  const std::size_t cap = options.precision ? std::max<std::size_t>(options.max_replications, 1)
                                            : std::max<std::size_t>(options.replications, 1);
  const std::size_t first_batch =
      options.precision ? std::min(cap, std::max<std::size_t>(options.min_replications, 2)) : cap;
  assert((options.seeds.empty() || (!options.precision && options.seeds.size() == cap &&
                                    options.seeds.front() == plan.seed)) &&
         "listed seeds: one per replication, the first the plan's, no precision");
  const std::vector<std::uint64_t> seeds =
      options.seeds.empty() ? replication_seeds(plan.seed, cap) : options.seeds;
  const unsigned jobs = std::max(options.jobs, 1U);

  // Runs replications [from, to); replication 0 keeps its full results (in
  // the process that writes the outputs: JobBatch::first_here).
  auto run_replication_batch = [&](std::size_t from, std::size_t to) {
    JobBatch batch;
    batch.count = to - from;
    batch.jobs = jobs;
    batch.first_here = from == 0;
    batch.run = [&](std::size_t k) {
      const std::size_t i = from + k;
      if (i != 0 && is_stop_requested(options.limits)) {  // start no new replication
        RunMetrics skipped;
        skipped.seed = seeds[i];
        skipped.ran = false;
        return skipped;
      }
      if (i != 0) {
        return measure_run(simulate_with_seed(plan, seeds[i], options.limits), plan.slos);
      }
      // The plain run: its seed is the plan's.
      components::RunLimits limits;
      limits.attribution = options.attribution;
      limits.traces = options.traces;
      limits.max_memory_bytes = options.limits.max_memory_bytes;
      limits.stop_requested = options.limits.stop_requested;
      stats::Results results = components::simulate(plan, limits);
      RunMetrics measured = measure_run(results, plan.slos);
      out.first = std::move(results);
      return measured;
    };
    batch.on_done = [&](std::size_t finished) {
      if (on_progress) {
        on_progress(static_cast<double>(from + finished) / static_cast<double>(cap));
      }
    };
    auto measured = run_batch(batch, options.limits);
    out.runs.resize(to);
    std::move(measured.begin(), measured.end(),
              out.runs.begin() + static_cast<std::ptrdiff_t>(from));
  };

  run_replication_batch(0, first_batch);
  if (options.precision) {
    // The stopping rule is checked replication by replication, in order, so
    // the count it stops at does not depend on how many ran at once: each
    // batch runs one replication per thread of each process (MPI rank), and
    // any beyond the stop are dropped.
    std::size_t stop = 0;
    for (std::size_t n = first_batch; !is_stop_requested(options.limits);) {
      for (; n <= out.runs.size() && stop == 0; ++n) {
        if (is_precise(estimate_paths(std::span(out.runs).first(n)), *options.precision)) {
          stop = n;
        }
      }
      if (stop != 0 || out.runs.size() == cap) {
        break;
      }
      const std::size_t width =
          jobs * (options.limits.runner != nullptr ? options.limits.runner->processes() : 1);
      run_replication_batch(out.runs.size(), std::min(cap, out.runs.size() + width));
    }
    out.precision_met = stop != 0;
    if (stop != 0) {
      out.runs.resize(stop);
    }
  }
  out.interrupted = is_stop_requested(options.limits);
  out.coverage = run_coverage(out.runs);
  out.runs = runs_that_ran(out.runs);

  out.paths = estimate_paths(out.runs);
  out.components = estimate_components(out.runs);
  // A process that did not run replication 0 (another MPI rank) has no
  // `first`: the plan names the same paths in the same order.
  std::vector<std::string> names;
  for (const auto& p : out.first.paths) {
    names.push_back(p.name);
  }
  if (names.empty()) {
    names = path_names(plan);
  }
  out.slos = estimate_slos(plan.slos, names, out.runs, out.paths, out.coverage);
  return out;
}

}  // namespace tailsim::study
