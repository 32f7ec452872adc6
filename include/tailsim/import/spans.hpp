#pragma once
/// The spans of trace files, held in one compact form whatever format they
/// came in (OTLP/JSON, Jaeger JSON, Zipkin v2 JSON).
///
/// A trace file can hold millions of spans, so a span is a small plain value
/// (80 bytes): its ids as integers, its times as integer nanoseconds and its
/// words (service, name, pod, peer, route, method) as indexes into one table
/// of interned strings that the store owns. No span holds a std::string.
/// The readers (trace_reader.hpp) fill a store; the analysis of the spans
/// into a model reads it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tailsim::import {

/// What a span says about its place in a call (OTLP's SpanKind, Jaeger's
/// `span.kind` tag, Zipkin's `kind`). `unspecified` is also what an unknown
/// kind becomes (and ImportCounts counts it).
enum class SpanKind : std::uint8_t { unspecified, internal, server, client, producer, consumer };

/// The format a trace file was written in, as detected from its content.
enum class TraceFormat : std::uint8_t {
  unknown,
  otlp_json,    ///< `resourceSpans` (a collector's file exporter, JSON Lines) or Jaeger API v3
  jaeger_json,  ///< `{"data": [trace...]}` (Jaeger UI download, query API)
  zipkin_json,  ///< an array of spans, or an array of such arrays (Zipkin v2)
  span_csv,     ///< one row per span, the Nezha dataset's columns (no kinds: from the tree)
};

/// Why a span read from a file was not kept.
enum class SkipReason : std::uint8_t {
  no_start_time,      ///< no start time (Zipkin allows a missing `timestamp`)
  no_end_time,        ///< no end time or duration
  ends_before_start,  ///< its end lies before its start
  time_out_of_range,  ///< its times do not fit in int64 nanoseconds since the epoch
};
inline constexpr std::size_t skip_reason_count = 4;

/// A 128-bit trace id; a 64-bit one has `high` 0 (Jaeger prints it as 16
/// hex digits, which are left-padded to join OTLP data).
struct TraceId {
  std::uint64_t high = 0;
  std::uint64_t low = 0;
  friend bool operator==(const TraceId&, const TraceId&) = default;
  friend auto operator<=>(const TraceId&, const TraceId&) = default;
};

/// One span, format-neutral. Strings are indexes into the store's table
/// (SpanStore::text), 0 being the empty string (absent).
struct Span {
  TraceId trace_id;
  std::uint64_t span_id = 0;
  /// The parent span's id, 0 for a root (or an orphan whose parent the
  /// file does not say).
  std::uint64_t parent_id = 0;
  /// Start and end in nanoseconds since the Unix epoch; end >= start.
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  /// How many traces this one stands for (1 / sampling probability), when
  /// the span says it: tracestate `ot=th:`/`ot=p:`, Jaeger's `sampler.type`
  /// and `sampler.param` (on the root), 1 for a trace forced by debug flags
  /// or `sampling.priority`. 0 = unknown. A trace's weight is that of any of
  /// its spans that says one.
  float sampling_weight = 0;
  /// The service that reported the span (`service.name`, Jaeger's process
  /// `serviceName`, Zipkin's `localEndpoint.serviceName`).
  std::uint32_t service = 0;
  /// The span's name (`name`, `operationName`).
  std::uint32_t name = 0;
  /// The pod or host that reported it (`k8s.pod.name`, `host.name`,
  /// Jaeger's `hostname` tag, Zipkin's local address).
  std::uint32_t instance = 0;
  /// Whom a client span calls: the peer service (`service.peer.name`,
  /// `peer.service`, Zipkin's `remoteEndpoint.serviceName`), else the
  /// database or messaging system, else `server.address` (`net.peer.name`).
  std::uint32_t peer = 0;
  /// `http.route`, or the RPC method (`pkg.Service/Method`).
  std::uint32_t route = 0;
  /// The HTTP method (`http.request.method`, `http.method`).
  std::uint32_t method = 0;
  /// The HTTP response status, 0 if none.
  std::uint16_t http_status = 0;
  SpanKind kind = SpanKind::unspecified;
  /// Whether the span failed (observability-formats.md section 2): status
  /// code 2; HTTP 5xx, or 4xx on a client; a failing gRPC code; in Jaeger
  /// the `error` tag, then `otel.status_code`, then the HTTP status; in
  /// Zipkin any `error` tag.
  bool error = false;
};

