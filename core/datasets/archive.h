// core/datasets/archive.h - unpacking the archives publishers ship.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

struct archive;  // libarchive's reader

namespace marius {

// True for the names extract_archive() unpacks: .zip, .tar, .tar.gz, .tgz,
// .tar.bz2, .tar.xz. A plain .gz (a SNAP edge list) is not an archive: the
// edge-list reader reads it as it is.
bool is_archive_name(const std::string& file_name);

// Unpacks every regular file of `archive` (libarchive: zip and tar with any
// compression) under `dir`, keeping the member paths, and returns how many it
// wrote. A member whose path is absolute or climbs out with "..", a link, or a
// device is refused, naming the archive and the member; a corrupt or truncated
// archive is Error(IO) naming it; a full disk Error(NO_SPACE).
int64_t extract_archive(const std::filesystem::path& archive, const std::filesystem::path& dir);

// Every regular file of `archive`, by member path, in memory: for small
// archives read whole (torch's zip files). Errors as extract_archive.
std::map<std::string, std::string> read_archive_members(const std::filesystem::path& archive);

// libarchive's message for the last error of `reader`, never null.
std::string archive_reason(::archive* reader);

}  // namespace marius
