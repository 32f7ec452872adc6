#include "tailsim/model/loader.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>

#include "section_reader.hpp"
#include "tailsim/model/text_encoding.hpp"
#include "tailsim/model/yaml_openers.hpp"
#include "yaml_document.hpp"
#include "yaml_limits.hpp"
#include "yaml_reader.hpp"
#include "yaml_tree.hpp"

namespace tailsim::model {
namespace {

/// Larger model files are refused before parsing.
constexpr std::size_t max_file_bytes = 16 * 1024 * 1024;

const auto schema_key_list = std::to_array<std::string>(
    {// top level and simulation
     "version", "name", "description", "simulation", "network", "services", "caches", "queues",
     "autoscalers", "cluster", "workloads", "faults", "slos", "duration", "warmup", "seed",
     "interval", "drain", "deadlines",
     // network
     "default", "links", "between", "latency", "loss",
     // services and pods
     "replicas", "pod", "balancer", "external", "concurrency", "endpoints", "cpu", "workers",
     "queue", "queue_timeout", "discipline", "startup", "async", "for", "slowdown", "request",
     "limit", "period", "node_cores", "memory", "base", "per_request",
     // steps and call policies
     "delay", "call", "parallel", "branch", "cache", "publish", "fail", "p", "times", "miss",
     "steps", "timeout", "retry", "circuit_breaker", "optional", "deadline", "throttle", "bulkhead",
     "hedge", "attempts", "backoff", "multiplier", "max_backoff", "jitter", "on", "budget",
     "min_concurrency", "window", "min_calls", "failure_rate", "open_for", "half_open",
     "max_tokens", "token_ratio", "after", "max",
     // caches and queues
     "scope", "hit_ratio", "keys", "popularity", "capacity", "ttl", "lookup", "coalesce",
     "consumer", "partitions", "redelivery",
     // autoscalers and cluster
     "service", "metric", "target", "min", "sync_period", "tolerance", "metrics_lag", "scale_up",
     "scale_down", "stabilization", "policies", "select", "pods", "percent", "nodes", "provision",
     "max_nodes", "node_memory", "utilization", "unneeded", "placement", "neighbours",
     // workloads and faults
     "entry", "rate", "schedule", "at", "ramp", "arrivals", "bursts", "every", "factor", "users",
     "think", "trace", "kill", "gc", "pause", "gpus", "batch", "wait", "gpu", "slow", "down",
     "flush", "partition", "add", "mode", "set"});

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto dot = path.find('.', start);
    parts.push_back(path.substr(start, dot - start));
    if (dot == std::string_view::npos) {
      return parts;
    }
    start = dot + 1;
  }
}

/// The keys of `map` written as text, in file order (none if it is not a map).
std::vector<std::string> map_keys(const detail::YamlNode& map) {
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < map.size() && map.is_map(); ++i) {
    if (map.key(i).is_scalar()) {
      keys.emplace_back(map.key(i).scalar());
    }
  }
  return keys;
}

/// The line of a `---` that starts a second document, if any: one that
/// follows content of the first (a leading `---` only opens the first).
std::optional<std::uint32_t> second_document_line(std::string_view text) {
  bool has_content = false;
  std::uint32_t line = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto end = std::min(text.find('\n', pos), text.size());
    const std::string_view row = text.substr(pos, end - pos);
    ++line;
    pos = end + 1;
    const bool is_marker =
        row.rfind("---", 0) == 0 && (row.size() == 3 || row[3] == ' ' || row[3] == '\r');
    if (is_marker && has_content) {
      return line;
    }
    const auto first = row.find_first_not_of(" \t\r");
    if (!is_marker && first != std::string_view::npos && row[first] != '#' && row[0] != '%') {
      has_content = true;
    }
  }
  return std::nullopt;
}

bool is_schema_key(std::string_view key) {
  return std::find(schema_key_list.begin(), schema_key_list.end(), key) != schema_key_list.end();
}

