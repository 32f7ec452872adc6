#include "yaml_limits.hpp"

#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/anchor.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

namespace tailsim::model::detail {
namespace {

std::string too_deep_message(std::string_view noun) {
  return fmt::format(
      "the {} nests more than {} levels deep here; no {} needs that many "
      "(is the file generated wrongly?)",
      noun, max_nesting_depth, noun);
}

/// Walks the text once, keeping the open block levels (their columns), the
/// open flow brackets and whether a quoted string is open.
class DepthScanner {
 public:
  DepthScanner(std::string_view text, std::string_view noun) : text_(text), noun_(noun) {}

  std::optional<ShapeProblem> scan() {
    std::size_t start = 0;
    while (start <= text_.size() && !problem_) {
      std::size_t end = text_.find('\n', start);
      if (end == std::string_view::npos) {
        end = text_.size();
      }
      ++line_;
      scan_line(text_.substr(start, end - start));
      start = end + 1;
    }
    return problem_;
  }

 private:
  void check(std::size_t col) {
    if (!problem_ && block_.size() + flow_ > max_nesting_depth) {
      problem_ = ShapeProblem{line_, static_cast<std::uint32_t>(col + 1), too_deep_message(noun_)};
    }
  }

  void push_block(std::size_t col) {
    if (block_.empty() || block_.back() < col) {
      block_.push_back(col);
      check(col);
    }
  }

  void scan_line(std::string_view row) {
    std::size_t i = 0;
    if (flow_ == 0 && quote_ == 0) {
      while (i < row.size() && row[i] == ' ') {
        ++i;
      }
      if (i == row.size() || row[i] == '#' || row[i] == '\r') {
        return;  // blank or a comment: no level
      }
      if (block_scalar_indent_ && i > *block_scalar_indent_) {
        return;  // a line of a `|` or `>` block: text, not structure
      }
      block_scalar_indent_.reset();
      while (!block_.empty() && block_.back() > i) {
        block_.pop_back();
      }
      push_block(i);
      // `- - x` and `? x` open a level per indicator on one line.
      while (i + 1 < row.size() && (row[i] == '-' || row[i] == '?') && row[i + 1] == ' ') {
        i += 2;
        while (i < row.size() && row[i] == ' ') {
          ++i;
        }
        if (i < row.size() && row[i] != '#') {
          push_block(i);
        }
      }
      const std::size_t line_indent = block_.empty() ? 0 : block_.back();
      scan_text(row, i, /*at_value_start=*/true);
      if (flow_ == 0 && quote_ == 0 && ends_with_block_indicator(row)) {
        block_scalar_indent_ = line_indent;
      }
      return;
    }
    scan_text(row, 0, /*at_value_start=*/flow_ > 0);
  }

  /// Does the line (without its comment) end with `|` or `>` and its
  /// chomping and indentation indicators?
  static bool ends_with_block_indicator(std::string_view row) {
    const auto hash = row.find(" #");
    std::string_view body = row.substr(0, hash);
    while (!body.empty() && (body.back() == ' ' || body.back() == '\r')) {
      body.remove_suffix(1);
    }
    while (!body.empty() && (body.back() == '-' || body.back() == '+' ||
                             (body.back() >= '1' && body.back() <= '9'))) {
      body.remove_suffix(1);
    }
    if (body.empty() || (body.back() != '|' && body.back() != '>')) {
      return false;
    }
    body.remove_suffix(1);
    return body.empty() || body.back() == ' ';
  }

  void scan_text(std::string_view row, std::size_t i, bool at_value_start) {
    bool value_start = at_value_start;
    for (; i < row.size() && !problem_; ++i) {
      const char c = row[i];
      if (quote_ != 0) {
        if (quote_ == '"' && c == '\\') {
          ++i;
        } else if (c == quote_) {
          if (quote_ == '\'' && i + 1 < row.size() && row[i + 1] == '\'') {
            ++i;  // '' inside single quotes is one quote
          } else {
            quote_ = 0;
            value_start = false;
          }
        }
        continue;
      }
      if (c == ' ' || c == '\r') {
        continue;
      }
      if (c == '#' && (i == 0 || row[i - 1] == ' ')) {
        return;  // a comment runs to the end of the line
      }
      if (value_start && (c == '"' || c == '\'')) {
        quote_ = c;
        continue;
      }
      if (value_start && (c == '&' || c == '!')) {
        while (i + 1 < row.size() && row[i + 1] != ' ') {
          ++i;  // an anchor or a tag before the value
        }
        continue;
      }
      if ((value_start || flow_ > 0) && (c == '[' || c == '{')) {
        ++flow_;
        check(i);
        value_start = true;
        continue;
      }
      if (flow_ > 0 && (c == ']' || c == '}')) {
        --flow_;
        value_start = false;
        continue;
      }
      if (flow_ > 0 && c == ',') {
        value_start = true;
        continue;
      }
      value_start = c == ':' && (i + 1 == row.size() || row[i + 1] == ' ' || flow_ > 0);
    }
  }

