#include "tailsim/import/model_writer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <catch2/catch.hpp>

#include "support/simulate.hpp"
#include "support/spans.hpp"
#include "tailsim/import/fit.hpp"
#include "tailsim/import/one_way.hpp"
#include "tailsim/import/trace_reader.hpp"
#include "tailsim/model/loader.hpp"

namespace ti = tailsim::import;
namespace tm_ = tailsim::model;
using tailsim::Duration;

// Evidence comes from hand-made spans run through analyze_traces, so that
// every expected step can be worked out from the spans below.

namespace {

/// A span as tailsim::testing::add_span makes it, with a peer name when given.
void writer_span(ti::SpanStore& store, std::uint64_t trace, std::uint64_t id, std::uint64_t parent,
                 std::string_view service, std::string_view name, ti::SpanKind kind,
                 double start_ms, double end_ms, bool error = false, std::string_view peer = {}) {
  const auto index = tailsim::testing::add_span(store, trace, id, parent, service, name, kind,
                                                start_ms, end_ms, error);
  if (!peer.empty()) {
    store.span_at(index).peer = store.intern(peer);
  }
}

/// A client span `id` in `caller` and a server span `id + 500` in `callee`
/// starting `net` ms later and ending `net` ms earlier.
void writer_rpc(ti::SpanStore& store, std::uint64_t trace, std::uint64_t id, std::uint64_t parent,
                std::string_view caller, std::string_view callee, std::string_view name,
                double start, double end, double net, bool error = false) {
  writer_span(store, trace, id, parent, caller, name, ti::SpanKind::client, start, end, error);
  writer_span(store, trace, id + 500, id, callee, name, ti::SpanKind::server, start + net,
              end - net, error);
}

/// The evidence of `store`, every trace kept (no edge cut).
ti::TraceEvidence writer_evidence(const ti::SpanStore& store) {
  ti::AnalysisOptions options;
  options.edge_cut = Duration::zero();
  return ti::analyze_traces(store, options);
}

/// The draft of `store`'s evidence, with the writer's default options.
ti::DraftModel writer_draft(const ti::SpanStore& store) {
  return ti::write_model(writer_evidence(store), nullptr);
}

/// A shop over 40 traces, one a second: Front.Checkout calls cart (which
/// queries an uninstrumented postgres 1..3 times), then pricing and
/// inventory at once, then payments in every other trace, retried once in
/// every fourth.
ti::TraceEvidence writer_shop() {
  ti::SpanStore store;
  for (std::uint64_t t = 0; t < 40; ++t) {
    const double b = static_cast<double>(t) * 1000;
    const double wobble = static_cast<double>((t * 7) % 11) * 0.37;
    writer_span(store, t, 1, 0, "Front", "Checkout", ti::SpanKind::server, b, b + 100 + wobble);
    writer_rpc(store, t, 10, 1, "Front", "cart", "get", b + 5, b + 18 + wobble, 0.5 + wobble / 10);
    for (std::uint64_t q = 0; q < 1 + t % 3; ++q) {
      const double s = b + 7 + static_cast<double>(q) * 2;
      writer_span(store, t, 600 + q, 510, "cart", "SELECT", ti::SpanKind::client, s,
                  s + 1 + wobble / 5, false, "postgres");
    }
    writer_rpc(store, t, 20, 1, "Front", "pricing", "quote", b + 20, b + 40 + wobble, 0.4);
    writer_rpc(store, t, 21, 1, "Front", "inventory", "reserve", b + 21, b + 45 + wobble / 2, 0.6);
    if (t % 2 == 0) {
      if (t % 4 == 0) {
        writer_rpc(store, t, 30, 1, "Front", "payments", "charge", b + 50, b + 55, 0.5, true);
        writer_rpc(store, t, 31, 1, "Front", "payments", "charge", b + 58, b + 68, 0.5);
      } else {
        writer_rpc(store, t, 30, 1, "Front", "payments", "charge", b + 50, b + 60 + wobble, 0.5);
      }
    }
  }
  return writer_evidence(store);
}

/// Loads the draft (empirical files written to a temporary folder).
tm_::Model writer_load(const ti::DraftModel& draft) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "tailsim_model_writer_test";
  fs::create_directories(dir);
  for (const auto& file : draft.files) {
    ti::write_empirical_file(dir / file.name, file.samples);
  }
  auto loaded = tm_::load_string(draft.yaml, "draft.yaml", {}, dir);
  INFO(draft.yaml);
  INFO(loaded.diagnostics.format_all());
  REQUIRE(loaded.ok());
  return std::move(*loaded.model);
}

const tm_::Service& writer_service(const tm_::Model& model, std::string_view name) {
  for (const auto& service : model.services) {
    if (service.name.value == name) {
      return service;
    }
  }
  FAIL("no service " << name);
  return model.services.front();
}

const std::vector<tm_::Step>& writer_steps(const tm_::Model& model, std::string_view service,
                                           std::string_view endpoint) {
  const auto* found = writer_service(model, service).find_endpoint(endpoint);
  INFO(service << "." << endpoint);
  REQUIRE(found != nullptr);
  return found->steps;
}

std::string writer_callee(const tm_::Step& step) {
  return step.call.service.value + "." + step.call.endpoint.value;
}

}  // namespace

