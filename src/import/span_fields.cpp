#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "trace_json.hpp"

namespace tailsim::import::detail {
namespace {

/// The value of one hex digit, or -1.
int hex_digit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

/// Up to 16 hex digits as a number; none if a character is not a digit.
std::optional<std::uint64_t> hex_word(std::string_view text) {
  std::uint64_t value = 0;
  for (const char c : text) {
    const int digit = hex_digit(c);
    if (digit < 0) {
      return std::nullopt;
    }
    value = (value << 4U) | static_cast<std::uint64_t>(digit);
  }
  return value;
}

/// Why an id is not hex, with a hint when it looks like base64 (which
/// proto3's JSON mapping would write, but OTLP/JSON does not).
std::string bad_id(std::string_view what, std::string_view text, std::size_t max_digits) {
  const std::string shown =
      text.size() > 40 ? std::string(text.substr(0, 40)) + "..." : std::string(text);
  const bool base64_like =
      text.find_first_of("+/=") != std::string_view::npos ||
      text.find_first_of("ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ") != std::string_view::npos;
  return fmt::format("{} '{}' is not an id of 1 to {} hex digits{}", what, shown, max_digits,
                     base64_like ? " (ids are hex in OTLP/JSON, not base64)" : "");
}

/// gRPC status codes by name (rpc.status_code since semantic conventions 1.39).
int grpc_code_by_name(std::string_view name) {
  static constexpr std::string_view names[] = {"OK",
                                               "CANCELLED",
                                               "UNKNOWN",
                                               "INVALID_ARGUMENT",
                                               "DEADLINE_EXCEEDED",
                                               "NOT_FOUND",
                                               "ALREADY_EXISTS",
                                               "PERMISSION_DENIED",
                                               "RESOURCE_EXHAUSTED",
                                               "FAILED_PRECONDITION",
                                               "ABORTED",
                                               "OUT_OF_RANGE",
                                               "UNIMPLEMENTED",
                                               "INTERNAL",
                                               "UNAVAILABLE",
                                               "DATA_LOSS",
                                               "UNAUTHENTICATED"};
  for (std::size_t i = 0; i < std::size(names); ++i) {
    if (names[i] == name) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

bool is_http_error(int status, SpanKind kind) {
  return (status >= 500 && status < 600) ||
         (kind == SpanKind::client && status >= 400 && status < 500);
}

/// A server fails on the codes that mean its own fault; a client on any but OK.
bool is_grpc_error(int code, SpanKind kind) {
  if (code <= 0) {
    return false;
  }
  if (kind == SpanKind::client) {
    return true;
  }
  return code == 2 || code == 4 || code == 12 || code == 13 || code == 14 || code == 15;
}

/// A probability in (0, 1] read leniently from a tag (number or string).
std::optional<double> lenient_double(const Scalar& value) {
  switch (value.type) {
    case Scalar::Type::floating:
      return value.floating;
    case Scalar::Type::integer:
      return static_cast<double>(value.integer);
    case Scalar::Type::unsigned_integer:
      return static_cast<double>(value.unsigned_integer);
    case Scalar::Type::boolean:
      return value.boolean ? 1.0 : 0.0;
    case Scalar::Type::string: {
      double parsed = 0;
      const auto* end = value.text.data() + value.text.size();
      if (std::from_chars(value.text.data(), end, parsed).ptr == end && !value.text.empty()) {
        return parsed;
      }
      if (value.text == "true") {
        return 1.0;
      }
      if (value.text == "false") {
        return 0.0;
      }
      return std::nullopt;
    }
    case Scalar::Type::null:
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<bool> lenient_bool(const Scalar& value) {
  if (value.type == Scalar::Type::boolean) {
    return value.boolean;
  }
  if (value.type == Scalar::Type::string) {
    return value.text != "false" && value.text != "0";
  }
  if (const auto n = lenient_integer(value)) {
    return *n != 0;
  }
  return std::nullopt;
}

void keep_text(std::string& into, const Scalar& value, SpanStore& store) {
  if (value.type == Scalar::Type::string) {
    into.assign(store.cap(value.text));
  }
}

int http_code(const Scalar& value) {
  const auto code = lenient_integer(value);
  return code && *code > 0 && *code < 1000 ? static_cast<int>(*code) : 0;
}

/// Microseconds as nanoseconds, if they fit.
std::optional<std::int64_t> micros_to_nanos(std::uint64_t micros) {
  constexpr auto limit =
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / 1000);
  if (micros > limit) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(micros * 1000);
}

double sampler_weight(const SpanFacts& facts) {
  if ((facts.sampler_type == "probabilistic" || facts.sampler_type == "lowerbound") &&
      facts.sampler_param > 0 && facts.sampler_param <= 1) {
    return 1.0 / facts.sampler_param;
  }
  if (facts.sampler_type == "const" && facts.sampler_param > 0) {
    return 1.0;
  }
  return 0;  // ratelimiting gives traces per second, not a probability
}

}  // namespace

std::string_view Scalar::type_name() const {
  switch (type) {
    case Type::null:
      return "null";
    case Type::boolean:
      return "a boolean";
    case Type::integer:
    case Type::unsigned_integer:
    case Type::floating:
      return "a number";
    case Type::string:
      return "a string";
  }
  return "a value";
}

SpanKind kind_from_name(std::string_view text, bool& unknown) {
  static constexpr std::pair<std::string_view, SpanKind> names[] = {
      {"server", SpanKind::server},
      {"client", SpanKind::client},
      {"producer", SpanKind::producer},
      {"consumer", SpanKind::consumer},
      {"internal", SpanKind::internal}};
  for (const auto& [name, kind] : names) {
    const bool same = std::equal(name.begin(), name.end(), text.begin(), text.end(),
                                 [](char a, char b) { return a == (b | 0x20); });
    if (same) {
      return kind;
    }
  }
  unknown = true;
  return SpanKind::unspecified;
}

std::optional<TraceId> parse_trace_id(std::string_view text) {
  if (text.empty() || text.size() > 32) {
    return std::nullopt;
  }
  const std::size_t low_digits = std::min<std::size_t>(text.size(), 16);
  const auto low = hex_word(text.substr(text.size() - low_digits));
  const auto high = hex_word(text.substr(0, text.size() - low_digits));
  if (!low || !high || (*low == 0 && *high == 0)) {
    return std::nullopt;
  }
  return TraceId{*high, *low};
}

std::optional<std::uint64_t> parse_span_id(std::string_view text) {
  if (text.empty() || text.size() > 16) {
    return std::nullopt;
  }
  return hex_word(text);
}

TraceId require_trace_id(const Scalar& value, std::string_view what) {
  const std::string_view text = require_string(value, what);
  if (const auto id = parse_trace_id(text)) {
    return *id;
  }
  if (!text.empty() && text.find_first_not_of('0') == std::string_view::npos) {
    throw BadInput(fmt::format("{} is all zeros, which no trace has", what));
  }
  throw BadInput(bad_id(what, text, 32));
}

std::uint64_t require_span_id(const Scalar& value, std::string_view what, bool allow_zero) {
  const std::string_view text = require_string(value, what);
  if (text.empty() && allow_zero) {
    return 0;
  }
  const auto id = parse_span_id(text);
  if (!id) {
    throw BadInput(bad_id(what, text, 16));
  }
  if (*id == 0 && !allow_zero) {
    throw BadInput(fmt::format("{} is all zeros, which no span has", what));
  }
  return *id;
}

std::string_view require_string(const Scalar& value, std::string_view what) {
  if (value.type != Scalar::Type::string) {
    throw BadInput(fmt::format("{} must be a string, not {}", what, value.type_name()));
  }
  return value.text;
}

std::optional<std::int64_t> lenient_integer(const Scalar& value) {
  switch (value.type) {
    case Scalar::Type::integer:
      return value.integer;
    case Scalar::Type::unsigned_integer:
      if (value.unsigned_integer <=
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return static_cast<std::int64_t>(value.unsigned_integer);
      }
      return std::nullopt;
    case Scalar::Type::floating:
      if (std::isfinite(value.floating) && std::floor(value.floating) == value.floating &&
          std::fabs(value.floating) < 9.2e18) {
        return static_cast<std::int64_t>(value.floating);
      }
      return std::nullopt;
    case Scalar::Type::string: {
      std::int64_t parsed = 0;
      const auto* end = value.text.data() + value.text.size();
      const auto result = std::from_chars(value.text.data(), end, parsed);
      if (result.ec == std::errc() && result.ptr == end) {
        return parsed;
      }
      return std::nullopt;
    }
    case Scalar::Type::boolean:
    case Scalar::Type::null:
      return std::nullopt;
  }
  return std::nullopt;
}

std::uint64_t require_unsigned(const Scalar& value, std::string_view what) {
  if (value.type == Scalar::Type::unsigned_integer) {
    return value.unsigned_integer;
  }
  if (value.type == Scalar::Type::string) {
    std::uint64_t parsed = 0;
    const auto* end = value.text.data() + value.text.size();
    const auto result = std::from_chars(value.text.data(), end, parsed);
    if (result.ec == std::errc() && result.ptr == end && !value.text.empty()) {
      return parsed;
    }
    const std::string shown = value.text.size() > 40 ? std::string(value.text.substr(0, 40)) + "..."
                                                     : std::string(value.text);
    throw BadInput(fmt::format("{} '{}' is not a whole number of 0 or more", what, shown));
  }
  if (const auto n = lenient_integer(value); n && *n >= 0) {
    return static_cast<std::uint64_t>(*n);
  }
  throw BadInput(
      fmt::format("{} must be a whole number of 0 or more, not {}", what, value.type_name()));
}

double weight_from_tracestate(std::string_view tracestate) {
  // A list of `vendor=value` members; OpenTelemetry's is `ot`, whose value
  // is `key:value` pairs joined by ';'.
  std::size_t from = 0;
  while (from <= tracestate.size()) {
    std::size_t to = tracestate.find(',', from);
    if (to == std::string_view::npos) {
      to = tracestate.size();
    }
    std::string_view member = tracestate.substr(from, to - from);
    while (!member.empty() && (member.front() == ' ' || member.front() == '\t')) {
      member.remove_prefix(1);
    }
    if (member.substr(0, 3) == "ot=") {
      std::string_view rest = member.substr(3);
      double by_p = 0;
      while (!rest.empty()) {
        const std::size_t end = std::min(rest.find(';'), rest.size());
        std::string_view pair = rest.substr(0, end);
        while (!pair.empty() && (pair.back() == ' ' || pair.back() == '\t')) {
          pair.remove_suffix(1);
        }
        rest.remove_prefix(std::min(end + 1, rest.size()));
        if (pair.substr(0, 3) == "th:" && pair.size() > 3 && pair.size() <= 3 + 14) {
          // T = the digits padded with zeros to 14; p = 1 - T / 2^56.
          const std::string_view digits = pair.substr(3);
          const auto threshold = hex_word(digits);
          if (!threshold) {
            continue;
          }
          const auto padded = *threshold << (4U * (14 - digits.size()));
          const double p = 1.0 - std::ldexp(static_cast<double>(padded), -56);
          return p > 0 ? 1.0 / p : 0;
        }
        if (pair.substr(0, 2) == "p:") {
          int exponent = -1;
          const auto* end_p = pair.data() + pair.size();
          if (std::from_chars(pair.data() + 2, end_p, exponent).ptr == end_p && exponent >= 0 &&
              exponent <= 62) {
            by_p = std::ldexp(1.0, exponent);
          }
        }
      }
      return by_p;
    }
    from = to + 1;
  }
  return 0;
}

void SpanFacts::set_peer(std::string_view name, PeerRank rank, SpanStore& store) {
  if (rank < peer_rank && !name.empty()) {
    peer.assign(store.cap(name));
    peer_rank = rank;
  }
}

void SpanFacts::note(std::string_view key, const Scalar& value, SpanStore& store) {
  if (key == "http.response.status_code") {
    http_status = http_code(value);
  } else if (key == "http.status_code") {
    http_status_old = http_code(value);
  } else if (key == "rpc.grpc.status_code" || key == "rpc.status_code" ||
             key == "grpc.status_code") {
    if (const auto code = lenient_integer(value)) {
      grpc_code = *code >= 0 && *code <= 16 ? static_cast<int>(*code) : -1;
    } else if (value.type == Scalar::Type::string) {
      grpc_code = grpc_code_by_name(value.text);
    }
  } else if (key == "error") {
    error_tag = lenient_bool(value);
  } else if (key == "otel.status_code") {
    if (value.type == Scalar::Type::string && value.text == "ERROR") {
      otel_error = true;
    } else if (value.type == Scalar::Type::string && value.text == "OK") {
      otel_error = false;
    }
  } else if (key == "span.kind") {
    if (value.type == Scalar::Type::string) {
      kind = kind_from_name(value.text, kind_unknown);
    }
  } else if (key == "http.request.method") {
    keep_text(method, value, store);
  } else if (key == "http.method") {
    keep_text(method_old, value, store);
  } else if (key == "http.route") {
    keep_text(route, value, store);
  } else if (key == "rpc.method") {
    keep_text(rpc_method, value, store);
  } else if (key == "rpc.service") {
    keep_text(rpc_service, value, store);
  } else if (key == "service.peer.name" || key == "peer.service") {
    set_peer(value.type == Scalar::Type::string ? value.text : "", peer_service, store);
  } else if (key == "db.system.name" || key == "db.system" || key == "messaging.system") {
    set_peer(value.type == Scalar::Type::string ? value.text : "", system, store);
  } else if (key == "server.address" || key == "net.peer.name") {
    set_peer(value.type == Scalar::Type::string ? value.text : "", address, store);
  } else if (key == "sampler.type") {
    keep_text(sampler_type, value, store);
  } else if (key == "sampler.param") {
    sampler_param = lenient_double(value).value_or(-1);
  } else if (key == "sampling.priority") {
    forced = forced || lenient_integer(value).value_or(0) > 0;
  } else if (key == "w3c.tracestate") {
    keep_text(tracestate, value, store);
  } else if (key == "service.name") {
    keep_text(service, value, store);
    has_service = value.type == Scalar::Type::string;
  } else if (key == "k8s.pod.name") {
    keep_text(pod, value, store);
  } else if (key == "host.name" || key == "hostname") {
    keep_text(host, value, store);
  }
}

void PendingAttribute::clear() {
  key.clear();
  value = Scalar{};
  text.clear();
}

void PendingAttribute::set_key(const Scalar& scalar) {
  // No key the import reads is long: a longer one is kept cut, and matches none.
  constexpr std::size_t longest_key = 64;
  key.assign(require_string(scalar, "an attribute's 'key'").substr(0, longest_key + 1));
}

void PendingAttribute::set_value(const Scalar& scalar) {
  value = scalar;
  if (scalar.type == Scalar::Type::string) {
    // One byte more than a string keeps, so that SpanStore::cap counts the cut.
    text.assign(scalar.text.substr(0, SpanStore::max_text_bytes + 1));
  }
}

void PendingAttribute::apply(SpanFacts& facts, SpanStore& store) {
  if (value.type == Scalar::Type::string) {
    value.text = text;
  }
  if (!key.empty()) {
    facts.note(key, value, store);
  }
}

void SpanFacts::clear() {
  *this = SpanFacts{};
}

void SpanDraft::clear() {
  *this = SpanDraft{};
}

std::optional<Span> finish_span(SpanDraft& draft, ErrorRules rules, SpanStore& store) {
  ++store.counts().spans_read;
  if (!draft.trace_id) {
    throw BadInput("a span has no trace id");
  }
  if (!draft.span_id) {
    throw BadInput("a span has no span id");
  }
  if (draft.kind_unknown || draft.facts.kind_unknown) {
    ++store.counts().unknown_kinds;
  }
  const auto skip = [&](SkipReason reason) -> std::optional<Span> {
    ++store.counts().skipped[static_cast<std::size_t>(reason)];
    return std::nullopt;
  };
  if (!draft.start_ns && draft.start_us) {
    draft.start_ns = micros_to_nanos(*draft.start_us);
    if (!draft.start_ns) {
      return skip(SkipReason::time_out_of_range);
    }
  }
  if (!draft.start_ns) {
    return skip(SkipReason::no_start_time);
  }
  if (!draft.end_ns && draft.duration_us) {
    const auto duration = micros_to_nanos(*draft.duration_us);
    if (!duration || *duration > std::numeric_limits<std::int64_t>::max() - *draft.start_ns) {
      return skip(SkipReason::time_out_of_range);
    }
    draft.end_ns = *draft.start_ns + *duration;
  }
  if (!draft.end_ns) {
    return skip(SkipReason::no_end_time);
  }
  if (*draft.end_ns < *draft.start_ns) {
    return skip(SkipReason::ends_before_start);
  }
  const SpanFacts& facts = draft.facts;
  Span span;
  span.trace_id = *draft.trace_id;
  span.span_id = *draft.span_id;
  span.parent_id = draft.parent_id;
  span.start_ns = *draft.start_ns;
  span.end_ns = *draft.end_ns;
  span.kind = draft.kind;
  if (span.kind == SpanKind::unspecified && facts.kind) {
    span.kind = *facts.kind;
  }
  span.name = store.intern(draft.name);
  span.method = store.intern(!facts.method.empty() ? facts.method : facts.method_old);
  if (!facts.route.empty()) {
    span.route = store.intern(facts.route);
  } else if (!facts.rpc_method.empty() && !facts.rpc_service.empty() &&
             facts.rpc_method.find('/') == std::string::npos) {
    span.route = store.intern(facts.rpc_service + "/" + facts.rpc_method);
  } else {
    span.route = store.intern(facts.rpc_method);
  }
  span.peer = store.intern(facts.peer);
  const int http = facts.http_status != 0 ? facts.http_status : facts.http_status_old;
  span.http_status = static_cast<std::uint16_t>(http);
  const bool by_codes = is_http_error(http, span.kind) || is_grpc_error(facts.grpc_code, span.kind);
  switch (rules) {
    case ErrorRules::otlp:
      span.error = draft.status_code == 2 || (draft.status_code != 1 && by_codes);
      break;
    case ErrorRules::jaeger:
      span.error = facts.error_tag    ? *facts.error_tag
                   : facts.otel_error ? *facts.otel_error
                                      : by_codes;
      break;
    case ErrorRules::zipkin:
      span.error = facts.error_tag.has_value() || by_codes;
      break;
  }
  double weight = 0;
  if (draft.forced || facts.forced) {
    weight = 1;
  } else if (const double by_state = weight_from_tracestate(
                 !draft.tracestate.empty() ? draft.tracestate : facts.tracestate);
             by_state > 0) {
    weight = by_state;
  } else {
    weight = sampler_weight(facts);
  }
  span.sampling_weight = static_cast<float>(weight);
  return span;
}

}  // namespace tailsim::import::detail
