// libFuzzer target for the Kubernetes manifest reader of `tailsim import`:
// the input is a manifest file's text. Whatever it holds, the reader answers
// with data or with diagnostics that point into the text, and never turns an
// exception into an internal error; and the model the writer drafts from
// what it read loads.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tailsim/import/k8s_manifests.hpp"
#include "tailsim/import/model_writer.hpp"
#include "tailsim/model/loader.hpp"

namespace {

/// Aborts (a finding) when `at` is not a place in a text of `lines` lines.
void check_place(const tailsim::model::SourceLoc& at, std::size_t lines, const char* what) {
  if (at.line < 1 || at.col < 1 || at.line > lines) {
    std::fprintf(stderr, "%s at %u:%u, outside the text's %zu lines\n", what, at.line, at.col,
                 lines);
    std::abort();
  }
}

/// Aborts when the model drafted from `manifests` does not load. Every
/// other workload has spans under its name, so that both the matching of
/// traced services and the services added for untraced workloads run.
/// Without workloads there are no spans and nothing to draft.
void check_draft(const tailsim::import::Manifests& manifests,
                 const tailsim::model::Diagnostics& diags) {
  namespace ti = tailsim::import;
  if (manifests.workloads.empty()) {
    return;
  }
  std::vector<std::string> traced;
  for (std::size_t i = 0; i < manifests.workloads.size(); i += 2) {
    traced.push_back(manifests.workloads[i].name.value);
  }
  std::sort(traced.begin(), traced.end());
  traced.erase(std::unique(traced.begin(), traced.end()), traced.end());
  ti::TraceEvidence evidence;
  for (const auto& service : traced) {
    ti::EndpointEvidence endpoint;
    endpoint.service = service;
    endpoint.name = "op";
    endpoint.invocations = endpoint.spans = 1;
    evidence.endpoints.push_back(std::move(endpoint));
    evidence.services.push_back(ti::ServiceEvidence{service, false, 0, 1});
  }
  ti::WriterOptions options;
  options.manifest_sources = &diags;
  const auto draft = ti::write_model(evidence, &manifests, options);
  const auto loaded = tailsim::model::load_string(draft.yaml, "draft.yaml");
  if (!loaded.ok()) {
    std::fprintf(stderr, "the drafted model does not load:\n%s\n%s\n", draft.yaml.c_str(),
                 loaded.diagnostics.format_all().c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::size_t lines =
      static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  tailsim::model::Diagnostics diags;
  tailsim::import::Manifests out;
  tailsim::import::read_manifest_text(text, "fuzz.yaml", out, diags);
  tailsim::import::link_autoscalers(out, diags);
  for (const auto& d : diags.all()) {
    check_place(d.loc, lines, "a diagnostic");
    // Quoted text may say anything; the reader's own internal error starts the message.
    if (d.message.empty() || d.message.starts_with("internal error")) {
      std::fprintf(stderr, "%s\n", diags.format(d).c_str());
      std::abort();
    }
  }
  for (const auto& w : out.workloads) {
    check_place(w.name.loc, lines, "a workload's name");
    check_place(w.replicas.loc, lines, "a workload's replicas");
    if (w.replicas.value < 0 ||
        (!w.containers.empty() && w.main_container >= w.containers.size())) {
      std::abort();
    }
  }
  for (const auto& a : out.autoscalers) {
    check_place(a.max.loc, lines, "an autoscaler's maximum");
    if (a.min.value < 1 || a.max.value < a.min.value) {
      std::abort();
    }
  }
  check_draft(out, diags);
  return 0;
}
