// Zipkin v2 JSON: an array of spans (POST /api/v2/spans, GET /api/v2/trace/{id})
// or an array of such arrays (GET /api/v2/traces). Times are microseconds,
// tags strings, any `error` tag a failure. B3 clients may share one span id
// between the client and the server half of a call: the server half gets an
// id of its own, with the client's as parent (as Jaeger does), so spans are
// keyed by (id, shared, service).

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "trace_json.hpp"

namespace tailsim::import::detail {
namespace {

enum ZipkinNode : std::uint8_t {
  zipkin_root = 1,
  zipkin_trace,
  zipkin_span,
  zipkin_local_endpoint,
  zipkin_remote_endpoint,
  zipkin_tags,
};

enum ZipkinField : std::uint8_t {
  zipkin_trace_id,
  zipkin_id,
  zipkin_parent_id,
  zipkin_kind,
  zipkin_name,
  zipkin_timestamp,
  zipkin_duration,
  zipkin_debug,
  zipkin_shared,
  zipkin_service_name,
  zipkin_ipv4,
  zipkin_ipv6,
  zipkin_tag,
};

bool zipkin_flag(const Scalar& value, std::string_view what) {
  if (value.type == Scalar::Type::null) {
    return false;
  }
  if (value.type != Scalar::Type::boolean) {
    throw BadInput(fmt::format("{} must be true or false, not {}", what, value.type_name()));
  }
  return value.boolean;
}

/// FNV-1a over a service's name: the same name gives the same new ids in
/// every file, whatever order the strings were interned in.
std::uint64_t name_hash(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  }
  return h;
}

/// A new id for the server half of shared span `id` in `service`.
std::uint64_t unshared_id(std::uint64_t id, std::string_view service) {
  std::uint64_t x = id ^ name_hash(service);
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x == 0 || x == id ? x ^ 0x5bd1e995ULL : x;
}

/// The server halves of shared spans among [first, end) get their own id
/// with the client's as parent; their children follow them (Jaeger's span
/// id uniquifier). A server span is a shared half when a client span of the
/// same trace has its id.
void unshare_server_halves(SpanStore& store, std::size_t first) {
  using IdKey = std::tuple<TraceId, std::uint64_t>;
  std::vector<IdKey> clients;
  for (std::size_t i = first; i < store.spans().size(); ++i) {
    const Span& span = store.spans()[i];
    if (span.kind == SpanKind::client) {
      clients.emplace_back(span.trace_id, span.span_id);
    }
  }
  if (clients.empty()) {
    return;
  }
  std::sort(clients.begin(), clients.end());
  // (trace, shared id) -> the server half's new id
  std::vector<std::tuple<TraceId, std::uint64_t, std::uint64_t>> moved;
  for (std::size_t i = first; i < store.spans().size(); ++i) {
    Span& span = store.span_at(i);
    if (span.kind == SpanKind::server &&
        std::binary_search(clients.begin(), clients.end(), IdKey{span.trace_id, span.span_id})) {
      const std::uint64_t fresh = unshared_id(span.span_id, store.text(span.service));
      moved.emplace_back(span.trace_id, span.span_id, fresh);
      span.parent_id = span.span_id;
      span.span_id = fresh;
    }
  }
  std::sort(moved.begin(), moved.end());
  for (std::size_t i = first; i < store.spans().size(); ++i) {
    Span& span = store.span_at(i);
    if (span.parent_id == 0) {
      continue;
    }
    const auto found =
        std::lower_bound(moved.begin(), moved.end(),
                         std::make_tuple(span.trace_id, span.parent_id, std::uint64_t{0}));
    if (found != moved.end() && std::get<0>(*found) == span.trace_id &&
        std::get<1>(*found) == span.parent_id && std::get<2>(*found) != span.span_id) {
      span.parent_id = std::get<2>(*found);
    }
  }
}

class ZipkinReader final : public FormatReader {
 public:
  explicit ZipkinReader(SpanStore& store) : store_(store) {}

  std::uint8_t root_node() const override { return zipkin_root; }

  Slot key_slot(std::uint8_t node, std::string_view key) override {
    switch (node) {
      case zipkin_span:
        return span_slot(key);
      case zipkin_local_endpoint:
      case zipkin_remote_endpoint:
        if (key == "serviceName") {
          return Slot::scalar(zipkin_service_name, "an endpoint's 'serviceName'");
        }
        if (key == "ipv4") {
          return Slot::scalar(zipkin_ipv4, "an endpoint's 'ipv4'");
        }
        if (key == "ipv6") {
          return Slot::scalar(zipkin_ipv6, "an endpoint's 'ipv6'");
        }
        return Slot::skip();
      case zipkin_tags:
        tag_key_.assign(key.substr(0, 65));
        return Slot::scalar(zipkin_tag, "a tag");
      default:
        return Slot::skip();
    }
  }

  Slot element_slot(std::uint8_t node) override {
    if (node == zipkin_root) {
      return Slot{Slot::Kind::object_or_array, zipkin_span, zipkin_trace, "a span"};
    }
    if (node == zipkin_trace) {
      return Slot::object(zipkin_span, "a span");
    }
    return Slot::skip();
  }

