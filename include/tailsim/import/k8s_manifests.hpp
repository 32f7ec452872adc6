#pragma once
/// Kubernetes manifests read into plain data: the workloads (Deployments,
/// StatefulSets), their autoscalers (HorizontalPodAutoscalers of
/// `autoscaling/v2` and `v1`, KEDA ScaledObjects as the HPA they create) and
/// Services, with the API's defaults filled in as the API server fills them
/// (kubernetes/api `apps/v1`, `core/v1` and `autoscaling/v2` types,
/// `pkg/apis/autoscaling/v2/defaults.go`, the kubelet's probe defaults, KEDA's
/// ScaledObject spec).
///
/// Input is what `kubectl get -o yaml`, `helm template` and hand-written
/// folders hold: files of one or more YAML documents (`---`), `kind: List`
/// and typed lists (`DeploymentList`) with `items`. Helm hooks
/// (`helm.sh/hook`) are skipped, and helm's `# Source:` comment is kept.
/// Other kinds (ConfigMap, Ingress, custom resources) are counted and
/// skipped. Every value keeps where it was written (`file:line:col`), and a
/// filled-in default keeps the place of the object or block it belongs to,
/// so the model written from it can say where each value came from.
///
/// Manifests are untrusted input: every problem is a diagnostic, never a
/// crash, and an object with an error is left out of the result.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tailsim/model/diagnostics.hpp"

namespace tailsim::import {

using model::Located;
using model::SourceLoc;

/// A readiness or startup probe's timing, with the kubelet's defaults.
struct Probe {
  Located<std::int64_t> initial_delay_s{0};
  Located<std::int64_t> period_s{10};
  Located<std::int64_t> timeout_s{1};
  Located<std::int64_t> success_threshold{1};
  Located<std::int64_t> failure_threshold{3};
  SourceLoc loc;
};

/// One resource (CPU in millicores, memory in bytes) of a container. A request
/// left out while a limit is set is the limit (`request_is_limit`), as the API
/// server defaults it.
struct ResourceAmount {
  std::optional<Located<std::int64_t>> request;
  std::optional<Located<std::int64_t>> limit;
  bool request_is_limit = false;
};

struct Container {
  Located<std::string> name;
  ResourceAmount cpu;     ///< millicores
  ResourceAmount memory;  ///< bytes
  std::optional<Probe> readiness;
  std::optional<Probe> startup;
  SourceLoc loc;
};

enum class WorkloadKind { deployment, stateful_set };

/// StatefulSet pods start one by one, each Ready first (`OrderedReady`), or
/// all at once (`Parallel`). A Deployment's pods start at once.
enum class PodManagement { ordered_ready, parallel };

/// A Deployment or StatefulSet.
struct Workload {
  WorkloadKind kind = WorkloadKind::deployment;
  Located<std::string> name;
  /// As written; empty when the manifest names none (the namespace it is applied to).
  Located<std::string> namespace_name;
  Located<std::int64_t> replicas{1};
  /// True when an autoscaler targets this workload: its replicas are the
  /// autoscaler's to set, `replicas` is only where they start.
  bool replicas_owned = false;
  std::map<std::string, std::string> labels;           ///< metadata.labels
  std::map<std::string, std::string> pod_labels;       ///< spec.template.metadata.labels
  std::map<std::string, std::string> pod_annotations;  ///< spec.template.metadata.annotations
  std::vector<Container> containers;
  /// The container that serves: the one named like the workload (or like its
  /// `app.kubernetes.io/name` label), else the first.
  std::size_t main_container = 0;
  Located<PodManagement> pod_management{PodManagement::ordered_ready};
  /// helm template's `# Source:` file, empty when there is none.
  std::string helm_source;
  SourceLoc loc;

