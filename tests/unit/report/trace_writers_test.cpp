#include "tailsim/report/trace_writers.hpp"

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "unit/report/trace_writers_dom.hpp"

namespace {

using nlohmann::json;
using tailsim::report::to_chrome_trace;
using tailsim::report::to_jaeger_json;
using tailsim::report::to_otlp_json;
using tailsim::stats::Outcome;
using tailsim::stats::Results;
using tailsim::stats::Span;
using tailsim::stats::SpanKind;
using tailsim::stats::Trace;

constexpr std::int64_t us = 1'000;
constexpr std::int64_t trace_ms = 1'000'000;
constexpr std::int64_t epoch_ns = tailsim::report::default_epoch_unix_ns;

/// Builds a trace span by span, giving each the next id.
class TraceBuilder {
 public:
  TraceBuilder(std::string path, std::uint64_t id_high, std::uint64_t id_low) {
    trace_.path = std::move(path);
    trace_.trace_id_high = id_high;
    trace_.trace_id_low = id_low;
  }

  /// Adds `span` under `parent` (0 for the root) and returns its id.
  std::uint64_t add(std::uint64_t parent, Span span) {
    // Ids far apart, with letters in their hex form, so lowercase and
    // zero-padding both show.
    span.span_id = 0xa0'0000'0000'0000ULL + 0x1b * (trace_.spans.size() + 1);
    span.parent_span_id = parent;
    trace_.spans.push_back(std::move(span));
    return trace_.spans.back().span_id;
  }

  Trace done(std::uint64_t request, Outcome outcome, std::string why) {
    trace_.request = request;
    trace_.outcome = outcome;
    trace_.why = std::move(why);
    trace_.latency_ns = trace_.spans.front().end_ns - trace_.spans.front().start_ns;
    return trace_;
  }

