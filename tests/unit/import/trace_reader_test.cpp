#include "tailsim/import/trace_reader.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
namespace ti = tailsim::import;

namespace {

const fs::path data_dir = fs::path(TAILSIM_TESTS_DIR) / "import" / "data";

/// A folder of this test's own.
class TraceFolder : public tailsim::testing::TempDir {
 public:
  explicit TraceFolder(const std::string& name) : TempDir("trace_reader_test_" + name) {}
  [[nodiscard]] const fs::path& root() const { return path(); }
};

/// The store made of one file with `content`.
ti::SpanStore read_text(const std::string& content, const std::string& name = "t.json") {
  const TraceFolder folder(name + "_read");
  ti::SpanStore store;
  ti::read_trace_file(folder.write(name, content), store);
  return store;
}

/// The ImportError reading `content` throws (fails the test if none).
ti::ImportError import_error_of(const std::string& content) {
  const TraceFolder folder("error");
  ti::SpanStore store;
  try {
    ti::read_trace_file(folder.write("bad.json", content), store);
  } catch (const ti::ImportError& error) {
    return error;
  }
  FAIL("no ImportError for: " << content.substr(0, 200));
  return ti::ImportError("", 0, "", "");
}

/// A span with its strings spelled out, to compare stores whose tables differ.
using SpanRow = std::tuple<ti::TraceId, std::uint64_t, std::uint64_t, std::int64_t, std::int64_t,
                           ti::SpanKind, bool, int, float, std::string, std::string, std::string,
                           std::string, std::string, std::string>;

std::vector<SpanRow> rows(const ti::SpanStore& store) {
  std::vector<SpanRow> out;
  for (const ti::Span& s : store.spans()) {
    out.emplace_back(s.trace_id, s.span_id, s.parent_id, s.start_ns, s.end_ns, s.kind, s.error,
                     s.http_status, s.sampling_weight, std::string(store.text(s.service)),
                     std::string(store.text(s.name)), std::string(store.text(s.instance)),
                     std::string(store.text(s.peer)), std::string(store.text(s.route)),
                     std::string(store.text(s.method)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

const ti::Span& span_with_id(const ti::SpanStore& store, std::uint64_t id) {
  const auto found = std::find_if(store.spans().begin(), store.spans().end(),
                                  [id](const ti::Span& s) { return s.span_id == id; });
  REQUIRE(found != store.spans().end());
  return *found;
}

}  // namespace

TEST_CASE("one trace written in OTLP, Jaeger and Zipkin JSON reads to the same spans", "[import]") {
  ti::SpanStore otlp;
  ti::SpanStore jaeger;
  ti::SpanStore zipkin;
  ti::read_trace_file(data_dir / "checkout.otlp.json", otlp);
  ti::read_trace_file(data_dir / "checkout.jaeger.json", jaeger);
  ti::read_trace_file(data_dir / "checkout.zipkin.json", zipkin);
  CHECK(otlp.format() == ti::TraceFormat::otlp_json);
  CHECK(jaeger.format() == ti::TraceFormat::jaeger_json);
  CHECK(zipkin.format() == ti::TraceFormat::zipkin_json);
  REQUIRE(otlp.spans().size() == 6);
  CHECK(rows(otlp) == rows(jaeger));
  CHECK(rows(otlp) == rows(zipkin));

  // What the spans say, read once (the three are equal).
  const ti::TraceId trace{0x4bf92f3577b34da6ULL, 0xa3ce929d0e0e4736ULL};
  const ti::Span& root = span_with_id(otlp, 0x00f067aa0ba902b7ULL);
  CHECK(root.trace_id == trace);
  CHECK(root.parent_id == 0);
  CHECK(root.kind == ti::SpanKind::server);
  CHECK(root.start_ns == 1700000000000000000);
  CHECK(root.end_ns == 1700000000050000000);
  CHECK(otlp.text(root.service) == "frontend");
  CHECK(otlp.text(root.instance) == "10.0.0.1");
  CHECK(otlp.text(root.name) == "GET /checkout");
  CHECK(otlp.text(root.route) == "/checkout");
  CHECK(otlp.text(root.method) == "GET");
  CHECK(root.http_status == 200);
  CHECK_FALSE(root.error);
  CHECK(root.sampling_weight == 0);  // the files say nothing of sampling

  const ti::Span& pay_client = span_with_id(otlp, 0x1111111111111111ULL);
  CHECK(pay_client.kind == ti::SpanKind::client);
  CHECK(otlp.text(pay_client.peer) == "payments");
  CHECK(pay_client.error);  // 503 on a client
  const ti::Span& pay_server = span_with_id(otlp, 0x2222222222222222ULL);
  CHECK(pay_server.parent_id == 0x1111111111111111ULL);
  CHECK(otlp.text(pay_server.service) == "payments");
  CHECK(pay_server.error);                                       // 503 on a server
  CHECK(span_with_id(otlp, 0x3333333333333333ULL).error);        // 404 on a client
  CHECK_FALSE(span_with_id(otlp, 0x4444444444444444ULL).error);  // 404 on a server
  const ti::Span& db = span_with_id(otlp, 0x5555555555555555ULL);
  CHECK(otlp.text(db.peer) == "postgresql");
  // The resource came after its spans: they still get its service.
  CHECK(otlp.text(db.service) == "inventory");
  CHECK(otlp.text(db.instance) == "10.0.0.3");
  CHECK(otlp.count_traces() == 1);
  CHECK(otlp.counts().files == 1);
  CHECK(otlp.counts().spans_read == 6);
  CHECK(otlp.counts().duplicates == 0);
  CHECK(otlp.counts().skipped_total() == 0);
}

TEST_CASE("the format is told by the content, not by the file's name", "[import]") {
  const TraceFolder folder("detect");
  const auto copy = [&](const std::string& from, const std::string& to) {
    const fs::path path = folder.root() / to;
    fs::copy_file(data_dir / from, path);
    return path;
  };
  ti::SpanStore a;
  ti::read_trace_file(copy("checkout.jaeger.json", "traces.otlp.json"), a);
  CHECK(a.format() == ti::TraceFormat::jaeger_json);
  ti::SpanStore b;
  ti::read_trace_file(copy("checkout.zipkin.json", "jaeger-download.json"), b);
  CHECK(b.format() == ti::TraceFormat::zipkin_json);
  ti::SpanStore c;
  ti::read_trace_file(copy("checkout.otlp.json", "spans.txt"), c);
  CHECK(c.format() == ti::TraceFormat::otlp_json);
  CHECK(a.spans().size() == 6);
  CHECK(b.spans().size() == 6);
  CHECK(c.spans().size() == 6);
  // Two files of two formats in one store: each keeps its own.
  ti::read_trace_file(data_dir / "checkout.zipkin.json", c);
  CHECK(c.format() == ti::TraceFormat::unknown);
  REQUIRE(c.files().size() == 2);
  CHECK(c.files()[1].format == ti::TraceFormat::zipkin_json);
  CHECK(c.files()[1].spans_read == 6);
  CHECK(c.files()[1].spans_kept == 0);  // all six were copies of the first file's
  CHECK(c.counts().duplicates == 6);

  // Jaeger API v3: OTLP inside "result".
  const auto v3 = read_text(R"({"result": {"resourceSpans": [{"resource": {"attributes":
    [{"key": "service.name", "value": {"stringValue": "api"}}]}, "scopeSpans": [{"spans": [
    {"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331", "name": "x",
     "kind": 2, "startTimeUnixNano": "10", "endTimeUnixNano": "20"}]}]}]}})");
  CHECK(v3.format() == ti::TraceFormat::otlp_json);
  REQUIRE(v3.spans().size() == 1);
  CHECK(v3.text(v3.spans()[0].service) == "api");
  // The Zipkin API's empty answer and Jaeger's are files of no spans, not errors.
  CHECK(read_text("[]").spans().empty());
  CHECK(read_text(R"({"data": [], "total": 0})").format() == ti::TraceFormat::jaeger_json);
}

