#include "tailsim/model/loader.hpp"

#include <string>

#include <catch2/catch.hpp>

namespace m = tailsim::model;
using namespace std::chrono_literals;

namespace {

const char* const minimal = R"(version: 1
services:
  api:
    endpoints:
      get:
        - cpu: exp(2ms)
workloads:
  main: {entry: api.get, rate: 10/s}
)";

m::LoadResult load(const std::string& text, std::vector<std::string> overrides = {}) {
  return m::load_string(text, "t.yaml", m::LoadOptions{std::move(overrides)});
}

/// The formatted diagnostics, one per line.
std::string messages(const m::LoadResult& r) {
  return r.diagnostics.format_all();
}

}  // namespace

TEST_CASE("a minimal model loads with the defaults of SPEC.md", "[loader]") {
  auto r = load(minimal);
  INFO(messages(r));
  REQUIRE(r.ok());
  const m::Model& model = *r.model;
  CHECK(model.name.value == "t");
  CHECK(model.simulation.seed.value == 1);
  CHECK(model.simulation.drain.value == 1min);
  REQUIRE(model.services.size() == 1);
  const m::Service& api = model.services[0];
  CHECK(api.replicas.value == 1);
  CHECK_FALSE(api.pod.workers.has_value());
  REQUIRE(api.endpoints.size() == 1);
  REQUIRE(api.endpoints[0].steps.size() == 1);
  const m::Step& step = api.endpoints[0].steps[0];
  CHECK(step.kind == m::StepKind::cpu);
  CHECK(step.loc.line == 6);
  CHECK(step.loc.col == 11);
  CHECK(step.dist.mean_ns() == Approx(2e6));
  REQUIRE(model.workloads.size() == 1);
  CHECK(model.workloads[0].rate->value == Approx(10.0));
  CHECK(model.workloads[0].entry.service_id == 0);
  CHECK(model.workloads[0].entry.endpoint_id == 0);
}

