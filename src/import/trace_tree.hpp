#pragma once
/// The spans of a store grouped by trace, and one trace's parent -> children
/// tree, for the analysis (trace_analysis.cpp). Private to src/import/.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tailsim/import/spans.hpp"

namespace tailsim::import::detail {

/// The store's span indexes sorted by (trace id, start, index): each trace's
/// spans are one run, in start order. 4 bytes a span; the spans are not copied.
struct TraceGroups {
  std::vector<std::uint32_t> order;
  /// Trace t's spans are order[starts[t], starts[t + 1]).
  std::vector<std::size_t> starts;

  [[nodiscard]] std::size_t count() const { return starts.size() - 1; }
  [[nodiscard]] std::span<const std::uint32_t> trace(std::size_t t) const {
    return std::span<const std::uint32_t>(order).subspan(starts[t], starts[t + 1] - starts[t]);
  }
};

/// Groups the spans of `store` by trace id. O(n log n).
[[nodiscard]] TraceGroups group_traces(const SpanStore& store);

/// Whether a trace can be analysed.
enum class TreeShape : std::uint8_t {
  whole,     ///< at least one root, no cycle (orphans allowed)
  rootless,  ///< no span without a parent id: the root was not captured
  cyclic,    ///< a span is its own ancestor through parent ids
};

/// One trace's tree over local indexes: positions in the trace's span run,
/// in start order. Built again for each trace into the same buffers, so a
/// pass over all traces allocates O(largest trace).
class TraceTree {
 public:
  /// "No span": the parent of a root or of an orphan.
  static constexpr std::uint32_t none = 0xFFFFFFFFU;

  /// Builds the tree of `spans` (store indexes in start order, one trace).
  /// A parent id names the first span of the trace with that id; a span
  /// whose parent id names no span of the trace is an orphan.
  TreeShape build(const SpanStore& store, std::span<const std::uint32_t> spans);

  [[nodiscard]] std::uint32_t size() const { return static_cast<std::uint32_t>(spans_.size()); }
  [[nodiscard]] const Span& span(std::uint32_t local) const {
    return store_->spans()[spans_[local]];
  }
  /// The parent's local index, `none` for a root or an orphan.
  [[nodiscard]] std::uint32_t parent(std::uint32_t local) const { return parent_[local]; }
  /// The children, in start order.
  [[nodiscard]] std::span<const std::uint32_t> children(std::uint32_t local) const {
    return std::span<const std::uint32_t>(children_).subspan(
        child_offsets_[local], child_offsets_[local + 1] - child_offsets_[local]);
  }
  /// Spans with no parent id (parent_id 0), in start order.
  [[nodiscard]] std::span<const std::uint32_t> roots() const { return roots_; }
  /// Spans whose parent id names no span of the trace.
  [[nodiscard]] std::size_t orphans() const { return orphans_; }
  /// Spans whose id an earlier span of the trace (in id order) has too.
  [[nodiscard]] std::size_t duplicate_ids() const { return duplicate_ids_; }
  /// The latest end among the trace's spans.
  [[nodiscard]] std::int64_t last_end_ns() const { return last_end_ns_; }

 private:
  const SpanStore* store_ = nullptr;
  std::span<const std::uint32_t> spans_;
  std::vector<std::uint32_t> parent_;
  std::vector<std::uint32_t> child_offsets_;
  std::vector<std::uint32_t> children_;
  std::vector<std::uint32_t> roots_;
  /// Local indexes sorted by (span id, local index), to find parents.
  std::vector<std::uint32_t> by_id_;
  std::vector<std::uint32_t> stack_;
  std::size_t orphans_ = 0;
  std::size_t duplicate_ids_ = 0;
  std::int64_t last_end_ns_ = 0;
};

}  // namespace tailsim::import::detail