TEST_CASE("Jaeger: processes after the spans, references, 64-bit trace ids", "[import]") {
  const auto store = read_text(R"({"data": [{"traceID": "45ca11f65d588cc",
    "spans": [
      {"traceID": "45ca11f65d588cc", "spanID": "a1", "operationName": "root",
       "startTime": 1000, "duration": 100, "processID": "p2",
       "tags": [{"key": "sampler.type", "type": "string", "value": "probabilistic"},
                {"key": "sampler.param", "type": "float64", "value": 0.3}]},
      {"traceID": "45ca11f65d588cc", "spanID": "b2", "operationName": "follows",
       "references": [{"refType": "FOLLOWS_FROM", "traceID": "45ca11f65d588cc", "spanID": "a1"},
                      {"refType": "CHILD_OF", "traceID": "45ca11f65d588cc", "spanID": "c3"}],
       "startTime": 1010, "duration": 10, "processID": "p1"},
      {"traceID": "45ca11f65d588cc", "spanID": "c3", "operationName": "other trace first",
       "references": [{"refType": "CHILD_OF", "traceID": "ffff", "spanID": "99"},
                      {"refType": "CHILD_OF", "traceID": "45ca11f65d588cc", "spanID": "a1"}],
       "startTime": 1020, "duration": 10, "processID": "p1"},
      {"traceID": "45ca11f65d588cc", "spanID": "d4", "operationName": "old parent field",
       "parentSpanID": "c3", "startTime": 1030, "duration": 10,
       "process": {"serviceName": "inline", "tags": [{"key": "k8s.pod.name", "value": "inline-7d9-x2"}]}}],
    "processes": {"p1": {"serviceName": "geo", "tags": [{"key": "hostname", "type": "string", "value": "geo-1"}]},
                  "p2": {"serviceName": "frontend", "tags": []}}}]})");
  REQUIRE(store.spans().size() == 4);
  const ti::Span& root = span_with_id(store, 0xa1);
  CHECK(root.trace_id == ti::TraceId{0, 0x045ca11f65d588ccULL});  // left-padded
  CHECK(store.text(root.service) == "frontend");
  CHECK(root.parent_id == 0);
  CHECK(root.start_ns == 1000000);
  CHECK(root.end_ns == 1100000);
  CHECK(root.kind == ti::SpanKind::unspecified);
  CHECK(root.sampling_weight == Approx(1 / 0.3));
  const ti::Span& follows = span_with_id(store, 0xb2);
  CHECK(follows.parent_id == 0xa1);  // the first parent-type reference
  CHECK(store.text(follows.service) == "geo");
  CHECK(store.text(follows.instance) == "geo-1");
  CHECK(follows.sampling_weight == 0);  // only the root says it
  CHECK(span_with_id(store, 0xc3).parent_id ==
        0xa1);  // a reference into another trace is no parent
  const ti::Span& inline_process = span_with_id(store, 0xd4);
  CHECK(inline_process.parent_id == 0xc3);
  CHECK(store.text(inline_process.service) == "inline");
  CHECK(store.text(inline_process.instance) == "inline-7d9-x2");

  const auto missing = import_error_of(R"({"data": [{"traceID": "1", "spans": [
      {"traceID": "1", "spanID": "2", "startTime": 1, "duration": 1, "processID": "p9"}],
    "processes": {"p1": {"serviceName": "a"}}}]})");
  CHECK_THAT(missing.what(), Catch::Contains("names process 'p9'"));
  CHECK(missing.trace_id() == "0000000000000001");
  CHECK(missing.offset() > 0);
}

