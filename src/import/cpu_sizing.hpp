#pragma once
/// How many cores a pod needs, and how much of a traced own time is CPU
/// work, when the own time is written as `cpu` (docs/import.md, "Own time
/// on the pod's cores").
///
/// A traced own time R was measured at the traced load: any sharing of the
/// pod's cores is in it already. Written as CPU demand S on c cores shared
/// by processor sharing, the model slows it again by the sharing at that
/// load. The mean slowdown of processor sharing on c cores with Poisson
/// arrivals is that of M/M/c: 1 + C(c, a) / (c - a), C Erlang's C formula
/// and a the busy cores (the mean number of requests in service is the same
/// for M/M/c-PS as for M/M/c-FCFS). So S solves S x slowdown(c, lambda S) = R
/// (mean-value deflation), and a pod whose cores the manifests do not give
/// gets the fewest cores at which the slowdown is at most 2%.

#include <cstdint>

namespace tailsim::import::detail {

/// The mean slowdown of processor sharing on `cores` cores with `busy`
/// cores of work on average (Poisson arrivals): 1 + C(c, a) / (c - a);
/// infinite when busy >= cores.
[[nodiscard]] double sharing_slowdown(double cores, double busy);

/// The fewest whole cores (1 to 1024) at which `busy` cores of traced work
/// slow down by at most `allowed` (0.02: 2%).
[[nodiscard]] std::int64_t cores_for(double busy, double allowed = 0.02);

/// The factor x in (0, 1] that turns traced own times into CPU demand on
/// `cores` cores: x x slowdown(cores, x busy) = 1, `busy` the cores the
/// traced own times keep busy (rate x mean own time, per pod).
[[nodiscard]] double demand_factor(double cores, double busy);

}  // namespace tailsim::import::detail
