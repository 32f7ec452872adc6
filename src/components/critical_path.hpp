#pragma once
// Tail attribution: where a request's time went along its critical path
// (docs/semantics.md, "Tail attribution"). A `Ledger` holds the time of one
// piece of work (a task, an attempt, a call) by (entity, where); ledgers flow
// from callee to caller as answers do, and a parallel step keeps only the
// ledger of its last child to finish: the one its caller waited for.

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string_view>
#include <utility>
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
///
/// Its parts are in a buffer of its own rather than a std::vector: an
/// observing pass appends a part at most of its steps, and GCC kept
/// vector's append out of line (1% of an attributed run). The buffer grows
/// as a vector's does (doubling from one; a range appended past the room
/// takes size + max(size, n)), so the memory the budget counts is the same.
class Ledger {
 public:
  struct Part {
    std::uint32_t key = 0;  ///< entity x where_count + where
    std::int64_t ns = 0;
  };

  Ledger() = default;
  Ledger(const Ledger& other) : total_(other.total_) { append(other.parts()); }
  Ledger(Ledger&& other) noexcept { swap(other); }
  Ledger& operator=(const Ledger& other) {
    if (this != &other) {
      size_ = 0;
      if (capacity_ < other.size_) {
        reallocate(other.size_);  // as vector's: exactly the size, when it does not fit
      }
      append(other.parts());
      total_ = other.total_;
    }
    return *this;
  }
  Ledger& operator=(Ledger&& other) noexcept {
    Ledger taken(std::move(other));
    swap(taken);
    return *this;
  }
  ~Ledger() = default;

  /// Inlined: an observing pass adds a dozen parts per CPU step, and the
  /// call cost more than the add (2% of an attributed run).
  [[gnu::always_inline]] void add(std::uint32_t entity, Where where, std::int64_t ns) {
    if (ns <= 0) {
      return;
    }
    const auto key =
        static_cast<std::uint32_t>(entity * where_count + static_cast<unsigned>(where));
    total_ += ns;
    if (size_ > 0 && parts_[size_ - 1].key == key) {
      parts_[size_ - 1].ns += ns;
      return;
    }
    if (size_ == capacity_) [[unlikely]] {
      reallocate(capacity_ == 0 ? 1 : 2 * capacity_);
    }
    parts_[size_++] = Part{key, ns};
    compact_if_long();
  }

  /// Adds every part of `other` (a callee's answer, the last child's time).
  void merge(const Ledger& other) {
    append(other.parts());
    total_ += other.total_;
    compact_if_long();
  }

  /// merge(other), then other.clear(): a ledger's time handed on to the one
  /// that waited for it. An empty ledger (an exchange's, most often) takes
  /// `other`'s parts whole instead of copying them; its own empty room goes
  /// to `other`. The parts and their order are the same either way.
  /// Inlined: a ledger is handed on at every answer, and the empty case is
  /// a few moves.
  [[gnu::always_inline]] void absorb(Ledger& other) {
    if (size_ != 0) [[unlikely]] {
      merge_and_clear(other);
      return;
    }
    parts_.swap(other.parts_);  // an empty ledger's total is 0
    std::swap(capacity_, other.capacity_);
    size_ = std::exchange(other.size_, 0);
    total_ = std::exchange(other.total_, 0);
    if (other.capacity_ > kept_capacity) [[unlikely]] {
      other.release();
    }
  }

  /// Empties the ledger for its slot's next user. A ledger that grew large
  /// (a deep chain's answer holds a part per service below it) gives its
  /// memory back: slots are reused, and a long chain's slots each keeping
  /// the capacity of their largest answer would hold memory quadratic in
  /// the chain's length (a chain of 10,000 services reached 23 GB).
  /// Inlined: a ledger is cleared at every call and answer, and the call
  /// cost more than the clearing.
  [[gnu::always_inline]] void clear() {
    if (capacity_ > kept_capacity) [[unlikely]] {
      release();
    }
    size_ = 0;
    total_ = 0;
  }

  /// The most parts a cleared ledger keeps room for: above compaction's 32,
  /// so an ordinary ledger never reallocates.
  static constexpr std::size_t kept_capacity = 64;

  [[nodiscard]] std::int64_t total() const { return total_; }
  [[nodiscard]] std::span<const Part> parts() const { return {parts_.get(), size_}; }
  /// How many parts it has room for, as the memory budget counts it.
  [[nodiscard]] std::size_t capacity() const { return capacity_; }

