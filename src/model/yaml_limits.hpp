#pragma once
/// Bounds on the shape of YAML text, checked before yaml-cpp builds a tree or
/// the reader expands it: how deep collections nest (yaml-cpp's parser
/// recurses once per level, so a deep file could overflow the stack) and how
/// many values aliases add (a few hundred bytes of nested aliases can stand
/// for billions of values). Private to the model module and the manifest
/// reader of import/, whose YAML it bounds the same way.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tailsim::model::detail {

/// Collections nested deeper than this are refused (SPEC.md, docs/model-format.md).
constexpr std::size_t max_nesting_depth = 512;
/// Values that aliases may add to a model, over all its aliases.
constexpr std::uint64_t max_alias_values = 100'000;

/// A shape problem: where it is (1-based line and column) and what it is.
struct ShapeProblem {
  std::uint32_t line = 1;
  std::uint32_t col = 1;
  std::string message;
};

/// The place where collections first nest deeper than `max_nesting_depth`,
/// found by scanning the text (block indentation, `- ` and `? ` indicators,
/// and flow brackets outside quotes and comments). The count errs on the high
/// side, never below the depth yaml-cpp would reach. `noun` names the text
/// in the message ("model", "manifest").
[[nodiscard]] std::optional<ShapeProblem> find_too_deep(std::string_view text,
                                                        std::string_view noun = "model");

/// The alias at which the values added through aliases first pass
/// `max_alias_values`, counted from the parser's events without building
/// anything. The text must be valid YAML of one document.
[[nodiscard]] std::optional<ShapeProblem> find_alias_bomb(std::string_view text,
                                                          std::string_view noun = "model");

}  // namespace tailsim::model::detail
