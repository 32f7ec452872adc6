#include "yaml_reader.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include "tailsim/core/duration_text.hpp"
#include "tailsim/model/text_encoding.hpp"

namespace tailsim::model::detail {
namespace {

/// More values than any real model has; a tree this large is an alias bomb
/// (aliases share nodes, so a small file can expand to billions of values).
constexpr std::size_t max_values = 2'000'000;
/// Distributions nested deeper than this (mixtures of mixtures) are refused.
constexpr int max_distribution_depth = 16;

std::string_view kind_of(const YamlNode& n) {
  switch (n.kind()) {
    case YamlKind::map:
      return "a map";
    case YamlKind::sequence:
      return "a list";
    case YamlKind::scalar:
      return "a value";
    case YamlKind::null:
      return "nothing";
  }
  return "nothing";
}

std::string quoted_list(std::initializer_list<std::string_view> names) {
  std::string out;
  for (auto n : names) {
    if (!out.empty()) {
      out += ", ";
    }
    out += n;
  }
  return out;
}

std::vector<std::string> to_strings(std::initializer_list<std::string_view> names) {
  return {names.begin(), names.end()};
}

/// Text that YAML left over when it split an unquoted distribution at a comma
/// inside `{ }` or `[ ]`, such as `p99=20ms)`.
bool looks_like_split_distribution(std::string_view key) {
  return key.find('=') != std::string_view::npos || key.find(')') != std::string_view::npos;
}

}  // namespace

bool is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > 128) {
    return false;
  }
  auto ok = [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '_';
  };
  return std::all_of(name.begin(), name.end(), ok) && name.front() != '-';
}

// ------------------------------------------------------------------ Fields

Fields::Fields(YamlReader& reader, const Cursor& map,
               std::initializer_list<std::string_view> allowed, std::string_view what)
    : reader_(reader), what_(what), loc_(reader.loc(map)) {
  if (map.yaml.is_null()) {
    is_map_ = true;  // `pod:` with nothing after it: an empty map
    return;
  }
  if (!map.yaml.is_map()) {
    reader_.error(loc_, fmt::format("{} must be a map of keys, got {}", what_, kind_of(map.yaml)));
    return;
  }
  is_map_ = true;
  const auto allowed_names = to_strings(allowed);
  for (std::size_t i = 0; i < map.yaml.size() && reader_.within_limits(); ++i) {
    Cursor key = reader_.child(map, map.yaml.key(i));
    Cursor value = reader_.child(map, map.yaml.value(i));
    const SourceLoc key_loc = reader_.key_loc_of(key, value);
    if (value.yaml.is_null()) {
      value.fallback = key_loc;
    }
    if (!key.yaml.is_scalar()) {
      reader_.error(key_loc, fmt::format("keys of {} must be plain names", what_));
      continue;
    }
    const std::string_view name = key.yaml.scalar();
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      has_unknown_keys_ = true;
      std::string close = closest_name(name, allowed_names);
      if (close.empty()) {
        // A short key written long (`prob` for `p`) is too far for edit distance.
        for (const auto& allowed_name : allowed_names) {
          if (name.size() > allowed_name.size() && name.rfind(allowed_name, 0) == 0) {
            close = allowed_name;
            break;
          }
        }
      }
      if (!close.empty()) {
        suggested_.push_back(close);
      }
      if (looks_like_split_distribution(name)) {
        reader_.error(key_loc,
                      fmt::format("unexpected key '{}': YAML split a distribution at a comma "
                                  "inside {{ }} or [ ]; quote the whole distribution, e.g. "
                                  "\"lognormal(median=2ms, p99=20ms)\"",
                                  name));
      } else {
        reader_.error(key_loc,
                      fmt::format("unknown key '{}' in {}{}", name, what_,
                                  close.empty() ? std::string()
                                                : fmt::format("; did you mean '{}'?", close)));
      }
      continue;
    }
    auto previous = std::find_if(entries_.begin(), entries_.end(),
                                 [&](const Entry& e) { return e.key == name; });
    if (previous != entries_.end()) {
      reader_.error(key_loc, fmt::format("duplicate key '{}' in {} (first given at line {})", name,
                                         what_, previous->key_loc.line));
      continue;
    }
    entries_.push_back(Entry{std::string(name), key_loc, value});
  }
}

std::optional<Cursor> Fields::get(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.key == key) {
      return e.value;
    }
  }
  return std::nullopt;
}

