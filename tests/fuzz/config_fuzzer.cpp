// libFuzzer target: arbitrary YAML into the config loader. A bad config must end in a
// ConfigError with a location, never in a crash or another exception escaping.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config_error.hpp"
#include "config/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text{reinterpret_cast<const char*>(data), size};
  try {
    (void)tapstack::config::load_config_text(text, "fuzz.yaml");
  } catch (const tapstack::config::ConfigError&) {
    // The expected answer to a bad file.
  }
  return 0;
}
