// core/datasets/sha256.h - the SHA-256 of a file, as registries publish it.
#pragma once

#include <filesystem>
#include <string>

namespace marius {

// The lowercase hex SHA-256 of the file's bytes (OpenSSL's EVP digest, read in
// 1 MiB blocks). Throws Error(NOT_FOUND) for a missing file, Error(IO) naming
// the file when it cannot be read.
std::string sha256_file(const std::filesystem::path& file);

// git's object id of the file's bytes: the hex SHA-1 of "blob SIZE\0" and the
// bytes, what `git hash-object FILE` prints. Identifies a file pinned in a git
// repository (registry entries whose SHA-256 could not be computed). Errors as
// sha256_file.
std::string git_blob_id_file(const std::filesystem::path& file);

// True for 64 hex digits (either case).
bool is_sha256_hex(const std::string& text);

}  // namespace marius
