#include "tailsim/model/distribution.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>

#include <fmt/format.h>

#include "tailsim/model/data_file.hpp"
#include "tailsim/model/text_encoding.hpp"
#include "text_piece.hpp"

namespace tailsim::model {
using detail::error_at;
using detail::is_space;
using detail::Piece;
using detail::trim;

namespace {

/// Longer distribution texts are refused before parsing: nothing real comes
/// close, and it bounds the work a hostile model can cause.
constexpr std::size_t max_text_length = 10'000;
/// Mixtures nested deeper than this are refused, so parsing cannot exhaust the stack.
constexpr int max_mix_depth = 32;
constexpr std::int64_t max_erlang_k = 1000;
/// The 99th percentile of the standard normal distribution.
constexpr double z_p99 = 2.3263478740408408;
/// Mixture weights may miss 1 by this much (rounding in `33.3333333333%`).
constexpr double weight_sum_tolerance = 1e-9;
/// Empirical and trace files larger than this are refused rather than read into memory.
constexpr std::uintmax_t max_sample_file_bytes = std::uintmax_t{256} << 20;
/// The most characters of a sample file's line that a message quotes.
constexpr std::size_t max_quoted_chars = 40;
/// Bad lines of an empirical file reported one by one; the rest are counted.
constexpr std::size_t max_reported_lines = 20;

const std::array<std::string, 10> names{"exp",    "uniform", "normal",  "lognormal", "gamma",
                                        "erlang", "pareto",  "weibull", "mix",       "empirical"};

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
bool is_name(std::string_view s) {
  return !s.empty() && !(s.front() >= '0' && s.front() <= '9') &&
         std::all_of(s.begin(), s.end(), is_name_char);
}

/// Walks text one character at a time, keeping track of parentheses and quotes.
class Nesting {
 public:
  /// Moves past character `c`.
  void step(char c) {
    if (quote_ != 0) {
      if (c == quote_) {
        quote_ = 0;
      }
    } else if (c == '\'' || c == '"') {
      quote_ = c;
    } else if (c == '(') {
      ++depth_;
    } else if (c == ')' && depth_ > 0) {
      --depth_;
    }
  }
  /// True when the characters so far left no parenthesis or quote open.
  [[nodiscard]] bool at_top() const { return depth_ == 0 && quote_ == 0; }

 private:
  std::size_t depth_ = 0;
  char quote_ = 0;
};

/// The index of the `)` that closes the `(` at `open`, or npos.
std::size_t find_close(std::string_view text, std::size_t open) {
  Nesting nesting;
  for (std::size_t i = open; i < text.size(); ++i) {
    nesting.step(text[i]);
    if (nesting.at_top()) {
      return i;
    }
  }
  return std::string_view::npos;
}

/// The first `c` outside parentheses and quotes, or npos.
std::size_t find_top_level(std::string_view text, char c) {
  Nesting nesting;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == c && nesting.at_top()) {
      return i;
    }
    nesting.step(text[i]);
  }
  return std::string_view::npos;
}

/// A distribution written as NAME(ARGS), with positions in the original text.
struct Call {
  std::string_view name;
  std::size_t name_offset = 0;
  std::span<const DistArg> args;
  /// Where an argument that is missing would go (the closing parenthesis).
  std::size_t end_offset = 0;
};

enum class ParamKind { duration, number, count };

/// A parameter of a distribution.
struct Param {
  std::string_view name;
  ParamKind kind;
};

/// How a distribution is called: its parameters in positional order, and an example.
struct Form {
  std::string_view name;
  std::vector<Param> params;
  std::string_view example;
  bool positional = true;
};

