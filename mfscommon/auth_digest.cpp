#include "mfscommon/auth_digest.h"

#include <openssl/evp.h>

namespace mfs {

std::array<uint8_t, 16> auth_digest(const std::array<uint8_t, 32>& random, std::string_view code) {
  std::array<uint8_t, 16> digest{};
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  EVP_DigestInit_ex(context, EVP_md5(), nullptr);
  EVP_DigestUpdate(context, random.data(), 16);
  EVP_DigestUpdate(context, code.data(), code.size());
  EVP_DigestUpdate(context, random.data() + 16, 16);
  unsigned int length = 0;
  EVP_DigestFinal_ex(context, digest.data(), &length);
  EVP_MD_CTX_free(context);
  return digest;
}

}  // namespace mfs
