#pragma once
/// Mistakes in a user's model, collected and reported all at once.
///
/// Every value read from a model keeps a `SourceLoc`, so any stage can point at
/// the text that caused a problem with `file:line:col`.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tailsim::model {

/// Where a value was written: a file of the `Diagnostics` table and a 1-based
/// line and column. Line 0 means "no position known".
struct SourceLoc {
  std::uint32_t file = 0;
  std::uint32_t line = 0;
  std::uint32_t col = 0;

  [[nodiscard]] bool is_known() const { return line > 0; }
  friend bool operator==(const SourceLoc&, const SourceLoc&) = default;
};

/// A value together with the place it was written.
template <class T>
struct Located {
  T value{};
  SourceLoc loc{};
};

enum class Severity { error, warning };

/// One message about the model.
struct Diagnostic {
  Severity severity = Severity::error;
  SourceLoc loc;
  std::string message;
};

/// The diagnostics of one load: a table of source names (the model file, data
/// files it names, `--set` overrides) and the messages, in the order found.
class Diagnostics {
 public:
  /// Registers a source name (a path, or a label such as `--set a.b`) and returns its id.
  /// The first source registered gets id 0 (until then id 0 is named `<input>`); a
  /// name registered again gets its first id back.
  std::uint32_t add_source(std::string name);
  /// The name of source `id`: `<input>` for id 0 before any source is registered,
  /// `<unknown>` for an id never handed out.
  [[nodiscard]] const std::string& source_name(std::uint32_t id) const;

  void error(SourceLoc loc, std::string message);
  void warning(SourceLoc loc, std::string message);

  [[nodiscard]] bool has_errors() const { return error_count_ > 0; }
  [[nodiscard]] std::size_t error_count() const { return error_count_; }
  [[nodiscard]] const std::vector<Diagnostic>& all() const { return items_; }

  /// Sorts by source, line and column, keeping the order of equal positions, and
  /// drops exact repeats.
  void sort();

  /// `file:line:col: error: message`, the form compilers use and editors link,
  /// with control characters escaped (`\e`, `\x07`): text quoted from a model
  /// never reaches a terminal raw.
  [[nodiscard]] std::string format(const Diagnostic& d) const;
  /// Every diagnostic, one per line.
  [[nodiscard]] std::string format_all() const;

 private:
  std::vector<std::string> sources_;
  std::vector<Diagnostic> items_;
  std::size_t error_count_ = 0;
};

/// The candidate closest to `word` by edit distance, if it is close enough to
/// be a likely typo; empty otherwise.
[[nodiscard]] std::string closest_name(std::string_view word,
                                       std::span<const std::string> candidates);
/// `"; did you mean 'x'?"` when a close candidate exists, else an empty string.
[[nodiscard]] std::string did_you_mean(std::string_view word,
                                       std::span<const std::string> candidates);

}  // namespace tailsim::model