  void on_scalar(std::uint8_t node, std::uint8_t field, const Scalar& value) override {
    switch (field) {
      case zipkin_trace_id:
        draft_.trace_id = require_trace_id(value, "the span's 'traceId'");
        break;
      case zipkin_id:
        draft_.span_id = require_span_id(value, "the span's 'id'", /*allow_zero=*/false);
        break;
      case zipkin_parent_id:
        if (value.type != Scalar::Type::null) {
          draft_.parent_id = require_span_id(value, "the span's 'parentId'", /*allow_zero=*/true);
        }
        break;
      case zipkin_kind:
        if (value.type != Scalar::Type::null) {
          draft_.kind =
              kind_from_name(require_string(value, "the span's 'kind'"), draft_.kind_unknown);
        }
        break;
      case zipkin_name:
        if (value.type != Scalar::Type::null) {
          draft_.name.assign(
              require_string(value, "the span's 'name'").substr(0, SpanStore::max_text_bytes + 1));
        }
        break;
      case zipkin_timestamp:
        if (value.type != Scalar::Type::null) {
          draft_.start_us = require_unsigned(value, "the span's 'timestamp'");
        }
        break;
      case zipkin_duration:
        if (value.type != Scalar::Type::null) {
          draft_.duration_us = require_unsigned(value, "the span's 'duration'");
        }
        break;
      case zipkin_debug:
        draft_.forced = zipkin_flag(value, "the span's 'debug'");
        break;
      case zipkin_shared:
        shared_ = zipkin_flag(value, "the span's 'shared'");
        break;
      case zipkin_service_name:
        if (value.type == Scalar::Type::null) {
          break;
        }
        if (node == zipkin_local_endpoint) {
          service_.assign(store_.cap(require_string(value, "'localEndpoint.serviceName'")));
        } else {
          draft_.facts.set_peer(require_string(value, "'remoteEndpoint.serviceName'"),
                                SpanFacts::peer_service, store_);
        }
        break;
      case zipkin_ipv4:
      case zipkin_ipv6:
        if (node == zipkin_local_endpoint && value.type == Scalar::Type::string &&
            (field == zipkin_ipv4 || address_.empty())) {
          address_.assign(store_.cap(value.text));
        }
        break;
      case zipkin_tag:
        if (tag_key_ == "error") {
          draft_.facts.error_tag = true;  // any value, even "", is a failure
        } else {
          draft_.facts.note(tag_key_, value, store_);
        }
        break;
      default:
        break;
    }
  }

  void on_begin(std::uint8_t node) override {
    if (node != zipkin_span) {
      return;
    }
    if (!group_open_) {
      group_first_ = store_.spans().size();
      group_open_ = true;
    }
    draft_.clear();
    shared_ = false;
    service_.clear();
    address_.clear();
  }

  void on_end(std::uint8_t node) override {
    if (node != zipkin_span) {
      return;
    }
    if (shared_ && draft_.kind == SpanKind::unspecified) {
      draft_.kind = SpanKind::server;  // only a server half is marked shared
    }
    if (auto span = finish_span(draft_, ErrorRules::zipkin, store_)) {
      span->service = store_.intern(service_.empty() ? std::string_view("unknown_service")
                                                     : std::string_view(service_));
      span->instance = store_.intern(address_);
      store_.add_span(*span);
    }
    draft_.trace_id.reset();
  }

  void on_value_end() override {
    if (group_open_) {
      unshare_server_halves(store_, group_first_);
      store_.finish_group(group_first_);
      group_open_ = false;
    }
  }

  [[nodiscard]] std::string current_trace() const override {
    return draft_.trace_id ? to_hex(*draft_.trace_id) : std::string();
  }

 private:
  Slot span_slot(std::string_view key) {
    if (key == "traceId") {
      return Slot::scalar(zipkin_trace_id, "'traceId'");
    }
    if (key == "id") {
      return Slot::scalar(zipkin_id, "'id'");
    }
    if (key == "parentId") {
      return Slot::scalar(zipkin_parent_id, "'parentId'");
    }
    if (key == "kind") {
      return Slot::scalar(zipkin_kind, "'kind'");
    }
    if (key == "name") {
      return Slot::scalar(zipkin_name, "'name'");
    }
    if (key == "timestamp") {
      return Slot::scalar(zipkin_timestamp, "'timestamp'");
    }
    if (key == "duration") {
      return Slot::scalar(zipkin_duration, "'duration'");
    }
    if (key == "debug") {
      return Slot::scalar(zipkin_debug, "'debug'");
    }
    if (key == "shared") {
      return Slot::scalar(zipkin_shared, "'shared'");
    }
    if (key == "localEndpoint") {
      return Slot::object(zipkin_local_endpoint, "'localEndpoint'");
    }
    if (key == "remoteEndpoint") {
      return Slot::object(zipkin_remote_endpoint, "'remoteEndpoint'");
    }
    if (key == "tags") {
      return Slot::object(zipkin_tags, "'tags'");
    }
    return Slot::skip();
  }

  SpanStore& store_;
  SpanDraft draft_;
  bool shared_ = false;
  std::string service_;
  std::string address_;
  std::string tag_key_;
  bool group_open_ = false;
  std::size_t group_first_ = 0;
};

}  // namespace

std::unique_ptr<FormatReader> make_zipkin_reader(SpanStore& store) {
  return std::make_unique<ZipkinReader>(store);
}

}  // namespace tailsim::import::detail