const Form* find_form(std::string_view name) {
  static const std::array<Form, 8> forms{{
      {"exp", {{"mean", ParamKind::duration}}, "exp(2ms)"},
      {"uniform",
       {{"low", ParamKind::duration}, {"high", ParamKind::duration}},
       "uniform(1ms, 3ms)"},
      {"normal",
       {{"mean", ParamKind::duration}, {"sd", ParamKind::duration}},
       "normal(mean=5ms, sd=1ms)"},
      {"lognormal",
       {{"median", ParamKind::duration},
        {"p99", ParamKind::duration},
        {"mean", ParamKind::duration},
        {"cv", ParamKind::number}},
       "lognormal(median=2ms, p99=20ms)' or 'lognormal(mean=2ms, cv=1.5)",
       /*positional=*/false},
      {"gamma",
       {{"mean", ParamKind::duration}, {"cv", ParamKind::number}},
       "gamma(mean=2ms, cv=0.5)"},
      {"erlang", {{"k", ParamKind::count}, {"mean", ParamKind::duration}}, "erlang(k=4, mean=2ms)"},
      {"pareto",
       {{"min", ParamKind::duration}, {"alpha", ParamKind::number}},
       "pareto(min=1ms, alpha=1.5)"},
      {"weibull",
       {{"scale", ParamKind::duration}, {"shape", ParamKind::number}},
       "weibull(scale=2ms, shape=0.8)"},
  }};
  for (const auto& f : forms) {
    if (f.name == name) {
      return &f;
    }
  }
  return nullptr;
}

std::string join_names(const std::vector<Param>& params) {
  std::string out;
  for (const auto& p : params) {
    out += out.empty() ? "" : ", ";
    out += p.name;
  }
  return out;
}

/// An argument's value, read as the kind its parameter needs.
struct Value {
  ParamKind kind = ParamKind::duration;
  const DistArg* arg = nullptr;
  Duration duration{};
  double number = 0;
  std::int64_t count = 0;

  [[nodiscard]] bool has_value() const { return arg != nullptr; }
};

/// `90%` in `90% exp(1ms)`: the weight, then the rest.
struct WeightedText {
  Piece weight;
  Piece dist;
};

WeightedText split_weight(Piece part) {
  const std::size_t percent = find_top_level(part.text, '%');
  const std::size_t open = part.text.find('(');
  std::size_t weight_end = 0;
  if (percent != std::string_view::npos && (open == std::string_view::npos || percent < open)) {
    weight_end = percent + 1;
  } else {
    while (weight_end < part.text.size() && !is_space(part.text[weight_end])) {
      ++weight_end;
    }
  }
  return {Piece{part.text.substr(0, weight_end), part.offset},
          trim(part.text.substr(weight_end), part.offset + weight_end)};
}

std::string percent_text(double fraction) {
  return fmt::format("{:.10g}%", fraction * 100);
}

class Builder {
 public:
  explicit Builder(const DistContext& context) : context_(context) {}

  /// Parses `text`, which starts at `base` in the original string.
  ParseResult<DistSpec> parse(std::string_view text, std::size_t base, int depth) const;
  ParseResult<DistSpec> build(const Call& call, int depth) const;

 private:
  ParseResult<DistSpec> build_mix(const Call& call, int depth) const;
  ParseResult<DistSpec> build_empirical(const Call& call) const;
  ParseResult<DistSpec> build_form(const Form& form, const Call& call) const;
  ParseResult<std::vector<Value>> bind(const Form& form, const Call& call) const;
  /// A duration, or in a distribution of cores a number of cores (kept as
  /// that many seconds).
  ParseResult<Duration> value(std::string_view text) const;

  const DistContext& context_;
};

ParseResult<Duration> Builder::value(std::string_view text) const {
  if (!context_.cores) {
    return parse_duration(text);
  }
  auto n = parse_number(text);
  if (!n) {
    return error_at(0, fmt::format("cores are a plain number, as in '2' or 'uniform(2, 6)', not "
                                   "'{}'",
                                   text));
  }
  if (*n < 0 || *n > 1e6) {
    return error_at(0, fmt::format("a number of cores is between 0 and 1000000, got '{}'", text));
  }
  return Duration{std::llround(*n * 1e9)};
}

