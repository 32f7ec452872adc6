#pragma once
/// Small text helpers the value parsers share: a piece of the caller's text
/// that remembers where it starts, so errors report exact columns.

#include <cstddef>
#include <string>
#include <string_view>

#include "tailsim/core/text.hpp"
#include "tailsim/model/units.hpp"

namespace tailsim::model::detail {

using tailsim::is_space;

/// A piece of the caller's text and where it starts in that text.
struct Piece {
  std::string_view text;
  std::size_t offset = 0;
};

/// `text` without surrounding white space; `offset` is added to where it starts.
inline Piece trim(std::string_view text, std::size_t offset = 0) {
  const std::string_view trimmed = tailsim::trim(text);
  return {trimmed, offset + static_cast<std::size_t>(trimmed.data() - text.data())};
}

inline ParseError error_at(std::size_t offset, std::string message) {
  return ParseError{std::move(message), offset};
}

}  // namespace tailsim::model::detail
