#include "tailsim/model/diagnostics.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace m = tailsim::model;

TEST_CASE("diagnostics are formatted as compilers do", "[diagnostics]") {
  m::Diagnostics d;
  const auto model = d.add_source("model.yaml");
  d.error({model, 4, 7}, "unknown key 'replicaz'");
  d.warning({model, 9, 1}, "a queue without consumers");
  CHECK(d.format(d.all()[0]) == "model.yaml:4:7: error: unknown key 'replicaz'");
  CHECK(d.format(d.all()[1]) == "model.yaml:9:1: warning: a queue without consumers");
  CHECK(d.format_all() ==
        "model.yaml:4:7: error: unknown key 'replicaz'\n"
        "model.yaml:9:1: warning: a queue without consumers\n");
}

TEST_CASE("a diagnostic without a position points at the start of its file", "[diagnostics]") {
  m::Diagnostics d;
  d.error({0, 0, 0}, "the model is empty");
  d.error({0, 3, 0}, "no column");
  CHECK(d.format(d.all()[0]) == "<input>:1:1: error: the model is empty");
  CHECK(d.format(d.all()[1]) == "<input>:3:1: error: no column");
}

TEST_CASE("sources are numbered from 0 and named", "[diagnostics]") {
  m::Diagnostics d;
  CHECK(d.source_name(0) == "<input>");
  CHECK(d.add_source("model.yaml") == 0);
  CHECK(d.source_name(0) == "model.yaml");
  CHECK(d.add_source("--set a.b") == 1);
  CHECK(d.add_source("model.yaml") == 0);
  CHECK(d.source_name(1) == "--set a.b");
  CHECK(d.source_name(7) == "<unknown>");
}

TEST_CASE("errors and warnings are counted apart", "[diagnostics]") {
  m::Diagnostics d;
  CHECK_FALSE(d.has_errors());
  d.warning({0, 1, 1}, "w");
  CHECK_FALSE(d.has_errors());
  d.error({0, 2, 1}, "e");
  CHECK(d.has_errors());
  CHECK(d.error_count() == 1);
  CHECK(d.all().size() == 2);
}

TEST_CASE("sorting orders by source, line and column and drops repeats", "[diagnostics]") {
  m::Diagnostics d;
  const auto a = d.add_source("a.yaml");
  const auto b = d.add_source("b.csv");
  d.error({b, 1, 1}, "in b");
  d.error({a, 5, 2}, "second at 5:2");
  d.error({a, 5, 1}, "at 5:1");
  d.error({a, 5, 2}, "first at 5:2");
  d.error({a, 5, 2}, "second at 5:2");    // an exact repeat
  d.warning({a, 5, 2}, "second at 5:2");  // same text, other severity: kept
  d.error({a, 5, 3}, "at 5:2");           // same text, other position: kept
  d.error({a, 2, 9}, "at 2:9");
  d.sort();
  std::vector<std::string> order;
  for (const auto& item : d.all()) {
    order.push_back(d.format(item));
  }
  CHECK(order == std::vector<std::string>{
                     "a.yaml:2:9: error: at 2:9",
                     "a.yaml:5:1: error: at 5:1",
                     "a.yaml:5:2: error: second at 5:2",
                     "a.yaml:5:2: error: first at 5:2",
                     "a.yaml:5:2: warning: second at 5:2",
                     "a.yaml:5:3: error: at 5:2",
                     "b.csv:1:1: error: in b",
                 });
  CHECK(d.error_count() == 6);
}

TEST_CASE("sorting an empty list is harmless", "[diagnostics]") {
  m::Diagnostics d;
  d.sort();
  CHECK(d.all().empty());
  CHECK(d.format_all().empty());
}

TEST_CASE("closest_name finds likely typos", "[diagnostics]") {
  const std::vector<std::string> services{"payments", "orders", "api", "inventory"};
  CHECK(m::closest_name("paymnts", services) == "payments");
  CHECK(m::closest_name("PAYMENTS", services) == "payments");
  CHECK(m::closest_name("ordres", services) == "orders");  // a transposition is one edit
  CHECK(m::closest_name("apii", services) == "api");
  CHECK(m::closest_name("ap", services) == "api");
  CHECK(m::closest_name("shipping", services).empty());
  CHECK(m::closest_name("", services).empty());
  CHECK(m::closest_name("api", {}).empty());
}

TEST_CASE("closest_name accepts at most a third of the word in edits", "[diagnostics]") {
  const std::vector<std::string> names{"abcdefghi"};
  CHECK(m::closest_name("abcdefxyi", names) == "abcdefghi");  // 2 edits
  CHECK(m::closest_name("abcdefxyz", names) == "abcdefghi");  // 3 edits, the limit 9/3
  CHECK(m::closest_name("abcdwxyzi", names).empty());         // 4 edits
  CHECK(m::closest_name("abcdef", names).empty());            // 3 edits, but the limit is 6/3 = 2
  CHECK(m::closest_name("ab", std::vector<std::string>{"xy"}).empty());  // 2 edits, limit 1
  CHECK(m::closest_name("ab", std::vector<std::string>{"ba"}) == "ba");  // 1 transposition
}

TEST_CASE("closest_name prefers the smallest distance, then the first candidate", "[diagnostics]") {
  CHECK(m::closest_name("cach", std::vector<std::string>{"each", "cache"}) == "each");
  CHECK(m::closest_name("cachee", std::vector<std::string>{"caches", "cache"}) == "caches");
  CHECK(m::closest_name("cachee", std::vector<std::string>{"cache", "caches"}) == "cache");
  CHECK(m::closest_name("cahce", std::vector<std::string>{"cachxx", "cache"}) == "cache");
}

TEST_CASE("did_you_mean writes the hint or nothing", "[diagnostics]") {
  const std::vector<std::string> keys{"replicas", "endpoints"};
  CHECK(m::did_you_mean("replicaz", keys) == "; did you mean 'replicas'?");
  CHECK(m::did_you_mean("zzz", keys).empty());
}