TEST_CASE("OTLP JSON Lines: a trace across lines, resent batches dropped", "[import]") {
  const std::string line1 =
      R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"front"}},)"
      R"({"key":"k8s.pod.name","value":{"stringValue":"front-5d8c-abcde"}},{"key":"host.name","value":{"stringValue":"node-1"}}]},)"
      R"("scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00000000000000a1",)"
      R"("name":"GET /","kind":2,"startTimeUnixNano":"1000","endTimeUnixNano":"9000"}]}]}]})";
  const std::string line2 =
      R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"back"}}]},)"
      R"("instrumentationLibrarySpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00000000000000b2",)"
      R"("parentSpanId":"00000000000000a1","name":"work","kind":2,"startTimeUnixNano":"2000","endTimeUnixNano":"8000"}]}]}]})";
  const auto store = read_text(line1 + "\n" + line2 + "\n" + line1 + "\n", "spans.jsonl");
  CHECK(store.format() == ti::TraceFormat::otlp_json);
  CHECK(store.counts().spans_read == 3);
  CHECK(store.counts().duplicates == 1);  // the third line resends the first
  REQUIRE(store.spans().size() == 2);
  CHECK(store.count_traces() == 1);
  REQUIRE(store.files().size() == 1);
  CHECK(store.files()[0].documents == 3);  // JSON Lines: a streamed export
  CHECK(read_text(line1, "one.json").files()[0].documents == 1);
  const ti::Span& front = span_with_id(store, 0xa1);
  CHECK(store.text(front.instance) == "front-5d8c-abcde");  // the pod before the host
  const ti::Span& back = span_with_id(store, 0xb2);
  CHECK(back.parent_id == 0xa1);
  CHECK(store.text(back.service) == "back");
  // A later line of another format is refused.
  const auto mixed = import_error_of(line1 + "\n[]\n");
  CHECK_THAT(mixed.what(), Catch::Contains("one file holds one format"));
  CHECK(mixed.offset() == line1.size() + 2);
}

