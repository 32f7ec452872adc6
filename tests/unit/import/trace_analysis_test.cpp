#include "tailsim/import/trace_analysis.hpp"

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "support/spans.hpp"
#include "tailsim/import/trace_reader.hpp"

namespace ti = tailsim::import;
using tailsim::Duration;

// Spans are built by hand with times in milliseconds from an arbitrary
// epoch, so that every expected figure below can be worked out on paper.

namespace {

Duration analysis_ms(double ms) {
  return Duration(std::llround(ms * 1e6));
}

/// Adds one span and returns its index in the store (to set more fields).
std::size_t analysis_span(ti::SpanStore& store, std::uint64_t trace, std::uint64_t id,
                          std::uint64_t parent, std::string_view service, std::string_view name,
                          ti::SpanKind kind, double start_ms, double end_ms, bool error = false) {
  return tailsim::testing::add_span(store, trace, id, parent, service, name, kind, start_ms, end_ms,
                                    error);
}

/// A root server span of `service` named `name` over [start, end].
std::size_t analysis_root(ti::SpanStore& store, std::uint64_t trace, std::string_view service,
                          std::string_view name, double start_ms, double end_ms,
                          bool error = false) {
  return analysis_span(store, trace, 1, 0, service, name, ti::SpanKind::server, start_ms, end_ms,
                       error);
}

/// An RPC under span `parent`: a client span `id` in `caller` over the
/// client times and a server span `id + 500` in `callee` over the server times.
void analysis_rpc(ti::SpanStore& store, std::uint64_t trace, std::uint64_t id, std::uint64_t parent,
                  std::string_view caller, std::string_view callee, std::string_view name,
                  double client_start, double client_end, double server_start, double server_end,
                  bool error = false) {
  analysis_span(store, trace, id, parent, caller, name, ti::SpanKind::client, client_start,
                client_end, error);
  analysis_span(store, trace, id + 500, id, callee, name, ti::SpanKind::server, server_start,
                server_end, error);
}

/// The analysis with the capture-window cut off (hand-made traces all end together).
ti::TraceEvidence analysis_of(const ti::SpanStore& store, double sample_rate = 1.0) {
  ti::AnalysisOptions options;
  options.edge_cut = Duration::zero();
  options.sample_rate = sample_rate;
  return ti::analyze_traces(store, options);
}

std::size_t analysis_endpoint(const ti::TraceEvidence& evidence, std::string_view service,
                              std::string_view name) {
  const auto found = evidence.find_endpoint(service, name);
  INFO("endpoint " << service << " " << name);
  REQUIRE(found);
  return *found;
}

const ti::CallSiteEvidence& analysis_call(const ti::TraceEvidence& evidence,
                                          std::string_view caller_service,
                                          std::string_view caller_name,
                                          std::string_view callee_service,
                                          std::string_view callee_name) {
  const auto caller = analysis_endpoint(evidence, caller_service, caller_name);
  const auto callee = analysis_endpoint(evidence, callee_service, callee_name);
  const ti::CallSiteEvidence* site = evidence.find_call(caller, callee);
  INFO("call " << caller_name << " -> " << callee_name);
  REQUIRE(site != nullptr);
  return *site;
}

/// The own-time samples of endpoint (service, name).
const std::vector<Duration>& analysis_own_time(const ti::TraceEvidence& evidence,
                                               std::string_view service, std::string_view name) {
  return evidence.endpoints[analysis_endpoint(evidence, service, name)].own_time;
}

/// The one-way network samples of front's `page` calls to (service, `get`).
const std::vector<Duration>& analysis_page_network(const ti::TraceEvidence& evidence,
                                                   std::string_view service) {
  return analysis_call(evidence, "front", "page", service, "get").network;
}

/// Reads a capture of /work/shared/data/real-traces into `store`; false
/// (with a warning) when the capture is not there.
bool analysis_real_capture(const std::string& name, ti::SpanStore& store) {
  namespace fs = std::filesystem;
  const fs::path path =
      fs::path(TAILSIM_SOURCE_DIR) / ".." / "shared" / "data" / "real-traces" / name;
  if (!fs::exists(path)) {
    WARN("skipped: the real trace capture is not at " << path.string());
    return false;
  }
  ti::read_trace_file(path, store);
  return true;
}

}  // namespace

TEST_CASE("Endpoint names are normalised as SPEC says", "[import]") {
  CHECK(ti::normalize_endpoint_name("HTTP GET /hotels") == "http_get_hotels");
  CHECK(ti::normalize_endpoint_name("/search.Search/Nearby") == "search_search_nearby");
  CHECK(ti::normalize_endpoint_name("get_user-by_id") == "get_user-by_id");
  CHECK(ti::normalize_endpoint_name("  ***  ") == "unnamed");
  CHECK(ti::normalize_endpoint_name("") == "unnamed");

  // The route and method win over the span's name, which may hold a URL path.
  ti::SpanStore store;
  const auto root = analysis_root(store, 1, "users", "GET /users/1234", 0, 10);
  store.span_at(root).route = store.intern("/users/{id}");
  store.span_at(root).method = store.intern("GET");
  const auto evidence = analysis_of(store);
  REQUIRE(evidence.endpoints.size() == 1);
  CHECK(evidence.endpoints[0].name == "get_users_id");
}

