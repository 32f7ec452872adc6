#include "tailsim/report/junit_writer.hpp"

#include <algorithm>
#include <filesystem>
#include <string_view>

#include <fmt/format.h>

#include "tailsim/report/console_report.hpp"
#include "tailsim/report/slo_text.hpp"

namespace tailsim::report {
namespace {

/// U+FFFD, written where the text holds what XML 1.0 cannot carry.
constexpr std::string_view replacement_character = "\xEF\xBF\xBD";

/// The length of the well-formed UTF-8 sequence `text` starts with (a
/// character XML 1.0 allows), or 0 when it starts with anything else.
std::size_t xml_char_length(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  std::size_t length = 0;
  char32_t code = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code = lead & 0x1Fu;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code = lead & 0x0Fu;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code = lead & 0x07u;
  } else {
    return 0;
  }
  if (text.size() < length) {
    return 0;
  }
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0u) != 0x80u) {
      return 0;
    }
    code = (code << 6) | (byte(i) & 0x3Fu);
  }
  const char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  const bool is_surrogate = code >= 0xD800 && code <= 0xDFFF;
  const bool is_forbidden = code == 0xFFFE || code == 0xFFFF;
  if (code < smallest[length] || code > 0x10FFFF || is_surrogate || is_forbidden) {
    return 0;
  }
  return length;
}

/// `text` as XML 1.0 character data, safe inside an attribute (`in_attribute`)
/// or an element: markup escaped; in attributes, tabs and line breaks as
/// character references, since a parser reads a literal one back as a space;
/// control characters and malformed UTF-8, which XML 1.0 cannot carry, as
/// U+FFFD.
std::string escape_xml(std::string_view text, bool in_attribute) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      const std::size_t length = xml_char_length(text.substr(i));
      out += length ? text.substr(i, length) : replacement_character;
      i += std::max<std::size_t>(length, 1);
      continue;
    }
    ++i;
    switch (c) {
      case '&':
        out += "&amp;";
        continue;
      case '<':
        out += "&lt;";
        continue;
      case '>':
        out += "&gt;";
        continue;
      case '"':
        out += "&quot;";
        continue;
      case '\t':
        out += in_attribute ? "&#9;" : "\t";
        continue;
      case '\n':
        out += in_attribute ? "&#10;" : "\n";
        continue;
      case '\r':
        out += "&#13;";
        continue;
      default:
        break;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      out += replacement_character;
    } else {
      out += c;
    }
  }
  return out;
}

std::string attribute(std::string_view text) {
  return escape_xml(text, /*in_attribute=*/true);
}

/// The suite's name: the model's name, or its file's when it has none.
std::string model_name(const stats::Results& results, const JunitInputs& inputs) {
  if (!results.model.empty()) {
    return results.model;
  }
  const std::string stem = std::filesystem::path(inputs.model_path).stem().string();
  return stem.empty() ? "model" : stem;
}

/// A failed check's details: the path's counts and latency, and how to
/// reproduce the run.
std::string failure_details(const stats::Results& results, const stats::SloResult& slo,
                            const std::string& name) {
  std::string out;
  const auto path = std::find_if(results.paths.begin(), results.paths.end(),
                                 [&](const stats::PathResult& p) { return p.name == slo.path; });
  if (path != results.paths.end()) {
    const std::uint64_t ok = path->outcomes[stats::Outcome::ok];
    const std::uint64_t failed = path->requests >= ok ? path->requests - ok : 0;
    out += fmt::format(
        "path {}: {} ok of {} requests, {} failed ({:.2f}%), {:.1f}/s\n", slo.path, ok,
        path->requests, failed,
        path->requests ? 100.0 * static_cast<double>(failed) / static_cast<double>(path->requests)
                       : 0.0,
        path->throughput_rps);
    const stats::Histogram& h = path->latency;
    if (h.count() > 0) {
      const auto at = [&](double p) { return format_ms(stats::latency_ms_at(*path, p)); };
      out += fmt::format(
          "latency of successful requests: mean {}, p50 {}, p90 {}, p99 {}, p99.9 {}, max {}\n",
          format_ms(h.mean() * 1e-6), at(50), at(90), at(99), at(99.9),
          format_ms(static_cast<double>(h.max()) * 1e-6));
    }
  }
  out += fmt::format("model {}, seed {}, {} measured after {} warm-up\n", name, results.seed,
                     format_sim_seconds(results.duration_s), format_sim_seconds(results.warmup_s));
  return out;
}

}  // namespace