std::optional<Cursor> Fields::require(std::string_view key) const {
  auto c = get(key);
  // A misspelling of `key` was reported already, with the right name.
  const bool misspelt = std::find(suggested_.begin(), suggested_.end(), key) != suggested_.end();
  if (!c && is_map_ && !misspelt) {
    reader_.error(loc_, fmt::format("{} needs '{}'", what_, key));
  }
  return c;
}

SourceLoc Fields::key_loc(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.key == key) {
      return e.key_loc;
    }
  }
  return loc_;
}

// -------------------------------------------------------------- YamlReader

YamlReader::YamlReader(Diagnostics& diagnostics, DistContext dist_context,
                       std::vector<OverrideRoot> overrides, std::string_view text)
    : diagnostics_(diagnostics),
      dist_context_(std::move(dist_context)),
      overrides_(std::move(overrides)),
      text_(text) {}

SourceLoc YamlReader::empty_item_loc(const Cursor& item) const {
  const YamlMark mark = item.yaml.mark();
  if (item.source != 0 || mark.pos <= 0 || static_cast<std::size_t>(mark.pos) > text_.size()) {
    return item.fallback;
  }
  auto i = static_cast<std::size_t>(mark.pos);
  while (i > 0 && (text_[i - 1] == ' ' || text_[i - 1] == '\n' || text_[i - 1] == '\r' ||
                   text_[i - 1] == '\t')) {
    --i;
  }
  if (i == 0 || text_[i - 1] != '-') {
    return item.fallback;
  }
  const std::size_t dash = i - 1;
  const auto line = static_cast<std::uint32_t>(
      std::count(text_.begin(), text_.begin() + static_cast<std::ptrdiff_t>(dash), '\n'));
  const std::size_t line_start = text_.rfind('\n', dash);
  const std::size_t col = line_start == std::string_view::npos ? dash : dash - line_start - 1;
  return SourceLoc{0, line + 1, static_cast<std::uint32_t>(col) + 1};
}

SourceLoc YamlReader::loc(const Cursor& c) const {
  const YamlMark mark = c.yaml.mark();
  // A missing value (`db:` and nothing after it) has its mark at the next
  // token, often on another line: its key's position says more.
  if (mark.line < 0 || mark.column < 0 || (c.yaml.is_null() && c.fallback.is_known())) {
    return c.fallback;
  }
  return SourceLoc{c.source, static_cast<std::uint32_t>(mark.line) + 1,
                   static_cast<std::uint32_t>(mark.column) + 1};
}

SourceLoc YamlReader::loc_at(const Cursor& c, std::size_t offset) const {
  SourceLoc at = loc(c);
  if (!at.is_known()) {
    return at;
  }
  // A quoted scalar's mark is at its opening quote; yaml-cpp tags those "!".
  const bool quoted = c.yaml.is_scalar() && c.yaml.tag() == "!";
  at.col += static_cast<std::uint32_t>(std::min<std::size_t>(offset + (quoted ? 1 : 0), 100000));
  return at;
}

SourceLoc YamlReader::key_loc_of(const Cursor& key, const Cursor& value) const {
  // A key that `--set` added has no mark; its value names the override.
  return key.yaml.mark().line < 0 ? loc(value) : loc(key);
}

Cursor YamlReader::child(const Cursor& parent, YamlNode node) {
  if (++visited_ > max_values && !too_large_) {
    too_large_ = true;
    error(loc(parent), fmt::format("the model expands to more than {} values (through YAML "
                                   "aliases?); reading stopped here",
                                   max_values));
  }
  Cursor c{node, parent.source, loc(parent)};
  for (const auto& root : overrides_) {
    if (root.yaml.is(node)) {
      c.source = root.source;
      c.fallback = SourceLoc{root.source, 1, 1};
    }
  }
  return c;
}

std::vector<Cursor> YamlReader::sequence(const Cursor& c, std::string_view what) {
  std::vector<Cursor> items;
  if (c.yaml.is_null()) {
    return items;
  }
  if (!c.yaml.is_sequence()) {
    error(loc(c), fmt::format("{} must be a list, got {}", what, kind_of(c.yaml)));
    return items;
  }
  for (std::size_t i = 0; i < c.yaml.size() && within_limits(); ++i) {
    items.push_back(child(c, c.yaml.item(i)));
    if (items.back().yaml.is_null()) {
      items.back().fallback = empty_item_loc(items.back());
    }
  }
  return items;
}