 private:
  Trace trace_;
};

Span make_span(SpanKind kind, std::string name, std::string service, std::string endpoint,
               std::string pod, std::int64_t start, std::int64_t end) {
  Span s;
  s.kind = kind;
  s.name = std::move(name);
  s.service = std::move(service);
  s.endpoint = std::move(endpoint);
  s.pod = std::move(pod);
  s.start_ns = start;
  s.end_ns = end;
  return s;
}

/// A call attempt as its caller saw it.
Span client(std::string name, std::string service, std::int64_t start, std::int64_t end,
            Outcome outcome = Outcome::ok, std::uint32_t attempt = 1, bool is_hedge = false) {
  Span s = make_span(SpanKind::client, std::move(name), std::move(service), "", "", start, end);
  s.outcome = outcome;
  s.attempt = attempt;
  s.is_hedge = is_hedge;
  return s;
}

/// A call attempt as the service served it (no pod: an external service).
Span server(std::string service, const std::string& endpoint, std::string pod, std::int64_t start,
            std::int64_t end, Outcome outcome = Outcome::ok, std::uint32_t attempt = 1,
            bool is_hedge = false) {
  Span s = make_span(SpanKind::server, endpoint, std::move(service), endpoint, std::move(pod),
                     start, end);
  s.outcome = outcome;
  s.attempt = attempt;
  s.is_hedge = is_hedge;
  return s;
}

/// A checkout that went through everything at once: a parallel fan-out
/// whose calls overlap without nesting, a call retried after its first
/// attempt timed out (the callee kept working past the timeout), a hedged
/// call whose copy overlaps the first attempt, and an external service.
Trace slow_checkout() {
  TraceBuilder b("checkout", 0xfedcba9876543210ULL, 0x0123456789abcdefULL);
  const std::int64_t t = 5'000 * trace_ms + 123;  // sub-microsecond on purpose
  const auto root = b.add(0, client("checkout", "checkout", t, t + 500 * trace_ms));
  const auto fe = b.add(
      root, server("frontend", "checkout", "frontend-1", t + 1 * trace_ms, t + 499 * trace_ms));
  b.add(fe, make_span(SpanKind::internal, "queue", "frontend", "checkout", "frontend-1",
                      t + 1 * trace_ms, t + 2 * trace_ms));
  b.add(fe, make_span(SpanKind::internal, "cpu", "frontend", "checkout", "frontend-1",
                      t + 2 * trace_ms, t + 4 * trace_ms));
  // parallel: quote [4, 30], reserve [5, 40]: they overlap, neither holds the other
  const auto quote = b.add(
      fe, client("frontend → pricing.quote", "frontend", t + 4 * trace_ms, t + 30 * trace_ms));
  b.add(quote, server("pricing", "quote", "pricing-0", t + 5 * trace_ms, t + 29 * trace_ms));
  const auto reserve = b.add(
      fe, client("frontend → inventory.reserve", "frontend", t + 5 * trace_ms, t + 40 * trace_ms));
  b.add(reserve,
        server("inventory", "reserve", "inventory-2", t + 6 * trace_ms, t + 39 * trace_ms));
  // retried: attempt 1 times out at 340 while payments works until 360
  const auto first = b.add(fe, client("frontend → payments.charge", "frontend", t + 40 * trace_ms,
                                      t + 340 * trace_ms, Outcome::timeout, 1));
  const auto charge1 = b.add(first, server("payments", "charge", "payments-0", t + 41 * trace_ms,
                                           t + 360 * trace_ms, Outcome::ok, 1));
  b.add(charge1,
        client("payments → bank-api.authorize", "payments", t + 42 * trace_ms, t + 355 * trace_ms));
  b.add(fe, make_span(SpanKind::internal, "backoff", "frontend", "", "frontend-1",
                      t + 340 * trace_ms, t + 365 * trace_ms));
  const auto second = b.add(fe, client("frontend → payments.charge", "frontend", t + 365 * trace_ms,
                                       t + 420 * trace_ms, Outcome::ok, 2));
  const auto charge2 = b.add(second, server("payments", "charge", "payments-1", t + 366 * trace_ms,
                                            t + 419 * trace_ms, Outcome::ok, 2));
  const auto bank = b.add(charge2, client("payments → bank-api.authorize", "payments",
                                          t + 367 * trace_ms, t + 418 * trace_ms));
  b.add(bank, server("bank-api", "authorize", "", t + 368 * trace_ms, t + 417 * trace_ms));
  // hedged: the copy leaves at 470, the first attempt answers at 480
  const auto get =
      b.add(fe, client("frontend → cart.get", "frontend", t + 420 * trace_ms, t + 480 * trace_ms));
  b.add(get, server("cart", "get", "cart-0", t + 421 * trace_ms, t + 479 * trace_ms));
  const auto hedge = b.add(fe, client("frontend → cart.get", "frontend", t + 470 * trace_ms,
                                      t + 490 * trace_ms, Outcome::ok, 1, /*is_hedge=*/true));
  b.add(hedge,
        server("cart", "get", "cart-1", t + 471 * trace_ms, t + 489 * trace_ms, Outcome::ok, 1,
               /*is_hedge=*/true));
  return b.done(4217, Outcome::ok, "slowest");
}

/// A checkout that failed: payments was unavailable. It had published a
/// message first, consumed after the request had ended.
Trace failed_checkout() {
  TraceBuilder b("checkout", 0, 0x00000000000000a1ULL);  // zero padding shows
  const std::int64_t t = 9'000 * trace_ms;
  const auto root =
      b.add(0, client("checkout", "checkout", t, t + 20 * trace_ms, Outcome::unavailable));
  const auto fe = b.add(root, server("frontend", "checkout", "frontend-0", t + 1 * trace_ms,
                                     t + 19 * trace_ms, Outcome::unavailable));
  const auto publish =
      b.add(fe, make_span(SpanKind::producer, "publish orders", "frontend", "checkout",
                          "frontend-0", t + 2 * trace_ms, t + 3 * trace_ms));
  b.add(publish, make_span(SpanKind::consumer, "process", "fulfillment", "process", "fulfillment-0",
                           t + 50 * trace_ms, t + 80 * trace_ms));
  b.add(fe, client("frontend → payments.charge", "frontend", t + 3 * trace_ms, t + 18 * trace_ms,
                   Outcome::unavailable));
  return b.done(9001, Outcome::unavailable, "failed");
}

/// A short request of another path, with spans shorter than a microsecond.
Trace quick_browse() {
  TraceBuilder b("browse", 0x1111111111111111ULL, 0x2222222222222222ULL);
  const auto root = b.add(0, client("browse", "browse", 1'999, 9'500));
  b.add(root, server("frontend", "browse", "frontend-0", 1'999, 2'399));
  b.add(root, server("frontend", "browse", "frontend-1", 2'400, 2'401));
  return b.done(3, Outcome::ok, "sampled");
}

Results traced_sample() {
  Results r;
  r.model = "shop";
  r.seed = 42;
  r.traces = {quick_browse(), slow_checkout(), failed_checkout()};
  return r;
}

/// The source span of each (trace id, span id) the writers should emit.
std::map<std::pair<std::string, std::string>, const Span*> spans_by_id(const Results& r) {
  std::map<std::pair<std::string, std::string>, const Span*> out;
  for (const Trace& t : r.traces) {
    const std::string trace_id = fmt::format("{:016x}{:016x}", t.trace_id_high, t.trace_id_low);
    for (const Span& s : t.spans) {
      out[{trace_id, fmt::format("{:016x}", s.span_id)}] = &s;
    }
  }
  return out;
}

std::size_t span_count(const Results& r) {
  std::size_t n = 0;
  for (const Trace& t : r.traces) {
    n += t.spans.size();
  }
  return n;
}

void require_hex_id(const json& id, std::size_t length) {
  INFO(id.dump());
  REQUIRE(id.is_string());
  const auto text = id.get<std::string>();
  REQUIRE(text.size() == length);
  REQUIRE(text.find_first_not_of("0123456789abcdef") == std::string::npos);
  REQUIRE(text.find_first_not_of('0') != std::string::npos);
}

bool is_failed(const Span& s) {
  return s.outcome != Outcome::ok;
}

/// The outcomes as every format spells them.
const std::map<Outcome, std::string> outcome_words{{Outcome::ok, "ok"},
                                                   {Outcome::timeout, "timeout"},
                                                   {Outcome::rejected, "rejected"},
                                                   {Outcome::error, "error"},
                                                   {Outcome::unavailable, "unavailable"},
                                                   {Outcome::unfinished, "unfinished"}};

std::string outcome_word(Outcome o) {
  return outcome_words.at(o);
}

// ---------------------------------------------------------------------------
// OTLP/JSON

/// opentelemetry-proto trace.proto, enum SpanKind.
const std::map<SpanKind, int> otlp_kinds{{SpanKind::internal, 1},
                                         {SpanKind::server, 2},
                                         {SpanKind::client, 3},
                                         {SpanKind::producer, 4},
                                         {SpanKind::consumer, 5}};

/// An OTLP attribute list as key -> AnyValue.
std::map<std::string, json> otlp_attributes(const json& list) {
  REQUIRE(list.is_array());
  std::map<std::string, json> out;
  for (const json& a : list) {
    REQUIRE(a.at("key").is_string());
    REQUIRE(a.at("value").is_object());
    REQUIRE(a.at("value").size() == 1);
    REQUIRE(out.emplace(a.at("key").get<std::string>(), a.at("value")).second);
  }
  return out;
}

TEST_CASE("OTLP/JSON: every span once, under its service, ids and times by the spec",
          "[report][traces]") {
  const Results r = traced_sample();
  const auto source = spans_by_id(r);
  const json doc = json::parse(to_otlp_json(r));
  REQUIRE(doc.is_object());
  REQUIRE(doc.size() == 1);
  const json& resources = doc.at("resourceSpans");
  REQUIRE(resources.is_array());

  std::set<std::string> services;
  std::set<std::pair<std::string, std::string>> resources_seen;
  std::map<std::pair<std::string, std::string>, bool> seen;  // -> is a root
  std::vector<std::pair<std::string, std::string>> parents;  // (trace, parent span) to resolve
  for (const json& resource : resources) {
    const auto resource_attributes = otlp_attributes(resource.at("resource").at("attributes"));
    const std::string service = resource_attributes.at("service.name").at("stringValue");
    const std::string pod =
        resource_attributes.count("k8s.pod.name") != 0
            ? resource_attributes.at("k8s.pod.name").at("stringValue").get<std::string>()
            : std::string();
    services.insert(service);
    REQUIRE(resources_seen.emplace(service, pod).second);  // one resourceSpans per service and pod
    REQUIRE(resource.at("scopeSpans").size() == 1);
    const json& scope = resource.at("scopeSpans").at(0);
    CHECK(scope.at("scope") == json({{"name", "tailsim"}, {"version", TAILSIM_VERSION}}));
    for (const json& span : scope.at("spans")) {
      INFO(span.dump());
      require_hex_id(span.at("traceId"), 32);
      require_hex_id(span.at("spanId"), 16);
      const std::pair key{span.at("traceId").get<std::string>(),
                          span.at("spanId").get<std::string>()};
      REQUIRE(source.count(key) == 1);
      const Span& s = *source.at(key);
      const bool is_root = !span.contains("parentSpanId");
      REQUIRE(seen.emplace(key, is_root).second);
      CHECK(is_root == (s.parent_span_id == 0));
      if (!is_root) {
        require_hex_id(span.at("parentSpanId"), 16);
        parents.emplace_back(key.first, span.at("parentSpanId").get<std::string>());
      }
      CHECK(service == s.service);
      CHECK(pod == s.pod);
      CHECK(span.at("name") == s.name);
      CHECK(span.at("kind") == otlp_kinds.at(s.kind));
      CHECK(span.at("startTimeUnixNano") == std::to_string(epoch_ns + s.start_ns));
      CHECK(span.at("endTimeUnixNano") == std::to_string(epoch_ns + s.end_ns));

      const auto attributes = otlp_attributes(span.at("attributes"));
      CHECK(attributes.at("tailsim.attempt") == json({{"intValue", std::to_string(s.attempt)}}));
      CHECK(attributes.at("tailsim.hedge") == json({{"boolValue", s.is_hedge}}));
      CHECK(attributes.at("tailsim.outcome") == json({{"stringValue", outcome_word(s.outcome)}}));
      CHECK(attributes.count("tailsim.path") == 1);
      CHECK(attributes.count("tailsim.pod") == (s.pod.empty() ? 0 : 1));
      if (!s.pod.empty()) {
        CHECK(attributes.at("tailsim.pod") == json({{"stringValue", s.pod}}));
      }
      CHECK(attributes.count("tailsim.endpoint") == (s.endpoint.empty() ? 0 : 1));
      CHECK(attributes.count("tailsim.kept_because") == (is_root ? 1 : 0));
      // OpenTelemetry's names for what a span serves or calls.
      if (s.kind == SpanKind::server && !s.endpoint.empty()) {
        CHECK(attributes.at("rpc.method") == json({{"stringValue", s.endpoint}}));
      } else if (s.kind == SpanKind::client && s.endpoint.find('.') != std::string::npos) {
        const auto dot = s.endpoint.find('.');
        CHECK(attributes.at("peer.service") == json({{"stringValue", s.endpoint.substr(0, dot)}}));
        CHECK(attributes.at("rpc.method") == json({{"stringValue", s.endpoint.substr(dot + 1)}}));
      } else {
        CHECK(attributes.count("rpc.method") == 0);
      }

      const json& status = span.at("status");
      if (is_failed(s)) {
        CHECK(status == json({{"code", 2}, {"message", outcome_word(s.outcome)}}));
      } else {
        CHECK(status == json({{"code", 1}}));
      }
    }
  }
  CHECK(seen.size() == span_count(r));
  for (const auto& parent : parents) {
    INFO(parent.first << " " << parent.second);
    CHECK(seen.count(parent) == 1);  // same trace id, a span of it
  }
  CHECK(services == std::set<std::string>{"bank-api", "browse", "cart", "checkout", "frontend",
                                          "fulfillment", "inventory", "payments", "pricing"});
}

TEST_CASE("OTLP/JSON: the root carries the request's path, number and why it was kept",
          "[report][traces]") {
  Results r;
  r.traces = {failed_checkout()};
  const json doc = json::parse(to_otlp_json(r));
  for (const json& resource : doc.at("resourceSpans")) {
    for (const json& span : resource.at("scopeSpans").at(0).at("spans")) {
      if (!span.contains("parentSpanId")) {
        const auto attributes = otlp_attributes(span.at("attributes"));
        CHECK(attributes.at("tailsim.path") == json({{"stringValue", "checkout"}}));
        CHECK(attributes.at("tailsim.request") == json({{"intValue", "9001"}}));
        CHECK(attributes.at("tailsim.kept_because") == json({{"stringValue", "failed"}}));
        CHECK(span.at("traceId") == "000000000000000000000000000000a1");
        return;
      }
    }
  }
  FAIL("no root span");
}

// ---------------------------------------------------------------------------
// Jaeger

/// A Jaeger tag list as key -> (type, value).
std::map<std::string, std::pair<std::string, json>> jaeger_tags(const json& list) {
  REQUIRE(list.is_array());
  std::map<std::string, std::pair<std::string, json>> out;
  for (const json& tag : list) {
    REQUIRE(tag.size() == 3);
    REQUIRE(out.emplace(tag.at("key").get<std::string>(),
                        std::pair{tag.at("type").get<std::string>(), tag.at("value")})
                .second);
  }
  return out;
}

std::int64_t floor_us(std::int64_t ns) {
  return ns / us;
}  // ns >= 0 here

TEST_CASE("Jaeger JSON: a data entry per trace, references and processes resolve",
          "[report][traces]") {
  const Results r = traced_sample();
  const auto source = spans_by_id(r);
  const json doc = json::parse(to_jaeger_json(r));
  REQUIRE(doc.size() == 5);
  CHECK(doc.at("total") == 0);
  CHECK(doc.at("limit") == 0);
  CHECK(doc.at("offset") == 0);
  CHECK(doc.at("errors").is_null());
  const json& data = doc.at("data");
  REQUIRE(data.size() == r.traces.size());

  std::size_t spans_seen = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const json& trace = data.at(i);
    REQUIRE(trace.size() == 4);
    require_hex_id(trace.at("traceID"), 32);
    CHECK(trace.at("warnings").is_null());
    const std::string trace_id = trace.at("traceID");
    const json& processes = trace.at("processes");
    REQUIRE(processes.is_object());
    std::set<std::string> span_ids;
    for (const json& span : trace.at("spans")) {
      span_ids.insert(span.at("spanID").get<std::string>());
    }
    std::set<std::string> processes_used;
    std::size_t roots = 0;
    for (const json& span : trace.at("spans")) {
      INFO(span.dump());
      REQUIRE(span.size() == 11);
      CHECK(span.at("traceID") == trace_id);
      require_hex_id(span.at("spanID"), 16);
      const Span& s = *source.at({trace_id, span.at("spanID").get<std::string>()});
      CHECK(span.at("flags") == 1);
      CHECK(span.at("operationName") == s.name);
      CHECK(span.at("logs") == json::array());
      CHECK(span.at("warnings").is_null());

      const json& references = span.at("references");
      REQUIRE(references.is_array());
      if (s.parent_span_id == 0) {
        ++roots;
        CHECK(references.empty());
      } else {
        REQUIRE(references.size() == 1);
        const json& ref = references.at(0);
        CHECK(ref.at("refType") == (s.kind == SpanKind::consumer ? "FOLLOWS_FROM" : "CHILD_OF"));
        CHECK(ref.at("traceID") == trace_id);
        CHECK(span_ids.count(ref.at("spanID").get<std::string>()) == 1);
        CHECK(ref.at("spanID") == fmt::format("{:016x}", s.parent_span_id));
      }

      // microseconds since the Unix epoch, both ends rounded down
      REQUIRE(span.at("startTime").is_number_integer());
      REQUIRE(span.at("duration").is_number_integer());
      CHECK(span.at("startTime") == floor_us(epoch_ns + s.start_ns));
      CHECK(span.at("duration") == floor_us(epoch_ns + s.end_ns) - floor_us(epoch_ns + s.start_ns));

      const auto tags = jaeger_tags(span.at("tags"));
      CHECK(tags.at("span.kind").first == "string");
      CHECK(tags.count("error") == (is_failed(s) ? 1 : 0));
      if (is_failed(s)) {
        CHECK(tags.at("error") == std::pair<std::string, json>{"bool", true});
      }
      CHECK(tags.at("tailsim.attempt") == std::pair<std::string, json>{"int64", s.attempt});
      CHECK(tags.at("tailsim.hedge") == std::pair<std::string, json>{"bool", s.is_hedge});
      CHECK(tags.at("tailsim.outcome") ==
            std::pair<std::string, json>{"string", outcome_word(s.outcome)});
      CHECK(tags.count("tailsim.pod") == (s.pod.empty() ? 0 : 1));
      CHECK(tags.count("tailsim.endpoint") == (s.endpoint.empty() ? 0 : 1));

      const std::string process = span.at("processID");
      REQUIRE(processes.contains(process));
      CHECK(processes.at(process).at("serviceName") == s.service);
      if (s.pod.empty()) {
        CHECK(processes.at(process).at("tags") == json::array());
      } else {
        CHECK(processes.at(process).at("tags") ==
              json::array({{{"key", "k8s.pod.name"}, {"type", "string"}, {"value", s.pod}}}));
      }
      processes_used.insert(process);
      ++spans_seen;
    }
    CHECK(roots == 1);
    CHECK(processes_used.size() == processes.size());  // no process left unused
  }
  CHECK(spans_seen == span_count(r));
}

