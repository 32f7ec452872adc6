#include "tailsim/model/diagnostics.hpp"

#include <algorithm>
#include <cstddef>
#include <tuple>

#include <fmt/format.h>

#include "tailsim/model/text_encoding.hpp"

namespace tailsim::model {
namespace {

/// The name shown for source 0 when no source was registered, and for ids
/// that were never handed out.
const std::string& input_name() {
  static const std::string name = "<input>";
  return name;
}

const std::string& unknown_name() {
  static const std::string name = "<unknown>";
  return name;
}

char to_lower_ascii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// The optimal string alignment distance (Damerau–Levenshtein where a
/// transposed pair counts as one edit and is not edited again), ignoring case.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  // Three rows: the one before the previous (for transpositions), the previous, the current.
  std::vector<std::size_t> before(m + 1);
  std::vector<std::size_t> previous(m + 1);
  std::vector<std::size_t> current(m + 1);
  for (std::size_t j = 0; j <= m; ++j) {
    previous[j] = j;
  }
  for (std::size_t i = 1; i <= n; ++i) {
    current[0] = i;
    const char ai = to_lower_ascii(a[i - 1]);
    for (std::size_t j = 1; j <= m; ++j) {
      const char bj = to_lower_ascii(b[j - 1]);
      const std::size_t cost = ai == bj ? 0 : 1;
      std::size_t best = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && ai == to_lower_ascii(b[j - 2]) && to_lower_ascii(a[i - 2]) == bj) {
        best = std::min(best, before[j - 2] + 1);
      }
      current[j] = best;
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[m];
}

}  // namespace

std::uint32_t Diagnostics::add_source(std::string name) {
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    if (sources_[i] == name) {
      return static_cast<std::uint32_t>(i);
    }
  }
  sources_.push_back(std::move(name));
  return static_cast<std::uint32_t>(sources_.size() - 1);
}

const std::string& Diagnostics::source_name(std::uint32_t id) const {
  if (id < sources_.size()) {
    return sources_[id];
  }
  if (id == 0) {
    return input_name();
  }
  return unknown_name();
}

void Diagnostics::error(SourceLoc loc, std::string message) {
  items_.push_back(Diagnostic{Severity::error, loc, std::move(message)});
  ++error_count_;
}

void Diagnostics::warning(SourceLoc loc, std::string message) {
  items_.push_back(Diagnostic{Severity::warning, loc, std::move(message)});
}

void Diagnostics::sort() {
  std::stable_sort(items_.begin(), items_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.loc.file, a.loc.line, a.loc.col) <
           std::tie(b.loc.file, b.loc.line, b.loc.col);
  });
  // Repeats share a position, so after sorting they sit in the same run of
  // equal positions; keep the first of each within its run.
  std::vector<Diagnostic> kept;
  kept.reserve(items_.size());
  std::size_t run_start = 0;
  for (auto& d : items_) {
    if (!kept.empty() && !(kept[run_start].loc == d.loc)) {
      run_start = kept.size();
    }
    const bool repeat = std::any_of(
        kept.begin() + static_cast<std::ptrdiff_t>(run_start), kept.end(),
        [&](const Diagnostic& k) { return k.severity == d.severity && k.message == d.message; });
    if (!repeat) {
      kept.push_back(std::move(d));
    }
  }
  items_ = std::move(kept);
  error_count_ =
      static_cast<std::size_t>(std::count_if(items_.begin(), items_.end(), [](const Diagnostic& d) {
        return d.severity == Severity::error;
      }));
}

std::string Diagnostics::format(const Diagnostic& d) const {
  const std::uint32_t line = d.loc.line == 0 ? 1 : d.loc.line;
  const std::uint32_t col = (d.loc.line == 0 || d.loc.col == 0) ? 1 : d.loc.col;
  // A message may quote a model's text and a source may be a data file's
  // name: neither may carry a control character or escape sequence to a terminal.
  return fmt::format("{}:{}:{}: {}: {}", escape_control(source_name(d.loc.file)), line, col,
                     d.severity == Severity::error ? "error" : "warning",
                     escape_control(d.message));
}

std::string Diagnostics::format_all() const {
  std::string out;
  for (const auto& d : items_) {
    out += format(d);
    out += '\n';
  }
  return out;
}

std::string closest_name(std::string_view word, std::span<const std::string> candidates) {
  if (word.empty()) {
    return {};
  }
  const std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
  const std::string* best = nullptr;
  std::size_t best_distance = limit + 1;
  for (const auto& candidate : candidates) {
    const std::size_t length_gap = candidate.size() > word.size() ? candidate.size() - word.size()
                                                                  : word.size() - candidate.size();
    if (length_gap >= best_distance) {
      continue;  // the distance is at least the difference in length
    }
    const std::size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = &candidate;
    }
  }
  return best ? *best : std::string{};
}

std::string did_you_mean(std::string_view word, std::span<const std::string> candidates) {
  std::string name = closest_name(word, candidates);
  if (name.empty()) {
    return {};
  }
  return fmt::format("; did you mean '{}'?", name);
}

}  // namespace tailsim::model
