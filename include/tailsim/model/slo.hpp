#pragma once
/// SLO checks as written in `slos:` (`"p99 < 400ms"`, `"errors < 0.5%"`,
/// `"throughput > 380/s"`), also accepting k6's spellings (`p(99)`, `avg`, `med`).

#include <string_view>

#include "tailsim/model/model.hpp"
#include "tailsim/model/units.hpp"

namespace tailsim::model {

/// Parses one check. Latency thresholds are durations with a unit (`400ms`);
/// `errors` a percentage or fraction (`0.5%`, `0.005`); `throughput` a rate
/// (`380/s`) or a number per second.
ParseResult<SloCheck> parse_slo_check(std::string_view text);

}  // namespace tailsim::model