TEST_CASE("Jaeger JSON: span kinds and the error tag", "[report][traces]") {
  Results r;
  r.traces = {failed_checkout()};
  const json doc = json::parse(to_jaeger_json(r));
  std::multiset<std::string> kinds;
  std::size_t errors = 0;
  for (const json& span : doc.at("data").at(0).at("spans")) {
    const auto tags = jaeger_tags(span.at("tags"));
    kinds.insert(tags.at("span.kind").second.get<std::string>());
    errors += tags.count("error");
  }
  CHECK(kinds == std::multiset<std::string>{"client", "client", "consumer", "producer", "server"});
  CHECK(errors == 3);  // the request, frontend and the unavailable call
}

// ---------------------------------------------------------------------------
// Chrome trace

/// Any two complete events of one (pid, tid) are disjoint or nested:
/// Perfetto draws nothing else right.
void require_perfect_nesting(const json& events) {
  std::map<std::pair<int, int>, std::vector<std::pair<std::int64_t, std::int64_t>>> threads;
  for (const json& e : events) {
    if (e.at("ph") == "X") {
      const std::int64_t ts = e.at("ts");
      threads[{e.at("pid").get<int>(), e.at("tid").get<int>()}].emplace_back(
          ts, ts + e.at("dur").get<std::int64_t>());
    }
  }
  for (const auto& [thread, intervals] : threads) {
    for (std::size_t i = 0; i < intervals.size(); ++i) {
      for (std::size_t j = i + 1; j < intervals.size(); ++j) {
        const auto [a0, a1] = intervals[i];
        const auto [b0, b1] = intervals[j];
        const bool disjoint = a1 <= b0 || b1 <= a0;
        const bool nested = (a0 <= b0 && b1 <= a1) || (b0 <= a0 && a1 <= b1);
        INFO("pid " << thread.first << " tid " << thread.second << ": [" << a0 << ", " << a1
                    << "] and [" << b0 << ", " << b1 << "]");
        REQUIRE((disjoint || nested));
      }
    }
  }
}

