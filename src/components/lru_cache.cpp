#include "tailsim/components/lru_cache.hpp"

#include <bit>
#include <cassert>
#include <utility>

namespace tailsim::components {

namespace {
constexpr std::size_t first_slots = 16;
constexpr std::size_t spare_uses = 64;  ///< uses beyond two per entry before compacting
}  // namespace

std::size_t LruCache::home(std::uint64_t key) const {
  // Fibonacci hashing on a key whose high half is folded in: the top bits of
  // the product depend on every bit of the key.
  const std::uint64_t h = (key ^ (key >> 32)) * 0x9E3779B97F4A7C15ULL;
  return static_cast<std::size_t>(h >> shift_);
}

std::size_t LruCache::find_slot(std::uint64_t key) const {
  std::size_t i = home(key);
  while (slots_[i].stamp != 0 && slots_[i].key != key) {
    i = (i + 1) & mask_;
  }
  return i;
}

bool LruCache::is_current(const Use& use) const {
  const Entry& entry = slots_[find_slot(use.key)];
  return entry.stamp == use.stamp;
}

void LruCache::touch(Entry& entry) {
  entry.stamp = ++last_stamp_;
  if (uses_.size() >= 2 * size_ + spare_uses) {  // counts the uses already evicted too
    compact_uses();
  }
  uses_.push_back({entry.stamp, entry.key});
}

void LruCache::compact_uses() {
  std::size_t kept = 0;
  for (std::size_t u = first_use_; u < uses_.size(); ++u) {
    if (is_current(uses_[u])) {
      uses_[kept++] = uses_[u];
    }
  }
  uses_.resize(kept);
  first_use_ = 0;
}

void LruCache::erase_slot(std::size_t i) {
  // Backward shift: pull each later entry of the run back into the hole
  // unless that would put it before its home slot.
  std::size_t j = i;
  for (;;) {
    j = (j + 1) & mask_;
    if (slots_[j].stamp == 0) {
      break;
    }
    const std::size_t k = home(slots_[j].key);
    if (((j - k) & mask_) >= ((j - i) & mask_)) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i].stamp = 0;
  --size_;
}

void LruCache::evict_least_recent() {
  for (;;) {
    assert(first_use_ < uses_.size() && "every stored entry has a current use");
    const Use use = uses_[first_use_++];
    const std::size_t i = find_slot(use.key);
    if (slots_[i].stamp == use.stamp) {
      erase_slot(i);
      break;
    }
  }
  if (first_use_ == uses_.size()) {
    uses_.clear();
    first_use_ = 0;
  }
}

void LruCache::grow() {
  std::vector<Entry> old = std::move(slots_);
  const std::size_t n = old.empty() ? first_slots : 2 * old.size();
  slots_.assign(n, Entry{});
  mask_ = n - 1;
  shift_ = 64 - std::countr_zero(n);
  for (const Entry& entry : old) {
    if (entry.stamp != 0) {
      slots_[find_slot(entry.key)] = entry;
    }
  }
}

bool LruCache::lookup(std::uint64_t key, Time now) {
  if (size_ == 0) {
    return false;
  }
  const std::size_t i = find_slot(key);
  Entry& entry = slots_[i];
  if (entry.stamp == 0) {
    return false;
  }
  if (ttl_ > Duration::zero() && now - entry.stored >= ttl_) {
    erase_slot(i);  // expired; its uses are no longer current
    return false;
  }
  touch(entry);
  return true;
}

void LruCache::fill(std::uint64_t key, Time now) {
  if (capacity_ == 0) {
    return;
  }
  if (!slots_.empty()) {
    Entry& entry = slots_[find_slot(key)];
    if (entry.stamp != 0) {
      entry.stored = now;
      touch(entry);
      return;
    }
  }
  if (size_ >= capacity_) {
    evict_least_recent();
  }
  if (2 * (size_ + 1) > slots_.size()) {
    grow();
  }
  Entry& entry = slots_[find_slot(key)];
  entry.key = key;
  entry.stored = now;
  ++size_;
  touch(entry);
}

void LruCache::clear() {
  slots_.clear();
  mask_ = 0;
  shift_ = 64;
  size_ = 0;
  uses_.clear();
  first_use_ = 0;
}

}  // namespace tailsim::components