TEST_CASE("Zipkin: the server half of a shared span gets an id of its own", "[import]") {
  // B3: the client and the server half share id 0xc1; the server's own child
  // names the shared id as parent. Array of arrays (GET /api/v2/traces).
  const auto store = read_text(R"([[
    {"traceId": "463ac35c9f6413ad", "id": "00000000000000a1", "kind": "SERVER", "name": "get /",
     "timestamp": 100, "duration": 50, "localEndpoint": {"serviceName": "front"}},
    {"traceId": "463ac35c9f6413ad", "parentId": "00000000000000a1", "id": "00000000000000c1",
     "kind": "CLIENT", "name": "get", "timestamp": 110, "duration": 30,
     "localEndpoint": {"serviceName": "front"}, "remoteEndpoint": {"serviceName": "back"}},
    {"traceId": "463ac35c9f6413ad", "parentId": "00000000000000a1", "id": "00000000000000c1",
     "kind": "SERVER", "shared": true, "name": "get /item", "timestamp": 112, "duration": 26,
     "localEndpoint": {"serviceName": "back", "ipv4": "10.1.2.3"}},
    {"traceId": "463ac35c9f6413ad", "parentId": "00000000000000c1", "id": "00000000000000d1",
     "name": "cache lookup", "timestamp": 113, "duration": 5,
     "localEndpoint": {"serviceName": "back"}}
  ], [
    {"traceId": "463ac35c9f6413ad", "parentId": "00000000000000a1", "id": "00000000000000c1",
     "kind": "SERVER", "shared": true, "name": "get /item", "timestamp": 112, "duration": 26,
     "localEndpoint": {"serviceName": "back", "ipv4": "10.1.2.3"}}
  ]])");
  CHECK(store.format() == ti::TraceFormat::zipkin_json);
  CHECK(store.counts().spans_read == 5);
  CHECK(store.counts().duplicates == 1);  // the server half, reported twice
  REQUIRE(store.spans().size() == 4);
  const auto back = store.find("back");
  REQUIRE(back);
  const auto server = std::find_if(
      store.spans().begin(), store.spans().end(),
      [&](const ti::Span& s) { return s.kind == ti::SpanKind::server && s.service == *back; });
  REQUIRE(server != store.spans().end());
  CHECK(server->span_id != 0xc1);
  CHECK(server->parent_id == 0xc1);  // the client half
  CHECK(store.text(server->instance) == "10.1.2.3");
  const ti::Span& client = span_with_id(store, 0xc1);
  CHECK(client.kind == ti::SpanKind::client);
  CHECK(client.parent_id == 0xa1);
  CHECK(store.text(client.peer) == "back");
  CHECK(span_with_id(store, 0xd1).parent_id == server->span_id);  // follows the server half
}

TEST_CASE("copies of spans are dropped on (trace, span, kind, service)", "[import]") {
  ti::SpanStore store;
  ti::read_trace_file(data_dir / "checkout.jaeger.json", store);
  ti::read_trace_file(data_dir / "checkout.jaeger.json", store);  // an overlapping download
  CHECK(store.counts().files == 2);
  CHECK(store.counts().spans_read == 12);
  CHECK(store.counts().duplicates == 6);
  CHECK(store.spans().size() == 6);
  // Same ids in another service or kind are other spans.
  const auto other = read_text(R"([
    {"traceId": "1", "id": "2", "kind": "CLIENT", "timestamp": 1, "duration": 1, "localEndpoint": {"serviceName": "a"}},
    {"traceId": "1", "id": "2", "kind": "CLIENT", "timestamp": 1, "duration": 1, "localEndpoint": {"serviceName": "b"}},
    {"traceId": "1", "id": "2", "kind": "PRODUCER", "timestamp": 1, "duration": 1, "localEndpoint": {"serviceName": "a"}},
    {"traceId": "1", "id": "2", "kind": "CLIENT", "timestamp": 5, "duration": 9, "localEndpoint": {"serviceName": "a"}}])");
  CHECK(other.spans().size() == 3);
  CHECK(other.counts().duplicates == 1);
  CHECK(other.spans()[0].start_ns == 1000);  // the first copy is kept
}

namespace {

/// One OTLP span of kind `kind` with `attributes` (a JSON array) and `status`.
std::string otlp_span(int kind, const std::string& attributes, const std::string& status = "{}",
                      const std::string& trace_state = "") {
  return R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c",)"
         R"("spanId":"eee19b7ec3c1b174","name":"s","startTimeUnixNano":"1","endTimeUnixNano":"2","kind":)" +
         std::to_string(kind) + R"(,"attributes":)" + attributes + R"(,"status":)" + status +
         R"(,"traceState":")" + trace_state + R"("}]}]}]})";
}

bool otlp_error(int kind, const std::string& attributes, const std::string& status = "{}") {
  const auto store = read_text(otlp_span(kind, attributes, status));
  REQUIRE(store.spans().size() == 1);
  return store.spans()[0].error;
}

std::string int_attribute(const std::string& key, const std::string& value) {
  return R"([{"key":")" + key + R"(","value":{"intValue":)" + value + "}}]";
}

std::string string_attribute(const std::string& key, const std::string& value) {
  return R"([{"key":")" + key + R"(","value":{"stringValue":")" + value + "\"}}]";
}

bool jaeger_error(const std::string& tags) {
  const auto store = read_text(R"({"data":[{"spans":[{"traceID":"1","spanID":"2","startTime":1,)"
                               R"("duration":1,"processID":"p","tags":)" +
                               tags + R"(}],"processes":{"p":{"serviceName":"s"}}}]})");
  REQUIRE(store.spans().size() == 1);
  return store.spans()[0].error;
}

bool zipkin_error(const std::string& kind, const std::string& tags) {
  const auto store = read_text(R"([{"traceId":"1","id":"2","timestamp":1,"duration":1,"kind":")" +
                               kind + R"(","tags":)" + tags + "}]");
  REQUIRE(store.spans().size() == 1);
  return store.spans()[0].error;
}

}  // namespace

