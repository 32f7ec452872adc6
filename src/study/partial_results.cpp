#include "tailsim/study/partial_results.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

namespace tailsim::study {
namespace {

constexpr std::string_view partial_magic = "tailsim-partial-results 1";

/// Writes tokens separated by spaces; strings as `LENGTH:BYTES`.
class TokenWriter {
 public:
  void word(std::string_view w) { sep(), out_ += w; }
  void number(std::uint64_t n) { sep(), out_ += fmt::format("{}", n); }
  void real(double x) { sep(), out_ += fmt::format("{:a}", x); }
  void text(std::string_view s) { sep(), out_ += fmt::format("{}:", s.size()), out_ += s; }
  void line() { out_ += '\n', fresh_ = true; }
  std::string& str() { return out_; }

 private:
  void sep() {
    if (!fresh_) {
      out_ += ' ';
    }
    fresh_ = false;
  }
  std::string out_;
  bool fresh_ = true;
};

/// Reads what TokenWriter wrote; throws std::runtime_error when it cannot.
class TokenReader {
 public:
  explicit TokenReader(std::string_view in) : in_(in) {}

  std::string_view token() {
    skip();
    const std::size_t start = pos_;
    while (pos_ < in_.size() && in_[pos_] != ' ' && in_[pos_] != '\n') {
      ++pos_;
    }
    if (start == pos_) {
      fail("cut short");
    }
    return in_.substr(start, pos_ - start);
  }
  void expect(std::string_view word) {
    const auto got = token();
    if (got != word) {
      fail(fmt::format("'{}' where '{}' belongs", got.substr(0, 40), word));
    }
  }
  std::uint64_t number() {
    const auto t = token();
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    if (ec != std::errc{} || end != t.data() + t.size()) {
      fail(fmt::format("'{}' is no whole number", t.substr(0, 40)));
    }
    return n;
  }
  std::size_t count(std::size_t most) {
    const auto n = number();
    if (n > most) {
      fail(fmt::format("a count of {} is more than the text can hold", n));
    }
    return static_cast<std::size_t>(n);
  }
  bool flag() {
    const auto n = number();
    if (n > 1) {
      fail("a flag other than 0 or 1");
    }
    return n == 1;
  }
  double real() {
    const std::string t(token());
    char* end = nullptr;
    const double x = std::strtod(t.c_str(), &end);
    if (end != t.c_str() + t.size()) {
      fail(fmt::format("'{}' is no number", t.substr(0, 40)));
    }
    return x;
  }
  std::string text() {
    skip();
    const std::size_t colon = in_.find(':', pos_);
    if (colon == std::string_view::npos) {
      fail("cut short");
    }
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(in_.data() + pos_, in_.data() + colon, n);
    if (ec != std::errc{} || end != in_.data() + colon || n > in_.size() - colon - 1) {
      fail("a text of a wrong length");
    }
    pos_ = colon + 1 + n;
    return std::string(in_.substr(colon + 1, n));
  }
  [[nodiscard]] std::size_t remaining() const { return in_.size() - pos_; }
  [[nodiscard]] bool at_end() {
    skip();
    return pos_ == in_.size();
  }
  [[noreturn]] static void fail(const std::string& what) { throw std::runtime_error(what); }

