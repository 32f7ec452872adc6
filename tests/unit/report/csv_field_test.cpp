#include "tailsim/report/csv_field.hpp"

#include <catch2/catch.hpp>

using tailsim::report::csv_field;

TEST_CASE("csv_field leaves plain text and numbers, negative ones included, as they are",
          "[csv_field]") {
  CHECK(csv_field("checkout") == "checkout");
  CHECK(csv_field("60/s") == "60/s");
  CHECK(csv_field("12") == "12");
  CHECK(csv_field("-12") == "-12");
  CHECK(csv_field("-1.5e3") == "-1.5e3");
  CHECK(csv_field("") == "");
}

TEST_CASE("csv_field neutralises a cell a spreadsheet would run as a formula (OWASP)",
          "[csv_field]") {
  CHECK(csv_field("=1+1") == "\"'=1+1\"");
  CHECK(csv_field("+cmd") == "\"'+cmd\"");
  CHECK(csv_field("-2+3") == "\"'-2+3\"");
  CHECK(csv_field("@SUM(A1:A9)") == "\"'@SUM(A1:A9)\"");
  CHECK(csv_field("\tx") == "\"'\tx\"");
  CHECK(csv_field("\rx") == "\"'\rx\"");
  CHECK(csv_field("=HYPERLINK(\"http://x\",\"y\")") ==
        "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
}

TEST_CASE("csv_field quotes commas, quotes and line breaks (RFC 4180)", "[csv_field]") {
  CHECK(csv_field("a,b") == "\"a,b\"");
  CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csv_field("two\nlines") == "\"two\nlines\"");
  CHECK(csv_field("x=1") == "x=1");  // a formula sign later in the cell is harmless
}
