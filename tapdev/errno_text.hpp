// Human-readable errno values for error messages ("Operation not permitted (EPERM)").
#pragma once

#include <string>

namespace tapstack::tapdev {

// The description and symbolic name of a positive errno value, e.g. "No such device (ENODEV)".
std::string errno_text(int error);

}  // namespace tapstack::tapdev
