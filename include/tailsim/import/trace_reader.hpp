#pragma once
/// Reading trace files into a SpanStore: OTLP/JSON (one TracesData, or the
/// collector file exporter's JSON Lines, or Jaeger API v3's
/// `{"result": TracesData}`), Jaeger JSON (`{"data": [trace...]}`) and
/// Zipkin v2 JSON (an array of spans, or an array of such arrays) and the
/// span CSV of the Nezha dataset (a header of named columns, first; kinds
/// worked out from the tree), the format told by the content, never by the
/// file's name.
///
/// Each format is read as its reference decoders read it (the OpenTelemetry
/// collector's, Jaeger's, Zipkin's): ids in hex, 64-bit integers as strings
/// or numbers, enums as numbers or names, snake_case keys, Jaeger's
/// processes and references, Zipkin's shared client/server spans.

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "tailsim/import/spans.hpp"

namespace tailsim::import {

/// A trace file that cannot be read: not a regular file, not JSON, not one
/// of the formats, or a field of the wrong type or form. Says where: the
/// file, the byte offset at which the problem was found and, when known,
/// the trace. The command line reports it and exits with 2.
class ImportError : public std::runtime_error {
 public:
  ImportError(std::string file, std::uint64_t offset, std::string trace_id,
              const std::string& problem);

  [[nodiscard]] const std::string& file() const { return file_; }
  /// Bytes of the file read when the problem was found (0 for a file that
  /// could not be opened).
  [[nodiscard]] std::uint64_t offset() const { return offset_; }
  /// The trace the problem is in, in hex; empty when not known.
  [[nodiscard]] const std::string& trace_id() const { return trace_id_; }

 private:
  std::string file_;
  std::uint64_t offset_;
  std::string trace_id_;
};

/// Reads the trace file at `path` into `store` (spans, strings, counts and
/// a TraceFile entry). Streams: memory grows with the spans kept, not with
/// the file's size. Only a regular file is read (a folder, FIFO or device is
/// refused). Throws ImportError; the store then keeps the groups of spans
/// (resources, Jaeger traces) read whole before the problem, and no
/// TraceFile entry for the file.
void read_trace_file(const std::filesystem::path& path, SpanStore& store);

}  // namespace tailsim::import