ParseResult<DistSpec> Builder::parse(std::string_view text, std::size_t base, int depth) const {
  const Piece t = trim(text, base);
  if (t.text.empty()) {
    return error_at(t.offset,
                    "a distribution is empty; write a duration such as '3ms' or a form "
                    "such as 'exp(2ms)'");
  }
  const std::size_t open = find_top_level(t.text, '(');
  if (open == std::string_view::npos) {
    const std::size_t stray = t.text.find(')');
    if (stray != std::string_view::npos) {
      return error_at(t.offset + stray, fmt::format("unmatched ')' in '{}'", t.text));
    }
    const char first = t.text.front();
    if ((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') || first == '_') {
      if (std::find(names.begin(), names.end(), t.text) != names.end()) {
        const std::string_view example =
            t.text == "mix"         ? std::string_view{"mix(90% exp(1ms), 10% exp(40ms))"}
            : t.text == "empirical" ? std::string_view{"empirical(latencies.csv)"}
                                    : find_form(t.text)->example;
        return error_at(t.offset, fmt::format("'{}' needs its parameters in parentheses, e.g. '{}'",
                                              t.text, example));
      }
      return error_at(t.offset, fmt::format("expected a distribution such as '3ms' or 'exp(2ms)', "
                                            "got '{}'{}",
                                            t.text, did_you_mean(t.text, names)));
    }
    auto value = this->value(t.text);
    if (!value) {
      return error_at(t.offset + value.error().offset, value.error().message);
    }
    DistSpec spec;
    spec.form = ConstantDist{*value};
    spec.text = std::string(t.text);
    return spec;
  }

  const Piece name = trim(t.text.substr(0, open), t.offset);
  if (name.text.empty()) {
    return error_at(t.offset,
                    fmt::format("expected a distribution name before '(' in '{}'", t.text));
  }
  if (!is_name(name.text)) {
    return error_at(name.offset,
                    fmt::format("'{}' is not a distribution name; write a form such as "
                                "'exp(2ms)'{}",
                                name.text,
                                name.text.find('%') != std::string_view::npos
                                    ? " (weights belong inside mix(...))"
                                    : ""));
  }
  const std::size_t close = find_close(t.text, open);
  if (close == std::string_view::npos) {
    return error_at(t.offset + t.text.size(),
                    fmt::format("missing ')' at the end of '{}'; inside YAML {{ }} or [ ], quote "
                                "a distribution with several arguments, e.g. \"uniform(1s, 2s)\"",
                                t.text));
  }
  if (close + 1 != t.text.size()) {
    const Piece rest = trim(t.text.substr(close + 1), t.offset + close + 1);
    return error_at(rest.offset, fmt::format("unexpected '{}' after the closing ')' of '{}'",
                                             rest.text, t.text.substr(0, close + 1)));
  }

  // The arguments, split at commas outside parentheses.
  std::vector<DistArg> args;
  const std::string_view inner = t.text.substr(open + 1, close - open - 1);
  const std::size_t inner_offset = t.offset + open + 1;
  if (!trim(inner, 0).text.empty()) {
    std::size_t start = 0;
    while (start <= inner.size()) {
      std::size_t comma = find_top_level(inner.substr(start), ',');
      const std::size_t end = comma == std::string_view::npos ? inner.size() : start + comma;
      const Piece arg = trim(inner.substr(start, end - start), inner_offset + start);
      if (arg.text.empty()) {
        return error_at(arg.offset, fmt::format("empty argument in '{}'", t.text));
      }
      const std::size_t eq = find_top_level(arg.text, '=');
      if (eq == std::string_view::npos) {
        args.push_back(DistArg{"", std::string(arg.text), arg.offset, arg.offset});
      } else {
        const Piece key = trim(arg.text.substr(0, eq), arg.offset);
        const Piece value = trim(arg.text.substr(eq + 1), arg.offset + eq + 1);
        if (!is_name(key.text)) {
          return error_at(key.offset,
                          fmt::format("expected an argument name before '=' in '{}'", arg.text));
        }
        if (value.text.empty()) {
          return error_at(value.offset,
                          fmt::format("argument '{}' has no value after '='", key.text));
        }
        args.push_back(
            DistArg{std::string(key.text), std::string(value.text), value.offset, key.offset});
      }
      if (comma == std::string_view::npos) {
        break;
      }
      start = end + 1;
    }
  }
  auto built = build(Call{name.text, name.offset, args, t.offset + close}, depth);
  if (!built) {
    return built;
  }
  DistSpec spec = std::move(built).value();
  spec.text = std::string(t.text);
  return spec;
}

ParseResult<DistSpec> Builder::build(const Call& call, int depth) const {
  if (call.name == "mix") {
    return build_mix(call, depth);
  }
  if (call.name == "empirical") {
    return build_empirical(call);
  }
  if (const Form* form = find_form(call.name)) {
    return build_form(*form, call);
  }
  const std::string hint = did_you_mean(call.name, names);
  return error_at(call.name_offset,
                  fmt::format("unknown distribution '{}'{}", call.name,
                              hint.empty() ? "; use exp, uniform, normal, lognormal, gamma, "
                                             "erlang, pareto, weibull, mix or empirical"
                                           : hint));
}

ParseResult<std::vector<Value>> Builder::bind(const Form& form, const Call& call) const {
  std::vector<Value> values(form.params.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i].kind = form.params[i].kind;
  }
  std::size_t next_position = 0;
  bool seen_named = false;
  for (const DistArg& arg : call.args) {
    std::size_t index = 0;
    if (arg.name.empty()) {
      if (!form.positional) {
        return error_at(arg.offset, fmt::format("{} takes named arguments, e.g. '{}'", form.name,
                                                form.example));
      }
      if (seen_named) {
        return error_at(arg.offset, fmt::format("a positional argument of {} follows a named "
                                                "one; write '{}'",
                                                form.name, form.example));
      }
      if (next_position >= form.params.size()) {
        return error_at(arg.offset,
                        fmt::format("{} takes {} argument{} ({}), got {}", form.name,
                                    form.params.size(), form.params.size() == 1 ? "" : "s",
                                    join_names(form.params), call.args.size()));
      }
      index = next_position++;
    } else {
      seen_named = true;
      const auto it = std::find_if(form.params.begin(), form.params.end(),
                                   [&](const Param& p) { return p.name == arg.name; });
      if (it == form.params.end()) {
        std::vector<std::string> candidates;
        for (const auto& p : form.params) {
          candidates.emplace_back(p.name);
        }
        const std::string hint = did_you_mean(arg.name, candidates);
        return error_at(arg.name_offset,
                        fmt::format("unknown argument '{}' of {}{}", arg.name, form.name,
                                    hint.empty() ? fmt::format("; {} takes {}", form.name,
                                                               join_names(form.params))
                                                 : hint));
      }
      index = static_cast<std::size_t>(it - form.params.begin());
    }
    if (values[index].has_value()) {
      return error_at(arg.name_offset, fmt::format("argument '{}' of {} is given twice",
                                                   form.params[index].name, form.name));
    }
    const Param& param = form.params[index];
    Value& v = values[index];
    v.arg = &arg;
    auto fail = [&](const ParseError& e) {
      return error_at(arg.offset + e.offset,
                      fmt::format("{} of {}: {}", param.name, form.name, e.message));
    };
    switch (param.kind) {
      case ParamKind::duration: {
        auto d = value(arg.text);
        if (!d) {
          return fail(d.error());
        }
        v.duration = *d;
        break;
      }
      case ParamKind::number: {
        auto n = parse_number(arg.text);
        if (!n) {
          return fail(n.error());
        }
        v.number = *n;
        break;
      }
      case ParamKind::count: {
        auto c = parse_integer(arg.text);
        if (!c) {
          return fail(c.error());
        }
        v.count = *c;
        break;
      }
    }
  }
  return values;
}

