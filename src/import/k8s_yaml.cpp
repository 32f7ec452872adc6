#include "k8s_yaml.hpp"

#include <fmt/format.h>

#include "tailsim/model/text_encoding.hpp"
#include "tailsim/model/units.hpp"

namespace tailsim::import::detail {

SourceLoc NodeReader::loc(const YAML::Node& node) const {
  const YAML::Mark mark = node.IsDefined() ? node.Mark() : YAML::Mark::null_mark();
  if (mark.line < 0) {
    return SourceLoc{source_, lines_before_ + 1, 1};
  }
  return SourceLoc{source_, lines_before_ + static_cast<std::uint32_t>(mark.line) + 1,
                   static_cast<std::uint32_t>(mark.column) + 1};
}

std::optional<YAML::Node> NodeReader::child(const YAML::Node& map, std::string_view key) {
  if (!map.IsMap()) {
    return std::nullopt;
  }
  const YAML::Node value = map[std::string(key)];
  if (!value.IsDefined() || value.IsNull()) {
    return std::nullopt;
  }
  return value;
}

std::optional<YAML::Node> NodeReader::map_child(const YAML::Node& map, std::string_view key,
                                                std::string_view path) {
  auto value = child(map, key);
  if (value && !value->IsMap()) {
    error(*value, fmt::format("'{}' must be a map (key: value), got {}", join_path(path, key),
                              describe(*value)));
    return std::nullopt;
  }
  return value;
}

std::optional<YAML::Node> NodeReader::list_child(const YAML::Node& map, std::string_view key,
                                                 std::string_view path) {
  auto value = child(map, key);
  if (value && !value->IsSequence()) {
    error(*value,
          fmt::format("'{}' must be a list, got {}", join_path(path, key), describe(*value)));
    return std::nullopt;
  }
  return value;
}

std::optional<Located<std::string>> NodeReader::text(const YAML::Node& map, std::string_view key,
                                                     std::string_view path) {
  auto value = child(map, key);
  if (!value) {
    return std::nullopt;
  }
  if (!value->IsScalar()) {
    error(*value, fmt::format("'{}' must be a single value, got {}", join_path(path, key),
                              describe(*value)));
    return std::nullopt;
  }
  return Located<std::string>{value->Scalar(), loc(*value)};
}

std::optional<Located<std::int64_t>> NodeReader::whole(const YAML::Node& map, std::string_view key,
                                                       std::string_view path, std::int64_t low,
                                                       std::int64_t high) {
  auto value = text(map, key, path);
  if (!value) {
    return std::nullopt;
  }
  const auto number = model::parse_integer(value->value);
  if (!number) {
    error(value->loc, fmt::format("'{}' must be a whole number, got '{}'", join_path(path, key),
                                  model::shorten(value->value, 40)));
    return std::nullopt;
  }
  if (number.value() < low || number.value() > high) {
    error(value->loc, fmt::format("'{}' is {}; it must be from {} to {}", join_path(path, key),
                                  number.value(), low, high));
    return std::nullopt;
  }
  return Located<std::int64_t>{number.value(), value->loc};
}

bool NodeReader::is_map_item(const YAML::Node& node, const std::string& path,
                             std::string_view what) {
  if (node.IsMap()) {
    return true;
  }
  error(node, fmt::format("'{}' must be a map (a {}), got {}", path, what, describe(node)));
  return false;
}

std::map<std::string, std::string> NodeReader::string_map(const YAML::Node& map,
                                                          std::string_view key,
                                                          std::string_view path) {
  std::map<std::string, std::string> out;
  const auto entries = map_child(map, key, path);
  if (!entries) {
    return out;
  }
  const std::string where = join_path(path, key);
  for (const auto& entry : *entries) {
    if (!entry.first.IsScalar() || !(entry.second.IsScalar() || entry.second.IsNull())) {
      error(entry.second.IsScalar() ? entry.first : entry.second,
            fmt::format("'{}' maps names to single values; this entry is {}", where,
                        describe(entry.second.IsScalar() ? entry.first : entry.second)));
      continue;
    }
    out.emplace(entry.first.Scalar(), entry.second.IsNull() ? "" : entry.second.Scalar());
  }
  return out;
}

std::string describe(const YAML::Node& node) {
  if (node.IsMap()) {
    return "a map";
  }
  if (node.IsSequence()) {
    return "a list";
  }
  if (node.IsScalar()) {
    return fmt::format("the value '{}'", model::shorten(node.Scalar(), 40));
  }
  return "nothing";
}

std::string join_path(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

std::optional<Located<std::string>> object_name(const YAML::Node& object, NodeReader& reader,
                                                std::string_view kind) {
  const auto metadata = reader.map_child(object, "metadata", "");
  auto name = metadata ? reader.text(*metadata, "name", "metadata") : std::nullopt;
  if (!name || name->value.empty()) {
    reader.error(metadata ? *metadata : object,
                 fmt::format("this {} has no 'metadata.name'", kind));
    return std::nullopt;
  }
  return name;
}

Located<std::string> object_namespace(const YAML::Node& object, NodeReader& reader) {
  // The name's reading has reported a metadata that is not a map.
  const auto metadata = NodeReader::child(object, "metadata");
  auto ns = metadata && metadata->IsMap() ? reader.text(*metadata, "namespace", "metadata")
                                          : std::nullopt;
  return ns ? *ns : Located<std::string>{};
}

}  // namespace tailsim::import::detail
