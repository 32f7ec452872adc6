// The span CSV of the Nezha dataset: rows read into spans, services from
// pod names, kinds from the tree, and every malformed file refused with
// the line and field.

#include <filesystem>
#include <set>
#include <string>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "support/temp_dir.hpp"
#include "tailsim/import/model_writer.hpp"
#include "tailsim/import/trace_analysis.hpp"
#include "tailsim/import/trace_reader.hpp"

namespace fs = std::filesystem;
namespace ti = tailsim::import;

namespace {

const std::string csv_header =
    "TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration\n";

/// The store read from a file holding `content`.
ti::SpanStore read_csv(const std::string& content) {
  const tailsim::testing::TempDir dir("span_csv_test_read");
  ti::SpanStore store;
  ti::read_trace_file(dir.write("spans.csv", content), store);
  return store;
}

/// The message of the ImportError reading `content` throws.
std::string refused(const std::string& content) {
  try {
    (void)read_csv(content);
  } catch (const ti::ImportError& e) {
    return e.what();
  }
  FAIL("no ImportError for:\n" << content);
  return {};
}

const ti::Span& span_named(const ti::SpanStore& store, std::string_view name) {
  for (const ti::Span& span : store.spans()) {
    if (store.text(span.name) == name) {
      return span;
    }
  }
  FAIL("no span " << name);
  return store.spans().front();
}

}  // namespace

TEST_CASE("span CSV: rows become spans, pods their services, the tree their kinds", "[import]") {
  // One trace, its rows out of order (a child before its parent): the
  // frontend's root calls cart (a client span with the server span below
  // it), and cart does work of its own below its server span. Times in ns.
  const std::string text = csv_header +
                           "0a1b,3,2,cartservice-579f59597d-wc2lz,hipstershop.CartService/GetCart,"
                           "1000300,1001700,1\n"
                           "0a1b,1,root,frontend-579b9bff58-t2dbm,hipstershop.Frontend/Recv.,"
                           "1000000,1005000,5\n"
                           "0a1b,2,1,frontend-579b9bff58-t2dbm,hipstershop.CartService/GetCart,"
                           "1000100,1002000,2\n"
                           "0a1b,4,3,cartservice-579f59597d-wc2lz,redis.get,1000400,1000600,0\n";
  const auto store = read_csv(text);
  CHECK(store.format() == ti::TraceFormat::span_csv);
  REQUIRE(store.spans().size() == 4);
  CHECK(store.counts().spans_read == 4);
  CHECK(store.count_traces() == 1);

  const ti::Span& root = span_named(store, "hipstershop.Frontend/Recv.");
  CHECK(root.kind == ti::SpanKind::server);
  CHECK(root.parent_id == 0);
  CHECK(store.text(root.service) == "frontend");
  CHECK(store.text(root.instance) == "frontend-579b9bff58-t2dbm");
  CHECK(root.start_ns == 1000000);
  CHECK(root.end_ns == 1005000);
  CHECK(root.trace_id == ti::TraceId{0, 0x0a1b});

  // The two GetCart spans: the frontend's is the client side (its parent in
  // its own service, its one child in another), cart's the server side.
  for (const ti::Span& span : store.spans()) {
    if (store.text(span.name) != "hipstershop.CartService/GetCart") {
      continue;
    }
    if (store.text(span.service) == "frontend") {
      CHECK(span.kind == ti::SpanKind::client);
    } else {
      CHECK(store.text(span.service) == "cartservice");
      CHECK(span.kind == ti::SpanKind::server);
      CHECK(span.parent_id == 2);
    }
  }
  // Work inside cart's invocation is INTERNAL.
  CHECK(span_named(store, "redis.get").kind == ti::SpanKind::internal);
}

