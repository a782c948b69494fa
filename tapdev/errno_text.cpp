#include "tapdev/errno_text.hpp"

#include <cstring>

namespace tapstack::tapdev {

std::string errno_text(int error) {
  // glibc's strerrordesc_np/strerrorname_np are thread-safe and return nullptr for unknown
  // values (strerror would not be thread-safe, strerror_r has two incompatible signatures).
  const char* description = strerrordesc_np(error);
  const char* name = strerrorname_np(error);
  if (description == nullptr || name == nullptr) return "errno " + std::to_string(error);
  return std::string{description} + " (" + name + ")";
}

}  // namespace tapstack::tapdev
