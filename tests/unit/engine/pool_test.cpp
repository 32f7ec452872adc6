#include "tailsim/engine/pool.hpp"

#include <set>
#include <vector>

#include <catch2/catch.hpp>

#include "tailsim/engine/random_stream.hpp"

using tailsim::engine::Pool;
using tailsim::engine::RandomStream;

namespace {
struct Item {
  int value = 0;
};
}  // namespace

TEST_CASE("a pool reuses freed slots, gives fresh objects and stales old generations", "[pool]") {
  Pool<Item> pool;
  const auto a = pool.allocate();
  const auto b = pool.allocate();
  REQUIRE(a != b);
  pool[a].value = 7;
  const auto generation = pool.generation(a);
  REQUIRE(pool.is_current(a, generation));
  pool.release(a);
  REQUIRE_FALSE(pool.is_live(a));
  REQUIRE_FALSE(pool.is_current(a, generation));  // an event naming the old object is stale
  const auto c = pool.allocate();
  REQUIRE(c == a);              // the freed slot comes back...
  REQUIRE(pool[c].value == 0);  // ...value-initialised
  REQUIRE(pool.is_live(c));
  REQUIRE(pool.is_live(b));
  REQUIRE(pool.capacity() == 2);  // no growth while a slot is free
  REQUIRE(pool.live() == 2);
}

TEST_CASE("a pool's live set matches a reference under random allocation and release", "[pool]") {
  Pool<Item> pool;
  std::set<std::uint32_t> live;
  RandomStream rng(99);
  std::size_t peak = 0;
  for (int step = 0; step < 20000; ++step) {
    if (live.empty() || rng.uniform() < 0.5) {
      const auto id = pool.allocate();
      REQUIRE(live.insert(id).second);  // never hands out a live slot
      pool[id].value = static_cast<int>(id);
    } else {
      auto it = live.begin();
      std::advance(it, static_cast<long>(rng.uniform_int(live.size())));
      REQUIRE(pool[*it].value == static_cast<int>(*it));
      pool.release(*it);
      live.erase(it);
    }
    peak = std::max(peak, live.size());
    REQUIRE(pool.live() == live.size());
  }
  REQUIRE(pool.capacity() == peak);  // grows only to the peak
  for (std::uint32_t id = 0; id < pool.capacity(); ++id) {
    REQUIRE(pool.is_live(id) == (live.count(id) == 1));
  }
}

TEST_CASE("allocate(value) stores the value, in a reused slot or a new one", "[pool]") {
  Pool<Item> pool;
  const auto first = pool.allocate(Item{41});
  CHECK(pool[first].value == 41);
  pool.release(first);
  const auto reused = pool.allocate(Item{42});
  CHECK(reused == first);
  CHECK(pool[reused].value == 42);
  // A copy of one of its own objects while the pool grows: the objects
  // move to new storage, the copy must not change.
  for (int i = 0; i < 100; ++i) {
    const auto copy = pool.allocate(pool[reused]);
    CHECK(pool[copy].value == 42);
  }
  CHECK(pool.live() == 101);
}
