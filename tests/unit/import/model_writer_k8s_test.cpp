// The manifest half of the model writer (src/import/model_writer_k8s.cpp):
// every case loads the written model with model::load_string and checks the
// values the loader parsed against the manifests in tests/import/k8s/.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "support/simulate.hpp"
#include "support/spans.hpp"
#include "tailsim/import/k8s_manifests.hpp"
#include "tailsim/import/model_writer.hpp"
#include "tailsim/model/loader.hpp"

namespace ti = tailsim::import;
namespace tm_ = tailsim::model;
using tailsim::Duration;

namespace {

const std::filesystem::path k8sw_fixtures =
    std::filesystem::path(TAILSIM_TESTS_DIR) / "import" / "k8s";

/// Ten traces of one server span for each of `services`: each is a root
/// endpoint `op` with its own workload.
ti::TraceEvidence k8sw_evidence(const std::vector<std::string>& services) {
  ti::SpanStore store;
  std::uint64_t trace = 0;
  for (std::uint64_t t = 0; t < 10; ++t) {
    for (const auto& service : services) {
      const double start = static_cast<double>(trace) * 10;
      tailsim::testing::add_span(store, trace++, 1, 0, service, "op", ti::SpanKind::server, start,
                                 start + 5 + static_cast<double>(t));
    }
  }
  ti::AnalysisOptions options;
  options.edge_cut = Duration::zero();
  return ti::analyze_traces(store, options);
}

/// A drafted model and the model the loader reads from it.
struct K8swDraft {
  ti::DraftModel draft;
  tm_::Model model;
};

/// Writes the model of `services`' spans and the manifests at `paths`
/// (relative to tests/import/k8s), and loads it; the load must succeed.
K8swDraft k8sw_write(const std::vector<std::string>& services,
                     const std::vector<std::string>& paths) {
  tm_::Diagnostics diags;
  std::vector<std::filesystem::path> files;
  for (const auto& path : paths) {
    files.push_back(k8sw_fixtures / path);
  }
  const auto manifests = ti::read_manifests(files, diags);
  INFO(diags.format_all());
  REQUIRE_FALSE(diags.has_errors());
  ti::WriterOptions options;
  options.manifest_sources = &diags;
  auto draft = ti::write_model(k8sw_evidence(services), &manifests, options);
  auto loaded = tm_::load_string(draft.yaml, "draft.yaml");
  INFO(draft.yaml);
  INFO(loaded.diagnostics.format_all());
  REQUIRE(loaded.ok());
  CHECK(loaded.diagnostics.format_all().empty());  // not even a warning
  return K8swDraft{std::move(draft), std::move(*loaded.model)};
}

/// The entry of `items` called `name`.
template <typename T>
const T& k8sw_named(const std::vector<T>& items, std::string_view name) {
  const auto found = std::find_if(items.begin(), items.end(),
                                  [&](const T& item) { return item.name.value == name; });
  INFO("looking for " << name);
  REQUIRE(found != items.end());
  return *found;
}

const tm_::Service& k8sw_service(const tm_::Model& model, std::string_view name) {
  return k8sw_named(model.services, name);
}

const tm_::Autoscaler& k8sw_autoscaler(const tm_::Model& model, std::string_view name) {
  return k8sw_named(model.autoscalers, name);
}

bool k8sw_has_note(const ti::DraftModel& draft, std::string_view part) {
  return std::any_of(draft.notes.begin(), draft.notes.end(),
                     [&](const std::string& note) { return note.find(part) != std::string::npos; });
}

/// The line of `yaml` that holds `part`, empty when none does.
std::string k8sw_line(const std::string& yaml, std::string_view part) {
  const auto at = yaml.find(part);
  if (at == std::string::npos) {
    return {};
  }
  const auto start = yaml.rfind('\n', at) + 1;
  return yaml.substr(start, yaml.find('\n', at) - start);
}

/// An autoscaler's service, CPU target (a fraction) and bounds.
void k8sw_check_autoscaler(const tm_::Autoscaler& a, std::string_view service, double target,
                           std::int64_t min, std::int64_t max) {
  INFO(a.name.value);
  CHECK(a.service.value == service);
  CHECK(a.metric.value == tm_::ScaleMetric::cpu);
  CHECK(a.target.value == Approx(target));
  CHECK(a.min.value == min);
  CHECK(a.max.value == max);
}

void k8sw_check_policy(const tm_::ScalingPolicy& policy, bool is_percent, double value,
                       std::chrono::seconds period) {
  CHECK(policy.is_percent == is_percent);
  CHECK(policy.value.value == Approx(value));
  CHECK(policy.period.value == period);
}

}  // namespace

