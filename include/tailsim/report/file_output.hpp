#pragma once
/// Writing output files whole or not at all, and only where an output file
/// belongs.
///
/// A regular file is written under a unique temporary name in its own folder
/// (created with O_EXCL and O_NOFOLLOW, so a file or link planted there is
/// never written through), synced, then renamed over the target: a failed or
/// interrupted run never leaves half a file. A character device or a FIFO
/// (`/dev/stdout`, a named pipe) is written to directly, as `tee` does, and
/// stays what it is; so is a file reached through a descriptor the process
/// has open (`--json /dev/stdout > file`). Anything else (a folder, a symbolic link to a regular
/// file, a block device, a socket) is refused: tailsim never turns a special
/// file into a regular one, nor replaces a link.
///
/// Every temporary file being written is listed in a fixed registry that a
/// signal handler may read: remove_files_being_written() deletes them, so a
/// process that must exit at once leaves none behind.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace tailsim::report {

/// Why `path` cannot take an output file, or nothing when it can: "is a
/// folder", "no such folder 'x'", "permission denied", ... A regular file's
/// folder is probed by creating (and removing) a temporary file in it, so a
/// read-only or full file system is caught too. Checked before simulating,
/// so a typo costs no work; the write checks again.
std::optional<std::string> output_file_problem(const std::filesystem::path& path);

/// Creates the folder `dir` (and its parents) when missing, then says why it
/// cannot take output files, or nothing when it can. A link to a folder is a
/// folder.
std::optional<std::string> output_folder_problem(const std::filesystem::path& dir);

/// Writes `content` to `path`: atomically for a regular file (or a new one),
/// directly for a character device or a FIFO. Throws `std::runtime_error`
/// with the reason when it cannot; a regular target is then left as it was.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

/// A new version of a regular file, written through `fd()` under a unique
/// temporary name and put in place by commit(). Destroyed uncommitted, it
/// removes the temporary file and leaves the target as it was. For a writer
/// that streams (a child process's output) rather than holding the content.
class AtomicFile {
 public:
  /// Creates the temporary file next to `target`. Throws std::runtime_error
  /// when `target` is not a regular file (or missing) or the folder refuses.
  explicit AtomicFile(const std::filesystem::path& target);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  /// The temporary file, open for writing.
  [[nodiscard]] int fd() const { return fd_; }

  /// Writes all of `content` at the current offset; throws on failure.
  void write(std::string_view content);

  /// The temporary file's content so far.
  [[nodiscard]] std::string read_back() const;

  /// Syncs the file, keeps the permissions of the file it replaces, and
  /// renames it over the target. Throws std::runtime_error when it cannot.
  void commit();

 private:
  void discard() noexcept;

  std::filesystem::path target_;
  std::filesystem::path temporary_;
  int fd_ = -1;
  int slot_ = -1;  ///< in the registry of files being written; -1: not listed
};

/// Removes every temporary file being written. Async-signal-safe (unlink
/// only): for a signal handler about to `_exit`.
void remove_files_being_written() noexcept;

/// How many temporary files are being written now (for tests).
std::size_t files_being_written() noexcept;

}  // namespace tailsim::report
