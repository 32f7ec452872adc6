#pragma once
/// From evidence to model text: the writer behind `tailsim import`. It turns
/// the aggregates of analyze_traces() (and, when given, Kubernetes
/// manifests) into a version-1 model that loads through model::load_string,
/// with comments saying where each value came from. docs/import.md,
/// "Writing the model", states what it emits and why.

#include <string>
#include <string_view>
#include <vector>

#include "tailsim/core/time.hpp"
#include "tailsim/import/k8s_manifests.hpp"
#include "tailsim/import/trace_analysis.hpp"
#include "tailsim/model/diagnostics.hpp"

namespace tailsim::import {

/// How an endpoint's own time (its span minus its calls) enters the model.
enum class OwnTimeAs {
  /// `cpu: DIST`: CPU demand, which queues for the pod's cores as load grows.
  cpu,
  /// `delay: DIST`: time that passes whatever the load (I/O, locks, sleeps).
  delay
};

/// What the writer is told beyond the evidence.
struct WriterOptions {
  /// The model's `name`.
  std::string name = "imported";
  OwnTimeAs own_time = OwnTimeAs::cpu;
  /// The source table the manifests were read with, to name their files in
  /// comments (`# replicas from manifest deploy.yaml:12`); none: line only.
  const model::Diagnostics* manifest_sources = nullptr;
};

/// A file of samples to write beside the model with write_empirical_file():
/// an `empirical(name)` distribution in the text reads it.
struct EmpiricalFile {
  /// Relative to the model's folder; letters, digits, `.`, `_` and `-` only.
  std::string name;
  std::vector<Duration> samples;
};

/// A drafted model and what goes with it.
struct DraftModel {
  std::string yaml;
  std::vector<EmpiricalFile> files;
  /// What the user should know: renamed services and endpoints, unknown
  /// rates, approximations made.
  std::vector<std::string> notes;
};

/// Writes a model from `evidence`. `manifests` (may be null) set the
/// replicas, pod CPU and startup of the services whose workload they define
/// (found by the rules of docs/import.md), add a service for each workload
/// no trace saw, and give an `autoscalers` section from the HPAs and KEDA
/// ScaledObjects the model can follow. Never fails: names are made valid
/// and every choice is noted.
[[nodiscard]] DraftModel write_model(const TraceEvidence& evidence, const Manifests* manifests,
                                     const WriterOptions& options = {});

/// A tailsim name for `text`: lowercased, each run of characters other than
/// a-z, 0-9, `_` and `-` turned into one `_`, trimmed of `_` and of leading
/// `-`, at most 128 characters; `unnamed` when nothing is left, `null_`
/// for `null` (which YAML reads as no key).
[[nodiscard]] std::string sanitize_model_name(std::string_view text);

}  // namespace tailsim::import
