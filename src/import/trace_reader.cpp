#include "tailsim/import/trace_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <iterator>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "span_csv.hpp"
#include "trace_json.hpp"

// Why SAX: a trace file can be gigabytes (a collector's file exporter
// appends for days), and a DOM of JSON (nlohmann::json) takes about ten
// times the text's size, so a 1 GB file would need some 10 GB. nlohmann's
// SAX interface (already a dependency) reports keys and values one by one;
// the handler here keeps only the fields a span needs, in the compact
// SpanStore, and skips the rest (events, links, logs, other attributes)
// without building anything. Memory grows with the spans kept, plus the
// largest single token (a 100 MB name passes through nlohmann's lexer once).

namespace tailsim::import {

ImportError::ImportError(std::string file, std::uint64_t offset, std::string trace_id,
                         const std::string& problem)
    : std::runtime_error(trace_id.empty() ? fmt::format("{}: byte {}: {}", file, offset, problem)
                                          : fmt::format("{}: byte {}: trace {}: {}", file, offset,
                                                        trace_id, problem)),
      file_(std::move(file)),
      offset_(offset),
      trace_id_(std::move(trace_id)) {}

namespace {

using detail::BadInput;
using detail::FormatReader;
using detail::Scalar;
using detail::Slot;

/// Values nested deeper than this are refused: traces nest a few levels
/// (OTLP's kvlist attributes a few more), and a bound keeps a file of
/// brackets from growing the handler's stack.
constexpr std::size_t max_nesting = 64;

/// Closes a file descriptor when it goes out of scope.
class TraceFileDescriptor {
 public:
  explicit TraceFileDescriptor(int fd) : fd_(fd) {}
  TraceFileDescriptor(const TraceFileDescriptor&) = delete;
  TraceFileDescriptor& operator=(const TraceFileDescriptor&) = delete;
  ~TraceFileDescriptor() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

/// The file's bytes in chunks, counting how many were consumed (the offset
/// in messages).
class ByteSource {
 public:
  explicit ByteSource(int fd) : fd_(fd), buffer_(256 * 1024) {}

  /// True when every byte was consumed (reads the next chunk if needed).
  bool at_end() {
    if (pos_ < len_) {
      return false;
    }
    return !refill();
  }
  [[nodiscard]] char peek() const { return buffer_[pos_]; }
  void advance() { ++pos_; }
  [[nodiscard]] std::uint64_t offset() const { return before_ + pos_; }
  /// Consumes whitespace; false at the end of the file.
  bool skip_whitespace() {
    while (!at_end()) {
      const char c = peek();
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return true;
      }
      advance();
    }
    return false;
  }

 private:
  bool refill() {
    before_ += len_;
    pos_ = 0;
    len_ = 0;
    while (true) {
      const ssize_t n = ::read(fd_, buffer_.data(), buffer_.size());
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        throw BadInput(fmt::format("reading the file failed: {}",
                                   std::error_code(errno, std::generic_category()).message()));
      }
      len_ = static_cast<std::size_t>(n);
      return n > 0;
    }
  }

  int fd_;
  std::vector<char> buffer_;
  std::size_t pos_ = 0;
  std::size_t len_ = 0;
  std::uint64_t before_ = 0;
};

/// An input iterator over a ByteSource, for nlohmann's iterator input
/// adapter. Copies share the source; any iterator at the end equals the
/// end iterator (a null source).
class ByteIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = char;

  ByteIterator() = default;
  explicit ByteIterator(ByteSource* source) : source_(source) {}
  reference operator*() const { return source_->peek(); }
  ByteIterator& operator++() {
    source_->advance();
    return *this;
  }
  ByteIterator operator++(int) {
    ByteIterator before = *this;
    source_->advance();
    return before;
  }
  friend bool operator==(const ByteIterator& a, const ByteIterator& b) {
    return a.is_end() == b.is_end();
  }

 private:
  [[nodiscard]] bool is_end() const { return source_ == nullptr || source_->at_end(); }
  ByteSource* source_ = nullptr;
};