TEST_CASE("The writer's model loads with the observed steps", "[import]") {
  const auto evidence = writer_shop();
  const auto draft = ti::write_model(evidence, nullptr);
  const auto model = writer_load(draft);
  INFO(draft.yaml);
  CHECK(model.name.value == "imported");
  CHECK(model.simulation.duration.value >= std::chrono::seconds(60));
  // Services by name, the uninstrumented database external.
  std::vector<std::string> names;
  for (const auto& service : model.services) {
    names.push_back(service.name.value);
  }
  CHECK(names ==
        std::vector<std::string>{"cart", "front", "inventory", "payments", "postgres", "pricing"});
  CHECK(writer_service(model, "postgres").external.value);
  CHECK_FALSE(writer_service(model, "front").external.value);

  const auto& checkout = writer_steps(model, "front", "checkout");
  REQUIRE(checkout.size() == 4);
  CHECK(checkout[0].kind == tm_::StepKind::cpu);
  CHECK(checkout[1].kind == tm_::StepKind::call);
  CHECK(writer_callee(checkout[1]) == "cart.get");
  CHECK_FALSE(checkout[1].p);
  CHECK(checkout[1].times.value == tm_::IntRange{1, 1});
  REQUIRE(checkout[2].kind == tm_::StepKind::parallel);
  REQUIRE(checkout[2].children.size() == 2);
  CHECK(writer_callee(checkout[2].children[0]) == "pricing.quote");
  CHECK(writer_callee(checkout[2].children[1]) == "inventory.reserve");
  REQUIRE(checkout[3].kind == tm_::StepKind::call);
  CHECK(writer_callee(checkout[3]) == "payments.charge");
  REQUIRE(checkout[3].p);
  CHECK(checkout[3].p->value == Approx(0.5));
  REQUIRE(checkout[3].policy.retry);
  CHECK(checkout[3].policy.retry->attempts.value == 2);
  CHECK(checkout[3].policy.retry->backoff.value == std::chrono::milliseconds(3));

  // cart.get: own time, then 1..3 queries to the database.
  const auto& get = writer_steps(model, "cart", "get");
  REQUIRE(get.size() == 2);
  CHECK(get[0].kind == tm_::StepKind::cpu);
  CHECK(writer_callee(get[1]) == "postgres.select");
  CHECK(get[1].times.value == tm_::IntRange{1, 3});
  // The database's endpoint is a delay fitted from the client spans.
  const auto& select = writer_steps(model, "postgres", "select");
  REQUIRE(select.size() == 1);
  CHECK(select[0].kind == tm_::StepKind::delay);

  // payments.charge failed on its own in 10 of 30 invocations.
  const auto& charge = writer_steps(model, "payments", "charge");
  REQUIRE(charge.size() == 2);
  CHECK(charge[1].kind == tm_::StepKind::fail);
  CHECK(charge[1].fail_rate.value == Approx(1.0 / 3).epsilon(1e-4));

  // One workload at the root, 40 entries over 39 s.
  REQUIRE(model.workloads.size() == 1);
  CHECK(model.workloads[0].entry.service.value == "front");
  CHECK(model.workloads[0].entry.endpoint.value == "checkout");
  REQUIRE(model.workloads[0].rate);
  CHECK(model.workloads[0].rate->value == Approx(40.0 / 39.0).epsilon(1e-4));
  // The network: the link to the uninstrumented database, whose delay is
  // its callers' client spans, network included, takes no more time. Two
  // pairs of 40 calls each sit clearly off the median of all 140 samples
  // (0.574 ms): cart at 0.5 to 0.87 ms (median 0.685), pricing at 0.4 ms
  // every time; they get links. Inventory (0.6 ms, 4.5% off) and payments
  // (0.5 ms in its 20 answered calls, 13% off but within the noise of so
  // few beside the others' spread) stay in the default.
  REQUIRE(model.network.default_latency);
  CHECK(model.network.default_latency->mean_ns() == Approx((40 * 0.6e6 + 20 * 0.5e6) / 60));
  REQUIRE(model.network.links.size() == 3);
  const auto link_between = [&](const std::string& a, const std::string& b) {
    for (const auto& link : model.network.links) {
      if (link.a.value == a && link.b.value == b) {
        return link.latency;
      }
    }
    FAIL("no link between " << a << " and " << b);
    return model.network.links.front().latency;
  };
  const auto to_db = link_between("cart", "postgres");
  REQUIRE(to_db);
  CHECK(to_db->mean_ns() == 0);
  REQUIRE(link_between("cart", "front"));
  CHECK(link_between("cart", "front")->mean_ns() == Approx(0.687e6).epsilon(0.01));
  REQUIRE(link_between("front", "pricing"));
  CHECK(link_between("front", "pricing")->mean_ns() == Approx(0.4e6));
  // Renames are noted.
  CHECK(std::find(draft.notes.begin(), draft.notes.end(),
                  "service 'Front' is named 'front' in the model") != draft.notes.end());
  // Provenance comments.
  CHECK(draft.yaml.find("# from ") != std::string::npos);
  CHECK(draft.yaml.find("own time: ") != std::string::npos);
}

TEST_CASE("Own time becomes delay when asked", "[import]") {
  ti::WriterOptions options;
  options.own_time = ti::OwnTimeAs::delay;
  options.name = "Shop Draft";
  const auto model = writer_load(ti::write_model(writer_shop(), nullptr, options));
  CHECK(model.name.value == "shop_draft");
  CHECK(writer_steps(model, "front", "checkout")[0].kind == tm_::StepKind::delay);
  CHECK(writer_steps(model, "cart", "get")[0].kind == tm_::StepKind::delay);
}