 private:
  void skip() {
    while (pos_ < in_.size() && (in_[pos_] == ' ' || in_[pos_] == '\n')) {
      ++pos_;
    }
  }
  std::string_view in_;
  std::size_t pos_ = 0;
};

void write_runs(TokenWriter& w, std::span<const RunMetrics> runs) {
  w.word("runs"), w.number(runs.size()), w.line();
  for (const RunMetrics& run : runs) {
    w.word("run"), w.number(run.seed), w.number(run.ran ? 1 : 0);
    w.number(run.stopped_early ? 1 : 0), w.text(run.stop_reason), w.number(run.paths.size());
    w.line();
    for (const PathMetrics& path : run.paths) {
      w.word("path"), w.text(path.name), w.number(path.unstable ? 1 : 0);
      for (const double x : path.values) {
        w.real(x);
      }
      for (const double x : path.all) {
        w.real(x);
      }
      w.line();
    }
    w.word("slos"), w.number(run.slo_values.size());
    for (const double x : run.slo_values) {
      w.real(x);
    }
    w.line();
    w.word("components"), w.number(run.components.size()), w.line();
    for (const ComponentMetrics& c : run.components) {
      w.word("component"), w.number(static_cast<std::uint64_t>(c.kind)), w.text(c.name);
      w.number(c.is_external ? 1 : 0), w.number(c.values.size());
      for (const double x : c.values) {
        w.real(x);
      }
      w.line();
    }
  }
}

std::vector<RunMetrics> read_runs(TokenReader& r) {
  r.expect("runs");
  // Every run, path or number takes at least two bytes of text: a count
  // beyond that is a corrupt file, not a reason to reserve memory.
  std::vector<RunMetrics> runs(r.count(r.remaining()));
  for (RunMetrics& run : runs) {
    r.expect("run");
    run.seed = r.number();
    run.ran = r.flag();
    run.stopped_early = r.flag();
    run.stop_reason = r.text();
    run.paths.resize(r.count(r.remaining()));
    for (PathMetrics& path : run.paths) {
      r.expect("path");
      path.name = r.text();
      path.unstable = r.flag();
      for (double& x : path.values) {
        x = r.real();
      }
      for (double& x : path.all) {
        x = r.real();
      }
    }
    r.expect("slos");
    run.slo_values.resize(r.count(r.remaining()));
    for (double& x : run.slo_values) {
      x = r.real();
    }
    r.expect("components");
    run.components.resize(r.count(r.remaining()));
    for (ComponentMetrics& c : run.components) {
      r.expect("component");
      const auto kind = r.number();
      if (kind >= all_component_kinds.size()) {
        TokenReader::fail("an unknown kind of component");
      }
      c.kind = all_component_kinds[kind];
      c.name = r.text();
      c.is_external = r.flag();
      const std::size_t n = r.count(r.remaining());
      if (n != component_metrics(c.kind).size()) {
        TokenReader::fail(fmt::format("a {} with {} metrics", component_kind_name(c.kind), n));
      }
      c.values.resize(n);
      for (double& x : c.values) {
        x = r.real();
      }
    }
  }
  return runs;
}

}  // namespace

std::size_t shard_of(std::size_t index, std::size_t shards, bool first_here) {
  if (first_here) {
    return index == 0 ? 0 : (index - 1) % shards + 1;
  }
  return index % shards + 1;
}

std::string text_hash(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return fmt::format("{:016x}", h);
}

std::string format_run_metrics(std::span<const RunMetrics> runs) {
  TokenWriter w;
  write_runs(w, runs);
  return std::move(w.str());
}

std::vector<RunMetrics> parse_run_metrics(std::string_view text) {
  TokenReader r(text);
  auto runs = read_runs(r);
  if (!r.at_end()) {
    TokenReader::fail("text after the runs");
  }
  return runs;
}

std::string format_partial(const PartialResults& partial) {
  TokenWriter w;
  w.word(partial_magic), w.line();
  w.word("version"), w.text(partial.study.version), w.line();
  w.word("args"), w.number(partial.study.args.size());
  for (const auto& arg : partial.study.args) {
    w.text(arg);
  }
  w.line();
  w.word("models"), w.text(partial.study.models), w.line();
  w.word("shard"), w.number(partial.shard), w.number(partial.shards), w.line();
  w.word("jobs"), w.number(partial.jobs), w.number(partial.first_here ? 1 : 0), w.line();
  w.word("indexes"), w.number(partial.indexes.size());
  for (const auto i : partial.indexes) {
    w.number(i);
  }
  w.line();
  write_runs(w, partial.runs);
  std::string out = std::move(w.str());
  out += fmt::format("checksum {}\n", text_hash(out));
  return out;
}

PartialResults parse_partial(std::string_view text) {
  if (text.substr(0, partial_magic.size()) != partial_magic) {
    TokenReader::fail("not a partial results file of tailsim");
  }
  const std::size_t mark = text.rfind("checksum ");
  if (mark == std::string_view::npos || (mark > 0 && text[mark - 1] != '\n')) {
    TokenReader::fail("cut short: no checksum at its end");
  }
  const std::string_view body = text.substr(0, mark);
  if (text.substr(mark) != fmt::format("checksum {}\n", text_hash(body))) {
    TokenReader::fail("changed or cut short since it was written: its checksum does not match");
  }
  TokenReader r(body.substr(partial_magic.size()));
  PartialResults p;
  r.expect("version");
  p.study.version = r.text();
  r.expect("args");
  p.study.args.resize(r.count(r.remaining()));
  for (auto& arg : p.study.args) {
    arg = r.text();
  }
  r.expect("models");
  p.study.models = r.text();
  r.expect("shard");
  p.shard = static_cast<std::size_t>(r.number());
  p.shards = static_cast<std::size_t>(r.number());
  if (p.shard < 1 || p.shard > p.shards) {
    TokenReader::fail(fmt::format("shard {}/{} does not exist", p.shard, p.shards));
  }
  r.expect("jobs");
  p.jobs = static_cast<std::size_t>(r.number());
  p.first_here = r.flag();
  r.expect("indexes");
  p.indexes.resize(r.count(r.remaining()));
  for (auto& i : p.indexes) {
    i = static_cast<std::size_t>(r.number());
  }
  p.runs = read_runs(r);
  if (!r.at_end()) {
    TokenReader::fail("text after the runs");
  }
  if (p.runs.size() != p.indexes.size()) {
    TokenReader::fail(fmt::format("{} runs for {} simulations", p.runs.size(), p.indexes.size()));
  }
  return p;
}

}  // namespace tailsim::study
