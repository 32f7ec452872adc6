#pragma once
/// A queue over one vector, taken from the front (FIFO) or the back (LIFO):
/// a pod's requests waiting for a worker. Unlike std::deque, which allocates
/// a map and a 512-byte block as soon as it is made, it allocates nothing
/// until its first push, so an idle pod costs its few words: a model of a
/// million pods holds a million empty queues.
///
/// Taking from the front moves an index; once the items taken are at least
/// half the vector (and a few), the rest move down to its start, each move
/// paid for by a taking before it: O(1) amortized, no allocation once the
/// vector has grown to the longest queue.

#include <cassert>
#include <cstddef>
#include <vector>

namespace tailsim::engine {

template <class T>
class Fifo {
 public:
  void push_back(const T& item) { items_.push_back(item); }
  [[nodiscard]] bool empty() const { return head_ == items_.size(); }
  [[nodiscard]] std::size_t size() const { return items_.size() - head_; }
  [[nodiscard]] const T& front() const {
    assert(!empty());
    return items_[head_];
  }
  [[nodiscard]] const T& back() const {
    assert(!empty());
    return items_.back();
  }
  void pop_front() {
    assert(!empty());
    ++head_;
    if (head_ == items_.size()) {
      clear();
    } else if (head_ >= compact_from && 2 * head_ >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  void pop_back() {
    assert(!empty());
    items_.pop_back();
    if (head_ == items_.size()) {
      clear();
    }
  }
  /// Empties it; keeps the memory.
  void clear() {
    items_.clear();
    head_ = 0;
  }
  /// From the front to the back.
  [[nodiscard]] auto begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  [[nodiscard]] auto end() const { return items_.end(); }

 private:
  /// Items taken before the rest move down: short queues never move.
  static constexpr std::size_t compact_from = 32;
  std::vector<T> items_;
  std::size_t head_ = 0;  ///< the front's index; those before it are taken
};

}  // namespace tailsim::engine
