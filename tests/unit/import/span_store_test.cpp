#include <string>

#include <catch2/catch.hpp>

#include "tailsim/import/spans.hpp"

namespace ti = tailsim::import;

TEST_CASE("SpanStore interns strings once and caps them", "[import]") {
  ti::SpanStore store;
  CHECK(store.intern("") == 0);
  const auto a = store.intern("frontend");
  CHECK(a != 0);
  CHECK(store.intern(std::string("front") + "end") == a);
  CHECK(store.text(a) == "frontend");
  CHECK(store.find("frontend") == a);
  CHECK_FALSE(store.find("backend"));
  // Many strings: earlier ones keep their text as the table grows.
  for (int i = 0; i < 5000; ++i) {
    store.intern("s" + std::to_string(i));
  }
  CHECK(store.text(a) == "frontend");
  CHECK(store.string_count() == 5002);
  const std::string long_text(1000, 'x');
  const auto capped = store.intern(long_text);
  CHECK(store.text(capped).size() == ti::SpanStore::max_text_bytes);
  CHECK(store.counts().truncated_strings == 1);
}

TEST_CASE("SpanStore drops copies across groups and keeps order", "[import]") {
  ti::SpanStore store;
  const auto service = store.intern("s");
  const auto add = [&](std::uint64_t id, ti::SpanKind kind) {
    ti::Span span;
    span.trace_id = {0, 7};
    span.span_id = id;
    span.kind = kind;
    span.service = service;
    span.start_ns = static_cast<std::int64_t>(id);
    store.add_span(span);
  };
  // Enough spans to grow the table several times.
  for (std::uint64_t id = 1; id <= 3000; ++id) {
    add(id, ti::SpanKind::server);
  }
  store.finish_group(0);
  CHECK(store.spans().size() == 3000);
  const std::size_t second = store.spans().size();
  add(5, ti::SpanKind::server);  // a copy
  add(5, ti::SpanKind::client);  // another kind: another span
  add(9000, ti::SpanKind::server);
  add(9000, ti::SpanKind::server);  // a copy within the group
  store.finish_group(second);
  CHECK(store.counts().duplicates == 2);
  REQUIRE(store.spans().size() == 3002);
  CHECK(store.spans()[3000].span_id == 5);
  CHECK(store.spans()[3000].kind == ti::SpanKind::client);
  CHECK(store.spans()[3001].span_id == 9000);
  CHECK(store.count_traces() == 1);
  CHECK(ti::to_hex(ti::TraceId{0, 0x45ca11f65d588ccULL}) == "045ca11f65d588cc");
  CHECK(ti::to_hex(ti::TraceId{1, 2}) == "00000000000000010000000000000002");
}
