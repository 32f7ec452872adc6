// OTLP/JSON: TracesData{resourceSpans[{resource{attributes}, scopeSpans[{spans}]}]}, as
// the collector's decoder reads it: lowerCamelCase or snake_case keys, 64-bit
// integers as strings or numbers, enums as numbers or names, the old
// `instrumentationLibrarySpans` read as `scopeSpans`, ids in hex. Jaeger API
// v3's `{"result": TracesData}` is read by the same reader.

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "trace_json.hpp"

namespace tailsim::import::detail {
namespace {

enum OtlpNode : std::uint8_t {
  otlp_root = 1,
  otlp_resource_spans_list,
  otlp_resource_spans,
  otlp_resource,
  otlp_resource_attributes,
  otlp_resource_key_value,
  otlp_resource_any_value,
  otlp_scope_spans_list,
  otlp_scope_spans,
  otlp_span_list,
  otlp_span,
  otlp_span_attributes,
  otlp_span_key_value,
  otlp_span_any_value,
  otlp_status,
};

enum OtlpField : std::uint8_t {
  otlp_trace_id,
  otlp_span_id,
  otlp_parent_span_id,
  otlp_trace_state,
  otlp_name,
  otlp_kind,
  otlp_start,
  otlp_end,
  otlp_status_code,
  otlp_attribute_key,
  otlp_attribute_value,
};

/// lowerCamelCase or snake_case.
bool otlp_is_key(std::string_view key, std::string_view camel, std::string_view snake) {
  return key == camel || key == snake;
}

/// OTLP's SpanKind by number or name; unknown ones are unspecified.
SpanKind kind_from_otlp(const Scalar& value, bool& unknown) {
  static constexpr std::string_view names[] = {"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL",
                                               "SPAN_KIND_SERVER",      "SPAN_KIND_CLIENT",
                                               "SPAN_KIND_PRODUCER",    "SPAN_KIND_CONSUMER"};
  std::optional<std::int64_t> number;
  if (value.type == Scalar::Type::string) {
    for (std::size_t i = 0; i < std::size(names); ++i) {
      if (names[i] == value.text) {
        number = static_cast<std::int64_t>(i);
      }
    }
    if (!number) {
      number = lenient_integer(value);
    }
  } else if (value.type != Scalar::Type::null) {
    number = lenient_integer(value);
    if (!number) {
      throw BadInput(
          fmt::format("a span's 'kind' must be a number or a name, not {}", value.type_name()));
    }
  }
  if (!number) {
    if (value.type != Scalar::Type::null) {
      unknown = true;
    }
    return SpanKind::unspecified;
  }
  if (*number < 0 || *number > 5) {
    unknown = true;
    return SpanKind::unspecified;
  }
  return static_cast<SpanKind>(*number);
}

/// OTLP's status code by number or name (STATUS_CODE_ERROR = 2).
int status_from_otlp(const Scalar& value) {
  if (value.type == Scalar::Type::string) {
    if (value.text == "STATUS_CODE_ERROR") {
      return 2;
    }
    if (value.text == "STATUS_CODE_OK") {
      return 1;
    }
    if (value.text == "STATUS_CODE_UNSET") {
      return 0;
    }
  }
  if (value.type == Scalar::Type::null) {
    return 0;
  }
  const auto code = lenient_integer(value);
  if (!code) {
    throw BadInput("a span's 'status.code' must be 0, 1, 2 or a STATUS_CODE_ name");
  }
  return static_cast<int>(std::clamp<std::int64_t>(*code, -1, 3));
}

std::optional<std::int64_t> otlp_nanos(const Scalar& value, std::string_view what) {
  if (value.type == Scalar::Type::null) {
    return std::nullopt;
  }
  const std::uint64_t ns = require_unsigned(value, what);
  if (ns > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    throw BadInput(fmt::format("{} {} is beyond the year 2262", what, ns));
  }
  return static_cast<std::int64_t>(ns);
}

class OtlpReader final : public FormatReader {
 public:
  explicit OtlpReader(SpanStore& store) : store_(store) {}

