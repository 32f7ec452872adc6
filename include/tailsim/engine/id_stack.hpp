#pragma once
/// A stack of 32-bit ids for the engine's work lists (tasks ready to go on,
/// pods to reschedule). Unlike std::vector, the common push is a compare and
/// a store that always inlines; growth is a separate, out-of-line call.
///
/// | operation | cost |
/// | --- | --- |
/// | push | O(1) amortised; no allocation once grown to its peak |
/// | operator[], size, clear | O(1) |

#include <cassert>
#include <cstdint>
#include <memory>

namespace tailsim::engine {

class IdStack {
 public:
  using Id = std::uint32_t;

  [[gnu::always_inline]] void push(Id id) {
    if (size_ == capacity_) [[unlikely]] {
      grow();
    }
    items_[size_++] = id;
  }
  /// A push now would grow the stack.
  [[nodiscard]] bool full() const { return size_ == capacity_; }
  /// Makes room for the next push: for a caller that checks `full()` itself
  /// to notice the growth (a work list this long can mean a loop).
  [[gnu::noinline]] void grow() {
    const std::size_t capacity = capacity_ == 0 ? 64 : 2 * capacity_;
    auto items = std::make_unique<Id[]>(capacity);
    for (std::size_t i = 0; i < size_; ++i) {
      items[i] = items_[i];
    }
    items_ = std::move(items);
    capacity_ = capacity;
  }
  /// A push into room `full()` said there is (or `grow()` made).
  [[gnu::always_inline]] void push_unchecked(Id id) {
    assert(size_ < capacity_);
    items_[size_++] = id;
  }
  Id operator[](std::size_t i) const {
    assert(i < size_);
    return items_[i];
  }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  Id back() const {
    assert(size_ > 0);
    return items_[size_ - 1];
  }
  void pop_back() {
    assert(size_ > 0);
    --size_;
  }
  void clear() { size_ = 0; }

 private:
  std::unique_ptr<Id[]> items_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace tailsim::engine