TEST_CASE("Sequential and parallel calls are told apart by overlap", "[import]") {
  ti::SpanStore store;
  analysis_root(store, 1, "front", "checkout", 0, 100);
  analysis_rpc(store, 1, 10, 1, "front", "a", "get", 10, 30, 12, 28);
  analysis_rpc(store, 1, 11, 1, "front", "b", "get", 40, 60, 41, 59);
  analysis_rpc(store, 1, 12, 1, "front", "c", "get", 45, 70, 46, 69);
  const auto evidence = analysis_of(store);
  const auto& a = analysis_call(evidence, "front", "checkout", "a", "get");
  const auto& b = analysis_call(evidence, "front", "checkout", "b", "get");
  const auto& c = analysis_call(evidence, "front", "checkout", "c", "get");
  CHECK_FALSE(a.parallel);
  CHECK(a.parallel_group.empty());
  CHECK(b.parallel);
  CHECK(c.parallel);
  const auto b_index = analysis_endpoint(evidence, "b", "get");
  const auto c_index = analysis_endpoint(evidence, "c", "get");
  CHECK(b.parallel_group == std::vector<std::size_t>{c_index});
  CHECK(c.parallel_group == std::vector<std::size_t>{b_index});
  // In order of their start: a (10 ms), b (40 ms), c (45 ms).
  const auto& calls = evidence.endpoints[analysis_endpoint(evidence, "front", "checkout")].calls;
  REQUIRE(calls.size() == 3);
  CHECK(&calls[0] == &a);
  CHECK(calls[1].mean_start_offset_ns == Approx(40e6));
  CHECK(&calls[2] == &c);
  // Own time: 100 - (20 + the union [40, 70] of b and c) = 50 ms.
  const auto& front = evidence.endpoints[analysis_endpoint(evidence, "front", "checkout")];
  CHECK(front.own_time == std::vector<Duration>{analysis_ms(50)});
}

TEST_CASE("p is the share of invocations that make a call", "[import]") {
  ti::SpanStore store;
  for (std::uint64_t trace = 1; trace <= 10; ++trace) {
    const double t = static_cast<double>(trace) * 1000;
    analysis_root(store, trace, "front", "home", t, t + 50);
    if (trace % 3 == 0) {  // traces 3, 6, 9
      analysis_rpc(store, trace, 10, 1, "front", "ads", "pick", t + 5, t + 15, t + 6, t + 14);
    }
  }
  const auto evidence = analysis_of(store);
  const auto& site = analysis_call(evidence, "front", "home", "ads", "pick");
  CHECK(site.p == Approx(0.3));
  CHECK(site.invocations == 3);
  CHECK(site.times_min == 1);
  CHECK(site.times_max == 1);
  CHECK(evidence.endpoints[analysis_endpoint(evidence, "front", "home")].invocations == 10);
  CHECK(evidence.endpoints[analysis_endpoint(evidence, "ads", "pick")].invocations == 3);
}

TEST_CASE("times counts repeated calls (an N+1 query) to an uninstrumented database", "[import]") {
  ti::SpanStore store;
  // Trace 1: one list query, then five item queries; trace 2: three items.
  const std::vector<std::pair<std::uint64_t, int>> items{{1, 5}, {2, 3}};
  for (const auto& [trace, count] : items) {
    const double t = static_cast<double>(trace) * 1000;
    analysis_root(store, trace, "orders", "list", t, t + 100);
    const auto list = analysis_span(store, trace, 10, 1, "orders", "SELECT orders",
                                    ti::SpanKind::client, t + 1, t + 5);
    store.span_at(list).peer = store.intern("postgres");
    for (int i = 0; i < count; ++i) {
      const double start = t + 10 + 10 * i;
      const auto item = analysis_span(store, trace, 20 + static_cast<std::uint64_t>(i), 1, "orders",
                                      "SELECT items", ti::SpanKind::client, start, start + 2);
      store.span_at(item).peer = store.intern("postgres");
    }
  }
  const auto evidence = analysis_of(store);
  const auto& items_site = analysis_call(evidence, "orders", "list", "postgres", "select_items");
  CHECK(items_site.times_min == 3);
  CHECK(items_site.times_max == 5);
  CHECK(items_site.times_mean == Approx(4));
  CHECK(items_site.calls == 8);
  CHECK(items_site.p == Approx(1));
  CHECK_FALSE(items_site.parallel);
  CHECK(items_site.network.empty());
  CHECK(items_site.spans == 8);
  // The database is a dependency: its own time is its client spans'.
  const auto& db = evidence.endpoints[analysis_endpoint(evidence, "postgres", "select_items")];
  CHECK(db.external);
  CHECK(db.invocations == 8);
  CHECK(db.own_time == std::vector<Duration>(8, analysis_ms(2)));
  REQUIRE(evidence.services.size() == 2);
  CHECK(evidence.services[0].name == "orders");
  CHECK(evidence.services[1].name == "postgres");
  CHECK(evidence.services[1].external);
  // Own time of trace 1: 100 - 4 - 5 x 2 = 86 ms; of trace 2: 100 - 4 - 6 = 90 ms.
  const auto& list = evidence.endpoints[analysis_endpoint(evidence, "orders", "list")];
  CHECK(list.own_time == std::vector<Duration>{analysis_ms(86), analysis_ms(90)});
}