/// The three readers of one file; the first value read picks one.
struct FormatChoice {
  SpanStore& store;
  TraceFormat format = TraceFormat::unknown;
  std::unique_ptr<FormatReader> reader;

  FormatReader& choose(TraceFormat wanted) {
    if (format != TraceFormat::unknown && format != wanted) {
      throw BadInput(fmt::format("holds {} after {}: one file holds one format", to_string(wanted),
                                 to_string(format)));
    }
    if (!reader) {
      format = wanted;
      reader = wanted == TraceFormat::otlp_json     ? detail::make_otlp_reader(store)
               : wanted == TraceFormat::jaeger_json ? detail::make_jaeger_reader(store)
                                                    : detail::make_zipkin_reader(store);
    }
    return *reader;
  }
};

/// Walks one top-level JSON value, handing the reader what it asks for.
class TraceSaxHandler {
 public:
  using json = nlohmann::json;

  explicit TraceSaxHandler(FormatChoice& choice) : choice_(choice) {}

  bool null() { return scalar(Scalar{}); }
  bool boolean(bool value) {
    Scalar s;
    s.type = Scalar::Type::boolean;
    s.boolean = value;
    return scalar(s);
  }
  bool number_integer(json::number_integer_t value) {
    Scalar s;
    s.type = Scalar::Type::integer;
    s.integer = value;
    return scalar(s);
  }
  bool number_unsigned(json::number_unsigned_t value) {
    Scalar s;
    s.type = Scalar::Type::unsigned_integer;
    s.unsigned_integer = value;
    return scalar(s);
  }
  bool number_float(json::number_float_t value, const json::string_t& /*text*/) {
    Scalar s;
    s.type = Scalar::Type::floating;
    s.floating = value;
    return scalar(s);
  }
  bool string(json::string_t& value) {
    Scalar s;
    s.type = Scalar::Type::string;
    s.text = value;
    return scalar(s);
  }
  bool binary(json::binary_t& /*value*/) { return scalar(Scalar{}); }

  bool start_object(std::size_t /*elements*/) { return enter(/*is_array=*/false); }
  bool start_array(std::size_t /*elements*/) { return enter(/*is_array=*/true); }
  bool end_object() { return leave(); }
  bool end_array() { return leave(); }