  [[nodiscard]] const Container* main() const {
    return containers.empty() ? nullptr : &containers[main_container];
  }
};

/// Which object an autoscaler came from.
enum class AutoscalerOrigin { hpa_v2, hpa_v1, keda_scaled_object };

enum class MetricTargetKind { utilization, average_value, value };

/// One metric an autoscaler follows. Supported are `Resource` metrics of cpu
/// or memory with a `Utilization` (percent of the request) or `AverageValue`
/// (millicores or bytes per pod) target; any other is kept with
/// `is_supported` false and a note saying why.
struct AutoscalerMetric {
  /// `Resource`, `ContainerResource`, `Pods`, `Object`, `External`; for a KEDA
  /// trigger, its `type` (`cpu`, `kafka`, ...).
  Located<std::string> type;
  Located<std::string> resource;  ///< cpu, memory, or the metric's name
  Located<MetricTargetKind> target{MetricTargetKind::utilization};
  /// Percent for utilization; millicores (cpu) or bytes (memory) otherwise.
  Located<std::int64_t> value{0};
  bool is_supported = false;
  /// Filled in by the API's default (no metrics: CPU at 80 %).
  bool is_default = false;
  std::string note;
  SourceLoc loc;
};

enum class ScalePolicyKind { pods, percent };

struct ScalePolicy {
  ScalePolicyKind kind = ScalePolicyKind::pods;
  Located<std::int64_t> value{0};
  Located<std::int64_t> period_s{15};
  SourceLoc loc;
};

enum class SelectPolicy { max, min, disabled };

/// `behavior.scaleUp` or `behavior.scaleDown` with the API's defaults.
struct ScaleRules {
  Located<std::int64_t> stabilization_s{0};
  Located<SelectPolicy> select{SelectPolicy::max};
  std::vector<ScalePolicy> policies;
  /// The policies are the API's defaults (the block listed none).
  bool policies_defaulted = false;
  SourceLoc loc;
};

/// A `behavior` block: present only when the manifest has one. Without it
/// the HPA controller takes its legacy path (docs/semantics.md, "Autoscaling
/// and pod lifecycle"), and no
/// default is filled in.
struct Behavior {
  ScaleRules scale_up;
  ScaleRules scale_down;
  SourceLoc loc;
};

/// KEDA's own settings around the HPA it creates.
struct KedaSettings {
  Located<std::int64_t> polling_interval_s{30};
  Located<std::int64_t> cooldown_period_s{300};
  /// 0 lets KEDA scale the workload to zero and back to one itself.
  Located<std::int64_t> min_replica_count{0};
};

/// A HorizontalPodAutoscaler, or the one a KEDA ScaledObject creates.
struct Autoscaler {
  AutoscalerOrigin origin = AutoscalerOrigin::hpa_v2;
  /// The HPA's name (`keda-hpa-<name>` for a ScaledObject).
  Located<std::string> name;
  Located<std::string> namespace_name;
  Located<std::string> target_kind;  ///< scaleTargetRef.kind
  Located<std::string> target_name;  ///< scaleTargetRef.name
  Located<std::int64_t> min{1};
  Located<std::int64_t> max{0};
  std::vector<AutoscalerMetric> metrics;
  std::optional<Behavior> behavior;
  std::optional<KedaSettings> keda;
  std::string helm_source;
  SourceLoc loc;
};

struct ServicePort {
  std::string name;
  Located<std::int64_t> port{0};
  /// A number or a named container port, as written; empty: same as `port`.
  Located<std::string> target_port;
  std::string protocol = "TCP";
};

/// A Kubernetes Service: the name clients call and the pods it selects.
struct Service {
  Located<std::string> name;
  Located<std::string> namespace_name;
  std::map<std::string, std::string> selector;
  std::vector<ServicePort> ports;
  std::string helm_source;
  SourceLoc loc;
};

/// Objects of a kind not read, counted per kind.
struct SkippedKind {
  std::string kind;
  std::size_t count = 0;
  SourceLoc first;
};

/// Everything read from the manifests, in the order of the files.
struct Manifests {
  std::vector<Workload> workloads;
  std::vector<Autoscaler> autoscalers;
  std::vector<Service> services;
  /// By kind: the kinds not read, how many objects of each, and where the first was.
  std::map<std::string, SkippedKind> skipped;
  std::size_t helm_hooks_skipped = 0;
};

/// Reads manifest files and folders into `out`. A folder contributes its
/// `*.yaml` and `*.yml` entries (not its subfolders), in sorted order. Only
/// regular files are read (a link to one is followed; a FIFO, a device or a
/// socket is refused without being opened). Every source is registered in
/// `diags`, and every problem reported there as `file:line:col: error:`.
/// After all files, autoscalers are matched to the workloads they target.
[[nodiscard]] Manifests read_manifests(std::span<const std::filesystem::path> paths,
                                       model::Diagnostics& diags);

/// Reads the manifests in `text` (named `source_name` in messages) into
/// `out`, without matching autoscalers to workloads.
void read_manifest_text(std::string_view text, const std::string& source_name, Manifests& out,
                        model::Diagnostics& diags);

/// Reports a workload defined twice (same kind, namespace and name), and marks
/// the workloads that autoscalers target as owned by them; warns about
/// an autoscaler whose target no manifest defines and about a workload that
/// two autoscalers target.
void link_autoscalers(Manifests& manifests, model::Diagnostics& diags);

}  // namespace tailsim::import
