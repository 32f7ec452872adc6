#include "tailsim/model/distribution.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"

namespace m = tailsim::model;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

m::ParseResult<m::DistSpec> parse(std::string_view text) {
  return m::parse_distribution(text, m::DistContext{});
}

/// The form of a parse that must succeed.
template <class Form>
Form form_of(std::string_view text) {
  auto r = parse(text);
  INFO(text << ": " << (r.ok() ? std::string("ok") : r.error().message));
  REQUIRE(r.ok());
  REQUIRE(std::holds_alternative<Form>(r->form));
  return std::get<Form>(r->form);
}

/// The error of a parse that must fail.
m::ParseError error_of(std::string_view text, const m::DistContext& context = {}) {
  auto r = m::parse_distribution(text, context);
  INFO(text);
  REQUIRE_FALSE(r.ok());
  INFO(r.error().message << " at " << r.error().offset);
  return r.error();
}

/// A folder of this file's own.
class TempDir : public tailsim::testing::TempDir {
 public:
  explicit TempDir(const std::string& name)
      : tailsim::testing::TempDir("distribution_test_" + name) {}
};

}  // namespace

TEST_CASE("a duration is a constant distribution", "[distribution]") {
  auto r = parse("  3ms ");
  REQUIRE(r.ok());
  REQUIRE(r->is_constant());
  CHECK(std::get<m::ConstantDist>(r->form).value == 3ms);
  CHECK(r->text == "3ms");
  CHECK(r->mean_ns() == 3e6);
}

TEST_CASE("exp, uniform and normal", "[distribution]") {
  CHECK(form_of<m::ExponentialDist>("exp(2ms)").mean == 2ms);
  CHECK(form_of<m::ExponentialDist>("exp(mean=2ms)").mean == 2ms);
  CHECK(form_of<m::ExponentialDist>(" exp ( 2ms ) ").mean == 2ms);
  CHECK(parse(" exp ( 2ms ) ")->text == "exp ( 2ms )");
  CHECK(parse("exp(2ms)")->mean_ns() == 2e6);

  auto u = form_of<m::UniformDist>("uniform(1ms, 3ms)");
  CHECK(u.low == 1ms);
  CHECK(u.high == 3ms);
  CHECK(form_of<m::UniformDist>("uniform(high=3ms, low=1ms)").low == 1ms);
  CHECK(parse("uniform(1ms,3ms)")->mean_ns() == 2e6);

  auto n = form_of<m::NormalDist>("normal(mean=5ms, sd=1ms)");
  CHECK(n.mean == 5ms);
  CHECK(n.sd == 1ms);
  CHECK(form_of<m::NormalDist>("normal(5ms, 1ms)").sd == 1ms);
  CHECK(parse("normal(mean=5ms, sd=0ms)")->mean_ns() == 5e6);
}

TEST_CASE("the mean of a normal counts its truncation at 0", "[distribution]") {
  // mean + sd * pdf(a) / (1 - cdf(a)) with a = -1: 1 + 0.2419707245 / 0.8413447461.
  CHECK(parse("normal(mean=1ms, sd=1ms)")->mean_ns() == Approx(1.287600e6).epsilon(1e-6));
  CHECK(parse("normal(mean=5ms, sd=1ms)")->mean_ns() == Approx(5e6).epsilon(1e-6));
}

TEST_CASE("lognormal from median and p99 or from mean and cv", "[distribution]") {
  auto a = form_of<m::LogNormalDist>("lognormal(median=2ms, p99=20ms)");
  CHECK(a.mu == Approx(std::log(2e6)));
  CHECK(a.sigma == Approx(std::log(10.0) / 2.3263478740408408));
  CHECK(parse("lognormal(median=2ms, p99=20ms)")->mean_ns() ==
        Approx(std::exp(a.mu + a.sigma * a.sigma / 2)));

  auto b = form_of<m::LogNormalDist>("lognormal(mean=2ms, cv=1.5)");
  CHECK(b.sigma * b.sigma == Approx(std::log(1 + 2.25)));
  CHECK(b.mu == Approx(std::log(2e6) - std::log(3.25) / 2));
  CHECK(parse("lognormal(cv=1.5, mean=2ms)")->mean_ns() == Approx(2e6));
}