TEST_CASE("failures: status 2, HTTP 5xx both sides and 4xx on clients, gRPC codes", "[import]") {
  constexpr int server = 2;
  constexpr int client = 3;
  // OTLP: status.code 2 is authoritative; OK overrides the codes.
  CHECK(otlp_error(server, "[]", R"({"code": 2, "message": "boom"})"));
  CHECK(otlp_error(server, int_attribute("http.response.status_code", "200"),
                   R"({"code": "STATUS_CODE_ERROR"})"));
  CHECK_FALSE(
      otlp_error(server, int_attribute("http.response.status_code", "500"), R"({"code": 1})"));
  CHECK(otlp_error(server, int_attribute("http.response.status_code", "\"500\"")));
  CHECK(otlp_error(server, int_attribute("http.status_code", "503")));  // older key
  CHECK_FALSE(otlp_error(server, int_attribute("http.response.status_code", "404")));
  CHECK(otlp_error(client, int_attribute("http.response.status_code", "404")));
  CHECK_FALSE(otlp_error(client, int_attribute("http.response.status_code", "302")));
  // gRPC: a server fails only on its own faults, a client on any but OK.
  CHECK_FALSE(otlp_error(server, int_attribute("rpc.grpc.status_code", "5")));  // NOT_FOUND
  CHECK(otlp_error(server, int_attribute("rpc.grpc.status_code", "14")));       // UNAVAILABLE
  CHECK(otlp_error(client, int_attribute("rpc.grpc.status_code", "5")));
  CHECK_FALSE(otlp_error(client, int_attribute("rpc.grpc.status_code", "0")));
  CHECK(otlp_error(server, string_attribute("rpc.status_code", "DEADLINE_EXCEEDED")));
  CHECK_FALSE(otlp_error(server, string_attribute("rpc.status_code", "INVALID_ARGUMENT")));
  // Jaeger: the error tag wins, then otel.status_code, then the HTTP status.
  CHECK(jaeger_error(R"([{"key":"error","type":"bool","value":true}])"));
  CHECK_FALSE(jaeger_error(R"([{"key":"error","type":"bool","value":false},)"
                           R"({"key":"otel.status_code","type":"string","value":"ERROR"}])"));
  CHECK(jaeger_error(R"([{"key":"otel.status_code","type":"string","value":"ERROR"},)"
                     R"({"key":"http.status_code","type":"int64","value":200}])"));
  CHECK_FALSE(jaeger_error(R"([{"key":"otel.status_code","type":"string","value":"OK"},)"
                           R"({"key":"http.status_code","type":"int64","value":500}])"));
  CHECK(jaeger_error(R"([{"key":"http.status_code","type":"int64","value":500}])"));
  CHECK_FALSE(jaeger_error(R"([{"key":"span.kind","type":"string","value":"server"},)"
                           R"({"key":"http.status_code","type":"int64","value":429}])"));
  CHECK(jaeger_error(R"([{"key":"span.kind","type":"string","value":"client"},)"
                     R"({"key":"http.status_code","type":"int64","value":429}])"));
  // Zipkin: any error tag, even empty.
  CHECK(zipkin_error("SERVER", R"({"error": ""})"));
  CHECK(zipkin_error("SERVER", R"({"error": "false"})"));
  CHECK_FALSE(zipkin_error("SERVER", R"({"http.status_code": "404"})"));
  CHECK(zipkin_error("CLIENT", R"({"http.status_code": "404"})"));
  CHECK(zipkin_error("SERVER", R"({"http.status_code": "502"})"));
}

