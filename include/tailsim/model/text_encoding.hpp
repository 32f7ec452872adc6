#pragma once
/// Checks and escapes for text that comes from a user: a model file, a
/// `--set` value, a data file. A model is untrusted input, so its text must be
/// UTF-8 (what the JSON and HTML outputs need) and nothing it holds may reach
/// a terminal as a control character or an escape sequence.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tailsim::model {

/// The offset of the first byte that is not part of well-formed UTF-8
/// (overlong forms, surrogates and code points above U+10FFFF included), if any.
[[nodiscard]] std::optional<std::size_t> first_invalid_utf8(std::string_view text);

/// "UTF-16" or "UTF-32" when `text` looks like one of them (a byte order
/// mark, or the NUL bytes ASCII text has in those encodings); nothing otherwise.
[[nodiscard]] std::optional<std::string_view> wide_encoding_of(std::string_view text);

/// The offset of the first control character of `text` (C0 other than tab and
/// newline when `allow_line_breaks`, DEL, and C1 U+0080 to U+009F), if any.
/// `text` should be valid UTF-8; stray bytes are not control characters.
[[nodiscard]] std::optional<std::size_t> first_control_character(std::string_view text,
                                                                 bool allow_line_breaks = false);

/// `text` safe to print: control characters become `\e`, `\n`, `\t`, `\r` or
/// `\xHH` (`\u0085` for C1), a byte that is not UTF-8 becomes `\xHH`, and a
/// backslash stays as it is. Other text is unchanged.
[[nodiscard]] std::string escape_control(std::string_view text);

/// At most `max_chars` characters (code points) of `text`, with `…` after it
/// when it was cut.
[[nodiscard]] std::string shorten(std::string_view text, std::size_t max_chars);

/// Line and column (1-based, columns in bytes as the YAML parser counts them)
/// of byte `offset` of `text`.
struct TextPosition {
  std::size_t line = 1;
  std::size_t col = 1;
};
[[nodiscard]] TextPosition position_of(std::string_view text, std::size_t offset);

}  // namespace tailsim::model
