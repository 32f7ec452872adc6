#pragma once
/// How a simulated request or call ended: a value, never an exception
/// (STYLE.md rule 5). The plan names outcomes (which ones a retry retries),
/// the engine produces them and stats counts them, so they live below all three.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

namespace tailsim {

/// How a request or call ended. `unfinished` is a request still open when
/// the drain period ran out.
enum class Outcome : std::uint8_t { ok, timeout, rejected, error, unavailable, unfinished };
inline constexpr std::size_t outcome_count = 6;

/// The failed outcomes and their names as results.json, the metrics and the
/// traces write them, in results.json's order.
inline constexpr std::array<std::pair<Outcome, std::string_view>, 5> error_kinds = {{
    {Outcome::timeout, "timeout"},
    {Outcome::rejected, "rejected"},
    {Outcome::error, "error"},
    {Outcome::unavailable, "unavailable"},
    {Outcome::unfinished, "unfinished"},
}};

/// An outcome's name: "ok", or one of error_kinds'.
constexpr std::string_view outcome_name(Outcome outcome) {
  for (const auto& [kind, name] : error_kinds) {
    if (kind == outcome) {
      return name;
    }
  }
  return "ok";
}

}  // namespace tailsim
