// Writes the HTML reports the browser test opens: one from hand-made
// results with something in every section (sample.html), one from a
// simulated example model (the model file given), and a page that breaks
// every rule (bad.html), so the test can show that its checks catch what
// they look for.
//
// Usage: report_html_generate OUT_DIR MODEL_FILE

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

#include "report_html/sample_results.hpp"
#include "tailsim/components/simulation.hpp"
#include "tailsim/model/loader.hpp"
#include "tailsim/plan/compiler.hpp"
#include "tailsim/report/compare_report.hpp"
#include "tailsim/report/file_output.hpp"
#include "tailsim/report/html_report.hpp"

namespace {

constexpr std::string_view bad_page = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>bad</title></head>
<body><p>A page that breaks the rules on purpose.</p>
<img src="https://example.invalid/tracker.png" alt="">
<script>console.error("bad page: console error"); not_defined_anywhere();</script>
</body></html>
)";

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: report_html_generate OUT_DIR MODEL_FILE\n";
    return 2;
  }
  const std::filesystem::path out = argv[1];
  const std::filesystem::path model_file = argv[2];
  try {
    std::filesystem::create_directories(out);
    tailsim::report::write_file_atomically(
        out / "sample.html",
        tailsim::report::format_html_report(tailsim::testing::sample_results(),
                                            tailsim::testing::sample_inputs()));

    auto loaded = tailsim::model::load_file(model_file);
    if (!loaded.ok()) {
      std::cerr << loaded.diagnostics.format_all();
      return 1;
    }
    auto plan = tailsim::plan::compile_plan(*loaded.model, loaded.diagnostics);
    if (!plan) {
      std::cerr << loaded.diagnostics.format_all();
      return 1;
    }
    const auto results = tailsim::components::simulate(*plan);
    tailsim::report::HtmlReportInputs inputs;
    inputs.model_file = model_file.filename().string();
    inputs.model_text = read_text(model_file);
    inputs.command_line = "tailsim run " + inputs.model_file;
    tailsim::report::write_file_atomically(out / "model.html",
                                           tailsim::report::format_html_report(results, inputs));

    // compare --out's page: the model's run as B against the sample as A.
    tailsim::report::write_file_atomically(
        out / "compare.html",
        tailsim::report::format_compare_report(
            tailsim::testing::sample_results(), results, results, tailsim::report::SloStudy{},
            tailsim::report::CompareReportInputs{"sample.yaml", inputs.model_file, 1, "pass"}));
    tailsim::report::write_file_atomically(out / "bad.html", bad_page);
  } catch (const std::exception& e) {
    std::cerr << "report_html_generate: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