TEST_CASE("Failed attempts followed by a retry are one call with attempts", "[import]") {
  ti::SpanStore store;
  analysis_root(store, 1, "front", "pay", 0, 100);
  analysis_rpc(store, 1, 10, 1, "front", "bank", "charge", 10, 20, 11, 19, /*error=*/true);
  analysis_rpc(store, 1, 11, 1, "front", "bank", "charge", 25, 35, 26, 34, /*error=*/true);
  analysis_rpc(store, 1, 12, 1, "front", "bank", "charge", 40, 50, 41, 49);
  // A later, separate call after a success is a second call, not a retry.
  analysis_rpc(store, 1, 13, 1, "front", "bank", "charge", 60, 70, 61, 69);
  const auto evidence = analysis_of(store);
  const auto& site = analysis_call(evidence, "front", "pay", "bank", "charge");
  CHECK(site.calls == 2);
  CHECK(site.times_min == 2);
  CHECK(site.times_max == 2);
  CHECK(site.attempts == 4);
  CHECK(site.retried_calls == 1);
  CHECK(site.max_attempts == 3);
  CHECK(site.attempts_histogram == std::vector<std::size_t>{0, 1, 0, 1});
  CHECK(site.backoff == std::vector<Duration>{analysis_ms(5), analysis_ms(5)});
  CHECK(site.failed_attempts == 2);
  CHECK(site.error_share == Approx(0.5));
  CHECK(site.failed_calls == 0);
  // Each call's start, its first attempt's, for calibrate's batches.
  REQUIRE(site.latency_start_ns.size() == 2);
  CHECK(site.latency_start_ns[1] - site.latency_start_ns[0] == analysis_ms(50).count());
  CHECK(site.failure_start_ns.empty());
  CHECK_FALSE(site.parallel);
  // Only the two successful attempts measure the network: a failed one's
  // client may have given up at a timeout.
  CHECK(site.network.size() == 2);
  // The retried call covers [10, 50] with its backoff, the other [60, 70].
  const auto& front = evidence.endpoints[analysis_endpoint(evidence, "front", "pay")];
  CHECK(front.own_time == std::vector<Duration>{analysis_ms(50)});
  CHECK(front.errors == 0);
  // Each attempt is an invocation of the callee, two of them failed.
  const auto& bank = evidence.endpoints[analysis_endpoint(evidence, "bank", "charge")];
  CHECK(bank.invocations == 4);
  CHECK(bank.own_errors == 2);
}

TEST_CASE("Overlapping failed calls are parallel calls, not retries", "[import]") {
  ti::SpanStore store;
  analysis_root(store, 1, "front", "pay", 0, 100);
  analysis_rpc(store, 1, 10, 1, "front", "bank", "charge", 10, 30, 11, 29, /*error=*/true);
  analysis_rpc(store, 1, 11, 1, "front", "bank", "charge", 20, 40, 21, 39, /*error=*/true);
  const auto evidence = analysis_of(store);
  const auto& site = analysis_call(evidence, "front", "pay", "bank", "charge");
  CHECK(site.calls == 2);
  CHECK(site.retried_calls == 0);
  CHECK(site.failed_calls == 2);
  REQUIRE(site.failure_start_ns.size() == 2);
  CHECK(site.failure_start_ns[1] - site.failure_start_ns[0] == analysis_ms(10).count());
  CHECK(site.latency_start_ns.empty());
  CHECK(site.parallel);
  // Fan-out to one callee: the site is in its own parallel group.
  CHECK(site.parallel_group == std::vector<std::size_t>{site.callee});
}

TEST_CASE("Own time is the invocation minus the union of its calls", "[import]") {
  ti::SpanStore store;
  analysis_root(store, 1, "front", "page", 0, 100);
  // An internal span of the service is own time; the calls below it are not.
  analysis_span(store, 1, 2, 1, "front", "render", ti::SpanKind::internal, 5, 95);
  analysis_rpc(store, 1, 10, 2, "front", "a", "get", 10, 50, 11, 49);
  analysis_rpc(store, 1, 11, 2, "front", "b", "get", 30, 70, 31, 69);
  // Past the invocation's end: clipped to it.
  analysis_rpc(store, 1, 12, 2, "front", "c", "get", 90, 120, 91, 119);
  const auto evidence = analysis_of(store);
  const auto& front = evidence.endpoints[analysis_endpoint(evidence, "front", "page")];
  // Covered: [10, 70] once (60 ms) and [90, 100] (10 ms): 100 - 70 = 30 ms.
  CHECK(front.own_time == std::vector<Duration>{analysis_ms(30)});
  CHECK(front.spans == 2);
  CHECK(front.calls.size() == 3);
  CHECK_FALSE(evidence.find_endpoint("front", "render"));
}

