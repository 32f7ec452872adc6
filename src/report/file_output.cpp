#include "tailsim/report/file_output.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <pthread.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace tailsim::report {
namespace {

namespace fs = std::filesystem;

/// The temporary files being written, for a signal handler to remove. A slot
/// is free (0), being filled (1) or lists a file (2); the handler reads only
/// slots in state 2, whose path is complete.
struct RegistrySlot {
  std::atomic<int> state{0};
  std::array<char, 4096> path{};
};
constexpr std::size_t registry_size = 16;
std::array<RegistrySlot, registry_size> registry;

/// Lists `path`; -1 when every slot is taken or the path is too long (the
/// file is then written unlisted: a signal could leave it behind).
int list_file(const fs::path& path) noexcept {
  const std::string& text = path.native();
  if (text.size() >= RegistrySlot{}.path.size()) {
    return -1;
  }
  for (std::size_t i = 0; i < registry.size(); ++i) {
    int free = 0;
    if (registry[i].state.compare_exchange_strong(free, 1, std::memory_order_acquire)) {
      std::memcpy(registry[i].path.data(), text.c_str(), text.size() + 1);
      registry[i].state.store(2, std::memory_order_release);
      return static_cast<int>(i);
    }
  }
  return -1;
}

void unlist_file(int slot) noexcept {
  if (slot >= 0) {
    registry[static_cast<std::size_t>(slot)].state.store(0, std::memory_order_release);
  }
}

/// Blocks SIGINT and SIGTERM on this thread while alive, so that a file is
/// never created without being listed, nor renamed while still listed.
class SignalsHeld {
 public:
  SignalsHeld() {
    sigset_t held;
    sigemptyset(&held);
    sigaddset(&held, SIGINT);
    sigaddset(&held, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &held, &previous_);
  }
  SignalsHeld(const SignalsHeld&) = delete;
  SignalsHeld& operator=(const SignalsHeld&) = delete;
  ~SignalsHeld() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }

 private:
  sigset_t previous_{};
};

/// An errno as a reason in the words of tailsim's messages.
std::string reason(int error) {
  switch (error) {
    case EACCES:
    case EPERM:
      return "permission denied";
    case ENOENT:
      return "no such file or folder";
    case ENOTDIR:
      return "a part of the path is not a folder";
    case EISDIR:
      return "is a folder";
    case EROFS:
      return "read-only file system";
    case ENOSPC:
      return "no space left on the device";
    default: {
      std::string text = std::strerror(error);
      if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') {
        text[0] = static_cast<char>(text[0] - 'A' + 'a');
      }
      return text;
    }
  }
}

/// The folder a file `path` goes into.
fs::path folder_of(const fs::path& path) {
  const fs::path folder = path.parent_path();
  return folder.empty() ? fs::path(".") : folder;
}

/// What is at an output path.
enum class TargetKind {
  missing,  ///< nothing yet: a new regular file
  regular,  ///< a regular file, replaced whole
  stream,   ///< a character device or a FIFO, written to directly
};

struct Inspection {
  TargetKind kind = TargetKind::missing;
  mode_t mode = 0;      ///< the permissions of the regular file replaced
  std::string problem;  ///< why nothing may be written there; empty when it may
};

Inspection refused(std::string problem) {
  return Inspection{TargetKind::missing, 0, std::move(problem)};
}

/// Does the link `path` lead, within a few hops, through a descriptor the
/// process already has open (`/dev/stdout` -> `/proc/self/fd/1`)? That file
/// is the shell's redirection: written to, never replaced.
bool names_open_descriptor(const fs::path& path) {
  fs::path at = path;
  for (int hop = 0; hop < 8; ++hop) {
    const std::string text = at.string();
    if (text.starts_with("/proc/self/fd/") || text.starts_with("/dev/fd/")) {
      return true;
    }
    std::error_code ec;
    if (!fs::is_symlink(at, ec)) {
      return false;
    }
    const fs::path next = fs::read_symlink(at, ec);
    if (ec) {
      return false;
    }
    at = next.is_absolute() ? next : at.parent_path() / next;
  }
  return false;
}