TEST_CASE("span CSV: a call's network time and the callee's own time come back", "[import]") {
  // 40 traces of a frontend calling cart: the client span 3 ms, the server
  // span 2 ms inside it (0.5 ms of network each way), the frontend's root
  // 5 ms, one a second.
  std::string text = csv_header;
  for (int t = 1; t <= 40; ++t) {
    const long long b = t * 1'000'000'000LL;
    text +=
        fmt::format("{:x},1,root,frontend-579b9bff58-t2dbm,Recv,{},{},0\n", t, b, b + 5'000'000);
    text += fmt::format("{:x},2,1,frontend-579b9bff58-t2dbm,GetCart,{},{},0\n", t, b + 1'000'000,
                        b + 4'000'000);
    text += fmt::format("{:x},3,2,cartservice-579f59597d-wc2lz,GetCart,{},{},0\n", t, b + 1'500'000,
                        b + 3'500'000);
  }
  const auto store = read_csv(text);
  ti::AnalysisOptions options;
  options.edge_cut = tailsim::Duration::zero();
  const auto evidence = ti::analyze_traces(store, options);
  // The callee's own time 2 ms, the caller's 5 - 3 = 2 ms: the client
  // span's time is the call's, not the frontend's own.
  REQUIRE(evidence.endpoints.size() == 2);
  for (const auto& endpoint : evidence.endpoints) {
    INFO(endpoint.service << "." << endpoint.name);
    REQUIRE(endpoint.own_time.size() == 40);
    for (const auto own : endpoint.own_time) {
      CHECK(own == std::chrono::milliseconds(2));
    }
  }
  // One way 0.5 ms: half the 1 ms by which the client span outlasts the server's.
  const auto draft = ti::write_model(evidence, nullptr);
  INFO(draft.yaml);
  CHECK_THAT(draft.yaml, Catch::Contains("latency: 0.5ms"));
  CHECK_THAT(draft.yaml, Catch::Contains("- call: cartservice.getcart"));
}

TEST_CASE("span CSV: services from pod names", "[import]") {
  // A Deployment's pod (ReplicaSet hash and suffix, the suffix all digits
  // too), a StatefulSet's, and names that are neither.
  const std::string text = csv_header +
                           "1,1,root,frontend-579b9bff58-t2dbm,a,10,20,0\n"
                           "1,2,1,ts-basic-service-5dc8d4f9fd-46997,b,11,19,0\n"
                           "1,3,1,redis-cart-0,c,12,18,0\n"
                           "1,4,1,my-app-v2,d,12,18,0\n"
                           "1,5,1,cart-redis-abcde,e,12,18,0\n"  // vowels: not a generated name
                           "1,6,1,checkout,f,12,18,0\n";
  const auto store = read_csv(text);
  const auto service = [&](std::string_view name) {
    return std::string(store.text(span_named(store, name).service));
  };
  CHECK(service("a") == "frontend");
  CHECK(service("b") == "ts-basic-service");
  CHECK(service("c") == "redis-cart");
  CHECK(service("d") == "my-app-v2");
  CHECK(service("e") == "cart-redis-abcde");
  CHECK(service("f") == "checkout");
}

TEST_CASE("span CSV: columns found by name, quoted fields, blank lines, skipped rows", "[import]") {
  // Columns in another order, Duration left out, an operation with a comma
  // in quotes, CRLF line ends and a blank last line. A span that ends before
  // it starts, or without an end, is counted and not kept.
  const std::string text =
      "SpanID,TraceID,PodName,ParentID,OperationName,EndTimeUnixNano,StartTimeUnixNano\r\n"
      "1,ff,web-7d9c8b6f5-x2k4m,root,\"GET /a, /b\",20,10\r\n"
      "2,ff,web-7d9c8b6f5-x2k4m,1,\"say \"\"hi\"\"\",15,16\r\n"
      "3,ff,web-7d9c8b6f5-x2k4m,1,open,,12\r\n"
      "\r\n";
  const auto store = read_csv(text);
  REQUIRE(store.spans().size() == 1);
  CHECK(store.text(store.spans()[0].name) == "GET /a, /b");
  CHECK(store.text(store.spans()[0].service) == "web");
  CHECK(store.counts().spans_read == 3);
  CHECK(store.counts().skipped[static_cast<std::size_t>(ti::SkipReason::ends_before_start)] == 1);
  CHECK(store.counts().skipped[static_cast<std::size_t>(ti::SkipReason::no_end_time)] == 1);
}