ParseResult<DistSpec> Builder::build_form(const Form& form, const Call& call) const {
  auto bound = bind(form, call);
  if (!bound) {
    return bound.error();
  }
  const std::vector<Value>& values = *bound;
  auto get = [&](std::string_view param) -> const Value& {
    for (std::size_t i = 0; i < form.params.size(); ++i) {
      if (form.params[i].name == param) {
        return values[i];
      }
    }
    return values.front();  // every caller names a parameter of `form`
  };
  auto missing = [&](std::initializer_list<std::string_view> wanted) -> std::optional<ParseError> {
    std::string list;
    std::size_t count = 0;
    for (std::string_view w : wanted) {
      if (!get(w).has_value()) {
        list += fmt::format("{}'{}'", list.empty() ? "" : " and ", w);
        ++count;
      }
    }
    if (count == 0) {
      return std::nullopt;
    }
    return error_at(call.end_offset,
                    fmt::format("{} is missing {} {}, e.g. '{}'", form.name,
                                count == 1 ? "argument" : "arguments", list, form.example));
  };
  auto positive = [&](std::string_view param) -> std::optional<ParseError> {
    const Value& v = get(param);
    const bool ok = v.kind == ParamKind::duration ? v.duration.count() > 0 : v.number > 0;
    if (ok) {
      return std::nullopt;
    }
    return error_at(v.arg->offset, fmt::format("{} of {} must be more than 0, got '{}'", param,
                                               form.name, v.arg->text));
  };
  auto check =
      [&](std::initializer_list<std::string_view> wanted,
          std::initializer_list<std::string_view> must_be_positive) -> std::optional<ParseError> {
    if (auto e = missing(wanted)) {
      return e;
    }
    for (std::string_view p : must_be_positive) {
      if (auto e = positive(p)) {
        return e;
      }
    }
    return std::nullopt;
  };

  DistSpec spec;
  if (form.name == "exp") {
    if (auto e = check({"mean"}, {"mean"})) {
      return *e;
    }
    spec.form = ExponentialDist{get("mean").duration};
  } else if (form.name == "uniform") {
    if (auto e = check({"low", "high"}, {})) {
      return *e;
    }
    const Value& low = get("low");
    const Value& high = get("high");
    if (!(low.duration < high.duration)) {
      return error_at(high.arg->offset,
                      fmt::format("uniform needs low < high, got low={} and high={}{}",
                                  low.arg->text, high.arg->text,
                                  low.duration == high.duration
                                      ? fmt::format("; for a fixed value write '{}'", low.arg->text)
                                      : std::string{}));
    }
    spec.form = UniformDist{low.duration, high.duration};
  } else if (form.name == "normal") {
    if (auto e = check({"mean", "sd"}, {"mean"})) {
      return *e;
    }
    spec.form = NormalDist{get("mean").duration, get("sd").duration};
  } else if (form.name == "lognormal") {
    const bool by_median = get("median").has_value() || get("p99").has_value();
    const bool by_mean = get("mean").has_value() || get("cv").has_value();
    if (by_median && by_mean) {
      const Value& second = get("mean").has_value() ? get("mean") : get("cv");
      return error_at(second.arg->name_offset,
                      fmt::format("lognormal takes either median= and p99= or mean= and cv=, not "
                                  "a mix of them; e.g. '{}'",
                                  form.example));
    }
    if (by_mean) {
      if (auto e = check({"mean", "cv"}, {"mean", "cv"})) {
        return *e;
      }
      const double cv = get("cv").number;
      const double sigma2 = std::log1p(cv * cv);
      const double mean = static_cast<double>(get("mean").duration.count());
      if (!std::isfinite(sigma2)) {
        return error_at(get("cv").arg->offset,
                        fmt::format("cv of lognormal is too large, got '{}'", get("cv").arg->text));
      }
      spec.form = LogNormalDist{std::log(mean) - sigma2 / 2, std::sqrt(sigma2)};
    } else {
      if (auto e = check({"median", "p99"}, {"median", "p99"})) {
        return *e;
      }
      const Value& median = get("median");
      const Value& p99 = get("p99");
      if (!(p99.duration > median.duration)) {
        return error_at(p99.arg->offset,
                        fmt::format("p99 of lognormal must be greater than its median, got "
                                    "median={} and p99={}",
                                    median.arg->text, p99.arg->text));
      }
      const auto m = static_cast<double>(median.duration.count());
      const auto p = static_cast<double>(p99.duration.count());
      spec.form = LogNormalDist{std::log(m), std::log(p / m) / z_p99};
    }
  } else if (form.name == "gamma") {
    if (auto e = check({"mean", "cv"}, {"mean", "cv"})) {
      return *e;
    }
    const double cv = get("cv").number;
    const double cv2 = cv * cv;
    const double shape = cv2 > 0 ? 1 / cv2 : std::numeric_limits<double>::infinity();
    if (!std::isfinite(shape) || !(shape > 0)) {
      return error_at(get("cv").arg->offset,
                      fmt::format("cv of gamma is out of range, got '{}'", get("cv").arg->text));
    }
    spec.form = GammaDist{get("mean").duration, shape};
  } else if (form.name == "erlang") {
    if (auto e = check({"k", "mean"}, {"mean"})) {
      return *e;
    }
    const Value& k = get("k");
    if (k.count < 1 || k.count > max_erlang_k) {
      return error_at(k.arg->offset, fmt::format("k of erlang must be between 1 and {}, got '{}'",
                                                 max_erlang_k, k.arg->text));
    }
    spec.form = ErlangDist{k.count, get("mean").duration};
  } else if (form.name == "pareto") {
    if (auto e = check({"min", "alpha"}, {"min", "alpha"})) {
      return *e;
    }
    spec.form = ParetoDist{get("min").duration, get("alpha").number};
  } else if (form.name == "weibull") {
    if (auto e = check({"scale", "shape"}, {"scale", "shape"})) {
      return *e;
    }
    spec.form = WeibullDist{get("scale").duration, get("shape").number};
  }
  return spec;
}

