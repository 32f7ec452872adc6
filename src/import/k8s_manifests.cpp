#include "tailsim/import/k8s_manifests.hpp"

#include <algorithm>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "k8s_yaml.hpp"
#include "model/yaml_document.hpp"
#include "tailsim/import/k8s_quantity.hpp"
#include "tailsim/model/data_file.hpp"
#include "tailsim/model/text_encoding.hpp"

namespace tailsim::import {
namespace {

namespace fs = std::filesystem;
using detail::describe;
using detail::NodeReader;

/// Larger manifest files are refused before parsing (helm output of a large
/// chart is a few MiB).
constexpr std::uintmax_t max_manifest_bytes = 64 * 1024 * 1024;

/// Lists nest within lists at most this deep (`kind: List` of lists).
constexpr int max_list_depth = 8;

/// One YAML document of a file: its text and the line it starts on.
struct DocumentText {
  std::string_view text;
  std::uint32_t first_line = 1;
};

/// Is `row` the marker `marker` (`---` or `...`), alone or before a space?
bool is_marker(std::string_view row, std::string_view marker) {
  return row.substr(0, 3) == marker &&
         (row.size() == 3 || row[3] == ' ' || row[3] == '\t' || row[3] == '\r');
}

/// Splits a file into its documents at `---` (which starts a document) and
/// `...` (which ends one) at the start of a line, as YAML does. A stretch
/// without content (comments, directives, blank lines) joins the next
/// document, so a leading `---` opens the first.
std::vector<DocumentText> split_documents(std::string_view text) {
  std::vector<DocumentText> docs;
  std::size_t start = 0;
  std::uint32_t start_line = 1;
  bool has_content = false;
  std::size_t pos = 0;
  std::uint32_t line = 1;
  const auto emit = [&](std::size_t end) {
    if (has_content) {
      docs.push_back(DocumentText{text.substr(start, end - start), start_line});
    }
  };
  while (pos < text.size()) {
    const auto end = std::min(text.find('\n', pos), text.size());
    const std::string_view row = text.substr(pos, end - pos);
    const std::size_t next = end + 1;
    if (is_marker(row, "---") && has_content) {
      emit(pos);
      start = pos;
      start_line = line;
      has_content = false;
    } else if (is_marker(row, "...")) {
      emit(std::min(next, text.size()));
      start = std::min(next, text.size());
      start_line = line + 1;
      has_content = false;
    } else if (!is_marker(row, "---")) {
      const auto first = row.find_first_not_of(" \t\r");
      if (first != std::string_view::npos && row[first] != '#' && row[0] != '%') {
        has_content = true;
      }
    }
    pos = next;
    ++line;
  }
  emit(text.size());
  return docs;
}

/// helm template's `# Source: <chart>/templates/<file>` line of a document.
std::string helm_source_of(std::string_view doc) {
  constexpr std::string_view prefix = "# Source: ";
  std::size_t pos = 0;
  while (pos < doc.size()) {
    const auto end = std::min(doc.find('\n', pos), doc.size());
    const std::string_view row = doc.substr(pos, end - pos);
    if (row.substr(0, prefix.size()) == prefix) {
      std::string_view name = row.substr(prefix.size());
      while (!name.empty() && (name.back() == '\r' || name.back() == ' ')) {
        name.remove_suffix(1);
      }
      return std::string(name);
    }
    pos = end + 1;
  }
  return "";
}

/// A container's `requests` and `limits` maps, each absent when not written.
struct ResourceGroups {
  std::optional<YAML::Node> requests;
  std::optional<YAML::Node> limits;
  std::string path;  ///< of the `resources` map
};

/// Reads `requests.<name>` and `limits.<name>` of a container's resources.
ResourceAmount read_amount(const ResourceGroups& groups, NodeReader& r, std::string_view name) {
  const bool is_cpu = name == "cpu";
  ResourceAmount amount;
  const auto read = [&](const std::optional<YAML::Node>& group,
                        std::string_view group_name) -> std::optional<Located<std::int64_t>> {
    const std::string group_path = detail::join_path(groups.path, group_name);
    const auto value = group ? r.text(*group, name, group_path) : std::nullopt;
    if (!value) {
      return std::nullopt;
    }
    auto parsed = is_cpu ? parse_millicores(value->value) : parse_bytes(value->value);
    if (!parsed) {
      r.error(value->loc,
              fmt::format("'{}': {}", detail::join_path(group_path, name), parsed.error().message));
      return std::nullopt;
    }
    return Located<std::int64_t>{parsed.value(), value->loc};
  };
  amount.request = read(groups.requests, "requests");
  amount.limit = read(groups.limits, "limits");
  if (!amount.request && amount.limit) {
    amount.request = amount.limit;
    amount.request_is_limit = true;
  }
  if (amount.request && amount.limit && amount.request->value > amount.limit->value) {
    r.error(
        amount.request->loc,
        fmt::format("'{}' asks for more {} than its limit ({} > {} {})",
                    detail::join_path(detail::join_path(groups.path, "requests"), name), name,
                    amount.request->value, amount.limit->value, is_cpu ? "millicores" : "bytes"));
  }
  return amount;
}

/// A readiness or startup probe, with the kubelet's defaults.
std::optional<Probe> read_probe(const YAML::Node& container, NodeReader& r, std::string_view key,
                                std::string_view path) {
  const auto node = r.map_child(container, key, path);
  if (!node) {
    return std::nullopt;
  }
  const std::string at = detail::join_path(path, key);
  Probe probe;
  probe.loc = r.loc(*node);
  const auto set = [&](Located<std::int64_t>& field, std::string_view name, std::int64_t low) {
    field.loc = probe.loc;
    if (auto v = r.whole(*node, name, at, low)) {
      field = *v;
    }
  };
  set(probe.initial_delay_s, "initialDelaySeconds", 0);
  set(probe.period_s, "periodSeconds", 1);
  set(probe.timeout_s, "timeoutSeconds", 1);
  set(probe.success_threshold, "successThreshold", 1);
  set(probe.failure_threshold, "failureThreshold", 1);
  if (key == "startupProbe" && probe.success_threshold.value != 1) {
    r.error(probe.success_threshold.loc,
            fmt::format("'{}.successThreshold' must be 1 for a startup probe", at));
  }
  return probe;
}

std::optional<Container> read_container(const YAML::Node& node, NodeReader& r,
                                        const std::string& path) {
  if (!r.is_map_item(node, path, "container")) {
    return std::nullopt;
  }
  Container c;
  c.loc = r.loc(node);
  if (auto name = r.text(node, "name", path)) {
    c.name = *name;
  }
  if (const auto resources = r.map_child(node, "resources", path)) {
    ResourceGroups groups;
    groups.path = path + ".resources";
    groups.requests = r.map_child(*resources, "requests", groups.path);
    groups.limits = r.map_child(*resources, "limits", groups.path);
    c.cpu = read_amount(groups, r, "cpu");
    c.memory = read_amount(groups, r, "memory");
  }
  c.readiness = read_probe(node, r, "readinessProbe", path);
  c.startup = read_probe(node, r, "startupProbe", path);
  return c;
}

/// The serving container: named like the workload or its
/// `app.kubernetes.io/name` label, else the first.
std::size_t main_container_of(const Workload& w) {
  const auto label = w.pod_labels.find("app.kubernetes.io/name");
  for (const std::string* wanted :
       {&w.name.value, label == w.pod_labels.end() ? nullptr : &label->second}) {
    if (wanted == nullptr) {
      continue;
    }
    for (std::size_t i = 0; i < w.containers.size(); ++i) {
      if (w.containers[i].name.value == *wanted) {
        return i;
      }
    }
  }
  return 0;
}

void read_workload(const YAML::Node& object, NodeReader& r, WorkloadKind kind,
                   std::string_view kind_name, Manifests& out) {
  Workload w;
  w.kind = kind;
  w.loc = r.loc(object);
  w.helm_source = r.helm_source();
  const auto name = detail::object_name(object, r, kind_name);
  if (!name) {
    return;
  }
  w.name = *name;
  w.namespace_name = detail::object_namespace(object, r);
  if (const auto metadata = NodeReader::child(object, "metadata")) {
    w.labels = r.string_map(*metadata, "labels", "metadata");
  }
  const auto spec = r.map_child(object, "spec", "");
  if (!spec) {
    r.error(object, fmt::format("{} '{}' has no 'spec'", kind_name, w.name.value));
    return;
  }
  w.replicas.loc = w.loc;
  if (auto replicas = r.whole(*spec, "replicas", "spec", 0)) {
    w.replicas = *replicas;
  }
  if (kind == WorkloadKind::stateful_set) {
    w.pod_management.loc = w.loc;
    if (auto policy = r.text(*spec, "podManagementPolicy", "spec")) {
      if (policy->value == "OrderedReady" || policy->value == "Parallel") {
        w.pod_management = {
            policy->value == "Parallel" ? PodManagement::parallel : PodManagement::ordered_ready,
            policy->loc};
      } else {
        r.error(policy->loc,
                fmt::format("'spec.podManagementPolicy' is '{}'; it is OrderedReady or Parallel",
                            model::shorten(policy->value, 40)));
      }
    }
  }
  const auto pod = r.map_child(*spec, "template", "spec");
  if (const auto pod_meta = pod ? r.map_child(*pod, "metadata", "spec.template") : std::nullopt) {
    w.pod_labels = r.string_map(*pod_meta, "labels", "spec.template.metadata");
    w.pod_annotations = r.string_map(*pod_meta, "annotations", "spec.template.metadata");
  }
  const auto pod_spec = pod ? r.map_child(*pod, "spec", "spec.template") : std::nullopt;
  const auto containers =
      pod_spec ? r.list_child(*pod_spec, "containers", "spec.template.spec") : std::nullopt;
  const bool is_wrong_type = pod_spec && !containers && NodeReader::child(*pod_spec, "containers");
  if (is_wrong_type) {
    return;  // reported
  }
  if (!containers || containers->size() == 0) {
    r.error(pod_spec ? *pod_spec : (pod ? *pod : *spec),
            fmt::format("{} '{}' has no containers (spec.template.spec.containers)", kind_name,
                        w.name.value));
    return;
  }
  for (std::size_t i = 0; i < containers->size(); ++i) {
    const std::string path = fmt::format("spec.template.spec.containers[{}]", i);
    if (auto c = read_container((*containers)[i], r, path)) {
      w.containers.push_back(std::move(*c));
    }
  }
  w.main_container = main_container_of(w);
  out.workloads.push_back(std::move(w));
}

void read_service(const YAML::Node& object, NodeReader& r, Manifests& out) {
  Service s;
  s.loc = r.loc(object);
  s.helm_source = r.helm_source();
  const auto name = detail::object_name(object, r, "Service");
  if (!name) {
    return;
  }
  s.name = *name;
  s.namespace_name = detail::object_namespace(object, r);
  const auto spec = r.map_child(object, "spec", "");
  if (!spec) {
    out.services.push_back(std::move(s));
    return;
  }
  s.selector = r.string_map(*spec, "selector", "spec");
  const auto ports = r.list_child(*spec, "ports", "spec");
  for (std::size_t i = 0; ports && i < ports->size(); ++i) {
    const YAML::Node node = (*ports)[i];
    const std::string path = fmt::format("spec.ports[{}]", i);
    if (!r.is_map_item(node, path, "port")) {
      continue;
    }
    ServicePort port;
    const auto number = r.whole(node, "port", path, 1, 65535);
    if (!number) {
      if (!NodeReader::child(node, "port")) {
        r.error(node, fmt::format("'{}' has no 'port'", path));
      }
      continue;
    }
    port.port = *number;
    port.name = r.text(node, "name", path).value_or(Located<std::string>{}).value;
    port.target_port = r.text(node, "targetPort", path).value_or(Located<std::string>{});
    if (auto protocol = r.text(node, "protocol", path)) {
      port.protocol = protocol->value;
    }
    s.ports.push_back(std::move(port));
  }
  out.services.push_back(std::move(s));
}

void count_skipped(Manifests& out, const std::string& kind, SourceLoc at) {
  auto [entry, is_new] = out.skipped.try_emplace(kind, SkippedKind{kind, 0, at});
  ++entry->second.count;
}

bool is_helm_hook(const YAML::Node& object) {
  const auto metadata = NodeReader::child(object, "metadata");
  const auto annotations = metadata ? NodeReader::child(*metadata, "annotations") : std::nullopt;
  return annotations && NodeReader::child(*annotations, "helm.sh/hook").has_value();
}

void read_object(const YAML::Node& object, NodeReader& r, Manifests& out, int list_depth) {
  if (!object.IsMap()) {
    r.error(object, fmt::format("a manifest is a map with 'apiVersion' and 'kind'; this is {}",
                                describe(object)));
    return;
  }
  const auto kind = r.text(object, "kind", "");
  if (!kind) {
    if (!NodeReader::child(object, "kind")) {
      r.error(object, "this object has no 'kind' (Deployment, Service, ...)");
    }
    return;
  }
  const auto items = NodeReader::child(object, "items");
  if (kind->value == "List" || (kind->value.ends_with("List") && items)) {
    if (list_depth >= max_list_depth) {
      r.error(kind->loc, fmt::format("lists nest more than {} deep here", max_list_depth));
      return;
    }
    const auto list = r.list_child(object, "items", "");
    for (std::size_t i = 0; list && i < list->size(); ++i) {
      read_object((*list)[i], r, out, list_depth + 1);
    }
    return;
  }
  if (is_helm_hook(object)) {
    ++out.helm_hooks_skipped;
    return;
  }
  // An object with an error is not kept: nothing half-read reaches a model.
  const std::size_t errors = r.error_count();
  const std::size_t workloads = out.workloads.size();
  const std::size_t autoscalers = out.autoscalers.size();
  const std::size_t services = out.services.size();
  if (kind->value == "Deployment") {
    read_workload(object, r, WorkloadKind::deployment, kind->value, out);
  } else if (kind->value == "StatefulSet") {
    read_workload(object, r, WorkloadKind::stateful_set, kind->value, out);
  } else if (kind->value == "HorizontalPodAutoscaler") {
    detail::read_hpa(object, r, out);
  } else if (kind->value == "ScaledObject") {
    detail::read_scaled_object(object, r, out);
  } else if (kind->value == "Service") {
    read_service(object, r, out);
  } else {
    count_skipped(out, kind->value, kind->loc);
  }
  if (r.error_count() > errors) {
    out.workloads.resize(workloads);
    out.autoscalers.resize(autoscalers);
    out.services.resize(services);
  }
}

/// The files a command-line path stands for: itself, or a folder's
/// `*.yaml` and `*.yml` entries in sorted order.
std::vector<fs::path> files_of(const fs::path& path, model::Diagnostics& diags) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    return {path};
  }
  std::vector<fs::path> files;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    const auto ext = it->path().extension();
    if (ext == ".yaml" || ext == ".yml") {
      files.push_back(it->path());
    }
  }
  const std::uint32_t source = diags.add_source(path.string());
  if (ec) {
    diags.error(SourceLoc{source, 0, 0},
                fmt::format("cannot read the folder of manifests: {}", ec.message()));
  } else if (files.empty()) {
    diags.warning(SourceLoc{source, 0, 0}, "the folder holds no .yaml or .yml manifests");
  }
  std::sort(files.begin(), files.end());
  return files;
}

