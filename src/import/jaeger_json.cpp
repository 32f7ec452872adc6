// Jaeger JSON, as the query API and the UI's download write it:
// {"data": [{traceID, spans[], processes{id: {serviceName, tags[]}}}]}. A
// span names its process by id (the processes usually follow the spans, so
// a trace's spans are completed when the trace ends); its parent is its
// first CHILD_OF or FOLLOWS_FROM reference; times are microseconds.

#include <algorithm>

#include <fmt/format.h>

#include "trace_json.hpp"

namespace tailsim::import::detail {
namespace {

enum JaegerNode : std::uint8_t {
  jaeger_root = 1,
  jaeger_trace_list,
  jaeger_trace,
  jaeger_span_list,
  jaeger_span,
  jaeger_span_tags,
  jaeger_span_tag,
  jaeger_reference_list,
  jaeger_reference,
  jaeger_processes,
  jaeger_process,
  jaeger_process_tags,
  jaeger_process_tag,
  jaeger_inline_process,
};

enum JaegerField : std::uint8_t {
  jaeger_trace_trace_id,
  jaeger_span_trace_id,
  jaeger_span_span_id,
  jaeger_span_parent_id,
  jaeger_span_name,
  jaeger_span_start,
  jaeger_span_duration,
  jaeger_span_flags,
  jaeger_span_process_id,
  jaeger_reference_type,
  jaeger_reference_trace_id,
  jaeger_reference_span_id,
  jaeger_process_service,
  jaeger_tag_key,
  jaeger_tag_value,
};

/// A trace's process: the service and host its spans get.
struct JaegerProcess {
  std::string id;
  std::uint32_t service = 0;
  std::uint32_t instance = 0;
  /// False for a span's process id not yet looked up.
  bool resolved = false;
};

/// A reference that may name the parent.
struct JaegerReference {
  bool is_parent_type = true;  ///< CHILD_OF or FOLLOWS_FROM (absent: CHILD_OF, Jaeger's default)
  std::optional<TraceId> trace_id;
  std::optional<std::uint64_t> span_id;
};

class JaegerReader final : public FormatReader {
 public:
  explicit JaegerReader(SpanStore& store) : store_(store) {}

  std::uint8_t root_node() const override { return jaeger_root; }

  Slot key_slot(std::uint8_t node, std::string_view key) override {
    switch (node) {
      case jaeger_root:
        return key == "data" ? Slot::array(jaeger_trace_list, "'data'") : Slot::skip();
      case jaeger_trace:
        if (key == "traceID") {
          return Slot::scalar(jaeger_trace_trace_id, "the trace's 'traceID'");
        }
        if (key == "spans") {
          return Slot::array(jaeger_span_list, "'spans'");
        }
        if (key == "processes") {
          return Slot::object(jaeger_processes, "'processes'");
        }
        return Slot::skip();
      case jaeger_span:
        return span_slot(key);
      case jaeger_reference:
        if (key == "refType") {
          return Slot::scalar(jaeger_reference_type, "a reference's 'refType'");
        }
        if (key == "traceID") {
          return Slot::scalar(jaeger_reference_trace_id, "a reference's 'traceID'");
        }
        if (key == "spanID") {
          return Slot::scalar(jaeger_reference_span_id, "a reference's 'spanID'");
        }
        return Slot::skip();
      case jaeger_processes:
        process_.id.assign(key.substr(0, 64));
        return Slot::object(jaeger_process, "a process");
      case jaeger_process:
      case jaeger_inline_process:
        if (key == "serviceName") {
          return Slot::scalar(jaeger_process_service, "a process's 'serviceName'");
        }
        if (key == "tags") {
          return Slot::array(jaeger_process_tags, "a process's 'tags'");
        }
        return Slot::skip();
      case jaeger_span_tag:
      case jaeger_process_tag:
        if (key == "key") {
          return Slot::scalar(jaeger_tag_key, "a tag's 'key'");
        }
        if (key == "value") {
          return Slot::scalar(jaeger_tag_value, "a tag's 'value'");
        }
        return Slot::skip();
      default:
        return Slot::skip();
    }
  }

  Slot element_slot(std::uint8_t node) override {
    switch (node) {
      case jaeger_trace_list:
        return Slot::object(jaeger_trace, "a trace");
      case jaeger_span_list:
        return Slot::object(jaeger_span, "a span");
      case jaeger_reference_list:
        return Slot::object(jaeger_reference, "a reference");
      case jaeger_span_tags:
        return Slot::object(jaeger_span_tag, "a tag");
      case jaeger_process_tags:
        return Slot::object(jaeger_process_tag, "a tag");
      default:
        return Slot::skip();
    }
  }

