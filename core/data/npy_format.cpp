#include "core/data/npy_format.h"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>

#include "core/error.h"

namespace marius {

std::string npy_header(int64_t rows, int64_t cols, size_t min_bytes) {
  std::string dict = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}", rows, cols);
  // Magic (6) + version (2) + length (2) + dict + '\n', padded to 64 bytes.
  size_t total = 10 + dict.size() + 1;
  size_t padded = (total + 63) / 64 * 64;
  while (padded < min_bytes) padded += 64;
  dict.append(padded - total, ' ');
  dict += '\n';
  std::string header("\x93NUMPY\x01\x00", 8);
  uint16_t length = static_cast<uint16_t>(dict.size());
  header.append(reinterpret_cast<const char*>(&length), 2);
  return header + dict;
}

NpyHeader read_npy_header(BinaryReader& in) {
  const std::string file = in.path().string();
  char magic[10];
  if (in.size() < 10) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: not a .npy file", file);
  in.read(magic, 10);
  if (std::memcmp(magic, "\x93NUMPY", 6) != 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: not a .npy file", file);
  uint64_t header_len = static_cast<unsigned char>(magic[8]) | (static_cast<uint64_t>(static_cast<unsigned char>(magic[9])) << 8);
  uint64_t offset = 10;
  if (magic[6] >= 2) {
    unsigned char more[2];
    if (in.size() < 12) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: not a .npy file", file);
    in.read(more, 2);
    header_len |= (static_cast<uint64_t>(more[0]) << 16) | (static_cast<uint64_t>(more[1]) << 24);
    offset = 12;
  }
  if (header_len > in.size() - offset) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: the header runs past the end of the file", file);
  std::string header(header_len, '\0');
  in.read(header.data(), header_len);
  auto field = [&](const char* key) {
    size_t at = header.find(fmt::format("'{}':", key));
    if (at == std::string::npos) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: no '{}' in the header ({})", file, key, header);
    return header.substr(at + std::strlen(key) + 3);
  };
  NpyHeader h;
  h.data_offset = offset + header_len;
  std::string descr = field("descr");
  size_t q1 = descr.find('\''), q2 = q1 == std::string::npos ? q1 : descr.find('\'', q1 + 1);
  if (q2 == std::string::npos) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a malformed 'descr' ({})", file, header);
  h.descr = descr.substr(q1 + 1, q2 - q1 - 1);
  if (field("fortran_order").find("False") > 1) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: Fortran-order arrays are not read", file);
  std::string shape = field("shape");
  size_t open = shape.find('('), close = shape.find(')');
  if (open == std::string::npos || close == std::string::npos || close < open) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a malformed 'shape' ({})", file, header);
  }
  std::string dims = shape.substr(open + 1, close - open - 1);
  for (size_t pos = 0; pos <= dims.size();) {
    size_t comma = dims.find(',', pos);
    std::string item = dims.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (item.find_first_not_of(' ') != std::string::npos) {
      char* end = nullptr;
      long long d = std::strtoll(item.c_str(), &end, 10);
      if (end == item.c_str() || d < 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a malformed 'shape' ({})", file, header);
      h.shape.push_back(d);
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return h;
}

}  // namespace marius