  std::uint8_t root_node() const override { return otlp_root; }

  Slot key_slot(std::uint8_t node, std::string_view key) override {
    switch (node) {
      case otlp_root:
        if (otlp_is_key(key, "resourceSpans", "resource_spans")) {
          return Slot::array(otlp_resource_spans_list, "'resourceSpans'");
        }
        if (key == "result") {  // Jaeger API v3
          return Slot::object(otlp_root, "'result'");
        }
        return Slot::skip();
      case otlp_resource_spans:
        if (key == "resource") {
          return Slot::object(otlp_resource, "'resource'");
        }
        if (otlp_is_key(key, "scopeSpans", "scope_spans") ||
            otlp_is_key(key, "instrumentationLibrarySpans", "instrumentation_library_spans")) {
          return Slot::array(otlp_scope_spans_list, "'scopeSpans'");
        }
        return Slot::skip();
      case otlp_resource:
        return key == "attributes" ? Slot::array(otlp_resource_attributes, "'resource.attributes'")
                                   : Slot::skip();
      case otlp_scope_spans:
        return key == "spans" ? Slot::array(otlp_span_list, "'spans'") : Slot::skip();
      case otlp_span:
        return span_slot(key);
      case otlp_status:
        return key == "code" ? Slot::scalar(otlp_status_code, "'status.code'") : Slot::skip();
      case otlp_resource_key_value:
      case otlp_span_key_value:
        if (key == "key") {
          return Slot::scalar(otlp_attribute_key, "an attribute's 'key'");
        }
        if (key == "value") {
          return Slot::object(
              node == otlp_span_key_value ? otlp_span_any_value : otlp_resource_any_value,
              "an attribute's 'value'");
        }
        return Slot::skip();
      case otlp_resource_any_value:
      case otlp_span_any_value:
        if (otlp_is_key(key, "stringValue", "string_value") ||
            otlp_is_key(key, "intValue", "int_value") ||
            otlp_is_key(key, "boolValue", "bool_value") ||
            otlp_is_key(key, "doubleValue", "double_value")) {
          return Slot::scalar(otlp_attribute_value, "an attribute's value");
        }
        return Slot::skip();  // arrays, kvlists and bytes say nothing the import uses
      default:
        return Slot::skip();
    }
  }

  Slot element_slot(std::uint8_t node) override {
    switch (node) {
      case otlp_resource_spans_list:
        return Slot::object(otlp_resource_spans, "an element of 'resourceSpans'");
      case otlp_scope_spans_list:
        return Slot::object(otlp_scope_spans, "an element of 'scopeSpans'");
      case otlp_span_list:
        return Slot::object(otlp_span, "a span");
      case otlp_resource_attributes:
        return Slot::object(otlp_resource_key_value, "an attribute");
      case otlp_span_attributes:
        return Slot::object(otlp_span_key_value, "an attribute");
      default:
        return Slot::skip();
    }
  }

  void on_scalar(std::uint8_t node, std::uint8_t field, const Scalar& value) override {
    switch (field) {
      case otlp_trace_id:
        draft_.trace_id = require_trace_id(value, "the span's 'traceId'");
        break;
      case otlp_span_id:
        draft_.span_id = require_span_id(value, "the span's 'spanId'", /*allow_zero=*/false);
        break;
      case otlp_parent_span_id:
        if (value.type != Scalar::Type::null) {
          draft_.parent_id =
              require_span_id(value, "the span's 'parentSpanId'", /*allow_zero=*/true);
        }
        break;
      case otlp_trace_state:
        if (value.type != Scalar::Type::null) {
          draft_.tracestate.assign(require_string(value, "the span's 'traceState'").substr(0, 512));
        }
        break;
      case otlp_name:
        if (value.type != Scalar::Type::null) {
          draft_.name.assign(
              require_string(value, "the span's 'name'").substr(0, SpanStore::max_text_bytes + 1));
        }
        break;
      case otlp_kind:
        draft_.kind = kind_from_otlp(value, draft_.kind_unknown);
        break;
      case otlp_start:
        draft_.start_ns = otlp_nanos(value, "the span's 'startTimeUnixNano'");
        break;
      case otlp_end:
        draft_.end_ns = otlp_nanos(value, "the span's 'endTimeUnixNano'");
        break;
      case otlp_status_code:
        draft_.status_code = status_from_otlp(value);
        break;
      case otlp_attribute_key:
        attribute_.set_key(value);
        break;
      case otlp_attribute_value:
        attribute_.set_value(value);
        break;
      default:
        break;
    }
    (void)node;
  }

