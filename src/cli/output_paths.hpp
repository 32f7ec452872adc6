#pragma once
// Every output path of a command, checked before anything is simulated: a
// typo in `--json nodir/x.json` costs nothing, not the run's work.

#include <string>
#include <string_view>
#include <vector>

namespace tailsim::cli {

/// What an output flag takes.
enum class OutputKind {
  file,            ///< a file
  file_or_stdout,  ///< a file, or "-" for stdout
  folder,          ///< a folder (`--out DIR`), created when missing
};

/// One output a command was asked for.
struct OutputPath {
  std::string_view flag;  ///< as the user typed it: "--json"
  std::string path;       ///< empty: not asked for
  OutputKind kind = OutputKind::file_or_stdout;
};

/// Checks every output before simulating: a file's folder must exist and
/// take files, and the file must not be a folder, a link or a block device
/// (report::output_file_problem); a folder is created when missing
/// (report::output_folder_problem). Two outputs may not name the same file,
/// nor both be stdout. Prints each problem as `error: --json x: is a folder`
/// on stderr and returns false when there is one (the command exits with 2).
bool check_output_paths(const std::vector<OutputPath>& outputs);

}  // namespace tailsim::cli
