#include "tailsim/model/text_encoding.hpp"

#include <string>

#include <catch2/catch.hpp>

namespace m = tailsim::model;
using namespace std::string_view_literals;

TEST_CASE("first_invalid_utf8 finds the first byte that is not UTF-8", "[text_encoding]") {
  CHECK_FALSE(m::first_invalid_utf8("plain ASCII").has_value());
  CHECK_FALSE(m::first_invalid_utf8("café ☕ 𝄞").has_value());
  CHECK(m::first_invalid_utf8("caf\xe9") == 3);           // Latin-1 é
  CHECK(m::first_invalid_utf8("ab\xc3") == 2);            // cut short
  CHECK(m::first_invalid_utf8("\xc0\xaf") == 0);          // overlong '/'
  CHECK(m::first_invalid_utf8("x\xed\xa0\x80") == 1);     // a surrogate
  CHECK(m::first_invalid_utf8("\xf4\x90\x80\x80") == 0);  // above U+10FFFF
  CHECK(m::first_invalid_utf8("ok\x80") == 2);            // a stray continuation byte
}

TEST_CASE("wide_encoding_of names UTF-16 and UTF-32 text", "[text_encoding]") {
  CHECK(m::wide_encoding_of("\xff\xfev\0e\0"sv) == "UTF-16");
  CHECK(m::wide_encoding_of("\xfe\xff\0v\0e"sv) == "UTF-16");
  CHECK(m::wide_encoding_of("v\0e\0r\0"sv) == "UTF-16");
  CHECK(m::wide_encoding_of("\0v\0e"sv) == "UTF-16");
  CHECK(m::wide_encoding_of("\xff\xfe\0\0v\0\0\0"sv) == "UTF-32");
  CHECK(m::wide_encoding_of("v\0\0\0e\0\0\0"sv) == "UTF-32");
  CHECK(m::wide_encoding_of("\0\0\0v"sv) == "UTF-32");
  CHECK_FALSE(m::wide_encoding_of("version: 1\n").has_value());
  CHECK_FALSE(m::wide_encoding_of("\xef\xbb\xbfversion: 1").has_value());  // UTF-8 with a BOM
}

TEST_CASE("control characters are found and escaped", "[text_encoding]") {
  CHECK_FALSE(m::first_control_character("Checkout path — café").has_value());
  CHECK(m::first_control_character("red\x1b[31m") == 3);
  CHECK(m::first_control_character("a\nb") == 1);
  CHECK_FALSE(m::first_control_character("a\nb\tc", /*allow_line_breaks=*/true).has_value());
  CHECK(m::first_control_character("a\rb", /*allow_line_breaks=*/true) == 1);
  CHECK(m::first_control_character("x\xc2\x9b"
                                   "31m") == 1);  // C1 CSI
  CHECK(m::first_control_character("del\x7f") == 3);

  CHECK(m::escape_control("\x1b[2J\x1b]0;t\x07") == "\\e[2J\\e]0;t\\x07");
  CHECK(m::escape_control("a\nb\tc\rd") == "a\\nb\\tc\\rd");
  CHECK(m::escape_control("x\xc2\x9b"
                          "1m") == "x\\u009b1m");
  CHECK(m::escape_control("caf\xe9 ok") == "caf\\xe9 ok");
  CHECK(m::escape_control("café ☕") == "café ☕");
}

TEST_CASE("shorten keeps at most N characters", "[text_encoding]") {
  CHECK(m::shorten("short", 40) == "short");
  CHECK(m::shorten("abcdef", 3) == "abc…");
  CHECK(m::shorten("ééééé", 2) == "éé…");  // characters, not bytes
}

TEST_CASE("position_of gives line and column of a byte", "[text_encoding]") {
  const auto at = m::position_of("ab\ncd\nef", 7);
  CHECK(at.line == 3);
  CHECK(at.col == 2);
  CHECK(m::position_of("x", 0).col == 1);
}
