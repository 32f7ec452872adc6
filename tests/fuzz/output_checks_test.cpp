// The output fuzz target's checks accept what the writers should write and
// reject each kind of breakage they exist to catch.

#include "output_checks.hpp"

#include <catch2/catch.hpp>

using tailsim::fuzz::check_csv;
using tailsim::fuzz::check_hgrm;
using tailsim::fuzz::check_markup;
using tailsim::fuzz::check_openmetrics;

TEST_CASE("check_markup accepts well-formed XML and tailsim's HTML", "[fuzz]") {
  CHECK(check_markup("<?xml version=\"1.0\"?>\n<a x=\"1 &amp; 2\"><b/>t &lt; &#38;</a>", false)
            .empty());
  CHECK(check_markup("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>a>b{}</style>"
                     "</head><body><br><pre>&lt;x&gt;</pre><svg><g/></svg></body></html>",
                     true)
            .empty());
}

TEST_CASE("check_markup rejects what an unescaped name breaks", "[fuzz]") {
  CHECK_FALSE(check_markup("<a>x & y</a>", false).empty());
  CHECK_FALSE(check_markup("<a>x < y</a>", false).empty());
  CHECK_FALSE(check_markup("<a name=\"x\"y\"/>", false).empty());
  CHECK_FALSE(check_markup("<a><b></a></b>", false).empty());
  CHECK_FALSE(check_markup("<a></a><a></a>", false).empty());
  CHECK_FALSE(check_markup("<html><body><p></body></html>", true).empty());
}

TEST_CASE("check_openmetrics accepts samples and rejects broken labels", "[fuzz]") {
  CHECK(check_openmetrics("# TYPE x gauge\nx{path=\"a\\\"b\"} 1.5\nx 2\n# EOF\n").empty());
  CHECK_FALSE(check_openmetrics("x 1\n").empty());
  CHECK_FALSE(check_openmetrics("x{path=\"a\"b\"} 1\n# EOF\n").empty());
  CHECK_FALSE(check_openmetrics("x{path=\"a\\x\"} 1\n# EOF\n").empty());
  CHECK_FALSE(check_openmetrics("x{path=\"a\"} one\n# EOF\n").empty());
  CHECK(check_openmetrics("x{path=\"a\"} 1 946684800.25\n# EOF\n").empty());
  CHECK_FALSE(check_openmetrics("x{path=\"a\"} 1 soon\n# EOF\n").empty());
  CHECK_FALSE(check_openmetrics("x{path=\"a\"} 1 \n# EOF\n").empty());
}

TEST_CASE("check_csv counts fields, quotes included", "[fuzz]") {
  CHECK(check_csv("a,b\n\"x,\"\"y\",2\n").empty());
  CHECK_FALSE(check_csv("a,b\nx,y,z\n").empty());
  CHECK_FALSE(check_csv("a,b\n\"x,y\n").empty());
  CHECK_FALSE(check_csv("a,b\nx,y").empty());
}

TEST_CASE("check_hgrm wants ordered rows of numbers", "[fuzz]") {
  CHECK(check_hgrm("       Value     Percentile TotalCount 1/(1-Percentile)\n\n"
                   "       1.000 0.000000000000          1           1.00\n"
                   "       2.000 1.000000000000          2\n#[Mean = 1.5]\n")
            .empty());
  CHECK_FALSE(check_hgrm("2.000 0.5 1 2.00\n1.000 0.9 2 10.00\n").empty());
  CHECK_FALSE(check_hgrm("nan 0.5 1 2.00\n").empty());
  CHECK_FALSE(check_hgrm("1.000 1.5 1 2.00\n").empty());
}
