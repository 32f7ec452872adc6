#pragma once
/// Text helpers every stage that reads text shares: the model's values and
/// the command line's arguments are trimmed alike.

#include <cstddef>
#include <string_view>

namespace tailsim {

/// White space around a value: space, tab, carriage return, line feed.
constexpr bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/// `text` without white space at either end, a view into `text` (an all
/// white-space text gives the empty view at its end).
constexpr std::string_view trim(std::string_view text) {
  std::size_t begin = 0;
  while (begin < text.size() && is_space(text[begin])) {
    ++begin;
  }
  std::size_t end = text.size();
  while (end > begin && is_space(text[end - 1])) {
    --end;
  }
  return text.substr(begin, end - begin);
}

}  // namespace tailsim