std::size_t lanes_of(const json& events, int pid) {
  std::set<int> tids;
  for (const json& e : events) {
    if (e.at("ph") == "X" && e.at("pid") == pid) {
      tids.insert(e.at("tid").get<int>());
    }
  }
  return tids.size();
}

TEST_CASE("Chrome trace: a process per trace, complete events in microseconds, named lanes",
          "[report][traces]") {
  const Results r = traced_sample();
  const json doc = json::parse(to_chrome_trace(r));
  REQUIRE(doc.size() == 3);
  CHECK(doc.at("displayTimeUnit") == "ms");
  CHECK(doc.at("otherData").at("model") == "shop");
  CHECK(doc.at("otherData").at("seed") == "42");
  CHECK(doc.at("otherData").at("epoch") == "2000-01-01T00:00:00Z");
  const json& events = doc.at("traceEvents");
  REQUIRE(events.is_array());

  std::set<int> named_processes;
  std::set<std::pair<int, int>> named_threads;
  std::map<std::pair<int, std::string>, int> x_events;  // (pid, span id) -> count
  for (const json& e : events) {
    INFO(e.dump());
    const std::string ph = e.at("ph");
    if (ph == "M") {
      const std::string name = e.at("name");
      if (name == "process_name") {
        named_processes.insert(e.at("pid").get<int>());
        CHECK(e.at("args").at("name").is_string());
      } else if (name == "thread_name") {
        named_threads.insert({e.at("pid").get<int>(), e.at("tid").get<int>()});
      } else {
        CHECK((name == "process_sort_index" || name == "thread_sort_index"));
      }
      continue;
    }
    REQUIRE(ph == "X");
    REQUIRE(e.size() == 8);
    CHECK(e.at("name").is_string());
    REQUIRE(e.at("ts").is_number_integer());
    REQUIRE(e.at("dur").is_number_integer());
    CHECK(e.at("dur").get<std::int64_t>() >= 0);
    CHECK(named_processes.count(e.at("pid")) == 1);  // metadata comes first
    CHECK(named_threads.count({e.at("pid").get<int>(), e.at("tid").get<int>()}) == 1);
    const json& args = e.at("args");
    for (const char* key : {"service", "path", "attempt", "hedge", "outcome", "span_id"}) {
      CHECK(args.contains(key));
    }
    ++x_events[{e.at("pid").get<int>(), args.at("span_id").get<std::string>()}];
  }
  CHECK(named_processes == std::set<int>{1, 2, 3});
  CHECK(x_events.size() == span_count(r));
  for (const auto& [span, count] : x_events) {
    CHECK(count == 1);
  }
  require_perfect_nesting(events);
}

