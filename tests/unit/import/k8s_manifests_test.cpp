#include "tailsim/import/k8s_manifests.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <vector>

#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
namespace imp = tailsim::import;
namespace m = tailsim::model;

namespace {

const fs::path fixtures = fs::path(TAILSIM_TESTS_DIR) / "import" / "k8s";

imp::Manifests read_paths(std::vector<fs::path> paths, m::Diagnostics& diags) {
  return imp::read_manifests(paths, diags);
}

/// The manifests in `text` (named `t.yaml`), linked; `diags` gets the messages.
imp::Manifests read_text(const std::string& text, m::Diagnostics& diags) {
  imp::Manifests out;
  imp::read_manifest_text(text, "t.yaml", out, diags);
  imp::link_autoscalers(out, diags);
  return out;
}

/// The messages for `text`, one per line.
std::string messages(const std::string& text) {
  m::Diagnostics diags;
  (void)read_text(text, diags);
  return diags.format_all();
}

const imp::Workload& workload(const imp::Manifests& ms, const std::string& name) {
  const auto it = std::find_if(ms.workloads.begin(), ms.workloads.end(),
                               [&](const imp::Workload& w) { return w.name.value == name; });
  REQUIRE(it != ms.workloads.end());
  return *it;
}

const imp::Autoscaler& autoscaler(const imp::Manifests& ms, const std::string& name) {
  const auto it = std::find_if(ms.autoscalers.begin(), ms.autoscalers.end(),
                               [&](const imp::Autoscaler& a) { return a.name.value == name; });
  REQUIRE(it != ms.autoscalers.end());
  return *it;
}

/// `file:line:col` of a value, the file's folder left out.
std::string where(const m::SourceLoc& at, const m::Diagnostics& diags) {
  return fs::path(diags.source_name(at.file)).filename().string() + ":" + std::to_string(at.line) +
         ":" + std::to_string(at.col);
}

/// A policy as `kind value/period`, e.g. `pods 4/15`.
std::string policy_text(const imp::ScalePolicy& p) {
  return std::string(p.kind == imp::ScalePolicyKind::pods ? "pods " : "percent ") +
         std::to_string(p.value.value) + "/" + std::to_string(p.period_s.value);
}

std::vector<std::string> policies(const imp::ScaleRules& rules) {
  std::vector<std::string> out;
  for (const auto& p : rules.policies) {
    out.push_back(policy_text(p));
  }
  return out;
}

using Strings = std::vector<std::string>;

/// A folder of this file's own.
class TempFolder : public tailsim::testing::TempDir {
 public:
  explicit TempFolder(const std::string& name)
      : tailsim::testing::TempDir("k8s_manifests_test_" + name) {}
};

}  // namespace

TEST_CASE("a folder's manifests: its yaml and yml files in sorted order, not its subfolders",
          "[k8s_manifests]") {
  m::Diagnostics diags;
  const auto ms = read_paths({fixtures / "shop"}, diags);
  INFO(diags.format_all());
  CHECK(diags.all().empty());
  Strings names;
  for (const auto& w : ms.workloads) {
    names.push_back(w.name.value);
  }
  // cart.yml, checkout.yaml, ledger.yaml, list.yaml, worker.yaml; nested/ and notes.txt unread.
  CHECK(names == Strings{"cart", "checkout", "ledger", "search", "worker"});
  REQUIRE(ms.skipped.size() == 1);
  CHECK(ms.skipped.at("ConfigMap").count == 2);  // both of list.yaml's, counted once per kind
  CHECK(where(ms.skipped.at("ConfigMap").first, diags) == "list.yaml:12:11");
}