TEST_CASE("An HPA with behavior becomes an autoscaler with the manifest's rules", "[import]") {
  const auto [draft, model] = k8sw_write({"api"}, {"writer/api.yaml"});
  INFO(draft.yaml);
  // The Service named 'api' selects the pods of Deployment api-server.
  const auto& api = k8sw_service(model, "api");
  CHECK(api.replicas.value == 4);
  // Request and limit differ: a CFS map, the request the HPA's denominator.
  CHECK(api.pod.cpu.is_cfs);
  CHECK(api.pod.cpu.request.value == Approx(0.2));
  CHECK(api.pod.cpu.limit.value == Approx(1.5));
  CHECK(api.pod.cpu.node_cores.value == Approx(2));
  CHECK(api.pod.cpu.requested_cores() == Approx(0.2));
  // Startup probe passes at 30 s; the readiness probe then needs 3 successes
  // 5 s apart: ready at 30 + 2 x 5 = 40 s.
  REQUIRE(api.pod.startup);
  CHECK(api.pod.startup->mean_ns() == Approx(40e9));
  CHECK(k8sw_line(draft.yaml, "startup: 40s").find("api.yaml:") != std::string::npos);
  // Memory is a comment only.
  CHECK(k8sw_line(draft.yaml, "# memory:").find("request 256Mi, limit 512Mi from manifest") !=
        std::string::npos);
  REQUIRE(model.autoscalers.size() == 1);
  const auto& hpa = k8sw_autoscaler(model, "api-hpa");
  // An AverageValue of 300m over a request of 200m: 150% utilization.
  k8sw_check_autoscaler(hpa, "api", 1.5, 3, 12);
  REQUIRE(hpa.scale_up);
  CHECK(hpa.scale_up->stabilization.value == Duration::zero());
  CHECK(hpa.scale_up->select.value == tm_::SelectPolicy::max);
  REQUIRE(hpa.scale_up->policies.size() == 2);
  k8sw_check_policy(hpa.scale_up->policies[0], false, 4, std::chrono::seconds(60));
  k8sw_check_policy(hpa.scale_up->policies[1], true, 2.0, std::chrono::seconds(30));
  REQUIRE(hpa.scale_down);
  CHECK(hpa.scale_down->stabilization.value == std::chrono::seconds(600));
  CHECK(hpa.scale_down->select.value == tm_::SelectPolicy::disabled);
  REQUIRE(hpa.scale_down->policies.size() == 1);
  k8sw_check_policy(hpa.scale_down->policies[0], true, 0.1, std::chrono::seconds(60));
  // The memory metric is dropped, and said so.
  CHECK(k8sw_has_note(draft, "the model scales 'api' on CPU alone; left out: its memory metric"));
  CHECK(k8sw_line(draft.yaml, "target: 150%").find("over the request of 200m") !=
        std::string::npos);
  CHECK(k8sw_line(draft.yaml, "scale_down:").find("api.yaml:") != std::string::npos);
}

