#include "core/plugin/elf_check.h"

#include <elf.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <vector>

#include "core/error.h"

namespace marius {

namespace {

#if UINTPTR_MAX == 0xffffffffffffffffULL
using Ehdr = Elf64_Ehdr;
using Phdr = Elf64_Phdr;
constexpr unsigned char kHostClass = ELFCLASS64;
#else
using Ehdr = Elf32_Ehdr;
using Phdr = Elf32_Phdr;
constexpr unsigned char kHostClass = ELFCLASS32;
#endif

#if defined(__x86_64__)
constexpr uint16_t kHostMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr uint16_t kHostMachine = EM_AARCH64;
#elif defined(__i386__)
constexpr uint16_t kHostMachine = EM_386;
#elif defined(__powerpc64__)
constexpr uint16_t kHostMachine = EM_PPC64;
#elif defined(__riscv)
constexpr uint16_t kHostMachine = EM_RISCV;
#else
constexpr uint16_t kHostMachine = EM_NONE;  // unknown host: the machine is not checked
#endif

constexpr unsigned char kHostData =
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB;

const char* class_name(unsigned char c) {
  return c == ELFCLASS64 ? "64-bit" : c == ELFCLASS32 ? "32-bit" : "of unknown class";
}

// Whether [offset, offset + count * entry) lies inside a file of `size` bytes,
// without overflowing.
bool inside(uint64_t offset, uint64_t count, uint64_t entry, uint64_t size) {
  if (offset > size) return false;
  if (entry != 0 && count > (size - offset) / entry) return false;
  return true;
}

}  // namespace

void check_loadable_elf(const std::string& path, const std::string& label) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(MARIUS_ERR_NOT_FOUND, "{}: cannot open library {}: {}", label, path, std::strerror(errno));
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);

  auto refuse = [&](const std::string& why) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: library {} ({} bytes) cannot be loaded: {}", label, path, file_size, why);
  };

  unsigned char ident[EI_NIDENT] = {};
  if (file_size < EI_NIDENT || !in.read(reinterpret_cast<char*>(ident), EI_NIDENT)) {
    refuse("too short for an ELF header");
  }
  if (std::memcmp(ident, ELFMAG, SELFMAG) != 0) refuse("not an ELF file (bad magic)");
  if (ident[EI_CLASS] != kHostClass) {
    refuse(fmt::format("it is {}, this process is {}", class_name(ident[EI_CLASS]), class_name(kHostClass)));
  }
  if (ident[EI_DATA] != kHostData) refuse("its byte order differs from this host's");
  if (file_size < sizeof(Ehdr)) {
    refuse(fmt::format("truncated: the ELF header needs {} bytes", sizeof(Ehdr)));
  }
  Ehdr header{};
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(&header), sizeof header)) refuse("cannot read the ELF header");
  if (header.e_type != ET_DYN) refuse(fmt::format("ELF type {} is not a shared object (ET_DYN)", header.e_type));
  if (kHostMachine != EM_NONE && header.e_machine != kHostMachine) {
    refuse(fmt::format("built for ELF machine {}, this host is machine {}", header.e_machine, kHostMachine));
  }
  if (header.e_phnum == 0) refuse("it has no program headers");
  if (header.e_phentsize != sizeof(Phdr)) {
    refuse(fmt::format("program header entries of {} bytes, expected {}", header.e_phentsize, sizeof(Phdr)));
  }
  if (!inside(header.e_phoff, header.e_phnum, header.e_phentsize, file_size)) {
    refuse(fmt::format("truncated: the program header table ends at byte {}",
                       header.e_phoff + uint64_t{header.e_phnum} * header.e_phentsize));
  }
  std::vector<Phdr> segments(header.e_phnum);
  in.seekg(static_cast<std::streamoff>(header.e_phoff));
  if (!in.read(reinterpret_cast<char*>(segments.data()),
               static_cast<std::streamsize>(segments.size() * sizeof(Phdr)))) {
    refuse("cannot read the program header table");
  }
  for (size_t i = 0; i < segments.size(); ++i) {
    const Phdr& s = segments[i];
    if (s.p_type != PT_LOAD) continue;
    if (!inside(s.p_offset, 1, s.p_filesz, file_size)) {
      refuse(fmt::format("truncated: loadable segment {} ends at byte {}", i, uint64_t{s.p_offset} + s.p_filesz));
    }
  }
  if (header.e_shoff != 0 && !inside(header.e_shoff, header.e_shnum, header.e_shentsize, file_size)) {
    refuse(fmt::format("truncated: the section header table ends at byte {}",
                       header.e_shoff + uint64_t{header.e_shnum} * header.e_shentsize));
  }
}

}  // namespace marius