std::vector<std::pair<Located<std::string>, Cursor>> YamlReader::named_entries(
    const Cursor& c, std::string_view what) {
  std::vector<std::pair<Located<std::string>, Cursor>> out;
  std::unordered_map<std::string, std::size_t> seen;  // name -> index in out, for O(1) repeats
  if (c.yaml.is_null()) {
    return out;
  }
  if (!c.yaml.is_map()) {
    error(loc(c),
          fmt::format("{} must be a map from names to definitions, got {}", what, kind_of(c.yaml)));
    return out;
  }
  for (std::size_t i = 0; i < c.yaml.size() && within_limits(); ++i) {
    Cursor key = child(c, c.yaml.key(i));
    Cursor value = child(c, c.yaml.value(i));
    const SourceLoc key_loc = key_loc_of(key, value);
    if (value.yaml.is_null()) {
      value.fallback = key_loc;
    }
    if (!key.yaml.is_scalar()) {
      error(key_loc, fmt::format("names in {} must be plain text", what));
      continue;
    }
    const std::string_view name = key.yaml.scalar();
    if (!is_valid_name(name)) {
      error(key_loc, fmt::format("'{}' is not a valid name in {}: use letters, digits, '-' and "
                                 "'_' (dots separate a service from its endpoint)",
                                 name, what));
      continue;
    }
    const auto [previous, is_new] = seen.emplace(name, out.size());
    if (!is_new) {
      error(key_loc, fmt::format("'{}' is defined twice in {} (first at line {})", name, what,
                                 out[previous->second].first.loc.line));
      continue;
    }
    out.emplace_back(Located<std::string>{std::string(name), key_loc}, value);
  }
  return out;
}

std::optional<std::string> YamlReader::scalar(const Cursor& c, std::string_view what) {
  if (!c.yaml.is_scalar()) {
    error(loc(c), fmt::format("{} must be a single value, got {}", what, kind_of(c.yaml)));
    return std::nullopt;
  }
  return std::string(c.yaml.scalar());
}

std::optional<Located<std::string>> YamlReader::string(const Cursor& c, std::string_view what) {
  auto text = scalar(c, what);
  if (!text) {
    return std::nullopt;
  }
  return Located<std::string>{*text, loc(c)};
}

std::optional<Located<std::string>> YamlReader::text(const Cursor& c, std::string_view what,
                                                     bool allow_line_breaks) {
  auto value = string(c, what);
  if (!value) {
    return std::nullopt;
  }
  if (auto control = first_control_character(value->value, allow_line_breaks)) {
    const bool is_c1 = static_cast<unsigned char>(value->value[*control]) == 0xC2;  // U+0080..9F
    error(loc_at(c, *control),
          fmt::format("{} holds a control character ({}), which could drive a terminal; "
                      "write plain text{}",
                      what, escape_control(value->value.substr(*control, is_c1 ? 2 : 1)),
                      allow_line_breaks ? " (line breaks and tabs are fine)" : ""));
    return std::nullopt;
  }
  return value;
}

namespace {

/// A value parsed by `parse` and then checked by `refuse`, which returns why
/// a parsed value is not allowed (its range), or nothing.
template <class T, class Refuse>
Reading<T> parsed_and_checked(ParseResult<T> parsed, Refuse refuse) {
  if (!parsed) {
    return parsed.error();
  }
  if (std::optional<std::string> refusal = refuse(*parsed)) {
    return std::move(*refusal);
  }
  return std::move(parsed).value();
}

/// For a reader whose every parsed value is allowed.
template <class T>
std::optional<std::string> allow_all(const T& /*value*/) {
  return std::nullopt;
}

}  // namespace

template <class T, class Read>
std::optional<Located<T>> YamlReader::typed(const Cursor& c, std::string_view what, Read read) {
  auto text = scalar(c, what);
  if (!text) {
    return std::nullopt;
  }
  Reading<T> reading = read(*text);
  if (const auto* e = std::get_if<ParseError>(&reading)) {
    report_parse_error(c, *e, what);
    return std::nullopt;
  }
  if (const auto* refusal = std::get_if<std::string>(&reading)) {
    error(loc(c), *refusal);
    return std::nullopt;
  }
  return Located<T>{std::get<T>(std::move(reading)), loc(c)};
}

std::optional<Located<bool>> YamlReader::boolean(const Cursor& c, std::string_view what) {
  return typed<bool>(c, what, [&](const std::string& text) -> Reading<bool> {
    if (text == "true" || text == "True" || text == "TRUE") {
      return true;
    }
    if (text == "false" || text == "False" || text == "FALSE") {
      return false;
    }
    return fmt::format("{} must be true or false, got '{}'", what, text);
  });
}