TEST_CASE("sampling weights from tracestate, Jaeger's sampler tags and debug flags", "[import]") {
  const auto otlp_weight = [](const std::string& trace_state) {
    const auto store = read_text(otlp_span(2, "[]", "{}", trace_state));
    REQUIRE(store.spans().size() == 1);
    return store.spans()[0].sampling_weight;
  };
  CHECK(otlp_weight("ot=th:c") == 4.0F);                              // 25 %
  CHECK(otlp_weight("ot=th:0") == 1.0F);                              // 100 %
  CHECK(otlp_weight("ot=th:8") == 2.0F);                              // 50 %
  CHECK(otlp_weight("vendor=x, ot=rv:0123456789abcd;th:e") == 8.0F);  // 12.5 %
  CHECK(otlp_weight("ot=p:3") == 8.0F);                               // older: p = 2^-3
  CHECK(otlp_weight("congo=t61rcWkgMzE") == 0.0F);
  CHECK(otlp_weight("ot=th:zz") == 0.0F);
  CHECK(otlp_weight("") == 0.0F);
  const auto jaeger_weight = [](const std::string& tags, int flags = 1) {
    const auto store =
        read_text(R"({"data":[{"spans":[{"traceID":"1","spanID":"2","flags":)" +
                  std::to_string(flags) + R"(,"startTime":1,"duration":1,"processID":"p","tags":)" +
                  tags + R"(}],"processes":{"p":{"serviceName":"s"}}}]})");
    REQUIRE(store.spans().size() == 1);
    return store.spans()[0].sampling_weight;
  };
  CHECK(
      jaeger_weight(
          R"([{"key":"sampler.type","value":"probabilistic"},{"key":"sampler.param","value":0.25}])") ==
      4.0F);
  CHECK(
      jaeger_weight(
          R"([{"key":"sampler.type","value":"lowerbound"},{"key":"sampler.param","value":"0.5"}])") ==
      2.0F);
  CHECK(jaeger_weight(
            R"([{"key":"sampler.type","value":"const"},{"key":"sampler.param","value":true}])") ==
        1.0F);
  CHECK(
      jaeger_weight(
          R"([{"key":"sampler.type","value":"ratelimiting"},{"key":"sampler.param","value":2}])") ==
      0.0F);  // traces per second, not a probability
  CHECK(
      jaeger_weight(
          R"([{"key":"sampler.type","value":"probabilistic"},{"key":"sampler.param","value":0.25}])",
          /*flags=*/3) == 1.0F);  // debug: forced
  CHECK(jaeger_weight(R"([{"key":"sampling.priority","value":1}])") == 1.0F);
  CHECK(jaeger_weight(R"([{"key":"w3c.tracestate","value":"ot=th:c"}])") == 4.0F);
  const auto zipkin =
      read_text(R"([{"traceId":"1","id":"2","timestamp":1,"duration":1,"debug":true},
                                    {"traceId":"1","id":"3","timestamp":1,"duration":1}])");
  REQUIRE(zipkin.spans().size() == 2);
  CHECK(zipkin.spans()[0].sampling_weight == 1.0F);
  CHECK(zipkin.spans()[1].sampling_weight == 0.0F);
}

TEST_CASE("spans without times are skipped and counted; unknown kinds kept", "[import]") {
  const auto store = read_text(R"([
    {"traceId": "1", "id": "1", "duration": 5},
    {"traceId": "1", "id": "2", "timestamp": 5},
    {"traceId": "1", "id": "3", "timestamp": 5, "duration": 1, "kind": "SOMETHING"},
    {"traceId": "1", "id": "4", "timestamp": 9223372036854775, "duration": 1}])");
  CHECK(store.counts().spans_read == 4);
  CHECK(store.counts().skipped[static_cast<std::size_t>(ti::SkipReason::no_start_time)] == 1);
  CHECK(store.counts().skipped[static_cast<std::size_t>(ti::SkipReason::no_end_time)] == 1);
  CHECK(store.counts().skipped[static_cast<std::size_t>(ti::SkipReason::time_out_of_range)] == 1);
  REQUIRE(store.spans().size() == 1);
  CHECK(store.spans()[0].kind == ti::SpanKind::unspecified);
  CHECK(store.counts().unknown_kinds == 1);
  CHECK(store.text(store.spans()[0].service) == "unknown_service");

  const auto otlp = read_text(R"({"resourceSpans":[{"scopeSpans":[{"spans":[
    {"traceId":"1","spanId":"1","kind":9,"startTimeUnixNano":"5","endTimeUnixNano":"4"},
    {"traceId":"1","spanId":"2","kind":"SPAN_KIND_SIDEWAYS","startTimeUnixNano":"5","endTimeUnixNano":"6"},
    {"traceId":"1","spanId":"3","kind":7,"startTimeUnixNano":"5","endTimeUnixNano":"6"}]}]}]})");
  CHECK(otlp.counts().skipped[static_cast<std::size_t>(ti::SkipReason::ends_before_start)] == 1);
  CHECK(otlp.spans().size() == 2);
  CHECK(otlp.counts().unknown_kinds == 3);  // counted when read, kept or not
  CHECK(otlp.text(otlp.spans()[0].service) == "unknown_service");
}

TEST_CASE("a 100 MB span name keeps 256 bytes and is counted", "[import]") {
  std::string name(100U << 20U, 'n');
  name.replace(250, 3, "\xE2\x82\xAC");  // a euro sign within the limit
  name.replace(255, 3, "\xE2\x82\xAC");  // and one across byte 256
  const auto store = read_text(R"([{"traceId":"1","id":"2","timestamp":1,"duration":1,"name":")" +
                               name + R"(","localEndpoint":{"serviceName":"s"}}])");
  REQUIRE(store.spans().size() == 1);
  const std::string_view kept = store.text(store.spans()[0].name);
  CHECK(kept.size() == 255);  // cut before the character that crosses the limit
  CHECK(kept.substr(250, 3) == "\xE2\x82\xAC");
  CHECK(store.counts().truncated_strings == 1);
}

