#pragma once
/// The `.hgrm` percentile spectrum of a latency histogram: the text that
/// HdrHistogram's plotter (hdrhistogram.github.io/HdrHistogram/plotFiles.html)
/// and HistogramLogAnalyzer read, and that wrk2 prints after "Detailed
/// Percentile spectrum".

#include <string>

#include "tailsim/stats/histogram.hpp"

namespace tailsim::report {

/// The percentile spectrum of `latency_ns`, in milliseconds, laid out exactly
/// as HdrHistogram Java's `outputPercentileDistribution(out, 5, 1e6)` prints
/// it: a header and a blank line; one row per step of the percentile
/// iteration (`Histogram::percentile_distribution(5)`) with the value, the
/// percentile as a fraction, the running count and 1/(1-percentile); a last
/// row at 1.0 without the fourth column; then the Mean/StdDeviation,
/// Max/Total count and Buckets/SubBuckets footer. Values, mean, stddev and
/// max have three decimals (microseconds), as wrk2's and most `.hgrm` files
/// do; Java would print its significant digits, 2 for this layout. Numbers
/// are rounded as Java's Formatter rounds them (half up, from the shortest
/// decimal that reads back as the double). The values are the histogram's
/// own: a row's value is `value_at_percentile`, and mean, stddev and max are
/// exact. An empty histogram gives the header and a footer of zeros, as Java
/// does.
std::string format_hgrm(const stats::Histogram& latency_ns);

}  // namespace tailsim::report
