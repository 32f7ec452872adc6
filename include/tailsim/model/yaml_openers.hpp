#pragma once
/// Where a YAML text opens something it never closes. yaml-cpp reports an
/// unclosed quoted string or flow collection ("end of map flow not found")
/// at the end of the file, hundreds of lines from the mistake; this finds
/// the quote, '[' or '{' that started it, so the error can point there.

#include <cstdint>
#include <optional>
#include <string_view>

namespace tailsim::model {

struct Unclosed {
  std::uint32_t line = 0;    ///< 1-based
  std::uint32_t column = 0;  ///< 1-based, in bytes
  char opener = 0;           ///< '"', '\'', '[' or '{'
};

/// The quoted string left open at the end of `text`, or else the innermost
/// flow collection left open; nothing when every one is closed. Comments and
/// block scalars (`|`, `>`) are skipped, and a quote or bracket counts only
/// where a value can start (after `: `, `- `, `[`, `{`, `,`, or first on its
/// line), so the apostrophe of a plain `it's` is not an opener.
std::optional<Unclosed> find_unclosed(std::string_view text);

}  // namespace tailsim::model