TEST_CASE("bad trace files give an ImportError with the file and the offset", "[import]") {
  SECTION("malformed JSON") {
    const std::string text = R"({"data": [{"traceID": "1", "spans": [}]})";
    const auto error = import_error_of(text);
    CHECK_THAT(error.what(), Catch::Contains("bad.json: byte "));
    CHECK_THAT(error.what(), Catch::Contains("malformed JSON"));
    CHECK(error.offset() == text.find('}') + 1);  // bytes read when the '}' was met
    CHECK_THAT(error.file(), Catch::EndsWith("bad.json"));
  }
  SECTION("truncated file") {
    const std::string text = R"({"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "1")";
    const auto error = import_error_of(text);
    CHECK_THAT(error.what(), Catch::Contains("malformed JSON"));
    CHECK(error.offset() == text.size());
    CHECK(error.trace_id() == "0000000000000001");
  }
  SECTION("missing span id") {
    const auto error =
        import_error_of(R"([{"traceId": "00000000000000000000000000000abc", "timestamp": 1}])");
    CHECK_THAT(error.what(), Catch::Contains("no span id"));
    CHECK_THAT(error.what(), Catch::Contains("trace 0000000000000abc"));
  }
  SECTION("missing trace id") {
    CHECK_THAT(import_error_of(R"([{"id": "1", "timestamp": 1, "duration": 1}])").what(),
               Catch::Contains("no trace id"));
  }
  SECTION("wrong types") {
    CHECK_THAT(import_error_of(R"({"resourceSpans": 5})").what(),
               Catch::Contains("'resourceSpans' must be an array, not a number"));
    CHECK_THAT(import_error_of(R"({"data": [{"spans": {"a": 1}}]})").what(),
               Catch::Contains("'spans' must be an array, not an object"));
    CHECK_THAT(import_error_of(R"([{"traceId": 12, "id": "1"}])").what(),
               Catch::Contains("'traceId' must be a string, not a number"));
    CHECK_THAT(import_error_of(R"([{"traceId": "1", "id": "1", "timestamp": "soon"}])").what(),
               Catch::Contains("'timestamp' 'soon' is not a whole number"));
    CHECK_THAT(import_error_of(R"([{"traceId": "1", "id": "1", "timestamp": -5}])").what(),
               Catch::Contains("must be a whole number of 0 or more"));
    CHECK_THAT(import_error_of(R"([{"traceId": "1", "id": "1", "name": ["x"]}])").what(),
               Catch::Contains("'name' must be a single value, not an array"));
    CHECK_THAT(import_error_of(R"([{"traceId": "1", "id": "1", "shared": "yes"}])").what(),
               Catch::Contains("'shared' must be true or false"));
    CHECK_THAT(import_error_of(R"([5])").what(), Catch::Contains("a span must be an object"));
    CHECK_THAT(import_error_of("42").what(), Catch::Contains("not a number at the top"));
  }
  SECTION("ids that are not hex") {
    const auto base64 = import_error_of(R"({"resourceSpans":[{"scopeSpans":[{"spans":[
      {"traceId":"W47/bEL+I7bDRZ4zGbpdVA==","spanId":"AAECAwQFBgc="}]}]}]})");
    CHECK_THAT(base64.what(), Catch::Contains("not an id of 1 to 32 hex digits"));
    CHECK_THAT(base64.what(), Catch::Contains("not base64"));
    CHECK(base64.offset() > 0);
    CHECK_THAT(import_error_of(R"([{"traceId": "1", "id": "12345678901234567"}])").what(),
               Catch::Contains("not an id of 1 to 16 hex digits"));
    CHECK_THAT(import_error_of(R"([{"traceId": "0000", "id": "1"}])").what(),
               Catch::Contains("all zeros"));
    CHECK_THAT(import_error_of(R"([{"traceId": "1", "id": "0000000000000000"}])").what(),
               Catch::Contains("all zeros"));
  }
  SECTION("deep nesting") {
    const std::string deep = R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"events":)" +
                             std::string(100000, '[') + std::string(100000, ']') + "}]}]}]}";
    const auto error = import_error_of(deep);
    CHECK_THAT(error.what(), Catch::Contains("nested deeper than 64 levels"));
    CHECK(error.offset() < 200);
  }
  SECTION("not a trace format") {
    CHECK_THAT(import_error_of(R"({"kind": "Deployment"})").what(),
               Catch::Contains("not a trace file tailsim reads"));
    CHECK_THAT(import_error_of("").what(), Catch::Contains("empty"));
    CHECK_THAT(import_error_of(" \n").what(), Catch::Contains("empty"));
    CHECK_THAT(import_error_of(R"({"data": []} x)").what(), Catch::Contains("malformed JSON"));
    CHECK_THAT(import_error_of("\xFF\xFE{}").what(), Catch::Contains("malformed JSON"));
  }
}

