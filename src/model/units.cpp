#include "tailsim/model/units.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "tailsim/core/duration_text.hpp"
#include "text_piece.hpp"

namespace tailsim::model {
using detail::error_at;
using detail::is_space;
using detail::Piece;
using detail::trim;

namespace {

/// Exponents beyond this are saturated while scanning; any number this far
/// from 1 overflows or underflows every unit anyway.
constexpr std::int64_t max_exponent = 100'000;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
char lower_ascii_letter(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// A decimal number as written (`-1.5e3`), read exactly: the value is
/// 0.DIGITS x 10^point, with leading and trailing zeros removed from `digits`
/// (so an empty `digits` is zero).
struct Decimal {
  bool negative = false;
  std::string digits;
  std::int64_t point = 0;
  std::size_t length = 0;  // characters of the text that make up the number
};

/// Reads the longest number at the start of `text`; none if it does not start
/// with one (`inf` and `nan` are not numbers here).
std::optional<Decimal> scan_decimal(std::string_view text) {
  Decimal d;
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    d.negative = text[i] == '-';
    ++i;
  }
  std::size_t mantissa_digits = 0;
  std::int64_t integer_digits = 0;
  while (i < text.size() && is_digit(text[i])) {
    d.digits += text[i];
    ++integer_digits;
    ++mantissa_digits;
    ++i;
  }
  if (i < text.size() && text[i] == '.') {
    const std::size_t dot = i;
    ++i;
    while (i < text.size() && is_digit(text[i])) {
      d.digits += text[i];
      ++mantissa_digits;
      ++i;
    }
    if (mantissa_digits == 0) {
      i = dot;
    }
  }
  if (mantissa_digits == 0) {
    return std::nullopt;
  }
  std::int64_t exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    std::size_t j = i + 1;
    bool exponent_negative = false;
    if (j < text.size() && (text[j] == '+' || text[j] == '-')) {
      exponent_negative = text[j] == '-';
      ++j;
    }
    if (j < text.size() && is_digit(text[j])) {
      while (j < text.size() && is_digit(text[j])) {
        if (exponent < max_exponent) {
          exponent = exponent * 10 + (text[j] - '0');
        }
        ++j;
      }
      exponent = exponent_negative ? -exponent : exponent;
      i = j;
    }
  }
  d.length = i;
  d.point = integer_digits + exponent;
  std::size_t leading = 0;
  while (leading < d.digits.size() && d.digits[leading] == '0') {
    ++leading;
  }
  d.digits.erase(0, leading);
  d.point -= static_cast<std::int64_t>(leading);
  while (!d.digits.empty() && d.digits.back() == '0') {
    d.digits.pop_back();
  }
  if (d.digits.empty()) {
    d.point = 0;
  }
  return d;
}

bool is_zero(const Decimal& d) {
  return d.digits.empty();
}

/// The number as a double; infinite when it is too large for one, zero when
/// too small. `text` is the text `d` was scanned from.
double to_double(const Decimal& d, std::string_view text) {
  std::string_view number = text.substr(0, d.length);
  if (!number.empty() && number.front() == '+') {
    number.remove_prefix(1);  // from_chars does not take a plus sign
  }
  double value = 0;
  const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec == std::errc::result_out_of_range) {
    const double magnitude = d.point > 0 ? std::numeric_limits<double>::infinity() : 0.0;
    return d.negative ? -magnitude : magnitude;
  }
  if (ec != std::errc{} || ptr != number.data() + number.size()) {
    return std::numeric_limits<double>::quiet_NaN();  // scan_decimal and from_chars disagree
  }
  return value;
}

