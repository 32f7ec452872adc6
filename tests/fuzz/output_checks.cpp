#include "output_checks.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <vector>

namespace tailsim::fuzz {
namespace {

bool is_name_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' || c == ':';
}

bool is_name_char(char c) {
  return is_name_start(c) || std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '-' ||
         c == '.';
}

/// The length of the entity at `text[at]` (which is `&`), or 0 if none is.
std::size_t entity_length(std::string_view text, std::size_t at) {
  std::size_t i = at + 1;
  if (i < text.size() && text[i] == '#') {
    ++i;
    const bool hex = i < text.size() && text[i] == 'x';
    i += hex ? 1 : 0;
    const auto first = i;
    while (i < text.size() && (hex ? std::isxdigit(static_cast<unsigned char>(text[i]))
                                   : std::isdigit(static_cast<unsigned char>(text[i]))) != 0) {
      ++i;
    }
    return i > first && i < text.size() && text[i] == ';' ? i + 1 - at : 0;
  }
  const auto first = i;
  while (i < text.size() && std::isalnum(static_cast<unsigned char>(text[i])) != 0) {
    ++i;
  }
  return i > first && i < text.size() && text[i] == ';' ? i + 1 - at : 0;
}

/// Checks character data between `from` and `to`: every `&` an entity.
std::string check_text(std::string_view text, std::size_t from, std::size_t to) {
  for (auto i = from; i < to; ++i) {
    if (text[i] == '&' && entity_length(text.substr(0, to), i) == 0) {
      return "bare '&' at byte " + std::to_string(i);
    }
  }
  return {};
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_void_element(const std::string& name) {
  static constexpr std::array<std::string_view, 13> names = {
      "area",  "base", "br",   "col",    "embed", "hr", "img",
      "input", "link", "meta", "source", "track", "wbr"};
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool parse_number(std::string_view s, double& out) {
  if (s.empty()) {
    return false;
  }
  const std::string copy(s);
  char* end = nullptr;
  out = std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size();
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = std::min(text.find('\n', start), text.size());
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

}  // namespace

std::string check_markup(std::string_view text, bool html) {
  std::vector<std::string> open;
  std::size_t roots = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lt = std::min(text.find('<', i), text.size());
    if (auto bad = check_text(text, i, lt); !bad.empty()) {
      return bad;
    }
    if (lt == text.size()) {
      break;
    }
    const auto rest = text.substr(lt);
    if (rest.starts_with("<!--")) {
      const auto end = text.find("-->", lt + 4);
      if (end == std::string_view::npos) {
        return "unterminated comment";
      }
      i = end + 3;
      continue;
    }
    if (rest.starts_with("<![CDATA[")) {
      const auto end = text.find("]]>", lt);
      if (end == std::string_view::npos) {
        return "unterminated CDATA";
      }
      i = end + 3;
      continue;
    }
    if (rest.starts_with("<!") || rest.starts_with("<?")) {
      const auto end = text.find('>', lt);
      if (end == std::string_view::npos) {
        return "unterminated declaration";
      }
      i = end + 1;
      continue;
    }
    const bool closing = rest.starts_with("</");
    auto j = lt + (closing ? 2 : 1);
    const auto name_start = j;
    if (j >= text.size() || !is_name_start(text[j])) {
      return "'<' that starts no tag at byte " + std::to_string(lt);
    }
    while (j < text.size() && is_name_char(text[j])) {
      ++j;
    }
    auto name = std::string(text.substr(name_start, j - name_start));
    if (html) {
      name = lower(name);
    }
    bool self_closing = false;
    for (;;) {
      while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j])) != 0) {
        ++j;
      }
      if (j >= text.size()) {
        return "unterminated tag <" + name;
      }
      if (text[j] == '>') {
        ++j;
        break;
      }
      if (text.substr(j).starts_with("/>") && !closing) {
        self_closing = true;
        j += 2;
        break;
      }
      if (closing || !is_name_start(text[j])) {
        return "bad character in tag <" + name + " at byte " + std::to_string(j);
      }
      while (j < text.size() && is_name_char(text[j])) {
        ++j;
      }
      if (j < text.size() && text[j] == '=') {
        ++j;
        if (j >= text.size() || (text[j] != '"' && text[j] != '\'')) {
          return "unquoted attribute value in <" + name;
        }
        const char quote = text[j];
        const auto end = text.find(quote, j + 1);
        if (end == std::string_view::npos) {
          return "unterminated attribute value in <" + name;
        }
        if (text.substr(j + 1, end - j - 1).find('<') != std::string_view::npos) {
          return "'<' in an attribute value of <" + name;
        }
        if (auto bad = check_text(text, j + 1, end); !bad.empty()) {
          return bad;
        }
        j = end + 1;
      } else if (!html) {
        return "attribute without a value in <" + name;
      }
    }
    i = j;
    if (closing) {
      if (open.empty() || open.back() != name) {
        return "</" + name + "> closes " + (open.empty() ? "nothing" : "<" + open.back() + ">");
      }
      open.pop_back();
      continue;
    }
    if (open.empty()) {
      ++roots;
    }
    if (self_closing || (html && is_void_element(name))) {
      continue;
    }
    if (html && (name == "style" || name == "script")) {
      const auto end = lower(text.substr(i)).find("</" + name);
      if (end == std::string::npos) {
        return "unterminated <" + name + ">";
      }
      i += end;
    }
    open.push_back(name);
  }
  if (!open.empty()) {
    return "<" + open.back() + "> never closed";
  }
  if (!html && roots != 1) {
    return std::to_string(roots) + " root elements";
  }
  return {};
}

