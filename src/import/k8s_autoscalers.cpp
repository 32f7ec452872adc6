// HorizontalPodAutoscalers and KEDA ScaledObjects: the part of the manifest
// reader that fills the autoscaling API's defaults (pkg/apis/autoscaling/v2/
// defaults.go; keda.sh's ScaledObject spec).

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "k8s_yaml.hpp"
#include "tailsim/import/k8s_quantity.hpp"
#include "tailsim/model/text_encoding.hpp"
#include "tailsim/model/units.hpp"

namespace tailsim::import::detail {
namespace {

/// The HPA's default CPU target when it lists no metrics (autoscaling.DefaultCPUUtilization).
constexpr std::int64_t default_cpu_utilization = 80;
/// The longest stabilization window and policy period the API accepts.
constexpr std::int64_t max_stabilization_s = 3600;
constexpr std::int64_t max_policy_period_s = 1800;

/// KEDA's defaults (keda.sh ScaledObject spec).
constexpr std::int64_t keda_default_max_replicas = 100;

AutoscalerMetric cpu_utilization(std::int64_t percent, SourceLoc at) {
  AutoscalerMetric m;
  m.type = {"Resource", at};
  m.resource = {"cpu", at};
  m.target = {MetricTargetKind::utilization, at};
  m.value = {percent, at};
  m.is_supported = true;
  m.loc = at;
  return m;
}

/// The scale target: `kind` (defaulted to `default_kind` when not empty) and `name`.
bool read_target(const YAML::Node& spec, NodeReader& r, std::string_view default_kind,
                 Autoscaler& a) {
  const auto ref = r.map_child(spec, "scaleTargetRef", "spec");
  const auto name = ref ? r.text(*ref, "name", "spec.scaleTargetRef") : std::nullopt;
  auto kind = ref ? r.text(*ref, "kind", "spec.scaleTargetRef") : std::nullopt;
  if (!kind && !default_kind.empty() && ref) {
    kind = Located<std::string>{std::string(default_kind), r.loc(*ref)};
  }
  if (!name || !kind) {
    r.error(ref ? *ref : spec, fmt::format("the autoscaler '{}' needs 'spec.scaleTargetRef' "
                                           "with the kind and name of what it scales",
                                           a.name.value));
    return false;
  }
  a.target_kind = *kind;
  a.target_name = *name;
  return true;
}

/// A metric target's value as written at `field`: a percent for
/// Utilization, else a quantity of the resource (millicores or bytes).
std::optional<Located<std::int64_t>> parse_target(const Located<std::string>& written,
                                                  NodeReader& r, const std::string& field,
                                                  bool is_utilization, std::string_view resource) {
  if (is_utilization) {
    const auto percent = model::parse_integer(written.value);
    if (!percent || percent.value() < 1 || percent.value() > max_int32) {
      r.error(written.loc, fmt::format("'{}' must be a whole percent of at least 1, got '{}'",
                                       field, model::shorten(written.value, 40)));
      return std::nullopt;
    }
    return Located<std::int64_t>{percent.value(), written.loc};
  }
  auto parsed = resource == "cpu" ? parse_millicores(written.value) : parse_bytes(written.value);
  if (!parsed) {
    r.error(written.loc, fmt::format("'{}': {}", field, parsed.error().message));
    return std::nullopt;
  }
  return Located<std::int64_t>{parsed.value(), written.loc};
}

/// One entry of an `autoscaling/v2` HPA's `metrics`.
std::optional<AutoscalerMetric> read_metric(const YAML::Node& node, NodeReader& r,
                                            const std::string& path) {
  if (!r.is_map_item(node, path, "metric")) {
    return std::nullopt;
  }
  AutoscalerMetric m;
  m.loc = r.loc(node);
  const auto type = r.text(node, "type", path);
  if (!type) {
    r.error(node, fmt::format("'{}' has no 'type' (Resource, Pods, Object, External, ...)", path));
    return std::nullopt;
  }
  m.type = *type;
  if (type->value != "Resource") {
    m.note =
        fmt::format("a {} metric: tailsim's autoscalers follow CPU and memory only", type->value);
    return m;
  }
  const std::string resource_path = path + ".resource";
  const auto resource = r.map_child(node, "resource", path);
  const auto name = resource ? r.text(*resource, "name", resource_path) : std::nullopt;
  const std::string target_path = resource_path + ".target";
  const auto target = resource ? r.map_child(*resource, "target", resource_path) : std::nullopt;
  const auto target_type = target ? r.text(*target, "type", target_path) : std::nullopt;
  if (!name || !target_type) {
    r.error(resource ? *resource : node,
            fmt::format("'{}' needs 'name' and 'target.type'", resource_path));
    return std::nullopt;
  }
  m.resource = *name;
  if (name->value != "cpu" && name->value != "memory") {
    m.note = fmt::format(
        "a Resource metric of '{}': tailsim's autoscalers follow CPU and memory "
        "only",
        model::shorten(name->value, 40));
    return m;
  }
  std::string_view key;
  if (target_type->value == "Utilization") {
    m.target = {MetricTargetKind::utilization, target_type->loc};
    key = "averageUtilization";
  } else if (target_type->value == "AverageValue") {
    m.target = {MetricTargetKind::average_value, target_type->loc};
    key = "averageValue";
  } else {
    r.error(target_type->loc,
            fmt::format("'{}.type' is '{}'; a Resource metric's target is Utilization or "
                        "AverageValue",
                        target_path, model::shorten(target_type->value, 40)));
    return std::nullopt;
  }
  const auto written = r.text(*target, key, target_path);
  if (!written) {
    if (!NodeReader::child(*target, key)) {
      r.error(*target, fmt::format("'{}' has no '{}'", target_path, key));
    }
    return std::nullopt;
  }
  auto value = parse_target(*written, r, join_path(target_path, key), key == "averageUtilization",
                            name->value);
  if (!value) {
    return std::nullopt;
  }
  m.value = *value;
  m.is_supported = true;
  return m;
}

/// `behavior.scaleUp` or `behavior.scaleDown`: the defaults of `defaults`
/// where the block says nothing, and its `policies` in place of the default
/// policies when it lists them.
ScaleRules read_rules(const YAML::Node& behavior, NodeReader& r, std::string_view key,
                      const std::string& path, ScaleRules rules) {
  const std::string at = join_path(path, key);
  const auto node = r.map_child(behavior, key, path);
  rules.loc = node ? r.loc(*node) : r.loc(behavior);
  rules.stabilization_s.loc = rules.loc;
  rules.select.loc = rules.loc;
  for (auto& p : rules.policies) {
    p.loc = p.value.loc = p.period_s.loc = rules.loc;
  }
  rules.policies_defaulted = true;
  if (!node) {
    return rules;
  }
  if (auto window = r.whole(*node, "stabilizationWindowSeconds", at, 0, max_stabilization_s)) {
    rules.stabilization_s = *window;
  }
  if (auto select = r.text(*node, "selectPolicy", at)) {
    if (select->value == "Max" || select->value == "Min" || select->value == "Disabled") {
      rules.select = {select->value == "Max"   ? SelectPolicy::max
                      : select->value == "Min" ? SelectPolicy::min
                                               : SelectPolicy::disabled,
                      select->loc};
    } else {
      r.error(select->loc, fmt::format("'{}.selectPolicy' is '{}'; it is Max, Min or Disabled", at,
                                       model::shorten(select->value, 40)));
    }
  }
  const auto policies = r.list_child(*node, "policies", at);
  if (!policies) {
    return rules;
  }
  if (policies->size() == 0) {
    r.error(*policies, fmt::format("'{}.policies' is empty; list at least one policy, or leave "
                                   "it out for the defaults",
                                   at));
    return rules;
  }
  rules.policies.clear();
  rules.policies_defaulted = false;
  for (std::size_t i = 0; i < policies->size(); ++i) {
    const YAML::Node p = (*policies)[i];
    const std::string p_path = fmt::format("{}.policies[{}]", at, i);
    if (!r.is_map_item(p, p_path, "policy")) {
      continue;
    }
    const auto type = r.text(p, "type", p_path);
    const auto value = r.whole(p, "value", p_path, 1);
    const auto period = r.whole(p, "periodSeconds", p_path, 1, max_policy_period_s);
    if (type && type->value != "Pods" && type->value != "Percent") {
      r.error(type->loc, fmt::format("'{}.type' is '{}'; it is Pods or Percent", p_path,
                                     model::shorten(type->value, 40)));
      continue;
    }
    if (!type || !value || !period) {
      if (!NodeReader::child(p, "type") || !NodeReader::child(p, "value") ||
          !NodeReader::child(p, "periodSeconds")) {
        r.error(p, fmt::format("'{}' needs 'type', 'value' and 'periodSeconds'", p_path));
      }
      continue;
    }
    rules.policies.push_back(
        ScalePolicy{type->value == "Pods" ? ScalePolicyKind::pods : ScalePolicyKind::percent,
                    *value, *period, r.loc(p)});
  }
  return rules;
}

ScalePolicy default_policy(ScalePolicyKind kind, std::int64_t value) {
  ScalePolicy p;
  p.kind = kind;
  p.value.value = value;
  p.period_s.value = 15;
  return p;
}

/// A `behavior` block with the API's defaults (only ever called when the
/// manifest has the block: without it the HPA takes its legacy path).
Behavior read_behavior(const YAML::Node& node, NodeReader& r, const std::string& path) {
  Behavior b;
  b.loc = r.loc(node);
  ScaleRules up;
  up.policies = {default_policy(ScalePolicyKind::pods, 4),
                 default_policy(ScalePolicyKind::percent, 100)};
  ScaleRules down;
  down.stabilization_s.value =
      300;  // the controller's --horizontal-pod-autoscaler-downscale-stabilization
  down.policies = {default_policy(ScalePolicyKind::percent, 100)};
  b.scale_up = read_rules(node, r, "scaleUp", path, std::move(up));
  b.scale_down = read_rules(node, r, "scaleDown", path, std::move(down));
  return b;
}

/// minReplicas and maxReplicas under the names of the object's API.
bool read_bounds(const YAML::Node& spec, NodeReader& r, std::string_view min_key,
                 std::string_view max_key, std::int64_t min_low, Autoscaler& a) {
  if (auto low = r.whole(spec, min_key, "spec", min_low)) {
    a.min = *low;
  }
  if (auto high = r.whole(spec, max_key, "spec", 1)) {
    a.max = *high;
  } else if (!NodeReader::child(spec, max_key)) {
    if (a.origin != AutoscalerOrigin::keda_scaled_object) {
      r.error(spec, fmt::format("the autoscaler '{}' needs 'spec.{}'", a.name.value, max_key));
      return false;
    }
  } else {
    return false;
  }
  if (a.max.value < a.min.value) {
    r.error(a.max.loc, fmt::format("'spec.{}' ({}) is below 'spec.{}' ({})", max_key, a.max.value,
                                   min_key, a.min.value));
    return false;
  }
  return true;
}

/// The object's name, namespace and spec; nothing after an error.
std::optional<YAML::Node> start(const YAML::Node& object, NodeReader& r, std::string_view kind,
                                Autoscaler& a) {
  a.loc = r.loc(object);
  a.helm_source = r.helm_source();
  const auto name = object_name(object, r, kind);
  if (!name) {
    return std::nullopt;
  }
  a.name = *name;
  a.namespace_name = object_namespace(object, r);
  const auto spec = r.map_child(object, "spec", "");
  if (!spec) {
    r.error(object, fmt::format("{} '{}' has no 'spec'", kind, a.name.value));
    return std::nullopt;
  }
  a.min.loc = a.max.loc = r.loc(*spec);
  return spec;
}

/// A KEDA trigger: cpu and memory scalers are Resource metrics, the others
/// External metrics tailsim does not follow.
std::optional<AutoscalerMetric> read_trigger(const YAML::Node& node, NodeReader& r,
                                             const std::string& path) {
  if (!r.is_map_item(node, path, "trigger")) {
    return std::nullopt;
  }
  AutoscalerMetric m;
  m.loc = r.loc(node);
  const auto type = r.text(node, "type", path);
  if (!type) {
    r.error(node, fmt::format("'{}' has no 'type' (cpu, memory, kafka, ...)", path));
    return std::nullopt;
  }
  m.type = *type;
  m.resource = *type;
  const std::string meta_path = path + ".metadata";
  const auto metadata = r.map_child(node, "metadata", path);
  auto metric_type = r.text(node, "metricType", path);
  if (!metric_type && metadata && (type->value == "cpu" || type->value == "memory")) {
    metric_type = r.text(*metadata, "type", meta_path);  // the older, deprecated form
  }
  m.target = {MetricTargetKind::average_value, metric_type ? metric_type->loc : m.loc};
  if (type->value != "cpu" && type->value != "memory") {
    m.note = fmt::format(
        "KEDA's '{}' scaler feeds an External metric: tailsim's autoscalers "
        "follow CPU and memory only",
        model::shorten(type->value, 40));
    return m;
  }
  const bool is_utilization = metric_type && metric_type->value == "Utilization";
  if (is_utilization) {
    m.target.value = MetricTargetKind::utilization;
  } else if (metric_type && metric_type->value != "AverageValue") {
    r.error(metric_type->loc,
            fmt::format("the {} trigger's metric type is '{}'; it is Utilization or AverageValue",
                        type->value, model::shorten(metric_type->value, 40)));
    return std::nullopt;
  }
  const auto written = metadata ? r.text(*metadata, "value", meta_path) : std::nullopt;
  if (!written) {
    r.error(metadata ? *metadata : node, fmt::format("'{}' has no 'value'", meta_path));
    return std::nullopt;
  }
  auto value = parse_target(*written, r, meta_path + ".value", is_utilization, type->value);
  if (!value) {
    return std::nullopt;
  }
  m.value = *value;
  m.is_supported = true;
  return m;
}

}  // namespace

void read_hpa(const YAML::Node& object, NodeReader& r, Manifests& out) {
  Autoscaler a;
  const auto api = r.text(object, "apiVersion", "");
  const std::string version = api ? api->value : "";
  if (version == "autoscaling/v1") {
    a.origin = AutoscalerOrigin::hpa_v1;
  } else if (version != "autoscaling/v2" && version != "autoscaling/v2beta2") {
    r.error(api ? api->loc : r.loc(object),
            version == "autoscaling/v2beta1"
                ? std::string("autoscaling/v2beta1 HorizontalPodAutoscalers are not read (the "
                              "API left Kubernetes in 1.25); write it as autoscaling/v2")
                : fmt::format("a HorizontalPodAutoscaler of apiVersion '{}'; tailsim reads "
                              "autoscaling/v2, v2beta2 and v1",
                              model::shorten(version, 40)));
    return;
  }
  const auto spec = start(object, r, "HorizontalPodAutoscaler", a);
  if (!spec || !read_target(*spec, r, "", a) ||
      !read_bounds(*spec, r, "minReplicas", "maxReplicas", 1, a)) {
    return;
  }
  if (a.origin == AutoscalerOrigin::hpa_v1) {
    auto percent = r.whole(*spec, "targetCPUUtilizationPercentage", "spec", 1);
    a.metrics.push_back(cpu_utilization(percent ? percent->value : default_cpu_utilization,
                                        percent ? percent->loc : r.loc(*spec)));
    a.metrics.back().is_default = !percent;
    out.autoscalers.push_back(std::move(a));
    return;
  }
  const auto metrics = r.list_child(*spec, "metrics", "spec");
  for (std::size_t i = 0; metrics && i < metrics->size(); ++i) {
    if (auto m = read_metric((*metrics)[i], r, fmt::format("spec.metrics[{}]", i))) {
      a.metrics.push_back(std::move(*m));
    }
  }
  if (!metrics || metrics->size() == 0) {
    a.metrics.push_back(cpu_utilization(default_cpu_utilization, r.loc(*spec)));
    a.metrics.back().is_default = true;
  }
  if (const auto behavior = r.map_child(*spec, "behavior", "spec")) {
    a.behavior = read_behavior(*behavior, r, "spec.behavior");
  }
  out.autoscalers.push_back(std::move(a));
}

void read_scaled_object(const YAML::Node& object, NodeReader& r, Manifests& out) {
  Autoscaler a;
  a.origin = AutoscalerOrigin::keda_scaled_object;
  const auto spec = start(object, r, "ScaledObject", a);
  if (!spec) {
    return;
  }
  KedaSettings keda;
  keda.polling_interval_s.loc = keda.cooldown_period_s.loc = keda.min_replica_count.loc =
      r.loc(*spec);
  if (auto v = r.whole(*spec, "pollingInterval", "spec", 1)) {
    keda.polling_interval_s = *v;
  }
  if (auto v = r.whole(*spec, "cooldownPeriod", "spec", 0)) {
    keda.cooldown_period_s = *v;
  }
  a.min.value = 0;  // minReplicaCount's default
  a.max.value = keda_default_max_replicas;
  if (!read_target(*spec, r, "Deployment", a) ||
      !read_bounds(*spec, r, "minReplicaCount", "maxReplicaCount", 0, a)) {
    return;
  }
  // KEDA's HPA keeps at least one pod; KEDA itself scales 0 <-> 1.
  keda.min_replica_count = a.min;
  a.min.value = std::max<std::int64_t>(a.min.value, 1);
  a.keda = keda;
  const auto advanced = r.map_child(*spec, "advanced", "spec");
  const auto hpa_config =
      advanced ? r.map_child(*advanced, "horizontalPodAutoscalerConfig", "spec.advanced")
               : std::nullopt;
  const std::string config_path = "spec.advanced.horizontalPodAutoscalerConfig";
  const auto hpa_name = hpa_config ? r.text(*hpa_config, "name", config_path) : std::nullopt;
  const std::string scaled_object = a.name.value;
  a.name = hpa_name ? *hpa_name : Located<std::string>{"keda-hpa-" + a.name.value, a.name.loc};
  if (const auto behavior =
          hpa_config ? r.map_child(*hpa_config, "behavior", config_path) : std::nullopt) {
    a.behavior = read_behavior(*behavior, r, config_path + ".behavior");
  }
  const auto triggers = r.list_child(*spec, "triggers", "spec");
  if (!triggers || triggers->size() == 0) {
    r.error(triggers ? *triggers : *spec,
            fmt::format("the ScaledObject '{}' has no 'spec.triggers'", scaled_object));
    return;
  }
  for (std::size_t i = 0; i < triggers->size(); ++i) {
    if (auto m = read_trigger((*triggers)[i], r, fmt::format("spec.triggers[{}]", i))) {
      a.metrics.push_back(std::move(*m));
    }
  }
  out.autoscalers.push_back(std::move(a));
}

}  // namespace tailsim::import::detail
