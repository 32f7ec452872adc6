#pragma once
/// The safe way from untrusted text to a yaml-cpp tree, shared by the model
/// loader and the manifest reader of import/: the text must be UTF-8 without
/// NUL bytes or tab indentation, and a document is parsed only once it is
/// known not to nest too deep, then kept only if its aliases stay bounded.
/// Every problem becomes one `file:line:col: error:` diagnostic.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "tailsim/model/diagnostics.hpp"
#include "tailsim/model/yaml_openers.hpp"

namespace tailsim::model::detail {

/// Reports the first reason `text` is not YAML text tailsim reads: a UTF-16 or
/// UTF-32 file, a NUL byte, a byte that is not UTF-8, a tab in a line's
/// indentation. `noun` names what the file holds in messages ("model",
/// "manifest"). True when the text is fine.
bool check_yaml_text(std::string_view text, std::uint32_t source, std::string_view noun,
                     Diagnostics& diags);

/// Says that the byte at `offset` of `text` is not UTF-8, and to save the
/// `noun` as UTF-8; `what` is "the file" or "the value".
std::string not_utf8(std::string_view text, std::size_t offset, std::string_view what,
                     std::string_view noun);

/// What was left open, said at the opener.
std::string never_closed(const Unclosed& open);

/// How a document is parsed and where its text sits in its file.
struct DocumentPlace {
  std::uint32_t source = 0;
  /// The file's line on which `text` starts (1-based): positions in messages
  /// count from there.
  std::uint32_t first_line = 1;
  /// Names the text in messages ("model", "manifest").
  std::string_view noun = "model";
  /// Adds the model format's hint for `name: value` inside a distribution's
  /// parentheses to YAML syntax errors.
  bool distribution_hint = false;
};

/// Runs `parse`, which reads the one YAML document `text` (checked with
/// `check_yaml_text` first) into the caller's tree and throws
/// YAML::Exception on invalid YAML, between the checks that make that safe:
/// false after reporting why not (collections nested too deep, invalid YAML
/// with an unclosed string or bracket reported where it opened, aliases that
/// stand for too many values; the caller must not read its tree then).
bool parse_yaml_checked(std::string_view text, const DocumentPlace& place, Diagnostics& diags,
                        const std::function<void()>& parse);

/// The tree of the one YAML document `text` (checked with `check_yaml_text`
/// first), or nothing after reporting why not: collections nested too deep,
/// invalid YAML (an unclosed string or bracket reported where it opened), or
/// aliases that stand for too many values. An empty document is a null node.
std::optional<YAML::Node> parse_yaml_document(std::string_view text, const DocumentPlace& place,
                                              Diagnostics& diags);

}  // namespace tailsim::model::detail
