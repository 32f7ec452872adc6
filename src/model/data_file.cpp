#include "tailsim/model/data_file.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <fcntl.h>
#include <optional>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

#include <fmt/format.h>

namespace tailsim::model {
namespace {

namespace fs = std::filesystem;

/// Does `dir` hold `path`? Both absolute and normal (no `.`, `..` or links).
bool is_within(const fs::path& path, const fs::path& dir) {
  auto p = path.begin();
  for (auto d = dir.begin(); d != dir.end(); ++d, ++p) {
    if (d->empty()) {
      continue;  // the empty last element of a path that ends in '/'
    }
    if (p == path.end() || *p != *d) {
      return false;
    }
  }
  return true;
}

/// `dir` absolute, with links followed as far as it exists.
fs::path real_dir(const fs::path& dir) {
  std::error_code ec;
  const fs::path absolute = fs::absolute(dir.empty() ? fs::path(".") : dir, ec);
  if (ec) {
    return dir.lexically_normal();
  }
  fs::path real = fs::weakly_canonical(absolute, ec);
  return ec ? absolute.lexically_normal() : real;
}

std::string refusal(std::string_view written, std::string_view kind, bool through_link) {
  if (through_link) {
    return fmt::format(
        "{} '{}' leads outside the model's folder through a symbolic link; a "
        "model reads files only inside its own folder: copy the file there, or "
        "allow the folder that holds it with --allow-path DIR",
        kind, written);
  }
  return fmt::format(
      "{} '{}' is outside the model's folder; a model reads files only inside "
      "its own folder: move the file there, or allow its folder with "
      "--allow-path DIR",
      kind, written);
}

/// Closes a file descriptor when it goes out of scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

/// What a file that is not a regular file is, for messages.
std::string_view kind_of_special(mode_t mode) {
  if (S_ISFIFO(mode)) {
    return "a FIFO";
  }
  if (S_ISCHR(mode) || S_ISBLK(mode)) {
    return "a device";
  }
  if (S_ISSOCK(mode)) {
    return "a socket";
  }
  return "a special file";
}

std::string larger_than(std::uintmax_t max_bytes) {
  return max_bytes >= (1U << 20) ? fmt::format("larger than {} MiB", max_bytes >> 20)
                                 : fmt::format("larger than {} bytes", max_bytes);
}

ParseError cannot_read(std::string_view kind, std::string_view shown, std::string_view why) {
  return ParseError{fmt::format("cannot read {} '{}': {}", kind, shown, why), 0};
}

/// The reason a stat or open failed, as users read it.
std::string errno_text(int error) {
  if (error == ENOENT || error == ENOTDIR) {
    return "no such file";
  }
  return std::error_code(error, std::generic_category()).message();
}

/// Refuses anything but a regular file of at most `max_bytes`.
std::optional<ParseError> check_kind(const struct stat& st, std::uintmax_t max_bytes,
                                     std::string_view kind, std::string_view shown) {
  if (S_ISDIR(st.st_mode)) {
    return cannot_read(kind, shown, "it is a folder");
  }
  if (!S_ISREG(st.st_mode)) {
    return cannot_read(kind, shown,
                       fmt::format("it is {}, not a regular file; a model reads regular files only",
                                   kind_of_special(st.st_mode)));
  }
  if (static_cast<std::uintmax_t>(st.st_size) > max_bytes) {
    return cannot_read(kind, shown, larger_than(max_bytes));
  }
  return std::nullopt;
}

}  // namespace

ParseResult<std::filesystem::path> resolve_data_file(std::string_view written,
                                                     const FileAccess& access,
                                                     std::string_view kind) {
  const fs::path name{std::string(written)};
  const fs::path base = real_dir(access.base_dir);
  const fs::path lexical = (name.is_absolute() ? name : base / name).lexically_normal();
  const bool leaves = name.is_absolute() || !is_within(lexical, base);
  std::vector<fs::path> allowed;
  allowed.reserve(access.allowed_dirs.size());
  for (const auto& dir : access.allowed_dirs) {
    allowed.push_back(real_dir(dir));
  }
  const auto is_allowed = [&](const fs::path& p) {
    return std::any_of(allowed.begin(), allowed.end(),
                       [&](const fs::path& dir) { return is_within(p, dir); });
  };
  std::error_code ec;
  const fs::path real = fs::canonical(lexical, ec);
  if (ec) {
    // Whether a file is missing is said only where the model may look.
    if (!leaves || is_allowed(lexical)) {
      return cannot_read(kind, written, errno_text(ec.value()));
    }
    return ParseError{refusal(written, kind, /*through_link=*/false), 0};
  }
  if ((!leaves && is_within(real, base)) || is_allowed(real)) {
    return real;
  }
  return ParseError{refusal(written, kind, /*through_link=*/!leaves), 0};
}

ParseResult<std::string> read_data_file(const std::filesystem::path& path, std::uintmax_t max_bytes,
                                        std::string_view kind, std::string_view shown) {
  // Look before opening: opening a device can act on it, and a FIFO blocks.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return cannot_read(kind, shown, errno_text(errno));
  }
  if (auto refused = check_kind(st, max_bytes, kind, shown)) {
    return *refused;
  }
  const FileDescriptor fd(
      ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW));
  if (fd.get() < 0) {
    return cannot_read(kind, shown, errno_text(errno));
  }
  // The file may have been swapped since: check what was opened.
  if (::fstat(fd.get(), &st) != 0) {
    return cannot_read(kind, shown, errno_text(errno));
  }
  if (auto refused = check_kind(st, max_bytes, kind, shown)) {
    return *refused;
  }
  std::string content;
  std::array<char, 64 * 1024> chunk{};
  while (true) {
    const ssize_t n = ::read(fd.get(), chunk.data(), chunk.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return cannot_read(kind, shown, errno_text(errno));
    }
    if (n == 0) {
      return content;
    }
    content.append(chunk.data(), static_cast<std::size_t>(n));
    if (content.size() > max_bytes) {
      return cannot_read(kind, shown, larger_than(max_bytes));
    }
  }
}

}  // namespace tailsim::model
