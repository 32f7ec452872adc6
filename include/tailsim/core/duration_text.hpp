#pragma once
/// Durations as the model format writes them (`1.5ms`, `2s`, `250us`): the
/// units model/ reads and the shortest exact spelling every message, report
/// and drafted model writes.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "tailsim/core/time.hpp"

namespace tailsim {

/// A unit of duration of the model format and the nanoseconds one of it is worth.
struct DurationUnit {
  std::string_view name;
  std::int64_t scale;
};

/// The model format's units of duration, smallest first.
inline constexpr std::array<DurationUnit, 6> duration_units{{{"ns", 1},
                                                             {"us", 1'000},
                                                             {"ms", 1'000'000},
                                                             {"s", 1'000'000'000},
                                                             {"m", 60'000'000'000},
                                                             {"h", 3'600'000'000'000}}};

/// A duration in its shortest exact spelling in one unit (`1.5ms`, `90m`,
/// `0s`), for messages, reports, DOT labels and drafted models.
std::string format_duration(Duration d);

}  // namespace tailsim
