#pragma once
/// Writing output files whole or not at all: a temporary file next to the
/// target, then a rename, so a failed run never leaves half a file.

#include <filesystem>
#include <string_view>

namespace tailsim::report {

/// Writes `content` to `path` atomically. Throws `std::runtime_error` with
/// the reason when it cannot.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

}  // namespace tailsim::report
