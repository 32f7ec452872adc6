#include "tailsim/report/file_output.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <catch2/catch.hpp>

namespace {

namespace fs = std::filesystem;
using tailsim::report::AtomicFile;
using tailsim::report::files_being_written;
using tailsim::report::output_file_problem;
using tailsim::report::output_folder_problem;
using tailsim::report::remove_files_being_written;
using tailsim::report::write_file_atomically;

/// A fresh folder of its own for each test.
fs::path fresh_folder(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("tailsim-file-output-" + std::to_string(getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The names in `dir` that end in ".tmp".
int temporary_files_in(const fs::path& dir) {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    n += entry.path().extension() == ".tmp" ? 1 : 0;
  }
  return n;
}

}  // namespace

TEST_CASE("write_file_atomically writes a new file and replaces one whole", "[file_output]") {
  const fs::path dir = fresh_folder("replace");
  write_file_atomically(dir / "a.json", "first");
  CHECK(read(dir / "a.json") == "first");
  write_file_atomically(dir / "a.json", "second");
  CHECK(read(dir / "a.json") == "second");
  CHECK(temporary_files_in(dir) == 0);
}

TEST_CASE("write_file_atomically skips a file or link planted at a temporary name",
          "[file_output]") {
  const fs::path dir = fresh_folder("planted");
  std::ofstream(dir / "victim") << "keep";
  // The first names this process would try.
  for (int n = 0; n < 10; ++n) {
    fs::create_symlink(dir / "victim", dir / ("a.json." + std::to_string(getpid()) + "-" +
                                              std::to_string(n) + ".tmp"));
  }
  write_file_atomically(dir / "a.json", "content");
  CHECK(read(dir / "victim") == "keep");
  CHECK(read(dir / "a.json") == "content");
}

TEST_CASE("write_file_atomically writes a FIFO's reader directly and refuses links and folders",
          "[file_output]") {
  const fs::path dir = fresh_folder("special");
  fs::create_directory(dir / "folder");
  CHECK_THROWS_WITH(write_file_atomically(dir / "folder", "x"), Catch::Contains("is a folder"));
  std::ofstream(dir / "real") << "keep";
  fs::create_symlink(dir / "real", dir / "link");
  CHECK_THROWS_WITH(write_file_atomically(dir / "link", "x"),
                    Catch::Contains("is a symbolic link"));
  CHECK(read(dir / "real") == "keep");
  CHECK(fs::is_symlink(dir / "link"));
  if (mknod((dir / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0) {
    write_file_atomically(dir / "null", "into the device");
    CHECK(fs::is_character_file(dir / "null"));
  }
  CHECK(temporary_files_in(dir) == 0);
}

TEST_CASE("output_file_problem says why before anything is written", "[file_output]") {
  const fs::path dir = fresh_folder("problems");
  fs::create_directory(dir / "folder");
  std::ofstream(dir / "file") << "x";
  CHECK(output_file_problem(dir / "folder") == "is a folder");
  CHECK(output_file_problem(dir / "nodir" / "x.json") ==
        "no such folder '" + (dir / "nodir").string() + "'");
  CHECK(output_file_problem(dir / "file" / "x.json") ==
        "'" + (dir / "file").string() + "' is not a folder");
  CHECK_FALSE(output_file_problem(dir / "new.json"));
  CHECK_FALSE(output_file_problem(dir / "file"));
  CHECK(temporary_files_in(dir) == 0);
  CHECK(output_folder_problem(dir / "file") == "is not a folder");
  CHECK_FALSE(output_folder_problem(dir / "made" / "deep"));
  CHECK(fs::is_directory(dir / "made" / "deep"));
}

TEST_CASE("AtomicFile lists its temporary file until committed or discarded", "[file_output]") {
  const fs::path dir = fresh_folder("registry");
  const std::size_t before = files_being_written();
  {
    AtomicFile file(dir / "kept.txt");
    file.write("kept");
    CHECK(files_being_written() == before + 1);
    CHECK(file.read_back() == "kept");
    file.commit();
    CHECK(files_being_written() == before);
  }
  CHECK(read(dir / "kept.txt") == "kept");
  {
    AtomicFile file(dir / "dropped.txt");
    file.write("dropped");
  }
  CHECK_FALSE(fs::exists(dir / "dropped.txt"));
  CHECK(files_being_written() == before);
  CHECK(temporary_files_in(dir) == 0);
}

TEST_CASE("remove_files_being_written removes what a signal handler must not leave behind",
          "[file_output]") {
  const fs::path dir = fresh_folder("interrupted");
  std::ofstream(dir / "target.txt") << "old";
  AtomicFile file(dir / "target.txt");
  file.write("half");
  CHECK(temporary_files_in(dir) == 1);
  remove_files_being_written();
  CHECK(temporary_files_in(dir) == 0);
  CHECK(read(dir / "target.txt") == "old");
}