TEST_CASE("a Deployment: replicas, labels, the main container's resources and probes",
          "[k8s_manifests]") {
  m::Diagnostics diags;
  const auto ms = read_paths({fixtures / "shop" / "checkout.yaml"}, diags);
  INFO(diags.format_all());
  CHECK(diags.all().empty());
  const auto& w = workload(ms, "checkout");
  CHECK(w.kind == imp::WorkloadKind::deployment);
  CHECK(w.namespace_name.value == "shop");
  CHECK(w.replicas.value == 3);
  CHECK(where(w.replicas.loc, diags) == "checkout.yaml:10:13");
  CHECK(w.replicas_owned);  // the HPA below targets it
  CHECK(w.labels.at("app.kubernetes.io/name") == "checkout");
  CHECK(w.pod_labels == std::map<std::string, std::string>{{"app", "checkout"}, {"tier", "web"}});
  CHECK(w.pod_annotations.at("resource.opentelemetry.io/service.name") == "checkout-svc");
  // The sidecar comes first; the main container is the one named like the workload.
  REQUIRE(w.containers.size() == 2);
  CHECK(w.main_container == 1);
  const imp::Container& c = *w.main();
  CHECK(c.name.value == "checkout");
  CHECK(c.cpu.request->value == 250);
  CHECK(where(c.cpu.request->loc, diags) == "checkout.yaml:30:20");
  CHECK(c.cpu.limit->value == 1000);
  CHECK(c.memory.request->value == 134'217'728);
  CHECK(c.memory.limit->value == 268'435'456);
  CHECK_FALSE(c.cpu.request_is_limit);
  REQUIRE(c.readiness.has_value());
  CHECK(c.readiness->period_s.value == 5);
  CHECK(c.readiness->initial_delay_s.value == 0);  // the kubelet's defaults
  CHECK(c.readiness->timeout_s.value == 1);
  CHECK(c.readiness->success_threshold.value == 1);
  CHECK(c.readiness->failure_threshold.value == 3);
  CHECK(where(c.readiness->failure_threshold.loc, diags) == "checkout.yaml:36:13");
  REQUIRE(c.startup.has_value());
  CHECK(c.startup->failure_threshold.value == 30);
  CHECK(c.startup->initial_delay_s.value == 2);
  CHECK(c.startup->period_s.value == 10);
  CHECK(w.containers[0].memory.request->value == 64 * 1024 * 1024);
  CHECK_FALSE(w.containers[0].cpu.limit.has_value());

  REQUIRE(ms.services.size() == 1);
  const imp::Service& s = ms.services[0];
  CHECK(s.name.value == "checkout");
  CHECK(s.selector == std::map<std::string, std::string>{{"app", "checkout"}});
  REQUIRE(s.ports.size() == 2);
  CHECK(s.ports[0].name == "http");
  CHECK(s.ports[0].port.value == 80);
  CHECK(s.ports[0].target_port.value == "8080");
  CHECK(s.ports[1].target_port.value == "grpc");
  CHECK(s.ports[1].protocol == "TCP");
}

TEST_CASE("an autoscaling/v2 HPA with behavior: user policies replace the defaults",
          "[k8s_manifests]") {
  m::Diagnostics diags;
  const auto ms = read_paths({fixtures / "shop" / "checkout.yaml"}, diags);
  const auto& a = autoscaler(ms, "checkout");
  CHECK(a.origin == imp::AutoscalerOrigin::hpa_v2);
  CHECK(a.target_kind.value == "Deployment");
  CHECK(a.target_name.value == "checkout");
  CHECK(a.min.value == 2);
  CHECK(a.max.value == 20);
  REQUIRE(a.metrics.size() == 3);
  CHECK(a.metrics[0].is_supported);
  CHECK(a.metrics[0].resource.value == "cpu");
  CHECK(a.metrics[0].target.value == imp::MetricTargetKind::utilization);
  CHECK(a.metrics[0].value.value == 60);
  CHECK(where(a.metrics[0].value.loc, diags) == "checkout.yaml:73:57");
  CHECK(a.metrics[1].is_supported);
  CHECK(a.metrics[1].resource.value == "memory");
  CHECK(a.metrics[1].target.value == imp::MetricTargetKind::average_value);
  CHECK(a.metrics[1].value.value == 200 * 1024 * 1024);
  CHECK_FALSE(a.metrics[2].is_supported);
  CHECK(a.metrics[2].type.value == "Pods");
  CHECK(a.metrics[2].note == "a Pods metric: tailsim's autoscalers follow CPU and memory only");
  REQUIRE(a.behavior.has_value());
  const imp::ScaleRules& up = a.behavior->scale_up;
  CHECK(up.stabilization_s.value == 60);
  CHECK(up.select.value == imp::SelectPolicy::min);
  CHECK(policies(up) == Strings{"pods 2/30"});  // the defaults replaced, not added to
  CHECK_FALSE(up.policies_defaulted);
  CHECK(where(up.policies[0].loc, diags) == "checkout.yaml:87:11");
  // scaleDown names only its window: its policy and selectPolicy are the defaults.
  const imp::ScaleRules& down = a.behavior->scale_down;
  CHECK(down.stabilization_s.value == 120);
  CHECK(down.select.value == imp::SelectPolicy::max);
  CHECK(policies(down) == Strings{"percent 100/15"});
  CHECK(down.policies_defaulted);
  CHECK(where(down.policies[0].loc, diags) == "checkout.yaml:89:7");
}

