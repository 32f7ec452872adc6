#include "tailsim/components/lru_cache.hpp"

#include <list>
#include <map>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

using tailsim::Duration;
using tailsim::Time;
using tailsim::components::LruCache;
using namespace std::chrono_literals;

TEST_CASE("the least recently used entry is evicted first", "[cache]") {
  LruCache cache(2, Duration{0});
  const Time t{};
  cache.fill(1, t);
  cache.fill(2, t);
  CHECK(cache.lookup(1, t));  // 1 is now more recent than 2
  cache.fill(3, t);           // evicts 2
  CHECK(cache.lookup(1, t));
  CHECK_FALSE(cache.lookup(2, t));
  CHECK(cache.lookup(3, t));
  CHECK(cache.size() == 2);
}

TEST_CASE("entries expire after their time to live", "[cache]") {
  LruCache cache(10, 5s);
  cache.fill(7, Time{} + 1s);
  CHECK(cache.lookup(7, Time{} + 5s));
  CHECK_FALSE(cache.lookup(7, Time{} + 6s));
  CHECK(cache.size() == 0);
  cache.fill(7, Time{} + 6s);
  cache.fill(7, Time{} + 9s);  // refreshed
  CHECK(cache.lookup(7, Time{} + 13s));
}

TEST_CASE("clear empties the cache", "[cache]") {
  LruCache cache(10, Duration{0});
  for (std::uint64_t k = 0; k < 10; ++k) {
    cache.fill(k, Time{});
  }
  cache.clear();
  CHECK(cache.size() == 0);
  CHECK_FALSE(cache.lookup(3, Time{}));
  cache.fill(3, Time{});
  CHECK(cache.lookup(3, Time{}));
}

namespace {

/// The plain least-recently-used cache the fast one must answer exactly as:
/// a list from most to least recent and a map into it.
class ReferenceLru {
 public:
  ReferenceLru(std::uint64_t capacity, Duration ttl) : capacity_(capacity), ttl_(ttl) {}

  bool lookup(std::uint64_t key, Time now) {
    const auto it = index_.find(key);
    if (it == index_.end()) {
      return false;
    }
    if (ttl_ > Duration::zero() && now - it->second.stored >= ttl_) {
      order_.erase(it->second.position);
      index_.erase(it);
      return false;
    }
    order_.splice(order_.begin(), order_, it->second.position);
    return true;
  }
  void fill(std::uint64_t key, Time now) {
    if (capacity_ == 0) {
      return;
    }
    if (const auto it = index_.find(key); it != index_.end()) {
      it->second.stored = now;
      order_.splice(order_.begin(), order_, it->second.position);
      return;
    }
    if (index_.size() >= capacity_) {
      index_.erase(order_.back());
      order_.pop_back();
    }
    order_.push_front(key);
    index_.emplace(key, Stored{order_.begin(), now});
  }
  void clear() {
    order_.clear();
    index_.clear();
  }
  [[nodiscard]] std::size_t size() const { return index_.size(); }

 private:
  struct Stored {
    std::list<std::uint64_t>::iterator position;
    Time stored;
  };
  std::uint64_t capacity_;
  Duration ttl_;
  std::list<std::uint64_t> order_;  ///< most recent first
  std::map<std::uint64_t, Stored> index_;
};

}  // namespace

TEST_CASE("a long random sequence answers as a plain list-and-map LRU", "[cache]") {
  struct Shape {
    std::uint64_t capacity;
    std::uint64_t keys;
    Duration ttl;
  };
  const Shape shape =
      GENERATE(Shape{0, 4, Duration{0}}, Shape{1, 3, Duration{0}}, Shape{2, 5, 40ms},
               Shape{3, 8, Duration{0}}, Shape{5, 12, 25ms}, Shape{8, 9, 100ms},
               Shape{40, 120, Duration{0}}, Shape{100, 300, 60ms}, Shape{500, 600, 200ms});
  CAPTURE(shape.capacity, shape.keys, shape.ttl.count());
  LruCache cache(shape.capacity, shape.ttl);
  ReferenceLru reference(shape.capacity, shape.ttl);
  std::mt19937_64 rng(shape.capacity * 1000 + shape.keys);
  // Keys spread over the whole 64-bit range as well as small ones, so that
  // some share a home slot and runs wrap around the end of the table.
  std::vector<std::uint64_t> keys;
  for (std::uint64_t k = 0; k < shape.keys; ++k) {
    keys.push_back(k % 3 == 0 ? rng() : k);
  }
  Time now{};
  for (int step = 0; step < 200000; ++step) {
    CAPTURE(step);
    now += std::chrono::milliseconds(rng() % 3);
    // Skewed popularity: a few keys take most uses, as with zipf.
    const std::uint64_t r = rng() % shape.keys;
    const std::uint64_t key = keys[rng() % 2 == 0 ? r : r * r / shape.keys];
    const std::uint64_t action = rng() % 100;
    if (action < 55) {
      REQUIRE(cache.lookup(key, now) == reference.lookup(key, now));
    } else if (action < 99 || step % 50 != 0) {
      cache.fill(key, now);
      reference.fill(key, now);
    } else {
      cache.clear();
      reference.clear();
    }
    REQUIRE(cache.size() == reference.size());
  }
  // Every key answers the same at the end, fresh or expired.
  for (const std::uint64_t key : keys) {
    REQUIRE(cache.lookup(key, now) == reference.lookup(key, now));
  }
}