std::string format_junit(const stats::Results& results, const JunitInputs& inputs,
                         const SloStudy& study) {
  const std::string name = model_name(results, inputs);
  const std::size_t tests = results.slos.size();
  const auto failures = static_cast<std::size_t>(std::count_if(
      results.slos.begin(), results.slos.end(), [](const stats::SloResult& s) { return !s.ok; }));
  const std::string time = fmt::format("{:.3f}", std::max(inputs.wall_s, 0.0));

  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(
      "<testsuites name=\"tailsim\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{}\">\n",
      tests, failures, time);
  out += fmt::format(
      "  <testsuite name=\"tailsim: {}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" "
      "time=\"{}\"",
      attribute(name), tests, failures, time);
  if (!inputs.model_path.empty()) {
    out += fmt::format(" file=\"{}\"", attribute(inputs.model_path));
  }
  out += ">\n    <properties>\n";
  const std::pair<std::string_view, std::string> properties[] = {
      {"model", name},
      {"model_file", inputs.model_path},
      {"seed", std::to_string(results.seed)},
      {"duration", format_sim_seconds(results.duration_s)},
      {"warmup", format_sim_seconds(results.warmup_s)},
      {"tailsim_version", TAILSIM_VERSION},
  };
  for (const auto& [key, value] : properties) {
    out += fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", key, attribute(value));
  }
  if (!study.checks.empty()) {
    out += fmt::format("      <property name=\"replications\" value=\"{}\"/>\n",
                       study.checks.front().replications);
  }
  if (!study.baseline.empty()) {
    out += fmt::format("      <property name=\"baseline_model\" value=\"{}\"/>\n",
                       attribute(study.baseline));
  }
  out += "    </properties>\n";

  for (std::size_t i = 0; i < results.slos.size(); ++i) {
    const stats::SloResult& slo = results.slos[i];
    const SloStudyCheck* check = i < study.checks.size() ? &study.checks[i] : nullptr;
    // Evaluating a check takes no time of its own; the suite's time is the run's.
    out += fmt::format("    <testcase classname=\"slo.{}\" name=\"{}\" time=\"0\"",
                       attribute(slo.path), attribute(slo.check.text));
    if (slo.ok && check == nullptr) {
      out += "/>\n";
      continue;
    }
    out += ">\n";
    const std::string estimate =
        check ? format_slo_estimate(slo, *check) : format_slo_measured(results, slo);
    // A comparison: "; A 310.0ms ± 2.1ms, B - A +10.0ms ± 1.5ms: <verdict>".
    const std::string baseline =
        check && check->has_baseline ? "; " + format_slo_baseline(slo, *check) : std::string();
    if (!slo.ok) {
      std::string details = failure_details(results, slo, name);
      if (check) {
        details = fmt::format(
            "{} = {}{}\n{}", slo.check.term, estimate, baseline,
            results.paths.empty() ? details : "replication 0 in full (the plain run): " + details);
      }
      out += fmt::format("      <failure message=\"{}\" type=\"slo\">{}</failure>\n",
                         attribute(fmt::format("{} = {}, threshold {}{}", slo.check.term, estimate,
                                               slo.check.promise(), baseline)),
                         escape_xml(details, /*in_attribute=*/false));
    }
    if (check) {
      out += fmt::format("      <system-out>{}</system-out>\n",
                         escape_xml(slo.check.term + " = " + estimate + baseline, false));
    }
    out += "    </testcase>\n";
  }
  if (results.slos.empty()) {
    out += fmt::format(
        "    <system-out>Model {} has no SLOs: nothing was checked. Add an slos: section to gate "
        "on its results.</system-out>\n",
        escape_xml(name, /*in_attribute=*/false));
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace tailsim::report