/// Applies one `PATH=VALUE` override to the tree under `root`. Nodes it
/// creates are returned as override roots so positions inside them name the
/// override.
void apply_override(detail::YamlTree& tree, std::uint32_t root, const std::string& text,
                    Diagnostics& diags, std::vector<detail::OverrideRoot>& roots) {
  const auto eq = text.find('=');
  const std::string path = text.substr(0, eq);
  const std::uint32_t source = diags.add_source("--set " + path);
  const SourceLoc at{source, 1, 1};
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    diags.error(at, fmt::format("--set expects PATH=VALUE, e.g. services.frontend.replicas=6; "
                                "got '{}'",
                                text));
    return;
  }
  std::uint32_t value = 0;
  const std::string value_text = text.substr(eq + 1);
  if (auto bad = first_invalid_utf8(text)) {
    const auto in_value = bad > eq ? *bad - eq - 1 : 0;  // columns count in VALUE
    diags.error(SourceLoc{source, 1, static_cast<std::uint32_t>(in_value) + 1},
                detail::not_utf8(text, *bad, "the value", "model"));
    return;
  }
  if (auto problem = detail::find_too_deep(value_text)) {
    diags.error(SourceLoc{source, problem->line, problem->col}, problem->message);
    return;
  }
  try {
    value = tree.parse(value_text);
  } catch (const YAML::Exception& e) {
    if (const auto open = find_unclosed(value_text)) {  // point at what was left open
      diags.error(SourceLoc{source, open->line, open->column},
                  "the value is not valid YAML: " + detail::never_closed(*open));
      return;
    }
    diags.error(SourceLoc{source, 1, static_cast<std::uint32_t>(std::max(0, e.mark.column)) + 1},
                fmt::format("the value is not valid YAML: {}", e.msg));
    return;
  }
  if (auto bomb = detail::find_alias_bomb(value_text)) {
    diags.error(SourceLoc{source, bomb->line, bomb->col}, bomb->message);
    return;
  }
  const auto parts = split_path(path);
  if (std::any_of(parts.begin(), parts.end(), [](auto p) { return p.empty(); })) {
    diags.error(at, fmt::format("'{}' is not a path: write names separated by single dots", path));
    return;
  }
  const bool removes = tree.node(value).is_null();
  // Puts the value at `slot` (an existing node, which aliases of it share).
  const auto set_value = [&](std::uint32_t slot) {
    tree.assign(slot, value);
    roots.push_back({tree.node(slot), source});
  };
  std::uint32_t cur = root;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string_view key = parts[i];
    const bool last = i + 1 == parts.size();
    const std::string so_far = fmt::format("{}", fmt::join(parts.begin(), parts.begin() + i, "."));
    const detail::YamlNode view = tree.node(cur);
    if (view.is_sequence()) {
      auto index = parse_integer(key);
      if (!index || *index < 0 || static_cast<std::size_t>(*index) >= view.size()) {
        diags.error(at, fmt::format("'{}' is a list of {} items; '{}' is not an index in it",
                                    so_far, view.size(), key));
        return;
      }
      const std::uint32_t item = view.item(static_cast<std::size_t>(*index)).id();
      if (last) {
        if (removes) {
          diags.error(at, fmt::format("--set cannot remove an item of the list '{}'; set the "
                                      "whole list instead",
                                      so_far));
          return;
        }
        set_value(item);
        return;
      }
      cur = item;
      continue;
    }
    if (view.is_scalar()) {
      diags.error(at, fmt::format("'{}' is a single value, so it has no '{}'", so_far, key));
      return;
    }
    const std::optional<std::uint32_t> existing = tree.find(cur, key);
    if (last && removes) {  // PATH=null removes the key: no circuit breaker, no retry
      if (!existing) {
        auto candidates = map_keys(view);
        candidates.insert(candidates.end(), schema_key_list.begin(), schema_key_list.end());
        diags.error(
            at, fmt::format("'{}' has no '{}' to remove{}", so_far.empty() ? "the model" : so_far,
                            key, did_you_mean(key, candidates)));
        return;
      }
      tree.remove(cur, key);
      return;
    }
    if (last) {
      if (!existing && !is_schema_key(key) && i > 0 &&
          !(parts[0] == "slos" && i == 1)) {  // slos.<path> names a path
        // A name under a user collection: setting a whole new entry is allowed.
        const bool is_collection_entry =
            i == 1 && (parts[0] == "services" || parts[0] == "caches" || parts[0] == "queues" ||
                       parts[0] == "autoscalers" || parts[0] == "workloads");
        const bool is_endpoint = i == 3 && parts[2] == "endpoints";
        if (!is_collection_entry && !is_endpoint) {
          auto candidates = map_keys(view);
          candidates.insert(candidates.end(), schema_key_list.begin(), schema_key_list.end());
          diags.error(at, fmt::format("the model format has no key '{}' (in '{}'){}", key, so_far,
                                      did_you_mean(key, candidates)));
          return;
        }
      }
      set_value(existing ? *existing : tree.insert(cur, key));
      return;
    }
    if (existing) {
      cur = *existing;
      continue;
    }
    if (!is_schema_key(key)) {
      diags.error(at, fmt::format("'{}' has no '{}'{}", so_far.empty() ? "the model" : so_far, key,
                                  did_you_mean(key, map_keys(view))));
      return;
    }
    const std::uint32_t slot = tree.insert(cur, key);
    tree.assign(slot, tree.add_map());
    roots.push_back({tree.node(slot), source});
    cur = slot;
  }
}