TEST_CASE("every section of SPEC.md loads", "[loader]") {
  auto r = m::load_file(TAILSIM_SOURCE_DIR "/tests/unit/model/data/full.yaml");
  INFO(messages(r));
  REQUIRE(r.ok());
  const m::Model& model = *r.model;
  CHECK(model.name.value == "shop");
  CHECK(model.simulation.duration.value == 10min);
  CHECK(model.simulation.warmup.value == 1min);
  CHECK(model.network.links.size() == 1);
  CHECK(model.network.links[0].loss->value == Approx(0.001));

  const m::Service* frontend = model.find_service("frontend");
  REQUIRE(frontend);
  CHECK(frontend->replicas.value == 3);
  CHECK(frontend->pod.cpu.cores.value == 2);
  CHECK(frontend->pod.workers->value == 64);
  CHECK(frontend->pod.queue->value == 256);
  CHECK(frontend->pod.queue_timeout->value == 1s);
  CHECK(frontend->pod.discipline.value == m::Discipline::fifo);
  CHECK(frontend->pod.warmup->slowdown.value == 3);
  CHECK(frontend->balancer.value == m::BalancerKind::round_robin);
  const m::Endpoint* checkout = frontend->find_endpoint("checkout");
  REQUIRE(checkout);
  REQUIRE(checkout->steps.size() == 6);
  CHECK(checkout->steps[2].kind == m::StepKind::parallel);
  CHECK(checkout->steps[2].children.size() == 2);
  const m::Step& charge = checkout->steps[3];
  CHECK(charge.call.full_name() == "payments.charge");
  CHECK(charge.policy.timeout->value == 300ms);
  CHECK(charge.policy.retry->attempts.value == 3);
  CHECK(charge.policy.retry->max_backoff->value == 250ms);
  CHECK(charge.policy.retry->jitter.value == m::Jitter::full);
  CHECK(charge.policy.retry->on.size() == 3);
  CHECK(checkout->steps[4].kind == m::StepKind::branch);
  CHECK(checkout->steps[4].arms[0].p.value == Approx(0.3));
  CHECK(checkout->steps[4].arms[0].steps[0].policy.optional.value);
  CHECK(checkout->steps[5].kind == m::StepKind::publish);

  const m::Service* bank = model.find_service("bank-api");
  REQUIRE(bank);
  CHECK(bank->external.value);
  CHECK(bank->concurrency->value == 500);

  const m::Service* cfs = model.find_service("payments");
  REQUIRE(cfs);
  CHECK(cfs->pod.cpu.is_cfs);
  CHECK(cfs->pod.cpu.limit.value == 2);
  CHECK(cfs->pod.cpu.requested_cores() == 1);

  REQUIRE(model.caches.size() == 1);
  CHECK(model.caches[0].popularity.kind == m::PopularityKind::zipf);
  CHECK(model.caches[0].popularity.exponent == Approx(0.99));
  CHECK(model.caches[0].ttl->value == 10min);
  CHECK(model.caches[0].coalesce.value);

  REQUIRE(model.queues.size() == 1);
  CHECK(model.queues[0].consumer.full_name() == "fulfillment.process");
  CHECK(model.queues[0].redelivery->attempts.value == 3);

  REQUIRE(model.autoscalers.size() == 1);
  const m::Autoscaler& hpa = model.autoscalers[0];
  CHECK(hpa.target.value == Approx(0.6));
  CHECK(hpa.scale_up->policies.size() == 2);
  CHECK(hpa.scale_up->policies[1].is_percent);
  CHECK(hpa.scale_down->stabilization.value == 300s);

  REQUIRE(model.cluster);
  CHECK(model.cluster->max_nodes->value == 10);

  const m::Workload* wl = model.find_workload("checkout");
  REQUIRE(wl);
  CHECK(wl->schedule.size() == 3);
  CHECK(wl->schedule[1].ramp->value == 10s);
  CHECK(wl->bursts->factor.value == 4);
  CHECK(wl->policy.timeout->value == 2s);
  const m::Workload* browse = model.find_workload("browse");
  REQUIRE(browse);
  CHECK(browse->kind == m::WorkloadKind::closed);
  CHECK(browse->users->value == 500);
  const m::Workload* replay = model.find_workload("replay");
  REQUIRE(replay);
  CHECK(replay->kind == m::WorkloadKind::trace);
  CHECK(replay->trace.size() == 4);

  REQUIRE(model.faults.size() == 7);
  CHECK(model.faults[0].kind == m::FaultKind::kill);
  CHECK(model.faults[1].add->value == 50ms);
  CHECK(model.faults[3].mode.value == m::DownMode::blackhole);
  CHECK(model.faults[5].other.value == "payments");
  CHECK(model.faults[6].set.value == Approx(0.4));

  REQUIRE(model.slos.size() == 1);
  REQUIRE(model.slos[0].checks.size() == 4);
  CHECK(model.slos[0].checks[0].percentile == 99);
  CHECK(model.slos[0].checks[0].threshold == 400);
  CHECK(model.slos[0].checks[2].threshold == Approx(0.005));
  CHECK(model.slos[0].checks[3].threshold == Approx(380));
}

TEST_CASE("distributions load in string and map forms", "[loader]") {
  auto r = load(R"yaml(version: 1
services:
  api:
    endpoints:
      get:
        - {cpu: "uniform(1ms, 3ms)"}
        - delay: {lognormal: {median: 2ms, p99: 20ms}}
        - delay: {uniform: [1ms, 3ms]}
        - delay: {mix: [{weight: 90%, dist: exp(1ms)}, {weight: 10%, dist: exp(40ms)}]}
workloads:
  main: {entry: api.get, rate: 10/s}
)yaml");
  INFO(messages(r));
  REQUIRE(r.ok());
  const auto& steps = r.model->services[0].endpoints[0].steps;
  CHECK(steps[0].dist.mean_ns() == Approx(2e6));
  CHECK(std::holds_alternative<m::LogNormalDist>(steps[1].dist.form));
  CHECK(steps[2].dist.mean_ns() == Approx(2e6));
  CHECK(steps[3].dist.mean_ns() == Approx(0.9e6 + 4e6));
}

TEST_CASE("every error is reported at once, in position order", "[loader]") {
  auto r = load(R"(version: 1
services:
  api:
    replicaz: 2
    endpoints:
      get:
        - cpu: 2
        - call: paymnts.charge
workloads:
  main: {entry: api.gett, rate: fast}
)");
  CHECK_FALSE(r.ok());
  CHECK(messages(r) ==
        "t.yaml:4:5: error: unknown key 'replicaz' in service 'api'; did you mean 'replicas'?\n"
        "t.yaml:7:16: error: cpu: a duration needs a unit (ns, us, ms, s, m, h), e.g. '250ms'\n"
        "t.yaml:8:17: error: unknown service 'paymnts'\n"
        "t.yaml:10:21: error: service 'api' has no endpoint 'gett'; did you mean 'get'?\n"
        "t.yaml:10:33: error: rate: a rate must start with a number, such as '400/s', got "
        "'fast'\n");
}