void read_manifest_file(const fs::path& path, Manifests& out, model::Diagnostics& diags) {
  const std::uint32_t source = diags.add_source(path.string());
  // A link to a regular file is followed; read_data_file refuses the rest.
  std::error_code ec;
  const fs::path real = fs::canonical(path, ec);
  auto text =
      model::read_data_file(ec ? path : real, max_manifest_bytes, "manifest", path.string());
  if (!text) {
    diags.error(SourceLoc{source, 0, 0}, text.error().message);
    return;
  }
  read_manifest_text(text.value(), path.string(), out, diags);
}

std::string_view kind_name(WorkloadKind kind) {
  return kind == WorkloadKind::deployment ? "Deployment" : "StatefulSet";
}

/// `file:line:col` of `at`, for messages that point at a second place.
std::string place(SourceLoc at, const model::Diagnostics& diags) {
  return fmt::format("{}:{}:{}", diags.source_name(at.file), at.line, at.col);
}

}  // namespace

void read_manifest_text(std::string_view text, const std::string& source_name, Manifests& out,
                        model::Diagnostics& diags) {
  const std::uint32_t source = diags.add_source(source_name);
  if (!model::detail::check_yaml_text(text, source, "manifest", diags)) {
    return;
  }
  for (const DocumentText& doc : split_documents(text)) {
    const model::detail::DocumentPlace where{source, doc.first_line, "manifest",
                                             /*distribution_hint=*/false};
    const auto root = model::detail::parse_yaml_document(doc.text, where, diags);
    if (!root || root->IsNull()) {
      continue;
    }
    NodeReader reader(diags, source, doc.first_line, helm_source_of(doc.text));
    try {
      read_object(*root, reader, out, 0);
    } catch (const std::exception& e) {
      // The reader never throws on purpose; this keeps a defect from crashing the CLI.
      diags.error(reader.loc(*root),
                  fmt::format("internal error while reading the manifest: {}", e.what()));
    }
  }
}