TEST_CASE("Chrome trace: times are microseconds since the run began, ends rounded down",
          "[report][traces]") {
  Results r;
  r.traces = {quick_browse()};
  const json doc = json::parse(to_chrome_trace(r));
  std::vector<std::pair<std::int64_t, std::int64_t>> times;  // (ts, dur) in span order
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> by_id;
  for (const json& e : doc.at("traceEvents")) {
    if (e.at("ph") == "X") {
      by_id[e.at("args").at("span_id").get<std::string>()] = {e.at("ts").get<std::int64_t>(),
                                                              e.at("dur").get<std::int64_t>()};
    }
  }
  for (const Span& s : r.traces[0].spans) {
    times.push_back(by_id.at(fmt::format("{:016x}", s.span_id)));
  }
  // [1999, 9500] ns, [1999, 2399] ns, [2400, 2401] ns
  CHECK(times == std::vector<std::pair<std::int64_t, std::int64_t>>{{1, 8}, {1, 1}, {2, 0}});
}

TEST_CASE("Chrome trace: children share their parent's lane unless they overlap a sibling",
          "[report][traces]") {
  TraceBuilder chain("chain", 1, 1);
  auto parent = chain.add(0, client("a", "a", 0, 100 * us));
  for (int depth = 1; depth < 6; ++depth) {
    parent = chain.add(parent, server("s", "e", "s-0", depth * us, (100 - depth) * us));
  }
  TraceBuilder fan("fan", 1, 2);
  const auto root = fan.add(0, client("a", "a", 0, 100 * us));
  fan.add(root, client("x", "a", 10 * us, 50 * us));
  const auto y = fan.add(root, client("y", "a", 20 * us, 60 * us));  // overlaps x: a second lane
  // y's child would also fit inside x, on the first lane, where it would
  // read as x's child
  fan.add(y, client("y1", "a", 25 * us, 40 * us));
  fan.add(root, client("z", "a", 60 * us, 90 * us));  // after both: the first lane again

  Results r;
  r.traces = {chain.done(0, Outcome::ok, "sampled"), fan.done(0, Outcome::ok, "sampled")};
  const json events = json::parse(to_chrome_trace(r)).at("traceEvents");
  CHECK(lanes_of(events, 1) == 1);
  CHECK(lanes_of(events, 2) == 2);
  std::map<std::string, int> tid_of;
  for (const json& e : events) {
    if (e.at("ph") == "X" && e.at("pid") == 2) {
      tid_of[e.at("name").get<std::string>()] = e.at("tid").get<int>();
    }
  }
  CHECK(tid_of.at("y1") == tid_of.at("y"));
  CHECK(tid_of.at("y") != tid_of.at("x"));
  CHECK(tid_of.at("z") == tid_of.at("a"));
  require_perfect_nesting(events);
}

