#pragma once
/// Cheap well-formedness checks of what the report writers produce, for the
/// output fuzz target: none is a full validator (tests/report runs xmllint,
/// promtool and a browser on fixed runs), but each catches what a fuzzed
/// name or value can break: unescaped markup, unbalanced tags, a label value
/// that ends early, a CSV row with a field too many, a number that is not one.
/// Each returns what is wrong, or an empty string.

#include <string>
#include <string_view>

namespace tailsim::fuzz {

/// XML (`html` false: one root element) or the HTML that tailsim writes
/// (`html` true: void elements, raw text in <style> and <script>): tags
/// balance and nest, attribute values are quoted, and every `&` starts an
/// entity and every `<` a tag, comment or declaration.
std::string check_markup(std::string_view text, bool html);

/// OpenMetrics text: every line a `# TYPE|HELP|UNIT` comment or a sample
/// `name{label="value",...} number`, label values escaped, `# EOF` last.
std::string check_openmetrics(std::string_view text);

/// RFC 4180 CSV: every record has as many fields as the header, quotes pair
/// up, and the text ends with a newline.
std::string check_csv(std::string_view text);

/// An HdrHistogram percentile distribution: each row three or four numbers,
/// values and percentiles never decreasing, percentiles within 0 to 1.
std::string check_hgrm(std::string_view text);

}  // namespace tailsim::fuzz