LoadResult load_text(std::string_view text, std::uint32_t source, const LoadOptions& options,
                     const std::filesystem::path& base_dir, LoadResult result) {
  Diagnostics& diags = result.diagnostics;
  const SourceLoc start{source, 1, 1};
  if (!detail::check_yaml_text(text, source, "model", diags)) {
    return result;
  }
  if (auto second = second_document_line(text)) {
    diags.error(SourceLoc{source, *second, 1},
                "a second YAML document starts here; a model is one document");
    return result;
  }
  detail::YamlTree tree;
  std::uint32_t root_id = 0;
  if (!detail::parse_yaml_checked(text,
                                  detail::DocumentPlace{source, 1, "model",
                                                        /*distribution_hint=*/true},
                                  diags, [&] { root_id = tree.parse(text); })) {
    return result;
  }
  const detail::YamlNode root = tree.node(root_id);
  if (root.is_null()) {
    diags.error(start,
                "the model is empty; it starts with 'version: 1' and lists services and "
                "workloads");
    return result;
  }
  std::vector<detail::OverrideRoot> roots;
  if (root.is_map()) {
    for (const auto& o : options.overrides) {
      apply_override(tree, root_id, o, diags, roots);
    }
  }
  Model model;
  model.base_dir = base_dir;
  detail::YamlReader reader(diags, DistContext{base_dir, &diags, options.allowed_paths},
                            std::move(roots), text);
  try {
    detail::read_model(reader, detail::Cursor{root, source, start}, model, options.duration);
    if (reader.within_limits()) {
      detail::resolve_references(model, diags);
    }
  } catch (const std::exception& e) {
    // The reader never throws on purpose; this keeps a defect from crashing the CLI.
    diags.error(start, fmt::format("internal error while reading the model: {}", e.what()));
  }
  if (model.name.value.empty()) {
    // A file's name may hold any byte: shown and written to JSON, it must be UTF-8 text.
    model.name.value =
        escape_control(std::filesystem::path(diags.source_name(source)).stem().string());
  }
  diags.sort();
  result.model = std::move(model);
  return result;
}

}  // namespace

std::span<const std::string> schema_keys() {
  return schema_key_list;
}

LoadResult load_string(std::string_view text, const std::string& source_name,
                       const LoadOptions& options, const std::filesystem::path& base_dir) {
  LoadResult result;
  const std::uint32_t source = result.diagnostics.add_source(source_name);
  return load_text(text, source, options, base_dir, std::move(result));
}

LoadResult load_file(const std::filesystem::path& path, const LoadOptions& options) {
  LoadResult result;
  const std::uint32_t source = result.diagnostics.add_source(path.string());
  const SourceLoc start{source, 1, 1};
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    result.diagnostics.error(start, "this is a folder, not a model file");
    return result;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    result.diagnostics.error(
        start, fmt::format("cannot read the model file: {}",
                           std::error_code(errno, std::generic_category()).message()));
    return result;
  }
  // Read in chunks up to the limit: no up-front buffer of the largest size
  // (zero-filling 16 MiB would cost more than loading a typical model).
  std::string text;
  std::array<char, 64 * 1024> chunk{};
  while (in && text.size() <= max_file_bytes) {
    in.read(chunk.data(), chunk.size());
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (text.size() > max_file_bytes) {
    result.diagnostics.error(
        start, fmt::format("the model file is larger than {} MiB", max_file_bytes / (1024 * 1024)));
    return result;
  }
  return load_text(text, source, options, path.parent_path(), std::move(result));
}

}  // namespace tailsim::model