TEST_CASE("Network time is the client's minus the server's duration, whatever the clock skew",
          "[import]") {
  ti::SpanStore store;
  analysis_root(store, 1, "front", "page", 0, 100);
  analysis_rpc(store, 1, 10, 1, "front", "a", "get", 10, 30, 14, 26);
  // A server longer than its client (clocks that run apart): clamped at 0.
  analysis_rpc(store, 1, 11, 1, "front", "b", "get", 40, 50, 40, 51);
  // The server's clock is 3 ms behind: it starts 3 ms before its client.
  analysis_rpc(store, 1, 12, 1, "front", "c", "get", 60, 80, 57, 75);
  analysis_rpc(store, 1, 20, 512, "c", "db", "find", 60, 64, 61, 63);
  const auto evidence = analysis_of(store);
  // (20 - 12) / 2, 0, and (20 - 18) / 2.
  CHECK(analysis_page_network(evidence, "a") == std::vector<Duration>{analysis_ms(4)});
  CHECK(analysis_page_network(evidence, "b") == std::vector<Duration>{Duration::zero()});
  CHECK(analysis_page_network(evidence, "c") == std::vector<Duration>{analysis_ms(1)});
  // The caller's own time uses its client spans: 100 - 20 - 10 - 20.
  CHECK(analysis_own_time(evidence, "front", "page") == std::vector<Duration>{analysis_ms(50)});
  // The skewed callee's uses its own clock: 18 - 4.
  CHECK(analysis_own_time(evidence, "c", "get") == std::vector<Duration>{analysis_ms(14)});
}

TEST_CASE("Orphans start partial subtrees that are never entry points", "[import]") {
  ti::SpanStore store;
  analysis_root(store, 1, "front", "page", 0, 100);
  // Its parent (span 77) was not captured.
  analysis_span(store, 1, 30, 77, "cart", "add", ti::SpanKind::server, 10, 40);
  analysis_rpc(store, 1, 31, 30, "cart", "redis", "set", 15, 20, 16, 19);
  const auto evidence = analysis_of(store);
  CHECK(evidence.counts.orphan_spans == 1);
  CHECK(evidence.counts.traces_kept == 1);
  REQUIRE(evidence.workloads.size() == 1);
  CHECK(evidence.workloads[0].endpoint == analysis_endpoint(evidence, "front", "page"));
  // The orphan's own subtree is still evidence.
  const auto& cart = evidence.endpoints[analysis_endpoint(evidence, "cart", "add")];
  CHECK(cart.invocations == 1);
  CHECK(cart.own_time == std::vector<Duration>{analysis_ms(25)});
  CHECK(evidence.find_call(analysis_endpoint(evidence, "cart", "add"),
                           analysis_endpoint(evidence, "redis", "set")) != nullptr);
}

TEST_CASE("Traces with a cycle in parent links or no root are dropped and counted", "[import]") {
  ti::SpanStore store;
  // Trace 1: a root, and spans 2 and 3 each the other's parent.
  analysis_root(store, 1, "front", "page", 0, 100);
  analysis_span(store, 1, 2, 3, "a", "x", ti::SpanKind::server, 10, 20);
  analysis_span(store, 1, 3, 2, "b", "y", ti::SpanKind::server, 11, 19);
  // Trace 2: a span its own parent.
  analysis_root(store, 2, "front", "page", 0, 100);
  analysis_span(store, 2, 5, 5, "c", "z", ti::SpanKind::server, 10, 20);
  // Trace 3: the root is missing; its children are orphans.
  analysis_span(store, 3, 2, 1, "a", "x", ti::SpanKind::server, 10, 20);
  // Trace 4: whole.
  analysis_root(store, 4, "front", "page", 0, 90);
  const auto evidence = analysis_of(store);
  CHECK(evidence.counts.traces == 4);
  CHECK(evidence.counts.cyclic_traces == 2);
  CHECK(evidence.counts.rootless_traces == 1);
  CHECK(evidence.counts.traces_kept == 1);
  REQUIRE(evidence.endpoints.size() == 1);
  CHECK(evidence.endpoints[0].own_time == std::vector<Duration>{analysis_ms(90)});
}