TEST_CASE("A link whose network differs clearly from the default gets its own latency",
          "[import]") {
  ti::SpanStore store;
  for (std::uint64_t t = 0; t < 30; ++t) {
    const double b = static_cast<double>(t) * 100;
    const double w = static_cast<double>(t % 5) * 0.01;
    writer_span(store, t, 1, 0, "front", "page", ti::SpanKind::server, b, b + 90);
    writer_rpc(store, t, 10, 1, "front", "near", "get", b + 1, b + 11, 0.2 + w);
    writer_rpc(store, t, 11, 1, "front", "near2", "get", b + 12, b + 22, 0.2 + w);
    writer_rpc(store, t, 12, 1, "front", "far", "get", b + 30, b + 60, 5 + w);
  }
  const auto draft = writer_draft(store);
  const auto model = writer_load(draft);
  INFO(draft.yaml);
  REQUIRE(model.network.links.size() == 1);
  CHECK(model.network.links[0].a.value == "far");
  CHECK(model.network.links[0].b.value == "front");
  REQUIRE(model.network.links[0].latency);
  CHECK(model.network.links[0].latency->mean_ns() == Approx(5.02e6).epsilon(0.05));
  // The default is the other pairs' alone: 0.22 ms, not pulled up by the far link's 5 ms.
  REQUIRE(model.network.default_latency);
  CHECK(model.network.default_latency->mean_ns() == Approx(0.22e6).epsilon(0.05));
}

TEST_CASE("A link seen in few calls gets its own latency when its median is extreme", "[import]") {
  // front calls near in each of 200 traces (0.2 to 0.24 ms one way) and far
  // in 8 of them (5 ms): too few samples for the rule of 20, but their
  // median lies past the 99th percentile of all 208.
  ti::SpanStore store;
  for (std::uint64_t t = 0; t < 200; ++t) {
    const double b = static_cast<double>(t) * 100;
    const double w = static_cast<double>(t % 5) * 0.01;
    writer_span(store, t, 1, 0, "front", "page", ti::SpanKind::server, b, b + 90);
    writer_rpc(store, t, 10, 1, "front", "near", "get", b + 1, b + 11, 0.2 + w);
    if (t % 25 == 0) {
      writer_rpc(store, t, 12, 1, "front", "far", "get", b + 30, b + 60, 5 + w);
    }
  }
  auto draft = writer_draft(store);
  auto model = writer_load(draft);
  INFO(draft.yaml);
  REQUIRE(model.network.links.size() == 1);
  CHECK(model.network.links[0].a.value == "far");
  // The default keeps the near calls' mean and spread: 0.22 ms, not pulled
  // up by eight calls of 5 ms (which would make its mean 0.4 ms).
  REQUIRE(model.network.default_latency);
  CHECK(model.network.default_latency->mean_ns() == Approx(0.22e6).epsilon(0.05));

  // Four calls are too few: they stay in the default.
  ti::SpanStore few;
  for (std::uint64_t t = 0; t < 200; ++t) {
    const double b = static_cast<double>(t) * 100;
    writer_span(few, t, 1, 0, "front", "page", ti::SpanKind::server, b, b + 90);
    writer_rpc(few, t, 10, 1, "front", "near", "get", b + 1, b + 11, 0.2);
    if (t % 50 == 0) {
      writer_rpc(few, t, 12, 1, "front", "far", "get", b + 30, b + 60, 5);
    }
  }
  draft = writer_draft(few);
  model = writer_load(draft);
  CHECK(model.network.links.empty());
}

TEST_CASE("A link nearer than twice the default gets its own latency when clearly apart",
          "[import]") {
  // front calls three services in each of `traces` traces: a and b one way
  // 1.0 to 1.8 ms (steps of 0.2 ms, a fifth of the calls each), c the same
  // plus `offset` ms.
  const auto links_of = [](std::uint64_t traces, double offset) {
    ti::SpanStore store;
    for (std::uint64_t t = 0; t < traces; ++t) {
      const double b = static_cast<double>(t) * 100;
      const double w = static_cast<double>(t % 5) * 0.2;
      writer_span(store, t, 1, 0, "front", "page", ti::SpanKind::server, b, b + 90);
      writer_rpc(store, t, 10, 1, "front", "a", "get", b + 1, b + 11, 1 + w);
      writer_rpc(store, t, 11, 1, "front", "b", "get", b + 12, b + 22, 1 + w);
      writer_rpc(store, t, 12, 1, "front", "c", "get", b + 30, b + 60, 1 + offset + w);
    }
    const auto draft = writer_draft(store);
    INFO(draft.yaml);
    return writer_load(draft).network.links;
  };
  // 0.3 ms more: c's median 1.7 ms against 1.5 ms for all samples (13% off),
  // with 80% of a's and b's samples at most 1.7 ms where the same shape
  // would put half. Over 200 calls each that is 6.9 standard errors from
  // a half: its own link, and the default keeps a and b alone.
  const auto apart = links_of(200, 0.3);
  REQUIRE(apart.size() == 1);
  CHECK(apart[0].a.value == "c");
  CHECK(apart[0].b.value == "front");
  REQUIRE(apart[0].latency);
  CHECK(apart[0].latency->mean_ns() == Approx(1.7e6));
  // The same offset in 20 calls each: 2.2 standard errors, within the
  // noise. No link.
  CHECK(links_of(20, 0.3).empty());
  // 0.1 ms more over 200 calls: clear, but under a tenth off. No link.
  CHECK(links_of(200, 0.1).empty());
}

