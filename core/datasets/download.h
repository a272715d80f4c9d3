// core/datasets/download.h - one file over HTTP(S), FTP or file://, resumable.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>

namespace marius {

// Downloads `url` to `dest` through libcurl. The bytes go to DEST.part first; a
// .part left by an interrupted download is continued with a range request (a
// server that ignores the range sends the whole file, and the .part is started
// again), and only a complete transfer is renamed to `dest`. Redirects are
// followed; an HTTP error status, a connection that stalls for 60 s or a
// transfer shorter than announced is an error. Progress (KiB, KiB/s, ETA) goes
// to `progress_out` (nullptr: silent).
//
// Throws Error(IO) naming the URL and libcurl's reason (the .part is kept, so
// that the next call resumes), Error(NO_SPACE) when the disk is full.
void download_file(const std::string& url, const std::filesystem::path& dest, std::FILE* progress_out);

}  // namespace marius
