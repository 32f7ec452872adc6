#include "tailsim/components/lru_cache.hpp"

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