/// `d` (not negative) times `unit`, rounded half up to a whole number, computed
/// exactly; none when the result does not fit in 64 bits.
std::optional<std::int64_t> scale_exact(const Decimal& d, std::int64_t unit) {
  if (is_zero(d)) {
    return 0;
  }
  if (d.point > 19) {
    return std::nullopt;  // at least 10^19, more than int64 holds
  }
  const auto size = static_cast<std::int64_t>(d.digits.size());
  std::int64_t whole = 0;
  for (std::int64_t i = 0; i < d.point; ++i) {
    const int digit = i < size ? d.digits[static_cast<std::size_t>(i)] - '0' : 0;
    if (__builtin_mul_overflow(whole, 10, &whole) || __builtin_add_overflow(whole, digit, &whole)) {
      return std::nullopt;
    }
  }
  // The fraction 0.F times unit, by Horner's rule from the last digit: after
  // each step the value is q + 0.r..., and the first remainder digit decides
  // the rounding.
  std::int64_t q = 0;
  std::int64_t r = 0;
  const std::int64_t first = std::max<std::int64_t>(d.point, 0);
  // Fraction digits start `zeros` places after the point; beyond 30 places even
  // the largest unit contributes less than half.
  const std::int64_t zeros = d.point < 0 ? -d.point : 0;
  if (zeros <= 30) {
    for (std::int64_t i = size - 1; i >= first; --i) {
      const std::int64_t t = unit * (d.digits[static_cast<std::size_t>(i)] - '0') + q;
      q = t / 10;
      r = t % 10;
    }
    for (std::int64_t i = 0; i < zeros; ++i) {
      r = q % 10;
      q = q / 10;
    }
  }
  const std::int64_t fraction = q + (r >= 5 ? 1 : 0);
  std::int64_t result = 0;
  if (__builtin_mul_overflow(whole, unit, &result) ||
      __builtin_add_overflow(result, fraction, &result)) {
    return std::nullopt;
  }
  return result;
}

/// A unit name and what one of it is worth.
template <class T>
struct Unit {
  std::string_view name;
  T scale;
};

/// Spellings people reach for that are not units of the format, with the unit meant.
struct Alias {
  std::string_view written;
  std::string_view meant;
};

constexpr std::array<Alias, 22> duration_aliases{
    {{"nsec", "ns"},   {"nanos", "ns"},  {"usec", "us"},   {"micros", "us"}, {"µs", "us"},
     {"μs", "us"},     {"msec", "ms"},   {"millis", "ms"}, {"sec", "s"},     {"secs", "s"},
     {"second", "s"},  {"seconds", "s"}, {"min", "m"},     {"mins", "m"},    {"minute", "m"},
     {"minutes", "m"}, {"hr", "h"},      {"hrs", "h"},     {"hour", "h"},    {"hours", "h"},
     {"d", "24h"},     {"day", "24h"}}};

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower_ascii_letter(a[i]) != lower_ascii_letter(b[i])) {
      return false;
    }
  }
  return true;
}

template <class U, std::size_t N>
const U* find_unit(std::string_view name, const std::array<U, N>& units) {
  for (const auto& u : units) {
    if (u.name == name) {
      return &u;
    }
  }
  return nullptr;
}

/// `; did you mean 'x'?` for a unit written in the wrong case or spelled out;
/// no guessing beyond that, since one-letter units are all close to each other.
template <class U, std::size_t N>
std::string unit_hint(std::string_view written, const std::array<U, N>& units,
                      std::span<const Alias> aliases) {
  // Case matters for bits and bytes (`Kb/s`, `KB/s`), so exact spellings come first.
  for (const auto& a : aliases) {
    if (a.written == written) {
      return fmt::format("; did you mean '{}'?", a.meant);
    }
  }
  const U* match = nullptr;
  for (const auto& u : units) {
    if (equals_ignoring_case(u.name, written)) {
      if (match != nullptr) {
        return {};  // ambiguous, such as 'mbps' for Mbps or MBps
      }
      match = &u;
    }
  }
  if (match != nullptr) {
    return fmt::format("; did you mean '{}'?", match->name);
  }
  for (const auto& a : aliases) {
    if (equals_ignoring_case(a.written, written)) {
      return fmt::format("; did you mean '{}'?", a.meant);
    }
  }
  return {};
}