TEST_CASE("references are resolved with did-you-mean hints", "[loader]") {
  auto r = load(R"(version: 1
services:
  payments:
    endpoints:
      charge:
        - cpu: 1ms
  api:
    endpoints:
      get:
        - call: paymnts.charge
        - call: payments.chrage
        - publish: orders
workloads:
  main: {entry: api.get, rate: 10/s}
slos:
  mian: ["p99 < 1s"]
)");
  CHECK_FALSE(r.ok());
  const std::string out = messages(r);
  CHECK_THAT(out, Catch::Contains("t.yaml:10:17: error: unknown service 'paymnts'; did you "
                                  "mean 'payments'?"));
  CHECK_THAT(out, Catch::Contains("t.yaml:11:26: error: service 'payments' has no endpoint "
                                  "'chrage'; did you mean 'charge'?"));
  CHECK_THAT(out, Catch::Contains("t.yaml:12:20: error: unknown queue 'orders'"));
  CHECK_THAT(out, Catch::Contains("t.yaml:16:3: error: SLOs name unknown path 'mian'"));
}

TEST_CASE("overrides (--set) change values before validation", "[loader][overrides]") {
  SECTION("a value is replaced") {
    auto r = load(minimal, {"services.api.replicas=6", "workloads.main.rate=400/s"});
    INFO(messages(r));
    REQUIRE(r.ok());
    CHECK(r.model->services[0].replicas.value == 6);
    CHECK(r.model->workloads[0].rate->value == Approx(400));
  }
  SECTION("a missing section is created") {
    auto r = load(minimal, {"simulation.duration=5m", "services.api.pod.workers=8"});
    INFO(messages(r));
    REQUIRE(r.ok());
    CHECK(r.model->simulation.duration.value == 5min);
    CHECK(r.model->services[0].pod.workers->value == 8);
  }
  SECTION("lists and maps are read as YAML") {
    auto r = load(minimal, {R"(slos.main=["p99 < 300ms"])"});
    INFO(messages(r));
    REQUIRE(r.ok());
    REQUIRE(r.model->slos.size() == 1);
    CHECK(r.model->slos[0].checks[0].threshold == 300);
  }
  SECTION("a bad value is reported at the override") {
    auto r = load(minimal, {"services.api.replicas=many"});
    CHECK_FALSE(r.ok());
    CHECK_THAT(messages(r), Catch::StartsWith("--set services.api.replicas:1:1: error: replicas"));
  }
  SECTION("an unknown service is named") {
    auto r = load(minimal, {"services.apii.replicas=2"});
    CHECK_FALSE(r.ok());
    CHECK(messages(r) ==
          "--set services.apii.replicas:1:1: error: 'services' has no 'apii'; did you mean "
          "'api'?\n");
  }
  SECTION("a key SPEC does not define is refused") {
    auto r = load(minimal, {"services.api.replicaz=2"});
    CHECK_FALSE(r.ok());
    CHECK_THAT(messages(r), Catch::Contains("--set services.api.replicaz:1:1: error: the model "
                                            "format has no key 'replicaz'"));
  }
  SECTION("a malformed override") {
    auto r = load(minimal, {"services.api.replicas"});
    CHECK_THAT(messages(r), Catch::Contains("--set expects PATH=VALUE"));
  }
  SECTION("null removes a key, back to its default") {
    auto r = load(minimal, {"services.api.replicas=6", "services.api.replicas=null"});
    INFO(messages(r));
    REQUIRE(r.ok());
    CHECK(r.model->services[0].replicas.value == 1);
    auto missing = load(minimal, {"services.api.replicaz=~"});
    CHECK(messages(missing) ==
          "--set services.api.replicaz:1:1: error: 'services.api' has no 'replicaz' to remove; "
          "did you mean 'replicas'?\n");
    auto item = load(minimal, {"services.api.endpoints.get.0=null"});
    CHECK_THAT(messages(item), Catch::Contains("cannot remove an item of the list "
                                               "'services.api.endpoints.get'"));
  }
}