ParseResult<DistSpec> Builder::build_mix(const Call& call, int depth) const {
  if (depth >= max_mix_depth) {
    return error_at(call.name_offset,
                    fmt::format("mix is nested more than {} deep", max_mix_depth));
  }
  if (call.args.empty()) {
    return error_at(call.end_offset,
                    "mix needs weighted parts, e.g. 'mix(90% exp(1ms), 10% exp(40ms))'");
  }
  std::vector<double> weights;
  std::vector<DistSpec> parts;
  for (const DistArg& arg : call.args) {
    if (!arg.name.empty()) {
      return error_at(arg.name_offset,
                      fmt::format("the parts of mix are written WEIGHT DIST, e.g. '90% exp(1ms)', "
                                  "not '{}={}'",
                                  arg.name, arg.text));
    }
    const Piece part = trim(arg.text, arg.offset);
    const auto [weight_text, dist_text] = split_weight(part);
    auto weight = parse_fraction(weight_text.text);
    if (!weight) {
      return error_at(weight_text.offset + weight.error().offset,
                      fmt::format("each part of mix starts with a weight, e.g. '90% exp(1ms)', "
                                  "got '{}': {}",
                                  part.text, weight.error().message));
    }
    if (!(*weight > 0 && *weight <= 1)) {
      return error_at(weight_text.offset,
                      fmt::format("a weight of mix must be above 0% and at most 100%, got '{}'",
                                  weight_text.text));
    }
    if (dist_text.text.empty()) {
      return error_at(dist_text.offset,
                      fmt::format("the part '{}' of mix needs a distribution after its weight, "
                                  "e.g. '90% exp(1ms)'",
                                  part.text));
    }
    auto dist = parse(dist_text.text, dist_text.offset, depth + 1);
    if (!dist) {
      return dist;
    }
    weights.push_back(*weight);
    parts.push_back(std::move(dist).value());
  }
  auto mixed = build_mixture(std::move(weights), std::move(parts));
  if (!mixed) {
    return error_at(call.name_offset, mixed.error().message);
  }
  return mixed;
}

