#include "span_csv.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

#include <fmt/format.h>

#include "trace_json.hpp"

namespace tailsim::import::detail {
namespace {

/// The columns a span CSV must have, by name, in Column's order.
constexpr std::string_view column_names[] = {
    "TraceID",           "SpanID",          "ParentID", "PodName", "OperationName",
    "StartTimeUnixNano", "EndTimeUnixNano",
};

/// Kubernetes' alphabet for generated names (a ReplicaSet's hash, a pod's
/// suffix): digits and consonants, no vowels, so that no word is spelt.
bool is_generated(std::string_view part, std::size_t min_length, std::size_t max_length) {
  constexpr std::string_view alphabet = "bcdfghjklmnpqrstvwxz2456789";
  return part.size() >= min_length && part.size() <= max_length &&
         std::all_of(part.begin(), part.end(),
                     [&](char c) { return alphabet.find(c) != std::string_view::npos; });
}

/// The fields of a CSV line (RFC 4180: a field in double quotes may hold
/// commas, and "" for a quote). A quoted field ends on its line.
std::vector<std::string> split_fields(std::string_view text, std::size_t number) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c != '"') {
        fields.back() += c;
      } else if (i + 1 < text.size() && text[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"' && fields.back().empty()) {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (quoted) {
    throw BadInput(fmt::format("line {}: a quoted field is not closed on its line", number));
  }
  return fields;
}

/// Nanoseconds since the epoch from a decimal field; none when empty.
std::optional<std::int64_t> parse_time(std::string_view text, std::size_t number, std::size_t field,
                                       std::string_view name, bool& in_range) {
  if (text.empty()) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc::result_out_of_range) {
    in_range = false;
    return 0;
  }
  if (error != std::errc{} || end != text.data() + text.size()) {
    throw BadInput(
        fmt::format("line {}, field {} ('{}'): '{}' is not a whole number of "
                    "nanoseconds",
                    number, field, name, text));
  }
  in_range = in_range && value >= 0;
  return value;
}

/// The service a pod runs: a Deployment's pod name without its ReplicaSet's
/// hash and its own suffix (`frontend-579b9bff58-t2dbm` is `frontend`), a
/// StatefulSet's without its ordinal (`redis-0` is `redis`), any other name
/// as it is.
std::string service_of_pod(std::string_view pod) {
  const std::size_t last = pod.rfind('-');
  if (last == std::string_view::npos || last == 0) {
    return std::string(pod);
  }
  const std::string_view suffix = pod.substr(last + 1);
  const std::string_view rest = pod.substr(0, last);
  // A generated suffix may be all digits (`ts-basic-service-5dc8d4f9fd-46997`):
  // the Deployment's two parts are tried first.
  const std::size_t before = rest.rfind('-');
  if (is_generated(suffix, 5, 5) && before != std::string_view::npos && before > 0 &&
      is_generated(rest.substr(before + 1), 1, 10)) {
    return std::string(rest.substr(0, before));  // a Deployment's ReplicaSet and pod
  }
  if (!suffix.empty() &&
      std::all_of(suffix.begin(), suffix.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::string(rest);  // a StatefulSet's ordinal
  }
  return std::string(pod);
}

struct SpanKey {
  TraceId trace;
  std::uint64_t span = 0;
  friend bool operator==(const SpanKey&, const SpanKey&) = default;
};
struct SpanKeyHash {
  std::size_t operator()(const SpanKey& k) const {
    std::uint64_t h = k.trace.low * 0x9E3779B97F4A7C15ULL ^ k.trace.high;
    h = (h ^ (h >> 29)) * 0xBF58476D1CE4E5B9ULL ^ k.span;
    return static_cast<std::size_t>(h ^ (h >> 32));
  }
};

}  // namespace

void SpanCsvReader::line(std::string_view text, std::size_t number) {
  if (!text.empty() && text.back() == '\r') {
    text.remove_suffix(1);
  }
  if (!has_header_) {
    header(split_fields(text, number), number);
    return;
  }
  if (text.empty()) {
    return;  // a blank line, as the last one often is
  }
  row(split_fields(text, number), number);
}

void SpanCsvReader::header(const std::vector<std::string>& fields, std::size_t number) {
  if (std::find(fields.begin(), fields.end(), column_names[trace_id]) == fields.end()) {
    throw BadInput(
        "neither JSON (an object or an array) nor a span CSV (its first line names no TraceID "
        "column)");
  }
  for (std::size_t c = 0; c < column_count; ++c) {
    const auto found = std::find(fields.begin(), fields.end(), column_names[c]);
    if (found == fields.end()) {
      throw BadInput(fmt::format(
          "line {}: a span CSV needs the columns {}; '{}' is missing", number,
          fmt::join(std::begin(column_names), std::end(column_names), ", "), column_names[c]));
    }
    place_[c] = static_cast<std::size_t>(found - fields.begin());
  }
  width_ = fields.size();
  has_header_ = true;
}

