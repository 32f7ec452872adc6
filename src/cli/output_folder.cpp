#include "output_folder.hpp"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string_view>
#include <sys/wait.h>

#include "tailsim/report/file_output.hpp"
#include "tailsim/report/json_report.hpp"

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
  report::write_file_atomically(inputs.dir / "topology.dot", inputs.topology_dot);
  if (is_on_path("dot")) {
    render_svg(inputs.topology_dot, inputs.dir / "topology.svg");
  }
}

}  // namespace tailsim::cli
