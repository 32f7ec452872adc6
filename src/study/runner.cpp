#include "tailsim/study/runner.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "tailsim/components/simulation.hpp"

namespace tailsim::study {

std::uint64_t replication_seed(std::uint64_t base, std::size_t index) {
  if (index == 0) {
    return base;
  }
  std::uint64_t z = base + static_cast<std::uint64_t>(index) * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return (z ^ (z >> 31)) >> 1;
}

std::vector<std::uint64_t> replication_seeds(std::uint64_t base, std::size_t count) {
  std::vector<std::uint64_t> seeds(count);
  for (std::size_t i = 0; i < count; ++i) {
    seeds[i] = replication_seed(base, i);
  }
  return seeds;
}

unsigned default_jobs() {
  return std::max(1U, std::thread::hardware_concurrency());
}

void run_in_parallel(std::size_t count, unsigned jobs, const std::function<void(std::size_t)>& task,
                     const std::function<void(std::size_t)>& on_done) {
  std::atomic<std::size_t> next{0};
  std::mutex mutex;  // guards `finished`, `failure` and the calls of on_done
  std::size_t finished = 0;
  std::size_t failed_index = count;
  std::exception_ptr failure;
  auto work = [&] {
    for (std::size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
      try {
        task(i);
      } catch (...) {
        const std::lock_guard lock(mutex);
        if (i < failed_index) {
          failed_index = i;
          failure = std::current_exception();
        }
      }
      const std::lock_guard lock(mutex);
      ++finished;
      if (on_done) {
        on_done(finished);
      }
    }
  };
  const std::size_t helpers = std::min<std::size_t>(std::max(jobs, 1U), count) - (count > 0);
  std::vector<std::jthread> threads;
  threads.reserve(helpers);
  for (std::size_t t = 0; t < helpers; ++t) {
    threads.emplace_back(work);
  }
  work();
  threads.clear();  // joins
  if (failure) {
    std::rethrow_exception(failure);
  }
}

bool is_stop_requested(const StudyLimits& limits) {
  return limits.stop_requested != nullptr && limits.stop_requested->load(std::memory_order_relaxed);
}

std::vector<std::string> path_names(const plan::Plan& plan) {
  std::vector<std::string> names;
  for (const auto& w : plan.workloads) {
    names.push_back(w.name);
  }
  for (const auto& q : plan.queues) {
    names.push_back(q.name);
  }
  return names;
}

stats::Results simulate_with_seed(const plan::Plan& plan, std::uint64_t seed,
                                  const StudyLimits& limits) {
  components::RunLimits run_limits;
  run_limits.max_memory_bytes = limits.max_memory_bytes;
  run_limits.stop_requested = limits.stop_requested;
  if (plan.seed == seed) {
    return components::simulate(plan, run_limits);
  }
  plan::Plan seeded = plan;
  seeded.seed = seed;
  return components::simulate(seeded, run_limits);
}

std::vector<RunMetrics> run_batch_here(const JobBatch& batch) {
  std::vector<RunMetrics> out(batch.count);
  run_in_parallel(
      batch.count, batch.jobs, [&](std::size_t i) { out[i] = batch.run(i); }, batch.on_done);
  return out;
}

std::vector<RunMetrics> run_batch(const JobBatch& batch, const StudyLimits& limits) {
  return limits.runner != nullptr ? limits.runner->run(batch) : run_batch_here(batch);
}

std::vector<RunMetrics> run_jobs(std::span<const SimulationJob> simulations, unsigned jobs,
                                 const std::function<void(double)>& on_progress,
                                 const StudyLimits& limits) {
  JobBatch batch;
  batch.count = simulations.size();
  batch.jobs = jobs;
  batch.run = [&](std::size_t i) {
    const SimulationJob& job = simulations[i];
    if (is_stop_requested(limits)) {  // asked to stop: start no new simulation
      RunMetrics skipped;
      skipped.seed = job.seed;
      skipped.ran = false;
      return skipped;
    }
    return measure_run(simulate_with_seed(*job.plan, job.seed, limits), job.slos);
  };
  batch.on_done = [&](std::size_t finished) {
    if (on_progress) {
      on_progress(static_cast<double>(finished) / static_cast<double>(simulations.size()));
    }
  };
  return run_batch(batch, limits);
}

}  // namespace tailsim::study
