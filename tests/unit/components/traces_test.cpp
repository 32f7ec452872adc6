// The traces a run keeps (RunLimits::traces): which requests, and their spans.

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "support/simulate.hpp"

namespace stats = tailsim::stats;
using stats::Outcome;
using stats::SpanKind;

namespace {

stats::Results run_traced(const std::string& yaml, std::uint32_t traces) {
  tailsim::components::RunLimits limits;
  limits.traces = traces;
  return tailsim::testing::simulate_text(yaml, {}, limits);
}

/// Every trace is a tree: the root first, each parent before its children,
/// every child inside its trace's time, ids unique and never zero.
void check_tree(const stats::Trace& trace) {
  REQUIRE_FALSE(trace.spans.empty());
  CHECK((trace.trace_id_high | trace.trace_id_low) != 0);
  CHECK(trace.spans.front().parent_span_id == 0);
  std::set<std::uint64_t> seen;
  for (const auto& span : trace.spans) {
    CHECK(span.span_id != 0);
    CHECK(span.end_ns >= span.start_ns);
    if (&span != &trace.spans.front()) {
      CHECK(span.parent_span_id != 0);
      CHECK(seen.count(span.parent_span_id) == 1);  // the parent came first
    }
    CHECK(seen.insert(span.span_id).second);
  }
}

const char* const chain = R"y(version: 1
simulation: {duration: 10s, seed: 5}
network:
  links:
    - {between: [api, db], latency: 1ms}
services:
  api:
    replicas: 2
    endpoints: {get: [{cpu: 2ms}, {call: db.read}]}
  db:
    endpoints: {read: [{delay: exp(5ms)}]}
workloads:
  w: {entry: api.get, rate: 50/s}
)y";

}  // namespace

TEST_CASE("a traced call chain has the client, the server spans, the attempt and the phases",
          "[traces]") {
  const auto r = run_traced(chain, 10);
  REQUIRE(r.traces.size() == 10);
  std::map<std::string, int> why;
  for (const auto& trace : r.traces) {
    check_tree(trace);
    ++why[trace.why];
    CHECK(trace.path == "w");
    CHECK(trace.outcome == Outcome::ok);
    const auto& root = trace.spans.front();
    CHECK(root.kind == SpanKind::client);
    CHECK(root.end_ns - root.start_ns == trace.latency_ns);
    // root -> api server (cpu inside) -> api → db.read client -> db server (delay inside)
    REQUIRE(trace.spans.size() == 6);
    const auto& api = trace.spans[1];
    CHECK(api.kind == SpanKind::server);
    CHECK(api.service == "api");
    CHECK(api.endpoint == "get");
    CHECK((api.pod == "api-0" || api.pod == "api-1"));
    CHECK(api.parent_span_id == root.span_id);
    const auto& cpu = trace.spans[2];
    CHECK(cpu.name == "cpu");
    CHECK(cpu.end_ns - cpu.start_ns == 2'000'000);
    const auto& call = trace.spans[3];
    CHECK(call.kind == SpanKind::client);
    CHECK(call.name == "api → db.read");
    CHECK(call.attempt == 1);
    CHECK(call.parent_span_id == api.span_id);
    const auto& db = trace.spans[4];
    CHECK(db.kind == SpanKind::server);
    CHECK(db.parent_span_id == call.span_id);
    CHECK(db.start_ns - call.start_ns == 1'000'000);  // the link's latency
    CHECK(call.end_ns - db.end_ns == 1'000'000);
    CHECK(trace.spans[5].name == "delay");
  }
  // Half the sample is the slowest, and with no failure to show, the quarter
  // kept for failures too: 5 + 2. They are slower than any sampled one.
  CHECK(why["slowest"] == 7);
  CHECK(why["sampled"] == 3);
  std::int64_t slowest_min = std::numeric_limits<std::int64_t>::max();
  std::int64_t p50_like = 0;
  for (const auto& trace : r.traces) {
    if (trace.why == "slowest") {
      slowest_min = std::min(slowest_min, trace.latency_ns);
    } else {
      p50_like = std::max(p50_like, trace.latency_ns);
    }
  }
  CHECK(slowest_min >= p50_like);
}

TEST_CASE("trace ids follow from the seed: a rerun gives the same traces", "[traces]") {
  const auto a = run_traced(chain, 6);
  const auto b = run_traced(chain, 6);
  REQUIRE(a.traces.size() == b.traces.size());
  for (std::size_t i = 0; i < a.traces.size(); ++i) {
    CHECK(a.traces[i].trace_id_low == b.traces[i].trace_id_low);
    CHECK(a.traces[i].request == b.traces[i].request);
    CHECK(a.traces[i].spans.size() == b.traces[i].spans.size());
  }
  // Tracing changes nothing that was measured.
  const auto plain = tailsim::testing::simulate_text(chain);
  CHECK(plain.events == a.events);
  CHECK(plain.paths[0].latency.mean() == a.paths[0].latency.mean());
}

TEST_CASE("retries and failures are in the sample, each attempt a span with its outcome",
          "[traces]") {
  const auto r = run_traced(R"y(version: 1
simulation: {duration: 10s, seed: 2}
services:
  api:
    endpoints:
      get:
        - call: flaky.work
          timeout: 50ms
          retry: {attempts: 2, backoff: 10ms, multiplier: 1, jitter: none, on: [timeout]}
  flaky:
    endpoints: {work: [{delay: exp(40ms)}]}
workloads:
  w: {entry: api.get, rate: 20/s}
)y",
                            8);
  REQUIRE(r.traces.size() == 8);
  int failed = 0;
  int retried = 0;
  for (const auto& trace : r.traces) {
    check_tree(trace);
    failed += trace.why == "failed" ? 1 : 0;
    CHECK((trace.why != "failed" || trace.outcome != Outcome::ok));
    bool saw_second = false;
    for (const auto& span : trace.spans) {
      if (span.kind == SpanKind::client && span.attempt == 2) {
        saw_second = true;
      }
      if (span.name == "backoff") {
        CHECK(span.end_ns - span.start_ns == 10'000'000);
        // The caller waits: the span is api's, on the pod that made the call.
        CHECK(span.service == "api");
        CHECK(span.pod == "api-0");
      }
    }
    retried += saw_second ? 1 : 0;
  }
  CHECK(failed == 2);  // a quarter of the sample
  CHECK(retried > 0);
}