TEST_CASE("gamma, erlang, pareto and weibull", "[distribution]") {
  auto g = form_of<m::GammaDist>("gamma(mean=2ms, cv=0.5)");
  CHECK(g.mean == 2ms);
  CHECK(g.shape == Approx(4));
  CHECK(parse("gamma(2ms, 0.5)")->mean_ns() == 2e6);

  auto e = form_of<m::ErlangDist>("erlang(k=4, mean=2ms)");
  CHECK(e.k == 4);
  CHECK(e.mean == 2ms);
  CHECK(form_of<m::ErlangDist>("erlang(4, 2ms)").k == 4);
  CHECK(form_of<m::ErlangDist>("erlang(k=1000, mean=2ms)").k == 1000);

  auto p = form_of<m::ParetoDist>("pareto(min=1ms, alpha=1.5)");
  CHECK(p.min == 1ms);
  CHECK(p.alpha == 1.5);
  CHECK(parse("pareto(min=1ms, alpha=1.5)")->mean_ns() == Approx(3e6));
  CHECK(std::isinf(parse("pareto(min=1ms, alpha=1)")->mean_ns()));
  CHECK(std::isinf(parse("pareto(min=1ms, alpha=0.5)")->mean_ns()));

  auto w = form_of<m::WeibullDist>("weibull(scale=2ms, shape=0.8)");
  CHECK(w.scale == 2ms);
  CHECK(w.shape == 0.8);
  // 2ms * Gamma(1 + 1/0.8) = 2ms * 1.25 * Gamma(1.25).
  CHECK(parse("weibull(scale=2ms, shape=0.8)")->mean_ns() == Approx(2e6 * 1.1330030963193471));
}

TEST_CASE("mixtures take weighted parts", "[distribution]") {
  auto r = parse("mix(90% exp(1ms), 10% exp(40ms))");
  REQUIRE(r.ok());
  const auto& mix = std::get<m::MixDist>(r->form);
  CHECK(mix.weights == std::vector<double>{0.9, 0.1});
  REQUIRE(mix.parts.size() == 2);
  CHECK(mix.parts[0].text == "exp(1ms)");
  CHECK(std::get<m::ExponentialDist>(mix.parts[1].form).mean == 40ms);
  CHECK(r->mean_ns() == Approx(0.9e6 + 4e6));
  CHECK(r->text == "mix(90% exp(1ms), 10% exp(40ms))");

  CHECK(parse("mix(0.25 3ms, 0.75 uniform(1ms, 3ms))")->mean_ns() == Approx(0.75e6 + 1.5e6));
  CHECK(parse("mix(50% lognormal(median=2ms, p99=20ms), 50%exp(1ms))").ok());
  CHECK(parse("mix(100% mix(50% 1ms, 50% 3ms))")->mean_ns() == Approx(2e6));
  CHECK(parse("mix(33.3333333333% 1ms, 33.3333333333% 2ms, 33.3333333334% 3ms)").ok());
}

TEST_CASE("unknown names get a did-you-mean", "[distribution]") {
  auto e = error_of("expo(2ms)");
  CHECK(e.message == "unknown distribution 'expo'; did you mean 'exp'?");
  CHECK(e.offset == 0);
  CHECK_THAT(error_of("  Lognormal(median=1ms, p99=2ms)").message,
             Catch::Contains("did you mean 'lognormal'?"));
  CHECK(error_of("  Lognormal(median=1ms, p99=2ms)").offset == 2);
  auto none = error_of("zipf(0.99)");
  CHECK_THAT(none.message, Catch::Contains("unknown distribution 'zipf'; use exp, uniform"));

  auto arg = error_of("lognormal(medain=2ms, p99=20ms)");
  CHECK(arg.message == "unknown argument 'medain' of lognormal; did you mean 'median'?");
  CHECK(arg.offset == 10);
  auto far = error_of("exp(rate=2ms)");
  CHECK_THAT(far.message, Catch::Contains("unknown argument 'rate' of exp; exp takes mean"));
}

