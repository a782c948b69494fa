// Test helpers: byte fixtures written as hex strings (as tcpdump -xx prints them).
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace tapstack::test {

inline std::vector<std::byte> hex(std::string_view text) {
  std::vector<std::byte> out;
  int high = -1;
  for (const char c : text) {
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v = c - 'A' + 10;
    else if (c == ' ' || c == '\n' || c == ':')
      continue;
    else
      throw std::invalid_argument("bad hex fixture");
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::byte>(high * 16 + v));
      high = -1;
    }
  }
  if (high >= 0) throw std::invalid_argument("odd hex fixture");
  return out;
}

}  // namespace tapstack::test