TEST_CASE("The shop's autoscalers, probes and untraced workloads load as the manifests say",
          "[import]") {
  const auto [draft, model] = k8sw_write({"checkout-svc", "cart", "ledger"},
                                         {"shop/checkout.yaml", "shop/cart.yml", "shop/ledger.yaml",
                                          "shop/worker.yaml", "shop/list.yaml"});
  INFO(draft.yaml);
  // checkout: request 250m, limit 1; its startup probe passes at 2 s and the
  // readiness probe (period 5 s, one success) right after.
  const auto& checkout = k8sw_service(model, "checkout-svc");
  CHECK(checkout.pod.cpu.request.value == Approx(0.25));
  CHECK(checkout.pod.cpu.limit.value == Approx(1));
  REQUIRE(checkout.pod.startup);
  CHECK(checkout.pod.startup->mean_ns() == Approx(2e9));
  CHECK(k8sw_has_note(draft, "run 2 containers: the model's pod is container 'checkout'"));
  // cart: a limit only, plain cores; ledger: a request only.
  CHECK_FALSE(k8sw_service(model, "cart").pod.cpu.is_cfs);
  CHECK(k8sw_service(model, "cart").pod.cpu.cores.value == Approx(0.5));
  CHECK_FALSE(k8sw_service(model, "cart").pod.startup);
  CHECK(k8sw_line(draft.yaml, "# memory: request 1Gi (the limit), limit 1Gi") != "");
  CHECK(k8sw_service(model, "ledger").pod.cpu.cores.value == Approx(2));

  REQUIRE(model.autoscalers.size() == 4);
  const auto& hpa = k8sw_autoscaler(model, "checkout");
  k8sw_check_autoscaler(hpa, "checkout-svc", 0.6, 2, 20);
  REQUIRE(hpa.scale_up);
  CHECK(hpa.scale_up->stabilization.value == std::chrono::seconds(60));
  CHECK(hpa.scale_up->select.value == tm_::SelectPolicy::min);
  REQUIRE(hpa.scale_up->policies.size() == 1);
  k8sw_check_policy(hpa.scale_up->policies[0], false, 2, std::chrono::seconds(30));
  // scaleDown lists no policies: the API's default, 100% per 15 s.
  REQUIRE(hpa.scale_down);
  CHECK(hpa.scale_down->stabilization.value == std::chrono::seconds(120));
  REQUIRE(hpa.scale_down->policies.size() == 1);
  k8sw_check_policy(hpa.scale_down->policies[0], true, 1.0, std::chrono::seconds(15));
  CHECK(k8sw_has_note(draft, "left out: its memory metric"));
  CHECK(k8sw_has_note(draft, "its Pods metric"));
  // cart's HPA lists no metric (the API's 80% CPU) and no behavior: the
  // legacy path, no scale_up or scale_down.
  const auto& cart = k8sw_autoscaler(model, "cart");
  k8sw_check_autoscaler(cart, "cart", 0.8, 1, 8);
  CHECK_FALSE(cart.scale_up);
  CHECK_FALSE(cart.scale_down);
  // ledger: autoscaling/v1's targetCPUUtilizationPercentage.
  const auto& ledger = k8sw_autoscaler(model, "ledger");
  k8sw_check_autoscaler(ledger, "ledger", 0.7, 3, 6);

  // worker and search have no spans: services with a placeholder endpoint.
  const auto& worker = k8sw_service(model, "worker");
  CHECK(worker.replicas.value == 2);
  CHECK(worker.pod.cpu.cores.value == Approx(1.5));
  REQUIRE(worker.endpoints.size() == 1);
  CHECK(worker.endpoints[0].name.value == "placeholder");
  CHECK(k8sw_service(model, "search").find_endpoint("placeholder") != nullptr);
  CHECK(k8sw_has_note(draft, "service 'worker' from manifest "));
  CHECK(k8sw_has_note(draft, "worker.yaml:1 has no spans: added with one placeholder endpoint"));
  // KEDA's HPA: the cpu trigger at 50%, its kafka trigger dropped; min 0 is 1.
  const auto& keda = k8sw_autoscaler(model, "keda-hpa-worker");
  k8sw_check_autoscaler(keda, "worker", 0.5, 1, 30);
  REQUIRE(keda.scale_down);
  CHECK(keda.scale_down->stabilization.value == std::chrono::seconds(30));
  REQUIRE(keda.scale_up);
  REQUIRE(keda.scale_up->policies.size() == 2);
  k8sw_check_policy(keda.scale_up->policies[0], false, 4, std::chrono::seconds(15));
  k8sw_check_policy(keda.scale_up->policies[1], true, 1.0, std::chrono::seconds(15));
  CHECK(k8sw_has_note(draft, "left out: its kafka trigger"));
  CHECK(k8sw_has_note(draft, "KEDA scales 'worker' to zero pods after 120s"));
}