  void on_scalar(std::uint8_t /*node*/, std::uint8_t field, const Scalar& value) override {
    switch (field) {
      case jaeger_trace_trace_id:
        trace_id_ = require_trace_id(value, "the trace's 'traceID'");
        break;
      case jaeger_span_trace_id:
        draft_.trace_id = require_trace_id(value, "the span's 'traceID'");
        break;
      case jaeger_span_span_id:
        draft_.span_id = require_span_id(value, "the span's 'spanID'", /*allow_zero=*/false);
        break;
      case jaeger_span_parent_id:  // deprecated; references say it now
        if (value.type != Scalar::Type::null) {
          old_parent_ = require_span_id(value, "the span's 'parentSpanID'", /*allow_zero=*/true);
        }
        break;
      case jaeger_span_name:
        if (value.type != Scalar::Type::null) {
          draft_.name.assign(require_string(value, "the span's 'operationName'")
                                 .substr(0, SpanStore::max_text_bytes + 1));
        }
        break;
      case jaeger_span_start:
        if (value.type != Scalar::Type::null) {
          draft_.start_us = require_unsigned(value, "the span's 'startTime'");
        }
        break;
      case jaeger_span_duration:
        if (value.type != Scalar::Type::null) {
          draft_.duration_us = require_unsigned(value, "the span's 'duration'");
        }
        break;
      case jaeger_span_flags:  // 2 = debug: forced, so it stands for itself
        if (value.type != Scalar::Type::null) {
          draft_.forced = (require_unsigned(value, "the span's 'flags'") & 2U) != 0;
        }
        break;
      case jaeger_span_process_id:
        process_id_.assign(require_string(value, "the span's 'processID'").substr(0, 64));
        break;
      case jaeger_reference_type:
        if (value.type != Scalar::Type::null) {
          const std::string_view type = require_string(value, "a reference's 'refType'");
          reference_.is_parent_type = type == "CHILD_OF" || type == "FOLLOWS_FROM";
        }
        break;
      case jaeger_reference_trace_id:
        reference_.trace_id = require_trace_id(value, "a reference's 'traceID'");
        break;
      case jaeger_reference_span_id:
        reference_.span_id = require_span_id(value, "a reference's 'spanID'", /*allow_zero=*/true);
        break;
      case jaeger_process_service:
        process_service_.assign(require_string(value, "a process's 'serviceName'")
                                    .substr(0, SpanStore::max_text_bytes + 1));
        has_process_service_ = true;
        break;
      case jaeger_tag_key:
        tag_.set_key(value);
        break;
      case jaeger_tag_value:
        tag_.set_value(value);
        break;
      default:
        break;
    }
  }

  void on_begin(std::uint8_t node) override {
    switch (node) {
      case jaeger_trace:
        group_first_ = store_.spans().size();
        trace_id_.reset();
        processes_.clear();
        span_processes_.clear();
        break;
      case jaeger_span:
        draft_.clear();
        references_.clear();
        old_parent_ = 0;
        process_id_.clear();
        break;
      case jaeger_reference:
        reference_ = JaegerReference{};
        break;
      case jaeger_process:
      case jaeger_inline_process:
        process_facts_.clear();
        process_service_.clear();
        has_process_service_ = false;
        if (node == jaeger_inline_process) {
          process_.id.clear();
        }
        break;
      case jaeger_span_tag:
      case jaeger_process_tag:
        tag_.clear();
        break;
      default:
        break;
    }
  }

  void on_end(std::uint8_t node) override {
    switch (node) {
      case jaeger_span_tag:
        tag_.apply(draft_.facts, store_);
        break;
      case jaeger_process_tag:
        tag_.apply(process_facts_, store_);
        break;
      case jaeger_reference:
        references_.push_back(reference_);
        break;
      case jaeger_process:
      case jaeger_inline_process:
        finish_process(node == jaeger_inline_process);
        break;
      case jaeger_span:
        finish_jaeger_span();
        break;
      case jaeger_trace:
        finish_trace();
        break;
      default:
        break;
    }
  }

  void on_value_end() override {}

  [[nodiscard]] std::string current_trace() const override {
    if (draft_.trace_id) {
      return to_hex(*draft_.trace_id);
    }
    return trace_id_ ? to_hex(*trace_id_) : std::string();
  }

