#include "tailsim/model/text_encoding.hpp"

#include <cstdint>

#include <fmt/format.h>

namespace tailsim::model {
namespace {

/// The length of the well-formed UTF-8 sequence at `i` (RFC 3629, table 3-7
/// of the Unicode standard), or 0 when the bytes there are not one.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) {
    return i + k < text.size() ? static_cast<std::uint8_t>(text[i + k]) : std::uint8_t{0};
  };
  const auto in = [](std::uint8_t b, std::uint8_t low, std::uint8_t high) {
    return b >= low && b <= high;
  };
  const std::uint8_t b0 = byte(0);
  if (b0 < 0x80) {
    return 1;
  }
  if (in(b0, 0xC2, 0xDF)) {
    return in(byte(1), 0x80, 0xBF) ? 2 : 0;
  }
  if (in(b0, 0xE0, 0xEF)) {
    const std::uint8_t low = b0 == 0xE0 ? 0xA0 : 0x80;   // no overlong forms
    const std::uint8_t high = b0 == 0xED ? 0x9F : 0xBF;  // no surrogates
    return in(byte(1), low, high) && in(byte(2), 0x80, 0xBF) ? 3 : 0;
  }
  if (in(b0, 0xF0, 0xF4)) {
    const std::uint8_t low = b0 == 0xF0 ? 0x90 : 0x80;   // no overlong forms
    const std::uint8_t high = b0 == 0xF4 ? 0x8F : 0xBF;  // nothing above U+10FFFF
    return in(byte(1), low, high) && in(byte(2), 0x80, 0xBF) && in(byte(3), 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

bool is_c1_control(std::string_view text, std::size_t i) {
  return static_cast<std::uint8_t>(text[i]) == 0xC2 && i + 1 < text.size() &&
         static_cast<std::uint8_t>(text[i + 1]) >= 0x80 &&
         static_cast<std::uint8_t>(text[i + 1]) <= 0x9F;
}

bool is_c0_or_delete(char c) {
  const auto b = static_cast<std::uint8_t>(c);
  return b < 0x20 || b == 0x7F;
}

}  // namespace

std::optional<std::size_t> first_invalid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) {
      return i;
    }
    i += length;
  }
  return std::nullopt;
}

std::optional<std::string_view> wide_encoding_of(std::string_view text) {
  const auto starts = [&](std::string_view prefix) { return text.starts_with(prefix); };
  using namespace std::string_view_literals;
  if (starts("\xFF\xFE\0\0"sv) || starts("\0\0\xFE\xFF"sv)) {
    return "UTF-32";
  }
  if (starts("\xFF\xFE"sv) || starts("\xFE\xFF"sv)) {
    return "UTF-16";
  }
  // Without a byte order mark: ASCII text has three NUL bytes in each four
  // (UTF-32) or one in each two (UTF-16), at the front or at the back.
  if (text.size() >= 4 && text[0] != '\0' && text[1] == '\0' && text[2] == '\0' &&
      text[3] == '\0') {
    return "UTF-32";
  }
  if (text.size() >= 4 && text[0] == '\0' && text[1] == '\0' && text[2] == '\0' &&
      text[3] != '\0') {
    return "UTF-32";
  }
  if (text.size() >= 2 && (text[0] == '\0') != (text[1] == '\0')) {
    return "UTF-16";
  }
  return std::nullopt;
}

std::optional<std::size_t> first_control_character(std::string_view text, bool allow_line_breaks) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (allow_line_breaks && (c == '\n' || c == '\t')) {
      continue;
    }
    if (is_c0_or_delete(c) || is_c1_control(text, i)) {
      return i;
    }
  }
  return std::nullopt;
}

std::string escape_control(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (is_c0_or_delete(c)) {
      switch (c) {
        case '\x1b':
          out += "\\e";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\r':
          out += "\\r";
          break;
        default:
          out += fmt::format("\\x{:02x}", static_cast<std::uint8_t>(c));
      }
      ++i;
      continue;
    }
    if (is_c1_control(text, i)) {
      out += fmt::format("\\u{:04x}", static_cast<std::uint8_t>(text[i + 1]));
      i += 2;
      continue;
    }
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) {
      out += fmt::format("\\x{:02x}", static_cast<std::uint8_t>(c));
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

std::string shorten(std::string_view text, std::size_t max_chars) {
  std::size_t i = 0;
  std::size_t chars = 0;
  while (i < text.size() && chars < max_chars) {
    const std::size_t length = utf8_sequence_length(text, i);
    i += length == 0 ? 1 : length;
    ++chars;
  }
  if (i >= text.size()) {
    return std::string(text);
  }
  return std::string(text.substr(0, i)) + "…";
}

TextPosition position_of(std::string_view text, std::size_t offset) {
  TextPosition at;
  const std::string_view before = text.substr(0, std::min(offset, text.size()));
  for (char c : before) {
    if (c == '\n') {
      ++at.line;
      at.col = 1;
    } else {
      ++at.col;
    }
  }
  return at;
}

}  // namespace tailsim::model
