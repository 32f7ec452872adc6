#include "tailsim/engine/id_stack.hpp"

#include <catch2/catch.hpp>

using tailsim::engine::IdStack;

TEST_CASE("an id stack keeps its ids in order across growth", "[id_stack]") {
  IdStack stack;
  REQUIRE(stack.empty());
  for (std::uint32_t i = 0; i < 1000; ++i) {  // several growths past the first 64
    stack.push(i * 3);
  }
  REQUIRE(stack.size() == 1000);
  for (std::uint32_t i = 0; i < 1000; ++i) {
    REQUIRE(stack[i] == i * 3);
  }
  REQUIRE(stack.back() == 999 * 3);
  stack.pop_back();
  REQUIRE(stack.back() == 998 * 3);
  stack.clear();
  REQUIRE(stack.empty());
  stack.push(5);
  REQUIRE(stack.size() == 1);
  REQUIRE(stack[0] == 5);
}