TEST_CASE("hostile YAML gets errors, not crashes", "[loader]") {
  CHECK_THAT(messages(load("")), Catch::Contains("t.yaml:1:1: error: the model is empty"));
  CHECK_THAT(messages(load("version: 1\n\tservices: {}\n")), Catch::Contains("t.yaml:"));
  CHECK_THAT(messages(load("version: [1\n")), Catch::Contains("error: invalid YAML"));
  CHECK_THAT(messages(load(std::string("version: 1\0x", 12))),
             Catch::Contains("t.yaml:1:1: error: the file is not text"));
  CHECK_THAT(messages(load("version: 1\nversion: 1\n")),
             Catch::Contains("t.yaml:2:1: error: duplicate key 'version' in the model (first "
                             "given at line 1)"));
  CHECK_THAT(messages(load("version: 99999999999999999999999\n")),
             Catch::Contains("t.yaml:1:10: error: version:"));
  std::string deep = "version: 1\nservices: " + std::string(5000, '[') + std::string(5000, ']');
  CHECK_THAT(messages(load(deep)), Catch::Contains("error:"));

  // A billion laughs: aliases share nodes, so the text is small but the tree is not.
  std::string bomb = "version: 1\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 12; ++i) {
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) {
      bomb += (k ? ", *a" : "*a") + std::to_string(i - 1);
    }
    bomb += "]\n";
  }
  bomb += "services:\n  s:\n    endpoints:\n      e:\n        - parallel: [*a11]\n";
  auto r = load(bomb);
  CHECK_FALSE(r.ok());
}

TEST_CASE("simulation.seed takes every unsigned 64-bit value", "[loader]") {
  auto top = load(minimal, {"simulation.seed=18446744073709551615"});
  INFO(messages(top));
  REQUIRE(top.ok());
  CHECK(top.model->simulation.seed.value == ~std::uint64_t{0});
  auto half = load(std::string(minimal) + "simulation: {seed: 9223372036854775808}\n");
  INFO(messages(half));
  REQUIRE(half.ok());
  CHECK(half.model->simulation.seed.value == std::uint64_t{1} << 63);
  auto above = load(minimal, {"simulation.seed=18446744073709551616"});
  REQUIRE_FALSE(above.ok());
  CHECK_THAT(messages(above), Catch::Contains("--set simulation.seed:1:1: error: seed: a seed is "
                                              "at most 18446744073709551615 (2^64-1)"));
}

TEST_CASE("override values must be UTF-8 and shallow, and may not hold alias bombs", "[loader]") {
  auto latin1 = load(minimal, {"name=caf\xe9"});
  REQUIRE_FALSE(latin1.ok());
  CHECK_THAT(messages(latin1), Catch::Contains("--set name:1:4: error: the value is not UTF-8 "
                                               "text: byte 0xE9"));
  auto deep = load(minimal, {"name=" + std::string(900, '[') + std::string(900, ']')});
  REQUIRE_FALSE(deep.ok());
  CHECK_THAT(messages(deep), Catch::Contains("nests more than 512 levels deep"));
  std::string bomb = "name=[&a [x,x,x,x,x,x,x,x,x,x]";
  std::string previous = "a";
  for (char level = 'b'; level <= 'g'; ++level) {
    bomb += std::string(", &") + level + " [";
    for (int i = 0; i < 10; ++i) {
      bomb += (i ? ",*" : "*") + previous;
    }
    bomb += "]";
    previous = std::string(1, level);
  }
  bomb += "]";
  auto bombed = load(minimal, {bomb});
  REQUIRE_FALSE(bombed.ok());
  CHECK_THAT(messages(bombed), Catch::Contains("aliases may add at most 100000 values"));
}

TEST_CASE("a model's name without a name: key is its file's name, escaped", "[loader]") {
  auto r = m::load_string(minimal, "caf\xe9\x1b[31m.yaml");
  REQUIRE(r.ok());
  CHECK(r.model->name.value == "caf\\xe9\\e[31m");
}

TEST_CASE("steps nested as deep as allowed stay within the YAML depth bound", "[loader]") {
  // 64 levels of branches, each four YAML levels deep (list, map, list, map).
  std::string steps = "[{cpu: 1ms}]";
  for (int level = 0; level < 63; ++level) {
    steps = "[{branch: [{p: 100%, steps: " + steps + "}]}]";
  }
  const std::string model = "version: 1\nservices:\n  api:\n    endpoints:\n      get: " + steps +
                            "\nworkloads:\n  main: {entry: api.get, rate: 10/s}\n";
  auto r = load(model);
  INFO(messages(r));
  CHECK(r.ok());
}