/// Random call trees where children start anywhere inside their parent and
/// a fifth of them outlive it (work a caller abandoned), at nanosecond
/// times that round to the same microsecond.
Results random_traces(std::uint64_t seed, int traces) {
  std::mt19937_64 random(seed);
  Results r;
  for (int t = 0; t < traces; ++t) {
    TraceBuilder b("random", 7, static_cast<std::uint64_t>(t) + 1);
    std::vector<std::pair<std::int64_t, std::int64_t>> at{{0, 500 * us}};
    b.add(0, client("root", "w", 0, 500 * us));
    const int spans = 2 + static_cast<int>(random() % 120);
    for (int i = 1; i < spans; ++i) {
      const std::size_t parent = random() % at.size();
      const auto [p0, p1] = at[parent];
      const std::int64_t start = p0 + static_cast<std::int64_t>(random() % (p1 - p0 + 1));
      const bool outlives = random() % 5 == 0;
      const std::int64_t limit = outlives ? p1 + 200 * us : p1;
      const std::int64_t end = start + static_cast<std::int64_t>(random() % (limit - start + 1));
      at.emplace_back(start, end);
      b.add(0xa0'0000'0000'0000ULL + 0x1b * (parent + 1),
            server("s" + std::to_string(i % 4), "e", "p", start, end));
    }
    r.traces.push_back(b.done(static_cast<std::uint64_t>(t), Outcome::ok, "sampled"));
  }
  return r;
}

