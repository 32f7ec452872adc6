// The two-pass driver: simulate() runs the first pass and, for attribution
// or traces, the observing replay; and the checks of the run's limits.

#include <fmt/core.h>

#include "kernel.hpp"
#include "tailsim/stats/episodes.hpp"

namespace tailsim::components::sim {

template <bool Observe>
bool Simulation<Observe>::should_stop() {
  // Simulated time never goes back, so the same instant at two checks means
  // it stood still for the 65,536 events between them.
  stall_.unchanged = now_ == stall_.at ? stall_.unchanged + 1 : 0;
  stall_.at = now_;
  if (const std::uint64_t events = std::uint64_t{stall_.unchanged} << 16;
      events >= limits_.max_steps_at_instant) {
    stop_reason_ = stalled_reason(events, "events");
  } else if (limits_.stop_requested != nullptr &&
             limits_.stop_requested->load(std::memory_order_relaxed)) {
    stop_reason_ = "interrupted";
  } else if (limits_.max_memory_bytes != 0) {
    if (const LiveWork work = live_work(); work.total() > limits_.max_memory_bytes) {
      stop_reason_ = memory_stop_reason(work, limits_.max_memory_bytes);
    }
  }
  return !stop_reason_.empty();
}

template <bool Observe>
void Simulation<Observe>::ready_full() {
  work_.ready.grow();
  const std::size_t continued = work_.ready.size();
  if (continued < (std::size_t{1} << 20) || !stop_reason_.empty()) {
    return;
  }
  if (continued >= limits_.max_steps_at_instant) {
    stop_reason_ = stalled_reason(continued, "steps");
  }
  if (stop_reason_.empty() && !should_stop()) {
    return;
  }
  // End the loop: the drain finds nothing more to continue, and the run
  // stops after this event.
  work_.ready.clear();
  event_limit_ = event_count_;
}

template <bool Observe>
std::string Simulation<Observe>::stalled_reason(std::uint64_t count, const char* what) const {
  return fmt::format(
      "simulated time stopped advancing at {:.6f}s: {} {} ran at that one instant. Some loop "
      "takes no time, such as a queue whose consumer publishes back to it without doing any work",
      to_seconds(now_ - Time{}), count, what);
}

template <bool Observe>
LiveWork Simulation<Observe>::live_work() const {
  LiveWork work;
  work.pools = pool_bytes(work_.tasks) + pool_bytes(work_.requests) + pool_bytes(calls_.attempts) +
               pool_bytes(calls_.exchanges);
  work.events = event_queue_.size() * sizeof(engine::Event);
  for (const ServiceState& state : fleet_.services) {
    work.queued += state.waiting * sizeof(Waiter);
  }
  for (const QueueState& queue : brokers_.queues) {
    work.queued += (queue.waiting.size() + queue.delayed.size()) * sizeof(Message);
  }
  work.series = (series_.gauges.size() * sizeof(double) + recorder_.series_bytes_per_interval()) *
                    recorder_.intervals() +
                series_.pods.values * sizeof(double) + recorder_.interval_bytes();
  work.traces = clients_.arrival_index.size() * sizeof(std::uint64_t);
  auto add_cache = [&work](const std::optional<CacheInstance>& cache) {
    if (cache) {
      work.caches += cache->lru.stored_bytes();
    }
  };
  for (const auto& cache : caches_.shared) {
    add_cache(cache);
  }
  for (const Pod& pod : fleet_.pods) {
    for (const auto& cache : pod.caches) {
      add_cache(cache);
    }
  }
  work.platform = fleet_.pods.capacity() * pod_bytes + recorder_.autoscaler_bytes();
  for (const AutoscalerState& autoscaler : autoscaling_.autoscalers) {
    for (const AutoscalerState::Snapshot& snapshot : autoscaler.snapshots) {
      work.platform += sizeof(snapshot) + snapshot.pods.capacity() * sizeof(snapshot.pods[0]);
    }
  }
  if constexpr (Observe) {
    work.replay = obs_->bytes();
  } else if (limits_.attribution || limits_.traces > 0) {
    // The replay that follows keeps, beside the same pools, a critical-path
    // ledger (a few parts) per task, call and exchange, and trace references.
    constexpr std::uint64_t ledger = sizeof(Ledger) + 4 * sizeof(Ledger::Part);
    work.replay = work_.tasks.capacity() * (ledger + sizeof(TaskMark)) +
                  calls_.attempts.capacity() * ledger +
                  calls_.exchanges.capacity() * (ledger + sizeof(std::int64_t));
    if (limits_.traces > 0) {
      work.replay +=
          (work_.requests.capacity() + calls_.attempts.capacity() + calls_.exchanges.capacity()) *
          sizeof(Observation::TraceRef);
    }
  }
  if (choose_ != nullptr) {  // the requests it may keep, each an index and a reason
    work.traces +=
        std::uint64_t{limits_.traces} * 2 * sizeof(std::pair<std::uint64_t, std::string>);
  }
  return work;
}

TAILSIM_SIMULATION_MEMBER(bool, should_stop());
TAILSIM_SIMULATION_MEMBER(void, ready_full());
TAILSIM_SIMULATION_MEMBER(std::string, stalled_reason(std::uint64_t, const char*) const);
TAILSIM_SIMULATION_MEMBER(LiveWork, live_work() const);

}  // namespace tailsim::components::sim