/// What is at `path`, and whether an output may go there.
Inspection inspect(const fs::path& path) {
  if (path.empty()) {
    return refused("no file name");
  }
  if (!path.has_filename()) {
    return refused("names a folder, not a file");
  }
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT && errno != ENOTDIR) {
      return refused(reason(errno));
    }
    const fs::path folder = folder_of(path);
    struct stat folder_st {};
    if (stat(folder.c_str(), &folder_st) != 0) {
      return refused(errno == ENOENT ? fmt::format("no such folder '{}'", folder.string())
                                     : fmt::format("'{}': {}", folder.string(), reason(errno)));
    }
    if (!S_ISDIR(folder_st.st_mode)) {
      return refused(fmt::format("'{}' is not a folder", folder.string()));
    }
    return Inspection{};
  }
  if (S_ISREG(st.st_mode)) {
    return Inspection{TargetKind::regular, st.st_mode & 07777, {}};
  }
  if (S_ISLNK(st.st_mode)) {
    struct stat target {};
    if (stat(path.c_str(), &target) != 0) {
      return refused("is a symbolic link to nothing");
    }
    if (S_ISCHR(target.st_mode) || S_ISFIFO(target.st_mode)) {
      return Inspection{TargetKind::stream, 0, {}};
    }
    if (S_ISDIR(target.st_mode)) {
      return refused("is a folder");
    }
    if (names_open_descriptor(path)) {
      return Inspection{TargetKind::stream, 0, {}};  // `--json /dev/stdout > file`
    }
    return refused(
        "is a symbolic link; tailsim replaces only regular files (give the link's target, or - "
        "for stdout)");
  }
  if (S_ISDIR(st.st_mode)) {
    return refused("is a folder");
  }
  if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
    return Inspection{TargetKind::stream, 0, {}};
  }
  if (S_ISBLK(st.st_mode)) {
    return refused("is a block device");
  }
  return refused(S_ISSOCK(st.st_mode) ? "is a socket" : "is not a regular file");
}

std::runtime_error cannot_write(const fs::path& path, const std::string& why) {
  return std::runtime_error(fmt::format("cannot write {}: {}", path.string(), why));
}

/// A temporary file created next to `target`, listed in the registry.
struct Temporary {
  fs::path path;
  int fd = -1;
  int slot = -1;
  int error = 0;  ///< the errno when it could not be created
};

