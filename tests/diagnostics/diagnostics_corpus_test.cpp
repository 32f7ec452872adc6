// The corpus of broken models: each tests/diagnostics/NAME.yaml comes with
// NAME.expect, the exact diagnostics it must produce (one per line, as the
// CLI prints them, with the folder left out of file names). Nothing else may
// be reported, and a model with an expected error must not load.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "tailsim/graph/dependency_graph.hpp"
#include "tailsim/model/loader.hpp"

namespace fs = std::filesystem;
namespace m = tailsim::model;

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// What `tailsim validate` reports, with folders stripped from file names.
std::string validate(const fs::path& model_path, bool& loaded) {
  auto result = m::load_file(model_path);
  if (result.model) {
    auto graph = tailsim::graph::build_graph(*result.model, result.diagnostics);
    (void)graph;
    result.diagnostics.sort();
  }
  loaded = result.ok();
  std::string out;
  for (const auto& d : result.diagnostics.all()) {
    std::string line = result.diagnostics.format(d);
    const std::string& source = result.diagnostics.source_name(d.loc.file);
    const std::string base = fs::path(source).filename().string();
    if (line.rfind(source, 0) == 0) {
      line = base + line.substr(source.size());
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("every broken model gives exactly its expected diagnostics", "[diagnostics][corpus]") {
  const fs::path dir = fs::path(TAILSIM_TESTS_DIR) / "diagnostics";
  std::size_t count = 0;
  std::vector<fs::path> models;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".yaml") {
      models.push_back(entry.path());
    }
  }
  std::sort(models.begin(), models.end());
  for (const auto& model_path : models) {
    fs::path expect_path = model_path;
    expect_path.replace_extension(".expect");
    INFO("model: " << model_path.filename().string());
    REQUIRE(fs::exists(expect_path));
    bool loaded = false;
    const std::string actual = validate(model_path, loaded);
    const std::string expected = read_text(expect_path);
    CHECK(actual == expected);
    if (expected.find(": error: ") != std::string::npos) {
      CHECK_FALSE(loaded);
    }
    ++count;
  }
  CHECK(count >= 50);
}
