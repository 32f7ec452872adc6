#pragma once
/// The memory budget of a run (RunLimits::max_memory_bytes): what its live
/// work takes, estimated from the engine's own structures so that the same
/// run always stops at the same event, on any machine and in its replay
/// (docs/semantics.md, "Memory budget").

#include <cstdint>
#include <string>

#include "tailsim/engine/pool.hpp"

namespace tailsim::components {

/// The bytes a run's live work takes, by kind.
struct LiveWork {
  std::uint64_t pools = 0;   ///< tasks, requests, calls and exchanges: every slot ever made
  std::uint64_t events = 0;  ///< the event queue
  std::uint64_t queued = 0;  ///< requests waiting for a worker, messages in brokers' queues
  std::uint64_t series = 0;  ///< the time series' values
  std::uint64_t traces = 0;  ///< requests chosen as traces
  std::uint64_t caches = 0;  ///< the key model's cache entries, shared and per pod
  /// Every pod made so far, the autoscalers' metric snapshots in their
  /// windows and their history of syncs.
  std::uint64_t platform = 0;
  /// What the replay (attribution, traces) will add to the same pools: a
  /// critical-path ledger per slot. Counted in the first pass, which the
  /// budget stops; the replay stops where it did.
  std::uint64_t replay = 0;

  [[nodiscard]] std::uint64_t total() const {
    return pools + events + queued + series + traces + caches + platform + replay;
  }
};

/// The bytes of a pool: each slot it has made, with its generation and its
/// free-list link.
template <class T>
std::uint64_t pool_bytes(const engine::Pool<T>& pool) {
  return static_cast<std::uint64_t>(pool.capacity()) * (sizeof(T) + 2 * sizeof(std::uint32_t));
}

/// `bytes` for people: "512.0 MiB", "3.1 GiB", "900 B".
std::string format_bytes(std::uint64_t bytes);

/// Results::stop_reason of a run whose live work `work` went over `budget`
/// bytes: which budget, how much, and the kind that took the most.
std::string memory_stop_reason(const LiveWork& work, std::uint64_t budget);

/// The budget a run gets when none is given: a quarter of the machine's
/// physical memory, shared among the `jobs` runs at once; 0 (no budget) when
/// the physical memory cannot be read. A quarter, because the process takes
/// more than the live work it counts: a growing vector holds its old and new
/// buffers at once, and its capacity runs ahead of its size.
std::uint64_t default_memory_budget(unsigned jobs);

}  // namespace tailsim::components