  /// Exchanges two ledgers' parts and totals.
  void swap(Ledger& other) noexcept {
    parts_.swap(other.parts_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
    std::swap(total_, other.total_);
  }

 private:
  void compact_if_long() {
    if (size_ > 32) [[unlikely]] {
      compact();
    }
  }

  /// Appends `more` (none of them this ledger's own parts).
  void append(std::span<const Part> more) {
    if (more.empty()) {
      return;
    }
    if (size_ + more.size() > capacity_) {
      reallocate(size_ + std::max<std::size_t>(size_, more.size()));
    }
    std::copy(more.begin(), more.end(), parts_.get() + size_);
    size_ += more.size();
  }

  /// Room for `capacity` parts, the parts kept.
  [[gnu::noinline]] void reallocate(std::size_t capacity) {
    auto room = std::make_unique_for_overwrite<Part[]>(capacity);
    std::copy(parts_.get(), parts_.get() + size_, room.get());
    parts_ = std::move(room);
    capacity_ = capacity;
  }

  [[gnu::noinline]] void merge_and_clear(Ledger& other) {
    merge(other);
    other.clear();
  }

  [[gnu::noinline]] void release() {
    parts_.reset();
    capacity_ = 0;
  }

  [[gnu::noinline]] void compact() {
    std::sort(parts_.get(), parts_.get() + size_,
              [](const Part& a, const Part& b) { return a.key < b.key; });
    std::size_t out = 0;
    for (std::size_t i = 1; i < size_; ++i) {
      if (parts_[i].key == parts_[out].key) {
        parts_[out].ns += parts_[i].ns;
      } else {
        parts_[++out] = parts_[i];
      }
    }
    size_ = out + 1;
  }

  std::unique_ptr<Part[]> parts_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
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
      totals[position_of(part.key)].ns += static_cast<double>(part.ns);
    }
  }

  /// The memory it holds: its totals and their index.
  [[nodiscard]] std::size_t bytes() const {
    return totals.capacity() * sizeof(Total) + slots_.capacity() * sizeof(std::uint32_t);
  }

  /// The requests added since `earlier`, a copy of this sum taken then:
  /// each key's time since, the keys with none left out.
  [[nodiscard]] LedgerSum minus(const LedgerSum& earlier) const {
    LedgerSum out;
    out.requests = requests - earlier.requests;
    out.latency_ns = latency_ns - earlier.latency_ns;
    auto before = earlier.totals.begin();
    for (const Total& total : totals) {
      while (before != earlier.totals.end() && before->key < total.key) {
        ++before;
      }
      const double was =
          before != earlier.totals.end() && before->key == total.key ? before->ns : 0;
      if (total.ns > was) {
        out.totals.push_back(Total{total.key, total.ns - was});
      }
    }
    return out;
  }

  /// Adds every request of `other`, as if each of its ledgers were added.
  void merge(const LedgerSum& other) {
    requests += other.requests;
    latency_ns += other.latency_ns;
    std::vector<Total> both;
    both.reserve(totals.size() + other.totals.size());
    auto a = totals.begin();
    auto b = other.totals.begin();
    while (a != totals.end() || b != other.totals.end()) {
      if (b == other.totals.end() || (a != totals.end() && a->key < b->key)) {
        both.push_back(*a++);
      } else if (a == totals.end() || b->key < a->key) {
        both.push_back(*b++);
      } else {
        both.push_back(Total{a->key, a->ns + b->ns});
        ++a;
        ++b;
      }
    }
    totals = std::move(both);
    slots_.clear();  // the positions moved: indexed again at the next add
  }

 private:
  /// Where `key` is in totals, inserted with no time if it was not there.
  /// A path's sum takes a dozen parts per request, and a binary search for
  /// each was 3.7% of an attributed run: an open-addressing index finds
  /// them in one or two probes. The index is only a guide: what it finds is
  /// checked against the key, and a key it does not know is looked up in
  /// totals before it is inserted, so an index out of date costs a rebuild,
  /// never a wrong sum.
  std::uint32_t position_of(std::uint32_t key) {
    const std::size_t mask = slots_.size() - 1;  // slots_ is empty or a power of two
    if (!slots_.empty()) {
      for (std::size_t s = slot_of(key);; s = (s + 1) & mask) {
        const std::uint32_t at = slots_[s];
        if (at == 0 || at > totals.size()) {
          break;
        }
        if (totals[at - 1].key == key) {
          return at - 1;
        }
      }
    }
    auto at = std::lower_bound(totals.begin(), totals.end(), key,
                               [](const Total& t, std::uint32_t k) { return t.key < k; });
    if (at == totals.end() || at->key != key) {
      at = totals.insert(at, Total{key, 0.0});  // a new key: rare once a path has run a while
    }
    const auto position = static_cast<std::uint32_t>(at - totals.begin());
    reindex();
    return position;
  }

  /// Fibonacci hashing into the index's 2^bits slots.
  [[nodiscard]] std::size_t slot_of(std::uint32_t key) const {
    return static_cast<std::uint32_t>(key * 0x9E3779B1U) >> shift_;
  }

  /// Indexes every key of totals, in a table at least twice their number.
  void reindex() {
    std::size_t size = 16;
    unsigned bits = 4;
    while (size < 2 * totals.size()) {
      size *= 2;
      ++bits;
    }
    shift_ = 32 - bits;
    slots_.assign(size, 0);
    for (std::size_t i = 0; i < totals.size(); ++i) {
      std::size_t s = slot_of(totals[i].key);
      while (slots_[s] != 0) {
        s = (s + 1) & (size - 1);
      }
      slots_[s] = static_cast<std::uint32_t>(i + 1);
    }
  }

  /// Index of totals by key: position + 1 of the key's total, 0 for none.
  std::vector<std::uint32_t> slots_;
  unsigned shift_ = 28;
};

