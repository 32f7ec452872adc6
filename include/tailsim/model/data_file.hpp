#pragma once
/// The data files a model names (`empirical(FILE)` samples, a workload's
/// `trace:` arrivals): which file a name leads to, whether the model may read
/// it, and the bounded read.
///
/// A model is untrusted input (CI runs models from pull requests), so it may
/// make tailsim read only regular files inside its own folder, after
/// following symbolic links, or inside a folder the user named with
/// `--allow-path`. Nothing else is opened.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tailsim/model/units.hpp"

namespace tailsim::model {

/// Where a model's data files may come from.
struct FileAccess {
  /// The model's folder: relative names start here (empty: the working folder).
  std::filesystem::path base_dir;
  /// Folders the user allowed besides it (`--allow-path DIR`).
  std::vector<std::filesystem::path> allowed_dirs;
};

/// The file that `written` (a name from the model) leads to, as a real path
/// without symbolic links, when the model may read it. Otherwise an error
/// (offset 0) that names the file as written and says how to allow it: a name
/// that is absolute, climbs above the model's folder with `..`, or reaches
/// outside it through a symbolic link, unless an allowed folder holds the
/// file. `kind` names the file in messages ("empirical file", "trace file").
[[nodiscard]] ParseResult<std::filesystem::path> resolve_data_file(std::string_view written,
                                                                   const FileAccess& access,
                                                                   std::string_view kind);

/// The bytes of the regular file at `path`, at most `max_bytes`: a FIFO, a
/// device, a socket or a folder is refused without reading (a FIFO would
/// block, a device may never end), and so is a larger file (counted while
/// reading: files in /proc say they are empty). `shown` names the file in
/// messages.
[[nodiscard]] ParseResult<std::string> read_data_file(const std::filesystem::path& path,
                                                      std::uintmax_t max_bytes,
                                                      std::string_view kind,
                                                      std::string_view shown);

}  // namespace tailsim::model
