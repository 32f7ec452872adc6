#include "tailsim/engine/fifo.hpp"

#include <deque>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

using tailsim::engine::Fifo;

TEST_CASE("a Fifo holds what a std::deque holds, taken from either end", "[fifo]") {
  // Random pushes, takings from the front and the back, and clears, long
  // enough and lopsided enough that the taken part of the vector moves down
  // many times; after each step the two agree on size, ends and contents.
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    Fifo<int> fifo;
    std::deque<int> reference;
    int next = 0;
    for (int step = 0; step < 20'000; ++step) {
      const auto what = rng() % 100;
      // Pushes outnumber takings early on, then the queue drains.
      const bool grows = step < 10'000 ? what < 55 : what < 40;
      if (grows || reference.empty()) {
        fifo.push_back(next);
        reference.push_back(next);
        ++next;
      } else if (what < 90) {
        CHECK(fifo.front() == reference.front());
        fifo.pop_front();
        reference.pop_front();
      } else if (what < 99) {
        CHECK(fifo.back() == reference.back());
        fifo.pop_back();
        reference.pop_back();
      } else {
        fifo.clear();
        reference.clear();
      }
      REQUIRE(fifo.size() == reference.size());
      REQUIRE(fifo.empty() == reference.empty());
      if (!reference.empty()) {
        REQUIRE(fifo.front() == reference.front());
        REQUIRE(fifo.back() == reference.back());
      }
      if (step % 97 == 0) {
        REQUIRE(std::vector<int>(fifo.begin(), fifo.end()) ==
                std::vector<int>(reference.begin(), reference.end()));
      }
    }
  }
}

TEST_CASE("a Fifo emptied from the front starts again at its vector's start", "[fifo]") {
  Fifo<int> fifo;
  for (int i = 0; i < 100; ++i) {
    fifo.push_back(i);
  }
  for (int i = 0; i < 100; ++i) {
    REQUIRE(fifo.front() == i);
    fifo.pop_front();
  }
  CHECK(fifo.empty());
  CHECK(fifo.begin() == fifo.end());
  fifo.push_back(7);
  CHECK(fifo.size() == 1);
  CHECK(fifo.front() == 7);
  CHECK(fifo.back() == 7);
  fifo.pop_back();
  CHECK(fifo.empty());
}