TEST_CASE("missing and extra arguments are named", "[distribution]") {
  auto p99 = error_of("lognormal(median=2ms)");
  CHECK_THAT(p99.message, Catch::StartsWith("lognormal is missing argument 'p99'"));
  CHECK(p99.offset == 20);
  CHECK_THAT(error_of("uniform(1ms)").message, Catch::Contains("missing argument 'high'"));
  CHECK_THAT(error_of("exp()").message, Catch::Contains("missing argument 'mean'"));
  CHECK_THAT(error_of("erlang(mean=1ms)").message, Catch::Contains("missing argument 'k'"));
  CHECK_THAT(error_of("lognormal()").message,
             Catch::Contains("missing arguments 'median' and 'p99'"));
  CHECK_THAT(error_of("lognormal(mean=2ms)").message, Catch::Contains("missing argument 'cv'"));

  auto extra = error_of("exp(1ms, 2ms)");
  CHECK_THAT(extra.message, Catch::Contains("exp takes 1 argument (mean), got 2"));
  CHECK(extra.offset == 9);
  auto twice = error_of("exp(mean=1ms, mean=2ms)");
  CHECK_THAT(twice.message, Catch::Contains("argument 'mean' of exp is given twice"));
  CHECK(twice.offset == 14);
  CHECK_THAT(error_of("exp(2ms, mean=2ms)").message, Catch::Contains("given twice"));
  CHECK_THAT(error_of("normal(mean=1ms, 2ms)").message, Catch::Contains("follows a named one"));
  CHECK_THAT(error_of("lognormal(2ms, 20ms)").message,
             Catch::Contains("lognormal takes named arguments"));
  auto mixed = error_of("lognormal(median=2ms, cv=1)");
  CHECK_THAT(mixed.message, Catch::Contains("either median= and p99= or mean= and cv="));
  CHECK(mixed.offset == 22);
}

TEST_CASE("parameters are checked", "[distribution]") {
  auto unit = error_of("exp(2)");
  CHECK(unit.message == "mean of exp: a duration needs a unit (ns, us, ms, s, m, h), e.g. '250ms'");
  CHECK(unit.offset == 4);
  auto zero = error_of("exp(0ms)");
  CHECK(zero.message == "mean of exp must be more than 0, got '0ms'");
  CHECK(zero.offset == 4);

  auto backwards = error_of("uniform(3ms, 1ms)");
  CHECK_THAT(backwards.message, Catch::Contains("uniform needs low < high"));
  CHECK(backwards.offset == 13);
  CHECK_THAT(error_of("uniform(3ms, 3ms)").message,
             Catch::Contains("for a fixed value write '3ms'"));

  CHECK_THAT(error_of("normal(mean=0ms, sd=1ms)").message,
             Catch::Contains("mean of normal must be more than 0"));
  auto sd = error_of("normal(mean=1ms, sd=-1ms)");
  CHECK_THAT(sd.message, Catch::Contains("sd of normal: a duration cannot be negative"));
  CHECK(sd.offset == 20);

  auto p99 = error_of("lognormal(median=20ms, p99=2ms)");
  CHECK_THAT(p99.message, Catch::Contains("p99 of lognormal must be greater than its median"));
  CHECK(p99.offset == 27);
  CHECK_THAT(error_of("lognormal(median=2ms, p99=2ms)").message, Catch::Contains("greater"));
  CHECK_THAT(error_of("lognormal(mean=2ms, cv=0)").message,
             Catch::Contains("cv of lognormal must be more than 0"));
  CHECK_THAT(error_of("lognormal(mean=2ms, cv=1e300)").message, Catch::Contains("too large"));
  CHECK_THAT(error_of("gamma(mean=2ms, cv=-0.5)").message,
             Catch::Contains("cv of gamma must be more than 0"));
  CHECK_THAT(error_of("gamma(mean=2ms, cv=1e-300)").message, Catch::Contains("out of range"));
  CHECK_THAT(error_of("gamma(mean=2ms, cv=nan)").message, Catch::Contains("finite"));

  CHECK_THAT(error_of("erlang(k=0, mean=2ms)").message,
             Catch::Contains("k of erlang must be between 1 and 1000, got '0'"));
  CHECK_THAT(error_of("erlang(k=1001, mean=2ms)").message, Catch::Contains("between 1 and 1000"));
  CHECK_THAT(error_of("erlang(k=2.5, mean=2ms)").message,
             Catch::Contains("k of erlang: expected a whole number"));
  CHECK_THAT(error_of("erlang(k=99999999999999999999, mean=2ms)").message,
             Catch::Contains("number too large"));

  CHECK_THAT(error_of("pareto(min=1ms, alpha=0)").message,
             Catch::Contains("alpha of pareto must be more than 0"));
  CHECK_THAT(error_of("pareto(min=0ms, alpha=2)").message,
             Catch::Contains("min of pareto must be more than 0"));
  CHECK_THAT(error_of("weibull(scale=2ms, shape=-1)").message,
             Catch::Contains("shape of weibull must be more than 0"));
  CHECK_THAT(error_of("weibull(scale=2ms, shape=inf)").message, Catch::Contains("finite"));
}

