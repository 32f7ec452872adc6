#include "yaml_document.hpp"

#include <algorithm>
#include <functional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "tailsim/model/text_encoding.hpp"
#include "yaml_limits.hpp"

namespace tailsim::model::detail {
namespace {

/// The line and column of the first tab in a line's indentation, if any.
std::optional<std::pair<std::uint32_t, std::uint32_t>> indentation_tab(std::string_view text) {
  std::uint32_t line = 1;
  bool at_line_start = true;
  std::uint32_t col = 1;
  for (char ch : text) {
    if (ch == '\n') {
      ++line;
      col = 1;
      at_line_start = true;
      continue;
    }
    if (at_line_start && ch == '\t') {
      return std::pair{line, col};
    }
    if (ch != ' ') {
      at_line_start = false;
    }
    ++col;
  }
  return std::nullopt;
}

/// A hint for the YAML errors users make most: `name: value` inside a
/// distribution's parentheses, where the model format wants `name=value`.
std::string yaml_error_hint(std::string_view text, const YAML::Mark& mark) {
  if (mark.line < 0) {
    return "";
  }
  std::size_t start = 0;
  for (int line = 0; line < mark.line && start != std::string_view::npos; ++line) {
    start = text.find('\n', start);
    start = start == std::string_view::npos ? start : start + 1;
  }
  if (start == std::string_view::npos) {
    return "";
  }
  const std::string_view row = text.substr(start, text.find('\n', start) - start);
  const auto open = row.find('(');
  if (open != std::string_view::npos && row.find(": ", open) != std::string_view::npos &&
      row.find(')', open) != std::string_view::npos) {
    return "; inside a distribution write named arguments with '=', e.g. "
           "lognormal(median=2ms, p99=20ms)";
  }
  return "";
}

/// Where byte `offset` of `text` is.
SourceLoc at_offset(std::string_view text, std::uint32_t source, std::size_t offset) {
  const TextPosition at = position_of(text, offset);
  return SourceLoc{source, static_cast<std::uint32_t>(at.line), static_cast<std::uint32_t>(at.col)};
}

}  // namespace

std::string not_utf8(std::string_view text, std::size_t offset, std::string_view what,
                     std::string_view noun) {
  return fmt::format(
      "{} is not UTF-8 text: byte 0x{:02X} here is not part of a UTF-8 "
      "character (a Latin-1 or Windows-1252 file?); save the {} as UTF-8",
      what, static_cast<unsigned char>(text[offset]), noun);
}

std::string never_closed(const Unclosed& open) {
  if (open.opener == '[' || open.opener == '{') {
    return fmt::format("this '{}' is never closed by a '{}'", open.opener,
                       open.opener == '[' ? ']' : '}');
  }
  return fmt::format("the string quoted here ({}) is never closed", open.opener);
}

bool check_yaml_text(std::string_view text, std::uint32_t source, std::string_view noun,
                     Diagnostics& diags) {
  const SourceLoc start{source, 1, 1};
  if (auto wide = wide_encoding_of(text)) {
    diags.error(start, fmt::format("the file is {} text; save the {} as UTF-8", *wide, noun));
    return false;
  }
  if (auto nul = text.find('\0'); nul != std::string_view::npos) {
    const auto line =
        std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(nul), '\n');
    diags.error(SourceLoc{source, static_cast<std::uint32_t>(line) + 1, 1},
                fmt::format("the file is not text (it holds a NUL byte); a {} is YAML text", noun));
    return false;
  }
  if (auto bad = first_invalid_utf8(text)) {
    diags.error(at_offset(text, source, *bad), not_utf8(text, *bad, "the file", noun));
    return false;
  }
  if (auto tab = indentation_tab(text)) {
    diags.error(SourceLoc{source, tab->first, tab->second},
                "a tab indents this line; YAML indents with spaces only");
    return false;
  }
  return true;
}

bool parse_yaml_checked(std::string_view text, const DocumentPlace& place, Diagnostics& diags,
                        const std::function<void()>& parse) {
  // Positions found in `text` are 1-based; the file's lines start earlier.
  const std::uint32_t lines_before = place.first_line - 1;
  const auto at = [&](std::uint32_t line, std::uint32_t col) {
    return SourceLoc{place.source, lines_before + line, col};
  };
  if (auto deep = find_too_deep(text, place.noun)) {
    diags.error(at(deep->line, deep->col), deep->message);
    return false;
  }
  try {
    // The parsers read the first document only; reading on can loop forever
    // on some malformed input in yaml-cpp 0.7, so callers split documents.
    parse();
  } catch (const YAML::Exception& e) {
    // yaml-cpp finds an unclosed string, '[' or '{' only at the end of the
    // text; the error points where it was opened.
    const auto last = text.find_last_not_of(" \t\r\n");
    const bool at_end = e.mark.pos < 0 || last == std::string_view::npos ||
                        static_cast<std::size_t>(e.mark.pos) > last;
    if (const auto open = at_end ? find_unclosed(text) : std::nullopt) {
      diags.error(at(open->line, open->column), "invalid YAML: " + never_closed(*open));
      return false;
    }
    diags.error(at(static_cast<std::uint32_t>(std::max(0, e.mark.line)) + 1,
                   static_cast<std::uint32_t>(std::max(0, e.mark.column)) + 1),
                fmt::format("invalid YAML: {}{}", e.msg,
                            place.distribution_hint ? yaml_error_hint(text, e.mark) : ""));
    return false;
  }
  // yaml-cpp 0.7 takes a quoted string left open at the end of the text as
  // ending there (`name: "shop` reads as 'shop '): YAML says it is an error.
  if (const auto open = find_unclosed(text); open && open->opener != '[' && open->opener != '{') {
    diags.error(at(open->line, open->column), "invalid YAML: " + never_closed(*open));
    return false;
  }
  if (auto bomb = find_alias_bomb(text, place.noun)) {
    diags.error(at(bomb->line, bomb->col), bomb->message);
    return false;
  }
  return true;
}

std::optional<YAML::Node> parse_yaml_document(std::string_view text, const DocumentPlace& place,
                                              Diagnostics& diags) {
  YAML::Node root;
  if (!parse_yaml_checked(text, place, diags, [&] { root = YAML::Load(std::string(text)); })) {
    return std::nullopt;
  }
  return root;
}

}  // namespace tailsim::model::detail