bool is_non_finite_word(std::string_view text) {
  std::string_view t = text;
  if (!t.empty() && (t.front() == '+' || t.front() == '-')) {
    t.remove_prefix(1);
  }
  if (!t.empty() && t.front() == '.') {
    t.remove_prefix(1);  // YAML writes .inf and .nan
  }
  for (std::string_view word : {"infinity", "inf", "nan"}) {
    if (t.size() >= word.size() && equals_ignoring_case(t.substr(0, word.size()), word)) {
      return true;
    }
  }
  return false;
}

/// A number followed by a unit: the scanned number and the trimmed unit text.
struct Quantity {
  Decimal number;
  Piece unit;
};

/// Splits `whole` (already trimmed, starting at `offset`) into a number and
/// the rest; `what` names the kind of value for messages ("a duration").
ParseResult<Quantity> scan_quantity(Piece whole, std::string_view what, std::string_view example) {
  if (whole.text.empty()) {
    return error_at(whole.offset,
                    fmt::format("{} is empty; write one such as '{}'", what, example));
  }
  auto number = scan_decimal(whole.text);
  if (!number) {
    if (is_non_finite_word(whole.text)) {
      return error_at(whole.offset,
                      fmt::format("{} must be a finite number, got '{}'", what, whole.text));
    }
    return error_at(whole.offset, fmt::format("{} must start with a number, such as '{}', got '{}'",
                                              what, example, whole.text));
  }
  Piece unit = trim(whole.text.substr(number->length), whole.offset + number->length);
  return Quantity{std::move(*number), unit};
}

ParseError unknown_unit(const Piece& whole, const Piece& unit, std::string_view what,
                        std::string_view units_list, std::string hint) {
  if (hint.empty()) {
    return error_at(unit.offset, fmt::format("unknown {} unit '{}' in '{}'; use {}", what,
                                             unit.text, whole.text, units_list));
  }
  return error_at(unit.offset,
                  fmt::format("unknown {} unit '{}' in '{}'{}", what, unit.text, whole.text, hint));
}

