#pragma once
// The span CSV of the Nezha dataset (FSE'23; Online Boutique and
// TrainTicket captures): one row per span with the columns TraceID, SpanID,
// ParentID, PodName, OperationName, StartTimeUnixNano, EndTimeUnixNano and
// Duration (microseconds), `root` as a root's parent. No span kind, status
// or attribute: the service is the pod's name without its Deployment's
// suffixes, and the kinds are worked out from the tree once the whole file
// is read (docs/import.md, "Span CSV"). Rows of a trace need not be adjacent
// nor parents before children.

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tailsim/import/spans.hpp"

namespace tailsim::import::detail {

/// Reads a span CSV a line at a time; spans go into the store when the file
/// is finished, with their kinds. The header names the columns, in any
/// order (others are ignored). Throws BadInput (the line and field in its
/// message) on a header without the columns, a row of the wrong width, an
/// id that is not hex or a time that is not a whole number.
class SpanCsvReader {
 public:
  explicit SpanCsvReader(SpanStore& store) : store_(store) {}

  /// Line `number` (1 for the header) without its line break.
  void line(std::string_view text, std::size_t number);
  /// The file ended: works out the kinds and stores the spans as one group.
  void finish();
  /// The trace of the row being read, in hex ("" before the first row).
  [[nodiscard]] std::string current_trace() const;

 private:
  enum Column : std::size_t {
    trace_id,
    span_id,
    parent_id,
    pod,
    operation,
    start_time,
    end_time,
    column_count
  };
  void header(const std::vector<std::string>& fields, std::size_t number);
  void row(const std::vector<std::string>& fields, std::size_t number);

  SpanStore& store_;
  bool has_header_ = false;
  /// Each column's place in a row.
  std::size_t place_[column_count] = {};
  std::size_t width_ = 0;
  std::vector<Span> spans_;
  TraceId current_{};
  /// A pod's service, by the pod's string.
  std::unordered_map<std::uint32_t, std::uint32_t> service_of_;
};

}  // namespace tailsim::import::detail
