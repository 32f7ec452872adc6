#pragma once
// What the readers of the three trace formats share: the JSON events their
// SAX handler passes them (trace_reader.cpp), the span under construction
// and the rules that read ids, times, kinds, failures and sampling weights.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tailsim/import/spans.hpp"

namespace tailsim::import::detail {

/// A problem in a trace file's content; read_trace_file adds the file, the
/// offset and the trace and throws it on as an ImportError.
class BadInput : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A JSON scalar as the SAX parser reports it. `text` is valid only during
/// the call it is passed to.
struct Scalar {
  enum class Type : std::uint8_t { null, boolean, integer, unsigned_integer, floating, string };
  Type type = Type::null;
  bool boolean = false;
  std::int64_t integer = 0;
  std::uint64_t unsigned_integer = 0;
  double floating = 0;
  std::string_view text;

  /// "a string", "a number", ... for messages.
  [[nodiscard]] std::string_view type_name() const;
};

/// What a reader expects as the value of a key (or of an array's elements).
struct Slot {
  enum class Kind : std::uint8_t { skip, scalar, object, array, object_or_array };
  Kind kind = Kind::skip;
  /// The reader's node for an object (or the scalar's field id).
  std::uint8_t object_node = 0;
  /// The reader's node for an array.
  std::uint8_t array_node = 0;
  /// How messages name the value: "'spans'".
  std::string_view what;

  static Slot skip() { return {}; }
  static Slot scalar(std::uint8_t field, std::string_view what) {
    return {Kind::scalar, field, 0, what};
  }
  static Slot object(std::uint8_t node, std::string_view what) {
    return {Kind::object, node, 0, what};
  }
  static Slot array(std::uint8_t node, std::string_view what) {
    return {Kind::array, 0, node, what};
  }
};

/// One format's reader: the SAX handler walks the JSON, asks the reader what
/// each key holds and hands it the scalars and the ends of objects it asked
/// for. Everything else is skipped without being kept.
class FormatReader {
 public:
  virtual ~FormatReader() = default;
  /// The node of the value being read at the top (its first key decided).
  virtual std::uint8_t root_node() const = 0;
  /// What `key` holds inside `node` (an object).
  virtual Slot key_slot(std::uint8_t node, std::string_view key) = 0;
  /// What the elements of `node` (an array) are.
  virtual Slot element_slot(std::uint8_t node) = 0;
  /// A scalar for field `field` of `node` (null is passed too).
  virtual void on_scalar(std::uint8_t node, std::uint8_t field, const Scalar& value) = 0;
  /// Object `node` begins.
  virtual void on_begin(std::uint8_t node) = 0;
  /// Object or array `node` ends.
  virtual void on_end(std::uint8_t node) = 0;
  /// The value read at the top ended: finish open groups.
  virtual void on_value_end() = 0;
  /// The trace being read, in hex, for messages ("" if unknown).
  [[nodiscard]] virtual std::string current_trace() const = 0;
};

std::unique_ptr<FormatReader> make_otlp_reader(SpanStore& store);
std::unique_ptr<FormatReader> make_jaeger_reader(SpanStore& store);
std::unique_ptr<FormatReader> make_zipkin_reader(SpanStore& store);

/// A kind by its name in Jaeger's `span.kind` (lowercase) or Zipkin's
/// `kind` (uppercase); unspecified and `unknown` set for any other.
SpanKind kind_from_name(std::string_view text, bool& unknown);
/// A trace id of 1 to 32 hex digits, any case, left-padded; none if it is
/// not that. All zeros is invalid (W3C).
std::optional<TraceId> parse_trace_id(std::string_view text);
/// A span id of 1 to 16 hex digits, left-padded; none if it is not that.
std::optional<std::uint64_t> parse_span_id(std::string_view text);
/// The trace id in `value` (a string), or BadInput naming `what`.
TraceId require_trace_id(const Scalar& value, std::string_view what);
/// The span id in `value` (a string); `allow_zero` for parent ids (zero or
/// empty = none), else BadInput.
std::uint64_t require_span_id(const Scalar& value, std::string_view what, bool allow_zero);
/// A whole number from a number or a decimal string, or BadInput.
std::uint64_t require_unsigned(const Scalar& value, std::string_view what);
/// The string in `value`, or BadInput.
std::string_view require_string(const Scalar& value, std::string_view what);
/// A whole number from a number or a decimal string; none otherwise
/// (attributes are read leniently: a tag of an odd type is ignored).
std::optional<std::int64_t> lenient_integer(const Scalar& value);

/// The weight (1 / probability) a W3C tracestate gives: the `ot` member's
/// `th:` threshold, else its `p:` exponent. 0 when it says none.
double weight_from_tracestate(std::string_view tracestate);

/// What a span's attributes (and its resource's, its process's) say, as far
/// as the import needs it.
struct SpanFacts {
  /// Peer names by preference; the lowest rank seen wins.
  enum PeerRank : std::uint8_t { peer_service, system, address, no_peer };

