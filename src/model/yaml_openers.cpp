#include "tailsim/model/yaml_openers.hpp"

#include <vector>

namespace tailsim::model {
namespace {

/// Can a value start at a character whose line so far is `before`? First
/// on its line, right after a flow indicator, or after `:`, `-` or `?`
/// and a space.
bool value_can_start(std::string_view before) {
  const auto last = before.find_last_not_of(' ');
  if (last == std::string_view::npos) {
    return true;
  }
  const char c = before[last];
  if (c == '[' || c == '{' || c == ',') {
    return true;
  }
  return (c == ':' || c == '-' || c == '?') && last + 1 < before.size();
}

/// Whether the rest of a line after a block scalar's `|` or `>` is only its
/// indicators (chomping, indentation) and perhaps a comment.
bool only_block_indicators(std::string_view rest) {
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    if (c == '#' && (i == 0 || rest[i - 1] == ' ')) {
      return true;
    }
    if (c != '+' && c != '-' && c != ' ' && (c < '1' || c > '9')) {
      return false;
    }
  }
  return true;
}

std::size_t indentation(std::string_view line) {
  const auto first = line.find_first_not_of(' ');
  return first == std::string_view::npos ? line.size() : first;
}

}  // namespace

std::optional<Unclosed> find_unclosed(std::string_view text) {
  std::optional<Unclosed> quote;            // the quoted string open now
  std::vector<Unclosed> flows;              // the flow collections open now, innermost last
  std::optional<std::size_t> block_parent;  // in a block scalar: its key line's indentation
  std::uint32_t line_number = 0;
  for (std::size_t start = 0; start <= text.size();) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line = text.substr(start, end - start);
    ++line_number;
    start = end + 1;
    if (block_parent) {  // a block scalar's lines are text: blank or indented deeper
      if (line.find_first_not_of(' ') == std::string_view::npos ||
          indentation(line) > *block_parent) {
        continue;
      }
      block_parent.reset();
    }
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quote) {
        if (quote->opener == '"' && c == '\\') {
          ++i;  // an escaped character
        } else if (c == quote->opener) {
          if (c == '\'' && i + 1 < line.size() && line[i + 1] == '\'') {
            ++i;  // '' is a quote inside single quotes
          } else {
            quote.reset();
          }
        }
        continue;
      }
      const std::string_view before = line.substr(0, i);
      if (c == '#' && (i == 0 || line[i - 1] == ' ')) {
        break;  // a comment, to the end of the line
      }
      const Unclosed here{line_number, static_cast<std::uint32_t>(i + 1), c};
      if ((c == '"' || c == '\'') && value_can_start(before)) {
        quote = here;
      } else if ((c == '[' || c == '{') && value_can_start(before)) {
        flows.push_back(here);
      } else if ((c == ']' || c == '}') && !flows.empty() &&
                 flows.back().opener == (c == ']' ? '[' : '{')) {
        flows.pop_back();
      } else if ((c == '|' || c == '>') && flows.empty() && value_can_start(before) &&
                 only_block_indicators(line.substr(i + 1))) {
        block_parent = indentation(line);
        break;
      }
    }
  }
  if (quote) {
    return quote;
  }
  if (!flows.empty()) {
    return flows.back();
  }
  return std::nullopt;
}

}  // namespace tailsim::model
