#include "tailsim/model/yaml_openers.hpp"

#include <catch2/catch.hpp>

using tailsim::model::find_unclosed;

namespace {

/// "line:column opener", or "none".
std::string where(std::string_view text) {
  const auto open = find_unclosed(text);
  return open ? std::to_string(open->line) + ":" + std::to_string(open->column) + " " + open->opener
              : "none";
}

}  // namespace

TEST_CASE("find_unclosed: quotes and flow collections left open", "[model][yaml]") {
  CHECK(where("a: \"x\nb: 1\n") == "1:4 \"");
  CHECK(where("a: 'x\n") == "1:4 '");
  CHECK(where("a: [1, {b: 2}\n") == "1:4 [");
  CHECK(where("a: [1, {b: 2\n") == "1:8 {");  // the innermost
  CHECK(where("- {a: \"x}\n") == "1:7 \"");   // a quote outranks its collection
  CHECK(where("  - 'x\n") == "1:5 '");
}

TEST_CASE("find_unclosed: what closes, and what only looks like an opener", "[model][yaml]") {
  CHECK(where("a: \"x\" # and \"y\n") == "none");  // a comment
  CHECK(where("# it's a comment\na: 1\n") == "none");
  CHECK(where("a: it's plain\nb: don't\n") == "none");            // apostrophes in plain scalars
  CHECK(where("a: 'it''s quoted'\n") == "none");                  // '' inside single quotes
  CHECK(where("a: \"say \\\"hi\\\"\"\n") == "none");              // \" inside double quotes
  CHECK(where("a: \"two\n  lines\"\nb: [1,\n  2]\n") == "none");  // spanning lines
  CHECK(where("a: {b: [1, 2], c: 'x'}\n") == "none");
  CHECK(where("a: x#y'z\n") == "none");
  CHECK(where("a: exp(1ms)\nb: [\"p99 < 1s\"]\n") == "none");
  // Block scalars are text: their quotes and brackets open nothing.
  CHECK(where("a: |\n  \"quoted\n  [open\nb: 1\n") == "none");
  CHECK(where("- >-\n    it's {\n- 'x'\n") == "none");
  CHECK(where("a: |  # a comment\n  'x\nb: 'y\n") == "3:4 '");  // ends where indentation does
  CHECK(where("") == "none");
}
