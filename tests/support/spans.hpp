#pragma once
// Spans built by hand for the import tests, with times in milliseconds from
// an arbitrary epoch, so that expected figures can be worked out on paper.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tailsim/import/spans.hpp"

namespace tailsim::testing {

/// The instant that span times are counted from.
inline constexpr std::int64_t span_epoch_ns = 1'700'000'000'000'000'000;

/// Adds one span over [start_ms, end_ms] and returns its index in the store
/// (to set more fields).
inline std::size_t add_span(import::SpanStore& store, std::uint64_t trace, std::uint64_t id,
                            std::uint64_t parent, std::string_view service, std::string_view name,
                            import::SpanKind kind, double start_ms, double end_ms,
                            bool error = false) {
  import::Span span;
  span.trace_id = {0, trace};
  span.span_id = id;
  span.parent_id = parent;
  span.service = store.intern(service);
  span.name = store.intern(name);
  span.kind = kind;
  span.start_ns = span_epoch_ns + std::llround(start_ms * 1e6);
  span.end_ns = span_epoch_ns + std::llround(end_ms * 1e6);
  span.error = error;
  store.add_span(span);
  return store.spans().size() - 1;
}

}  // namespace tailsim::testing
