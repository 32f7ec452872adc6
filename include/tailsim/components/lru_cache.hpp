#pragma once
/// One cache instance of the key model: least-recently-used eviction at
/// `capacity` entries and an optional time to live. Memory grows with the
/// entries stored, never beyond `capacity`.
///
/// | operation | cost |
/// | --- | --- |
/// | lookup, fill | O(1) expected |

#include <cstdint>
#include <unordered_map>
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
  [[nodiscard]] std::size_t size() const { return index_.size(); }

 private:
  static constexpr std::uint32_t none = ~std::uint32_t{0};
  struct Node {
    std::uint64_t key = 0;
    Time stored{};
    std::uint32_t prev = none;  ///< towards the most recent
    std::uint32_t next = none;  ///< towards the least recent
  };
  void unlink(std::uint32_t i);
  void push_front(std::uint32_t i);
  void erase(std::uint32_t i);

  std::uint64_t capacity_;
  Duration ttl_;
  std::vector<Node> nodes_;
  std::vector<std::uint32_t> free_;
  std::unordered_map<std::uint64_t, std::uint32_t> index_;
  std::uint32_t head_ = none;
  std::uint32_t tail_ = none;
};

}  // namespace tailsim::components