// Ki, Mi, Gi and Ti are Kubernetes' binary suffixes (a pod's `memory: 256Mi`).
constexpr std::array<Unit<std::int64_t>, 14> size_units{{{"B", 1},
                                                         {"KB", 1'000},
                                                         {"kB", 1'000},
                                                         {"MB", 1'000'000},
                                                         {"GB", 1'000'000'000},
                                                         {"TB", 1'000'000'000'000},
                                                         {"KiB", std::int64_t{1} << 10},
                                                         {"MiB", std::int64_t{1} << 20},
                                                         {"GiB", std::int64_t{1} << 30},
                                                         {"TiB", std::int64_t{1} << 40},
                                                         {"Ki", std::int64_t{1} << 10},
                                                         {"Mi", std::int64_t{1} << 20},
                                                         {"Gi", std::int64_t{1} << 30},
                                                         {"Ti", std::int64_t{1} << 40}}};

constexpr std::array<Alias, 3> size_aliases{{{"byte", "B"}, {"bytes", "B"}, {"k", "KiB"}}};

constexpr std::array<Unit<double>, 12> bandwidth_units{{{"bps", 1.0 / 8},
                                                        {"Kbps", 1e3 / 8},
                                                        {"kbps", 1e3 / 8},
                                                        {"Mbps", 1e6 / 8},
                                                        {"Gbps", 1e9 / 8},
                                                        {"Tbps", 1e12 / 8},
                                                        {"Bps", 1},
                                                        {"KBps", 1e3},
                                                        {"kBps", 1e3},
                                                        {"MBps", 1e6},
                                                        {"GBps", 1e9},
                                                        {"TBps", 1e12}}};

constexpr std::array<Alias, 8> bandwidth_aliases{{{"b/s", "bps"},
                                                  {"kb/s", "Kbps"},
                                                  {"mbit/s", "Mbps"},
                                                  {"gbit/s", "Gbps"},
                                                  {"B/s", "Bps"},
                                                  {"KB/s", "KBps"},
                                                  {"MB/s", "MBps"},
                                                  {"GB/s", "GBps"}}};

/// Seconds in one of the time units a rate may be written per.
constexpr std::array<Unit<double>, 6> rate_units{
    {{"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}}};

}  // namespace

namespace {

/// Where a compound duration ("1h30m", "9m30.5s", as Go and Kubernetes write
/// them) starts its next part: after a unit, a digit. npos: a single part.
std::size_t next_part(std::string_view text, std::size_t from) {
  for (std::size_t i = from + 1; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (std::isdigit(c) == 0 && c != '.') {
      continue;
    }
    std::size_t letters = i;  // the run of letters just before: a unit ("1e3" has none)
    while (letters > from && std::isalpha(static_cast<unsigned char>(text[letters - 1])) != 0) {
      --letters;
    }
    if (letters < i && find_unit(text.substr(letters, i - letters), duration_units) != nullptr) {
      return i;
    }
  }
  return std::string_view::npos;
}

ParseResult<Duration> parse_single_duration(std::string_view text);

/// "1h30m": each part a duration of its own, units from the largest down.
ParseResult<Duration> parse_compound_duration(const Piece& whole) {
  Duration total{0};
  std::int64_t previous_unit = std::numeric_limits<std::int64_t>::max();
  for (std::size_t start = 0; start < whole.text.size();) {
    const std::size_t end = next_part(whole.text, start);
    const std::string_view part = whole.text.substr(start, end - start);
    auto value = parse_single_duration(part);
    if (!value) {
      return error_at(whole.offset + start + value.error().offset, value.error().message);
    }
    // The part's unit: its letters after the number.
    std::size_t letters = part.size();
    while (letters > 0 && std::isalpha(static_cast<unsigned char>(part[letters - 1])) != 0) {
      --letters;
    }
    const auto* unit = find_unit(part.substr(letters), duration_units);
    const std::int64_t scale = unit != nullptr ? unit->scale : 0;
    if (scale >= previous_unit) {
      return error_at(whole.offset + start,
                      fmt::format("in the compound duration '{}', write the units from the "
                                  "largest down, each once, e.g. '1h30m' or '9m30s'",
                                  whole.text));
    }
    previous_unit = scale;
    if (total.count() > std::numeric_limits<std::int64_t>::max() - value->count()) {
      return error_at(whole.offset, fmt::format("duration too large: '{}'", whole.text));
    }
    total += *value;
    start = end == std::string_view::npos ? whole.text.size() : end;
  }
  return total;
}

}  // namespace

ParseResult<Duration> parse_duration(std::string_view text) {
  const Piece whole = trim(text);
  if (!whole.text.empty() && whole.text.front() != '-' &&
      next_part(whole.text, 0) != std::string_view::npos) {
    return parse_compound_duration(whole);
  }
  auto single = parse_single_duration(whole.text);
  if (!single) {
    return error_at(whole.offset + single.error().offset, single.error().message);
  }
  return single;
}

namespace {

ParseResult<Duration> parse_single_duration(std::string_view text) {
  const Piece whole = trim(text);
  auto scanned = scan_quantity(whole, "a duration", "250ms");
  if (!scanned) {
    return scanned.error();
  }
  const auto& [number, unit] = *scanned;
  if (number.negative && !is_zero(number)) {
    return error_at(whole.offset,
                    fmt::format("a duration cannot be negative, got '{}'", whole.text));
  }
  if (unit.text.empty()) {
    // Word for word as the loader's tests expect it.
    return error_at(whole.offset, "a duration needs a unit (ns, us, ms, s, m, h), e.g. '250ms'");
  }
  const auto* u = find_unit(unit.text, duration_units);
  if (u == nullptr) {
    return unknown_unit(whole, unit, "duration", "ns, us, ms, s, m or h",
                        unit_hint(unit.text, duration_units, duration_aliases));
  }
  auto ns = scale_exact(number, u->scale);
  if (!ns) {
    return error_at(whole.offset,
                    fmt::format("duration too large: '{}' is more than the 292 years that "
                                "tailsim counts in nanoseconds",
                                whole.text));
  }
  return Duration{*ns};
}

}  // namespace

ParseResult<double> parse_rate(std::string_view text) {
  const Piece whole = trim(text);
  auto scanned = scan_quantity(whole, "a rate", "400/s");
  if (!scanned) {
    return scanned.error();
  }
  const auto& [number, rest] = *scanned;
  if (number.negative && !is_zero(number)) {
    return error_at(whole.offset, fmt::format("a rate cannot be negative, got '{}'", whole.text));
  }
  if (rest.text.empty()) {
    return error_at(
        whole.offset,
        fmt::format("a rate needs a time unit, e.g. '400/s' or '24000/m', got '{}'", whole.text));
  }
  double multiplier = 1;
  Piece after = rest;
  if (rest.text.front() != '/') {
    const Piece slash = trim(rest.text.substr(1), rest.offset + 1);
    if (slash.text.empty() || slash.text.front() != '/') {
      return error_at(rest.offset,
                      fmt::format("a rate is written COUNT/UNIT, e.g. '400/s' or '1.5k/s', got "
                                  "'{}'",
                                  whole.text));
    }
    if (rest.text.front() == 'k') {
      multiplier = 1e3;
    } else if (rest.text.front() == 'M') {
      multiplier = 1e6;
    } else {
      return error_at(rest.offset, fmt::format("unknown multiplier '{}' in '{}'; use k "
                                               "(thousands) or M (millions)",
                                               rest.text.front(), whole.text));
    }
    after = slash;
  }
  const Piece unit = trim(after.text.substr(1), after.offset + 1);
  if (unit.text.empty()) {
    return error_at(after.offset, fmt::format("a rate needs a time unit after '/', e.g. '400/s', "
                                              "got '{}'",
                                              whole.text));
  }
  const auto* u = find_unit(unit.text, rate_units);
  if (u == nullptr) {
    // Days are left out of the hints: '24h' is no unit for a rate.
    return unknown_unit(whole, unit, "rate", "s, m or h (or ms, us, ns), as in '400/s'",
                        unit_hint(unit.text, rate_units, std::span(duration_aliases).first(20)));
  }
  const double value = to_double(number, whole.text) * multiplier / u->scale;
  if (!std::isfinite(value) || value > max_rate) {
    return error_at(whole.offset,
                    fmt::format("rate too large: '{}' is more than 1G/s (one per nanosecond, "
                                "the resolution of the simulated clock)",
                                whole.text));
  }
  return value;
}

ParseResult<double> parse_fraction(std::string_view text) {
  const Piece whole = trim(text);
  if (whole.text.empty()) {
    return error_at(whole.offset,
                    "a fraction is empty; write a percentage such as '20%' or a "
                    "fraction such as '0.2'");
  }
  auto number = scan_decimal(whole.text);
  if (!number) {
    const char* why = is_non_finite_word(whole.text) ? "a finite " : "";
    return error_at(whole.offset, fmt::format("expected a {}percentage such as '20%' or a fraction "
                                              "such as '0.2', got '{}'",
                                              why, whole.text));
  }
  const Piece rest = trim(whole.text.substr(number->length), whole.offset + number->length);
  double divisor = 1;
  if (rest.text == "%") {
    divisor = 100;
  } else if (!rest.text.empty()) {
    return error_at(rest.offset, fmt::format("a fraction is written '20%' or '0.2'; unexpected "
                                             "'{}' in '{}'",
                                             rest.text, whole.text));
  }
  if (number->negative && !is_zero(*number)) {
    return error_at(whole.offset,
                    fmt::format("a fraction cannot be negative, got '{}'", whole.text));
  }
  const double value = to_double(*number, whole.text) / divisor;
  if (!std::isfinite(value)) {
    return error_at(whole.offset, fmt::format("fraction too large: '{}'", whole.text));
  }
  return value;
}

ParseResult<std::int64_t> parse_size(std::string_view text) {
  const Piece whole = trim(text);
  auto scanned = scan_quantity(whole, "a size", "4KiB");
  if (!scanned) {
    return scanned.error();
  }
  const auto& [number, unit] = *scanned;
  if (number.negative && !is_zero(number)) {
    return error_at(whole.offset, fmt::format("a size cannot be negative, got '{}'", whole.text));
  }
  if (unit.text.empty()) {
    return error_at(whole.offset, fmt::format("a size needs a unit (B, KB, MB, GB, TB, KiB, MiB, "
                                              "GiB, TiB; Ki, Mi, Gi, Ti as Kubernetes writes "
                                              "them), e.g. '4KiB', got '{}'",
                                              whole.text));
  }
  const auto* u = find_unit(unit.text, size_units);
  if (u == nullptr) {
    return unknown_unit(whole, unit, "size",
                        "B, KB, MB, GB, TB, KiB, MiB, GiB, TiB, Ki, Mi, Gi or Ti",
                        unit_hint(unit.text, size_units, size_aliases));
  }
  auto bytes = scale_exact(number, u->scale);
  if (!bytes) {
    return error_at(whole.offset, fmt::format("size too large: '{}'", whole.text));
  }
  return *bytes;
}

ParseResult<double> parse_bandwidth(std::string_view text) {
  const Piece whole = trim(text);
  auto scanned = scan_quantity(whole, "a bandwidth", "1Gbps");
  if (!scanned) {
    return scanned.error();
  }
  const auto& [number, unit] = *scanned;
  if (number.negative && !is_zero(number)) {
    return error_at(whole.offset,
                    fmt::format("a bandwidth cannot be negative, got '{}'", whole.text));
  }
  if (unit.text.empty()) {
    return error_at(whole.offset, fmt::format("a bandwidth needs a unit: bps, Kbps, Mbps, Gbps "
                                              "(bits) or Bps, KBps, MBps, GBps (bytes), e.g. "
                                              "'1Gbps', got '{}'",
                                              whole.text));
  }
  const auto* u = find_unit(unit.text, bandwidth_units);
  if (u == nullptr) {
    return unknown_unit(whole, unit, "bandwidth",
                        "bps, Kbps, Mbps, Gbps (bits per second) or Bps, KBps, MBps, GBps "
                        "(bytes per second)",
                        unit_hint(unit.text, bandwidth_units, bandwidth_aliases));
  }
  const double value = to_double(number, whole.text) * u->scale;
  if (!std::isfinite(value)) {
    return error_at(whole.offset, fmt::format("bandwidth too large: '{}'", whole.text));
  }
  return value;
}

ParseResult<double> parse_number(std::string_view text) {
  const Piece whole = trim(text);
  if (whole.text.empty()) {
    return error_at(whole.offset, "expected a number, got nothing");
  }
  auto number = scan_decimal(whole.text);
  if (!number) {
    if (is_non_finite_word(whole.text)) {
      return error_at(whole.offset, fmt::format("expected a finite number, got '{}'", whole.text));
    }
    return error_at(whole.offset, fmt::format("expected a number, got '{}'", whole.text));
  }
  if (number->length != whole.text.size()) {
    return error_at(whole.offset + number->length,
                    fmt::format("unexpected '{}' after the number in '{}'",
                                whole.text.substr(number->length), whole.text));
  }
  const double value = to_double(*number, whole.text);
  if (!std::isfinite(value)) {
    return error_at(whole.offset, fmt::format("number too large: '{}'", whole.text));
  }
  return value;
}

ParseResult<std::int64_t> parse_integer(std::string_view text) {
  const Piece whole = trim(text);
  if (whole.text.empty()) {
    return error_at(whole.offset, "expected a whole number, got nothing");
  }
  std::size_t i = 0;
  if (whole.text[i] == '+' || whole.text[i] == '-') {
    ++i;
  }
  const std::size_t digits_start = i;
  while (i < whole.text.size() && is_digit(whole.text[i])) {
    ++i;
  }
  if (i == digits_start || i != whole.text.size()) {
    const std::size_t bad = i == whole.text.size() ? 0 : i;
    return error_at(whole.offset + bad,
                    fmt::format("expected a whole number, got '{}'", whole.text));
  }
  std::string_view number = whole.text;
  if (number.front() == '+') {
    number.remove_prefix(1);
  }
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec == std::errc::result_out_of_range) {
    return error_at(whole.offset,
                    fmt::format("number too large: '{}' does not fit in 64 bits", whole.text));
  }
  if (ec != std::errc{} || ptr != number.data() + number.size()) {
    return error_at(whole.offset, fmt::format("expected a whole number, got '{}'", whole.text));
  }
  return value;
}

ParseResult<std::uint64_t> parse_seed(std::string_view text) {
  const Piece whole = trim(text);
  std::string_view digits = whole.text;
  if (digits.starts_with('+')) {
    digits.remove_prefix(1);
  }
  const bool all_digits = !digits.empty() && std::all_of(digits.begin(), digits.end(),
                                                         [](char c) { return is_digit(c); });
  std::uint64_t value = 0;
  const auto [ptr, ec] = all_digits
                             ? std::from_chars(digits.data(), digits.data() + digits.size(), value)
                             : std::from_chars_result{digits.data(), std::errc::invalid_argument};
  if (ec == std::errc::result_out_of_range) {
    return error_at(whole.offset,
                    fmt::format("a seed is at most {} (2^64-1), got '{}'",
                                std::numeric_limits<std::uint64_t>::max(), whole.text));
  }
  if (ec != std::errc{} || ptr != digits.data() + digits.size()) {
    return error_at(whole.offset,
                    fmt::format("a seed is a whole number from 0 to {}, got '{}'",
                                std::numeric_limits<std::uint64_t>::max(), whole.text));
  }
  return value;
}

ParseResult<IntRange> parse_int_range(std::string_view text) {
  const Piece whole = trim(text);
  const std::size_t dots = whole.text.find("..");
  if (dots == std::string_view::npos) {
    auto value = parse_integer(whole.text);
    if (!value) {
      return error_at(whole.offset + value.error().offset,
                      fmt::format("{}; a range is written '5' or '1..10'", value.error().message));
    }
    return IntRange{*value, *value};
  }
  const Piece low_text = trim(whole.text.substr(0, dots), whole.offset);
  const Piece high_text = trim(whole.text.substr(dots + 2), whole.offset + dots + 2);
  if (low_text.text.empty()) {
    return error_at(whole.offset,
                    fmt::format("a range needs a low end, e.g. '1..10', got '{}'", whole.text));
  }
  if (high_text.text.empty()) {
    return error_at(whole.offset + dots + 2,
                    fmt::format("a range needs a high end, e.g. '1..10', got '{}'", whole.text));
  }
  auto low = parse_integer(low_text.text);
  if (!low) {
    return error_at(low_text.offset + low.error().offset,
                    fmt::format("low end of '{}': {}", whole.text, low.error().message));
  }
  auto high = parse_integer(high_text.text);
  if (!high) {
    return error_at(high_text.offset + high.error().offset,
                    fmt::format("high end of '{}': {}", whole.text, high.error().message));
  }
  if (*low > *high) {
    return error_at(whole.offset, fmt::format("range '{}' is backwards: the low end must not "
                                              "exceed the high end",
                                              whole.text));
  }
  return IntRange{*low, *high};
}

std::optional<std::string> simulated_time_error(Duration warmup, Duration duration,
                                                Duration drain) {
  // Each term is below 2^63 ns, so a sum in unsigned 64 bits cannot wrap.
  const auto total = static_cast<std::uint64_t>(warmup.count()) +
                     static_cast<std::uint64_t>(duration.count()) +
                     static_cast<std::uint64_t>(drain.count());
  if (total <= static_cast<std::uint64_t>(max_simulated_time.count())) {
    return std::nullopt;
  }
  return fmt::format(
      "warm-up {} + duration {} + drain {} is more than the {} (100 years) a run can simulate",
      format_duration(warmup), format_duration(duration), format_duration(drain),
      format_duration(max_simulated_time));
}

}  // namespace tailsim::model
