#include "tailsim/import/k8s_quantity.hpp"

#include <array>
#include <limits>
#include <optional>
#include <string>

#include <fmt/format.h>

namespace tailsim::import {
namespace {

using model::ParseError;
using model::ParseResult;
__extension__ using int128 = __int128;  // GCC and clang on 64-bit targets

/// Significant digits a quantity may have: every int64 value has at most 19,
/// and any 19-digit number times 2^60 still fits the 128-bit arithmetic below.
constexpr std::size_t max_digits = 19;
/// The largest exponent read (`e1000` and beyond are far outside any unit).
constexpr int max_exponent = 1000;

/// A quantity taken apart: `digits` (significant, no leading or trailing
/// zeros; empty for zero) x 10^`exp10` x 2^`exp2`.
struct Decomposed {
  std::string digits;
  int exp10 = 0;
  int exp2 = 0;
};

struct Suffix {
  std::string_view text;
  int exp10;
  int exp2;
};

constexpr std::array<Suffix, 16> suffixes{{{"n", -9, 0},
                                           {"u", -6, 0},
                                           {"m", -3, 0},
                                           {"k", 3, 0},
                                           {"M", 6, 0},
                                           {"G", 9, 0},
                                           {"T", 12, 0},
                                           {"P", 15, 0},
                                           {"E", 18, 0},
                                           {"Ki", 0, 10},
                                           {"Mi", 0, 20},
                                           {"Gi", 0, 30},
                                           {"Ti", 0, 40},
                                           {"Pi", 0, 50},
                                           {"Ei", 0, 60},
                                           {"", 0, 0}}};

ParseError bad(std::string_view text, std::size_t offset, std::string_view why) {
  return ParseError{fmt::format("'{}' is not a Kubernetes quantity: {}", text, why), offset};
}

/// The exponent of an `e3`/`E-2` suffix (the letter already skipped).
std::optional<int> read_exponent(std::string_view rest) {
  std::size_t i = 0;
  bool negative = false;
  if (i < rest.size() && (rest[i] == '+' || rest[i] == '-')) {
    negative = rest[i] == '-';
    ++i;
  }
  if (i == rest.size()) {
    return std::nullopt;
  }
  int value = 0;
  for (; i < rest.size(); ++i) {
    if (rest[i] < '0' || rest[i] > '9') {
      return std::nullopt;
    }
    value = std::min(value * 10 + (rest[i] - '0'), max_exponent + 1);
  }
  return negative ? -value : value;
}

ParseResult<Decomposed> decompose(std::string_view text) {
  if (text.empty()) {
    return ParseError{
        "an empty quantity; write a number with an optional suffix, e.g. 250m, 1.5, 128Mi", 0};
  }
  std::size_t i = 0;
  if (text[0] == '+' || text[0] == '-') {
    if (text[0] == '-') {
      return bad(text, 0, "a resource quantity is never negative");
    }
    ++i;
  }
  Decomposed out;
  std::size_t digit_count = 0;
  bool seen_point = false;
  int fraction_digits = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' && !seen_point) {
      seen_point = true;
      continue;
    }
    if (c < '0' || c > '9') {
      break;
    }
    ++digit_count;
    fraction_digits += seen_point ? 1 : 0;
    if (!(out.digits.empty() && c == '0')) {
      out.digits.push_back(c);
    }
  }
  if (digit_count == 0) {
    return bad(text, 0, "it has no digits; write a number with an optional suffix, e.g. 250m");
  }
  const std::string_view suffix = text.substr(i);
  const Suffix* found = nullptr;
  for (const auto& s : suffixes) {
    if (s.text == suffix) {
      found = &s;
      break;
    }
  }
  if (found != nullptr) {
    out.exp10 = found->exp10;
    out.exp2 = found->exp2;
  } else if (suffix.size() > 1 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    const auto exponent = read_exponent(suffix.substr(1));
    if (!exponent) {
      return bad(text, i, fmt::format("'{}' is not an exponent (write e3 or E-2)", suffix));
    }
    if (*exponent > max_exponent || *exponent < -max_exponent) {
      return bad(text, i, fmt::format("the exponent '{}' is out of range", suffix));
    }
    out.exp10 = *exponent;
  } else if (suffix == "K") {
    return bad(text, i, "'K' is not a suffix; kilo is 'k' (1000) and kibi 'Ki' (1024)");
  } else {
    return bad(text, i,
               fmt::format("unknown suffix '{}'; the suffixes are n u m k M G T P E, "
                           "Ki Mi Gi Ti Pi Ei, or an exponent such as e3",
                           suffix));
  }
  out.exp10 -= fraction_digits;
  // Trailing zeros of the digits move into the exponent.
  while (!out.digits.empty() && out.digits.back() == '0') {
    out.digits.pop_back();
    ++out.exp10;
  }
  if (out.digits.size() > max_digits) {
    return bad(text, 0, fmt::format("it has more than {} significant digits", max_digits));
  }
  return out;
}

/// `text` x 10^`scale10`, rounded up to a whole number.
ParseResult<std::int64_t> scaled(std::string_view text, int scale10, std::string_view unit) {
  auto parts = decompose(text);
  if (!parts) {
    return parts.error();
  }
  const Decomposed& q = parts.value();
  if (q.digits.empty()) {
    return std::int64_t{0};
  }
  constexpr std::int64_t largest = std::numeric_limits<std::int64_t>::max();
  constexpr auto ceiling = static_cast<int128>(largest);
  int128 value = 0;
  for (char c : q.digits) {
    value = value * 10 + static_cast<int>(c - '0');
  }
  value <<= q.exp2;  // below 10^19 x 2^60: fits
  const int exp10 = q.exp10 + scale10;
  const auto too_large = [&] {
    return bad(text, 0, fmt::format("it is more than {} {}", largest, unit));
  };
  if (exp10 >= 0) {
    for (int k = 0; k < exp10; ++k) {
      value *= 10;
      if (value > ceiling) {
        return too_large();
      }
    }
    if (value > ceiling) {
      return too_large();
    }
    return static_cast<std::int64_t>(value);
  }
  // A fraction of the unit: rounded up, so anything above zero is at least 1.
  constexpr int max_divisor_exp = 38;  // 10^38 fits, and exceeds any value (below 2^124)
  if (-exp10 > max_divisor_exp) {
    return std::int64_t{1};
  }
  int128 divisor = 1;
  for (int k = 0; k < -exp10; ++k) {
    divisor *= 10;
  }
  const int128 quotient = value / divisor + (value % divisor != 0 ? 1 : 0);
  if (quotient > ceiling) {
    return too_large();
  }
  return static_cast<std::int64_t>(quotient);
}

}  // namespace

ParseResult<std::int64_t> parse_millicores(std::string_view text) {
  return scaled(text, 3, "millicores");
}

ParseResult<std::int64_t> parse_bytes(std::string_view text) {
  return scaled(text, 0, "bytes");
}

}  // namespace tailsim::import
