#pragma once
/// One cache instance of the key model: least-recently-used eviction at
/// `capacity` entries and an optional time to live. Memory grows with the
/// entries stored, never beyond a constant times `capacity`.
///
/// The entries sit in the slots of one open-addressing table (linear probing,
/// backward-shift deletion), so a lookup usually reads one cache line: a
/// large cache over many keys misses the processor's caches on most lookups,
/// and a linked list would add a miss for the entry and two for its
/// neighbours. Recency is a stamp instead of a position in a list: every use
/// gives the entry the next stamp and appends (stamp, key) to a queue of
/// uses. The least recently used entry is the one whose current stamp comes
/// first in that queue; older uses of an entry no longer match its stamp and
/// are skipped. The queue is compacted to one use per entry whenever it holds
/// twice the entries (and a few more).
///
/// | operation | cost |
/// | --- | --- |
/// | lookup, fill | O(1) expected, amortized |
/// | clear | O(entries stored) |

#include <cstdint>
#include <vector>

#include "tailsim/core/time.hpp"

namespace tailsim::components {

class LruCache {
 public:
  LruCache(std::uint64_t capacity, Duration ttl) : capacity_(capacity), ttl_(ttl) {}

  /// Is `key` stored and fresh? A hit becomes the most recently used entry;
  /// an expired entry is dropped.
  bool lookup(std::uint64_t key, Time now);
  /// Stores `key` (as the most recently used), evicting the least recently
  /// used entry when full.
  void fill(std::uint64_t key, Time now);
  void clear();
  [[nodiscard]] std::size_t size() const { return size_; }
  /// The bytes its table and its queue of uses take (the memory budget's).
  [[nodiscard]] std::size_t stored_bytes() const {
    return slots_.size() * sizeof(Entry) + uses_.capacity() * sizeof(Use);
  }

 private:
  /// A slot of the table; `stamp` 0 marks it empty.
  struct Entry {
    std::uint64_t key = 0;
    Time stored{};
    std::uint64_t stamp = 0;  ///< the entry's last use
  };
  /// One use of `key`, current while the entry's stamp is still `stamp`.
  struct Use {
    std::uint64_t stamp;
    std::uint64_t key;
  };
  [[nodiscard]] std::size_t home(std::uint64_t key) const;
  /// The slot holding `key`, or the empty slot where the probe for it ends.
  [[nodiscard]] std::size_t find_slot(std::uint64_t key) const;
  [[nodiscard]] bool is_current(const Use& use) const;
  void touch(Entry& entry);
  void erase_slot(std::size_t i);
  void evict_least_recent();
  void grow();
  void compact_uses();

  std::uint64_t capacity_;
  Duration ttl_;
  std::vector<Entry> slots_;  ///< a power of two in size, at most half full
  std::size_t mask_ = 0;
  int shift_ = 64;  ///< 64 - log2(slots_.size())
  std::size_t size_ = 0;
  std::uint64_t last_stamp_ = 0;
  std::vector<Use> uses_;  ///< oldest first, from `first_use_` on
  std::size_t first_use_ = 0;
};

}  // namespace tailsim::components