  void on_begin(std::uint8_t node) override {
    switch (node) {
      case otlp_resource_spans:
        group_first_ = store_.spans().size();
        resource_.clear();
        break;
      case otlp_span:
        draft_.clear();
        break;
      case otlp_resource_key_value:
      case otlp_span_key_value:
        attribute_.clear();
        break;
      default:
        break;
    }
  }

  void on_end(std::uint8_t node) override {
    switch (node) {
      case otlp_resource_key_value:
        attribute_.apply(resource_, store_);
        break;
      case otlp_span_key_value:
        attribute_.apply(draft_.facts, store_);
        break;
      case otlp_span:
        if (auto span = finish_span(draft_, ErrorRules::otlp, store_)) {
          store_.add_span(*span);
        }
        draft_.trace_id.reset();
        break;
      case otlp_resource_spans:
        finish_resource();
        break;
      default:
        break;
    }
  }

  void on_value_end() override {}

  [[nodiscard]] std::string current_trace() const override {
    return draft_.trace_id ? to_hex(*draft_.trace_id) : std::string();
  }

 private:
  Slot span_slot(std::string_view key) {
    if (otlp_is_key(key, "traceId", "trace_id")) {
      return Slot::scalar(otlp_trace_id, "'traceId'");
    }
    if (otlp_is_key(key, "spanId", "span_id")) {
      return Slot::scalar(otlp_span_id, "'spanId'");
    }
    if (otlp_is_key(key, "parentSpanId", "parent_span_id")) {
      return Slot::scalar(otlp_parent_span_id, "'parentSpanId'");
    }
    if (otlp_is_key(key, "traceState", "trace_state")) {
      return Slot::scalar(otlp_trace_state, "'traceState'");
    }
    if (key == "name") {
      return Slot::scalar(otlp_name, "'name'");
    }
    if (key == "kind") {
      return Slot::scalar(otlp_kind, "'kind'");
    }
    if (otlp_is_key(key, "startTimeUnixNano", "start_time_unix_nano")) {
      return Slot::scalar(otlp_start, "'startTimeUnixNano'");
    }
    if (otlp_is_key(key, "endTimeUnixNano", "end_time_unix_nano")) {
      return Slot::scalar(otlp_end, "'endTimeUnixNano'");
    }
    if (key == "attributes") {
      return Slot::array(otlp_span_attributes, "'attributes'");
    }
    if (key == "status") {
      return Slot::object(otlp_status, "'status'");
    }
    return Slot::skip();
  }

  /// The resource's service and pod go on its spans, which are then deduplicated.
  void finish_resource() {
    const std::uint32_t service = store_.intern(
        resource_.has_service ? std::string_view(resource_.service) : "unknown_service");
    const std::uint32_t instance =
        store_.intern(!resource_.pod.empty() ? resource_.pod : resource_.host);
    for (std::size_t i = group_first_; i < store_.spans().size(); ++i) {
      store_.span_at(i).service = service;
      store_.span_at(i).instance = instance;
    }
    store_.finish_group(group_first_);
  }

  SpanStore& store_;
  SpanDraft draft_;
  SpanFacts resource_;
  PendingAttribute attribute_;
  std::size_t group_first_ = 0;
};

}  // namespace

std::unique_ptr<FormatReader> make_otlp_reader(SpanStore& store) {
  return std::make_unique<OtlpReader>(store);
}

}  // namespace tailsim::import::detail