TEST_CASE("an HPA without behavior takes the legacy path: no defaults filled", "[k8s_manifests]") {
  m::Diagnostics diags;
  const auto ms = read_paths({fixtures / "shop" / "cart.yml"}, diags);
  INFO(diags.format_all());
  CHECK(diags.all().empty());
  const auto& a = autoscaler(ms, "cart");
  CHECK_FALSE(a.behavior.has_value());
  CHECK(a.min.value == 1);  // minReplicas' default
  CHECK(a.max.value == 8);
  // No metrics: one CPU metric at 80 %, placed at the spec.
  REQUIRE(a.metrics.size() == 1);
  CHECK(a.metrics[0].is_default);
  CHECK(a.metrics[0].is_supported);
  CHECK(a.metrics[0].resource.value == "cpu");
  CHECK(a.metrics[0].value.value == 80);
  CHECK(where(a.metrics[0].loc, diags) == "cart.yml:19:3");
  // Limits only: the requests are the limits.
  const auto& w = workload(ms, "cart");
  CHECK(w.replicas.value == 1);
  CHECK(w.replicas_owned);
  const imp::Container& c = *w.main();
  CHECK(c.cpu.request->value == 500);
  CHECK(c.cpu.request_is_limit);
  CHECK(where(c.cpu.request->loc, diags) == "cart.yml:12:27");
  CHECK(c.memory.request->value == 1024 * 1024 * 1024);
  CHECK(c.memory.request_is_limit);
  CHECK_FALSE(c.readiness.has_value());
}

TEST_CASE("a behavior block without policies gets every default of the API", "[k8s_manifests]") {
  m::Diagnostics diags;
  const auto ms = read_paths({fixtures / "hpa-behavior-defaults.yaml"}, diags);
  const auto& a = autoscaler(ms, "api");
  REQUIRE(a.behavior.has_value());
  const imp::ScaleRules& up = a.behavior->scale_up;
  CHECK(up.stabilization_s.value == 0);
  CHECK(up.select.value == imp::SelectPolicy::max);
  CHECK(policies(up) == Strings{"pods 4/15", "percent 100/15"});
  CHECK(up.policies_defaulted);
  CHECK(where(up.loc, diags) == "hpa-behavior-defaults.yaml:11:5");  // the behavior block
  const imp::ScaleRules& down = a.behavior->scale_down;
  CHECK(down.stabilization_s.value == 300);
  CHECK(down.select.value == imp::SelectPolicy::disabled);
  CHECK(policies(down) == Strings{"percent 100/15"});
  // No Deployment 'api' is among the manifests read.
  CHECK(diags.format_all() ==
        fixtures.string() +
            "/hpa-behavior-defaults.yaml:7:44: warning: the autoscaler 'api' scales Deployment "
            "'api', which no manifest defines\n");
}

TEST_CASE("an autoscaling/v1 HPA and a StatefulSet", "[k8s_manifests]") {
  m::Diagnostics diags;
  const auto ms = read_paths({fixtures / "shop" / "ledger.yaml"}, diags);
  CHECK(diags.all().empty());
  const auto& w = workload(ms, "ledger");
  CHECK(w.kind == imp::WorkloadKind::stateful_set);
  CHECK(w.pod_management.value == imp::PodManagement::parallel);
  CHECK(w.replicas.value == 3);
  CHECK(w.replicas_owned);
  CHECK(w.main()->cpu.request->value == 2000);
  const auto& a = autoscaler(ms, "ledger");
  CHECK(a.origin == imp::AutoscalerOrigin::hpa_v1);
  CHECK(a.target_kind.value == "StatefulSet");
  CHECK(a.min.value == 3);
  REQUIRE(a.metrics.size() == 1);
  CHECK(a.metrics[0].value.value == 70);
  CHECK_FALSE(a.metrics[0].is_default);
  CHECK_FALSE(a.behavior.has_value());
  // An OrderedReady StatefulSet by default; a v1 HPA's target defaults to 80 %.
  m::Diagnostics other;
  const auto defaults = read_text(R"(apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec: {template: {spec: {containers: [{name: db}]}}}
---
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: db}
spec: {scaleTargetRef: {kind: StatefulSet, name: db}, maxReplicas: 3}
)",
                                  other);
  CHECK(other.all().empty());
  CHECK(workload(defaults, "db").pod_management.value == imp::PodManagement::ordered_ready);
  CHECK(autoscaler(defaults, "db").metrics.at(0).value.value == 80);
  CHECK(autoscaler(defaults, "db").metrics.at(0).is_default);
}

