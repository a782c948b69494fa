// The `services:` section (the daemon's built-in TCP services) and the `fault_injection:`
// section (link impairment on the TAP path, stack/fault/fault_injector.hpp).
#include <limits>

#include "config/field_parsers.hpp"
#include "config/section_readers.hpp"

namespace tapstack::config {
namespace {

void read_service(DocumentReader& reader, const Field& field, ServiceConfig& service) {
  for (const Field& entry : reader.entries(field, {"enabled", "port"})) {
    if (entry.key == "enabled") service.enabled = reader.scalar(entry, parse_bool);
    if (entry.key == "port") service.port = reader.scalar(entry, parse_port);
  }
}

void read_fault_direction(DocumentReader& reader, const Field& field, FaultSettings& faults) {
  const auto percentage = [&](const Field& entry) {
    return reader.scalar(entry, parse_percentage);
  };
  const auto duration = [&](const Field& entry) {
    return reader.scalar(
        entry, [](std::string_view text) { return parse_duration_in(text, limits::kFaultDelay); });
  };
  for (const Field& entry :
       reader.entries(field, {"drop", "duplicate", "corrupt", "reorder", "delay", "jitter",
                              "reorder_delay", "rate", "queue_limit"})) {
    if (entry.key == "drop") faults.drop = percentage(entry);
    if (entry.key == "duplicate") faults.duplicate = percentage(entry);
    if (entry.key == "corrupt") faults.corrupt = percentage(entry);
    if (entry.key == "reorder") faults.reorder = percentage(entry);
    if (entry.key == "delay") faults.delay = duration(entry);
    if (entry.key == "jitter") faults.jitter = duration(entry);
    if (entry.key == "reorder_delay") faults.reorder_delay = duration(entry);
    if (entry.key == "rate") {
      faults.rate_bits_per_second = reader.scalar(
          entry, [](std::string_view text) { return parse_bit_rate_in(text, limits::kFaultRate); });
    }
    if (entry.key == "queue_limit") {
      faults.queue_limit = reader.scalar(entry, [](std::string_view text) {
        return parse_integer(text, limits::kFaultQueueLimit);
      });
    }
  }
}

}  // namespace

void read_services(DocumentReader& reader, const Field& field, ServicesConfig& services) {
  for (const Field& entry : reader.entries(field, {"echo", "discard", "chargen", "http"})) {
    if (entry.key == "echo") read_service(reader, entry, services.echo);
    if (entry.key == "discard") read_service(reader, entry, services.discard);
    if (entry.key == "chargen") read_service(reader, entry, services.chargen);
    if (entry.key == "http") read_service(reader, entry, services.http);
  }
}

void read_fault_injection(DocumentReader& reader, const Field& field,
                          FaultInjectionConfig& faults) {
  for (const Field& entry : reader.entries(field, {"seed", "rx", "tx"})) {
    if (entry.key == "seed") {
      faults.seed = reader.scalar(entry, [](std::string_view text) {
        return parse_integer(text, {0, std::numeric_limits<std::uint64_t>::max()});
      });
    }
    if (entry.key == "rx") read_fault_direction(reader, entry, faults.rx);
    if (entry.key == "tx") read_fault_direction(reader, entry, faults.tx);
  }
}

}  // namespace tapstack::config
