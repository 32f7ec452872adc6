#pragma once
/// report.html: one self-contained HTML5 file that opens offline. Every
/// chart is inline SVG drawn by tailsim (svg_chart.hpp); there is no script,
/// no external stylesheet, font or image, and a Content-Security-Policy that
/// forbids fetching anything, so the file shows the same thing anywhere,
/// with or without a network.
///
/// Sections, each only when it has data: the run and its SLO checks (k6
/// style), per-path latency (table, percentile spectrum, CDF), time series
/// (throughput, errors, latency, replicas, queues, caches, throttling,
/// breakers) with the warm-up shaded and every `TimeMarker` drawn, the
/// autoscalers' histories, the services, calls, caches, queues and cluster,
/// the topology picture and the model text.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tailsim/stats/results.hpp"

namespace tailsim::report {

/// What the report shows besides `Results`.
struct HtmlReportInputs {
  std::string model_text;    ///< the model's YAML, shown escaped in a <pre>
  std::string model_file;    ///< the model's file name, as the user gave it
  std::string command_line;  ///< the command that produced the run
  /// The dependency graph as an `<svg>` (Graphviz `dot -Tsvg` output or
  /// tailsim's own); empty for none. Inlined as is, after dropping anything
  /// before `<svg` (the XML prolog and DOCTYPE, which HTML does not allow).
  std::string topology_svg;
  /// For a replicated run (`run --replications`), the body of a first
  /// section, "Replications": every estimate with its interval
  /// (study::replications_to_html). The rest of the page is replication 0's.
  std::string replications_html;
};

/// The start of a tailsim HTML page up to and including `<body>`: the
/// Content-Security-Policy that forbids fetching anything, and the report's
/// style sheet. Every page tailsim writes (report.html, the sweep report)
/// shares it.
std::string html_page_start(std::string_view title);
/// The page's footer and closing tags.
std::string html_page_end();

/// Rows of text as a table of a tailsim page: the first row is the header,
/// every cell is escaped. Columns from `first_numeric` to `last_numeric`
/// are right-aligned numbers; a data row `r` with `failing_rows[r]` set is
/// shaded.
struct HtmlTableStyle {
  std::size_t first_numeric = 1;
  std::size_t last_numeric = 0;  ///< below first_numeric: no numeric column
  std::vector<bool> failing_rows;
};
std::string html_table(const std::vector<std::vector<std::string>>& rows,
                       const HtmlTableStyle& style = {});

/// The report as HTML text. Same inputs, same bytes: no timestamp, no
/// randomness, numbers written in a fixed format.
std::string format_html_report(const stats::Results& results, const HtmlReportInputs& inputs);

}  // namespace tailsim::report
