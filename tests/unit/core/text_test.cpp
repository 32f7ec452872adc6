#include "tailsim/core/text.hpp"

#include <string_view>

#include <catch2/catch.hpp>

using tailsim::trim;

TEST_CASE("trim drops spaces, tabs and line ends at both ends only", "[text]") {
  CHECK(trim("  p99 < 400ms\t") == "p99 < 400ms");
  CHECK(trim("\r\n1, 2\n") == "1, 2");
  CHECK(trim("a  b") == "a  b");
  CHECK(trim("").empty());
  const std::string_view blank = " \t ";
  CHECK(trim(blank).empty());
  // A view into the text: the parsers report columns from where it starts.
  const std::string_view text = "  x ";
  CHECK(trim(text).data() == text.data() + 2);
  CHECK(trim(blank).data() == blank.data() + blank.size());
}