TEST_CASE("Chrome trace: events nest per thread for any overlap of spans", "[report][traces]") {
  // The property must hold for every one of the random trees.
  const Results r = random_traces(20240611, 40);
  const json events = json::parse(to_chrome_trace(r)).at("traceEvents");
  std::size_t x_events = 0;
  for (const json& e : events) {
    x_events += e.at("ph") == "X" ? 1 : 0;
  }
  CHECK(x_events == span_count(r));
  require_perfect_nesting(events);
}

// ---------------------------------------------------------------------------
// All formats

TEST_CASE("trace files: the same results give the same bytes", "[report][traces]") {
  const Results r = traced_sample();
  CHECK(to_otlp_json(r) == to_otlp_json(traced_sample()));
  CHECK(to_jaeger_json(r) == to_jaeger_json(traced_sample()));
  CHECK(to_chrome_trace(r) == to_chrome_trace(traced_sample()));
}

TEST_CASE("trace files: no traces make valid, empty documents", "[report][traces]") {
  const Results r;
  CHECK(json::parse(to_otlp_json(r)) == json({{"resourceSpans", json::array()}}));
  const json jaeger = json::parse(to_jaeger_json(r));
  CHECK(jaeger.at("data") == json::array());
  const json chrome = json::parse(to_chrome_trace(r));
  CHECK(chrome.at("traceEvents") == json::array());
}

// ---------------------------------------------------------------------------
// The streaming writers against the tree-building ones they replaced

