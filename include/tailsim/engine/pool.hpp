#pragma once
/// A pool of plain objects addressed by 32-bit ids, with a free list and a
/// generation per slot. An event that names an object also carries the
/// generation it saw; when the slot has been freed (and perhaps reused) since,
/// the generations differ and the event is ignored: lazy cancellation.
///
/// | operation | cost |
/// | --- | --- |
/// | allocate | O(1) amortised; no allocation once the pool has grown to its peak |
/// | release | O(1) |
/// | operator[] | O(1) |

#include <cassert>
#include <cstdint>
#include <vector>

namespace tailsim::engine {

template <class T>
class Pool {
 public:
  using Id = std::uint32_t;

  /// A fresh object (value-initialised) and its id.
  Id allocate() {
    Id id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
      items_[id] = T{};
      live_flags_[id] = 1;
    } else {
      id = static_cast<Id>(items_.size());
      items_.emplace_back();
      generations_.push_back(0);
      live_flags_.push_back(1);
    }
    ++live_;
    return id;
  }

  /// Returns the slot to the pool; events still naming it become stale.
  void release(Id id) {
    assert(id < items_.size());
    ++generations_[id];
    live_flags_[id] = 0;
    free_.push_back(id);
    --live_;
  }

  T& operator[](Id id) {
    assert(id < items_.size());
    return items_[id];
  }
  const T& operator[](Id id) const {
    assert(id < items_.size());
    return items_[id];
  }

  /// The generation of a slot: compare with the one an event carries.
  [[nodiscard]] std::uint32_t generation(Id id) const { return generations_[id]; }
  [[nodiscard]] bool is_current(Id id, std::uint32_t generation) const {
    return id < items_.size() && generations_[id] == generation;
  }
  /// Is slot `id` allocated (for the rare walks over every live object)?
  [[nodiscard]] bool is_live(Id id) const { return id < items_.size() && live_flags_[id] != 0; }
  /// Objects allocated and not released.
  [[nodiscard]] std::size_t live() const { return live_; }
  /// Slots ever created: the pool's peak size.
  [[nodiscard]] std::size_t capacity() const { return items_.size(); }

 private:
  std::vector<T> items_;
  std::vector<std::uint32_t> generations_;
  std::vector<std::uint8_t> live_flags_;
  std::vector<Id> free_;
  std::size_t live_ = 0;
};

}  // namespace tailsim::engine