/// The slowest 1% of a path's successful requests, chosen by rank: the
/// `size` slowest of them (the values from the p99's rank up), ties at the
/// boundary taken in the order they finished, the earlier first. So equal
/// latencies can neither shrink nor swell the group: it has `size` requests
/// whatever the ties.
///
/// The first pass's histogram tells in which bucket, [low, high], the value
/// of the p99's rank lies and how many values lie above that bucket; the
/// replay then adds every request above `high` to the sum at once and keeps
/// only the bucket's requests as candidates (a min-heap of at most `size -
/// above` ledgers), the slowest of which complete the group. A bucket is a
/// thousandth of its values wide, so the candidates are few, unless many
/// requests took exactly the same time.
class SlowestGroup {
 public:
  /// The group is the `size` slowest requests; the smallest of them lies in
  /// [low, high], with `above` requests above `high`.
  void set_cut(std::int64_t low, std::int64_t high, std::uint64_t above, std::uint64_t size) {
    low_ = low;
    high_ = high;
    take_ = size > above ? size - above : 0;
  }

  /// A successful measured request finished (in the order they finish).
  void add(const Ledger& ledger, std::int64_t latency) { add(ledger, latency, seen_++); }

  /// The same, for a request that was the `order`-th to finish (orders
  /// increasing from call to call).
  void add(const Ledger& ledger, std::int64_t latency, std::uint64_t order) {
    if (latency > high_) {
      above_.add(ledger, latency);
      return;
    }
    if (latency < low_ || take_ == 0) {
      return;
    }
    Candidate candidate{latency, order, ledger};
    if (candidates_.size() == take_) {
      if (!is_slower(candidate, candidates_.front())) {
        return;  // as slow as the quickest kept, but later: it ranks below
      }
      std::pop_heap(candidates_.begin(), candidates_.end(), is_slower);
      parts_bytes_ -= candidates_.back().ledger.capacity() * sizeof(Ledger::Part);
      candidates_.pop_back();
    }
    parts_bytes_ += candidate.ledger.capacity() * sizeof(Ledger::Part);
    candidates_.push_back(std::move(candidate));
    std::push_heap(candidates_.begin(), candidates_.end(), is_slower);
  }

  /// Adds a sum of requests all slower than the bucket's highest value.
  void add_above(const LedgerSum& sum) { above_.merge(sum); }

  /// The sum over the group: those above the bucket, then the kept
  /// candidates slowest first.
  [[nodiscard]] LedgerSum sum() const {
    LedgerSum out = above_;
    std::vector<const Candidate*> kept;
    kept.reserve(candidates_.size());
    for (const Candidate& c : candidates_) {
      kept.push_back(&c);
    }
    std::sort(kept.begin(), kept.end(),
              [](const Candidate* a, const Candidate* b) { return is_slower(*a, *b); });
    for (const Candidate* c : kept) {
      out.add(c->ledger, c->latency);
    }
    return out;
  }

  /// Whether no request ranked below every kept one can belong to the
  /// group: one of `latency`, the `order`-th to finish, that was not added.
  [[nodiscard]] bool excludes(std::int64_t latency, std::uint64_t order) const {
    if (latency > high_) {
      return false;  // above the bucket: in the group whatever its rank
    }
    if (latency < low_ || take_ == 0) {
      return true;
    }
    return candidates_.size() == take_ &&
           is_slower(candidates_.front(), Candidate{latency, order, Ledger()});
  }

  /// The latency of the group's quickest request: the value of the p99's
  /// rank, exactly. The largest int64 when the group is empty.
  [[nodiscard]] std::int64_t from_ns() const {
    return candidates_.empty() ? std::numeric_limits<std::int64_t>::max()
                               : candidates_.front().latency;
  }

  /// The memory the candidates hold, for the replay's budget.
  [[nodiscard]] std::uint64_t bytes() const {
    return candidates_.capacity() * sizeof(Candidate) + parts_bytes_ + above_.bytes();
  }

 private:
  struct Candidate {
    std::int64_t latency = 0;
    std::uint64_t order = 0;  ///< among the path's successes, in the order they finished
    Ledger ledger;
  };
  /// Slower: a longer latency, or the same one finished earlier. As a heap's
  /// order, it keeps the quickest candidate (the first to go) at the front.
  static bool is_slower(const Candidate& a, const Candidate& b) {
    return a.latency != b.latency ? a.latency > b.latency : a.order < b.order;
  }

  std::int64_t low_ = std::numeric_limits<std::int64_t>::max();
  std::int64_t high_ = std::numeric_limits<std::int64_t>::max();
  std::uint64_t take_ = 0;
  std::uint64_t seen_ = 0;
  LedgerSum above_;
  std::vector<Candidate> candidates_;
  std::uint64_t parts_bytes_ = 0;
};

}  // namespace tailsim::components