TEST_CASE("A traced service finds its workload by the rules in order", "[import]") {
  const auto [draft, model] =
      k8sw_write({"pay", "ship", "mail", "web", "notify"}, {"writer/matching.yaml"});
  INFO(draft.yaml);
  // The annotation beats the Service named 'pay'.
  CHECK(k8sw_service(model, "pay").replicas.value == 2);
  // The Service named 'ship' beats the app.kubernetes.io/name label.
  CHECK(k8sw_service(model, "ship").replicas.value == 5);
  // The workload's name beats the label; its readiness probe: 15 s, then
  // one more success 10 s later.
  const auto& mail = k8sw_service(model, "mail");
  CHECK(mail.replicas.value == 7);
  REQUIRE(mail.pod.startup);
  CHECK(mail.pod.startup->mean_ns() == Approx(25e9));
  // The Service named 'web' selects no pods: the label decides.
  CHECK(k8sw_service(model, "web").replicas.value == 9);
  // A label on the pods only will do.
  CHECK(k8sw_service(model, "notify").replicas.value == 3);
  // The workloads that lost are services of their own.
  for (const auto& [name, replicas] : std::vector<std::pair<std::string, std::int64_t>>{
           {"pay-canary", 4}, {"ship-label", 6}, {"mailer", 8}, {"frontend", 1}}) {
    INFO(name);
    const auto& service = k8sw_service(model, name);
    CHECK(service.replicas.value == replicas);
    CHECK(service.find_endpoint("placeholder") != nullptr);
    CHECK(k8sw_has_note(draft, "service '" + name + "' from manifest "));
  }
  CHECK(model.services.size() == 9);
}

TEST_CASE("Autoscalers the model cannot follow are left out with a note", "[import]") {
  const auto [draft, model] = k8sw_write({"cache", "batch", "render"}, {"writer/left-out.yaml"});
  INFO(draft.yaml);
  CHECK(model.autoscalers.empty());
  CHECK(draft.yaml.find("autoscalers:") == std::string::npos);
  for (const char* note :
       {"autoscaler 'cache' (manifest ",
        "follow CPU (of the metrics a manifest can name), not its memory metric",
        "its External metric", "its cpu AverageValue target", "the pods of 'render' request no CPU",
        "scales Deployment 'ghost', which no manifest defines"}) {
    CHECK(k8sw_has_note(draft, note));
  }
  // The services are there, at the manifests' replicas and CPU.
  CHECK(k8sw_service(model, "cache").pod.cpu.cores.value == Approx(0.5));
  CHECK(k8sw_line(draft.yaml, "# memory: request 2Gi from manifest") != "");
}