  bool key(json::string_t& key) {
    if (skip_depth_ > 0) {
      return true;
    }
    if (detecting_) {
      detect(key);
      if (detecting_) {
        pending_ = Slot::skip();
        return true;
      }
    }
    pending_ = reader_->key_slot(stack_.back().node, key);
    return true;
  }

  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& error) {
    // nlohmann's message starts "[json.exception.parse_error.101] parse
    // error at line 1, column 9: " (counted from the value's start, which
    // in JSON Lines is not the file's): keep what follows.
    std::string_view text = error.what();
    if (const auto colon = text.find(": "); colon != std::string_view::npos) {
      text.remove_prefix(colon + 2);
    }
    if (text.size() > 200) {
      text = text.substr(0, 200);
    }
    throw BadInput(fmt::format("malformed JSON: {}", text));
  }

  /// The trace being read, for messages.
  [[nodiscard]] std::string current_trace() const {
    return reader_ != nullptr ? reader_->current_trace() : std::string();
  }

 private:
  struct Frame {
    std::uint8_t node = 0;
    bool is_array = false;
    Slot element;
  };

  /// An object or array begins: the top of the value (its first key, or
  /// being an array, tells the format), one the reader asked for, or one
  /// skipped.
  bool enter(bool is_array) {
    if (enter_depth()) {
      return true;
    }
    if (stack_.empty()) {
      if (is_array) {
        reader_ = &choice_.choose(TraceFormat::zipkin_json);
        const std::uint8_t root = reader_->root_node();
        stack_.push_back(Frame{root, true, reader_->element_slot(root)});
      } else {
        stack_.push_back(Frame{0, false, {}});
        detecting_ = true;
      }
      return true;
    }
    const Slot slot = current_slot();
    const std::string_view found = is_array ? "an array" : "an object";
    switch (slot.kind) {
      case Slot::Kind::skip:
        ++skip_depth_;
        return true;
      case Slot::Kind::object_or_array:
        break;
      case Slot::Kind::object:
      case Slot::Kind::array:
        if (is_array != (slot.kind == Slot::Kind::array)) {
          throw BadInput(fmt::format("{} must be {}, not {}", slot.what,
                                     is_array ? "an object" : "an array", found));
        }
        break;
      case Slot::Kind::scalar:
        throw BadInput(fmt::format("{} must be a single value, not {}", slot.what, found));
    }
    const std::uint8_t node = is_array ? slot.array_node : slot.object_node;
    stack_.push_back(Frame{node, is_array, is_array ? reader_->element_slot(node) : Slot{}});
    if (!is_array) {
      reader_->on_begin(node);
    }
    return true;
  }

  /// An object or array ends.
  bool leave() {
    if (skip_depth_ > 0) {
      --skip_depth_;
      return true;
    }
    const Frame frame = stack_.back();
    stack_.pop_back();
    if (!stack_.empty()) {
      reader_->on_end(frame.node);
    } else if (detecting_) {
      throw BadInput(
          "not a trace file tailsim reads: expected OTLP/JSON (an object with "
          "'resourceSpans'), Jaeger JSON (an object with 'data') or Zipkin v2 JSON (an "
          "array of spans)");
    } else {
      reader_->on_value_end();
    }
    return true;
  }

  /// Counts a level; refuses one too deep. True if the value is skipped.
  bool enter_depth() {
    if (stack_.size() + skip_depth_ >= max_nesting) {
      throw BadInput(fmt::format("values nested deeper than {} levels", max_nesting));
    }
    if (skip_depth_ > 0) {
      ++skip_depth_;
      return true;
    }
    return false;
  }

  [[nodiscard]] Slot current_slot() const {
    return stack_.back().is_array ? stack_.back().element : pending_;
  }

  void detect(std::string_view key) {
    TraceFormat format = TraceFormat::unknown;
    if (key == "resourceSpans" || key == "resource_spans" || key == "result") {
      format = TraceFormat::otlp_json;
    } else if (key == "data") {
      format = TraceFormat::jaeger_json;
    }
    if (format != TraceFormat::unknown) {
      reader_ = &choice_.choose(format);
      stack_.back().node = reader_->root_node();
      detecting_ = false;
    }
  }

  bool scalar(const Scalar& value) {
    if (skip_depth_ > 0) {
      return true;
    }
    if (stack_.empty()) {
      throw BadInput(fmt::format("a trace file holds JSON objects or arrays, not {} at the top",
                                 value.type_name()));
    }
    const Slot slot = current_slot();
    if (slot.kind == Slot::Kind::scalar) {
      reader_->on_scalar(stack_.back().node, slot.object_node, value);
    } else if (slot.kind != Slot::Kind::skip && value.type != Scalar::Type::null) {
      throw BadInput(fmt::format("{} must be {}, not {}", slot.what,
                                 slot.kind == Slot::Kind::object  ? "an object"
                                 : slot.kind == Slot::Kind::array ? "an array"
                                                                  : "an object or an array",
                                 value.type_name()));
    }
    return true;
  }

  FormatChoice& choice_;
  FormatReader* reader_ = nullptr;
  std::vector<Frame> stack_;
  std::size_t skip_depth_ = 0;
  Slot pending_;
  bool detecting_ = false;
};

/// A span CSV's lines, at most this long: a row is a few hundred bytes, and
/// a bound keeps a file without line breaks from filling the memory.
constexpr std::size_t max_csv_line = std::size_t{1} << 20;

