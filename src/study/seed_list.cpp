#include "tailsim/study/seed_list.hpp"

#include <algorithm>
#include <string>

#include <fmt/format.h>

namespace tailsim::study {
namespace {

/// What every error ends with: the forms `--seed` takes.
constexpr std::string_view forms =
    "--seed takes one seed (7), a range FIRST..LAST (1..5) or a list (3,7,11)";

/// An error in a range or list: why, the text, and how to write one.
model::ParseError seed_error(std::string_view text, const std::string& why) {
  return model::ParseError{fmt::format("{}, got '{}'; {}", why, text, forms), 0};
}

}  // namespace

model::ParseResult<std::vector<std::uint64_t>> parse_seeds(std::string_view text) {
  std::vector<std::uint64_t> seeds;
  const auto dots = text.find("..");
  if (dots != std::string_view::npos) {
    const auto first = model::parse_seed(text.substr(0, dots));
    const auto last = model::parse_seed(text.substr(dots + 2));
    if (!first || !last) {
      return seed_error(text, "a range is two seeds with '..' between them");
    }
    if (*last < *first) {
      return seed_error(text, fmt::format("a range goes up: write {}..{}", *last, *first));
    }
    if (*last == *first) {
      return seed_error(text,
                        fmt::format("a range names 2 seeds or more; for one, write {}", *first));
    }
    if (*last - *first >= max_listed_seeds) {
      return seed_error(text, fmt::format("a range names at most {} seeds", max_listed_seeds));
    }
    for (std::uint64_t seed = *first;; ++seed) {
      seeds.push_back(seed);
      if (seed == *last) {
        break;
      }
    }
    return seeds;
  }
  std::string_view rest = text;
  while (true) {
    const auto comma = rest.find(',');
    const auto seed = model::parse_seed(rest.substr(0, comma));
    if (!seed && comma == std::string_view::npos && seeds.empty()) {
      return model::ParseError{fmt::format("{}; {}", seed.error().message, forms), 0};
    }
    if (!seed) {
      return seed_error(text, "a list is seeds with ',' between them");
    }
    if (seeds.size() == max_listed_seeds) {
      return seed_error(text, fmt::format("a list names at most {} seeds", max_listed_seeds));
    }
    seeds.push_back(*seed);
    if (comma == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(comma + 1);
  }
  // Two runs on one seed are one run counted twice: no interval would hold.
  std::vector<std::uint64_t> sorted = seeds;
  std::sort(sorted.begin(), sorted.end());
  if (const auto twice = std::adjacent_find(sorted.begin(), sorted.end()); twice != sorted.end()) {
    return seed_error(text, fmt::format("the list names {} twice", *twice));
  }
  return seeds;
}

}  // namespace tailsim::study
