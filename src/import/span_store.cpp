#include <algorithm>
#include <cassert>
#include <numeric>

#include "tailsim/import/spans.hpp"

namespace tailsim::import {

// The size spans.hpp gives: a million spans take 80 MB.
static_assert(sizeof(Span) == 80);

namespace {

/// splitmix64's finaliser: spreads the bits of a key over the word.
std::uint64_t mix_bits(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

/// How many bytes of `text` (longer than `limit`) to keep so that no UTF-8
/// character is cut: back off over continuation bytes (10xxxxxx).
std::size_t utf8_cut(std::string_view text, std::size_t limit) {
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) {
    --cut;
  }
  return cut;
}

}  // namespace

std::size_t ImportCounts::skipped_total() const {
  return std::accumulate(skipped.begin(), skipped.end(), std::size_t{0});
}

SpanStore::SpanStore() {
  strings_.emplace_back();
  index_.emplace(std::string_view(strings_.front()), 0);
}

TraceFormat SpanStore::format() const {
  if (files_.empty()) {
    return TraceFormat::unknown;
  }
  const TraceFormat first = files_.front().format;
  const bool same = std::all_of(files_.begin(), files_.end(),
                                [first](const TraceFile& f) { return f.format == first; });
  return same ? first : TraceFormat::unknown;
}

std::string_view SpanStore::cap(std::string_view text) {
  if (text.size() <= max_text_bytes) {
    return text;
  }
  ++counts_.truncated_strings;
  return text.substr(0, utf8_cut(text, max_text_bytes));
}

std::uint32_t SpanStore::intern(std::string_view text) {
  text = cap(text);
  if (const auto found = index_.find(text); found != index_.end()) {
    return found->second;
  }
  const auto index = static_cast<std::uint32_t>(strings_.size());
  strings_.emplace_back(text);
  index_.emplace(std::string_view(strings_.back()), index);
  return index;
}

std::optional<std::uint32_t> SpanStore::find(std::string_view text) const {
  if (const auto found = index_.find(text); found != index_.end()) {
    return found->second;
  }
  return std::nullopt;
}

std::size_t SpanStore::count_traces() const {
  std::vector<TraceId> ids;
  ids.reserve(spans_.size());
  for (const Span& span : spans_) {
    ids.push_back(span.trace_id);
  }
  std::sort(ids.begin(), ids.end());
  return static_cast<std::size_t>(std::unique(ids.begin(), ids.end()) - ids.begin());
}

std::uint64_t SpanStore::hash_of(const Span& span) const {
  std::uint64_t h = mix_bits(span.trace_id.high ^ 0x9e3779b97f4a7c15ULL);
  h = mix_bits(h ^ span.trace_id.low);
  h = mix_bits(h ^ span.span_id);
  return mix_bits(h ^ (static_cast<std::uint64_t>(span.service) << 8U) ^
                  static_cast<std::uint64_t>(span.kind));
}

bool SpanStore::same_key(const Span& a, const Span& b) {
  return a.trace_id == b.trace_id && a.span_id == b.span_id && a.kind == b.kind &&
         a.service == b.service;
}

void SpanStore::grow_table() {
  const std::size_t size = std::max<std::size_t>(1024, table_.size() * 2);
  table_.assign(size, empty_slot);
  const std::size_t mask = size - 1;
  // Re-insert every span kept so far (those before the open group's; the
  // caller inserts the group's own afterwards, one by one).
  for (std::uint32_t i = 0; i < kept_in_table_; ++i) {
    std::size_t slot = hash_of(spans_[i]) & mask;
    while (table_[slot] != empty_slot) {
      slot = (slot + 1) & mask;
    }
    table_[slot] = i;
  }
}

bool SpanStore::insert_unique(std::uint32_t index) {
  // At most half full, so probing ends soon and always finds a free slot.
  if ((kept_in_table_ + 1) * 2 > table_.size()) {
    grow_table();
  }
  const std::size_t mask = table_.size() - 1;
  const Span& span = spans_[index];
  std::size_t slot = hash_of(span) & mask;
  while (table_[slot] != empty_slot) {
    if (same_key(spans_[table_[slot]], span)) {
      return false;
    }
    slot = (slot + 1) & mask;
  }
  table_[slot] = index;
  ++kept_in_table_;
  return true;
}

void SpanStore::finish_group(std::size_t first) {
  assert(first == kept_in_table_ && "groups are finished in order, one at a time");
  std::size_t write = first;
  for (std::size_t read = first; read < spans_.size(); ++read) {
    if (write != read) {
      spans_[write] = spans_[read];
    }
    if (insert_unique(static_cast<std::uint32_t>(write))) {
      ++write;
    } else {
      ++counts_.duplicates;
    }
  }
  spans_.resize(write);
}

void SpanStore::add_file(TraceFile file) {
  ++counts_.files;
  files_.push_back(std::move(file));
}

std::string_view to_string(SpanKind kind) {
  switch (kind) {
    case SpanKind::unspecified:
      return "unspecified";
    case SpanKind::internal:
      return "internal";
    case SpanKind::server:
      return "server";
    case SpanKind::client:
      return "client";
    case SpanKind::producer:
      return "producer";
    case SpanKind::consumer:
      return "consumer";
  }
  return "unspecified";
}

std::string_view to_string(TraceFormat format) {
  switch (format) {
    case TraceFormat::unknown:
      return "unknown";
    case TraceFormat::otlp_json:
      return "OTLP/JSON";
    case TraceFormat::jaeger_json:
      return "Jaeger JSON";
    case TraceFormat::zipkin_json:
      return "Zipkin v2 JSON";
    case TraceFormat::span_csv:
      return "span CSV";
  }
  return "unknown";
}

std::string_view to_string(SkipReason reason) {
  switch (reason) {
    case SkipReason::no_start_time:
      return "no start time";
    case SkipReason::no_end_time:
      return "no end time or duration";
    case SkipReason::ends_before_start:
      return "ends before it starts";
    case SkipReason::time_out_of_range:
      return "time out of range";
  }
  return "unknown";
}

std::string to_hex(TraceId id) {
  static constexpr char digits[] = "0123456789abcdef";
  const int count = id.high == 0 ? 16 : 32;
  std::string text(static_cast<std::size_t>(count), '0');
  for (int i = 0; i < count; ++i) {
    const int bit = 4 * (count - 1 - i);
    const std::uint64_t word = bit >= 64 ? id.high : id.low;
    text[static_cast<std::size_t>(i)] = digits[(word >> (bit % 64)) & 0xFU];
  }
  return text;
}

}  // namespace tailsim::import