void YamlReader::report_parse_error(const Cursor& c, const ParseError& e, std::string_view what) {
  error(loc_at(c, e.offset), fmt::format("{}: {}", what, e.message));
}

std::optional<Located<std::int64_t>> YamlReader::integer(const Cursor& c, std::string_view what,
                                                         std::int64_t min, std::int64_t max) {
  return typed<std::int64_t>(c, what, [&](const std::string& text) {
    return parsed_and_checked(
        parse_integer(text), [&](std::int64_t value) -> std::optional<std::string> {
          if (value < min || value > max) {
            return fmt::format("{} must be between {} and {}, got {}", what, min, max, value);
          }
          return std::nullopt;
        });
  });
}

std::optional<Located<double>> YamlReader::number(const Cursor& c, std::string_view what,
                                                  double min, double max) {
  return typed<double>(c, what, [&](const std::string& text) {
    return parsed_and_checked(parse_number(text), [&](double value) -> std::optional<std::string> {
      if (value < min || value > max) {
        return fmt::format("{} must be between {} and {}, got {}", what, min, max, value);
      }
      return std::nullopt;
    });
  });
}

std::optional<Located<Duration>> YamlReader::duration(const Cursor& c, std::string_view what,
                                                      Duration min) {
  return typed<Duration>(c, what, [&](const std::string& text) {
    return parsed_and_checked(parse_duration(text),
                              [&](Duration value) -> std::optional<std::string> {
                                if (value < min) {
                                  return fmt::format("{} must be at least {}, got '{}'", what,
                                                     format_duration(min), text);
                                }
                                return std::nullopt;
                              });
  });
}

std::optional<Located<double>> YamlReader::rate(const Cursor& c, std::string_view what) {
  return typed<double>(c, what, [](const std::string& text) {
    return parsed_and_checked(parse_rate(text), allow_all<double>);
  });
}

std::optional<Located<std::int64_t>> YamlReader::size(const Cursor& c, std::string_view what,
                                                      std::int64_t min) {
  return typed<std::int64_t>(c, what, [&](const std::string& text) {
    return parsed_and_checked(
        parse_size(text), [&](std::int64_t value) -> std::optional<std::string> {
          if (value < min) {
            return fmt::format("{} must be at least {} bytes, got '{}'", what, min, text);
          }
          return std::nullopt;
        });
  });
}

std::optional<Located<double>> YamlReader::fraction(const Cursor& c, std::string_view what,
                                                    double min, double max) {
  return typed<double>(c, what, [&](const std::string& text) {
    return parsed_and_checked(parse_fraction(text),
                              [&](double value) -> std::optional<std::string> {
                                if (value < min || value > max) {
                                  return fmt::format("{} must be between {}% and {}%, got '{}'",
                                                     what, min * 100, max * 100, text);
                                }
                                return std::nullopt;
                              });
  });
}

std::optional<Located<IntRange>> YamlReader::int_range(const Cursor& c, std::string_view what,
                                                       std::int64_t max) {
  return typed<IntRange>(c, what, [&](const std::string& text) {
    return parsed_and_checked(
        parse_int_range(text), [&](const IntRange& value) -> std::optional<std::string> {
          if (value.low < 0 || value.high > max) {
            return fmt::format("{} must be between 0 and {}, got '{}'", what, max, text);
          }
          return std::nullopt;
        });
  });
}

std::optional<Located<std::size_t>> YamlReader::choice(
    const Cursor& c, std::string_view what, std::initializer_list<std::string_view> names) {
  return typed<std::size_t>(c, what, [&](const std::string& text) -> Reading<std::size_t> {
    std::size_t index = 0;
    for (auto n : names) {
      if (n == text) {
        return index;
      }
      ++index;
    }
    const auto candidates = to_strings(names);
    return fmt::format("{} must be one of {}, got '{}'{}", what, quoted_list(names), text,
                       did_you_mean(text, candidates));
  });
}

std::optional<DistSpec> YamlReader::distribution(const Cursor& c, std::string_view what) {
  return distribution_map(c, what, 0);
}

std::optional<DistSpec> YamlReader::core_distribution(const Cursor& c, std::string_view what) {
  dist_context_.cores = true;
  std::optional<DistSpec> out = distribution_map(c, what, 0);
  dist_context_.cores = false;
  return out;
}