  int http_status = 0;             ///< http.response.status_code
  int http_status_old = 0;         ///< http.status_code
  int grpc_code = -1;              ///< rpc.grpc.status_code, rpc.status_code
  std::optional<bool> error_tag;   ///< Jaeger `error`, Zipkin any `error`
  std::optional<bool> otel_error;  ///< Jaeger `otel.status_code` ERROR / OK
  std::optional<SpanKind> kind;    ///< Jaeger `span.kind`
  bool kind_unknown = false;       ///< a `span.kind` no format defines
  std::string method;              ///< http.request.method
  std::string method_old;          ///< http.method
  std::string route;               ///< http.route
  std::string rpc_method;          ///< rpc.method
  std::string rpc_service;         ///< rpc.service
  std::string peer;
  PeerRank peer_rank = no_peer;
  std::string sampler_type;   ///< Jaeger sampler.type
  double sampler_param = -1;  ///< Jaeger sampler.param (const: 1 or 0)
  bool forced = false;        ///< sampling.priority > 0, debug flags
  std::string tracestate;     ///< Jaeger's w3c.tracestate tag
  // Resource and process attributes.
  std::string service;  ///< service.name
  bool has_service = false;
  std::string pod;   ///< k8s.pod.name
  std::string host;  ///< host.name, hostname

  /// Notes attribute `key` = `value`; keys the import does not use are ignored.
  void note(std::string_view key, const Scalar& value, SpanStore& store);
  void set_peer(std::string_view name, PeerRank rank, SpanStore& store);
  void clear();
};

/// An attribute (OTLP KeyValue, Jaeger tag) being read: its key and value
/// may come in either order, so both are kept until the object ends.
struct PendingAttribute {
  std::string key;
  Scalar value;
  std::string text;  ///< the value's string, owned (value.text is reset to it)

  void clear();
  void set_key(const Scalar& scalar);
  void set_value(const Scalar& scalar);
  /// Notes the attribute in `facts` (if it had a key).
  void apply(SpanFacts& facts, SpanStore& store);
};

/// How a format ranks its failure signals (observability-formats.md 2-4).
enum class ErrorRules : std::uint8_t { otlp, jaeger, zipkin };

/// A span as read, before it is checked and stored.
struct SpanDraft {
  std::optional<TraceId> trace_id;
  std::optional<std::uint64_t> span_id;
  std::uint64_t parent_id = 0;
  std::optional<std::int64_t> start_ns;
  std::optional<std::int64_t> end_ns;
  std::optional<std::uint64_t> duration_us;  ///< Jaeger and Zipkin
  std::optional<std::uint64_t> start_us;     ///< Jaeger and Zipkin
  std::string name;
  SpanKind kind = SpanKind::unspecified;
  bool kind_unknown = false;
  int status_code = 0;  ///< OTLP status.code
  std::string tracestate;
  bool forced = false;
  SpanFacts facts;

  void clear();
};

/// Checks `draft` and turns it into a span (service and instance left to
/// the caller, who knows the resource or process); none if it is skipped
/// (counted in the store). BadInput when an id is missing.
std::optional<Span> finish_span(SpanDraft& draft, ErrorRules rules, SpanStore& store);

}  // namespace tailsim::import::detail
