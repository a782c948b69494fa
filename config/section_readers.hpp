// Readers for the `tcp:`, `services:` and `fault_injection:` sections, split out of the loader
// to keep it short. Each reads the mapping `field` on top of the values already in the section
// (defaults, or an earlier document) and fails like every reader: FILE:LINE:COL: PATH: MESSAGE.
#pragma once

#include "config/config.hpp"
#include "config/yaml_fields.hpp"

namespace tapstack::config {

void read_tcp(DocumentReader& reader, const Field& field, TcpConfig& tcp);
void read_services(DocumentReader& reader, const Field& field, ServicesConfig& services);
void read_fault_injection(DocumentReader& reader, const Field& field, FaultInjectionConfig& faults);

}  // namespace tapstack::config
