#pragma once
/// `--load F`: every workload's traffic scaled by one factor, for "what if
/// traffic were 3x today's" (docs/studies.md, "Scaling the load").

#include <optional>
#include <string>
#include <string_view>

#include "tailsim/model/model.hpp"
#include "tailsim/model/units.hpp"

namespace tailsim::model {

/// The most `--load` may multiply traffic by.
inline constexpr double max_load_factor = 1e6;

/// A load factor as written: `3x`, `0.5x` or a bare number (`3`), above zero
/// and at most max_load_factor.
ParseResult<double> parse_load_factor(std::string_view text);

/// Scales every workload of `m` by `factor`: an open workload's `rate` and
/// each `schedule` point's rate (bursts multiply the scaled rate, so they
/// scale with it), a closed workload's `users` (rounded to the nearest whole
/// number, at least 1). A workload that replays a `trace` of arrival times
/// cannot be scaled and is refused. The error, when there is one, names the
/// workload (the caller names the flag) and leaves `m` unchanged.
std::optional<std::string> scale_load(Model& m, double factor);

}  // namespace tailsim::model