TEST_CASE("span CSV: a malformed file is refused with its line and field", "[import]") {
  CHECK_THAT(refused("TraceID,SpanID,ParentID,OperationName,StartTimeUnixNano,EndTimeUnixNano\n"),
             Catch::Contains("line 1: a span CSV needs the columns") &&
                 Catch::Contains("'PodName' is missing"));
  CHECK_THAT(refused(csv_header + "1,1,root,p,a,10,20,0\n1,xyz,1,p,b,11,19,0\n"),
             Catch::Contains("line 3, field 2 ('SpanID'): 'xyz' is not a span id"));
  CHECK_THAT(refused(csv_header + "1,1,root,p,a,10,20,0\n1,2,1,p,b,11,19\n"),
             Catch::Contains("line 3: 7 fields where the header has 8"));
  CHECK_THAT(refused(csv_header + "zz,1,root,p,a,10,20,0\n"),
             Catch::Contains("line 2, field 1 ('TraceID'): 'zz' is not a trace id"));
  CHECK_THAT(refused(csv_header + "1,1,nope,p,a,10,20,0\n"),
             Catch::Contains("line 2, field 3 ('ParentID'): 'nope' is neither 'root'"));
  CHECK_THAT(
      refused(csv_header + "1,1,root,p,a,10ms,20,0\n"),
      Catch::Contains("line 2, field 6 ('StartTimeUnixNano'): '10ms' is not a whole number"));
  CHECK_THAT(refused(csv_header + "1,1,root,p,\"a,10,20,0\n"),
             Catch::Contains("line 2: a quoted field is not closed on its line"));
  // Not JSON and not a span CSV either.
  CHECK_THAT(refused("Timestamp,Message\n1,hello\n"),
             Catch::Contains("neither JSON (an object or an array) nor a span CSV"));
  // A line without end (a file of one long line) is refused, not kept whole.
  CHECK_THAT(refused(csv_header + std::string(std::size_t{1} << 21, 'a')),
             Catch::Contains("line 2 is longer than"));
}

TEST_CASE("real span CSV captures: Nezha's Online Boutique and TrainTicket", "[import]") {
  const fs::path dir = fs::path(TAILSIM_SOURCE_DIR) / ".." / "shared" / "data" / "real-traces";
  const fs::path boutique = dir / "nezha-online-boutique-normal.csv";
  const fs::path train = dir / "nezha-train-ticket-normal.csv";
  if (!fs::exists(boutique) || !fs::exists(train)) {
    WARN("skipped: the real trace captures are not at " << dir.string());
    return;
  }
  // The figures the capture's README gives: traces, spans, services.
  const auto services = [](const ti::SpanStore& store) {
    std::set<std::string_view> seen;
    for (const ti::Span& span : store.spans()) {
      seen.insert(store.text(span.service));
    }
    return seen;
  };
  ti::SpanStore shop;
  ti::read_trace_file(boutique, shop);
  CHECK(shop.format() == ti::TraceFormat::span_csv);
  CHECK(shop.count_traces() == 502);
  CHECK(shop.spans().size() == 22969);
  CHECK(services(shop).size() == 10);
  CHECK(services(shop).count("productcatalogservice") == 1);
  ti::SpanStore trains;
  ti::read_trace_file(train, trains);
  CHECK(trains.count_traces() == 71);
  CHECK(trains.spans().size() == 4890);
  CHECK(services(trains).size() == 25);
  CHECK(services(trains).count("ts-basic-service") == 1);

  // Drafted: the frontend's calls have client spans, so the network is
  // measured (a default and links), and every root is one workload's entry.
  ti::AnalysisOptions options;
  options.edge_cut = tailsim::Duration::zero();
  const auto evidence = ti::analyze_traces(shop, options);
  CHECK(evidence.counts.roots_without_entry == 0);
  CHECK(evidence.counts.kindless_spans == 0);  // every kind read from the tree
  const auto draft = ti::write_model(evidence, nullptr);
  CHECK_THAT(draft.yaml, Catch::Contains("network:\n  default:"));
  CHECK_THAT(draft.yaml, Catch::Contains("entry: frontend.hipstershop_frontend_recv"));
}