TEST_CASE("Manifests set replicas and pod CPU of the services they run", "[import]") {
  ti::SpanStore store;
  for (std::uint64_t t = 0; t < 10; ++t) {
    double b = static_cast<double>(t) * 100;
    std::uint64_t trace = t * 3;
    for (const char* service : {"checkout-svc", "cart", "ledger"}) {
      writer_span(store, trace++, 1, 0, service, "op", ti::SpanKind::server, b,
                  b + 20 + static_cast<double>(t));
      b += 1;
    }
  }
  const auto evidence = writer_evidence(store);
  tm_::Diagnostics diags;
  const auto shop = std::filesystem::path(TAILSIM_TESTS_DIR) / "import" / "k8s" / "shop";
  const std::vector<std::filesystem::path> paths{shop / "checkout.yaml", shop / "cart.yml",
                                                 shop / "ledger.yaml"};
  const auto manifests = ti::read_manifests(paths, diags);
  INFO(diags.format_all());
  REQUIRE_FALSE(diags.has_errors());
  ti::WriterOptions writer_options;
  writer_options.manifest_sources = &diags;
  const auto draft = ti::write_model(evidence, &manifests, writer_options);
  const auto model = writer_load(draft);
  INFO(draft.yaml);
  const auto& service = writer_service(model, "checkout-svc");
  // The pods' OpenTelemetry annotation names the service; 3 replicas, the
  // main container's limit of 1 core.
  CHECK(service.replicas.value == 3);
  CHECK(service.pod.cpu.cores.value == Approx(1.0));
  // cart: its container's limit of 500m; ledger: 3 replicas, a request of 2 cores.
  CHECK(writer_service(model, "cart").pod.cpu.cores.value == Approx(0.5));
  CHECK(writer_service(model, "ledger").replicas.value == 3);
  CHECK(writer_service(model, "ledger").pod.cpu.cores.value == Approx(2.0));
  CHECK(draft.yaml.find("replicas from manifest") != std::string::npos);
  CHECK(draft.yaml.find("checkout.yaml:") != std::string::npos);
  // Without manifests, the spans name no instance: 1 replica; and no
  // cores: ledger's own times (245 ms over the 0.9 s traced) keep 0.27 of a
  // core busy, which on one core would wait 37% longer (M/M/1: 1 / (1 -
  // 0.27)); on two, 1.9% (Erlang C): two cores.
  const auto bare_draft = ti::write_model(evidence, nullptr);
  const auto bare = writer_load(bare_draft);
  INFO(bare_draft.yaml);
  CHECK(writer_service(bare, "checkout-svc").replicas.value == 1);
  CHECK(writer_service(bare, "ledger").pod.cpu.cores.value == Approx(2.0));
  CHECK(bare_draft.yaml.find("cores: not in the traces") != std::string::npos);
}

TEST_CASE("An own time no family fits is written as an empirical file", "[import]") {
  ti::SpanStore store;
  // Three clusters of own times far apart: no single family or two-lognormal mix fits.
  for (std::uint64_t t = 0; t < 600; ++t) {
    const double b = static_cast<double>(t) * 10;
    const double own = (t % 3 == 0   ? 1.0
                        : t % 3 == 1 ? 5.0
                                     : 9.0) +
                       static_cast<double>(t % 7) * 0.01;
    writer_span(store, t, 1, 0, "odd service!", "Weird/Op", ti::SpanKind::server, b, b + own);
  }
  const auto draft = writer_draft(store);
  INFO(draft.yaml);
  REQUIRE(draft.files.size() == 1);
  CHECK(draft.files[0].name == "odd_service_weird_op.csv");
  CHECK(draft.files[0].samples.size() == 600);
  CHECK(draft.yaml.find("empirical(odd_service_weird_op.csv)") != std::string::npos);
  const auto model = writer_load(draft);
  const auto& steps = writer_steps(model, "odd_service", "weird_op");
  REQUIRE(steps.size() == 1);
  CHECK(std::holds_alternative<tm_::EmpiricalDist>(steps[0].dist.form));
}

TEST_CASE("Names that clash after sanitising are made unique and noted", "[import]") {
  ti::SpanStore store;
  writer_span(store, 1, 1, 0, "Api", "x", ti::SpanKind::server, 0, 10);
  writer_span(store, 2, 1, 0, "api", "x", ti::SpanKind::server, 1000, 1010);
  const auto draft = writer_draft(store);
  const auto model = writer_load(draft);
  INFO(draft.yaml);
  CHECK(model.services.size() == 2);
  CHECK(writer_service(model, "api_2").find_endpoint("x") != nullptr);
  CHECK(model.workloads.size() == 2);
  // A name YAML would read as null, and one with nothing valid in it.
  CHECK(ti::sanitize_model_name("NULL") == "null_");
  CHECK(ti::sanitize_model_name("--!!") == "unnamed");
  CHECK(ti::sanitize_model_name("-Cart Service-") == "cart_service-");
  ti::SpanStore nulls;
  writer_span(nulls, 1, 1, 0, "Null", "null", ti::SpanKind::server, 0, 10);
  const auto null_model = writer_load(writer_draft(nulls));
  CHECK(writer_service(null_model, "null_").find_endpoint("null_") != nullptr);
}

