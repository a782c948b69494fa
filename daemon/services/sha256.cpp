#include "daemon/services/sha256.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdlib>

namespace tapstack::daemon::services {

void Sha256::FreeContext::operator()(EVP_MD_CTX* context) const {
  EVP_MD_CTX_free(context);
}

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  if (!context_) std::abort();
  restart();
}

void Sha256::restart() {
  // EVP_sha256 is built into libcrypto; DigestInit fails only without memory.
  if (EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr) != 1) std::abort();
}

void Sha256::update(std::span<const std::byte> data) {
  if (data.empty()) return;
  if (EVP_DigestUpdate(context_.get(), data.data(), data.size()) != 1) std::abort();
}

std::string Sha256::finish_hex() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(context_.get(), digest.data(), &size) != 1) std::abort();
  constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(std::size_t{size} * 2);
  for (unsigned int i = 0; i < size; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0x0f];
  }
  restart();
  return hex;
}

}  // namespace tapstack::daemon::services