/// Creates `<folder>/<name>.<pid>-<n>.tmp` with O_EXCL and O_NOFOLLOW (a file
/// or link already there is skipped, never opened) and lists it.
Temporary create_temporary(const fs::path& target) {
  static std::atomic<unsigned> counter{0};
  // A long name keeps room for the suffix within the 255 bytes of a name.
  const std::string name = target.filename().string().substr(0, 200);
  for (int attempt = 0; attempt < 100; ++attempt) {
    Temporary t;
    t.path = folder_of(target) / fmt::format("{}.{}-{}.tmp", name, getpid(), counter++);
    const SignalsHeld held;
    t.fd = open(t.path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (t.fd >= 0) {
      t.slot = list_file(t.path);
      return t;
    }
    if (errno != EEXIST) {
      t.error = errno;
      return t;
    }
  }
  Temporary t;
  t.error = EEXIST;
  return t;
}

/// Writes all of `content` to `fd`; the errno of the failure, or 0.
int write_all(int fd, std::string_view content) {
  while (!content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errno;
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

/// Writes to a character device or a FIFO as it is, like `tee`; a regular
/// file open as one of the process's descriptors is appended to, so that
/// `>>` keeps what it held.
void write_in_place(const fs::path& path, std::string_view content) {
  const int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    throw cannot_write(path, reason(errno));
  }
  const int error = write_all(fd, content);
  const int closed = close(fd) == 0 ? 0 : errno;
  if (error != 0 || closed != 0) {
    throw cannot_write(path, reason(error != 0 ? error : closed));
  }
}

/// Why no file can be created in the folder of `target`, or nothing: a
/// temporary file is created there and removed.
std::optional<std::string> probe_folder(const fs::path& target) {
  Temporary probe = create_temporary(target);
  if (probe.fd < 0) {
    return reason(probe.error);
  }
  close(probe.fd);
  const SignalsHeld held;
  unlink(probe.path.c_str());
  unlist_file(probe.slot);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> output_file_problem(const fs::path& path) {
  const Inspection found = inspect(path);
  if (!found.problem.empty()) {
    return found.problem;
  }
  if (found.kind == TargetKind::stream) {
    return access(path.c_str(), W_OK) == 0 ? std::nullopt : std::optional(reason(errno));
  }
  return probe_folder(path);
}

std::optional<std::string> output_folder_problem(const fs::path& dir) {
  if (dir.empty()) {
    return "no folder name";
  }
  struct stat st {};
  if (stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return "is not a folder";
    }
  } else {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      return fmt::format("cannot create the folder: {}", reason(ec.value()));
    }
  }
  return probe_folder(dir / ".tailsim");
}

void write_file_atomically(const fs::path& path, std::string_view content) {
  const Inspection found = inspect(path);
  if (!found.problem.empty()) {
    throw cannot_write(path, found.problem);
  }
  if (found.kind == TargetKind::stream) {
    write_in_place(path, content);
    return;
  }
  AtomicFile file(path);
  file.write(content);
  file.commit();
}

AtomicFile::AtomicFile(const fs::path& target) : target_(target) {
  const Inspection found = inspect(target);
  if (!found.problem.empty()) {
    throw cannot_write(target, found.problem);
  }
  if (found.kind == TargetKind::stream) {
    throw cannot_write(target, "is a device or a FIFO, not a regular file");
  }
  Temporary t = create_temporary(target);
  if (t.fd < 0) {
    throw cannot_write(target, reason(t.error));
  }
  temporary_ = std::move(t.path);
  fd_ = t.fd;
  slot_ = t.slot;
  if (found.kind == TargetKind::regular) {
    fchmod(fd_, found.mode);  // the replacement keeps the permissions of what it replaces
  }
}

AtomicFile::~AtomicFile() {
  discard();
}

void AtomicFile::write(std::string_view content) {
  const int error = write_all(fd_, content);
  if (error != 0) {
    discard();
    throw cannot_write(target_, reason(error));
  }
}

std::string AtomicFile::read_back() const {
  std::string text;
  std::array<char, 65536> buffer{};
  off_t offset = 0;
  for (;;) {
    const ssize_t n = pread(fd_, buffer.data(), buffer.size(), offset);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return text;
    }
    text.append(buffer.data(), static_cast<std::size_t>(n));
    offset += n;
  }
}

void AtomicFile::commit() {
  if (fd_ < 0) {
    throw cannot_write(target_, "already written or discarded");
  }
  if (fsync(fd_) != 0 && errno != EINVAL) {
    const int error = errno;
    discard();
    throw cannot_write(target_, reason(error));
  }
  const int fd = fd_;
  fd_ = -1;
  if (close(fd) != 0) {
    const int error = errno;
    discard();
    throw cannot_write(target_, reason(error));
  }
  {
    const SignalsHeld held;
    if (std::rename(temporary_.c_str(), target_.c_str()) != 0) {
      const int error = errno;
      discard();
      throw cannot_write(target_, reason(error));
    }
    unlist_file(slot_);
    slot_ = -1;
    temporary_.clear();
  }
  // The rename is durable once the folder is synced; a folder that cannot be
  // synced (some network file systems) still holds the file.
  const int folder = open(folder_of(target_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (folder >= 0) {
    fsync(folder);
    close(folder);
  }
}

void AtomicFile::discard() noexcept {
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  if (!temporary_.empty()) {
    const SignalsHeld held;
    unlink(temporary_.c_str());
    unlist_file(slot_);
    slot_ = -1;
    temporary_.clear();
  }
}

void remove_files_being_written() noexcept {
  for (RegistrySlot& slot : registry) {
    if (slot.state.load(std::memory_order_acquire) == 2) {
      unlink(slot.path.data());
    }
  }
}

std::size_t files_being_written() noexcept {
  std::size_t n = 0;
  for (const RegistrySlot& slot : registry) {
    n += slot.state.load(std::memory_order_acquire) == 2 ? 1 : 0;
  }
  return n;
}

}  // namespace tailsim::report
