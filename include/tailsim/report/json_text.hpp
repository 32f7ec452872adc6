#pragma once
/// JSON text written straight into a string, for documents too large to
/// build as a DOM first (the trace files of a run that keeps 100,000 traces
/// hold millions of values: building and freeing an nlohmann::json tree
/// took most of the time of writing them).
///
/// The text is what `nlohmann::json::dump(-1, ' ', false,
/// error_handler_t::replace)` writes for the same document: no white space,
/// members in the order written, integers in decimal, strings escaped as
/// nlohmann escapes them (below). Nothing checks that the calls make a
/// well-formed document: the writer trusts its caller's order of
/// begin/key/value/end, as it is fixed by each format's code.

#include <concepts>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace tailsim::report {

/// Appends `text` as a JSON string, quotes included. `"` and `\` are
/// escaped, as are control characters (U+0000 to U+001F: `\b`, `\t`, `\n`,
/// `\f`, `\r`, else `\u00xx` in lowercase hex); other text, non-ASCII and
/// DEL included, is copied as it is. Bytes that are not well-formed UTF-8
/// become U+FFFD, one for each maximal subpart of a sequence (the
/// Unicode standard's "substitution of maximal subparts", which is what
/// nlohmann's `error_handler_t::replace` does): a stray continuation byte or
/// a byte that cannot start a sequence is one, and a sequence cut short
/// (by the end of the text or by a byte that cannot continue it) is one,
/// the byte that cut it read afresh.
void append_json_string(std::string& out, std::string_view text);

/// Writes one JSON document into a string, value by value; commas between
/// members and elements come by themselves.
class JsonWriter {
 public:
  /// Appends to `out`, which may already hold text (earlier documents).
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }

  /// A member's name; its value is the next call.
  JsonWriter& key(std::string_view name) {
    separate();
    append_json_string(out_, name);
    out_ += ':';
    need_comma_ = false;
    return *this;
  }

  JsonWriter& string(std::string_view value) {
    separate();
    append_json_string(out_, value);
    return *this;
  }

  /// An integer in decimal (bool has a function of its own: `boolean`).
  template <std::integral T>
  requires(!std::same_as<T, bool>) JsonWriter& number(T value) {
    separate();
    fmt::format_to(std::back_inserter(out_), "{}", value);
    return *this;
  }

  JsonWriter& boolean(bool value) { return literal(value ? "true" : "false"); }
  JsonWriter& null() { return literal("null"); }

 private:
  void separate() {
    if (need_comma_) {
      out_ += ',';
    }
    need_comma_ = true;
  }
  JsonWriter& open(char bracket) {
    separate();
    out_ += bracket;
    need_comma_ = false;
    return *this;
  }
  JsonWriter& close(char bracket) {
    out_ += bracket;
    need_comma_ = true;
    return *this;
  }
  JsonWriter& literal(std::string_view text) {
    separate();
    out_ += text;
    return *this;
  }

  std::string& out_;
  /// Whether a value has been written at this level (the next needs a comma).
  bool need_comma_ = false;
};

}  // namespace tailsim::report
