#include "tailsim/report/epoch.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace tailsim::report {
namespace {

constexpr std::int64_t seconds_per_day = 86'400;

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar
/// (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, std::int64_t m, std::int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146'097 + doe - 719'468;
}

struct Civil {
  std::int64_t year;
  std::int64_t month;
  std::int64_t day;
};

/// The date `days` after 1970-01-01 (Howard Hinnant's civil_from_days).
Civil civil_from_days(std::int64_t days) {
  days += 719'468;
  const std::int64_t era = (days >= 0 ? days : days - 146'096) / 146'097;
  const std::int64_t doe = days - era * 146'097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp + (mp < 10 ? 3 : -9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

bool is_leap(std::int64_t year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

std::int64_t days_in_month(std::int64_t year, std::int64_t month) {
  static constexpr std::int64_t days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

/// Reads text left to right; every read fails once one has.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  /// Exactly `count` digits as a number.
  std::int64_t digits(std::size_t count) {
    std::int64_t value = 0;
    for (std::size_t i = 0; i < count; ++i) {
      if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') {
        ok_ = false;
        return 0;
      }
      value = value * 10 + (text_[pos_++] - '0');
    }
    return value;
  }

  /// One or more digits, at most `most`, and how many there were.
  std::int64_t some_digits(std::size_t most, std::size_t& count) {
    count = 0;
    std::int64_t value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (++count > most) {
        ok_ = false;
        return 0;
      }
      value = value * 10 + (text_[pos_++] - '0');
    }
    ok_ = ok_ && count > 0;
    return value;
  }

  /// The next character is one of `chars`: which, or 0 (and failed).
  char one_of(std::string_view chars) {
    if (pos_ < text_.size() && chars.find(text_[pos_]) != std::string_view::npos) {
      return text_[pos_++];
    }
    ok_ = false;
    return 0;
  }

  /// `.digits` when the next character is a point: nanoseconds (up to 9
  /// digits); 0 otherwise.
  std::int64_t fraction_ns() {
    if (pos_ >= text_.size() || text_[pos_] != '.') {
      return 0;
    }
    ++pos_;
    std::size_t count = 0;
    std::int64_t value = some_digits(9, count);
    for (; count < 9; ++count) {
      value *= 10;
    }
    return value;
  }

  [[nodiscard]] bool at_end() const { return pos_ == text_.size(); }
  [[nodiscard]] bool ok() const { return ok_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

std::optional<std::int64_t> parse_rfc3339(std::string_view text) {
  Reader in(text);
  const std::int64_t year = in.digits(4);
  in.one_of("-");
  const std::int64_t month = in.digits(2);
  in.one_of("-");
  const std::int64_t day = in.digits(2);
  in.one_of("Tt");
  const std::int64_t hour = in.digits(2);
  in.one_of(":");
  const std::int64_t minute = in.digits(2);
  in.one_of(":");
  const std::int64_t second = in.digits(2);
  const std::int64_t fraction = in.fraction_ns();
  std::int64_t offset_s = 0;
  const char zone = in.one_of("Zz+-");
  if (zone == '+' || zone == '-') {
    const std::int64_t offset_hour = in.digits(2);
    in.one_of(":");
    const std::int64_t offset_minute = in.digits(2);
    if (offset_hour > 23 || offset_minute > 59) {
      return std::nullopt;
    }
    offset_s = (offset_hour * 60 + offset_minute) * 60 * (zone == '+' ? 1 : -1);
  }
  if (!in.ok() || !in.at_end() || month < 1 || month > 12 || day < 1 ||
      day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  const std::int64_t unix_s = days_from_civil(year, month, day) * seconds_per_day +
                              (hour * 60 + minute) * 60 + second - offset_s;
  if (unix_s < 0 || unix_s > max_epoch_unix_ns / ns_per_second) {
    return std::nullopt;
  }
  return unix_s * ns_per_second + fraction;
}

std::optional<std::int64_t> parse_unix_seconds(std::string_view text) {
  Reader in(text);
  std::size_t count = 0;
  const std::int64_t whole = in.some_digits(10, count);
  const std::int64_t fraction = in.fraction_ns();
  if (!in.ok() || !in.at_end() || whole > max_epoch_unix_ns / ns_per_second) {
    return std::nullopt;
  }
  return whole * ns_per_second + fraction;
}

}  // namespace

std::optional<std::int64_t> parse_epoch(std::string_view text) {
  const bool is_date = text.find_first_of("-:Tt") != std::string_view::npos;
  const std::optional<std::int64_t> ns = is_date ? parse_rfc3339(text) : parse_unix_seconds(text);
  if (!ns || *ns > max_epoch_unix_ns) {
    return std::nullopt;
  }
  return ns;
}

std::string format_rfc3339(std::int64_t unix_ns) {
  const std::int64_t unix_s = unix_ns / ns_per_second;
  const std::int64_t of_day = unix_s % seconds_per_day;
  const Civil date = civil_from_days(unix_s / seconds_per_day);
  std::string text = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", date.year, date.month,
                                 date.day, of_day / 3600, of_day / 60 % 60, of_day % 60);
  const std::string seconds = exact_seconds_text(unix_ns % ns_per_second);
  if (seconds != "0") {
    text += seconds.substr(1);  // ".25" of "0.25"
  }
  return text + "Z";
}

std::string exact_seconds_text(std::int64_t ns) {
  const std::int64_t whole = ns / ns_per_second;
  std::int64_t fraction = ns % ns_per_second;
  if (fraction == 0) {
    return fmt::format("{}", whole);
  }
  int digits = 9;
  while (fraction % 10 == 0) {
    fraction /= 10;
    --digits;
  }
  return fmt::format("{}.{:0{}}", whole, fraction, digits);
}

}  // namespace tailsim::report
