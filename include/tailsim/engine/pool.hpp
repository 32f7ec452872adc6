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
  [[gnu::always_inline]] Id allocate() { return allocate(T{}); }
  /// A fresh object equal to `value` and its id: one pass of stores where
  /// allocate() and filling in the fields take two. `value` may be an object
  /// of this pool: it is copied before grow() moves them.
  [[gnu::always_inline]] Id allocate(const T& value) {
    ++live_;
    if (free_head_ != none) {
      const Id id = free_head_;
      free_head_ = next_free_[id];
      next_free_[id] = live_mark;
      items_[id] = value;
      return id;
    }
    const T copy = value;
    const Id id = grow();
    items_[id] = copy;
    return id;
  }

  /// A slot and its id, its object left as its last user left it (a new
  /// slot's is value-initialised): for the hot paths that then set every
  /// field in place. A value built on the stack and copied in is read back
  /// across the stores that have just written it, and the processor waits
  /// for them; stores straight into the slot have nothing to wait for.
  [[gnu::always_inline]] Id allocate_slot() {
    ++live_;
    if (free_head_ != none) {
      const Id id = free_head_;
      free_head_ = next_free_[id];
      next_free_[id] = live_mark;
      return id;
    }
    return grow();
  }

  /// Returns the slot to the pool; events still naming it become stale.
  void release(Id id) {
    assert(id < items_.size() && next_free_[id] == live_mark);
    ++generations_[id];
    next_free_[id] = free_head_;  // the free list runs through the slots: no allocation
    free_head_ = id;
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
  [[nodiscard]] bool is_live(Id id) const {
    return id < items_.size() && next_free_[id] == live_mark;
  }
  /// Objects allocated and not released.
  [[nodiscard]] std::size_t live() const { return live_; }
  /// Slots ever created: the pool's peak size.
  [[nodiscard]] std::size_t capacity() const { return items_.size(); }

 private:
  static constexpr Id none = ~Id{0};
  static constexpr Id live_mark = none - 1;  ///< in next_free_: the slot is allocated

  /// A new slot at the end: the rare path, kept out of line.
  [[gnu::noinline]] Id grow() {
    const auto id = static_cast<Id>(items_.size());
    items_.emplace_back();
    generations_.push_back(0);
    next_free_.push_back(live_mark);
    return id;
  }

  std::vector<T> items_;
  std::vector<std::uint32_t> generations_;
  /// Per slot: the next free slot (a list headed by free_head_), or live_mark.
  std::vector<Id> next_free_;
  Id free_head_ = none;
  std::size_t live_ = 0;
};

}  // namespace tailsim::engine
