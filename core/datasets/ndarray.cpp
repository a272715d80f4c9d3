#include "core/datasets/ndarray.h"

#include <cstring>
#include <limits>

#include "core/error.h"

namespace marius {

int64_t NdArray::elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

int64_t NdArray::item_bytes() const {
  return is_plain_descr(descr) ? descr[2] - '0' : 0;
}

int64_t checked_elements(const std::vector<int64_t>& shape, int64_t limit) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return -1;
    if (d != 0 && n > limit / d) return -1;
    n *= d;
  }
  return n;
}

bool is_plain_descr(const std::string& descr) {
  if (descr.size() != 3 || (descr[0] != '<' && descr[0] != '|')) return false;
  char type = descr[1], size = descr[2];
  if (type == 'b' || type == 'u' || type == 'i') return size == '1' || size == '2' || size == '4' || size == '8';
  if (type == 'f') return size == '2' || size == '4' || size == '8';
  return false;
}

int64_t element_as_int(const char* p, const std::string& descr, const std::string& where) {
  char type = descr.size() > 1 ? descr[1] : '?';
  int64_t size = descr.size() == 3 ? descr[2] - '0' : 0;
  auto load = [&](auto sample) {
    decltype(sample) v;
    std::memcpy(&v, p, sizeof v);
    return v;
  };
  if (type == 'i' && size == 8) return load(int64_t{});
  if (type == 'i' && size == 4) return load(int32_t{});
  if (type == 'i' && size == 2) return load(int16_t{});
  if (type == 'i' && size == 1) return load(int8_t{});
  if (type == 'u' && size == 8) {
    uint64_t v = load(uint64_t{});
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: holds {}, beyond int64", where, v);
    }
    return static_cast<int64_t>(v);
  }
  if (type == 'u' && size == 4) return load(uint32_t{});
  if (type == 'u' && size == 2) return load(uint16_t{});
  if ((type == 'u' || type == 'b') && size == 1) return load(uint8_t{});
  if (type == 'f' && (size == 4 || size == 8)) {
    double d = element_as_double(p, descr, where);
    if (!(d >= -9.2e18 && d <= 9.2e18) || d != static_cast<double>(static_cast<int64_t>(d))) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: holds {} where an integer is expected", where, d);
    }
    return static_cast<int64_t>(d);
  }
  fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: an array of {} where integers are expected", where, descr);
}

double element_as_double(const char* p, const std::string& descr, const std::string& where) {
  if (descr == "<f8") {
    double v;
    std::memcpy(&v, p, 8);
    return v;
  }
  if (descr == "<f4") {
    float v;
    std::memcpy(&v, p, 4);
    return v;
  }
  if (descr.size() == 3 && (descr[1] == 'i' || descr[1] == 'u' || descr[1] == 'b')) {
    return static_cast<double>(element_as_int(p, descr, where));
  }
  fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: an array of {} where numbers are expected", where, descr);
}

int64_t NdArray::int_at(int64_t i, const std::string& where) const {
  int64_t size = item_bytes();
  if (size == 0 || i < 0 || (i + 1) * size > static_cast<int64_t>(data.size())) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: element {} of an array of {} bytes ({})", where, i, data.size(), descr);
  }
  return element_as_int(data.data() + i * size, descr, where);
}

double NdArray::float_at(int64_t i, const std::string& where) const {
  int64_t size = item_bytes();
  if (size == 0 || i < 0 || (i + 1) * size > static_cast<int64_t>(data.size())) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: element {} of an array of {} bytes ({})", where, i, data.size(), descr);
  }
  return element_as_double(data.data() + i * size, descr, where);
}

}  // namespace marius
