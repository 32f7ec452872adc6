#include "output_folder.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <sys/wait.h>

#include "tailsim/report/file_output.hpp"
#include "tailsim/report/hgrm_writer.hpp"
#include "tailsim/report/html_report.hpp"
#include "tailsim/report/json_report.hpp"
#include "tailsim/report/junit_writer.hpp"
#include "tailsim/report/markdown_summary.hpp"
#include "tailsim/report/openmetrics_writer.hpp"
#include "tailsim/report/timeseries_writer.hpp"
#include "tailsim/report/trace_writers.hpp"

namespace tailsim::cli {
namespace {

/// Is `program` an executable file in one of the PATH's folders?
bool is_on_path(std::string_view program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) {
    return false;
  }
  std::string_view rest(path);
  while (!rest.empty()) {
    const std::size_t colon = rest.find(':');
    const std::filesystem::path candidate =
        std::filesystem::path(std::string(rest.substr(0, colon))) / std::string(program);
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec) &&
        (std::filesystem::status(candidate, ec).permissions() &
         std::filesystem::perms::owner_exec) != std::filesystem::perms::none) {
      return true;
    }
    if (colon == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(colon + 1);
  }
  return false;
}

/// A path's name as a file name: letters, digits, '-', '_' and '.' kept,
/// anything else '_'.
std::string file_name_of(const std::string& name) {
  std::string out;
  for (char c : name) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '.';
    out += plain ? c : '_';
  }
  return out.empty() || out[0] == '.' ? "_" + out : out;
}

/// Renders DOT to SVG with Graphviz into `target`, atomically; false (and
/// nothing written) when `dot` fails.
bool render_svg(const std::string& dot_text, const std::filesystem::path& target) {
  std::filesystem::path temporary = target;
  temporary += ".tmp";
  const std::string command = "dot -Tsvg -o '" + temporary.string() + "'";
  FILE* pipe = popen(command.c_str(), "w");
  if (pipe == nullptr) {
    return false;
  }
  const bool written = std::fwrite(dot_text.data(), 1, dot_text.size(), pipe) == dot_text.size();
  const int status = pclose(pipe);
  std::error_code ec;
  if (!written || status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::filesystem::remove(temporary, ec);
    return false;
  }
  std::filesystem::rename(temporary, target, ec);
  if (ec) {
    std::filesystem::remove(temporary, ec);
    return false;
  }
  return true;
}

}  // namespace

void write_output_folder(const OutputFolderInputs& inputs) {
  const stats::Results& results = *inputs.results;
  std::error_code ec;
  std::filesystem::create_directories(inputs.dir, ec);
  if (ec || !std::filesystem::is_directory(inputs.dir)) {
    throw std::runtime_error("cannot create the output folder " + inputs.dir.string() + ": " +
                             (ec ? ec.message() : std::string("not a folder")));
  }
  report::write_file_atomically(inputs.dir / "results.json", report::to_json(results));
  report::write_file_atomically(inputs.dir / "timeseries.csv",
                                report::format_timeseries_csv(results));
  for (const auto& path : results.paths) {
    report::write_file_atomically(inputs.dir / (file_name_of(path.name) + ".hgrm"),
                                  report::format_hgrm(path.latency));
  }
  report::write_file_atomically(inputs.dir / "metrics.om", report::format_openmetrics(results));
  report::write_file_atomically(
      inputs.dir / "junit.xml",
      report::format_junit(results, report::JunitInputs{inputs.model_path, inputs.wall_s}));
  report::write_file_atomically(inputs.dir / "summary.md",
                                report::format_markdown_summary(results));
  if (inputs.has_traces) {
    report::write_file_atomically(inputs.dir / "traces.otlp.json", report::to_otlp_json(results));
    report::write_file_atomically(inputs.dir / "traces.jaeger.json",
                                  report::to_jaeger_json(results));
    report::write_file_atomically(inputs.dir / "traces.chrome.json",
                                  report::to_chrome_trace(results));
  }
  report::write_file_atomically(inputs.dir / "topology.dot", inputs.topology_dot);
  std::string topology_svg;
  if (is_on_path("dot") && render_svg(inputs.topology_dot, inputs.dir / "topology.svg")) {
    std::ifstream svg(inputs.dir / "topology.svg", std::ios::binary);
    std::ostringstream text;
    text << svg.rdbuf();
    topology_svg = text.str();
  }
  report::write_file_atomically(
      inputs.dir / "report.html",
      report::format_html_report(
          results, report::HtmlReportInputs{inputs.model_text, inputs.model_path, inputs.command,
                                            topology_svg}));
}

}  // namespace tailsim::cli
