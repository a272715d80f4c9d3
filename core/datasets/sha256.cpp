#include "core/datasets/sha256.h"

#include <openssl/evp.h>

#include <cctype>
#include <fstream>
#include <memory>
#include <vector>

#include "core/error.h"

namespace marius {

namespace fs = std::filesystem;

namespace {

std::string hex_digest(const fs::path& file, const EVP_MD* md, const std::string& prefix) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    if (!fs::exists(file)) fail(MARIUS_ERR_NOT_FOUND, "{}: no such file", file.string());
    fail(MARIUS_ERR_IO, "{}: cannot be opened for reading", file.string());
  }
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) {
    fail(MARIUS_ERR_INTERNAL, "OpenSSL could not start a digest");
  }
  EVP_DigestUpdate(ctx.get(), prefix.data(), prefix.size());
  std::vector<char> block(1 << 20);
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    std::streamsize got = in.gcount();
    if (got > 0) EVP_DigestUpdate(ctx.get(), block.data(), static_cast<size_t>(got));
  }
  if (in.bad()) fail(MARIUS_ERR_IO, "{}: read error while computing its SHA-256", file.string());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

}  // namespace

std::string sha256_file(const fs::path& file) { return hex_digest(file, EVP_sha256(), ""); }

std::string git_blob_id_file(const fs::path& file) {
  std::error_code ec;
  uintmax_t size = fs::file_size(file, ec);
  if (ec) fail(fs::exists(file) ? MARIUS_ERR_IO : MARIUS_ERR_NOT_FOUND, "{}: {}", file.string(), ec.message());
  std::string prefix = "blob " + std::to_string(size);
  prefix += '\0';
  return hex_digest(file, EVP_sha1(), prefix);
}

bool is_sha256_hex(const std::string& text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace marius
