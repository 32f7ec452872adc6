#pragma once
// A folder of a test's own under the system's temporary folder.

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace tailsim::testing {

/// The folder `tailsim_<name>_<pid>` under the system's temporary folder,
/// emptied when made and removed afterwards. The process id keeps apart the
/// same test run at once from two builds (CTest's -j, two checkouts).
class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(std::filesystem::temp_directory_path() /
              ("tailsim_" + name + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  /// Writes `content` to the file `name` in the folder and gives its path.
  std::filesystem::path write(const std::string& name, const std::string& content) const {
    const std::filesystem::path file = path_ / name;
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace tailsim::testing