TEST_CASE("A workload whose rate is unknown is spread over the window, with a note", "[import]") {
  ti::SpanStore store;
  writer_span(store, 1, 1, 0, "solo", "once", ti::SpanKind::server, 0, 10);
  const auto draft = writer_draft(store);
  const auto model = writer_load(draft);
  REQUIRE(model.workloads.size() == 1);
  REQUIRE(model.workloads[0].rate);
  CHECK(model.workloads[0].rate->value == Approx(1.0 / 60));
  CHECK(std::any_of(draft.notes.begin(), draft.notes.end(), [](const std::string& note) {
    return note.find("rate of solo.once is unknown") != std::string::npos;
  }));
}

TEST_CASE("The checkout sample drafts a model that simulates", "[import]") {
  for (const char* format : {"otlp", "jaeger", "zipkin"}) {
    INFO(format);
    ti::SpanStore store;
    ti::read_trace_file(std::string(TAILSIM_TESTS_DIR "/import/data/checkout.") + format + ".json",
                        store);
    const auto draft = ti::write_model(ti::analyze_traces(store), nullptr);
    INFO(draft.yaml);
    const auto model = writer_load(draft);
    const auto& steps = writer_steps(model, "frontend", "get_checkout");
    REQUIRE(steps.size() == 3);
    CHECK(writer_callee(steps[1]) == "payments.post_pay");
    CHECK(writer_callee(steps[2]) == "inventory.get_stock");
  }
}

TEST_CASE("A drafted model runs through the simulator", "[import]") {
  namespace fs = std::filesystem;
  const auto draft = ti::write_model(writer_shop(), nullptr);
  INFO(draft.yaml);
  const fs::path dir = fs::temp_directory_path() / "tailsim_model_writer_run";
  fs::create_directories(dir);
  for (const auto& file : draft.files) {
    ti::write_empirical_file(dir / file.name, file.samples);
  }
  {
    std::ofstream out(dir / "draft.yaml");
    out << draft.yaml;
  }
  const auto results = tailsim::testing::simulate_file((dir / "draft.yaml").string());
  REQUIRE(results.paths.size() == 1);
  CHECK(results.paths[0].requests > 30);
  CHECK(results.paths[0].throughput_rps > 0.5);
}

TEST_CASE("A constant fan-out is that many parallel copies; a varying one is noted", "[import]") {
  ti::SpanStore store;
  for (std::uint64_t t = 0; t < 10; ++t) {
    const double b = static_cast<double>(t) * 100;
    writer_span(store, t, 1, 0, "front", "page", ti::SpanKind::server, b, b + 50);
    // Three overlapping calls to shard.get in every trace...
    for (std::uint64_t k = 0; k < 3; ++k) {
      writer_rpc(store, t, 10 + k, 1, "front", "shard", "get", b + 5 + static_cast<double>(k),
                 b + 20 + static_cast<double>(k), 0.5);
    }
    // ...and two or three to index.find.
    for (std::uint64_t k = 0; k < 2 + t % 2; ++k) {
      writer_rpc(store, t, 20 + k, 1, "front", "index", "find", b + 25 + static_cast<double>(k),
                 b + 40 + static_cast<double>(k), 0.5);
    }
  }
  const auto draft = writer_draft(store);
  INFO(draft.yaml);
  const auto model = writer_load(draft);
  const auto& page = writer_steps(model, "front", "page");
  REQUIRE(page.size() == 3);
  REQUIRE(page[1].kind == tm_::StepKind::parallel);
  REQUIRE(page[1].children.size() == 3);
  for (const auto& child : page[1].children) {
    CHECK(writer_callee(child) == "shard.get");
    CHECK(child.times.value == tm_::IntRange{1, 1});
  }
  REQUIRE(page[2].kind == tm_::StepKind::parallel);
  REQUIRE(page[2].children.size() == 1);
  CHECK(page[2].children[0].times.value == tm_::IntRange{2, 3});
  CHECK(std::any_of(draft.notes.begin(), draft.notes.end(), [](const std::string& note) {
    return note.find("front.page calls index.find 2..3 times at once") != std::string::npos;
  }));
}

