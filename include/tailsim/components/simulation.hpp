#pragma once
/// Running a compiled plan: the event loop and the microservice behaviour it
/// dispatches to. A `Simulation` is a value: sweeps run many, one per thread.

#include <atomic>
#include <cstdint>
#include <functional>

#include "tailsim/plan/plan.hpp"
#include "tailsim/stats/results.hpp"

namespace tailsim::components {

/// Bounds on a run, for fuzzing and tests: the run stops early (and says so
/// in `Results`) when one is reached.
struct RunLimits {
  std::uint64_t max_events = 0;  ///< 0: no limit
  /// Called about every million events with the share of the run's
  /// simulated time done (0 to 1), for a progress bar; may be empty.
  std::function<void(double)> on_progress;
  /// Requests to keep as traces (Results::traces), over all paths together,
  /// biased toward the slowest and the failed; 0: none. Tracing replays the
  /// run, so it costs a second pass.
  std::uint32_t traces = 0;
  /// Tail attribution per path (PathResult::attribution). Like traces, it
  /// replays the run: a second pass that knows each path's p99.
  bool attribution = false;
  /// Keep, per time-series interval, what each path's and edge's measured
  /// latency gained (PathResult::interval_tallies): the batches of
  /// calibrate's simulated side.
  bool interval_tallies = false;
  /// Set (from a signal handler) to stop the run at its next check: the
  /// results cover the time simulated so far, marked `stopped_early` with
  /// the reason "interrupted". May be null.
  const std::atomic<bool>* stop_requested = nullptr;
  /// The bytes the run's live work (requests, tasks, calls, events, kept
  /// traces) may take; when it would exceed them the run stops early with
  /// what it has. 0: no budget.
  std::uint64_t max_memory_bytes = 0;
  /// Events, or continuations of one event's steps, at a single instant
  /// after which simulated time has stopped advancing (a loop of steps that
  /// take no time) and the run stops early. Checked every 65,536 events and
  /// each time one event's continuations double from 1,048,576; far beyond
  /// any real model's.
  std::uint64_t max_steps_at_instant = std::uint64_t{1} << 24;
};

/// Simulates `plan` with its seed and returns what the measured window saw.
stats::Results simulate(const plan::Plan& plan, const RunLimits& limits = {});

}  // namespace tailsim::components