std::optional<DistSpec> YamlReader::distribution_map(const Cursor& c, std::string_view what,
                                                     int depth) {
  if (depth > max_distribution_depth) {
    error(loc(c),
          fmt::format("{}: distributions nested more than {} deep", what, max_distribution_depth));
    return std::nullopt;
  }
  if (c.yaml.is_scalar()) {
    auto parsed = parse_distribution(c.yaml.scalar(), dist_context_);
    if (!parsed) {
      report_parse_error(c, parsed.error(), what);
      return std::nullopt;
    }
    DistSpec spec = std::move(parsed).value();
    spec.loc = loc(c);
    return spec;
  }
  if (c.yaml.is_map() && c.yaml.size() > 1) {
    error(loc(c), fmt::format("{}: a distribution map names one distribution, as in "
                              "{{lognormal: {{median: 2ms, p99: 20ms}}}}; this one names {}",
                              what, c.yaml.size()));
    return std::nullopt;
  }
  if (!c.yaml.is_map() || c.yaml.size() != 1) {
    error(loc(c), fmt::format("{} must be a distribution such as 'exp(2ms)' or "
                              "{{lognormal: {{median: 2ms, p99: 20ms}}}}, got {}",
                              what, kind_of(c.yaml)));
    return std::nullopt;
  }
  // The map form: {NAME: ARGS} where ARGS is a value, a list or a map.
  Cursor key = child(c, c.yaml.key(0));
  Cursor args = child(c, c.yaml.value(0));
  if (!key.yaml.is_scalar()) {
    error(loc(key), fmt::format("{}: a distribution's name must be plain text", what));
    return std::nullopt;
  }
  const std::string name(key.yaml.scalar());
  if (name == "mix") {
    std::vector<double> weights;
    std::vector<DistSpec> parts;
    std::vector<std::string> spec_weights_text;
    bool ok = true;
    for (const Cursor& item : sequence(args, "mix")) {
      Fields f(*this, item, {"weight", "dist"}, "a mix component");
      auto w = f.require("weight");
      auto d = f.require("dist");
      if (!w || !d) {
        ok = false;
        continue;
      }
      auto weight = fraction(*w, "mix weight");
      auto part = distribution_map(*d, what, depth + 1);
      if (!weight || !part) {
        ok = false;
        continue;
      }
      weights.push_back(weight->value);
      spec_weights_text.push_back(fmt::format("{}% {}", weight->value * 100, part->text));
      parts.push_back(std::move(*part));
    }
    if (!ok) {
      return std::nullopt;
    }
    auto built = build_mixture(std::move(weights), std::move(parts));
    if (!built) {
      error(loc(c), fmt::format("{}: {}", what, built.error().message));
      return std::nullopt;
    }
    DistSpec spec = std::move(built).value();
    spec.loc = loc(c);
    spec.text = "mix(";
    for (std::size_t i = 0; i < spec_weights_text.size(); ++i) {
      spec.text += (i ? ", " : "") + spec_weights_text[i];
    }
    spec.text += ")";
    return spec;
  }
  std::vector<DistArg> dist_args;
  std::vector<Cursor> arg_cursors;
  auto add_arg = [&](std::string arg_name, const Cursor& value) -> bool {
    auto s = scalar(value, fmt::format("{} argument", name));
    if (!s) {
      return false;
    }
    dist_args.push_back(DistArg{std::move(arg_name), *s, 0});
    arg_cursors.push_back(value);
    return true;
  };
  bool ok = true;
  if (args.yaml.is_map()) {
    for (std::size_t i = 0; i < args.yaml.size(); ++i) {
      Cursor arg_key = child(args, args.yaml.key(i));
      if (!arg_key.yaml.is_scalar()) {
        error(loc(arg_key), "distribution argument names must be plain text");
        ok = false;
        continue;
      }
      ok = add_arg(std::string(arg_key.yaml.scalar()), child(args, args.yaml.value(i))) && ok;
    }
  } else if (args.yaml.is_sequence()) {
    for (const Cursor& item : sequence(args, name)) {
      ok = add_arg("", item) && ok;
    }
  } else {
    ok = add_arg("", args);
  }
  if (!ok) {
    return std::nullopt;
  }
  auto built = build_distribution(name, dist_args, dist_context_);
  if (!built) {
    error(loc(c), fmt::format("{}: {}", what, built.error().message));
    return std::nullopt;
  }
  DistSpec spec = std::move(built).value();
  spec.loc = loc(c);
  spec.text = name + "(";
  for (std::size_t i = 0; i < dist_args.size(); ++i) {
    spec.text += (i ? ", " : "") + (dist_args[i].name.empty() ? "" : dist_args[i].name + "=") +
                 dist_args[i].text;
  }
  spec.text += ")";
  return spec;
}

}  // namespace tailsim::model::detail
