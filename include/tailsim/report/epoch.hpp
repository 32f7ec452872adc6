#pragma once
/// The wall-clock instant simulated time 0 stands for (`--epoch`): metrics.om
/// and the trace files need wall-clock times, and a run loaded beside
/// production (Prometheus, Grafana, Tempo) lines up only when its metrics and
/// traces share one. Fixed by default, so that a rerun writes the same bytes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tailsim::report {

inline constexpr std::int64_t ns_per_second = 1'000'000'000;

/// The default epoch: 2000-01-01T00:00:00Z (Unix 946 684 800 s), the instant
/// the trace files have always used.
inline constexpr std::int64_t default_epoch_unix_ns = 946'684'800 * ns_per_second;

/// The latest epoch `--epoch` accepts, 2100-01-01T00:00:00Z: Unix nanoseconds
/// of a run's end then still fit the 64 bits every format counts them in.
inline constexpr std::int64_t max_epoch_unix_ns = 4'102'444'800 * ns_per_second;

/// `--epoch` as Unix nanoseconds: an RFC 3339 date and time with its offset
/// (`2026-01-01T00:00:00Z`, `2026-03-05T09:30:00.250+01:00`) or Unix seconds
/// (`1767225600`, `1767225600.5`), fractions to the nanosecond, from 1970 to
/// 2100 (both included). Nothing for anything else: a leap second (`:60`)
/// has no Unix time.
[[nodiscard]] std::optional<std::int64_t> parse_epoch(std::string_view text);

/// Unix nanoseconds (0 or more) as RFC 3339 in UTC: `2000-01-01T00:00:00Z`,
/// with the fraction of a second, when there is one, to its last nonzero
/// digit (`...00:00.25Z`).
[[nodiscard]] std::string format_rfc3339(std::int64_t unix_ns);

/// A time in nanoseconds (0 or more) as exact decimal seconds, without
/// trailing zeros: `0`, `0.5`, `946684801.000000001`.
[[nodiscard]] std::string exact_seconds_text(std::int64_t ns);

}  // namespace tailsim::report
