#include "output_paths.hpp"

#include <cstdio>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "tailsim/report/file_output.hpp"

namespace tailsim::cli {

bool check_output_paths(const std::vector<OutputPath>& outputs) {
  namespace fs = std::filesystem;
  bool ok = true;
  std::vector<std::pair<fs::path, std::string_view>> seen;
  std::string_view on_stdout;
  for (const OutputPath& output : outputs) {
    if (output.path.empty()) {
      continue;
    }
    if (output.path == "-" && output.kind == OutputKind::file_or_stdout) {
      if (!on_stdout.empty()) {
        fmt::print(stderr, "error: {} and {} cannot both write to stdout (-)\n", on_stdout,
                   output.flag);
        ok = false;
      }
      on_stdout = output.flag;
      continue;
    }
    if (output.path == "-") {
      fmt::print(stderr, "error: {} -: {} writes to a {} only, not to stdout\n", output.flag,
                 output.flag, output.kind == OutputKind::folder ? "folder" : "file");
      ok = false;
      continue;
    }
    const std::optional<std::string> problem = output.kind == OutputKind::folder
                                                   ? report::output_folder_problem(output.path)
                                                   : report::output_file_problem(output.path);
    if (problem) {
      fmt::print(stderr, "error: {} {}: {}\n", output.flag, output.path, *problem);
      ok = false;
      continue;
    }
    // A device or a FIFO may take several outputs (all to /dev/null); a file
    // written twice would keep only the last.
    std::error_code ec;
    const auto type = fs::status(output.path, ec).type();
    if (type == fs::file_type::character || type == fs::file_type::fifo) {
      continue;
    }
    const fs::path canonical = fs::weakly_canonical(fs::absolute(output.path), ec);
    for (const auto& [path, flag] : seen) {
      if (!ec && path == canonical) {
        fmt::print(stderr, "error: {} and {} both name {}\n", flag, output.flag, output.path);
        ok = false;
      }
    }
    seen.emplace_back(canonical, output.flag);
  }
  return ok;
}

}  // namespace tailsim::cli