 private:
  Slot span_slot(std::string_view key) {
    if (key == "traceID") {
      return Slot::scalar(jaeger_span_trace_id, "the span's 'traceID'");
    }
    if (key == "spanID") {
      return Slot::scalar(jaeger_span_span_id, "the span's 'spanID'");
    }
    if (key == "parentSpanID") {
      return Slot::scalar(jaeger_span_parent_id, "the span's 'parentSpanID'");
    }
    if (key == "operationName") {
      return Slot::scalar(jaeger_span_name, "the span's 'operationName'");
    }
    if (key == "startTime") {
      return Slot::scalar(jaeger_span_start, "the span's 'startTime'");
    }
    if (key == "duration") {
      return Slot::scalar(jaeger_span_duration, "the span's 'duration'");
    }
    if (key == "flags") {
      return Slot::scalar(jaeger_span_flags, "the span's 'flags'");
    }
    if (key == "processID") {
      return Slot::scalar(jaeger_span_process_id, "the span's 'processID'");
    }
    if (key == "references") {
      return Slot::array(jaeger_reference_list, "'references'");
    }
    if (key == "tags") {
      return Slot::array(jaeger_span_tags, "the span's 'tags'");
    }
    if (key == "process") {
      return Slot::object(jaeger_inline_process, "the span's 'process'");
    }
    return Slot::skip();
  }

  void finish_process(bool is_inline) {
    if (!has_process_service_) {
      throw BadInput(is_inline ? std::string("the span's process has no 'serviceName'")
                               : fmt::format("process '{}' has no 'serviceName'", process_.id));
    }
    process_.service = store_.intern(process_service_);
    process_.instance =
        store_.intern(!process_facts_.pod.empty() ? process_facts_.pod : process_facts_.host);
    process_.resolved = true;
    if (is_inline) {
      inline_process_ = process_;
      has_inline_process_ = true;
    } else {
      processes_.push_back(process_);
    }
  }

  void finish_jaeger_span() {
    if (!draft_.trace_id) {
      draft_.trace_id = trace_id_;
    }
    // The parent: the first CHILD_OF or FOLLOWS_FROM reference within the trace.
    for (const JaegerReference& ref : references_) {
      if (ref.is_parent_type && ref.span_id &&
          (!ref.trace_id || !draft_.trace_id || *ref.trace_id == *draft_.trace_id)) {
        draft_.parent_id = *ref.span_id;
        break;
      }
    }
    if (draft_.parent_id == 0) {
      draft_.parent_id = old_parent_;
    }
    auto span = finish_span(draft_, ErrorRules::jaeger, store_);
    if (span) {
      store_.add_span(*span);
      if (has_inline_process_) {
        span_processes_.push_back(inline_process_);
      } else {
        span_processes_.push_back(JaegerProcess{process_id_, 0, 0, false});
      }
    }
    has_inline_process_ = false;
    draft_.trace_id.reset();
  }

  /// Gives each span its process's service and host, then drops duplicates.
  void finish_trace() {
    for (std::size_t i = 0; i < span_processes_.size(); ++i) {
      JaegerProcess& wanted = span_processes_[i];
      if (!wanted.resolved) {
        const auto found = std::find_if(processes_.begin(), processes_.end(),
                                        [&](const JaegerProcess& p) { return p.id == wanted.id; });
        if (found == processes_.end() && wanted.id.empty()) {
          throw BadInput(fmt::format("span {:016x} has no 'processID' and no 'process'",
                                     store_.spans()[group_first_ + i].span_id));
        }
        if (found == processes_.end()) {
          throw BadInput(
              fmt::format("span {:016x} names process '{}', which the trace's 'processes' lacks",
                          store_.spans()[group_first_ + i].span_id, wanted.id));
        }
        wanted = *found;
      }
      store_.span_at(group_first_ + i).service = wanted.service;
      store_.span_at(group_first_ + i).instance = wanted.instance;
    }
    store_.finish_group(group_first_);
    span_processes_.clear();
  }

  SpanStore& store_;
  SpanDraft draft_;
  std::optional<TraceId> trace_id_;
  std::uint64_t old_parent_ = 0;
  std::string process_id_;
  std::vector<JaegerReference> references_;
  JaegerReference reference_;
  PendingAttribute tag_;
  SpanFacts process_facts_;
  std::string process_service_;
  bool has_process_service_ = false;
  JaegerProcess process_;
  JaegerProcess inline_process_;
  bool has_inline_process_ = false;
  std::vector<JaegerProcess> processes_;
  /// The process of each span of the open trace kept so far, in order.
  std::vector<JaegerProcess> span_processes_;
  std::size_t group_first_ = 0;
};

}  // namespace

std::unique_ptr<FormatReader> make_jaeger_reader(SpanStore& store) {
  return std::make_unique<JaegerReader>(store);
}

}  // namespace tailsim::import::detail
