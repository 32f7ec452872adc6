#include "tailsim/study/seed_list.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace study = tailsim::study;
using Seeds = std::vector<std::uint64_t>;

namespace {

/// The error message of `--seed text`, which must not parse.
std::string seed_error(const std::string& text) {
  const auto seeds = study::parse_seeds(text);
  REQUIRE_FALSE(seeds);
  return seeds.error().message;
}

}  // namespace

TEST_CASE("parse_seeds: one seed, as model::parse_seed reads it", "[study][seed_list]") {
  CHECK(*study::parse_seeds("7") == Seeds{7});
  CHECK(*study::parse_seeds("0") == Seeds{0});
  CHECK(*study::parse_seeds(" 18446744073709551615 ") == Seeds{18446744073709551615ULL});
  CHECK_THAT(seed_error("x"), Catch::Contains("a seed is a whole number") &&
                                  Catch::Contains("a range FIRST..LAST (1..5)"));
  CHECK_THAT(seed_error("-3"), Catch::Contains("got '-3'"));
}

TEST_CASE("parse_seeds A..B: every seed from A to B, in order", "[study][seed_list]") {
  CHECK(*study::parse_seeds("1..5") == Seeds{1, 2, 3, 4, 5});
  CHECK(*study::parse_seeds("9..10") == Seeds{9, 10});
  CHECK(*study::parse_seeds(" 3 .. 4 ") == Seeds{3, 4});
  CHECK(*study::parse_seeds("18446744073709551614..18446744073709551615") ==
        Seeds{18446744073709551614ULL, 18446744073709551615ULL});
  CHECK(study::parse_seeds("1..100000")->size() == study::max_listed_seeds);
}

TEST_CASE("parse_seeds A..B: a wrong range says how to write one", "[study][seed_list]") {
  CHECK_THAT(seed_error("5..1"),
             Catch::Contains("a range goes up: write 1..5") && Catch::Contains("got '5..1'"));
  CHECK_THAT(seed_error("1.."), Catch::Contains("a range is two seeds with '..' between them") &&
                                    Catch::Contains("FIRST..LAST (1..5)"));
  CHECK_THAT(seed_error("..5"), Catch::Contains("two seeds with '..'"));
  CHECK_THAT(seed_error("1..x"), Catch::Contains("two seeds with '..'"));
  CHECK_THAT(seed_error("1..2..3"), Catch::Contains("two seeds with '..'"));
  CHECK_THAT(seed_error("4..4"), Catch::Contains("for one, write 4"));
  CHECK_THAT(seed_error("1..100001"), Catch::Contains("at most 100000 seeds"));
  // The whole range of seeds is refused before anything is allocated.
  CHECK_THAT(seed_error("0..18446744073709551615"), Catch::Contains("at most 100000 seeds"));
}

TEST_CASE("parse_seeds A,B,C: those seeds in the order given", "[study][seed_list]") {
  CHECK(*study::parse_seeds("3,7,11") == Seeds{3, 7, 11});
  CHECK(*study::parse_seeds("11, 3") == Seeds{11, 3});
  CHECK_THAT(seed_error("3,,7"), Catch::Contains("a list is seeds with ',' between them"));
  CHECK_THAT(seed_error("3,"), Catch::Contains("a list is seeds with ','"));
  CHECK_THAT(seed_error("3,x"), Catch::Contains("got '3,x'"));
  CHECK_THAT(seed_error("3,7,3"), Catch::Contains("the list names 3 twice"));
  std::string many = "0";
  for (int i = 1; i <= 100000; ++i) {
    many += "," + std::to_string(i);
  }
  CHECK_THAT(seed_error(many), Catch::Contains("at most 100000 seeds"));
}