void link_autoscalers(Manifests& manifests, model::Diagnostics& diags) {
  auto& workloads = manifests.workloads;
  // Workloads by kind, namespace and name (text holds no NUL byte, so NULs
  // separate the parts): a lookup per autoscaler, not a scan.
  const auto key = [](std::string_view kind, const Located<std::string>& ns,
                      const Located<std::string>& name) {
    std::string joined(kind);
    joined.append(1, '\0').append(ns.value).append(1, '\0').append(name.value);
    return joined;
  };
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < workloads.size(); ++i) {
    const Workload& w = workloads[i];
    const auto [first, is_new] =
        index.try_emplace(key(kind_name(w.kind), w.namespace_name, w.name), i);
    if (!is_new) {
      diags.error(w.name.loc,
                  fmt::format("{} '{}' is defined twice (first at {})", kind_name(w.kind),
                              w.name.value, place(workloads[first->second].name.loc, diags)));
    }
  }
  std::vector<const Autoscaler*> owner(workloads.size(), nullptr);
  for (const Autoscaler& a : manifests.autoscalers) {
    const auto found = index.find(key(a.target_kind.value, a.namespace_name, a.target_name));
    if (found == index.end()) {
      diags.warning(a.target_name.loc,
                    fmt::format("the autoscaler '{}' scales {} '{}', which no manifest defines",
                                a.name.value, a.target_kind.value, a.target_name.value));
      continue;
    }
    const std::size_t i = found->second;
    if (owner[i] != nullptr) {
      diags.warning(a.target_name.loc,
                    fmt::format("{} '{}' is scaled by two autoscalers, '{}' ({}) and '{}'; "
                                "Kubernetes lets neither act (AmbiguousSelector)",
                                a.target_kind.value, a.target_name.value, owner[i]->name.value,
                                place(owner[i]->loc, diags), a.name.value));
      continue;
    }
    owner[i] = &a;
    workloads[i].replicas_owned = true;
  }
}

Manifests read_manifests(std::span<const std::filesystem::path> paths, model::Diagnostics& diags) {
  Manifests out;
  for (const auto& path : paths) {
    for (const auto& file : files_of(path, diags)) {
      read_manifest_file(file, out, diags);
    }
  }
  link_autoscalers(out, diags);
  return out;
}

}  // namespace tailsim::import
