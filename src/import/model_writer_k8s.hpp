#pragma once
/// The manifest half of the model writer (model_writer.cpp holds the trace
/// half): which workload runs a traced service, the replicas, pod CPU,
/// startup and memory it gives that service, the services added for
/// workloads no trace saw, and the `autoscalers` section written from HPAs
/// and KEDA ScaledObjects. docs/import.md, "Writing the model", states the
/// rules and their sources.

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tailsim/import/k8s_manifests.hpp"
#include "tailsim/model/diagnostics.hpp"

namespace tailsim::import::detail {

/// Text from spans or manifests made safe for a `#` comment: printable ASCII
/// kept, anything else (a newline would end the comment) as `?`.
[[nodiscard]] std::string comment_safe(std::string_view text);

/// `value` with at most `decimals` decimals, trailing zeros dropped.
[[nodiscard]] std::string decimal_text(double value, int decimals);

/// `base`, or `base_2`, `base_3`, ... whichever `used` lacks; added to `used`.
[[nodiscard]] std::string unique_name(const std::string& base, std::set<std::string>& used);

/// Writes what the manifests say about the model's services. One per
/// write_model() call: it remembers which workloads traced services matched,
/// so that the others become services of their own, and which model service
/// runs each workload, so that autoscalers name it.
class ManifestWriter {
 public:
  /// `sources` names the manifests' files in comments (may be null: `manifest`).
  ManifestWriter(const Manifests& manifests, const model::Diagnostics* sources,
                 std::vector<std::string>& notes);

  /// The workload that runs the traced service `raw` (`name` in the model),
  /// by the first rule that finds one: its pods' annotation
  /// `resource.opentelemetry.io/service.name`; a Kubernetes Service named
  /// like it whose selector matches the workload's pod labels; the
  /// workload's name; its `app.kubernetes.io/name` label (or its pods').
  /// Null when none does. A match is remembered: the workload is not added
  /// again as a service of its own.
  const Workload* match(const std::string& raw, const std::string& name);

  /// The lines of the service `name` that `workload` sets, at four spaces:
  /// `replicas`, and a `pod` with `cpu` and `startup` plus a comment with
  /// the memory when the manifest has them. Remembers that `name` runs the
  /// workload: its autoscaler scales `name`.
  [[nodiscard]] std::string service_lines(const Workload& workload, const std::string& name);

  /// The cores the model gives a pod of `workload`: its main container's
  /// CPU limit, else its request, in cores; none when it has neither.
  [[nodiscard]] std::optional<double> pod_cores(const Workload& workload) const;

  /// A service for each workload no traced service matched, named from its
  /// OpenTelemetry annotation or its name (made unique in `used`), with the
  /// smallest endpoint the model accepts and a note.
  [[nodiscard]] std::string untraced_services(std::set<std::string>& used);

  /// The `autoscalers` section (empty when none can be written), after all
  /// services: each HPA or ScaledObject whose workload is in the model,
  /// with the metrics tailsim follows; a note for each one left out or cut.
  [[nodiscard]] std::string autoscalers();

 private:
  const Manifests& manifests_;
  const model::Diagnostics* sources_;
  std::vector<std::string>& notes_;
  /// The model service of each workload in the model, by index in manifests_.workloads.
  std::map<std::size_t, std::string> service_of_;
  /// The workloads a traced service matched, by index.
  std::set<std::size_t> seen_;

  [[nodiscard]] std::string where(const model::SourceLoc& loc) const;
  [[nodiscard]] std::size_t index_of(const Workload& workload) const;
  [[nodiscard]] const Workload* match_by_service(const std::string& raw, const std::string& name);
  void write_pod(const Workload& workload, const std::string& name, std::string& out);
  [[nodiscard]] std::string cpu_line(const Container& main, const std::string& name);
  [[nodiscard]] std::string startup_line(const Workload& workload, const std::string& name);
  [[nodiscard]] std::string memory_line(const Container& main) const;
  [[nodiscard]] std::string autoscaler(const Autoscaler& a, const std::string& service,
                                       const Workload& workload, std::set<std::string>& used);
  [[nodiscard]] std::string scale_rules(const ScaleRules& rules, std::string_view key,
                                        const std::string& who);
};

}  // namespace tailsim::import::detail
