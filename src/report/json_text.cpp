#include "tailsim/report/json_text.hpp"

#include <cstddef>
#include <cstdint>

namespace tailsim::report {
namespace {

/// How many bytes from `i` (a byte of 0x80 or above) belong to one UTF-8
/// sequence as far as it is well formed (RFC 3629; table 3-7 of the Unicode
/// standard: no overlong forms, surrogates or code points above U+10FFFF),
/// and whether they make a whole code point. At least 1: a byte that cannot
/// start a sequence is a maximal subpart of its own.
struct Utf8Prefix {
  std::size_t length = 1;
  bool is_complete = false;
};

Utf8Prefix utf8_prefix(std::string_view text, std::size_t i) {
  const auto b0 = static_cast<std::uint8_t>(text[i]);
  std::size_t need = 0;
  std::uint8_t low = 0x80;  // the range of the second byte
  std::uint8_t high = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    low = b0 == 0xE0 ? 0xA0 : 0x80;   // no overlong forms
    high = b0 == 0xED ? 0x9F : 0xBF;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    low = b0 == 0xF0 ? 0x90 : 0x80;   // no overlong forms
    high = b0 == 0xF4 ? 0x8F : 0xBF;  // nothing above U+10FFFF
  } else {
    return {};  // a continuation byte, C0, C1 or F5 to FF
  }
  std::size_t length = 1;
  for (; length < need; ++length) {
    if (i + length >= text.size()) {
      return {length, false};
    }
    const auto b = static_cast<std::uint8_t>(text[i + length]);
    const bool fits = length == 1 ? b >= low && b <= high : b >= 0x80 && b <= 0xBF;
    if (!fits) {
      return {length, false};
    }
  }
  return {length, true};
}

/// The escape of an ASCII byte that a JSON string may not hold as it is: a
/// quote, a backslash or a control character.
void append_escape(std::string& out, char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\r':
      out += "\\r";
      return;
    default:
      break;
  }
  constexpr std::string_view hex = "0123456789abcdef";
  out += "\\u00";
  out += hex[static_cast<std::uint8_t>(c) >> 4];
  out += hex[static_cast<std::uint8_t>(c) & 0xF];
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD
  out += '"';
  std::size_t copied = 0;  // text before this is in `out`
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (static_cast<std::uint8_t>(c) < 0x80) {
      if (c >= 0x20 && c != '"' && c != '\\') {
        ++i;
        continue;
      }
      out.append(text, copied, i - copied);
      append_escape(out, c);
      copied = ++i;
      continue;
    }
    const Utf8Prefix prefix = utf8_prefix(text, i);
    if (!prefix.is_complete) {
      out.append(text, copied, i - copied);
      out += replacement;
      copied = i + prefix.length;
    }
    i += prefix.length;
  }
  out.append(text, copied, text.size() - copied);
  out += '"';
}

}  // namespace tailsim::report