TEST_CASE("Traces ending at the end of the capture are dropped, unless all would be", "[import]") {
  ti::SpanStore store;
  analysis_root(store, 1, "front", "page", 0, 100);
  analysis_root(store, 2, "front", "page", 5000, 5100);
  analysis_root(store, 3, "front", "page", 9000, 9500);
  analysis_root(store, 4, "front", "page", 9900, 10000);  // the last end
  ti::AnalysisOptions options;  // edge_cut 5 s: ends from 5000 ms on are cut
  auto evidence = ti::analyze_traces(store, options);
  CHECK(evidence.counts.cut_traces == 3);
  CHECK(evidence.counts.traces_kept == 1);
  CHECK_FALSE(evidence.counts.edge_cut_waived);
  CHECK(evidence.endpoints[0].invocations == 1);

  // Every trace near the end: all kept, and said so.
  options.edge_cut = std::chrono::seconds(60);
  evidence = ti::analyze_traces(store, options);
  CHECK(evidence.counts.cut_traces == 0);
  CHECK(evidence.counts.edge_cut_waived);
  CHECK(evidence.counts.traces_kept == 4);
}

TEST_CASE("Spans of unknown kind are invocations when their parent is in another service",
          "[import]") {
  ti::SpanStore store;
  constexpr auto none = ti::SpanKind::unspecified;
  // Jaeger C++ style: no kinds, each RPC one span in the callee.
  analysis_span(store, 1, 1, 0, "nginx", "/compose", none, 0, 100);
  analysis_span(store, 1, 2, 1, "compose", "compose_review", none, 10, 60);
  analysis_span(store, 1, 3, 2, "compose", "MongoFind", none, 20, 30);  // caller's own time
  analysis_span(store, 1, 4, 2, "user", "get_user", none, 35, 50);
  analysis_span(store, 1, 5, 2, "text", "upload_text", none, 40, 55);
  const auto evidence = analysis_of(store);
  CHECK(evidence.counts.kindless_spans == 5);
  CHECK(evidence.endpoints.size() == 4);
  CHECK_FALSE(evidence.find_endpoint("compose", "mongofind"));
  const auto& compose = analysis_call(evidence, "nginx", "compose", "compose", "compose_review");
  CHECK(compose.calls_without_client_span == 1);
  CHECK(compose.network.empty());
  // Own times: nginx 100 - 50; compose 50 - [35, 55]; user and text whole.
  CHECK(analysis_own_time(evidence, "nginx", "compose") == std::vector<Duration>{analysis_ms(50)});
  CHECK(analysis_own_time(evidence, "compose", "compose_review") ==
        std::vector<Duration>{analysis_ms(30)});
  const auto& user = analysis_call(evidence, "compose", "compose_review", "user", "get_user");
  CHECK(user.parallel);
  CHECK(user.mean_start_offset_ns == Approx(25e6));
  REQUIRE(evidence.workloads.size() == 1);
  CHECK(evidence.workloads[0].endpoint == analysis_endpoint(evidence, "nginx", "compose"));
}

TEST_CASE("An internal span under a span of another service is an invocation", "[import]") {
  ti::SpanStore store;
  analysis_root(store, 1, "front", "page", 0, 100);
  analysis_span(store, 1, 2, 1, "worker", "job", ti::SpanKind::internal, 10, 40);
  analysis_span(store, 1, 3, 2, "worker", "step", ti::SpanKind::internal, 15, 20);
  const auto evidence = analysis_of(store);
  CHECK(evidence.endpoints.size() == 2);
  const auto& job = analysis_call(evidence, "front", "page", "worker", "job");
  CHECK(job.calls_without_client_span == 1);
  CHECK(analysis_own_time(evidence, "worker", "job") == std::vector<Duration>{analysis_ms(30)});
}

TEST_CASE("A root client span's callee is the entry; odd ids and peers are counted", "[import]") {
  ti::SpanStore store;
  // A load generator's client span at the top, calling front without a peer name.
  analysis_span(store, 1, 1, 0, "loadgen", "GET", ti::SpanKind::client, 0, 100);
  analysis_span(store, 1, 2, 1, "front", "home", ti::SpanKind::server, 5, 95);
  // A client span with no callee and no peer: a dependency named `unknown`.
  analysis_span(store, 1, 3, 2, "front", "lookup", ti::SpanKind::client, 10, 20);
  // Span id 3 again (another kind): counted, its child attaches to the first.
  analysis_span(store, 1, 3, 2, "front", "render", ti::SpanKind::internal, 30, 40);
  // A second root: its own entry.
  analysis_span(store, 1, 9, 0, "cron", "sweep", ti::SpanKind::internal, 50, 60);
  const auto evidence = analysis_of(store);
  CHECK(evidence.counts.duplicate_span_ids == 1);
  CHECK(evidence.counts.multi_root_traces == 1);
  CHECK(evidence.counts.unnamed_peers == 1);
  CHECK(evidence.counts.roots_without_entry == 0);
  CHECK_FALSE(evidence.find_endpoint("loadgen", "get"));
  const auto& lookup = analysis_call(evidence, "front", "home", "unknown", "lookup");
  CHECK(lookup.calls == 1);
  REQUIRE(evidence.workloads.size() == 2);
  CHECK(evidence.workloads[0].endpoint == analysis_endpoint(evidence, "cron", "sweep"));
  CHECK(evidence.workloads[1].endpoint == analysis_endpoint(evidence, "front", "home"));
  // front: 90 - the lookup's 10.
  CHECK(analysis_own_time(evidence, "front", "home") == std::vector<Duration>{analysis_ms(80)});
}

