#include "tailsim/components/lru_cache.hpp"

namespace tailsim::components {

void LruCache::unlink(std::uint32_t i) {
  Node& n = nodes_[i];
  if (n.prev != none) {
    nodes_[n.prev].next = n.next;
  } else {
    head_ = n.next;
  }
  if (n.next != none) {
    nodes_[n.next].prev = n.prev;
  } else {
    tail_ = n.prev;
  }
  n.prev = n.next = none;
}

void LruCache::push_front(std::uint32_t i) {
  Node& n = nodes_[i];
  n.prev = none;
  n.next = head_;
  if (head_ != none) {
    nodes_[head_].prev = i;
  }
  head_ = i;
  if (tail_ == none) {
    tail_ = i;
  }
}

void LruCache::erase(std::uint32_t i) {
  unlink(i);
  index_.erase(nodes_[i].key);
  free_.push_back(i);
}

bool LruCache::lookup(std::uint64_t key, Time now) {
  const auto it = index_.find(key);
  if (it == index_.end()) {
    return false;
  }
  const std::uint32_t i = it->second;
  if (ttl_ > Duration::zero() && now - nodes_[i].stored >= ttl_) {
    erase(i);  // expired
    return false;
  }
  unlink(i);
  push_front(i);
  return true;
}

void LruCache::fill(std::uint64_t key, Time now) {
  if (capacity_ == 0) {
    return;
  }
  if (const auto it = index_.find(key); it != index_.end()) {
    nodes_[it->second].stored = now;
    unlink(it->second);
    push_front(it->second);
    return;
  }
  if (index_.size() >= capacity_) {
    erase(tail_);  // evict the least recently used
  }
  std::uint32_t i;
  if (!free_.empty()) {
    i = free_.back();
    free_.pop_back();
  } else {
    i = static_cast<std::uint32_t>(nodes_.size());
    nodes_.emplace_back();
  }
  nodes_[i].key = key;
  nodes_[i].stored = now;
  index_.emplace(key, i);
  push_front(i);
}

void LruCache::clear() {
  nodes_.clear();
  free_.clear();
  index_.clear();
  head_ = tail_ = none;
}

}  // namespace tailsim::components
