// The Prometheus text exposition format, version 0.0.4: metric families in, the body of a
// `GET /metrics` answer out. Pure: no I/O, no clock.
//
// Each family is written as
//   # HELP NAME TEXT
//   # TYPE NAME counter|gauge
//   NAME{LABEL="VALUE",...} VALUE
// with names reduced to [a-zA-Z0-9_] (see sanitize_metric_name), HELP text with backslash and
// newline escaped, and label values with backslash, double quote and newline escaped, as the
// format asks.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tapstack::daemon::metrics {

// What the exposition format serves for this family (we have no histograms or summaries).
enum class MetricType : std::uint8_t { counter, gauge };

struct MetricSample {
  std::vector<std::pair<std::string, std::string>> labels;  // name, value; in this order
  std::uint64_t value = 0;  // every value we export is a whole number
};

struct MetricFamily {
  std::string name;  // the full name, e.g. tapstack_ipv4_rx_packets_total
  std::string help;
  MetricType type = MetricType::counter;
  std::vector<MetricSample> samples;
};

// The media type of the body (Content-Type of the HTTP answer).
inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4";

// `name` with every character outside [a-zA-Z0-9_] replaced by '_', and a leading '_' added
// when it would start with a digit or be empty; the result is a valid metric and label name.
// (Prometheus also allows ':' in metric names, but reserves it for recording rules.)
std::string sanitize_metric_name(std::string_view name);

// The exposition text of `families`, in their order, each ending with a newline.
std::string render_prometheus_text(std::span<const MetricFamily> families);

}  // namespace tapstack::daemon::metrics
