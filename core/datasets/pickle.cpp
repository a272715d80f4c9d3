#include "core/datasets/pickle.h"

#include <cctype>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <unordered_map>

#include "core/datasets/archive.h"
#include "core/error.h"

namespace marius {

namespace fs = std::filesystem;

namespace {

// The globals a dataset pickle may name, and what each becomes.
enum class Global {
  kReconstruct,      // numpy.core.multiarray._reconstruct(ndarray, shape, dtype) -> an empty array
  kNdarray,          // numpy.ndarray (an argument of _reconstruct)
  kDtype,            // numpy.dtype(code, align, copy)
  kScalar,           // numpy.core.multiarray.scalar(dtype, bytes)
  kCodecsEncode,     // _codecs.encode(str, "latin1"): how Python 3 pickles bytes at protocol 2
  kReconstructor,    // copy_reg._reconstructor(cls, base, state) -> an object of cls
  kDefaultDict,      // collections.defaultdict(factory) -> a dict
  kOrderedDict,      // collections.OrderedDict() -> a dict
  kBuiltinType,      // object, list, dict, set: a class argument
  kRebuildTensor,    // torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)
  kStorageType,      // torch.LongStorage and friends (in persistent ids)
  kClass,            // a class whose instances are records (scipy's sparse matrices)
};

const std::unordered_map<std::string, Global>& known_globals() {
  static const std::unordered_map<std::string, Global> globals = {
      {"numpy.core.multiarray._reconstruct", Global::kReconstruct},
      {"numpy._core.multiarray._reconstruct", Global::kReconstruct},
      {"numpy.ndarray", Global::kNdarray},
      {"numpy.dtype", Global::kDtype},
      {"numpy.core.multiarray.scalar", Global::kScalar},
      {"numpy._core.multiarray.scalar", Global::kScalar},
      {"_codecs.encode", Global::kCodecsEncode},
      {"copy_reg._reconstructor", Global::kReconstructor},
      {"copyreg._reconstructor", Global::kReconstructor},
      {"collections.defaultdict", Global::kDefaultDict},
      {"collections.OrderedDict", Global::kOrderedDict},
      {"__builtin__.object", Global::kBuiltinType},
      {"builtins.object", Global::kBuiltinType},
      {"__builtin__.list", Global::kBuiltinType},
      {"builtins.list", Global::kBuiltinType},
      {"__builtin__.set", Global::kBuiltinType},
      {"builtins.set", Global::kBuiltinType},
      {"torch._utils._rebuild_tensor_v2", Global::kRebuildTensor},
      {"torch.LongStorage", Global::kStorageType},
      {"torch.IntStorage", Global::kStorageType},
      {"torch.FloatStorage", Global::kStorageType},
      {"torch.DoubleStorage", Global::kStorageType},
      {"torch.BoolStorage", Global::kStorageType},
      {"torch.ByteStorage", Global::kStorageType},
      {"torch.HalfStorage", Global::kStorageType},
      {"scipy.sparse.csr.csr_matrix", Global::kClass},
      {"scipy.sparse._csr.csr_matrix", Global::kClass},
  };
  return globals;
}

std::string storage_descr(const std::string& storage) {
  if (storage == "torch.LongStorage") return "<i8";
  if (storage == "torch.IntStorage") return "<i4";
  if (storage == "torch.FloatStorage") return "<f4";
  if (storage == "torch.DoubleStorage") return "<f8";
  if (storage == "torch.BoolStorage") return "|b1";
  if (storage == "torch.ByteStorage") return "|u1";
  if (storage == "torch.HalfStorage") return "<f2";
  return "";
}

// numpy's dtype(code) to a descr: "i8" -> "<i8", "<f4" stays, "b1" -> "|b1".
std::string descr_of(const std::string& code) {
  if (code.empty()) return code;
  if (code[0] == '<' || code[0] == '|' || code[0] == '>' || code[0] == '=') return code;
  if (code == "b1" || code == "u1" || code == "i1" || code == "?") return "|" + (code == "?" ? std::string("b1") : code);
  return "<" + code;
}

// UTF-8 text of code points below 256 to the bytes they stand for (latin-1).
std::string latin1_bytes(const std::string& utf8, const std::string& where) {
  std::string out;
  out.reserve(utf8.size());
  for (size_t i = 0; i < utf8.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if ((c & 0xE0) == 0xC0 && i + 1 < utf8.size()) {
      unsigned cp = ((c & 0x1F) << 6) | (static_cast<unsigned char>(utf8[++i]) & 0x3F);
      if (cp > 0xFF) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a latin-1 string holds code point {}", where, cp);
      out += static_cast<char>(cp);
    } else {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a latin-1 string holds a character above U+00FF", where);
    }
  }
  return out;
}

using Arena = std::vector<std::unique_ptr<PyValue>>;

class Machine {
 public:
  using PersistentLoad = std::function<PyValue*(const PyValue&, Machine&)>;
  Machine(std::string_view bytes, std::string where, PersistentLoad persistent, Arena& arena)
      : bytes_(bytes), where_(std::move(where)), persistent_(std::move(persistent)), arena_(arena) {}

