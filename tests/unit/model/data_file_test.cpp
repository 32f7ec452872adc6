#include "tailsim/model/data_file.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "tailsim/model/distribution.hpp"
#include "tailsim/model/loader.hpp"

namespace fs = std::filesystem;
namespace m = tailsim::model;

namespace {

/// A folder of its own under the system's temporary folder, removed afterwards:
/// `model/` for the model and `outside/` beside it.
class Folders {
 public:
  explicit Folders(const std::string& name)
      : root_(fs::temp_directory_path() /
              ("tailsim_data_file_test_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(root_);
    fs::create_directories(model());
    fs::create_directories(outside());
  }
  ~Folders() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  Folders(const Folders&) = delete;
  Folders& operator=(const Folders&) = delete;

  [[nodiscard]] fs::path model() const { return root_ / "model"; }
  [[nodiscard]] fs::path outside() const { return root_ / "outside"; }
  static void write(const fs::path& path, const std::string& content) {
    std::ofstream(path, std::ios::binary) << content;
  }

 private:
  fs::path root_;
};

std::string error_of(const m::ParseResult<fs::path>& r) {
  REQUIRE_FALSE(r.ok());
  return r.error().message;
}

}  // namespace

TEST_CASE("a model reads data files inside its folder", "[data_file]") {
  Folders f("inside");
  fs::create_directories(f.model() / "data");
  Folders::write(f.model() / "data" / "lat.csv", "1ms\n");
  const m::FileAccess access{f.model(), {}};
  auto r = m::resolve_data_file("data/lat.csv", access, "empirical file");
  REQUIRE(r.ok());
  CHECK(*r == fs::canonical(f.model() / "data" / "lat.csv"));
  // `..` that stays inside is fine, and so is a link whose target is inside.
  CHECK(m::resolve_data_file("data/../data/lat.csv", access, "empirical file").ok());
  fs::create_symlink(f.model() / "data" / "lat.csv", f.model() / "link.csv");
  CHECK(m::resolve_data_file("link.csv", access, "empirical file").ok());
  CHECK_THAT(error_of(m::resolve_data_file("nope.csv", access, "empirical file")),
             Catch::Equals("cannot read empirical file 'nope.csv': no such file"));
}

TEST_CASE("a data file outside the model's folder is refused unless allowed", "[data_file]") {
  Folders f("outside");
  Folders::write(f.outside() / "lat.csv", "1ms\n");
  fs::create_symlink(f.outside() / "lat.csv", f.model() / "link.csv");
  fs::create_directory_symlink(f.outside(), f.model() / "linked-folder");
  const m::FileAccess access{f.model(), {}};
  const std::string absolute = (f.outside() / "lat.csv").string();

  CHECK_THAT(error_of(m::resolve_data_file("../outside/lat.csv", access, "trace file")),
             Catch::StartsWith("trace file '../outside/lat.csv' is outside the model's folder") &&
                 Catch::Contains("--allow-path DIR"));
  CHECK_THAT(error_of(m::resolve_data_file(absolute, access, "trace file")),
             Catch::Contains("is outside the model's folder"));
  CHECK_THAT(error_of(m::resolve_data_file("link.csv", access, "trace file")),
             Catch::Contains("leads outside the model's folder through a symbolic link"));
  CHECK_THAT(error_of(m::resolve_data_file("linked-folder/lat.csv", access, "trace file")),
             Catch::Contains("through a symbolic link"));
  // Whether a file outside exists is not revealed.
  CHECK_THAT(error_of(m::resolve_data_file("../outside/nope.csv", access, "trace file")),
             Catch::Contains("is outside the model's folder"));

  const m::FileAccess allowed{f.model(), {f.outside()}};
  for (const std::string& name : {std::string("../outside/lat.csv"), absolute,
                                  std::string("link.csv"), std::string("linked-folder/lat.csv")}) {
    INFO(name);
    auto r = m::resolve_data_file(name, allowed, "trace file");
    REQUIRE(r.ok());
    CHECK(*r == fs::canonical(f.outside() / "lat.csv"));
  }
  CHECK_THAT(error_of(m::resolve_data_file("../outside/nope.csv", allowed, "trace file")),
             Catch::Contains("no such file"));
  // An allowed folder holds only what is inside it.
  const m::FileAccess other{f.model(), {f.model() / "sub"}};
  CHECK_FALSE(m::resolve_data_file("../outside/lat.csv", other, "trace file").ok());
}

TEST_CASE("only regular files are read, and only up to a size", "[data_file]") {
  Folders f("special");
  const fs::path fifo = f.model() / "fifo.csv";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Reading a FIFO would block for ever: it is refused without being opened.
  auto r = m::read_data_file(fifo, 1024, "trace file", "fifo.csv");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message ==
        "cannot read trace file 'fifo.csv': it is a FIFO, not a regular file; a model reads "
        "regular files only");

  const fs::path device = f.model() / "zero.csv";
  if (::mknod(device.c_str(), S_IFCHR | 0600, makedev(1, 5)) == 0) {  // as /dev/zero
    auto d = m::read_data_file(device, 1024, "trace file", "zero.csv");
    REQUIRE_FALSE(d.ok());
    CHECK_THAT(d.error().message, Catch::Contains("it is a device, not a regular file"));
  } else {
    WARN("mknod needs root: the device case was not checked");
  }

  Folders::write(f.model() / "big.csv", std::string(3000, '1'));
  auto big = m::read_data_file(f.model() / "big.csv", 2048, "empirical file", "big.csv");
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().message == "cannot read empirical file 'big.csv': larger than 2048 bytes");
  auto fits = m::read_data_file(f.model() / "big.csv", 4096, "empirical file", "big.csv");
  REQUIRE(fits.ok());
  CHECK(fits->size() == 3000);
}

TEST_CASE("a sparse file larger than the cap is refused before reading", "[data_file]") {
  Folders f("sparse");
  const fs::path path = f.model() / "huge.csv";
  Folders::write(path, "");
  fs::resize_file(path, std::uintmax_t{300} << 20);  // no blocks written
  m::Diagnostics diagnostics;
  auto r = m::read_sample_file("huge.csv", m::DistContext{f.model(), &diagnostics},
                               m::SampleFileKind::trace);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "cannot read trace file 'huge.csv': larger than 256 MiB");
}

TEST_CASE("allowed folders reach the reader through LoadOptions", "[data_file]") {
  Folders f("load");
  Folders::write(f.outside() / "arrivals.csv", "0s\n1s\n");
  const std::string model =
      "version: 1\n"
      "services:\n"
      "  api:\n"
      "    endpoints:\n"
      "      get: [{cpu: exp(2ms)}]\n"
      "workloads:\n"
      "  replay: {entry: api.get, trace: ../outside/arrivals.csv}\n";
  Folders::write(f.model() / "m.yaml", model);
  auto refused = m::load_file(f.model() / "m.yaml");
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.diagnostics.format_all(),
             Catch::Contains("m.yaml:7:35: error: trace: trace file '../outside/arrivals.csv' is "
                             "outside the model's folder"));
  m::LoadOptions options;
  options.allowed_paths = {f.outside()};
  auto allowed = m::load_file(f.model() / "m.yaml", options);
  INFO(allowed.diagnostics.format_all());
  REQUIRE(allowed.ok());
  CHECK(allowed.model->workloads.front().trace.size() == 2);
}