TEST_CASE("mixture weights are checked", "[distribution]") {
  auto sum = error_of("mix(90% exp(1ms), 20% exp(1ms))");
  CHECK(sum.message == "the weights of mix add up to 110%, not 100%");
  CHECK(sum.offset == 0);
  auto none = error_of("mix(exp(1ms))");
  CHECK_THAT(none.message, Catch::Contains("each part of mix starts with a weight"));
  CHECK(none.offset == 4);
  auto big = error_of("mix(150% exp(1ms))");
  CHECK_THAT(big.message, Catch::Contains("above 0% and at most 100%, got '150%'"));
  CHECK(big.offset == 4);
  CHECK_THAT(error_of("mix(0% exp(1ms), 100% exp(2ms))").message, Catch::Contains("above 0%"));
  auto bare = error_of("mix(90%, 10% 1ms)");
  CHECK_THAT(bare.message, Catch::Contains("needs a distribution after its weight"));
  CHECK_THAT(error_of("mix()").message, Catch::Contains("mix needs weighted parts"));
  CHECK_THAT(error_of("mix(w=1 1ms)").message, Catch::Contains("written WEIGHT DIST"));

  const std::string nested = "mix(90% exp(1ms), 10% exp(-1ms))";
  auto inner = error_of(nested);
  CHECK_THAT(inner.message, Catch::Contains("mean of exp: a duration cannot be negative"));
  CHECK(inner.offset == nested.find("-1ms"));
  const std::string deeper = "mix(50% 1ms, 50% mix(50% 1ms, 50% lognormal(median=3ms, p9=4ms)))";
  auto deep = error_of(deeper);
  CHECK_THAT(deep.message, Catch::Contains("did you mean 'p99'?"));
  CHECK(deep.offset == deeper.find("p9="));
}

TEST_CASE("malformed text is refused with a position", "[distribution]") {
  auto bare = error_of("2");
  CHECK(bare.message == "a duration needs a unit (ns, us, ms, s, m, h), e.g. '250ms'");
  CHECK(bare.offset == 0);
  CHECK(error_of("   2").offset == 3);
  CHECK_THAT(error_of("").message, Catch::Contains("a distribution is empty"));
  CHECK_THAT(error_of(" \t ").message, Catch::Contains("a distribution is empty"));
  CHECK_THAT(error_of("exp").message, Catch::Contains("'exp' needs its parameters in parentheses"));
  CHECK_THAT(error_of("mix").message, Catch::Contains("e.g. 'mix(90% exp(1ms), 10% exp(40ms))'"));
  CHECK_THAT(error_of("fast").message,
             Catch::Contains("expected a distribution such as '3ms' or 'exp(2ms)', got 'fast'"));
  CHECK_THAT(error_of("-3ms").message, Catch::Contains("cannot be negative"));

  auto open = error_of("lognormal(median=2ms");
  CHECK_THAT(open.message, Catch::Contains("missing ')'"));
  CHECK_THAT(open.message, Catch::Contains("quote"));
  CHECK(open.offset == 20);
  auto close = error_of("exp(2ms))");
  CHECK_THAT(close.message, Catch::Contains("unexpected ')' after the closing ')' of 'exp(2ms)'"));
  CHECK(close.offset == 8);
  CHECK(error_of("exp(2ms) x").offset == 9);
  CHECK_THAT(error_of("3ms)").message, Catch::Contains("unmatched ')'"));
  CHECK(error_of("3ms)").offset == 3);
  auto empty_arg = error_of("uniform(1ms,,3ms)");
  CHECK_THAT(empty_arg.message, Catch::Contains("empty argument"));
  CHECK(empty_arg.offset == 12);
  CHECK(error_of("uniform(1ms, )").offset == 13);
  CHECK_THAT(error_of("(2ms)").message, Catch::Contains("expected a distribution name"));
  CHECK_THAT(error_of("90% exp(1ms)").message, Catch::Contains("weights belong inside mix"));
  CHECK_THAT(error_of("exp(=2ms)").message, Catch::Contains("expected an argument name"));
  CHECK_THAT(error_of("exp(mean=)").message, Catch::Contains("no value after '='"));
}