TEST_CASE("a KEDA ScaledObject is the HPA it creates", "[k8s_manifests]") {
  m::Diagnostics diags;
  const auto ms = read_paths({fixtures / "shop" / "worker.yaml"}, diags);
  INFO(diags.format_all());
  CHECK(diags.all().empty());
  const auto& a = autoscaler(ms, "keda-hpa-worker");
  CHECK(a.origin == imp::AutoscalerOrigin::keda_scaled_object);
  CHECK(a.target_kind.value == "Deployment");  // scaleTargetRef.kind's default
  CHECK(a.target_name.value == "worker");
  CHECK(a.min.value == 1);  // minReplicaCount 0: KEDA's HPA keeps one, KEDA does 0 <-> 1
  CHECK(a.max.value == 30);
  REQUIRE(a.keda.has_value());
  CHECK(a.keda->min_replica_count.value == 0);
  CHECK(a.keda->polling_interval_s.value == 30);
  CHECK(a.keda->cooldown_period_s.value == 120);
  REQUIRE(a.metrics.size() == 2);
  CHECK(a.metrics[0].is_supported);
  CHECK(a.metrics[0].target.value == imp::MetricTargetKind::utilization);
  CHECK(a.metrics[0].value.value == 50);
  CHECK(where(a.metrics[0].value.loc, diags) == "worker.yaml:32:16");
  CHECK_FALSE(a.metrics[1].is_supported);
  CHECK(a.metrics[1].note ==
        "KEDA's 'kafka' scaler feeds an External metric: tailsim's "
        "autoscalers follow CPU and memory only");
  REQUIRE(a.behavior.has_value());  // from advanced.horizontalPodAutoscalerConfig
  CHECK(a.behavior->scale_down.stabilization_s.value == 30);
  CHECK(policies(a.behavior->scale_up) == Strings{"pods 4/15", "percent 100/15"});
  CHECK(workload(ms, "worker").replicas_owned);
  // Without maxReplicaCount KEDA's default is 100.
  m::Diagnostics other;
  const auto plain = read_text(R"(apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: q}
spec:
  scaleTargetRef: {name: q}
  minReplicaCount: 2
  triggers: [{type: memory, metadata: {value: 300Mi}}]
)",
                               other);
  const auto& q = autoscaler(plain, "keda-hpa-q");
  CHECK(q.max.value == 100);
  CHECK(q.min.value == 2);
  CHECK_FALSE(q.behavior.has_value());
  CHECK(q.metrics.at(0).target.value == imp::MetricTargetKind::average_value);
  CHECK(q.metrics.at(0).value.value == 300 * 1024 * 1024);
  // The older form names the metric type in the trigger's metadata.
  m::Diagnostics older;
  const auto old_form = read_text(R"(kind: ScaledObject
metadata: {name: q}
spec:
  scaleTargetRef: {name: q}
  triggers: [{type: cpu, metadata: {type: Utilization, value: "75"}}]
)",
                                  older);
  CHECK(autoscaler(old_form, "keda-hpa-q").metrics.at(0).target.value ==
        imp::MetricTargetKind::utilization);
  CHECK(autoscaler(old_form, "keda-hpa-q").metrics.at(0).value.value == 75);
  const std::string head =
      "kind: ScaledObject\nmetadata: {name: q}\nspec:\n  scaleTargetRef: "
      "{name: q}\n";
  CHECK(messages(head + "  triggers: [{type: cpu, metricType: Value, metadata: {value: 1}}]\n") ==
        "t.yaml:5:38: error: the cpu trigger's metric type is 'Value'; it is Utilization or "
        "AverageValue\n");
  CHECK(messages(head + "  triggers: [{type: memory, metadata: {}}]\n") ==
        "t.yaml:5:39: error: 'spec.triggers[0].metadata' has no 'value'\n");
  CHECK(messages(head + "  triggers: []\n") ==
        "t.yaml:5:13: error: the ScaledObject 'q' has no 'spec.triggers'\n");
}

TEST_CASE("helm template output: hooks skipped, each object's Source kept", "[k8s_manifests]") {
  m::Diagnostics diags;
  const auto ms = read_paths({fixtures / "helm-template.yaml"}, diags);
  INFO(diags.format_all());
  CHECK(diags.all().empty());
  REQUIRE(ms.workloads.size() == 1);  // prod-shop-migrate is a pre-install hook
  const auto& w = ms.workloads[0];
  CHECK(w.name.value == "prod-shop");
  CHECK(w.helm_source == "shop/templates/deployment.yaml");
  CHECK(where(w.name.loc, diags) == "helm-template.yaml:12:9");
  CHECK(w.main()->name.value == "shop");  // named like app.kubernetes.io/name
  CHECK(ms.helm_hooks_skipped == 2);
  REQUIRE(ms.skipped.size() == 1);
  CHECK(ms.skipped.at("ServiceAccount").count == 1);
}

TEST_CASE("kind List and typed lists hold objects in items", "[k8s_manifests]") {
  m::Diagnostics diags;
  const auto ms = read_text(R"(apiVersion: v1
kind: DeploymentList
items:
  - kind: Deployment
    metadata: {name: a}
    spec: {replicas: 0, template: {spec: {containers: [{name: a}]}}}
  - kind: List
    items:
      - kind: Service
        metadata: {name: a}
)",
                            diags);
  CHECK(diags.all().empty());
  REQUIRE(ms.workloads.size() == 1);
  CHECK(ms.workloads[0].replicas.value == 0);
  CHECK(ms.services.size() == 1);
}