TEST_CASE("Counts as seen, a timeout as seen, and parallel calls made together", "[import]") {
  ti::SpanStore store;
  for (std::uint64_t t = 0; t < 40; ++t) {
    const double b = static_cast<double>(t) * 1000;
    writer_span(store, t, 1, 0, "front", "page", ti::SpanKind::server, b, b + 300);
    // store.get: once in 30 traces, 4 times (one after another) in 10.
    const std::uint64_t gets = t % 4 == 0 ? 4 : 1;
    for (std::uint64_t k = 0; k < gets; ++k) {
      const double s = b + 2 + static_cast<double>(k) * 6;
      writer_rpc(store, t, 10 + k, 1, "front", "store", "get", s, s + 5, 0.5);
    }
    // slow.work: in 5 traces the caller gives up at 50 ms while the callee
    // goes on for 80 ms and succeeds; else 10 ms.
    const double w = b + 40;
    if (t % 8 == 3) {
      writer_span(store, t, 20, 1, "front", "work", ti::SpanKind::client, w, w + 50, true);
      writer_span(store, t, 520, 20, "slow", "work", ti::SpanKind::server, w + 0.5, w + 80.5);
    } else {
      writer_rpc(store, t, 20, 1, "front", "slow", "work", w, w + 10, 0.5);
    }
    // a.x and b.y at once, together in 12 traces of the 40.
    if (t % 10 < 3) {
      writer_rpc(store, t, 30, 1, "front", "a", "x", b + 150, b + 170, 0.5);
      writer_rpc(store, t, 31, 1, "front", "b", "y", b + 151, b + 175, 0.5);
    }
  }
  const auto evidence = writer_evidence(store);
  const auto draft = ti::write_model(evidence, nullptr, {"seen", ti::OwnTimeAs::delay});
  const auto model = writer_load(draft);
  INFO(draft.yaml);
  const auto& page = writer_steps(model, "front", "page");
  // own time, then the calls in the order they start
  REQUIRE(page.size() == 4);

  // times: 1..4 would be uniform, a mean of 2.5 for the 1.75 seen: a
  // branch of the counts seen, each with its share of the invocations.
  REQUIRE(page[1].kind == tm_::StepKind::branch);
  REQUIRE(page[1].arms.size() == 2);
  CHECK(page[1].arms[0].p.value == Approx(0.75));
  REQUIRE(page[1].arms[0].steps.size() == 1);
  CHECK(writer_callee(page[1].arms[0].steps[0]) == "store.get");
  CHECK(page[1].arms[0].steps[0].times.value == tm_::IntRange{1, 1});
  CHECK(page[1].arms[1].p.value == Approx(0.25));
  CHECK(page[1].arms[1].steps[0].times.value == tm_::IntRange{4, 4});

  // The caller gave up at 50 ms five times while the callee went on: a timeout.
  REQUIRE(page[2].kind == tm_::StepKind::call);
  CHECK(writer_callee(page[2]) == "slow.work");
  REQUIRE(page[2].policy.timeout);
  CHECK(page[2].policy.timeout->value == std::chrono::milliseconds(50));

  // a.x and b.y, made in the same 12 invocations: one branch of 0.3 holding both.
  REQUIRE(page[3].kind == tm_::StepKind::branch);
  REQUIRE(page[3].arms.size() == 1);
  CHECK(page[3].arms[0].p.value == Approx(0.3));
  REQUIRE(page[3].arms[0].steps.size() == 1);
  const auto& both = page[3].arms[0].steps[0];
  REQUIRE(both.kind == tm_::StepKind::parallel);
  REQUIRE(both.children.size() == 2);
  CHECK_FALSE(both.children[0].p);  // the branch's share, not each call's
  CHECK(writer_callee(both.children[0]) == "a.x");
  CHECK(writer_callee(both.children[1]) == "b.y");
}

TEST_CASE("The one-way network keeps the round trip's mean and spread", "[import]") {
  // One-way network samples of 0.2 ms and 0.6 ms alternately: mean 0.4 ms,
  // standard deviation 0.2 ms, cv 0.5. Each is the average of a request's
  // and a response's latency, so one draw has the same mean and twice the
  // variance: cv 0.5 sqrt(2) = 0.70711. A lognormal of that mean and cv
  // (sigma^2 = ln(1 + cv^2) = ln 1.5).
  ti::SpanStore store;
  for (std::uint64_t t = 0; t < 40; ++t) {
    const double b = static_cast<double>(t) * 100;
    writer_span(store, t, 1, 0, "front", "page", ti::SpanKind::server, b, b + 50);
    writer_rpc(store, t, 10, 1, "front", "back", "get", b + 1, b + 21, t % 2 == 0 ? 0.2 : 0.6);
  }
  const auto draft = writer_draft(store);
  const auto model = writer_load(draft);
  INFO(draft.yaml);
  REQUIRE(model.network.default_latency);
  const auto& latency = *model.network.default_latency;
  CHECK(latency.mean_ns() == Approx(0.4e6).epsilon(1e-4));
  const auto* lognormal = std::get_if<tm_::LogNormalDist>(&latency.form);
  REQUIRE(lognormal != nullptr);
  CHECK(lognormal->sigma * lognormal->sigma == Approx(std::log(1.5)).epsilon(1e-4));
  for (const auto& file : draft.files) {
    CHECK(file.name.rfind("network", 0) != 0);  // no empirical file for the network
  }
}

TEST_CASE("The draft of a heavy-tailed round trip keeps its median one way", "[import][network]") {
  // 400 calls: one way 0.2 to 0.5 ms, and 6 ms in every 50th (a round trip's
  // cv 1.7, its median 0.75 of its mean). Sqrt(2) times that cv would put
  // the median of two draws far below the traced one; the draft's lognormal
  // has two draws with the round trips' mean and median (one_way_test.cpp
  // tests the fit itself).
  ti::SpanStore store;
  std::vector<Duration> round_trips;
  for (std::uint64_t t = 0; t < 400; ++t) {
    const double b = static_cast<double>(t) * 100;
    const double golden = static_cast<double>(t) * 0.6180339887;
    const double net = t % 50 == 0 ? 6.0 : 0.2 + 0.3 * (golden - std::floor(golden));
    writer_span(store, t, 1, 0, "front", "page", ti::SpanKind::server, b, b + 50);
    writer_rpc(store, t, 10, 1, "front", "back", "get", b + 1, b + 31, net);
    round_trips.emplace_back(std::llround(2 * net * 1e6));
  }
  const auto draft = writer_draft(store);
  const auto model = writer_load(draft);
  INFO(draft.yaml);
  CHECK(draft.yaml.find("have the mean and the median of client - server") != std::string::npos);
  REQUIRE(model.network.default_latency);
  const auto* lognormal = std::get_if<tm_::LogNormalDist>(&model.network.default_latency->form);
  REQUIRE(lognormal != nullptr);
  std::sort(round_trips.begin(), round_trips.end());
  const double median = (static_cast<double>(round_trips[199].count()) +
                         static_cast<double>(round_trips[200].count())) /
                        2;
  // As written: the mean to the nanosecond and the cv to six digits.
  CHECK(ti::lognormal_pair_sum_cdf(lognormal->sigma, median * std::exp(-lognormal->mu)) ==
        Approx(0.5).margin(1e-3));
  double sum = 0;
  for (const Duration d : round_trips) {
    sum += static_cast<double>(d.count());
  }
  CHECK(model.network.default_latency->mean_ns() == Approx(sum / 800).epsilon(1e-4));
}

