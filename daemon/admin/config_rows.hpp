// `tapstackctl config`: the configuration in effect, one row per key, named as in the YAML file
// (config/defaults.yaml) with dotted paths: `tcp.rto_min 200ms`, `interfaces[0].addresses ...`.
#pragma once

#include "config/config.hpp"
#include "daemon/admin/table.hpp"

namespace tapstack::daemon::admin {

Table config_table(const config::Config& config);

}  // namespace tapstack::daemon::admin
