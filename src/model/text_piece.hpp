#pragma once
/// Small text helpers the value parsers share: a piece of the caller's text
/// that remembers where it starts, so errors report exact columns.

#include <cstddef>
#include <string>
#include <string_view>

#include "tailsim/model/units.hpp"

namespace tailsim::model::detail {

inline bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/// A piece of the caller's text and where it starts in that text.
struct Piece {
  std::string_view text;
  std::size_t offset = 0;
};

/// `text` without surrounding white space; `offset` is added to where it starts.
inline Piece trim(std::string_view text, std::size_t offset = 0) {
  std::size_t begin = 0;
  while (begin < text.size() && is_space(text[begin])) {
    ++begin;
  }
  std::size_t end = text.size();
  while (end > begin && is_space(text[end - 1])) {
    --end;
  }
  return {text.substr(begin, end - begin), offset + begin};
}

inline ParseError error_at(std::size_t offset, std::string message) {
  return ParseError{std::move(message), offset};
}

}  // namespace tailsim::model::detail