TEST_CASE("Messages of PRODUCER spans are published to a queue the consumer reads", "[import]") {
  // orders.place publishes to billing.charge in every trace (a PRODUCER
  // span, the CONSUMER span below it in billing) and answers without waiting.
  ti::SpanStore store;
  for (std::uint64_t t = 0; t < 30; ++t) {
    const double b = static_cast<double>(t) * 100;
    writer_span(store, t, 1, 0, "orders", "place", ti::SpanKind::server, b, b + 10);
    writer_span(store, t, 2, 1, "orders", "publish", ti::SpanKind::producer, b + 2, b + 3);
    writer_span(store, t, 3, 2, "billing", "charge", ti::SpanKind::consumer, b + 20, b + 45);
  }
  const auto draft = writer_draft(store);
  const auto model = writer_load(draft);
  INFO(draft.yaml);
  const auto& place = writer_steps(model, "orders", "place");
  REQUIRE(place.size() == 2);
  CHECK(place[1].kind == tm_::StepKind::publish);
  REQUIRE(model.queues.size() == 1);
  CHECK(place[1].target.value == model.queues[0].name.value);
  CHECK(model.queues[0].consumer.full_name() == "billing.charge");
  // 25 ms of work every 100 ms: a quarter busy, one partition waits 33% (M/M/1),
  // two wait 1.7% (Erlang C).
  CHECK(model.queues[0].partitions.value == 2);
}

TEST_CASE("An own time that differs with the calls made is written per call pattern", "[import]") {
  // shop.get: a cache hit in 70 of 100 invocations (1 ms, no call); a miss
  // in 30 (5 ms of work, then calls to db.query and log.write at once).
  // Drawn apart, a 5 ms own time would go with a hit as often as with a
  // miss.
  ti::SpanStore store;
  for (std::uint64_t t = 0; t < 100; ++t) {
    const double b = static_cast<double>(t) * 100;
    if (t % 10 < 7) {
      writer_span(store, t, 1, 0, "shop", "get", ti::SpanKind::server, b, b + 1);
    } else {
      writer_span(store, t, 1, 0, "shop", "get", ti::SpanKind::server, b, b + 8);
      writer_rpc(store, t, 2, 1, "shop", "db", "query", b + 5, b + 8, 0.5);
      writer_rpc(store, t, 3, 1, "shop", "log", "write", b + 5, b + 7, 0.5);
    }
  }
  const auto evidence = writer_evidence(store);
  const auto draft = ti::write_model(evidence, nullptr, {"patterns", ti::OwnTimeAs::delay});
  const auto model = writer_load(draft);
  INFO(draft.yaml);
  const auto& get = writer_steps(model, "shop", "get");
  REQUIRE(get.size() == 1);
  REQUIRE(get[0].kind == tm_::StepKind::branch);
  REQUIRE(get[0].arms.size() == 2);
  const auto& hit = get[0].arms[0];
  CHECK(hit.p.value == Approx(0.7));
  REQUIRE(hit.steps.size() == 1);
  CHECK(hit.steps[0].kind == tm_::StepKind::delay);
  CHECK(hit.steps[0].dist.mean_ns() == Approx(1e6));
  const auto& miss = get[0].arms[1];
  CHECK(miss.p.value == Approx(0.3));
  REQUIRE(miss.steps.size() == 2);
  CHECK(miss.steps[0].dist.mean_ns() == Approx(5e6));
  // The two calls, made together in every miss, are made for sure there:
  // the pattern's branch holds their share, not a second branch inside it.
  const auto& calls = miss.steps[1];
  REQUIRE(calls.kind == tm_::StepKind::parallel);
  REQUIRE(calls.children.size() == 2);
  for (const auto& call : calls.children) {
    CHECK_FALSE(call.p);
  }
  CHECK(writer_callee(calls.children[0]) == "db.query");
  CHECK(writer_callee(calls.children[1]) == "log.write");
}