std::string check_openmetrics(std::string_view text) {
  if (!text.ends_with("# EOF\n")) {
    return "no '# EOF' at the end";
  }
  for (const auto line : split_lines(text)) {
    if (line.starts_with("#")) {
      if (line != "# EOF" && !line.starts_with("# TYPE ") && !line.starts_with("# HELP ") &&
          !line.starts_with("# UNIT ")) {
        return "bad comment line: " + std::string(line);
      }
      continue;
    }
    std::size_t i = 0;
    if (line.empty() || !is_name_start(line[0])) {
      return "bad metric name: " + std::string(line);
    }
    while (i < line.size() && (is_name_char(line[i]) && line[i] != '-' && line[i] != '.')) {
      ++i;
    }
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        const auto name_start = i;
        while (i < line.size() &&
               (std::isalnum(static_cast<unsigned char>(line[i])) != 0 || line[i] == '_')) {
          ++i;
        }
        if (i == name_start || i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') {
          return "bad label: " + std::string(line);
        }
        i += 2;
        while (i < line.size() && line[i] != '"') {
          if (line[i] == '\\') {
            if (i + 1 >= line.size() ||
                (line[i + 1] != '\\' && line[i + 1] != '"' && line[i + 1] != 'n')) {
              return "bad escape in a label value: " + std::string(line);
            }
            ++i;
          }
          ++i;
        }
        if (i >= line.size()) {
          return "unterminated label value: " + std::string(line);
        }
        ++i;
        if (i < line.size() && line[i] == ',') {
          ++i;
        }
      }
      if (i >= line.size()) {
        return "unterminated labels: " + std::string(line);
      }
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') {
      return "no value: " + std::string(line);
    }
    auto value = line.substr(i + 1);
    const auto space = value.find(' ');
    const auto timestamp = space == std::string_view::npos ? "" : value.substr(space + 1);
    value = value.substr(0, space);
    double number = 0;
    if (value != "+Inf" && value != "-Inf" && value != "NaN" && !parse_number(value, number)) {
      return "bad value: " + std::string(line);
    }
    if (space != std::string_view::npos && !parse_number(timestamp, number)) {
      return "bad timestamp: " + std::string(line);
    }
  }
  return {};
}

std::string check_csv(std::string_view text) {
  if (!text.empty() && !text.ends_with('\n')) {
    return "no newline at the end";
  }
  std::size_t header_fields = 0;
  std::size_t fields = 1;
  std::size_t record = 0;
  bool quoted = false;
  bool field_start = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          ++i;
        } else {
          quoted = false;
          if (i + 1 < text.size() && text[i + 1] != ',' && text[i + 1] != '\n' &&
              text[i + 1] != '\r') {
            return "text after a closing quote in record " + std::to_string(record + 1);
          }
        }
      }
      continue;
    }
    if (c == '"') {
      if (!field_start) {
        return "quote inside an unquoted field in record " + std::to_string(record + 1);
      }
      quoted = true;
    } else if (c == ',') {
      ++fields;
      field_start = true;
      continue;
    } else if (c == '\n') {
      if (record == 0) {
        header_fields = fields;
      } else if (fields != header_fields) {
        return "record " + std::to_string(record + 1) + " has " + std::to_string(fields) +
               " fields, the header " + std::to_string(header_fields);
      }
      ++record;
      fields = 1;
      field_start = true;
      continue;
    }
    field_start = false;
  }
  return quoted ? "unterminated quoted field" : std::string();
}

std::string check_hgrm(std::string_view text) {
  double last_value = -1;
  double last_percentile = -1;
  for (const auto line : split_lines(text)) {
    std::istringstream in{std::string(line)};
    std::vector<std::string> words;
    for (std::string w; in >> w;) {
      words.push_back(w);
    }
    if (words.empty() || words[0].starts_with("#") || words[0] == "Value") {
      continue;
    }
    double value = 0;
    double percentile = 0;
    double count = 0;
    if (words.size() < 3 || words.size() > 4 || !parse_number(words[0], value) ||
        !parse_number(words[1], percentile) || !parse_number(words[2], count) ||
        !std::isfinite(value) || !std::isfinite(percentile)) {
      return "bad row: " + std::string(line);
    }
    if (value < last_value || percentile < last_percentile || percentile < 0 || percentile > 1) {
      return "row out of order: " + std::string(line);
    }
    last_value = value;
    last_percentile = percentile;
  }
  return {};
}

}  // namespace tailsim::fuzz