TEST_CASE("Manifest values beyond the model's bounds are clipped to them, with notes", "[import]") {
  const auto [draft, model] = k8sw_write({"huge"}, {"writer/extreme.yaml"});
  INFO(draft.yaml);
  const auto& huge = k8sw_service(model, "huge");
  CHECK(huge.replicas.value == 1);
  CHECK(huge.pod.cpu.request.value == Approx(100'000));
  CHECK(huge.pod.cpu.limit.value == Approx(100'000));
  REQUIRE(huge.pod.startup);
  CHECK(huge.pod.startup->mean_ns() == Approx(86'400e9));
  const auto& hpa = k8sw_autoscaler(model, "huge");
  k8sw_check_autoscaler(hpa, "huge", 10.0, 1, 100'000);
  REQUIRE(hpa.scale_up);
  REQUIRE(hpa.scale_up->policies.size() == 2);
  k8sw_check_policy(hpa.scale_up->policies[0], false, 100'000, std::chrono::minutes(30));
  k8sw_check_policy(hpa.scale_up->policies[1], true, 100, std::chrono::seconds(1));
  for (const char* note :
       {"service 'huge' has 0 replicas in its manifest: the model has 1", "the CPU of 'huge'",
        "allow it ready after", "its CPU target of 5000%", "its bounds 1..1000000 are 1..100000",
        "a scale_up policy above the model's bound"}) {
    CHECK(k8sw_has_note(draft, note));
  }
}

TEST_CASE("A model drafted with manifests runs, its autoscalers syncing", "[import]") {
  const auto [draft, model] =
      k8sw_write({"checkout-svc", "cart", "ledger"},
                 {"shop/checkout.yaml", "shop/cart.yml", "shop/ledger.yaml", "shop/worker.yaml"});
  INFO(draft.yaml);
  const auto results = tailsim::testing::simulate_text(draft.yaml);
  CHECK(results.paths.size() == 3);
  for (const auto& path : results.paths) {
    INFO(path.name);
    CHECK(path.requests > 1000);
  }
  REQUIRE(results.autoscalers.size() == 4);
  for (const auto& a : results.autoscalers) {
    INFO(a.name);
    CHECK(a.history.size() >= 3);  // a sync every 15 s over 60 s
  }
  // worker has no load: KEDA's HPA scales its 2 pods down to 1 once its 30 s
  // scale-down window has passed.
  const auto& keda = tailsim::testing::named(results.autoscalers, std::string("keda-hpa-worker"));
  CHECK(keda.scale_downs >= 1);
  CHECK(tailsim::testing::named(results.services, std::string("worker")).replicas.min == 1);
  CHECK(tailsim::testing::named(results.services, std::string("ledger")).replicas.min == 3);
}

TEST_CASE("Every manifest fixture drafts a model that loads", "[import]") {
  // Each file alone and all together, with spans of services some of them
  // run; and with no spans at all.
  std::vector<std::string> all;
  for (const auto& folder : {"shop", "writer", ""}) {
    for (const auto& entry : std::filesystem::directory_iterator(k8sw_fixtures / folder)) {
      const auto ext = entry.path().extension();
      if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
        all.push_back(std::filesystem::relative(entry.path(), k8sw_fixtures).string());
      }
    }
  }
  std::sort(all.begin(), all.end());
  REQUIRE(all.size() >= 11);
  const std::vector<std::string> traced{"checkout-svc", "cart", "api", "pay", "shop", "huge"};
  for (const auto& file : all) {
    INFO(file);
    const auto written = k8sw_write(traced, {file});
    CHECK(written.model.services.size() >= traced.size());
  }
  const auto everything = k8sw_write(traced, all);
  CHECK_FALSE(everything.model.autoscalers.empty());
  tm_::Diagnostics diags;
  std::vector<std::filesystem::path> paths;
  for (const auto& file : all) {
    paths.push_back(k8sw_fixtures / file);
  }
  const auto manifests = ti::read_manifests(paths, diags);
  const auto draft = ti::write_model(ti::TraceEvidence{}, &manifests);
  INFO(draft.yaml);
  const auto loaded = tm_::load_string(draft.yaml, "draft.yaml");
  INFO(loaded.diagnostics.format_all());
  CHECK(loaded.ok());
}
