// core/plugin/elf_check.h - refuse a plugin library that cannot be mapped safely.
//
// dlopen maps a shared object's loadable segments straight from the file; a
// segment that reaches past the end of a truncated file is mapped anyway, and the
// first touch of the missing pages kills the process with SIGBUS inside the
// dynamic loader. check_loadable_elf reads the headers with ordinary reads first
// and refuses such a file with an error instead.
#pragma once

#include <string>

namespace marius {

// Checks that `path` is an ELF shared object this process can load: the ELF
// magic, this host's class (32/64-bit), byte order and machine, type ET_DYN, and
// that the program header table, every PT_LOAD segment's file bytes and the
// section header table lie inside the file. Throws Error(INVALID_ARGUMENT) whose
// message starts with `label` and names the path, the table or segment, the size
// it needs and the file's size; NOT_FOUND when the file cannot be opened.
void check_loadable_elf(const std::string& path, const std::string& label);

}  // namespace marius
