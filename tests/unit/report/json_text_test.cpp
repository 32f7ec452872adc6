#include "tailsim/report/json_text.hpp"

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace {

using tailsim::report::append_json_string;
using tailsim::report::JsonWriter;

std::string json_quoted(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

/// What the trace writers wrote before: nlohmann's dump, bad UTF-8 replaced.
std::string nlohmann_quoted(std::string_view text) {
  return nlohmann::ordered_json(std::string(text))
      .dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::ordered_json::error_handler_t::replace);
}

TEST_CASE("append_json_string: escapes as nlohmann dumps", "[report][json]") {
  using namespace std::string_view_literals;
  CHECK(json_quoted("") == R"("")");
  CHECK(json_quoted("plain text") == R"("plain text")");
  CHECK(json_quoted("a \"b\" \\c") == R"("a \"b\" \\c")");
  CHECK(json_quoted("\b\t\n\f\r") == R"("\b\t\n\f\r")");
  CHECK(json_quoted("\x01\x1f"sv) == R"("\u0001\u001f")");
  CHECK(json_quoted("\0x"sv) == R"("\u0000x")");
  CHECK(json_quoted("\x7f") == "\"\x7f\"");  // DEL is not a control character to JSON
  CHECK(json_quoted("caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x9a\x80") ==
        "\"caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x9a\x80\"");
  const std::string fffd = "\xef\xbf\xbd";
  CHECK(json_quoted("\x80") == "\"" + fffd + "\"");             // a stray continuation byte
  CHECK(json_quoted("a\xe2\x82") == "\"a" + fffd + "\"");       // cut short by the end
  CHECK(json_quoted("\xe2\x82z") == "\"" + fffd + "z\"");       // cut short by a byte, read again
  CHECK(json_quoted("\xe2\x82\"") == "\"" + fffd + "\\\"\"");   // ... which may need escaping
  CHECK(json_quoted("\xc0\xaf") == "\"" + fffd + fffd + "\"");  // overlong: two subparts
  CHECK(json_quoted("\xed\xa0\x80") == "\"" + fffd + fffd + fffd + "\"");             // a surrogate
  CHECK(json_quoted("\xf4\x90\x80\x80") == "\"" + fffd + fffd + fffd + fffd + "\"");  // > U+10FFFF
  CHECK(json_quoted("\xf0\x9f\x9a\xe2\x82\xac") == "\"" + fffd + "\xe2\x82\xac\"");
  for (const std::string_view text :
       {"\x80"sv, "a\xe2\x82"sv, "\xe2\x82z"sv, "\xe2\x82\""sv, "\xc0\xaf"sv, "\xed\xa0\x80"sv,
        "\xf4\x90\x80\x80"sv, "\xf0\x9f\x9a\xe2\x82\xac"sv, "\xf5\xff\xfe"sv, "\xe0\x9f\x80"sv,
        "\xf0\x8f\xbf\xbf"sv, "\xc2"sv, "\xdf\xbf"sv, "\xef\xbf\xbf"sv, "\xf4\x8f\xbf\xbf"sv}) {
    INFO(nlohmann_quoted(text));
    CHECK(json_quoted(text) == nlohmann_quoted(text));
  }
}

TEST_CASE("append_json_string: any bytes give nlohmann's text", "[report][json]") {
  // Random strings over the bytes that matter: ASCII that needs escaping,
  // lead bytes of each length and the edges of their second byte's ranges,
  // continuation bytes, and bytes that never appear in UTF-8.
  const std::string alphabet = std::string("a\"\\\b\t\n\f\r\x01\x1f\x7f ", 13) +
                               std::string(1, '\0') +
                               "\x80\x8f\x90\x9f\xa0\xbf\xc0\xc1\xc2\xdf\xe0\xe1\xec\xed\xee\xef"
                               "\xf0\xf1\xf3\xf4\xf5\xfe\xff";
  std::mt19937_64 random(42);
  for (int i = 0; i < 20'000; ++i) {
    std::string text(random() % 12, ' ');
    for (char& c : text) {
      c = alphabet[random() % alphabet.size()];
    }
    INFO(nlohmann::json(text).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
    REQUIRE(json_quoted(text) == nlohmann_quoted(text));
  }
}

TEST_CASE("JsonWriter: commas, nesting and values as nlohmann dumps them", "[report][json]") {
  std::string out = "before ";
  JsonWriter json(out);
  json.begin_object();
  json.key("a").number(std::int64_t{-9'223'372'036'854'775'807} - 1);
  json.key("b").number(std::uint64_t{18'446'744'073'709'551'615U});
  json.key("c").begin_array().end_array();
  json.key("d").begin_object().end_object();
  json.key("e").begin_array().number(1).boolean(true).boolean(false).null().string("x");
  json.begin_object().key("k\n").string("v").end_object().begin_array().end_array().end_array();
  json.key("f").null();
  json.end_object();

  nlohmann::ordered_json expected;
  expected["a"] = std::int64_t{-9'223'372'036'854'775'807} - 1;
  expected["b"] = std::uint64_t{18'446'744'073'709'551'615U};
  expected["c"] = nlohmann::ordered_json::array();
  expected["d"] = nlohmann::ordered_json::object();
  expected["e"] = {1, true, false, nullptr, "x", {{"k\n", "v"}}, nlohmann::ordered_json::array()};
  expected["f"] = nullptr;
  CHECK(out == "before " + expected.dump());
}

}  // namespace