  std::string_view text_;
  std::string_view noun_;
  std::vector<std::size_t> block_;
  std::size_t flow_ = 0;
  char quote_ = 0;
  std::optional<std::size_t> block_scalar_indent_;
  std::uint32_t line_ = 0;
  std::optional<ShapeProblem> problem_;
};

/// Counts, from the parser's events, how many values the tree has once every
/// alias is expanded: an anchored node's size is remembered, and an alias
/// adds that size again.
class AliasCounter : public YAML::EventHandler {
 public:
  explicit AliasCounter(std::string_view noun) : noun_(noun) {}

  void OnDocumentStart(const YAML::Mark& /*mark*/) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& /*mark*/, YAML::anchor_t anchor) override { add_leaf(anchor); }
  void OnScalar(const YAML::Mark& /*mark*/, const std::string& /*tag*/, YAML::anchor_t anchor,
                const std::string& /*value*/) override {
    add_leaf(anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const std::uint64_t size = anchor < sizes_.size() ? sizes_[anchor] : 1;
    alias_values_ = saturating_add(alias_values_, size);
    add(size);
    if (!problem_ && alias_values_ > max_alias_values) {
      problem_ = ShapeProblem{
          static_cast<std::uint32_t>(mark.line + 1), static_cast<std::uint32_t>(mark.column + 1),
          fmt::format("with this alias the {}'s aliases stand for more than {} values (an "
                      "alias repeats everything under its anchor); a {}'s aliases may add at "
                      "most {} values",
                      noun_, max_alias_values, noun_, max_alias_values)};
    }
  }
  void OnSequenceStart(const YAML::Mark& /*mark*/, const std::string& /*tag*/,
                       YAML::anchor_t anchor, YAML::EmitterStyle::value /*style*/) override {
    open_.push_back(Open{anchor, 1});
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& /*mark*/, const std::string& /*tag*/, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value /*style*/) override {
    open_.push_back(Open{anchor, 1});
  }
  void OnMapEnd() override { close(); }

  [[nodiscard]] const std::optional<ShapeProblem>& problem() const { return problem_; }

 private:
  struct Open {
    YAML::anchor_t anchor;
    std::uint64_t size;
  };

  /// Sizes stop growing far above any bound, so nothing overflows.
  static std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
    constexpr std::uint64_t ceiling = std::uint64_t{1} << 62;
    return a + b > ceiling || a + b < a ? ceiling : a + b;
  }

  void remember(YAML::anchor_t anchor, std::uint64_t size) {
    if (anchor == YAML::NullAnchor) {
      return;
    }
    if (sizes_.size() <= anchor) {
      sizes_.resize(anchor + 1, 1);
    }
    sizes_[anchor] = size;
  }

  void add(std::uint64_t size) {
    if (!open_.empty()) {
      open_.back().size = saturating_add(open_.back().size, size);
    }
  }

  void add_leaf(YAML::anchor_t anchor) {
    remember(anchor, 1);
    add(1);
  }

  void close() {
    if (open_.empty()) {
      return;
    }
    const Open done = open_.back();
    open_.pop_back();
    remember(done.anchor, done.size);
    add(done.size);
  }

  std::string_view noun_;
  std::vector<Open> open_;
  std::vector<std::uint64_t> sizes_;
  std::uint64_t alias_values_ = 0;
  std::optional<ShapeProblem> problem_;
};

}  // namespace

std::optional<ShapeProblem> find_too_deep(std::string_view text, std::string_view noun) {
  return DepthScanner(text, noun).scan();
}

std::optional<ShapeProblem> find_alias_bomb(std::string_view text, std::string_view noun) {
  if (text.find('*') == std::string_view::npos) {
    return std::nullopt;  // an alias is written `*name`: without a star there is none
  }
  std::istringstream in{std::string(text)};
  YAML::Parser parser(in);
  AliasCounter counter(noun);
  try {
    parser.HandleNextDocument(counter);
  } catch (const YAML::Exception&) {
    return std::nullopt;  // the loader reports what is wrong with the YAML
  }
  return counter.problem();
}

}  // namespace tailsim::model::detail