TEST_CASE("A call pattern's call made a varying number of times keeps the counts seen",
          "[import]") {
  // shop.get: a hit in 60 of 100 invocations (1 ms, no call); a miss in 40
  // (5 ms of work, then db.query once in 30 of them and four times in 10:
  // a mean of 1.75, where `times: 1..4`, uniform, would make 2.5).
  ti::SpanStore store;
  for (std::uint64_t t = 0; t < 100; ++t) {
    const double b = static_cast<double>(t) * 100;
    if (t % 10 < 6) {
      writer_span(store, t, 1, 0, "shop", "get", ti::SpanKind::server, b, b + 1);
      continue;
    }
    const int queries = t % 10 == 9 ? 4 : 1;
    writer_span(store, t, 1, 0, "shop", "get", ti::SpanKind::server, b, b + 6 + 3 * queries);
    for (int q = 0; q < queries; ++q) {
      const double at = b + 5 + 3 * q;
      writer_rpc(store, t, 2 + static_cast<std::uint64_t>(q), 1, "shop", "db", "query", at, at + 2,
                 0.5);
    }
  }
  const auto draft =
      ti::write_model(writer_evidence(store), nullptr, {"counts", ti::OwnTimeAs::delay});
  const auto model = writer_load(draft);
  INFO(draft.yaml);
  const auto& get = writer_steps(model, "shop", "get");
  REQUIRE(get.size() == 1);
  REQUIRE(get[0].kind == tm_::StepKind::branch);
  REQUIRE(get[0].arms.size() == 2);
  const auto& miss = get[0].arms[1];
  CHECK(miss.p.value == Approx(0.4));
  REQUIRE(miss.steps.size() == 2);
  // Made for sure in a miss: its counts' shares are of the misses, 30 and 10 of 40.
  const auto& counts = miss.steps[1];
  REQUIRE(counts.kind == tm_::StepKind::branch);
  REQUIRE(counts.arms.size() == 2);
  CHECK(counts.arms[0].p.value == Approx(0.75));
  CHECK(counts.arms[0].steps[0].times.value == tm_::IntRange{1, 1});
  CHECK(counts.arms[1].p.value == Approx(0.25));
  CHECK(counts.arms[1].steps[0].times.value == tm_::IntRange{4, 4});
}

TEST_CASE("A hedged call is learnt as a hedge, its cancelled loser no failure", "[import]") {
  // In 10 of 40 traces front.get's call to store.read is slow: after 8 ms a
  // second copy goes out, answers first, and the first is cancelled then
  // (its client span failed, ending with the winner's).
  ti::SpanStore store;
  for (std::uint64_t t = 0; t < 40; ++t) {
    const double b = static_cast<double>(t) * 100;
    writer_span(store, t, 1, 0, "front", "get", ti::SpanKind::server, b, b + 30);
    if (t % 4 == 0) {
      writer_span(store, t, 10, 1, "front", "read", ti::SpanKind::client, b + 1, b + 13, true);
      writer_span(store, t, 510, 10, "store", "read", ti::SpanKind::server, b + 1.5, b + 25);
      writer_rpc(store, t, 11, 1, "front", "store", "read", b + 9, b + 13, 0.5);
    } else {
      writer_rpc(store, t, 10, 1, "front", "store", "read", b + 1, b + 4, 0.5);
    }
  }
  const auto evidence = writer_evidence(store);
  const auto& front = evidence.endpoints[*evidence.find_endpoint("front", "get")];
  REQUIRE(front.calls.size() == 1);
  const auto& read = front.calls[0];
  CHECK(read.calls == 40);           // a hedged call is one call...
  CHECK(read.attempts == 50);        // ...of two attempts
  CHECK(read.failed_attempts == 0);  // the loser was cancelled, not failed
  CHECK(read.hedge_after.size() == 10);
  CHECK(read.timed_out.empty());  // nor did its caller give up on it
  CHECK(read.retried_calls == 0);
  const auto draft = ti::write_model(evidence, nullptr, {"hedged", ti::OwnTimeAs::delay});
  const auto model = writer_load(draft);
  INFO(draft.yaml);
  const auto& get = writer_steps(model, "front", "get");
  const auto call = std::find_if(get.begin(), get.end(),
                                 [](const tm_::Step& s) { return s.kind == tm_::StepKind::call; });
  REQUIRE(call != get.end());
  REQUIRE(call->policy.hedge);
  CHECK(call->policy.hedge->after.value == std::chrono::milliseconds(8));
  CHECK_FALSE(call->times.value.high > 1);
}

TEST_CASE("The shares of a branch of counts add up to 1 at most, however they round", "[import]") {
  // store.get 1 to 5 times in 8, 8, 10, 3 and 3 of 32 invocations: 0.25,
  // 0.25, 0.3125, 0.09375 and 0.09375, which to four decimals are 0.0938
  // each, 1.0001 in all (a model refused: the probabilities of a branch add
  // up to more than 1). The last takes what is left: 0.0937.
  ti::SpanStore store;
  const std::uint64_t counts[] = {1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2,
                                  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 5, 5, 5};
  for (std::uint64_t t = 0; t < 32; ++t) {
    const double b = static_cast<double>(t) * 1000;
    writer_span(store, t, 1, 0, "front", "page", ti::SpanKind::server, b, b + 300);
    for (std::uint64_t k = 0; k < counts[t]; ++k) {
      const double s = b + 2 + static_cast<double>(k) * 6;
      writer_rpc(store, t, 10 + k, 1, "front", "store", "get", s, s + 5, 0.5);
    }
  }
  const auto draft =
      ti::write_model(writer_evidence(store), nullptr, {"seen", ti::OwnTimeAs::delay});
  const auto model = writer_load(draft);
  INFO(draft.yaml);
  const auto& page = writer_steps(model, "front", "page");
  REQUIRE(page.size() == 2);
  REQUIRE(page[1].kind == tm_::StepKind::branch);
  REQUIRE(page[1].arms.size() == 5);
  double sum = 0;
  for (const auto& arm : page[1].arms) {
    sum += arm.p.value;
  }
  CHECK(sum <= 1.0 + 1e-12);
  CHECK(page[1].arms[3].p.value == Approx(0.0938));
  CHECK(page[1].arms[4].p.value == Approx(0.0937));
}