TEST_CASE("hostile text is refused without crashing", "[distribution]") {
  CHECK_THAT(error_of(std::string(20'000, 'x')).message, Catch::Contains("too long"));
  CHECK_THAT(error_of("exp(" + std::string(5'000, '(')).message, Catch::Contains("missing ')'"));
  CHECK_THAT(error_of(std::string(5'000, ')')).message, Catch::Contains("unmatched ')'"));

  auto nest = [](int levels) {
    std::string text;
    for (int i = 0; i < levels; ++i) {
      text += "mix(100% ";
    }
    text += "1ms";
    text += std::string(static_cast<std::size_t>(levels), ')');
    return text;
  };
  CHECK(parse(nest(32)).ok());
  auto too_deep = error_of(nest(33));
  CHECK_THAT(too_deep.message, Catch::Contains("nested more than 32 deep"));
  CHECK(too_deep.offset == std::size_t{32} * 9);  // where the 33rd "mix(100% " starts
  CHECK_THAT(error_of(nest(900)).message, Catch::Contains("nested more than 32 deep"));

  // Every prefix of a valid text is either valid or an error, never a crash.
  const std::string full =
      "mix(40% lognormal(median=2ms, p99=20ms), 0.6 mix(50% uniform(1ms, 3ms), 50% "
      "erlang(k=4, mean=2ms)))";
  for (std::size_t n = 0; n <= full.size(); ++n) {
    auto r = parse(full.substr(0, n));
    if (!r.ok()) {
      CHECK(r.error().offset <= n);
    }
  }
  CHECK(parse(full).ok());
}

TEST_CASE("the YAML map form builds from a name and arguments", "[distribution]") {
  const m::DistContext context;
  auto a = m::build_distribution(
      "lognormal", {m::DistArg{"median", "2ms", 0}, m::DistArg{"p99", "20ms", 0}}, context);
  REQUIRE(a.ok());
  CHECK(std::get<m::LogNormalDist>(a->form).mu == Approx(std::log(2e6)));
  CHECK(a->text == "lognormal(median=2ms, p99=20ms)");

  auto u = m::build_distribution("uniform", {m::DistArg{"", "1ms", 0}, m::DistArg{"", "3ms", 0}},
                                 context);
  REQUIRE(u.ok());
  CHECK(u->mean_ns() == 2e6);

  auto mix = m::build_distribution(
      "mix", {m::DistArg{"", "90% exp(1ms)", 0}, m::DistArg{"", "10% exp(40ms)", 0}}, context);
  REQUIRE(mix.ok());
  CHECK(mix->mean_ns() == Approx(4.9e6));

  auto unknown = m::build_distribution("lognormall", {}, context);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message == "unknown distribution 'lognormall'; did you mean 'lognormal'?");
  auto bad = m::build_distribution("exp", {m::DistArg{"", "fast", 0}}, context);
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().message, Catch::Contains("mean of exp: a duration must start with"));
}

TEST_CASE("build_mixture checks its weights", "[distribution]") {
  auto one = *parse("1ms");
  auto three = *parse("3ms");
  auto ok = m::build_mixture({0.5, 0.5}, {one, three});
  REQUIRE(ok.ok());
  CHECK(ok->mean_ns() == Approx(2e6));
  CHECK(ok->text == "mix(50% 1ms, 50% 3ms)");
  CHECK_FALSE(m::build_mixture({0.5}, {one, three}).ok());
  CHECK_FALSE(m::build_mixture({}, {}).ok());
  CHECK_THAT(m::build_mixture({0.5, 0.4}, {one, three}).error().message,
             Catch::Contains("add up to 90%"));
  CHECK_FALSE(m::build_mixture({1.5, -0.5}, {one, three}).ok());
  CHECK_FALSE(m::build_mixture({std::nan(""), 1}, {one, three}).ok());
}

TEST_CASE("empirical distributions read a file next to the model", "[distribution]") {
  TempDir dir("empirical");
  dir.write("lat.csv", "# latencies measured in production\n1ms\r\n\n  3ms  # slow one\n2ms");
  m::Diagnostics diagnostics;
  const m::DistContext context{dir.path(), &diagnostics};

  auto r = m::parse_distribution("empirical(lat.csv)", context);
  INFO((r.ok() ? std::string() : r.error().message));
  REQUIRE(r.ok());
  const auto& e = std::get<m::EmpiricalDist>(r->form);
  CHECK(e.samples == std::vector<tailsim::Duration>{1ms, 3ms, 2ms});
  CHECK(r->mean_ns() == Approx(2e6));
  CHECK_FALSE(diagnostics.has_errors());
  CHECK(m::parse_distribution("empirical('lat.csv')", context).ok());
  CHECK(m::parse_distribution("mix(50% empirical(lat.csv), 50% 1ms)", context).ok());

  auto direct = m::read_sample_file("lat.csv", context, m::SampleFileKind::empirical);
  REQUIRE(direct.ok());
  CHECK(direct->samples.size() == 3);
  CHECK(direct->path == fs::canonical(dir.path() / "lat.csv"));
}

TEST_CASE("a malformed empirical file is reported at its own lines", "[distribution]") {
  TempDir dir("malformed");
  dir.write("bad.csv", "1ms\n# fine\n  5\n2ms\n7 ps\n");
  m::Diagnostics diagnostics;
  diagnostics.add_source("model.yaml");
  const m::DistContext context{dir.path(), &diagnostics};

  auto r = m::parse_distribution("empirical(bad.csv)", context);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("bad.csv' is malformed: 2 bad lines"));
  CHECK_THAT(r.error().message, Catch::Contains("line 3"));
  CHECK(r.error().offset == 10);

  REQUIRE(diagnostics.error_count() == 2);
  const std::string shown = (dir.path() / "bad.csv").generic_string();
  CHECK(diagnostics.format(diagnostics.all()[0]) ==
        shown +
            ":3:3: error: empirical sample: a duration needs a unit (ns, us, ms, s, m, h), e.g. "
            "'250ms'");
  CHECK_THAT(
      diagnostics.format(diagnostics.all()[1]),
      Catch::StartsWith(shown + ":5:3: error: empirical sample: unknown duration unit 'ps'"));

  // Without a diagnostics table the caller still learns what is wrong.
  auto quiet = m::parse_distribution("empirical(bad.csv)", m::DistContext{dir.path(), nullptr});
  REQUIRE_FALSE(quiet.ok());
  CHECK_THAT(quiet.error().message, Catch::Contains("a duration needs a unit"));
}

TEST_CASE("empirical files that cannot be used are errors", "[distribution]") {
  TempDir dir("unusable");
  dir.write("empty.csv", "# nothing yet\n\n");
  fs::create_directories(dir.path() / "folder.csv");
  m::Diagnostics diagnostics;
  const m::DistContext context{dir.path(), &diagnostics};

  auto empty = m::parse_distribution("empirical(empty.csv)", context);
  REQUIRE_FALSE(empty.ok());
  CHECK_THAT(empty.error().message, Catch::Contains("has no samples"));
  auto missing = m::parse_distribution("empirical(nope.csv)", context);
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.error().message, Catch::Contains("cannot read empirical file"));
  CHECK_THAT(missing.error().message, Catch::Contains("nope.csv"));
  CHECK(missing.error().offset == 10);
  auto folder = m::parse_distribution("empirical(folder.csv)", context);
  REQUIRE_FALSE(folder.ok());
  CHECK_THAT(folder.error().message, Catch::Contains("folder"));
  CHECK_FALSE(diagnostics.has_errors());

  CHECK_THAT(error_of("empirical()", context).message, Catch::Contains("needs a file name"));
  CHECK_THAT(error_of("empirical(a.csv, b.csv)", context).message,
             Catch::Contains("takes one file name"));
  CHECK_THAT(error_of("empirical(rows=a.csv)", context).message,
             Catch::Contains("unknown argument 'rows'"));
}

TEST_CASE("distribution_names lists every form", "[distribution]") {
  const auto names = m::distribution_names();
  CHECK(std::vector<std::string>(names.begin(), names.end()) ==
        std::vector<std::string>{"exp", "uniform", "normal", "lognormal", "gamma", "erlang",
                                 "pareto", "weibull", "mix", "empirical"});
}