/// Hands `csv` the source's lines, then finishes it.
void read_span_csv(ByteSource& source, detail::SpanCsvReader& csv) {
  std::string line;
  std::size_t number = 1;
  const auto hand_on = [&] {
    csv.line(line, number++);
    line.clear();
  };
  while (!source.at_end()) {
    const char c = source.peek();
    if (c == '\n') {
      hand_on();
    } else if (line.size() == max_csv_line) {
      throw BadInput(fmt::format("line {} is longer than {} bytes", number, max_csv_line));
    } else {
      line += c;
    }
    source.advance();
  }
  if (!line.empty()) {  // the last line, without a line break
    hand_on();
  }
  csv.finish();
}

std::string errno_reason(int error) {
  if (error == ENOENT || error == ENOTDIR) {
    return "no such file";
  }
  return std::error_code(error, std::generic_category()).message();
}

/// Why a file of this mode is not read, or "" for a regular file.
std::string refusal(mode_t mode) {
  if (S_ISREG(mode)) {
    return {};
  }
  if (S_ISDIR(mode)) {
    return "it is a folder, not a trace file (name the files in it)";
  }
  if (S_ISFIFO(mode)) {
    return "it is a FIFO, not a regular file";
  }
  if (S_ISCHR(mode) || S_ISBLK(mode)) {
    return "it is a device, not a regular file";
  }
  if (S_ISSOCK(mode)) {
    return "it is a socket, not a regular file";
  }
  return "it is not a regular file";
}

}  // namespace

void read_trace_file(const std::filesystem::path& path, SpanStore& store) {
  const std::string shown = path.string();
  const auto cannot_read = [&](const std::string& why) {
    return ImportError(shown, 0, "", fmt::format("cannot read the trace file: {}", why));
  };
  // Look before opening: opening a device can act on it, and a FIFO blocks.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw cannot_read(errno_reason(errno));
  }
  if (const std::string why = refusal(st.st_mode); !why.empty()) {
    throw cannot_read(why);
  }
  const TraceFileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) {
    throw cannot_read(errno_reason(errno));
  }
  // The file may have been swapped since: check what was opened.
  if (::fstat(fd.get(), &st) != 0) {
    throw cannot_read(errno_reason(errno));
  }
  if (const std::string why = refusal(st.st_mode); !why.empty()) {
    throw cannot_read(why);
  }

  const std::size_t spans_before = store.spans().size();
  const std::size_t read_before = store.counts().spans_read;
  ByteSource source(fd.get());
  if (source.skip_whitespace() && source.peek() >= 'A' && source.peek() <= 'Z') {
    // A capital letter: a CSV's header (JSON never starts so).
    detail::SpanCsvReader csv(store);
    try {
      read_span_csv(source, csv);
    } catch (const BadInput& bad) {
      store.abandon_group();
      throw ImportError(shown, source.offset(), csv.current_trace(), bad.what());
    }
    store.add_file(TraceFile{shown, TraceFormat::span_csv, store.counts().spans_read - read_before,
                             store.spans().size() - spans_before, 1});
    return;
  }
  FormatChoice choice{store, TraceFormat::unknown, nullptr};
  std::unique_ptr<TraceSaxHandler> handler;
  std::size_t documents = 0;
  try {
    // One value, or several one after another (JSON Lines: the collector's
    // file exporter writes one TracesData per export, a trace across lines).
    while (source.skip_whitespace()) {
      ++documents;
      handler = std::make_unique<TraceSaxHandler>(choice);
      nlohmann::json::sax_parse(ByteIterator(&source), ByteIterator(), handler.get(),
                                nlohmann::json::input_format_t::json, /*strict=*/false);
    }
    if (documents == 0) {
      throw BadInput("the file is empty: no traces");
    }
  } catch (const BadInput& bad) {
    store.abandon_group();
    throw ImportError(shown, source.offset(), handler ? handler->current_trace() : "", bad.what());
  }
  store.add_file(TraceFile{shown, choice.format, store.counts().spans_read - read_before,
                           store.spans().size() - spans_before, documents});
}

}  // namespace tailsim::import
