#pragma once
/// Kubernetes resource quantities (`250m`, `1.5`, `128Mi`, `1G`, `2e3`) in the
/// units tailsim stores: millicores for CPU, bytes for memory.
///
/// The grammar is apimachinery's `resource.Quantity`: an optional sign, a
/// decimal number (`1`, `1.5`, `.5`), then at most one suffix: a binary one
/// `Ki Mi Gi Ti Pi Ei` (2^10 ... 2^60), a decimal one `n u m k M G T P E`
/// (10^-9 ... 10^18; `m` is milli, `M` mega), or an exponent `e3`/`E3`. `K` is
/// not a suffix (kilo is `k`). Like `Quantity.MilliValue()` and `Value()`, a
/// value is rounded up to the unit kept, so `0.1m` of CPU is 1 millicore and
/// `0.5` bytes is 1 byte.

#include <cstdint>
#include <string_view>

#include "tailsim/model/units.hpp"

namespace tailsim::import {

/// A CPU quantity in millicores: `250m` is 250, `1.5` is 1500, `2e3` is
/// 2000000. Errors (offset at the bad part) quote the text: a negative value,
/// an unknown suffix (`12Q`), no digits, more than 19 significant digits, a
/// value above 2^63 - 1 millicores.
[[nodiscard]] model::ParseResult<std::int64_t> parse_millicores(std::string_view text);

/// A memory quantity in bytes: `128Mi` is 134217728, `1G` is 1000000000,
/// `500Ki` is 512000. Errors as for `parse_millicores`.
[[nodiscard]] model::ParseResult<std::int64_t> parse_bytes(std::string_view text);

}  // namespace tailsim::import