TEST_CASE("A wide fan-out to one callee is one parallel site", "[import]") {
  ti::SpanStore store;
  analysis_root(store, 1, "front", "feed", 0, 100);
  constexpr std::uint64_t fan_out = 2000;
  for (std::uint64_t i = 0; i < fan_out; ++i) {
    const double start = 10 + static_cast<double>(i) * 0.01;
    analysis_rpc(store, 1, 10 + 1000 * i, 1, "front", "posts", "get", start, start + 50, start + 1,
                 start + 49);
  }
  const auto evidence = analysis_of(store);
  const auto& site = analysis_call(evidence, "front", "feed", "posts", "get");
  CHECK(site.calls == fan_out);
  CHECK(site.times_max == fan_out);
  CHECK(site.overlapping_calls == fan_out);
  CHECK(site.parallel_group == std::vector<std::size_t>{site.callee});
  REQUIRE(site.parallel_with.size() == 1);
  CHECK(site.parallel_with[0].calls == fan_out);
}

TEST_CASE("Times at the ends of int64 saturate instead of wrapping", "[import]") {
  constexpr std::int64_t earliest = std::numeric_limits<std::int64_t>::min() + 10;
  constexpr std::int64_t latest = std::numeric_limits<std::int64_t>::max() - 10;
  const auto stretch = [](ti::SpanStore& store, std::size_t index, std::int64_t start,
                          std::int64_t end) {
    store.span_at(index).start_ns = start;
    store.span_at(index).end_ns = end;
  };
  ti::SpanStore store;
  stretch(store, analysis_root(store, 1, "front", "page", 0, 0), earliest, latest);
  const auto client = analysis_span(store, 1, 2, 1, "front", "q", ti::SpanKind::client, 0, 0);
  stretch(store, client, earliest, latest);
  store.span_at(client).peer = store.intern("db");
  stretch(store, analysis_root(store, 2, "front", "page", 0, 0), latest - 10, latest);
  const auto evidence = analysis_of(store);
  const Duration longest = Duration::max();
  // front: covered whole by its call; the database's client span: too long to hold.
  CHECK(analysis_own_time(evidence, "front", "page") ==
        std::vector<Duration>{Duration::zero(), analysis_ms(0) + Duration(10)});
  CHECK(analysis_own_time(evidence, "db", "q") == std::vector<Duration>{longest});
  REQUIRE(evidence.workloads.size() == 1);
  CHECK(evidence.workloads[0].window == longest);
  CHECK(evidence.workloads[0].rate_per_s);

  // The capture's window reaching below the earliest time: every trace is near its end.
  ti::SpanStore early;
  stretch(early, analysis_root(early, 1, "front", "page", 0, 0), earliest, earliest + 1);
  CHECK(ti::analyze_traces(early).counts.edge_cut_waived);
}

TEST_CASE("Own errors are failed invocations with no failed call below", "[import]") {
  ti::SpanStore store;
  // Trace 1: the error comes from the callee.
  analysis_root(store, 1, "front", "buy", 0, 100, /*error=*/true);
  analysis_rpc(store, 1, 10, 1, "front", "stock", "take", 10, 20, 11, 19, /*error=*/true);
  // Trace 2: the callee succeeded: front failed on its own.
  analysis_root(store, 2, "front", "buy", 0, 100, /*error=*/true);
  analysis_rpc(store, 2, 10, 1, "front", "stock", "take", 10, 20, 11, 19);
  // Trace 3: the callee failed once, then a retry succeeded.
  analysis_root(store, 3, "front", "buy", 0, 100, /*error=*/true);
  analysis_rpc(store, 3, 10, 1, "front", "stock", "take", 10, 20, 11, 19, /*error=*/true);
  analysis_rpc(store, 3, 11, 1, "front", "stock", "take", 30, 40, 31, 39);
  // Trace 4: all fine.
  analysis_root(store, 4, "front", "buy", 0, 100);
  analysis_rpc(store, 4, 10, 1, "front", "stock", "take", 10, 20, 11, 19);
  const auto evidence = analysis_of(store);
  const auto& front = evidence.endpoints[analysis_endpoint(evidence, "front", "buy")];
  CHECK(front.invocations == 4);
  CHECK(front.errors == 3);
  CHECK(front.own_errors == 2);
  const auto& stock = evidence.endpoints[analysis_endpoint(evidence, "stock", "take")];
  CHECK(stock.invocations == 5);
  CHECK(stock.errors == 2);
  CHECK(stock.own_errors == 2);
  const auto& site = analysis_call(evidence, "front", "buy", "stock", "take");
  CHECK(site.error_share == Approx(2.0 / 5.0));
  CHECK(site.failed_calls == 1);
  CHECK(site.calls == 4);
}