ParseResult<DistSpec> Builder::build_empirical(const Call& call) const {
  if (call.args.empty()) {
    return error_at(call.end_offset,
                    "empirical needs a file name, e.g. 'empirical(latencies.csv)'");
  }
  if (call.args.size() > 1) {
    return error_at(call.args[1].offset,
                    "empirical takes one file name, e.g. 'empirical(latencies.csv)'; quote a "
                    "name that has a comma");
  }
  const DistArg& arg = call.args.front();
  if (!arg.name.empty() && arg.name != "file" && arg.name != "path") {
    return error_at(arg.name_offset, fmt::format("unknown argument '{}' of empirical; write "
                                                 "'empirical(latencies.csv)'",
                                                 arg.name));
  }
  Piece file = trim(arg.text, arg.offset);
  if (file.text.size() >= 2 && (file.text.front() == '\'' || file.text.front() == '"') &&
      file.text.back() == file.text.front()) {
    file = Piece{file.text.substr(1, file.text.size() - 2), file.offset + 1};
  }
  if (file.text.empty()) {
    return error_at(file.offset, "empirical needs a file name, e.g. 'empirical(latencies.csv)'");
  }
  auto read = read_sample_file(file.text, context_, SampleFileKind::empirical);
  if (!read) {
    return error_at(file.offset, read.error().message);
  }
  SampleFile sample_file = std::move(read).value();
  DistSpec spec;
  spec.form = EmpiricalDist{sample_file.path.generic_string(), std::move(sample_file.samples)};
  return spec;
}

}  // namespace

