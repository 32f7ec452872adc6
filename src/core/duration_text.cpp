#include "tailsim/core/duration_text.hpp"

#include <fmt/format.h>

namespace tailsim {

std::string format_duration(Duration d) {
  const std::int64_t count = d.count();
  if (count == 0) {
    return "0s";
  }
  // The magnitude as unsigned, so the most negative value has one too.
  const std::uint64_t magnitude = count < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(count)
                                            : static_cast<std::uint64_t>(count);
  std::string best;
  for (auto it = duration_units.rbegin(); it != duration_units.rend(); ++it) {
    const auto unit = static_cast<std::uint64_t>(it->scale);
    std::string spelled = fmt::format("{}", magnitude / unit);
    std::uint64_t remainder = magnitude % unit;
    if (remainder != 0) {
      spelled += '.';
      // Long division; a remainder that does not end within 20 digits (a
      // third of a minute) has no exact decimal spelling in this unit.
      for (int digit = 0; digit < 20 && remainder != 0; ++digit) {
        remainder *= 10;
        spelled += static_cast<char>('0' + remainder / unit);
        remainder %= unit;
      }
      if (remainder != 0) {
        continue;
      }
    }
    spelled += it->name;
    if (best.empty() || spelled.size() < best.size()) {
      best = std::move(spelled);
    }
  }
  return count < 0 ? "-" + best : best;
}

}  // namespace tailsim
