#pragma once
/// Schema-driven reading of a YAML tree with positions and diagnostics.
/// Private to the model module: yaml-cpp never leaves src/model/.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tailsim/model/diagnostics.hpp"
#include "tailsim/model/distribution.hpp"
#include "tailsim/model/units.hpp"
#include "yaml_tree.hpp"

namespace tailsim::model::detail {

/// A node of the YAML tree and the source it came from. Nodes made by `--set`
/// carry the override's source; nodes made while applying an override have no
/// mark of their own and use `fallback`.
struct Cursor {
  YamlNode yaml;
  std::uint32_t source = 0;
  SourceLoc fallback;
};

/// A value that `--set` put into the tree, so positions inside it name the override.
struct OverrideRoot {
  YamlNode yaml;
  std::uint32_t source = 0;
};

/// What reading one value of a type gives: the value, an error at a column
/// of its text (a ParseError), or why the whole value is refused.
template <class T>
using Reading = std::variant<T, ParseError, std::string>;

class YamlReader;

/// The keys of one YAML map, checked against the keys allowed there: unknown
/// keys (with a did-you-mean hint) and duplicate keys are reported on creation.
class Fields {
 public:
  Fields(YamlReader& reader, const Cursor& map, std::initializer_list<std::string_view> allowed,
         std::string_view what);

  /// The value of `key`, if present (a null value counts as present).
  [[nodiscard]] std::optional<Cursor> get(std::string_view key) const;
  [[nodiscard]] bool has(std::string_view key) const { return get(key).has_value(); }
  /// The value of `key`, or an error "WHAT needs 'key'" at the map.
  [[nodiscard]] std::optional<Cursor> require(std::string_view key) const;
  /// Where `key` is written (the map's position if absent).
  [[nodiscard]] SourceLoc key_loc(std::string_view key) const;
  [[nodiscard]] SourceLoc loc() const { return loc_; }
  [[nodiscard]] bool is_map() const { return is_map_; }
  /// True when the map held a key not allowed there (already reported), so
  /// checks of what is missing would only repeat that mistake.
  [[nodiscard]] bool has_unknown_keys() const { return has_unknown_keys_; }

 private:
  struct Entry {
    std::string key;
    SourceLoc key_loc;
    Cursor value;
  };
  YamlReader& reader_;
  std::vector<Entry> entries_;
  std::vector<std::string> suggested_;  ///< keys a did-you-mean hint proposed
  std::string what_;
  SourceLoc loc_;
  bool is_map_ = false;
  bool has_unknown_keys_ = false;
};

/// Reads typed values from cursors, reporting every problem as a diagnostic.
/// A reader is used for one load.
class YamlReader {
 public:
  /// `text` is the model file's text (source 0), for positions yaml-cpp
  /// does not give.
  YamlReader(Diagnostics& diagnostics, DistContext dist_context,
             std::vector<OverrideRoot> overrides, std::string_view text = {});

  Diagnostics& diagnostics() { return diagnostics_; }
  const DistContext& dist_context() const { return dist_context_; }

  [[nodiscard]] SourceLoc loc(const Cursor& c) const;
  /// The position of character `offset` of a scalar's text.
  [[nodiscard]] SourceLoc loc_at(const Cursor& c, std::size_t offset) const;
  /// Where a map key is written (for keys added by `--set`, where its value is).
  [[nodiscard]] SourceLoc key_loc_of(const Cursor& key, const Cursor& value) const;
  /// A child node of `parent`, counted against the size limit.
  [[nodiscard]] Cursor child(const Cursor& parent, YamlNode node);
  /// False once the tree was found larger than any model should be (an alias
  /// bomb): reading then stops.
  [[nodiscard]] bool within_limits() const { return !too_large_; }

  void error(SourceLoc at, std::string message) { diagnostics_.error(at, std::move(message)); }
  void warning(SourceLoc at, std::string message) { diagnostics_.warning(at, std::move(message)); }

  /// The children of a sequence (an error naming `what` if it is not one).
  std::vector<Cursor> sequence(const Cursor& c, std::string_view what);
  /// The (key, value) pairs of a map of user-named entries (services, caches,
  /// ...), with names checked and duplicates reported.
  std::vector<std::pair<Located<std::string>, Cursor>> named_entries(const Cursor& c,
                                                                     std::string_view what);

  std::optional<std::string> scalar(const Cursor& c, std::string_view what);
  std::optional<Located<std::string>> string(const Cursor& c, std::string_view what);
  /// Free text shown to people (the model's name and description): a string
  /// without control characters, which could drive a terminal (line breaks
  /// and tabs are allowed when `allow_line_breaks`).
  std::optional<Located<std::string>> text(const Cursor& c, std::string_view what,
                                           bool allow_line_breaks = false);
  std::optional<Located<bool>> boolean(const Cursor& c, std::string_view what);
  std::optional<Located<std::int64_t>> integer(const Cursor& c, std::string_view what,
                                               std::int64_t min, std::int64_t max);
  std::optional<Located<double>> number(const Cursor& c, std::string_view what, double min,
                                        double max);
  std::optional<Located<Duration>> duration(const Cursor& c, std::string_view what,
                                            Duration min = Duration::zero());
  std::optional<Located<double>> rate(const Cursor& c, std::string_view what);
  /// A size in bytes (`256Mi`, `1GiB`, `512MB`), at least `min`.
  std::optional<Located<std::int64_t>> size(const Cursor& c, std::string_view what,
                                            std::int64_t min = 0);
  /// A percentage or fraction within [min, max].
  std::optional<Located<double>> fraction(const Cursor& c, std::string_view what, double min = 0.0,
                                          double max = 1.0);
  std::optional<Located<IntRange>> int_range(const Cursor& c, std::string_view what,
                                             std::int64_t max);
  /// A distribution in its string form or its YAML map form.
  std::optional<DistSpec> distribution(const Cursor& c, std::string_view what);
  /// A distribution of numbers of cores (`2`, `uniform(2, 6)`), kept as
  /// seconds: one second per core.
  std::optional<DistSpec> core_distribution(const Cursor& c, std::string_view what);

  /// One of `names` (error with did-you-mean otherwise); returns its index.
  std::optional<Located<std::size_t>> choice(const Cursor& c, std::string_view what,
                                             std::initializer_list<std::string_view> names);

  /// Applies `read` to the value of `key` if present and stores it in `out`.
  template <class T, class Read>
  void optional_field(const Fields& fields, std::string_view key, T& out, Read read) {
    if (auto c = fields.get(key)) {
      if (auto v = read(*c)) {
        out = std::move(*v);
      }
    }
  }

 private:
  std::optional<DistSpec> distribution_map(const Cursor& c, std::string_view what, int depth);
  /// The shape of every typed reader: one scalar, read by `read` into a
  /// Reading<T>; a parse error is reported at its column, a refusal of the
  /// whole value (out of range, not one of the names) where the value is.
  template <class T, class Read>
  std::optional<Located<T>> typed(const Cursor& c, std::string_view what, Read read);
  void report_parse_error(const Cursor& c, const ParseError& e, std::string_view what);
  /// Where the `-` of an empty list item is: yaml-cpp marks the token after it.
  SourceLoc empty_item_loc(const Cursor& item) const;

  Diagnostics& diagnostics_;
  DistContext dist_context_;
  std::vector<OverrideRoot> overrides_;
  std::string_view text_;
  std::size_t visited_ = 0;
  bool too_large_ = false;
};

/// Is `name` usable as a service, endpoint, cache, queue or workload name?
[[nodiscard]] bool is_valid_name(std::string_view name);

}  // namespace tailsim::model::detail