double DistSpec::mean_ns() const {
  struct MeanOf {
    double operator()(const ConstantDist& d) const { return static_cast<double>(d.value.count()); }
    double operator()(const ExponentialDist& d) const {
      return static_cast<double>(d.mean.count());
    }
    double operator()(const UniformDist& d) const {
      return (static_cast<double>(d.low.count()) + static_cast<double>(d.high.count())) / 2;
    }
    double operator()(const NormalDist& d) const {
      // Truncated at 0: mean + sd * pdf(a) / (1 - cdf(a)) with a = -mean / sd.
      const auto mean = static_cast<double>(d.mean.count());
      const auto sd = static_cast<double>(d.sd.count());
      if (sd <= 0) {
        return std::max(mean, 0.0);
      }
      const double a = -mean / sd;
      const double tail = 0.5 * std::erfc(a / std::numbers::sqrt2);
      if (!(tail > 0)) {
        return 0;
      }
      const double pdf = std::exp(-a * a / 2) / std::sqrt(2 * std::numbers::pi);
      return mean + sd * pdf / tail;
    }
    double operator()(const LogNormalDist& d) const {
      return std::exp(d.mu + d.sigma * d.sigma / 2);
    }
    double operator()(const GammaDist& d) const { return static_cast<double>(d.mean.count()); }
    double operator()(const ErlangDist& d) const { return static_cast<double>(d.mean.count()); }
    double operator()(const ParetoDist& d) const {
      if (d.alpha <= 1) {
        return std::numeric_limits<double>::infinity();
      }
      return d.alpha * static_cast<double>(d.min.count()) / (d.alpha - 1);
    }
    double operator()(const WeibullDist& d) const {
      return static_cast<double>(d.scale.count()) * std::tgamma(1 + 1 / d.shape);
    }
    double operator()(const EmpiricalDist& d) const {
      if (d.samples.empty()) {
        return 0;
      }
      double sum = 0;
      for (Duration s : d.samples) {
        sum += static_cast<double>(s.count());
      }
      return sum / static_cast<double>(d.samples.size());
    }
    double operator()(const MixDist& d) const {
      double sum = 0;
      for (std::size_t i = 0; i < d.parts.size() && i < d.weights.size(); ++i) {
        sum += d.weights[i] * d.parts[i].mean_ns();
      }
      return sum;
    }
  };
  return std::visit(MeanOf{}, form);
}

ParseResult<DistSpec> parse_distribution(std::string_view text, const DistContext& context) {
  if (text.size() > max_text_length) {
    return error_at(0, fmt::format("a distribution of {} characters is too long (at most {})",
                                   text.size(), max_text_length));
  }
  return Builder(context).parse(text, 0, 0);
}

ParseResult<DistSpec> build_distribution(std::string_view name, const std::vector<DistArg>& args,
                                         const DistContext& context) {
  std::size_t end = 0;
  for (const DistArg& a : args) {
    if (a.text.size() > max_text_length) {
      return error_at(a.offset, fmt::format("an argument of {} characters is too long (at most {})",
                                            a.text.size(), max_text_length));
    }
    end = std::max(end, a.offset + a.text.size());
  }
  auto built = Builder(context).build(Call{name, 0, args, end}, 0);
  if (!built) {
    return built;
  }
  DistSpec spec = std::move(built).value();
  if (!std::holds_alternative<MixDist>(spec.form)) {
    spec.text = std::string(name) + "(";
    for (std::size_t i = 0; i < args.size(); ++i) {
      spec.text += (i ? ", " : "") + (args[i].name.empty() ? "" : args[i].name + "=") +
                   std::string(trim(args[i].text, 0).text);
    }
    spec.text += ")";
  }
  return spec;
}