/// What reading the files met, beyond the spans kept.
struct ImportCounts {
  std::size_t files = 0;
  /// Spans met in the files, kept or not.
  std::size_t spans_read = 0;
  /// Spans dropped as copies of one already kept: the same (trace id, span
  /// id, kind, service), as OTLP retries and overlapping downloads make.
  std::size_t duplicates = 0;
  /// Spans not kept, by SkipReason.
  std::array<std::size_t, skip_reason_count> skipped{};
  /// Spans whose kind was not one the formats define (kept as unspecified).
  std::size_t unknown_kinds = 0;
  /// Strings cut to SpanStore::max_text_bytes (a name of 100 MB keeps 256 bytes).
  std::size_t truncated_strings = 0;

  [[nodiscard]] std::size_t skipped_total() const;
};

/// One file read into a store.
struct TraceFile {
  std::string path;
  TraceFormat format = TraceFormat::unknown;
  std::size_t spans_read = 0;
  std::size_t spans_kept = 0;
  /// JSON documents in the file: more than one is JSON Lines, as an
  /// OpenTelemetry collector's file exporter writes spans while they arrive.
  std::size_t documents = 1;
};

/// The spans of one or more trace files and the strings they use. Spans are
/// kept in file order; a copy of a span already kept is dropped.
///
/// Readers add spans in groups (a resource's spans, a Jaeger trace, a Zipkin
/// array): they append with add_span, may complete the group's spans (with
/// the service of a resource or process that came after them), then call
/// finish_group, which drops the duplicates among them. Costs: add_span and finish_group are
/// amortised O(1) per span (an open-addressing table of span indexes, 8 to 16 bytes a span).
class SpanStore {
 public:
  /// Strings longer than this keep their first bytes (cut at a UTF-8
  /// character boundary) and are counted in ImportCounts::truncated_strings.
  static constexpr std::size_t max_text_bytes = 256;

  SpanStore();

  [[nodiscard]] const std::vector<Span>& spans() const { return spans_; }
  [[nodiscard]] const std::vector<TraceFile>& files() const { return files_; }
  [[nodiscard]] const ImportCounts& counts() const { return counts_; }
  [[nodiscard]] ImportCounts& counts() { return counts_; }
  /// The format all files share; unknown when there is none or they differ.
  [[nodiscard]] TraceFormat format() const;
  /// The text of a string index (0 is "").
  [[nodiscard]] std::string_view text(std::uint32_t index) const { return strings_[index]; }
  /// How many strings the table holds, "" included.
  [[nodiscard]] std::size_t string_count() const { return strings_.size(); }
  /// The index of `text` (cut to max_text_bytes), added if new.
  std::uint32_t intern(std::string_view text);
  /// The index of `text` if the table holds it, else none (0 for "").
  [[nodiscard]] std::optional<std::uint32_t> find(std::string_view text) const;
  /// `text` cut to max_text_bytes at a character boundary; counts a cut.
  std::string_view cap(std::string_view text);
  /// How many distinct trace ids the spans have.
  [[nodiscard]] std::size_t count_traces() const;

  /// For readers: appends a span of the open group (a group ends with
  /// finish_group or abandon_group).
  void add_span(const Span& span) { spans_.push_back(span); }
  /// For readers: a span of the open group, to complete it.
  [[nodiscard]] Span& span_at(std::size_t index) { return spans_[index]; }
  /// For readers: drops the copies among spans [first, end) (of each other
  /// or of spans kept before), keeping the first of each in order.
  void finish_group(std::size_t first);
  /// For readers: drops the spans of a group left open by a file that
  /// could not be read, so that the store holds whole groups only.
  void abandon_group() { spans_.resize(kept_in_table_); }
  /// For readers: records a file read.
  void add_file(TraceFile file);

 private:
  [[nodiscard]] std::uint64_t hash_of(const Span& span) const;
  [[nodiscard]] static bool same_key(const Span& a, const Span& b);
  /// Inserts span `index` into the table unless a copy is there; false if so.
  bool insert_unique(std::uint32_t index);
  void grow_table();

  std::vector<Span> spans_;
  std::vector<TraceFile> files_;
  ImportCounts counts_;
  /// Stable addresses (a deque never moves its elements), so the views in
  /// index_ stay valid as the table grows.
  std::deque<std::string> strings_;
  std::unordered_map<std::string_view, std::uint32_t> index_;
  /// Open addressing over span indexes; empty_slot marks a free slot.
  std::vector<std::uint32_t> table_;
  /// How many spans (the first ones) the table holds.
  std::size_t kept_in_table_ = 0;
  static constexpr std::uint32_t empty_slot = 0xFFFFFFFFU;
};

[[nodiscard]] std::string_view to_string(SpanKind kind);
[[nodiscard]] std::string_view to_string(TraceFormat format);
[[nodiscard]] std::string_view to_string(SkipReason reason);
/// A trace id as Jaeger prints it: 16 hex digits when the high half is 0, else 32.
[[nodiscard]] std::string to_hex(TraceId id);

}  // namespace tailsim::import