TEST_CASE("only regular files are read", "[import]") {
  const TraceFolder folder("special");
  ti::SpanStore store;
  const auto refused = [&](const fs::path& path) -> std::string {
    try {
      ti::read_trace_file(path, store);
    } catch (const ti::ImportError& error) {
      CHECK(error.offset() == 0);
      return error.what();
    }
    return "read";
  };
  CHECK_THAT(refused(folder.root()), Catch::Contains("it is a folder"));
  CHECK_THAT(refused(folder.root() / "absent.json"), Catch::Contains("no such file"));
  const fs::path fifo = folder.root() / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THAT(refused(fifo), Catch::Contains("it is a FIFO"));
  // A character device of the folder's own (the numbers of /dev/null),
  // where the system lets the test make one.
  const fs::path device = folder.root() / "device";
  if (::mknod(device.c_str(), S_IFCHR | 0600, makedev(1, 3)) == 0) {
    CHECK_THAT(refused(device), Catch::Contains("it is a device"));
  } else {
    WARN("no device check: mknod is not allowed here");
  }
  CHECK(store.counts().files == 0);
}

TEST_CASE("real Jaeger captures: DeathStarBench hotel reservation and media", "[import]") {
  const fs::path dir = fs::path(TAILSIM_SOURCE_DIR) / ".." / "shared" / "data" / "real-traces";
  const fs::path hotel = dir / "dsb-hotel-reservation.jaeger.json";
  const fs::path media = dir / "dsb-media-microservices.jaeger.json";
  if (!fs::exists(hotel) || !fs::exists(media)) {
    WARN("skipped: the real trace captures are not at " << dir.string());
    return;
  }
  const auto services = [](const ti::SpanStore& store) {
    std::set<std::uint32_t> seen;
    for (const ti::Span& span : store.spans()) {
      seen.insert(span.service);
    }
    return seen.size();
  };
  ti::SpanStore hotel_store;
  ti::read_trace_file(hotel, hotel_store);
  CHECK(hotel_store.format() == ti::TraceFormat::jaeger_json);
  CHECK(hotel_store.count_traces() == 1000);
  CHECK(hotel_store.spans().size() == 11000);
  CHECK(services(hotel_store) == 6);
  CHECK(hotel_store.counts().duplicates == 0);
  CHECK(hotel_store.counts().skipped_total() == 0);
  std::size_t roots = 0;
  for (const ti::Span& span : hotel_store.spans()) {
    CHECK_FALSE(span.error);  // the README: no file carries an error
    if (span.parent_id == 0) {
      ++roots;
      CHECK(span.sampling_weight == Approx(1 / 0.3));  // probabilistic, 0.3
      CHECK(hotel_store.text(span.name) == "HTTP GET /hotels");
    }
  }
  CHECK(roots == 1000);

  ti::SpanStore media_store;
  ti::read_trace_file(media, media_store);
  CHECK(media_store.count_traces() == 1000);
  CHECK(media_store.spans().size() == 27000);
  CHECK(services(media_store) == 10);
  const auto nginx = media_store.find("nginx");
  REQUIRE(nginx);
  for (const ti::Span& span : media_store.spans()) {
    CHECK(span.kind == ti::SpanKind::unspecified);  // no span.kind tags in this capture
    if (span.parent_id == 0) {
      CHECK(span.service == *nginx);
      CHECK(span.sampling_weight == 1.0F);  // const sampler
    }
  }
}

TEST_CASE("cut or corrupted trace files never crash the reader", "[import]") {
  // Every cut of each sample, and bytes changed at random (a fixed seed):
  // each read either succeeds or throws ImportError, and a store read into
  // after a failure holds whole groups only (the next file still reads).
  const TraceFolder folder("mangled");
  std::uint64_t state = 42;
  const auto next = [&state]() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33U;
  };
  std::size_t failures = 0;
  std::size_t reads = 0;
  for (const char* name : {"checkout.otlp.json", "checkout.jaeger.json", "checkout.zipkin.json",
                           "checkout.spans.csv"}) {
    std::ifstream in(data_dir / name, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    REQUIRE(text.size() > 1000);
    std::vector<std::string> variants;
    for (std::size_t cut = 0; cut < text.size(); cut += 31) {
      variants.push_back(text.substr(0, cut));
    }
    for (int i = 0; i < 100; ++i) {
      std::string changed = text;
      for (int k = 0; k < 3; ++k) {
        changed[next() % changed.size()] = "{}[]\":,0aZ-\\ \x80"[next() % 15];
      }
      variants.push_back(changed);
    }
    for (const std::string& variant : variants) {
      ti::SpanStore store;
      ++reads;
      try {
        ti::read_trace_file(folder.write("mangled.json", variant), store);
      } catch (const ti::ImportError& error) {
        ++failures;
        CHECK(error.offset() <= variant.size());
        CHECK(store.files().empty());
      }
      ti::read_trace_file(data_dir / "checkout.zipkin.json", store);
      CHECK(store.files().back().spans_read == 6);
    }
  }
  CHECK(failures > reads / 2);  // most cuts and changes break the JSON
  CHECK(failures < reads);      // some changes only alter a value
}