namespace tailsim::components {

using sim::Observation;
using sim::Simulation;

namespace {

/// Each path's slowest 1% as the first pass's histograms cut it: its
/// successes from the p99's rank up. A replay sees the same requests and
/// finds that rank's exact value in the bucket the cut narrowed it to.
std::unique_ptr<Observation> observe_cut(const stats::Results& results) {
  auto observe = std::make_unique<Observation>();
  for (const stats::PathResult& path : results.paths) {
    SlowestGroup& group = observe->slowest.emplace_back();
    if (const std::uint64_t n = path.latency.count(); n > 0) {
      const std::uint64_t rank = path.latency.rank_at_percentile(99);
      const stats::Histogram::RankBucket at = path.latency.bucket_of_rank(rank);
      group.set_cut(at.lowest, at.highest, at.above, n - rank + 1);
    }
  }
  return observe;
}

/// Replays the run of `results` (a pass that ran to `results.events`) with
/// `observe`; empty when the replay could not finish (interrupted, or its
/// ledgers outgrew the memory budget: `results.attribution_skipped` says so).
std::optional<stats::Results> replay(const plan::Plan& plan, const RunLimits& limits,
                                     stats::Results& results, std::unique_ptr<Observation> observe,
                                     double progress_from) {
  RunLimits again = limits;
  if (limits.on_progress) {
    again.on_progress = [&](double done) {
      limits.on_progress(progress_from + done * (1 - progress_from));
    };
  }
  // The replay stops where the first pass stopped, whatever stopped it; a
  // first pass that ran to its end, the replay's same draws end alike.
  if (results.stopped_early) {
    again.max_events = results.events;
  }
  Simulation<true> simulation(plan, again, std::move(observe));
  stats::Results observed = simulation.run();
  if (observed.stop_reason == "interrupted") {
    return std::nullopt;  // interrupted while replaying: the first pass's results, unattributed
  }
  if (observed.stopped_early && observed.events < results.events) {
    // The ledgers outgrew the budget the first pass estimated them within:
    // the first pass's results stand, without what only the replay records.
    results.attribution_skipped = observed.stop_reason;
    return std::nullopt;
  }
  if (observed.events != results.events) {
    throw std::logic_error("the attribution replay diverged from the first pass");
  }
  return observed;
}

/// Two passes over the same random draws: the first measures each path's
/// p99 and chooses the requests to trace; the replay attributes the time of
/// every request and records the spans of the chosen ones.
stats::Results simulate_twice(const plan::Plan& plan, const RunLimits& limits) {
  RunLimits first = limits;
  if (limits.on_progress) {
    first.on_progress = [&](double done) { limits.on_progress(done / 2); };
  }
  std::optional<TraceChoice> choice;
  if (limits.traces > 0) {
    choice.emplace(limits.traces, plan.workloads.size(), plan.seed);
  }
  stats::Results results;
  {  // the first pass's pools are freed before the replay makes its own
    Simulation<false> first_pass(plan, first);
    if (choice) {
      first_pass.choose_traces(&*choice);
    }
    results = first_pass.run();
  }
  auto observe = observe_cut(results);
  if (choice) {
    observe->tracing = true;
    observe->chosen = choice->chosen();
  }
  std::optional<stats::Results> observed = replay(plan, limits, results, std::move(observe), 0.5);
  if (!observed) {
    return results;
  }
  if (limits.attribution) {
    for (std::size_t p = 0; p < results.paths.size(); ++p) {
      results.paths[p].attribution = std::move(observed->paths[p].attribution);
    }
  }
  results.traces = std::move(observed->traces);
  return results;
}

/// Attribution without traces: one observing pass, which keeps what each
/// path's slowest 1% can need as it goes (RunningSlowest). Where a path's
/// tail moved too far for what it kept, a replay with the cut known finds
/// that path's group; a run that stopped early (the ledgers count in its
/// memory budget) is simulated again in two passes, so that it stops where
/// a run without attribution would.
stats::Results simulate_once(const plan::Plan& plan, const RunLimits& limits) {
  stats::Results results;
  bool uncovered = false;
  {  // its pools and ledgers are freed before another pass makes its own
    auto observe = std::make_unique<Observation>();
    observe->one_pass = true;
    Simulation<true> simulation(plan, limits, std::move(observe));
    results = simulation.run();
    uncovered = simulation.slowest_uncovered();
  }
  if (results.stop_reason == "interrupted") {
    if (uncovered) {
      for (stats::PathResult& path : results.paths) {
        path.attribution = stats::Attribution();
      }
    }
    return results;
  }
  if (results.stopped_early) {
    return simulate_twice(plan, limits);
  }
  if (!uncovered) {
    return results;
  }
  std::optional<stats::Results> observed = replay(plan, limits, results, observe_cut(results), 1.0);
  for (std::size_t p = 0; p < results.paths.size(); ++p) {
    stats::Attribution& attribution = results.paths[p].attribution;
    if (!observed) {
      attribution = stats::Attribution();
    } else if (attribution.slowest.requests == 0) {
      attribution.slowest = std::move(observed->paths[p].attribution.slowest);
    }
  }
  return results;
}

stats::Results simulate_passes(const plan::Plan& plan, const RunLimits& limits) {
  if (!limits.attribution && limits.traces == 0) {
    return Simulation<false>(plan, limits).run();
  }
  return limits.traces == 0 ? simulate_once(plan, limits) : simulate_twice(plan, limits);
}

}  // namespace

stats::Results simulate(const plan::Plan& plan, const RunLimits& limits) {
  stats::Results results = simulate_passes(plan, limits);
  stats::find_episodes(results);
  return results;
}

}  // namespace tailsim::components
