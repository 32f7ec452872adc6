#include "trace_tree.hpp"

#include <algorithm>
#include <numeric>

namespace tailsim::import::detail {

TraceGroups group_traces(const SpanStore& store) {
  const std::vector<Span>& spans = store.spans();
  TraceGroups groups;
  groups.order.resize(spans.size());
  std::iota(groups.order.begin(), groups.order.end(), std::uint32_t{0});
  std::sort(groups.order.begin(), groups.order.end(), [&spans](std::uint32_t a, std::uint32_t b) {
    const Span& x = spans[a];
    const Span& y = spans[b];
    if (x.trace_id != y.trace_id) {
      return x.trace_id < y.trace_id;
    }
    if (x.start_ns != y.start_ns) {
      return x.start_ns < y.start_ns;
    }
    return a < b;
  });
  groups.starts.push_back(0);
  for (std::size_t i = 1; i < groups.order.size(); ++i) {
    if (spans[groups.order[i]].trace_id != spans[groups.order[i - 1]].trace_id) {
      groups.starts.push_back(i);
    }
  }
  if (!groups.order.empty()) {
    groups.starts.push_back(groups.order.size());
  }
  return groups;
}

TreeShape TraceTree::build(const SpanStore& store, std::span<const std::uint32_t> spans) {
  store_ = &store;
  spans_ = spans;
  const std::uint32_t n = size();
  orphans_ = 0;
  duplicate_ids_ = 0;
  last_end_ns_ = n == 0 ? 0 : span(0).end_ns;
  for (std::uint32_t i = 0; i < n; ++i) {
    last_end_ns_ = std::max(last_end_ns_, span(i).end_ns);
  }

  by_id_.resize(n);
  std::iota(by_id_.begin(), by_id_.end(), std::uint32_t{0});
  std::sort(by_id_.begin(), by_id_.end(), [this](std::uint32_t a, std::uint32_t b) {
    const std::uint64_t x = span(a).span_id;
    const std::uint64_t y = span(b).span_id;
    return x != y ? x < y : a < b;
  });
  for (std::uint32_t i = 1; i < n; ++i) {
    if (span(by_id_[i]).span_id == span(by_id_[i - 1]).span_id) {
      ++duplicate_ids_;
    }
  }

  // Parents, then children in CSR form: counts, offsets, and a fill in
  // local (start) order so that each child list is in start order.
  parent_.assign(n, none);
  roots_.clear();
  child_offsets_.assign(static_cast<std::size_t>(n) + 1, 0);
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint64_t parent_id = span(i).parent_id;
    if (parent_id == 0) {
      roots_.push_back(i);
      continue;
    }
    const auto found = std::lower_bound(
        by_id_.begin(), by_id_.end(), parent_id,
        [this](std::uint32_t local, std::uint64_t id) { return span(local).span_id < id; });
    if (found == by_id_.end() || span(*found).span_id != parent_id) {
      ++orphans_;
      continue;
    }
    parent_[i] = *found;
    ++child_offsets_[*found + 1];
  }
  std::partial_sum(child_offsets_.begin(), child_offsets_.end(), child_offsets_.begin());
  children_.resize(child_offsets_[n]);
  std::vector<std::uint32_t>& fill = stack_;
  fill.assign(child_offsets_.begin(), child_offsets_.end() - 1);
  for (std::uint32_t i = 0; i < n; ++i) {
    if (parent_[i] != none) {
      children_[fill[parent_[i]]++] = i;
    }
  }

  // Every span reached down from a span without a parent in the trace; in a
  // graph where each span has at most one parent, the spans not reached are
  // exactly those on or below a cycle.
  std::size_t reached = 0;
  stack_.clear();
  for (std::uint32_t i = 0; i < n; ++i) {
    if (parent_[i] == none) {
      stack_.push_back(i);
    }
  }
  while (!stack_.empty()) {
    const std::uint32_t local = stack_.back();
    stack_.pop_back();
    ++reached;
    for (const std::uint32_t child : children(local)) {
      stack_.push_back(child);
    }
  }
  if (reached != n) {
    return TreeShape::cyclic;
  }
  return roots_.empty() ? TreeShape::rootless : TreeShape::whole;
}

}  // namespace tailsim::import::detail