TEST_CASE("documents: empty ones skipped, positions count from the file's first line",
          "[k8s_manifests]") {
  m::Diagnostics diags;
  const auto ms = read_text(R"(---
# only a comment
---

...
---
kind: Service
metadata: {name: a}
...
%YAML 1.2
---
kind: Service
metadata: {name: b}
--- # a comment after the marker
kind: Service
metadata: {name: c}
)",
                            diags);
  INFO(diags.format_all());
  CHECK(diags.all().empty());
  REQUIRE(ms.services.size() == 3);
  CHECK(where(ms.services[0].name.loc, diags) == "t.yaml:8:18");
  CHECK(where(ms.services[1].name.loc, diags) == "t.yaml:13:18");
  CHECK(where(ms.services[2].name.loc, diags) == "t.yaml:16:18");
}

TEST_CASE("a byte order mark and CRLF line ends are read as YAML reads them", "[k8s_manifests]") {
  m::Diagnostics diags;
  const auto ms = read_text(
      "\xEF\xBB\xBF---\r\n# Source: c/templates/s.yaml\r\nkind: Service\r\n"
      "metadata: {name: a}\r\n---\r\nkind: Service\r\nmetadata: {name: b}\r\n",
      diags);
  INFO(diags.format_all());
  CHECK(diags.all().empty());
  REQUIRE(ms.services.size() == 2);
  CHECK(ms.services[0].helm_source == "c/templates/s.yaml");
  CHECK(where(ms.services[1].name.loc, diags) == "t.yaml:7:18");
}

TEST_CASE("bad YAML is reported where it is, in any document", "[k8s_manifests]") {
  CHECK(messages("kind: Service\nmetadata: {name: a}\n---\nkind: [Service\n") ==
        "t.yaml:4:7: error: invalid YAML: this '[' is never closed by a ']'\n");
  CHECK(messages("kind: Service\nmetadata: {name: a}\n---\nkind: Service\nmetadata: {name: 'a\n") ==
        "t.yaml:5:18: error: invalid YAML: the string quoted here (') is never closed\n");
  CHECK(messages("kind: Service\nmetadata:\n  name: a\n name: b\n") ==
        "t.yaml:4:2: error: invalid YAML: end of map not found\n");
  CHECK(messages("kind: Service\nmetadata:\n\tname: a\n") ==
        "t.yaml:3:1: error: a tab indents this line; YAML indents with spaces only\n");
  // Later documents are still read after a broken one.
  m::Diagnostics diags;
  const auto ms = read_text("kind: [\n---\nkind: Service\nmetadata: {name: ok}\n", diags);
  CHECK(ms.services.size() == 1);
  CHECK(diags.error_count() == 1);
}

TEST_CASE("text that is not UTF-8 YAML is refused at its first bad byte", "[k8s_manifests]") {
  CHECK(messages("kind: Service\nmetadata: {name: caf\xE9}\n") ==
        "t.yaml:2:21: error: the file is not UTF-8 text: byte 0xE9 here is not part of a UTF-8 "
        "character (a Latin-1 or Windows-1252 file?); save the manifest as UTF-8\n");
  CHECK(messages(std::string("kind: Service\n\0", 15)) ==
        "t.yaml:2:1: error: the file is not text (it holds a NUL byte); a manifest is YAML "
        "text\n");
  CHECK(messages("\xFF\xFEk\0i\0") ==
        "t.yaml:1:1: error: the file is UTF-16 text; save the manifest as UTF-8\n");
}

