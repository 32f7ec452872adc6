#include "tailsim/model/load_scaling.hpp"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace tailsim::model {
namespace {

/// The most users a closed workload may have (section_reader's bound).
constexpr double max_users = 10'000'000;

}  // namespace

ParseResult<double> parse_load_factor(std::string_view text) {
  std::string_view number = text;
  if (number.ends_with('x') || number.ends_with('X')) {
    number.remove_suffix(1);
  }
  double factor = 0;
  const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), factor);
  if (number.empty() || error != std::errc() || end != number.data() + number.size()) {
    return ParseError{
        fmt::format("a load factor is a number with an optional 'x', such as 3x or 0.5x; got '{}'",
                    text),
        0};
  }
  if (!(factor > 0) || factor > max_load_factor) {
    return ParseError{
        fmt::format("a load factor is above 0 and at most {:g}x; got '{}'", max_load_factor, text),
        0};
  }
  return factor;
}

std::optional<std::string> scale_load(Model& m, double factor) {
  // Every workload is checked before any is changed, so an error leaves the
  // model as it was.
  for (const Workload& w : m.workloads) {
    const std::string& name = w.name.value;
    if (w.kind == WorkloadKind::trace) {
      return fmt::format(
          "workload '{}' replays the arrival times of a file, which a factor cannot scale; "
          "scale those times, or give it a rate",
          name);
    }
    double highest = w.rate ? w.rate->value : 0;
    for (const SchedulePoint& point : w.schedule) {
      highest = std::max(highest, point.rate.value);
    }
    if (highest * factor > max_rate) {
      return fmt::format(
          "workload '{}' would reach {:g}/s, more than 1G/s (one per nanosecond, the "
          "resolution of the simulated clock)",
          name, highest * factor);
    }
    if (w.users && static_cast<double>(w.users->value) * factor > max_users) {
      return fmt::format("workload '{}' would have {:g} users, more than {:g}", name,
                         static_cast<double>(w.users->value) * factor, max_users);
    }
  }
  for (Workload& w : m.workloads) {
    if (w.rate) {
      w.rate->value *= factor;
    }
    for (SchedulePoint& point : w.schedule) {
      point.rate.value *= factor;
    }
    if (w.users) {
      const double users = std::round(static_cast<double>(w.users->value) * factor);
      w.users->value = static_cast<std::int64_t>(std::max(users, 1.0));
    }
  }
  return std::nullopt;
}

}  // namespace tailsim::model