/// A trace whose every name is awkward for JSON: quotes, backslashes,
/// control characters, DEL, non-ASCII text, and bytes that are not UTF-8
/// (a stray continuation byte, a sequence cut short by another byte or by
/// the end, an overlong form, a surrogate, a code point above U+10FFFF).
Trace awkward_trace() {
  TraceBuilder b("check\"out\\ \x01\x1f\x7f", 0xffffffffffffffffULL, 1);
  const auto root =
      b.add(0, client("root \"quoted\"\n\t\r\b\f", "w\\", 0, 10 * trace_ms, Outcome::error));
  const auto fe =
      b.add(root, server("caf\xc3\xa9 \xe2\x86\x92 \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x9a\x80",
                         "end\x80point", "pod\t\"1\"", 1 * trace_ms, 9 * trace_ms, Outcome::timeout,
                         3, true));
  // Client spans name their callee as service.endpoint (peer.service, rpc.method).
  Span cut = client("call \xe2\x82", "caf\xc3\xa9", 2 * trace_ms, 3 * trace_ms, Outcome::rejected);
  cut.endpoint = "svc\xc0\xaf.ep\xed\xa0\x80";
  b.add(fe, cut);
  Span high = client("\xf4\x90\x80\x80 \xf5 \xff\xfe", "caf\xc3\xa9", 3 * trace_ms, 4 * trace_ms);
  high.endpoint = "quote\".dot\\.x\x7f";
  b.add(fe, high);
  b.add(fe, make_span(SpanKind::consumer, std::string("nul\0byte", 8), "q\xe2\x82", "\xf0\x9f\x9a",
                      "p\xf0\x9f", 5 * trace_ms, 4 * trace_ms));
  return b.done(~std::uint64_t{0}, Outcome::error, "slowest \xe2\x82\xac \xe2\x82");
}

void require_same_as_dom(const Results& r) {
  CHECK(to_otlp_json(r) == trace_writers_dom::to_otlp_json(r));
  CHECK(to_jaeger_json(r) == trace_writers_dom::to_jaeger_json(r));
  CHECK(to_chrome_trace(r) == trace_writers_dom::to_chrome_trace(r));
}

TEST_CASE("trace files: --epoch moves OTLP and Jaeger times, the Chrome trace names it",
          "[report][traces]") {
  const Results r = traced_sample();
  constexpr std::int64_t epoch = 1'767'225'600'250'000'000;  // 2026-01-01T00:00:00.25Z
  const json otlp = json::parse(to_otlp_json(r, epoch));
  const json& first = otlp.at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans").at(0);
  const json at_default = json::parse(to_otlp_json(r))
                              .at("resourceSpans")
                              .at(0)
                              .at("scopeSpans")
                              .at(0)
                              .at("spans")
                              .at(0);
  CHECK(std::stoll(first.at("startTimeUnixNano").get<std::string>()) -
            std::stoll(at_default.at("startTimeUnixNano").get<std::string>()) ==
        epoch - epoch_ns);
  const json jaeger = json::parse(to_jaeger_json(r, epoch)).at("data").at(0).at("spans").at(0);
  const json jaeger_default = json::parse(to_jaeger_json(r)).at("data").at(0).at("spans").at(0);
  CHECK(jaeger.at("startTime").get<std::int64_t>() -
            jaeger_default.at("startTime").get<std::int64_t>() ==
        (epoch - epoch_ns) / us);
  const json chrome = json::parse(to_chrome_trace(r, epoch));
  CHECK(chrome.at("otherData").at("epoch") == "2026-01-01T00:00:00.25Z");
  CHECK(chrome.at("traceEvents") == json::parse(to_chrome_trace(r)).at("traceEvents"));
}

TEST_CASE("trace files: the same bytes as the tree-building writers", "[report][traces]") {
  SECTION("the traced sample") {
    require_same_as_dom(traced_sample());
  }
  SECTION("no traces") {
    require_same_as_dom(Results{});
  }
  SECTION("random call trees") {
    require_same_as_dom(random_traces(7, 25));
  }
  SECTION("awkward strings in every name") {
    Results r = traced_sample();
    r.model = "shop \"\xff\" \xe2\x82";
    r.seed = ~std::uint64_t{0};
    r.traces.push_back(awkward_trace());
    require_same_as_dom(r);
    // The bytes that are not UTF-8 were replaced: every file is valid JSON.
    CHECK_NOTHROW(json::parse(to_otlp_json(r)));
    CHECK_NOTHROW(json::parse(to_jaeger_json(r)));
    const json chrome = json::parse(to_chrome_trace(r));
    CHECK(chrome.at("otherData").at("model") == "shop \"\xef\xbf\xbd\" \xef\xbf\xbd");
  }
}

}  // namespace
