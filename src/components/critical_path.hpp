#pragma once
// Tail attribution: where a request's time went along its critical path
// (docs/semantics.md, "Tail attribution"). A `Ledger` holds the time of one
// piece of work (a task, an attempt, a call) by (entity, where); ledgers flow
// from callee to caller as answers do, and a parallel step keeps only the
// ledger of its last child to finish: the one its caller waited for.

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace tailsim::components {

/// What a stretch of time on the critical path was spent on.
enum class Where : std::uint8_t {
  network,          ///< on a link, request and response
  queue,            ///< waiting for a worker
  cpu,              ///< running: the CPU demand itself
  warmup,           ///< running: the extra demand of a new pod warming up (pod.warmup)
  cpu_contention,   ///< running slower than one core: sharing the pod's cores
  throttled,        ///< stopped by the CFS quota
  delay,            ///< delay steps (I/O) and slow faults' added latency
  cache_lookup,     ///< the lookup itself
  cache_wait,       ///< waiting for another request's fill of the same key
  backoff,          ///< a retry's backoff
  failed_attempts,  ///< attempts that failed, timed out or lost to a faster copy
  broker,           ///< a message waiting in its queue for a consumer
  gc_pause,         ///< stopped by the pod's garbage collector (pod.gc)
  node_cores,       ///< running slower: its node's cores are contended (cluster)
  batch_wait,       ///< a batch step: waiting for its batch to fill (max or wait)
  gpu_wait,         ///< a batch step: its batch due, waiting for a free GPU
  gpu,              ///< a batch step: its batch served on a GPU
  unaccounted,      ///< what no rule above covers (tests expect none)
};
inline constexpr std::size_t where_count = 18;

inline constexpr std::array<std::string_view, where_count> where_names = {
    "network",         "queue",  "cpu",          "warmup",     "cpu_contention",
    "throttled",       "delay",  "cache_lookup", "cache_wait", "backoff",
    "failed_attempts", "broker", "gc_pause",     "node_cores", "batch_wait",
    "gpu_wait",        "gpu",    "unaccounted"};

/// The time of one piece of work, by (entity, where); entities are services,
/// then queues. Small: a handful of parts, merged when they grow.
class Ledger {
 public:
  struct Part {
    std::uint32_t key = 0;  ///< entity x where_count + where
    std::int64_t ns = 0;
  };

  void add(std::uint32_t entity, Where where, std::int64_t ns) {
    if (ns <= 0) {
      return;
    }
    const auto key =
        static_cast<std::uint32_t>(entity * where_count + static_cast<unsigned>(where));
    total_ += ns;
    if (!parts_.empty() && parts_.back().key == key) {
      parts_.back().ns += ns;
      return;
    }
    parts_.push_back(Part{key, ns});
    compact_if_long();
  }

  /// Adds every part of `other` (a callee's answer, the last child's time).
  void merge(const Ledger& other) {
    parts_.insert(parts_.end(), other.parts_.begin(), other.parts_.end());
    total_ += other.total_;
    compact_if_long();
  }

  /// Empties the ledger for its slot's next user. A ledger that grew large
  /// (a deep chain's answer holds a part per service below it) gives its
  /// memory back: slots are reused, and a long chain's slots each keeping
  /// the capacity of their largest answer would hold memory quadratic in
  /// the chain's length (a chain of 10,000 services reached 23 GB).
  void clear() {
    if (parts_.capacity() > kept_capacity) {
      std::vector<Part>().swap(parts_);
    } else {
      parts_.clear();
    }
    total_ = 0;
  }

  /// The most parts a cleared ledger keeps room for: above compaction's 32,
  /// so an ordinary ledger never reallocates.
  static constexpr std::size_t kept_capacity = 64;

  [[nodiscard]] std::int64_t total() const { return total_; }
  [[nodiscard]] const std::vector<Part>& parts() const { return parts_; }

 private:
  void compact_if_long() {
    if (parts_.size() <= 32) {
      return;
    }
    std::sort(parts_.begin(), parts_.end(),
              [](const Part& a, const Part& b) { return a.key < b.key; });
    std::size_t out = 0;
    for (std::size_t i = 1; i < parts_.size(); ++i) {
      if (parts_[i].key == parts_[out].key) {
        parts_[out].ns += parts_[i].ns;
      } else {
        parts_[++out] = parts_[i];
      }
    }
    parts_.resize(out + 1);
  }

  std::vector<Part> parts_;
  std::int64_t total_ = 0;
};

/// Sums of ledgers over a group of requests (a path's every success, or its
/// slowest 1%), by key in key order. Sparse: a path touches few of the
/// model's keys, and a dense array per path grew with paths x services
/// (2,000 one-service workloads: 400 MB).
struct LedgerSum {
  struct Total {
    std::uint32_t key = 0;
    double ns = 0;
  };
  std::uint64_t requests = 0;
  double latency_ns = 0;
  std::vector<Total> totals;  ///< sorted by key, each key once

  void add(const Ledger& ledger, std::int64_t latency) {
    ++requests;
    latency_ns += static_cast<double>(latency);
    for (const Ledger::Part& part : ledger.parts()) {
      auto at = std::lower_bound(totals.begin(), totals.end(), part.key,
                                 [](const Total& t, std::uint32_t key) { return t.key < key; });
      if (at == totals.end() || at->key != part.key) {
        at = totals.insert(at, Total{part.key, 0.0});
      }
      at->ns += static_cast<double>(part.ns);
    }
  }
};

}  // namespace tailsim::components