void SpanCsvReader::row(const std::vector<std::string>& fields, std::size_t number) {
  if (fields.size() != width_) {
    throw BadInput(
        fmt::format("line {}: {} fields where the header has {}", number, fields.size(), width_));
  }
  ++store_.counts().spans_read;
  const auto field = [&](Column c) -> const std::string& { return fields[place_[c]]; };
  const auto where = [&](Column c) {
    return fmt::format("line {}, field {} ('{}')", number, place_[c] + 1, column_names[c]);
  };
  Span span;
  const auto trace = parse_trace_id(field(trace_id));
  if (!trace) {
    throw BadInput(fmt::format("{}: '{}' is not a trace id of 1 to 32 hex digits, not all zeros",
                               where(trace_id), field(trace_id)));
  }
  span.trace_id = *trace;
  current_ = *trace;
  const auto id = parse_span_id(field(span_id));
  if (!id || *id == 0) {
    throw BadInput(fmt::format("{}: '{}' is not a span id of 1 to 16 hex digits, not all zeros",
                               where(span_id), field(span_id)));
  }
  span.span_id = *id;
  const std::string& parent = field(parent_id);
  if (!parent.empty() && parent != "root") {
    const auto parsed = parse_span_id(parent);
    if (!parsed) {
      throw BadInput(fmt::format("{}: '{}' is neither 'root' nor a span id of 1 to 16 hex digits",
                                 where(parent_id), parent));
    }
    span.parent_id = *parsed;
  }
  const std::string& pod_name = field(pod);
  span.instance = store_.intern(pod_name);
  const auto [known, added] = service_of_.try_emplace(span.instance, 0);
  if (added) {
    known->second = store_.intern(service_of_pod(pod_name));
  }
  span.service = known->second;
  span.name = store_.intern(field(operation));

  bool in_range = true;
  const auto started =
      parse_time(field(start_time), number, place_[start_time] + 1, "StartTimeUnixNano", in_range);
  const auto ended =
      parse_time(field(end_time), number, place_[end_time] + 1, "EndTimeUnixNano", in_range);
  auto& skipped = store_.counts().skipped;
  if (!started) {
    ++skipped[static_cast<std::size_t>(SkipReason::no_start_time)];
  } else if (!ended) {
    ++skipped[static_cast<std::size_t>(SkipReason::no_end_time)];
  } else if (!in_range) {
    ++skipped[static_cast<std::size_t>(SkipReason::time_out_of_range)];
  } else if (*ended < *started) {
    ++skipped[static_cast<std::size_t>(SkipReason::ends_before_start)];
  } else {
    span.start_ns = *started;
    span.end_ns = *ended;
    spans_.push_back(span);
  }
}

void SpanCsvReader::finish() {
  if (!has_header_) {
    throw BadInput("the file is empty: no traces");
  }
  // The kinds, from the tree: a root, or a span whose parent is in another
  // service, is the server side of a request. A span whose parent is in its
  // own service and whose only child is in another is the client side of a
  // call. The rest is work inside an invocation (INTERNAL; an orphan, whose
  // parent the file lacks, then starts a partial subtree, as a kindless one
  // would).
  std::unordered_map<SpanKey, std::size_t, SpanKeyHash> index;
  index.reserve(spans_.size());
  for (std::size_t i = 0; i < spans_.size(); ++i) {
    index.try_emplace(SpanKey{spans_[i].trace_id, spans_[i].span_id}, i);
  }
  constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
  std::vector<std::size_t> parent_of(spans_.size(), none);
  std::vector<std::uint32_t> children_away(spans_.size(), 0);
  std::vector<std::uint32_t> children_home(spans_.size(), 0);
  for (std::size_t i = 0; i < spans_.size(); ++i) {
    if (spans_[i].parent_id == 0) {
      continue;
    }
    const auto found = index.find(SpanKey{spans_[i].trace_id, spans_[i].parent_id});
    if (found == index.end()) {
      continue;  // an orphan: its parent is not in the file
    }
    parent_of[i] = found->second;
    ++(spans_[found->second].service == spans_[i].service ? children_home
                                                          : children_away)[found->second];
  }
  for (std::size_t i = 0; i < spans_.size(); ++i) {
    Span& span = spans_[i];
    const bool parent_home = parent_of[i] != none && spans_[parent_of[i]].service == span.service;
    if (span.parent_id == 0 || (parent_of[i] != none && !parent_home)) {
      span.kind = SpanKind::server;
    } else if (parent_home && children_away[i] == 1 && children_home[i] == 0) {
      span.kind = SpanKind::client;
    } else {
      span.kind = SpanKind::internal;  // its kind is known too: import counts no kindless span
    }
  }
  const std::size_t first = store_.spans().size();
  for (const Span& span : spans_) {
    store_.add_span(span);
  }
  store_.finish_group(first);
  spans_.clear();
}

std::string SpanCsvReader::current_trace() const {
  return current_ == TraceId{} ? std::string{} : to_hex(current_);
}

}  // namespace tailsim::import::detail