ParseResult<DistSpec> build_mixture(std::vector<double> weights, std::vector<DistSpec> parts) {
  if (weights.empty() || weights.size() != parts.size()) {
    return error_at(0, "mix needs weighted parts, e.g. 'mix(90% exp(1ms), 10% exp(40ms))'");
  }
  double sum = 0;
  for (double w : weights) {
    if (!(w > 0 && w <= 1)) {
      return error_at(0, fmt::format("a weight of mix must be above 0% and at most 100%, got {}",
                                     percent_text(w)));
    }
    sum += w;
  }
  if (!(std::abs(sum - 1) <= weight_sum_tolerance)) {
    return error_at(0, fmt::format("the weights of mix add up to {}, not 100%", percent_text(sum)));
  }
  DistSpec spec;
  spec.text = "mix(";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    spec.text += fmt::format("{}{} {}", i ? ", " : "", percent_text(weights[i]), parts[i].text);
  }
  spec.text += ")";
  spec.form = MixDist{std::move(weights), std::move(parts)};
  return spec;
}

ParseResult<SampleFile> read_sample_file(std::string_view written, const DistContext& context,
                                         SampleFileKind kind) {
  const bool is_trace = kind == SampleFileKind::trace;
  const std::string_view file_kind = is_trace ? "trace file" : "empirical file";
  const std::string_view sample_kind = is_trace ? "trace" : "empirical sample";
  auto path =
      resolve_data_file(written, FileAccess{context.base_dir, context.allowed_dirs}, file_kind);
  if (!path) {
    return path.error();
  }
  auto read = read_data_file(*path, max_sample_file_bytes, file_kind, written);
  if (!read) {
    return read.error();
  }
  std::string content = std::move(read).value();
  if (content.starts_with("\xEF\xBB\xBF")) {
    content.erase(0, 3);  // a byte order mark, as spreadsheet programs write
  }
  // Diagnostics name the file as the model's folder and the name make it.
  const std::filesystem::path written_path{std::string(written)};
  const std::string source_name =
      (written_path.is_absolute() ? written_path : context.base_dir / written_path)
          .lexically_normal()
          .generic_string();

  std::vector<Duration> samples;
  std::optional<std::uint32_t> source;
  std::size_t bad_lines = 0;
  std::string first_problem;
  std::uint32_t line_number = 0;
  std::size_t start = 0;
  while (start < content.size()) {
    std::size_t end = content.find('\n', start);
    if (end == std::string::npos) {
      end = content.size();
    }
    ++line_number;
    std::string_view line = std::string_view(content).substr(start, end - start);
    start = end + 1;
    const std::size_t hash = line.find('#');
    const Piece body = trim(line.substr(0, hash == std::string_view::npos ? line.size() : hash), 0);
    if (body.text.empty()) {
      continue;
    }
    auto sample = parse_duration(body.text);
    if (sample) {
      samples.push_back(*sample);
      continue;
    }
    ++bad_lines;
    // The messages of parse_duration quote the whole line: a long one (or a
    // file that is no list of durations) is quoted only in part.
    const bool is_long = body.text.size() > max_quoted_chars;
    const std::string problem =
        is_long ? fmt::format("not a duration: '{}'; write one duration per line, e.g. '2.5ms'",
                              shorten(body.text, max_quoted_chars))
                : sample.error().message;
    const auto col =
        static_cast<std::uint32_t>(body.offset + (is_long ? 0 : sample.error().offset) + 1);
    if (first_problem.empty()) {
      first_problem = fmt::format("line {}: {}", line_number, problem);
    }
    if (context.diagnostics != nullptr) {
      if (!source) {
        source = context.diagnostics->add_source(source_name);
      }
      if (bad_lines <= max_reported_lines) {
        context.diagnostics->error(SourceLoc{*source, line_number, col},
                                   fmt::format("{}: {}", sample_kind, problem));
      } else if (bad_lines == max_reported_lines + 1) {
        context.diagnostics->error(SourceLoc{*source, line_number, col},
                                   fmt::format("more bad {}s follow; fix the ones above first",
                                               is_trace ? "arrival time" : "sample"));
      }
    }
  }
  if (bad_lines > 0) {
    return error_at(0, fmt::format("{} '{}' is malformed: {} bad line{} (first at {})", file_kind,
                                   written, bad_lines, bad_lines == 1 ? "" : "s", first_problem));
  }
  if (samples.empty()) {
    return error_at(0, fmt::format("{} '{}' has no {}; write one duration per line, e.g. '2.5ms'",
                                   file_kind, written, is_trace ? "arrival times" : "samples"));
  }
  return SampleFile{std::move(path).value(), std::move(samples)};
}

std::span<const std::string> distribution_names() {
  return names;
}

}  // namespace tailsim::model
