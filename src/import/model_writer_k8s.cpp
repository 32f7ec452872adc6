// The manifest half of the model writer: see model_writer_k8s.hpp.

#include "model_writer_k8s.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "tailsim/import/model_writer.hpp"

namespace tailsim::import::detail {

namespace {

/// The pod annotation that names a workload's service in its telemetry.
constexpr std::string_view otel_service_name = "resource.opentelemetry.io/service.name";

/// The bounds the model format puts on what the manifests may hold larger
/// (src/model/section_reader.cpp): cores, replicas, a CPU target
/// (1000 %), a percent policy (10000 %), a duration written here.
constexpr std::int64_t model_max_millicores = 100'000'000;
constexpr std::int64_t model_max_replicas = 100'000;
constexpr double model_max_target_percent = 1000;
constexpr std::int64_t model_max_policy_percent = 10'000;
/// A startup longer than a day is clipped to it (and noted).
constexpr std::int64_t max_startup_s = 86'400;

std::string_view workload_kind_text(WorkloadKind kind) {
  return kind == WorkloadKind::deployment ? "Deployment" : "StatefulSet";
}

/// Millicores as cores, at most the model's largest value.
std::string millicores_text(std::int64_t millicores) {
  return decimal_text(static_cast<double>(std::min(millicores, model_max_millicores)) / 1000.0, 3);
}

/// Bytes as Kubernetes writes them: the largest binary suffix that divides
/// them, else the largest decimal one, else plain bytes.
std::string bytes_text(std::int64_t bytes) {
  if (bytes == 0) {
    return "0";
  }
  static constexpr std::pair<std::string_view, std::int64_t> suffixes[] = {
      {"Ei", std::int64_t{1} << 60},
      {"Pi", std::int64_t{1} << 50},
      {"Ti", std::int64_t{1} << 40},
      {"Gi", std::int64_t{1} << 30},
      {"Mi", std::int64_t{1} << 20},
      {"Ki", std::int64_t{1} << 10},
      {"E", 1'000'000'000'000'000'000},
      {"P", 1'000'000'000'000'000},
      {"T", 1'000'000'000'000},
      {"G", 1'000'000'000},
      {"M", 1'000'000},
      {"k", 1'000}};
  for (const auto& [suffix, factor] : suffixes) {
    if (bytes % factor == 0) {
      return fmt::format("{}{}", bytes / factor, suffix);
    }
  }
  return fmt::format("{}", bytes);
}

/// Whether a Service's `selector` picks pods labelled `labels` (an empty
/// selector picks none: such a Service's endpoints are managed by hand).
bool selects(const std::map<std::string, std::string>& selector,
             const std::map<std::string, std::string>& labels) {
  return !selector.empty() && std::all_of(selector.begin(), selector.end(), [&](const auto& kv) {
    const auto it = labels.find(kv.first);
    return it != labels.end() && it->second == kv.second;
  });
}

/// Namespaces as written: a manifest that names none goes to whichever
/// namespace it is applied to, so it matches any.
bool same_namespace(const Located<std::string>& a, const Located<std::string>& b) {
  return a.value.empty() || b.value.empty() || a.value == b.value;
}

bool is_positive(const std::optional<Located<std::int64_t>>& amount) {
  return amount && amount->value > 0;
}

std::string joined(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& part : parts) {
    out += out.empty() ? "" : separator;
    out += part;
  }
  return out;
}

}  // namespace

ManifestWriter::ManifestWriter(const Manifests& manifests, const model::Diagnostics* sources,
                               std::vector<std::string>& notes)
    : manifests_(manifests), sources_(sources), notes_(notes) {}

std::string ManifestWriter::where(const model::SourceLoc& loc) const {
  const std::string file =
      sources_ != nullptr ? sources_->source_name(loc.file) : std::string("manifest");
  return comment_safe(fmt::format("{}:{}", file, loc.line));
}

std::size_t ManifestWriter::index_of(const Workload& workload) const {
  return static_cast<std::size_t>(&workload - manifests_.workloads.data());
}

const Workload* ManifestWriter::match(const std::string& raw, const std::string& name) {
  const auto is = [&](const std::string& text) { return text == raw || text == name; };
  const auto first = [&](auto&& accepts) -> const Workload* {
    for (const auto& workload : manifests_.workloads) {
      if (accepts(workload)) {
        return &workload;
      }
    }
    return nullptr;
  };
  const Workload* found = first([&](const Workload& w) {
    const auto it = w.pod_annotations.find(std::string(otel_service_name));
    return it != w.pod_annotations.end() && is(it->second);
  });
  if (found == nullptr) {
    found = match_by_service(raw, name);
  }
  if (found == nullptr) {
    found = first([&](const Workload& w) { return is(w.name.value); });
  }
  if (found == nullptr) {
    found = first([&](const Workload& w) {
      for (const auto* labels : {&w.labels, &w.pod_labels}) {
        const auto it = labels->find("app.kubernetes.io/name");
        if (it != labels->end() && is(it->second)) {
          return true;
        }
      }
      return false;
    });
  }
  if (found != nullptr) {
    seen_.insert(index_of(*found));
  }
  return found;
}

const Workload* ManifestWriter::match_by_service(const std::string& raw, const std::string& name) {
  for (const auto& service : manifests_.services) {
    if (service.name.value != raw && service.name.value != name) {
      continue;
    }
    std::vector<const Workload*> selected;
    for (const auto& workload : manifests_.workloads) {
      if (same_namespace(service.namespace_name, workload.namespace_name) &&
          selects(service.selector, workload.pod_labels)) {
        selected.push_back(&workload);
      }
    }
    if (selected.empty()) {
      continue;
    }
    if (selected.size() > 1) {
      notes_.push_back(fmt::format(
          "Service '{}' (manifest {}) selects the pods of {} workloads: service '{}' takes {} "
          "'{}', the first",
          comment_safe(service.name.value), where(service.loc), selected.size(), name,
          workload_kind_text(selected.front()->kind), comment_safe(selected.front()->name.value)));
    }
    return selected.front();
  }
  return nullptr;
}

std::string ManifestWriter::service_lines(const Workload& workload, const std::string& name) {
  std::string out;
  const std::int64_t replicas =
      std::clamp<std::int64_t>(workload.replicas.value, 1, model_max_replicas);
  out += fmt::format(
      "    replicas: {}  # replicas from manifest {}{}\n", replicas, where(workload.replicas.loc),
      workload.replicas_owned ? " (an autoscaler sets them; this is where they start)" : "");
  if (replicas != workload.replicas.value) {
    notes_.push_back(fmt::format("service '{}' has {} replicas in its manifest: the model has {}",
                                 name, workload.replicas.value, replicas));
  }
  write_pod(workload, name, out);
  service_of_[index_of(workload)] = name;
  return out;
}

void ManifestWriter::write_pod(const Workload& workload, const std::string& name,
                               std::string& out) {
  const Container* main = workload.main();
  const std::string cpu = main != nullptr ? cpu_line(*main, name) : std::string();
  const std::string startup = startup_line(workload, name);
  const std::string memory = main != nullptr ? memory_line(*main) : std::string();
  if (!cpu.empty() || !startup.empty()) {
    out += "    pod:\n";
    for (const std::string* line : {&cpu, &startup, &memory}) {
      out += line->empty() ? "" : "      " + *line;
    }
  } else if (!memory.empty()) {
    out += "    " + memory;
  }
  if (main != nullptr && workload.containers.size() > 1) {
    notes_.push_back(fmt::format(
        "the pods of '{}' (manifest {}) run {} containers: the model's pod is container '{}' "
        "alone (its CPU and memory), while Kubernetes' CPU utilization sums the requests and "
        "use of all of them",
        name, where(workload.loc), workload.containers.size(), comment_safe(main->name.value)));
  }
}

std::optional<double> ManifestWriter::pod_cores(const Workload& workload) const {
  const Container* main = workload.main();
  if (main == nullptr) {
    return std::nullopt;
  }
  const ResourceAmount& cpu = main->cpu;
  const auto* amount = is_positive(cpu.limit)     ? &*cpu.limit
                       : is_positive(cpu.request) ? &*cpu.request
                                                  : nullptr;
  if (amount == nullptr) {
    return std::nullopt;
  }
  return static_cast<double>(std::min(amount->value, model_max_millicores)) / 1000;
}

std::string ManifestWriter::cpu_line(const Container& main, const std::string& name) {
  const ResourceAmount& cpu = main.cpu;
  const bool has_limit = is_positive(cpu.limit);
  const bool has_request = is_positive(cpu.request) && !cpu.request_is_limit;
  const std::string container = comment_safe(main.name.value);
  const auto too_large = [&](const Located<std::int64_t>& amount) {
    if (amount.value > model_max_millicores) {
      notes_.push_back(fmt::format(
          "the CPU of '{}' (manifest {}) is above the model's {} cores: "
          "the model has {}",
          name, where(amount.loc), model_max_millicores / 1000, model_max_millicores / 1000));
    }
  };
  if (has_limit && has_request && cpu.request->value != cpu.limit->value) {
    too_large(*cpu.limit);
    const std::int64_t node_cores =
        std::clamp<std::int64_t>((cpu.limit->value + 999) / 1000, 1, model_max_millicores / 1000);
    return fmt::format(
        "cpu: {{request: {}, limit: {}, node_cores: {}}}  # cpu request of container {} from "
        "manifest {}, limit from manifest {}; node_cores: the limit rounded up (the manifests do "
        "not say the nodes' cores)\n",
        millicores_text(cpu.request->value), millicores_text(cpu.limit->value), node_cores,
        container, where(cpu.request->loc), where(cpu.limit->loc));
  }
  if (has_limit) {
    too_large(*cpu.limit);
    return fmt::format("cpu: {}  # cpu {} of container {} from manifest {}\n",
                       millicores_text(cpu.limit->value),
                       has_request ? "request and limit" : "limit (the request defaults to it)",
                       container, where(cpu.limit->loc));
  }
  if (has_request) {
    too_large(*cpu.request);
    return fmt::format(
        "cpu: {}  # cpu request of container {} from manifest {} (no limit: its idle node's "
        "cores, which the model does not give it, may serve it faster)\n",
        millicores_text(cpu.request->value), container, where(cpu.request->loc));
  }
  return {};
}

std::string ManifestWriter::startup_line(const Workload& workload, const std::string& name) {
  // Per container: the startup probe's first pass, then the readiness
  // probe's (docs/import.md, "From the manifests"); the pod is ready
  // when its last container is.
  std::optional<std::int64_t> latest;
  std::string why;
  for (const Container& c : workload.containers) {
    if (!c.readiness && !c.startup) {
      continue;
    }
    std::int64_t ready = 0;
    std::vector<std::string> parts;
    if (c.startup) {
      const Probe& p = *c.startup;
      ready = p.initial_delay_s.value + (p.success_threshold.value - 1) * p.period_s.value;
      parts.push_back(
          fmt::format("startup probe from manifest {} passes at {}s", where(p.loc), ready));
    }
    if (c.readiness) {
      const Probe& p = *c.readiness;
      ready = std::max(ready, p.initial_delay_s.value) +
              (p.success_threshold.value - 1) * p.period_s.value;
      parts.push_back(fmt::format(
          "readiness probe from manifest {}: initialDelaySeconds {}, successThreshold {} every "
          "{}s",
          where(p.loc), p.initial_delay_s.value, p.success_threshold.value, p.period_s.value));
    }
    if (!latest || ready > *latest) {
      latest = ready;
      why = fmt::format("container {}: {}", comment_safe(c.name.value), joined(parts, "; "));
    }
  }
  if (!latest) {
    return {};
  }
  if (*latest > max_startup_s) {
    notes_.push_back(fmt::format(
        "the probes of '{}' (manifest {}) allow it ready after {}s at the earliest: the model "
        "has {}s",
        name, where(workload.loc), *latest, max_startup_s));
    latest = max_startup_s;
  }
  return fmt::format(
      "startup: {}s  # the earliest ready time its probes allow ({}); the app's own "
      "start time is not in the manifests\n",
      *latest, why);
}

std::string ManifestWriter::memory_line(const Container& main) const {
  const ResourceAmount& memory = main.memory;
  std::vector<std::string> parts;
  if (memory.request) {
    parts.push_back(fmt::format("request {}{}", bytes_text(memory.request->value),
                                memory.request_is_limit ? " (the limit)" : ""));
  }
  if (memory.limit) {
    parts.push_back(fmt::format("limit {}", bytes_text(memory.limit->value)));
  }
  if (parts.empty()) {
    return {};
  }
  std::string places = where(memory.request ? memory.request->loc : memory.limit->loc);
  if (memory.request && memory.limit && memory.request->loc.line != memory.limit->loc.line) {
    places += ", " + where(memory.limit->loc);
  }
  return fmt::format(
      "# memory: {} from manifest {} (the manifest has no use: for OOM kills and "
      "evictions, write pod.memory with base and per_request)\n",
      joined(parts, ", "), places);
}

std::string ManifestWriter::untraced_services(std::set<std::string>& used) {
  std::string out;
  for (std::size_t i = 0; i < manifests_.workloads.size(); ++i) {
    if (seen_.count(i) > 0) {
      continue;
    }
    const Workload& workload = manifests_.workloads[i];
    const auto annotation = workload.pod_annotations.find(std::string(otel_service_name));
    const std::string& raw =
        annotation != workload.pod_annotations.end() ? annotation->second : workload.name.value;
    const std::string name = unique_name(sanitize_model_name(raw), used);
    out += fmt::format("  {}:  # {} {} from manifest {}: no spans\n", name,
                       workload_kind_text(workload.kind), comment_safe(workload.name.value),
                       where(workload.loc));
    out += service_lines(workload, name);
    out +=
        "    endpoints:\n"
        "      placeholder:  # no spans: nothing calls it; write the service's endpoints here\n"
        "        - delay: 0s\n";
    notes_.push_back(fmt::format(
        "service '{}' from manifest {} has no spans: added with one placeholder endpoint that "
        "nothing calls (a service needs an endpoint)",
        name, where(workload.loc)));
  }
  return out;
}

std::string ManifestWriter::autoscalers() {
  const auto& workloads = manifests_.workloads;
  // The workload each autoscaler scales, matched as link_autoscalers()
  // matches them, and how many autoscalers scale each workload.
  std::vector<std::optional<std::size_t>> target(manifests_.autoscalers.size());
  std::map<std::size_t, std::size_t> scaled_by;
  for (std::size_t i = 0; i < manifests_.autoscalers.size(); ++i) {
    const Autoscaler& a = manifests_.autoscalers[i];
    for (std::size_t j = 0; j < workloads.size(); ++j) {
      if (workload_kind_text(workloads[j].kind) == a.target_kind.value &&
          workloads[j].namespace_name.value == a.namespace_name.value &&
          workloads[j].name.value == a.target_name.value) {
        target[i] = j;
        ++scaled_by[j];
        break;
      }
    }
  }
  std::string out;
  std::set<std::string> used;
  for (std::size_t i = 0; i < manifests_.autoscalers.size(); ++i) {
    const Autoscaler& a = manifests_.autoscalers[i];
    const std::string who =
        fmt::format("autoscaler '{}' (manifest {})", comment_safe(a.name.value), where(a.loc));
    if (!target[i]) {
      notes_.push_back(fmt::format("{} scales {} '{}', which no manifest defines: it is left out",
                                   who, comment_safe(a.target_kind.value),
                                   comment_safe(a.target_name.value)));
      continue;
    }
    const Workload& workload = workloads[*target[i]];
    if (scaled_by[*target[i]] > 1) {
      notes_.push_back(fmt::format(
          "{} is left out: {} '{}' is scaled by {} autoscalers, and Kubernetes lets none of "
          "them act (AmbiguousSelector)",
          who, workload_kind_text(workload.kind), comment_safe(workload.name.value),
          scaled_by[*target[i]]));
      continue;
    }
    const auto service = service_of_.find(*target[i]);
    if (service == service_of_.end()) {
      notes_.push_back(
          fmt::format("{} is left out: {} '{}' runs a service the model keeps external", who,
                      workload_kind_text(workload.kind), comment_safe(workload.name.value)));
      continue;
    }
    out += autoscaler(a, service->second, workload, used);
  }
  return out.empty() ? out : "autoscalers:\n" + out;
}

std::string ManifestWriter::autoscaler(const Autoscaler& a, const std::string& service,
                                       const Workload& workload, std::set<std::string>& used) {
  const std::string who =
      fmt::format("autoscaler '{}' (manifest {})", comment_safe(a.name.value), where(a.loc));
  const Container* main = workload.main();
  // The pod's CPU request in millicores; 0: none.
  const std::int64_t request =
      main != nullptr && is_positive(main->cpu.request) ? main->cpu.request->value : 0;
  // The one CPU metric the model follows, as a percent of the request.
  std::optional<double> percent;
  std::string target_comment;
  std::vector<std::string> dropped;
  for (const AutoscalerMetric& m : a.metrics) {
    const std::string at = where(m.loc);
    const bool is_keda_trigger = a.origin == AutoscalerOrigin::keda_scaled_object;
    if (!m.is_supported || m.resource.value != "cpu") {
      dropped.push_back(is_keda_trigger
                            ? fmt::format("its {} trigger ({})", comment_safe(m.type.value), at)
                        : m.is_supported || m.type.value == "Resource"
                            ? fmt::format("its {} metric ({})", comment_safe(m.resource.value), at)
                            : fmt::format("its {} metric ({})", comment_safe(m.type.value), at));
      continue;
    }
    if (percent) {
      dropped.push_back(fmt::format("its second cpu metric ({})", at));
      continue;
    }
    if (m.target.value == MetricTargetKind::utilization) {
      percent = static_cast<double>(m.value.value);
      target_comment =
          m.is_default ? fmt::format("no metric listed: the API's default from manifest {}", at)
                       : fmt::format("cpu Utilization target from manifest {}", where(m.value.loc));
    } else if (request > 0) {
      percent = 100.0 * static_cast<double>(m.value.value) / static_cast<double>(request);
      target_comment =
          fmt::format("cpu AverageValue {}m per pod from manifest {}, over the request of {}m",
                      m.value.value, where(m.value.loc), request);
    } else {
      dropped.push_back(
          fmt::format("its cpu AverageValue target ({}), which needs the pod's CPU request", at));
    }
  }
  if (!percent) {
    notes_.push_back(fmt::format(
        "{} is left out: tailsim's autoscalers follow CPU (of the metrics a manifest can "
        "name), not {}",
        who, dropped.empty() ? std::string("an empty list of metrics") : joined(dropped, ", ")));
    return {};
  }
  if (request == 0) {
    notes_.push_back(fmt::format(
        "{} is left out: the pods of '{}' request no CPU, so Kubernetes' HPA computes no CPU "
        "utilization and does not act",
        who, service));
    return {};
  }
  if (!dropped.empty()) {
    notes_.push_back(fmt::format(
        "{}: the model scales '{}' on CPU alone; left out: {} (Kubernetes acts on the largest "
        "of its metrics' recommendations)",
        who, service, joined(dropped, ", ")));
  }
  if (*percent < 1 || *percent > model_max_target_percent) {
    const double clipped = std::clamp(*percent, 1.0, model_max_target_percent);
    notes_.push_back(
        fmt::format("{}: its CPU target of {}% is outside the model's 1% to {}%: "
                    "the model has {}%",
                    who, decimal_text(*percent, 3), decimal_text(model_max_target_percent, 0),
                    decimal_text(clipped, 3)));
    percent = clipped;
  }
  const std::int64_t max = std::clamp<std::int64_t>(a.max.value, 1, model_max_replicas);
  const std::int64_t min = std::clamp<std::int64_t>(a.min.value, 1, max);
  if (max != a.max.value || min != a.min.value) {
    notes_.push_back(fmt::format("{}: its bounds {}..{} are {}..{} in the model", who, a.min.value,
                                 a.max.value, min, max));
  }
  const bool is_keda = a.origin == AutoscalerOrigin::keda_scaled_object;
  if (is_keda && a.keda && a.keda->min_replica_count.value == 0) {
    notes_.push_back(fmt::format(
        "{}: KEDA scales '{}' to zero pods after {}s without activity, and back to one; the "
        "model keeps at least one pod",
        who, service, a.keda->cooldown_period_s.value));
  }
  const std::string origin = is_keda ? "the HPA of a KEDA ScaledObject"
                             : a.origin == AutoscalerOrigin::hpa_v1
                                 ? "HorizontalPodAutoscaler (autoscaling/v1)"
                                 : "HorizontalPodAutoscaler";
  std::string out = fmt::format("  {}:  # {} {} from manifest {}\n",
                                unique_name(sanitize_model_name(a.name.value), used), origin,
                                comment_safe(a.name.value), where(a.loc));
  out += fmt::format("    service: {}  # runs {} {}, scaleTargetRef from manifest {}\n", service,
                     workload_kind_text(workload.kind), comment_safe(workload.name.value),
                     where(a.target_name.loc));
  out += "    metric: cpu\n";
  out += fmt::format("    target: {}%  # {}\n", decimal_text(*percent, 3), target_comment);
  out += fmt::format("    min: {}  # from manifest {}{}\n", min, where(a.min.loc),
                     is_keda && a.keda && a.keda->min_replica_count.value == 0
                         ? " (KEDA's minReplicaCount 0: its HPA keeps 1)"
                         : "");
  out += fmt::format("    max: {}  # from manifest {}\n", max, where(a.max.loc));
  if (a.behavior) {
    out += scale_rules(a.behavior->scale_up, "scale_up", who);
    out += scale_rules(a.behavior->scale_down, "scale_down", who);
  } else {
    out +=
        "    # no behavior in the manifest: Kubernetes' scaling without one (docs/semantics.md)\n";
  }
  return out;
}

std::string ManifestWriter::scale_rules(const ScaleRules& rules, std::string_view key,
                                        const std::string& who) {
  std::vector<std::string> policies;
  bool clipped = false;
  for (const ScalePolicy& p : rules.policies) {
    const bool is_pods = p.kind == ScalePolicyKind::pods;
    const std::int64_t limit = is_pods ? model_max_replicas : model_max_policy_percent;
    const std::int64_t value = std::clamp<std::int64_t>(p.value.value, 1, limit);
    clipped = clipped || value != p.value.value;
    policies.push_back(fmt::format("{{{}: {}{}, period: {}s}}", is_pods ? "pods" : "percent", value,
                                   is_pods ? "" : "%", p.period_s.value));
  }
  if (clipped) {
    notes_.push_back(
        fmt::format("{}: a {} policy above the model's bound ({} pods, {}%) is clipped to it", who,
                    key, model_max_replicas, model_max_policy_percent));
  }
  const std::string_view select = rules.select.value == SelectPolicy::max   ? "max"
                                  : rules.select.value == SelectPolicy::min ? "min"
                                                                            : "disabled";
  std::string out = fmt::format("    {}: {{stabilization: {}s, select: {}", key,
                                rules.stabilization_s.value, select);
  if (!policies.empty()) {
    out += fmt::format(", policies: [{}]", joined(policies, ", "));
  }
  out += fmt::format("}}  # behavior.{} from manifest {}{}\n",
                     key == "scale_up" ? "scaleUp" : "scaleDown", where(rules.loc),
                     rules.policies_defaulted ? "; policies: the API's defaults" : "");
  return out;
}

}  // namespace tailsim::import::detail
