#include "daemon/metrics/prometheus_text.hpp"

namespace tapstack::daemon::metrics {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// HELP text escapes backslash and line feed; label values also escape the double quote.
std::string escaped(std::string_view text, bool quote_too) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote_too) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

std::string_view type_name(MetricType type) {
  return type == MetricType::counter ? "counter" : "gauge";
}

void append_sample(std::string& out, const std::string& name, const MetricSample& sample) {
  out += name;
  if (!sample.labels.empty()) {
    out += '{';
    for (std::size_t i = 0; i < sample.labels.size(); ++i) {
      if (i > 0) out += ',';
      out += sanitize_metric_name(sample.labels[i].first);
      out += "=\"";
      out += escaped(sample.labels[i].second, true);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  out += std::to_string(sample.value);
  out += '\n';
}

}  // namespace

std::string sanitize_metric_name(std::string_view name) {
  std::string out;
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) out += '_';
  for (const char c : name) out += is_name_char(c) ? c : '_';
  return out;
}

std::string render_prometheus_text(std::span<const MetricFamily> families) {
  std::string out;
  for (const MetricFamily& family : families) {
    const std::string name = sanitize_metric_name(family.name);
    out += "# HELP " + name + ' ' + escaped(family.help, false) + '\n';
    out += "# TYPE " + name + ' ' + std::string{type_name(family.type)} + '\n';
    for (const MetricSample& sample : family.samples) append_sample(out, name, sample);
  }
  return out;
}

}  // namespace tapstack::daemon::metrics
