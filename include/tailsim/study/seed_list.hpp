#pragma once
/// `--seed` of `run`, `sweep` and `compare`: one seed, from which the seeds of
/// the replications are derived (runner.hpp, replication_seed), or the seeds
/// of the replications themselves, as a range `1..5` or a list `3,7,11`.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tailsim/model/units.hpp"

namespace tailsim::study {

/// The most seeds a range or list may name: as many as `--replications` may ask for.
constexpr std::size_t max_listed_seeds = 100'000;

/// Reads `--seed`: `7` gives the one seed {7}; `1..5` the seeds 1 to 5 in
/// order; `3,7,11` those three, in the order given. A range or list names
/// 2 to `max_listed_seeds` seeds, each once; a range goes up. Each seed is
/// what model::parse_seed accepts. Every error says how to write a range.
model::ParseResult<std::vector<std::uint64_t>> parse_seeds(std::string_view text);

}  // namespace tailsim::study