TEST_CASE("Replicas are the distinct instances of a service's spans", "[import]") {
  ti::SpanStore store;
  for (std::uint64_t trace = 1; trace <= 4; ++trace) {
    const auto root = analysis_root(store, trace, "front", "page", 0, 100);
    store.span_at(root).instance = store.intern(trace % 2 == 0 ? "front-7f9-a" : "front-7f9-b");
    analysis_rpc(store, trace, 10, 1, "front", "back", "get", 10, 20, 11, 19);
    store.span_at(store.spans().size() - 2).instance = store.intern("front-7f9-c");
  }
  const auto evidence = analysis_of(store);
  REQUIRE(evidence.services.size() == 2);
  CHECK(evidence.services[0].name == "back");
  CHECK(evidence.services[0].replicas == 0);
  CHECK(evidence.services[0].spans == 4);
  CHECK(evidence.services[1].name == "front");
  CHECK(evidence.services[1].replicas == 3);
  CHECK(evidence.services[1].spans == 8);
}

TEST_CASE("Workload rates weigh traces by their sampling weight or the sample rate", "[import]") {
  ti::SpanStore store;
  // Eleven traces a second apart, over a window of 10 s.
  for (std::uint64_t trace = 1; trace <= 11; ++trace) {
    analysis_root(store, trace, "front", "home", static_cast<double>(trace - 1) * 1000,
                  static_cast<double>(trace - 1) * 1000 + 20);
  }
  auto evidence = analysis_of(store, /*sample_rate=*/0.5);
  REQUIRE(evidence.workloads.size() == 1);
  const auto* workload = &evidence.workloads[0];
  CHECK(workload->traces == 11);
  CHECK(workload->unweighted_traces == 11);
  CHECK(workload->weighted_traces == Approx(22));
  CHECK(workload->window == analysis_ms(10'000));
  // Each success's start, parallel to its latency.
  REQUIRE(workload->latency_start_ns.size() == 11);
  CHECK(workload->latency_start_ns[10] - workload->latency_start_ns[0] ==
        analysis_ms(10'000).count());
  REQUIRE(workload->rate_per_s);
  CHECK(*workload->rate_per_s == Approx(2.2));
  CHECK(evidence.counts.unweighted_traces == 11);

  // Weights the spans give win over the sample rate.
  for (std::size_t i = 0; i < store.spans().size(); ++i) {
    store.span_at(i).sampling_weight = 4;
  }
  evidence = analysis_of(store, /*sample_rate=*/0.5);
  workload = &evidence.workloads[0];
  CHECK(workload->unweighted_traces == 0);
  CHECK(workload->weighted_traces == Approx(44));
  CHECK(*workload->rate_per_s == Approx(4.4));
  CHECK(workload->min_weight == 4);
  CHECK(workload->max_weight == 4);

  // One trace: a window of 0 and no rate.
  ti::SpanStore single;
  analysis_root(single, 1, "front", "home", 0, 20);
  evidence = analysis_of(single);
  REQUIRE(evidence.workloads.size() == 1);
  CHECK(evidence.workloads[0].window == Duration::zero());
  CHECK_FALSE(evidence.workloads[0].rate_per_s);
}

TEST_CASE("The checkout sample gives the same evidence in each format", "[import]") {
  for (const char* format : {"otlp", "jaeger", "zipkin"}) {
    INFO(format);
    ti::SpanStore store;
    ti::read_trace_file(std::string(TAILSIM_TESTS_DIR "/import/data/checkout.") + format + ".json",
                        store);
    const auto evidence = ti::analyze_traces(store);
    CHECK(evidence.counts.edge_cut_waived);  // one trace: nothing would be left
    REQUIRE(evidence.endpoints.size() == 4);
    // GET /checkout (50 ms) calls payments (30 ms) then inventory (10 ms).
    const auto front = analysis_endpoint(evidence, "frontend", "get_checkout");
    const auto payments = analysis_endpoint(evidence, "payments", "post_pay");
    const auto inventory = analysis_endpoint(evidence, "inventory", "get_stock");
    CHECK(analysis_own_time(evidence, "frontend", "get_checkout") ==
          std::vector<Duration>{analysis_ms(10)});
    const auto& calls = evidence.endpoints[front].calls;
    REQUIRE(calls.size() == 2);
    CHECK(calls[0].callee == payments);
    CHECK(calls[1].callee == inventory);
    // Both calls failed (a 503, a 404): neither measures the network.
    CHECK(calls[0].network.empty());
    CHECK(calls[1].network.empty());
    // payments answered 503 (its own error); the 404 fails only the client.
    CHECK(evidence.endpoints[payments].own_errors == 1);
    CHECK(evidence.endpoints[inventory].errors == 0);
    CHECK(calls[1].error_share == 1);
    CHECK(evidence.endpoints[front].errors == 0);
    // The database has no spans of its own: a dependency named by db.system.
    const auto& select =
        analysis_call(evidence, "inventory", "get_stock", "postgresql", "select_stock");
    CHECK(select.network.empty());
    CHECK(analysis_own_time(evidence, "postgresql", "select_stock") ==
          std::vector<Duration>{analysis_ms(6)});
    CHECK(analysis_own_time(evidence, "inventory", "get_stock") ==
          std::vector<Duration>{analysis_ms(2)});
  }
}

TEST_CASE("The hotel reservation capture's call graph and workload", "[import]") {
  ti::SpanStore store;
  if (!analysis_real_capture("dsb-hotel-reservation.jaeger.json", store)) {
    return;
  }
  const auto evidence = ti::analyze_traces(store);
  CHECK(evidence.counts.traces == 1000);
  CHECK(evidence.counts.cyclic_traces == 0);
  CHECK(evidence.counts.rootless_traces == 0);
  CHECK(evidence.counts.orphan_spans == 0);
  // The last 5 s of a 33 s capture are cut.
  CHECK(evidence.counts.cut_traces > 0);
  CHECK(evidence.counts.traces_kept + evidence.counts.cut_traces == 1000);

  const auto front = analysis_endpoint(evidence, "frontend", "http_get_hotels");
  const auto search = analysis_endpoint(evidence, "search", "search_search_nearby");
  const auto geo = analysis_endpoint(evidence, "geo", "geo_geo_nearby");
  const auto rate = analysis_endpoint(evidence, "rate", "rate_rate_getrates");
  const auto profile = analysis_endpoint(evidence, "profile", "profile_profile_getprofiles");
  const auto reservation =
      analysis_endpoint(evidence, "reservation", "reservation_reservation_checkavailability");
  CHECK(evidence.endpoints.size() == 6);
  const std::vector<std::pair<std::size_t, std::size_t>> edges{
      {front, search}, {search, geo}, {search, rate}, {front, profile}, {front, reservation}};
  std::size_t call_sites = 0;
  for (const auto& endpoint : evidence.endpoints) {
    call_sites += endpoint.calls.size();
  }
  CHECK(call_sites == edges.size());
  for (const auto& [caller, callee] : edges) {
    const auto* site = evidence.find_call(caller, callee);
    INFO(evidence.endpoints[caller].name << " -> " << evidence.endpoints[callee].name);
    REQUIRE(site != nullptr);
    CHECK(site->p == Approx(1));
    CHECK(site->times_max == 1);
    CHECK(site->network.size() == evidence.counts.traces_kept);
  }
  // The search comes first; each service ran as one pod.
  CHECK(evidence.endpoints[front].calls[0].callee == search);
  for (const auto& service : evidence.services) {
    CHECK(service.replicas == 1);
  }
  // 1000 traces sampled at 0.3 over 33 s: about 100 requests a second.
  REQUIRE(evidence.workloads.size() == 1);
  const auto& workload = evidence.workloads[0];
  CHECK(workload.endpoint == front);
  CHECK(workload.min_weight == Approx(1 / 0.3));
  REQUIRE(workload.rate_per_s);
  CHECK(*workload.rate_per_s == Approx(100).epsilon(0.1));
}

TEST_CASE("The media capture's kindless spans make a call graph", "[import]") {
  ti::SpanStore store;
  if (!analysis_real_capture("dsb-media-microservices.jaeger.json", store)) {
    return;
  }
  const auto evidence = ti::analyze_traces(store);
  const std::size_t traces = evidence.counts.traces_kept;
  CHECK(evidence.counts.traces == 1000);
  CHECK(evidence.counts.kindless_spans == 27 * traces);
  // No client spans: every call is a child invocation, without network time.
  for (const auto& endpoint : evidence.endpoints) {
    CHECK_FALSE(endpoint.external);
    for (const auto& site : endpoint.calls) {
      CHECK(site.calls_without_client_span == site.calls);
      CHECK(site.network.empty());
    }
  }
  // nginx calls four services at once; its root nested in itself is its own time.
  const auto nginx = analysis_endpoint(evidence, "nginx", "wrk2-api_review_compose");
  REQUIRE(evidence.endpoints[nginx].calls.size() == 4);
  for (const auto& site : evidence.endpoints[nginx].calls) {
    CHECK(site.p == Approx(1));
    CHECK(site.parallel);
  }
  // The three stores hang under whichever of compose-review-service's five
  // endpoints was called last: once per trace over the five.
  for (const char* store_name :
       {"review-storage-service", "user-review-service", "movie-review-service"}) {
    INFO(store_name);
    std::size_t callers = 0;
    std::size_t invocations = 0;
    for (std::size_t i = 0; i < evidence.endpoints.size(); ++i) {
      for (const auto& site : evidence.endpoints[i].calls) {
        if (evidence.endpoints[site.callee].service == store_name) {
          CHECK(evidence.endpoints[i].service == "compose-review-service");
          ++callers;
          invocations += site.invocations;
        }
      }
    }
    CHECK(callers == 5);
    CHECK(invocations == traces);
  }
  // Every request traced (a const sampler): 1000 in 10 s.
  REQUIRE(evidence.workloads.size() == 1);
  CHECK(evidence.workloads[0].endpoint == nginx);
  REQUIRE(evidence.workloads[0].rate_per_s);
  CHECK(*evidence.workloads[0].rate_per_s == Approx(100).epsilon(0.1));
}