TEST_CASE("nesting and alias bombs are refused before they cost anything", "[k8s_manifests]") {
  const std::string deep =
      "kind: Service\nmetadata: {name: a}\n---\nkind: " + std::string(10'000, '[') + "\n";
  CHECK(messages(deep) ==
        "t.yaml:4:518: error: the manifest nests more than 512 levels deep here; no manifest "
        "needs that many (is the file generated wrongly?)\n");
  std::string bomb =
      "kind: Service\nmetadata: {name: x}\nspec:\n  a: &a [x, x, x, x, x, x, x, "
      "x, x, x]\n";
  char prev = 'a';
  for (char name = 'b'; name <= 'h'; ++name) {
    bomb += std::string("  ") + name + ": &" + name + " [";
    for (int i = 0; i < 10; ++i) {
      bomb += std::string(i ? ", *" : "*") + prev;
    }
    bomb += "]\n";
    prev = name;
  }
  CHECK(messages(bomb) ==
        "t.yaml:8:38: error: with this alias the manifest's aliases stand for more than 100000 "
        "values (an alias repeats everything under its anchor); a manifest's aliases may add at "
        "most 100000 values\n");
}

TEST_CASE("wrong types and values name the field and its place", "[k8s_manifests]") {
  const std::string head = "kind: Deployment\nmetadata: {name: api}\n";
  const std::string pod = "  template: {spec: {containers: [{name: api}]}}\n";
  CHECK(messages(head + "spec:\n  replicas: -1\n" + pod) ==
        "t.yaml:4:13: error: 'spec.replicas' is -1; it must be from 0 to 2147483647\n");
  CHECK(messages(head + "spec:\n  replicas: three\n" + pod) ==
        "t.yaml:4:13: error: 'spec.replicas' must be a whole number, got 'three'\n");
  CHECK(messages(head + "spec:\n  replicas: [3]\n" + pod) ==
        "t.yaml:4:13: error: 'spec.replicas' must be a single value, got a list\n");
  CHECK(messages(head + "spec: {template: {spec: {containers: {name: api}}}}\n") ==
        "t.yaml:3:38: error: 'spec.template.spec.containers' must be a list, got a map\n");
  CHECK(messages(head + "spec: {template: {spec: {containers: []}}}\n") ==
        "t.yaml:3:25: error: Deployment 'api' has no containers (spec.template.spec.containers)\n");
  CHECK(messages(head + "spec: {template: {spec: {containers: [api]}}}\n") ==
        "t.yaml:3:39: error: 'spec.template.spec.containers[0]' must be a map (a container), got "
        "the value 'api'\n");
  CHECK(messages(head) == "t.yaml:1:1: error: Deployment 'api' has no 'spec'\n");
  CHECK(messages("kind: Deployment\nspec: {}\n") ==
        "t.yaml:1:1: error: this Deployment has no 'metadata.name'\n");
  CHECK(messages("apiVersion: v1\nmetadata: {name: x}\n") ==
        "t.yaml:1:1: error: this object has no 'kind' (Deployment, Service, ...)\n");
  CHECK(messages("- kind: Service\n") ==
        "t.yaml:1:1: error: a manifest is a map with 'apiVersion' and 'kind'; this is a list\n");
  CHECK(messages(head + "spec:\n  podManagementPolicy: Ordered\n" + pod) ==
        "");  // a Deployment has no podManagementPolicy: not read
  CHECK(messages("kind: StatefulSet\nmetadata: {name: db}\nspec:\n  podManagementPolicy: "
                 "Ordered\n" +
                 pod) ==
        "t.yaml:4:24: error: 'spec.podManagementPolicy' is 'Ordered'; it is OrderedReady or "
        "Parallel\n");
  CHECK(messages("kind: Deployment\nmetadata: {name: a, labels: {x: [1]}}\n" +
                 std::string("spec:\n") + pod) ==
        "t.yaml:2:33: error: 'metadata.labels' maps names to single values; this entry is a "
        "list\n");
}

TEST_CASE("bad resources and probes are reported at their value", "[k8s_manifests]") {
  const std::string head =
      "kind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    "
      "spec:\n      containers:\n        - name: api\n";
  CHECK(messages(head + "          resources: {requests: {cpu: 12Q}}\n") ==
        "t.yaml:8:39: error: 'spec.template.spec.containers[0].resources.requests.cpu': '12Q' "
        "is not a Kubernetes quantity: unknown suffix 'Q'; the suffixes are n u m k M G T P E, "
        "Ki Mi Gi Ti Pi Ei, or an exponent such as e3\n");
  CHECK(messages(head + "          resources: {limits: {memory: 1K}}\n") ==
        "t.yaml:8:40: error: 'spec.template.spec.containers[0].resources.limits.memory': '1K' is "
        "not a Kubernetes quantity: 'K' is not a suffix; kilo is 'k' (1000) and kibi 'Ki' "
        "(1024)\n");
  CHECK(messages(head + "          resources: {requests: [cpu]}\n") ==
        "t.yaml:8:33: error: 'spec.template.spec.containers[0].resources.requests' must be a map "
        "(key: value), got a list\n");
  CHECK(messages(head + "          resources: {requests: {cpu: 2}, limits: {cpu: 1}}\n") ==
        "t.yaml:8:39: error: 'spec.template.spec.containers[0].resources.requests.cpu' asks for "
        "more cpu than its limit (2000 > 1000 millicores)\n");
  CHECK(messages(head + "          readinessProbe: {periodSeconds: 0}\n") ==
        "t.yaml:8:43: error: 'spec.template.spec.containers[0].readinessProbe.periodSeconds' is "
        "0; it must be from 1 to 2147483647\n");
  // An object with an error is left out; the documents around it are read.
  m::Diagnostics diags;
  const auto ms = read_text(head + "          resources: {requests: {cpu: 12Q}}\n---\n" +
                                "kind: Service\nmetadata: {name: api}\n",
                            diags);
  CHECK(ms.workloads.empty());
  CHECK(ms.services.size() == 1);
  CHECK(messages(head + "          startupProbe: {successThreshold: 2}\n") ==
        "t.yaml:8:44: error: 'spec.template.spec.containers[0].startupProbe.successThreshold' "
        "must be 1 for a startup probe\n");
}

TEST_CASE("bad autoscalers are reported, and nothing half-read is kept", "[k8s_manifests]") {
  const std::string head =
      "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
      "metadata: {name: api}\nspec:\n  scaleTargetRef: {kind: Deployment, "
      "name: api}\n";
  const std::string target =
      "---\nkind: Deployment\nmetadata: {name: api}\n"
      "spec: {template: {spec: {containers: [{name: api}]}}}\n";
  CHECK(messages(head + target) ==
        "t.yaml:5:3: error: the autoscaler 'api' needs "
        "'spec.maxReplicas'\n");
  CHECK(messages(head + "  minReplicas: 5\n  maxReplicas: 2\n" + target) ==
        "t.yaml:7:16: error: 'spec.maxReplicas' (2) is below 'spec.minReplicas' (5)\n");
  CHECK(messages(head + "  minReplicas: 0\n  maxReplicas: 2\n" + target) ==
        "t.yaml:6:16: error: 'spec.minReplicas' is 0; it must be from 1 to 2147483647\n");
  CHECK(messages("apiVersion: autoscaling/v2beta1\nkind: HorizontalPodAutoscaler\n") ==
        "t.yaml:1:13: error: autoscaling/v2beta1 HorizontalPodAutoscalers are not read (the API "
        "left Kubernetes in 1.25); write it as autoscaling/v2\n");
  CHECK(messages("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: "
                 "api}\nspec: {maxReplicas: 3}\n") ==
        "t.yaml:4:7: error: the autoscaler 'api' needs 'spec.scaleTargetRef' with the kind and "
        "name of what it scales\n");
  const std::string bounded = head + "  maxReplicas: 4\n";
  CHECK(messages(bounded + "  behavior: {scaleUp: {selectPolicy: Most}}\n" + target) ==
        "t.yaml:7:38: error: 'spec.behavior.scaleUp.selectPolicy' is 'Most'; it is Max, Min or "
        "Disabled\n");
  CHECK(messages(bounded + "  behavior: {scaleDown: {policies: []}}\n" + target) ==
        "t.yaml:7:36: error: 'spec.behavior.scaleDown.policies' is empty; list at least one "
        "policy, or leave it out for the defaults\n");
  CHECK(messages(bounded + "  behavior: {scaleDown: {stabilizationWindowSeconds: 3601}}\n" +
                 target) ==
        "t.yaml:7:54: error: 'spec.behavior.scaleDown.stabilizationWindowSeconds' is 3601; it "
        "must be from 0 to 3600\n");
  CHECK(messages(bounded +
                 "  behavior:\n    scaleUp:\n      policies:\n        - {type: Pods, value: 4, "
                 "periodSeconds: 1801}\n" +
                 target) ==
        "t.yaml:10:49: error: 'spec.behavior.scaleUp.policies[0].periodSeconds' is 1801; it "
        "must be from 1 to 1800\n");
  CHECK(messages(bounded +
                 "  behavior:\n    scaleUp:\n      policies:\n        - {type: Nodes, value: 4, "
                 "periodSeconds: 15}\n" +
                 target) ==
        "t.yaml:10:18: error: 'spec.behavior.scaleUp.policies[0].type' is 'Nodes'; it is Pods or "
        "Percent\n");
  CHECK(messages(bounded +
                 "  metrics:\n    - type: Resource\n      resource: {name: cpu, target: {type: "
                 "Utilization, averageUtilization: 12Q}}\n" +
                 target) ==
        "t.yaml:9:77: error: 'spec.metrics[0].resource.target.averageUtilization' must be a "
        "whole percent of at least 1, got '12Q'\n");
  CHECK(messages(bounded +
                 "  metrics:\n    - type: Resource\n      resource: {name: cpu, target: {type: "
                 "Value, value: 1}}\n" +
                 target) ==
        "t.yaml:9:44: error: 'spec.metrics[0].resource.target.type' is 'Value'; a Resource "
        "metric's target is Utilization or AverageValue\n");
  // Nothing of a refused autoscaler is kept.
  m::Diagnostics diags;
  const auto ms = read_text(head + target, diags);
  CHECK(ms.autoscalers.empty());
  CHECK_FALSE(ms.workloads.at(0).replicas_owned);
}

TEST_CASE("duplicates and autoscalers that fight are reported", "[k8s_manifests]") {
  const std::string deployment =
      "kind: Deployment\nmetadata: {name: api}\n"
      "spec: {template: {spec: {containers: [{name: api}]}}}\n";
  CHECK(messages(deployment + "---\n" + deployment) ==
        "t.yaml:6:18: error: Deployment 'api' is defined twice (first at t.yaml:2:18)\n");
  // In two namespaces, two objects.
  CHECK(messages(deployment + "---\n" +
                 "kind: Deployment\nmetadata: {name: api, namespace: b}\n"
                 "spec: {template: {spec: {containers: [{name: api}]}}}\n")
            .empty());
  const std::string hpa =
      "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
      "spec: {scaleTargetRef: {kind: Deployment, name: api}, maxReplicas: 3}\n";
  CHECK(messages(deployment + "---\nmetadata: {name: one}\n" + hpa +
                 "---\nmetadata: {name: two}\n" + hpa) ==
        "t.yaml:13:49: warning: Deployment 'api' is scaled by two autoscalers, 'one' (t.yaml:5:1) "
        "and 'two'; Kubernetes lets neither act (AmbiguousSelector)\n");
}

TEST_CASE("only regular files are read; missing files and special ones are errors",
          "[k8s_manifests]") {
  TempFolder dir("special");
  dir.write("a.yaml", "kind: Service\nmetadata: {name: a}\n");
  const fs::path fifo = dir.path() / "b.yaml";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  fs::create_symlink(dir.path() / "a.yaml", dir.path() / "c.yml");  // a link to a regular file
  m::Diagnostics diags;
  // A FIFO would block for ever: it is refused without being opened.
  const auto ms = read_paths({dir.path(), dir.path() / "missing.yaml"}, diags);
  CHECK(ms.services.size() == 2);  // a.yaml and the link c.yml
  const std::string root = dir.path().string();
  CHECK(diags.format_all() ==
        root + "/b.yaml:1:1: error: cannot read manifest '" + root +
            "/b.yaml': it is a FIFO, not a regular file; a model reads regular files only\n" +
            root + "/missing.yaml:1:1: error: cannot read manifest '" + root +
            "/missing.yaml': no such file\n");
  const fs::path device = dir.path() / "zero.yaml";
  if (::mknod(device.c_str(), S_IFCHR | 0600, makedev(1, 5)) == 0) {  // as /dev/zero
    m::Diagnostics dev;
    (void)read_paths({device}, dev);
    CHECK_THAT(dev.format_all(), Catch::Contains("it is a device, not a regular file"));
  } else {
    WARN("mknod needs root: the device case was not checked");
  }
  m::Diagnostics empty;
  TempFolder none("empty");
  (void)read_paths({none.path()}, empty);
  CHECK(empty.format_all() ==
        none.path().string() + ":1:1: warning: the folder holds no .yaml or .yml manifests\n");
}

TEST_CASE("unknown kinds are counted, not read", "[k8s_manifests]") {
  m::Diagnostics diags;
  const auto ms = read_text(
      "kind: Ingress\n---\nkind: ConfigMap\n---\nkind: Ingress\n---\n"
      "apiVersion: example.com/v1\nkind: Widget\n",
      diags);
  CHECK(diags.all().empty());
  REQUIRE(ms.skipped.size() == 3);
  CHECK(ms.skipped.at("Ingress").count == 2);
  CHECK(where(ms.skipped.at("Ingress").first, diags) == "t.yaml:1:7");
  CHECK(ms.skipped.at("ConfigMap").count == 1);
  CHECK(ms.skipped.at("Widget").count == 1);
}

TEST_CASE("cut or damaged anywhere, a manifest is read or refused, never a crash",
          "[k8s_manifests]") {
  for (const char* name : {"shop/checkout.yaml", "shop/worker.yaml", "helm-template.yaml"}) {
    std::ifstream in(fixtures / name, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    REQUIRE(text.size() > 100);
    std::vector<std::string> variants;
    // Every fifth byte: some 4,000 parses; an offset reads much like its neighbours.
    for (std::size_t cut = 0; cut < text.size(); cut += 5) {
      variants.push_back(text.substr(0, cut));
      for (const char c : {':', '[', '-', '&', '*', '\n'}) {
        std::string damaged = text;
        damaged[cut] = c;
        variants.push_back(std::move(damaged));
      }
    }
    for (const std::string& variant : variants) {
      m::Diagnostics diags;
      imp::Manifests out;
      // The reader turns an exception into an "internal error": there must be none.
      imp::read_manifest_text(variant, "t.yaml", out, diags);
      imp::link_autoscalers(out, diags);
      const std::string shown = diags.format_all();
      if (shown.find("error: internal error") != std::string::npos) {
        FAIL_CHECK(shown << "\nfrom:\n" << variant);
      }
    }
  }
}