  // Runs to STOP and returns the pickle's value.
  PyValue* run();
  size_t position() const { return pos_; }

  PyValue* make(PyValue::Kind kind) {
    arena_.push_back(std::make_unique<PyValue>());
    arena_.back()->kind = kind;
    return arena_.back().get();
  }
  PyValue* make_int(int64_t i) {
    PyValue* v = make(PyValue::Kind::kInt);
    v->integer = i;
    return v;
  }
  PyValue* make_text(PyValue::Kind kind, std::string text) {
    PyValue* v = make(kind);
    v->text = std::move(text);
    return v;
  }

 private:
  [[noreturn]] void bad(const std::string& reason) const {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: byte {}: {}", where_, op_pos_, reason);
  }
  std::string_view take(size_t n) {
    if (n > bytes_.size() - pos_) bad("the pickle ends in the middle of an instruction");
    std::string_view s = bytes_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  uint64_t uint_le(size_t n) {
    std::string_view s = take(n);
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(s[i])) << (8 * i);
    return v;
  }
  std::string line() {
    size_t end = bytes_.find('\n', pos_);
    if (end == std::string_view::npos) bad("a text instruction has no line end");
    std::string s(bytes_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }
  PyValue* pop() {
    if (stack_.empty()) bad("the stack is empty");
    PyValue* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  PyValue*& top() {
    if (stack_.empty()) bad("the stack is empty");
    return stack_.back();
  }
  std::vector<PyValue*> pop_mark() {
    if (marks_.empty()) bad("no mark");
    size_t mark = marks_.back();
    marks_.pop_back();
    if (mark > stack_.size()) bad("the stack shrank below a mark");
    std::vector<PyValue*> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }
  PyValue* memo_get(uint64_t key) {
    auto it = memo_.find(key);
    if (it == memo_.end()) bad("memo key " + std::to_string(key) + " was never stored");
    return it->second;
  }
  PyValue* step(unsigned char op);  // one instruction; the result at STOP, else nullptr
  std::string unescape_repr(const std::string& body) const;
  PyValue* sequence_from_mark(PyValue::Kind kind) {  // a list or tuple of the items above the last mark
    PyValue* v = make(kind);
    auto items = pop_mark();
    v->items.assign(items.begin(), items.end());
    return v;
  }
  PyValue* global(const std::string& module, const std::string& name);
  PyValue* call(PyValue* callable, PyValue* args);
  void build(PyValue* target, PyValue* state);
  void set_items(PyValue* dict, const std::vector<PyValue*>& flat);

  std::string_view bytes_;
  std::string where_;
  PersistentLoad persistent_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  std::vector<PyValue*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PyValue*> memo_;
  Arena& arena_;
};

PyValue* Machine::global(const std::string& module, const std::string& name) {
  std::string full = module + "." + name;
  if (known_globals().count(full) == 0) {
    bad("refers to " + full + ", which a dataset file has no reason to (only numpy arrays, scipy sparse matrices, "
        "torch tensors and plain values are read)");
  }
  return make_text(PyValue::Kind::kGlobal, full);
}

// The bytes a Python 2 repr's body stands for: \\ \' \" \n \t \r \a \b \f \v,
// \xHH and octal \ooo escapes; anything else after a backslash is an error.
std::string Machine::unescape_repr(const std::string& body) const {
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\\') {
      out += body[i];
      continue;
    }
    if (++i == body.size()) bad("a STRING ends in a backslash");
    char e = body[i];
    switch (e) {
      case '\\': case '\'': case '"': out += e; break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case 'x':
        if (i + 2 >= body.size() || !hex(body[i + 1]) || !hex(body[i + 2])) bad("a STRING with a malformed \\x escape");
        out += static_cast<char>(std::stoi(body.substr(i + 1, 2), nullptr, 16));
        i += 2;
        break;
      default: {
        if (e < '0' || e > '7') bad(std::string("a STRING with an unknown escape \\") + e);
        int value = 0, digits = 0;
        while (digits < 3 && i < body.size() && body[i] >= '0' && body[i] <= '7') {
          value = value * 8 + (body[i] - '0');
          ++i;
          ++digits;
        }
        --i;
        out += static_cast<char>(value & 0xff);
      }
    }
  }
  return out;
}

void Machine::set_items(PyValue* dict, const std::vector<PyValue*>& flat) {
  if (dict->kind != PyValue::Kind::kDict) bad(std::string("SETITEMS on a ") + dict->kind_name());
  if (flat.size() % 2 != 0) bad("SETITEMS with an odd number of items");
  for (size_t i = 0; i < flat.size(); i += 2) {
    bool replaced = false;
    for (auto& entry : dict->entries) {
      const PyValue& k = *entry.first;
      const PyValue& n = *flat[i];
      if (k.kind == n.kind && k.integer == n.integer && k.text == n.text &&
          (k.kind == PyValue::Kind::kInt || k.kind == PyValue::Kind::kStr || k.kind == PyValue::Kind::kBytes)) {
        entry.second = flat[i + 1];
        replaced = true;
        break;
      }
    }
    if (!replaced) dict->entries.emplace_back(flat[i], flat[i + 1]);
  }
}

PyValue* Machine::call(PyValue* callable, PyValue* args) {
  if (callable->kind != PyValue::Kind::kGlobal) bad(std::string("calls a ") + callable->kind_name());
  if (args->kind != PyValue::Kind::kTuple) bad("a call's arguments are not a tuple");
  const auto& a = args->items;
  switch (known_globals().at(callable->text)) {
    case Global::kReconstruct: {
      auto v = make(PyValue::Kind::kArray);
      v->array.descr = "|u1";
      v->array.shape = {0};  // no elements until BUILD gives its state
      return v;
    }
    case Global::kDtype: {
      if (a.empty() || a[0]->kind != PyValue::Kind::kStr) bad("numpy.dtype without a type code");
      std::string descr = descr_of(a[0]->text);
      if (!is_plain_descr(descr)) bad("numpy dtype '" + a[0]->text + "': only integers, floats and booleans are read");
      return make_text(PyValue::Kind::kDtype, descr);
    }
    case Global::kScalar: {
      if (a.size() != 2 || a[0]->kind != PyValue::Kind::kDtype) bad("numpy scalar without its dtype");
      NdArray one;
      one.descr = a[0]->text;
      one.data = a[1]->text;
      if (one.item_bytes() != static_cast<int64_t>(one.data.size())) bad("numpy scalar of the wrong size");
      if (one.descr[1] == 'f') {
        auto v = make(PyValue::Kind::kFloat);
        v->number = one.float_at(0, where_);
        return v;
      }
      return make_int(one.int_at(0, where_));
    }
    case Global::kCodecsEncode: {
      if (a.empty() || a[0]->kind != PyValue::Kind::kStr) bad("_codecs.encode without a string");
      return make_text(PyValue::Kind::kBytes, latin1_bytes(a[0]->text, where_));
    }
    case Global::kReconstructor: {
      if (a.empty() || a[0]->kind != PyValue::Kind::kGlobal) bad("copy_reg._reconstructor without a class");
      return make_text(PyValue::Kind::kObject, a[0]->text);
    }
    case Global::kDefaultDict:
    case Global::kOrderedDict:
      return make(PyValue::Kind::kDict);
    case Global::kRebuildTensor: {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks)
      if (a.size() < 4 || a[0]->kind != PyValue::Kind::kArray || a[2]->kind != PyValue::Kind::kTuple) {
        bad("torch._utils._rebuild_tensor_v2 with unexpected arguments");
      }
      const NdArray& storage = a[0]->array;
      if (a[3]->kind != PyValue::Kind::kTuple || a[3]->items.size() != a[2]->items.size()) {
        bad("a tensor whose strides do not match its shape");
      }
      auto v = make(PyValue::Kind::kArray);
      v->array.descr = storage.descr;
      for (const auto* d : a[2]->items) v->array.shape.push_back(d->integer);
      int64_t count = checked_elements(v->array.shape, static_cast<int64_t>(storage.data.size()));
      if (count < 0) bad("a tensor larger than its storage, or of a negative size");
      // Only contiguous tensors (what torch.save of a fresh tensor writes).
      int64_t expected = 1;
      for (size_t i = a[3]->items.size(); count > 0 && i-- > 0;) {
        if (v->array.shape[i] > 1 && a[3]->items[i]->integer != expected) bad("a non-contiguous tensor");
        expected *= std::max<int64_t>(v->array.shape[i], 1);
      }
      int64_t offset = a[1]->integer;
      int64_t item = storage.item_bytes();
      int64_t stored = static_cast<int64_t>(storage.data.size()) / std::max<int64_t>(item, 1);
      if (offset < 0 || offset > stored || count > stored - offset) bad("a tensor beyond its storage");
      offset *= item;
      int64_t bytes = count * item;
      v->array.data = storage.data.substr(static_cast<size_t>(offset), static_cast<size_t>(bytes));
      return v;
    }
    default:
      bad("calls " + callable->text + ", which builds nothing a dataset needs");
  }
}

void Machine::build(PyValue* target, PyValue* state) {
  if (target->kind == PyValue::Kind::kArray) {
    // (version, shape, dtype, is_fortran, raw data)
    const auto& s = state->items;
    if (state->kind != PyValue::Kind::kTuple || s.size() != 5 || s[2]->kind != PyValue::Kind::kDtype) {
      bad("a numpy array's state is not (version, shape, dtype, is_fortran, data)");
    }
    NdArray& array = target->array;
    array.descr = s[2]->text;
    array.shape.clear();
    for (const auto* d : s[1]->items) array.shape.push_back(d->integer);
    if (checked_elements(array.shape, std::numeric_limits<int64_t>::max() / 8) < 0) bad("a numpy array of an impossible shape");
    if (s[3]->integer != 0 && array.shape.size() > 1) bad("a Fortran-ordered numpy array (not supported)");
    if (s[4]->kind == PyValue::Kind::kBytes || s[4]->kind == PyValue::Kind::kStr) {
      array.data = s[4]->text;
    } else if (s[4]->kind == PyValue::Kind::kList) {
      bad("a numpy array of Python objects (dtype object)");
    } else {
      bad("a numpy array without raw data");
    }
    if (array.item_bytes() == 0 || static_cast<int64_t>(array.data.size()) != array.elements() * array.item_bytes()) {
      bad("a numpy array whose data does not match its shape");
    }
    return;
  }
  if (target->kind == PyValue::Kind::kDtype) {
    // (version, byte order, ...): keep the byte order.
    if (state->kind == PyValue::Kind::kTuple && state->items.size() > 1 &&
        state->items[1]->kind == PyValue::Kind::kStr && target->text.size() > 1) {
      const std::string& order = state->items[1]->text;
      if (order == ">") bad("a big-endian numpy array (not supported)");
      target->text[0] = order == "|" ? '|' : '<';
    }
    return;
  }
  if (target->kind == PyValue::Kind::kObject) {
    const PyValue* dict = state;
    if (state->kind == PyValue::Kind::kTuple && state->items.size() == 2) dict = state->items[0];  // (dict, slots)
    if (dict->kind == PyValue::Kind::kDict) {
      auto entries = dict->entries;  // a copy: the state may be the object itself
      target->entries.insert(target->entries.end(), entries.begin(), entries.end());
    } else {
      target->state = state;
    }
    return;
  }
  if (target->kind == PyValue::Kind::kDict && state->kind == PyValue::Kind::kDict) {
    auto entries = state->entries;  // a copy: the state may be the dict itself
    target->entries.insert(target->entries.end(), entries.begin(), entries.end());
    return;
  }
  bad(std::string("BUILD on a ") + target->kind_name());
}

PyValue* Machine::run() {
  using K = PyValue::Kind;
  for (;;) {
    op_pos_ = pos_;
    unsigned char op = static_cast<unsigned char>(take(1)[0]);
    try {
      if (PyValue* result = step(op)) return result;
    } catch (const std::logic_error& e) {  // std::stoll and friends on a malformed text instruction
      bad(std::string("a malformed number: ") + e.what());
    }
  }
}

PyValue* Machine::step(unsigned char op) {
  using K = PyValue::Kind;
  {
    switch (op) {
      case 0x80: take(1); break;                   // PROTO
      case 0x95: take(8); break;                   // FRAME
      case '.': return pop();                      // STOP: the result
      case '(': marks_.push_back(stack_.size()); break;
      case '0': pop(); break;
      case '1': pop_mark(); break;
      case '2': stack_.push_back(top()); break;
      case 'N': stack_.push_back(make(K::kNone)); break;
      case 0x88: case 0x89: {
        auto v = make(K::kBool);
        v->integer = op == 0x88;
        stack_.push_back(v);
        break;
      }
      case 'J': stack_.push_back(make_int(static_cast<int32_t>(uint_le(4)))); break;
      case 'K': stack_.push_back(make_int(static_cast<int64_t>(uint_le(1)))); break;
      case 'M': stack_.push_back(make_int(static_cast<int64_t>(uint_le(2)))); break;
      case 0x8a: case 0x8b: {                      // LONG1, LONG4: little-endian two's complement
        uint64_t n = op == 0x8a ? uint_le(1) : uint_le(4);
        if (n > 8) bad("an integer beyond 64 bits");
        std::string_view s = take(n);
        uint64_t v = 0;
        for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(s[i])) << (8 * i);
        if (n > 0 && n < 8 && (static_cast<unsigned char>(s[n - 1]) & 0x80)) v |= ~uint64_t{0} << (8 * n);
        stack_.push_back(make_int(static_cast<int64_t>(v)));
        break;
      }
      case 'I': case 'L': {                        // INT, LONG (text)
        std::string t = line();
        if (!t.empty() && t.back() == 'L') t.pop_back();
        if (t == "01" || t == "00") {
          auto v = make(K::kBool);
          v->integer = t == "01";
          stack_.push_back(v);
        } else {
          try {
            stack_.push_back(make_int(std::stoll(t)));
          } catch (const std::exception&) {
            bad("a malformed integer \"" + t + "\"");
          }
        }
        break;
      }
      case 'G': {
        uint64_t bits = 0;
        std::string_view s = take(8);
        for (size_t i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<unsigned char>(s[i]);  // big-endian
        auto v = make(K::kFloat);
        std::memcpy(&v->number, &bits, 8);
        stack_.push_back(v);
        break;
      }
      case 'F': {
        auto v = make(K::kFloat);
        v->number = std::stod(line());
        stack_.push_back(v);
        break;
      }
      case 'T': stack_.push_back(make_text(K::kStr, std::string(take(uint_le(4))))); break;   // BINSTRING (py2 str)
      case 'U': stack_.push_back(make_text(K::kStr, std::string(take(uint_le(1))))); break;   // SHORT_BINSTRING
      case 'X': stack_.push_back(make_text(K::kStr, std::string(take(uint_le(4))))); break;   // BINUNICODE
      case 0x8c: stack_.push_back(make_text(K::kStr, std::string(take(uint_le(1))))); break;  // SHORT_BINUNICODE
      case 0x8d: stack_.push_back(make_text(K::kStr, std::string(take(uint_le(8))))); break;  // BINUNICODE8
      case 'B': stack_.push_back(make_text(K::kBytes, std::string(take(uint_le(4))))); break;
      case 'C': stack_.push_back(make_text(K::kBytes, std::string(take(uint_le(1))))); break;
      case 0x8e: stack_.push_back(make_text(K::kBytes, std::string(take(uint_le(8))))); break;
      case 'S': {                                  // STRING: Python 2's repr of a str
        std::string t = line();
        if (t.size() < 2 || (t[0] != '\'' && t[0] != '"') || t.back() != t[0]) bad("a malformed STRING");
        stack_.push_back(make_text(K::kStr, unescape_repr(t.substr(1, t.size() - 2))));
        break;
      }
      case 'V': stack_.push_back(make_text(K::kStr, line())); break;
      case ']': stack_.push_back(make(K::kList)); break;
      case 'l': {
        stack_.push_back(sequence_from_mark(K::kList));
        break;
      }
      case 'a': {
        PyValue* item = pop();
        if (top()->kind != K::kList) bad("APPEND to a non-list");
        top()->items.push_back(item);
        break;
      }
      case 'e': {
        auto items = pop_mark();
        if (top()->kind != K::kList && top()->kind != K::kObject) bad("APPENDS to a non-list");
        for (auto& i : items) top()->items.push_back(i);
        break;
      }
      case ')': stack_.push_back(make(K::kTuple)); break;
      case 't': {
        stack_.push_back(sequence_from_mark(K::kTuple));
        break;
      }
      case 0x85: case 0x86: case 0x87: {
        size_t n = op - 0x84;
        if (stack_.size() < n) bad("the stack is too short for a tuple");
        auto v = make(K::kTuple);
        v->items.assign(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
        stack_.resize(stack_.size() - n);
        stack_.push_back(v);
        break;
      }
      case '}': stack_.push_back(make(K::kDict)); break;
      case 'd': {
        auto v = make(K::kDict);
        set_items(v, pop_mark());
        stack_.push_back(v);
        break;
      }
      case 's': {
        PyValue* value = pop();
        PyValue* key = pop();
        set_items(top(), {key, value});
        break;
      }
      case 'u': {
        auto items = pop_mark();
        set_items(top(), items);
        break;
      }
      case 0x8f: stack_.push_back(make(K::kList)); break;  // EMPTY_SET: a list will do
      case 0x90: {                                          // ADDITEMS
        auto items = pop_mark();
        for (auto& i : items) top()->items.push_back(i);
        break;
      }
      case 0x91: stack_.push_back(sequence_from_mark(K::kList)); break;  // FROZENSET
      case 'c': {
        std::string module = line();
        std::string name = line();
        stack_.push_back(global(module, name));
        break;
      }
      case 0x93: {
        PyValue* name = pop();
        PyValue* module = pop();
        stack_.push_back(global(module->text, name->text));
        break;
      }
      case 'R': {
        PyValue* args = pop();
        PyValue* callable = pop();
        stack_.push_back(call(callable, args));
        break;
      }
      case 0x81: {                                          // NEWOBJ: cls.__new__(cls, *args)
        pop();
        PyValue* cls = pop();
        if (cls->kind != K::kGlobal) bad("NEWOBJ without a class");
        if (cls->text == "collections.OrderedDict" || cls->text == "collections.defaultdict") {
          stack_.push_back(make(K::kDict));
        } else {
          stack_.push_back(make_text(K::kObject, cls->text));
        }
        break;
      }
      case 'b': {
        PyValue* state = pop();
        build(top(), state);
        break;
      }
      case 'Q': {
        PyValue* pid = pop();
        if (!persistent_) bad("holds a torch tensor outside a torch zip file (not supported)");
        stack_.push_back(persistent_(*pid, *this));
        break;
      }
      case 'q': memo_[uint_le(1)] = top(); break;
      case 'r': memo_[uint_le(4)] = top(); break;
      case 0x94: memo_[memo_.size()] = top(); break;
      case 'p': memo_[std::stoull(line())] = top(); break;
      case 'h': stack_.push_back(memo_get(uint_le(1))); break;
      case 'j': stack_.push_back(memo_get(uint_le(4))); break;
      case 'g': stack_.push_back(memo_get(std::stoull(line()))); break;
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        bad(std::string("unsupported pickle instruction ") + hex);
      }
    }
  }
  return nullptr;
}

std::string read_whole(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(fs::exists(file) ? MARIUS_ERR_IO : MARIUS_ERR_NOT_FOUND, "{}: cannot be read", file.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

const char* PyValue::kind_name() const {
  static const char* names[] = {"None", "bool", "int",    "float",  "str",   "bytes", "list",
                                "tuple", "dict", "global", "object", "array", "dtype"};
  return names[static_cast<int>(kind)];
}

const PyValue* PyValue::find(const std::string& key) const {
  for (const auto& e : entries) {
    if ((e.first->kind == Kind::kStr || e.first->kind == Kind::kBytes) && e.first->text == key) return e.second;
  }
  return nullptr;
}

const PyValue& PyValue::at(const std::string& key, const std::string& where) const {
  if (const PyValue* v = find(key)) return *v;
  std::string keys;
  for (const auto& e : entries) {
    if (!keys.empty()) keys += ", ";
    keys += e.first->kind == Kind::kInt ? std::to_string(e.first->integer) : e.first->text;
  }
  fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: no key '{}' (keys: {})", where, key, keys.empty() ? "none" : keys);
}

PyRef unpickle(std::string_view bytes, const std::string& where) {
  auto arena = std::make_shared<Arena>();
  const PyValue* v = Machine(bytes, where, nullptr, *arena).run();
  return PyRef(arena, v);
}

PyRef load_pickle_file(const fs::path& file) {
  std::string bytes = read_whole(file);
  return unpickle(bytes, file.string());
}

PyRef load_torch_file(const fs::path& file) {
  auto arena = std::make_shared<Arena>();
  std::string bytes = read_whole(file);
  if (bytes.size() >= 4 && bytes.compare(0, 4, "PK\x03\x04") == 0) {
    auto members = read_archive_members(file);
    std::string prefix;
    const std::string* pickle = nullptr;
    for (const auto& [name, data] : members) {
      if (name.size() >= 8 && name.compare(name.size() - 8, 8, "data.pkl") == 0) {
        prefix = name.substr(0, name.size() - 8);
        pickle = &data;
      }
    }
    if (pickle == nullptr) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a zip file without data.pkl is not a torch file", file.string());
    std::string where = file.string() + ":" + prefix + "data.pkl";
    auto load = [&](const PyValue& pid, Machine& machine) -> PyValue* {
      // ('storage', storage type, key, location, numel)
      if (pid.kind != PyValue::Kind::kTuple || pid.items.size() < 5 || pid.items[0]->text != "storage") {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a persistent id that is not a storage", where);
      }
      auto it = members.find(prefix + "data/" + pid.items[2]->text);
      if (it == members.end()) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: storage {} is missing", where, pid.items[2]->text);
      auto v = machine.make(PyValue::Kind::kArray);
      v->array.descr = storage_descr(pid.items[1]->text);
      v->array.shape = {pid.items[4]->integer};
      v->array.data = it->second;
      const int64_t item = v->array.item_bytes();
      if (item == 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a storage of type {} is not read", where, pid.items[1]->text);
      if (pid.items[4]->integer < 0 || pid.items[4]->integer > static_cast<int64_t>(it->second.size()) / item ||
          static_cast<int64_t>(it->second.size()) != pid.items[4]->integer * item) {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: storage {} holds {} bytes, not {} elements", where, pid.items[2]->text,
             it->second.size(), pid.items[4]->integer);
      }
      return v;
    };
    return PyRef(arena, Machine(*pickle, where, load, *arena).run());
  }
  // The legacy format: the magic number 0x1950a86a20f9469cfc6c (pickled as
  // an 80-bit LONG1), the protocol version, system information, then the object.
  // Without the magic number, a plain pickle of the object.
  static const char kMagic[] = "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.";
  size_t offset = 0;
  int skip = 0;
  if (bytes.compare(0, sizeof kMagic - 1, kMagic) == 0) {
    offset = sizeof kMagic - 1;
    skip = 2;
  }
  for (;;) {
    Machine m(std::string_view(bytes).substr(offset), file.string(), nullptr, *arena);
    const PyValue* value = m.run();
    offset += m.position();
    if (skip-- == 0) return PyRef(arena, value);
  }
}

NdArray as_array(const PyValue& value, const std::string& where) {
  if (value.kind == PyValue::Kind::kArray) return value.array;
  if (value.kind == PyValue::Kind::kList || value.kind == PyValue::Kind::kTuple) {
    NdArray a;
    bool floats = false;
    for (const auto& i : value.items) floats |= i->kind == PyValue::Kind::kFloat;
    a.descr = floats ? "<f8" : "<i8";
    a.shape = {static_cast<int64_t>(value.items.size())};
    for (const auto& i : value.items) {
      if (floats) {
        double d = i->kind == PyValue::Kind::kFloat ? i->number : static_cast<double>(i->integer);
        a.data.append(reinterpret_cast<const char*>(&d), 8);
      } else {
        if (i->kind != PyValue::Kind::kInt && i->kind != PyValue::Kind::kBool) {
          fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a list holding a {}, not numbers", where, i->kind_name());
        }
        a.data.append(reinterpret_cast<const char*>(&i->integer), 8);
      }
    }
    return a;
  }
  fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a {} where an array is expected", where, value.kind_name());
}

}  // namespace marius
