#pragma once
/// Typed reading of one manifest document's yaml-cpp tree, private to the
/// manifest reader: every value comes back with its `file:line:col`, and a
/// value of the wrong type or range is reported and read as absent, so one
/// mistake never stops the rest of a file from being read. Unknown keys are
/// not errors: manifests carry far more than tailsim reads.

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "tailsim/import/k8s_manifests.hpp"
#include "tailsim/model/diagnostics.hpp"

namespace tailsim::import::detail {

/// The largest value of the API's int32 fields (replicas, seconds, ports).
inline constexpr std::int64_t max_int32 = std::numeric_limits<std::int32_t>::max();

/// Reads the nodes of one document. `path` arguments name a field in
/// messages the way `kubectl explain` does (`spec.template.spec.containers[0]`).
class NodeReader {
 public:
  NodeReader(model::Diagnostics& diags, std::uint32_t source, std::uint32_t first_line,
             std::string helm_source)
      : diags_(diags),
        source_(source),
        lines_before_(first_line - 1),
        helm_source_(std::move(helm_source)) {}

  /// Where `node` is written in its file.
  [[nodiscard]] SourceLoc loc(const YAML::Node& node) const;
  void error(const YAML::Node& at, const std::string& message) { diags_.error(loc(at), message); }
  void error(SourceLoc at, const std::string& message) { diags_.error(at, message); }
  void warning(SourceLoc at, const std::string& message) { diags_.warning(at, message); }

  /// The value of `key` in `map`, unless it is missing or null (which the
  /// API reads as missing).
  [[nodiscard]] static std::optional<YAML::Node> child(const YAML::Node& map, std::string_view key);
  /// `child`, which must be a map; anything else is reported.
  std::optional<YAML::Node> map_child(const YAML::Node& map, std::string_view key,
                                      std::string_view path);
  /// `child`, which must be a list; anything else is reported.
  std::optional<YAML::Node> list_child(const YAML::Node& map, std::string_view key,
                                       std::string_view path);
  /// A single value (a string, number or boolean as written).
  std::optional<Located<std::string>> text(const YAML::Node& map, std::string_view key,
                                           std::string_view path);
  /// A whole number from `low` to `high`.
  std::optional<Located<std::int64_t>> whole(const YAML::Node& map, std::string_view key,
                                             std::string_view path, std::int64_t low,
                                             std::int64_t high = max_int32);
  /// True when `node`, an item of a list at `path`, is a map; otherwise
  /// reports that it is not a `what` (a container, a port, ...).
  bool is_map_item(const YAML::Node& node, const std::string& path, std::string_view what);
  /// A map of single values (labels, annotations, a selector).
  std::map<std::string, std::string> string_map(const YAML::Node& map, std::string_view key,
                                                std::string_view path);

  /// Errors reported so far (by any reader of this load).
  [[nodiscard]] std::size_t error_count() const { return diags_.error_count(); }

  /// helm template's `# Source:` file of this document, empty if none.
  [[nodiscard]] const std::string& helm_source() const { return helm_source_; }

 private:
  model::Diagnostics& diags_;
  std::uint32_t source_;
  std::uint32_t lines_before_;
  std::string helm_source_;
};

/// What a node is, for messages: "a map", "a list", "the value 'x'".
[[nodiscard]] std::string describe(const YAML::Node& node);

/// `path.key`, or `key` when `path` is empty.
[[nodiscard]] std::string join_path(std::string_view path, std::string_view key);

/// Reads a HorizontalPodAutoscaler (`autoscaling/v2`, `v2beta2`, `v1`) into `out`.
void read_hpa(const YAML::Node& object, NodeReader& reader, Manifests& out);

/// Reads a KEDA ScaledObject into `out` as the HPA it creates.
void read_scaled_object(const YAML::Node& object, NodeReader& reader, Manifests& out);

/// The object's `metadata.name`, or an error naming `kind` when it has none.
std::optional<Located<std::string>> object_name(const YAML::Node& object, NodeReader& reader,
                                                std::string_view kind);

/// The object's `metadata.namespace`, empty when it has none.
Located<std::string> object_namespace(const YAML::Node& object, NodeReader& reader);

}  // namespace tailsim::import::detail
