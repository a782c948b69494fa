// SHA-256 (FIPS 180-4) over a stream, through OpenSSL's libcrypto EVP interface, for the HTTP
// POST /sink answer.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <span>
#include <string>

namespace tapstack::daemon::services {

class Sha256 {
 public:
  // Starts a fresh digest. Aborts if libcrypto cannot allocate one (out of memory).
  Sha256();
  void update(std::span<const std::byte> data);
  // The digest of everything updated so far as 64 lowercase hex digits; then starts afresh.
  std::string finish_hex();

 private:
  struct FreeContext {
    void operator()(EVP_MD_CTX* context) const;
  };
  void restart();
  std::unique_ptr<EVP_MD_CTX, FreeContext> context_;
};

}  // namespace tapstack::daemon::services
