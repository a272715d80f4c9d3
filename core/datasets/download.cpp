#include "core/datasets/download.h"

#include <curl/curl.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>

#include "core/error.h"
#include "core/run/progress.h"

namespace marius {

namespace fs = std::filesystem;

namespace {

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  std::FILE* file = nullptr;
  fs::path part;
  curl_off_t resumed_from = 0;
  bool checked_restart = false;
  CURL* curl = nullptr;
  int write_errno = 0;
  std::FILE* progress_out = nullptr;
  std::string label;
  std::optional<Progress> progress;
  curl_off_t reported = 0;
};

size_t write_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (!t->checked_restart) {
    t->checked_restart = true;
    long status = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    if (t->resumed_from > 0 && status == 200) {
      // The server ignored the range: it sends the whole file, so start over.
      if (std::fflush(t->file) != 0 || ::ftruncate(fileno(t->file), 0) != 0 || std::fseek(t->file, 0, SEEK_SET) != 0) {
        t->write_errno = errno;
        return 0;
      }
      t->resumed_from = 0;
    }
  }
  size_t bytes = size * count;
  if (std::fwrite(data, 1, bytes, t->file) != bytes) {
    t->write_errno = errno;
    return 0;
  }
  return bytes;
}

int report(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->progress_out == nullptr || total <= 0) return 0;
  if (!t->progress) {
    t->progress.emplace(t->label, (t->resumed_from + total) / 1024, t->progress_out, "KiB", false);
    t->progress->advance(t->resumed_from / 1024, 0);
    t->reported = 0;
  }
  if (now > t->reported) {
    t->progress->advance((now - t->reported) / 1024, 0);
    t->reported = now - (now - t->reported) % 1024;
  }
  return 0;
}

}  // namespace

namespace {

// DEST.part.url names where DEST.part came from: a .part from another source
// (another mirror, a changed registry) is not continued.
void download(const std::string& url, const fs::path& dest, std::FILE* progress_out, bool retried) {
  init_curl_once();
  Transfer t;
  t.part = dest;
  t.part += ".part";
  fs::path part_url = t.part;
  part_url += ".url";
  std::error_code ec;
  if (fs::exists(t.part, ec)) {
    std::ifstream in(part_url);
    std::string recorded;
    std::getline(in, recorded);
    if (recorded == url) t.resumed_from = static_cast<curl_off_t>(fs::file_size(t.part, ec));
    if (ec) t.resumed_from = 0;
  }
  {
    std::ofstream out(part_url, std::ios::trunc);
    out << url << "\n";
  }
  auto start_again = [&] {
    fs::remove(t.part, ec);
    if (retried) fail(MARIUS_ERR_IO, "{}: the server cannot continue {} and sent nothing new", url, t.part.string());
    download(url, dest, progress_out, true);
  };
  t.file = std::fopen(t.part.c_str(), t.resumed_from > 0 ? "ab" : "wb");
  if (t.file == nullptr) fail(MARIUS_ERR_IO, "{}: cannot be created: {}", t.part.string(), std::strerror(errno));
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) {
    std::fclose(t.file);
    fail(MARIUS_ERR_INTERNAL, "libcurl could not start a transfer");
  }
  t.curl = curl.get();
  t.progress_out = progress_out;
  t.label = dest.filename().string();
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(t.curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(t.curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(t.curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(t.curl, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(t.curl, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(t.curl, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(t.curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(t.curl, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(t.curl, CURLOPT_USERAGENT, "marius-run datasets");
  curl_easy_setopt(t.curl, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(t.curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(t.curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(t.curl, CURLOPT_XFERINFOFUNCTION, report);
  curl_easy_setopt(t.curl, CURLOPT_XFERINFODATA, &t);
  if (t.resumed_from > 0) curl_easy_setopt(t.curl, CURLOPT_RESUME_FROM_LARGE, t.resumed_from);
  CURLcode code = curl_easy_perform(t.curl);
  if (t.progress) t.progress->finish();
  bool closed = std::fclose(t.file) == 0;
  int close_errno = errno;
  long status = 0;
  curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &status);
  if (t.resumed_from > 0 && (code == CURLE_RANGE_ERROR || code == CURLE_BAD_DOWNLOAD_RESUME || status == 416)) {
    // A .part the source cannot continue (as long as the file or longer): start again.
    start_again();
    return;
  }
  if (code == CURLE_WRITE_ERROR && t.write_errno != 0) {
    fail(t.write_errno == ENOSPC ? MARIUS_ERR_NO_SPACE : MARIUS_ERR_IO, "{}: cannot be written: {}", t.part.string(),
         std::strerror(t.write_errno));
  }
  if (code != CURLE_OK) {
    fail(MARIUS_ERR_IO, "{}: download failed: {} (what arrived is kept in {}; run the command again to resume)", url,
         error[0] != '\0' ? error : curl_easy_strerror(code), t.part.string());
  }
  if (!closed) {
    fail(close_errno == ENOSPC ? MARIUS_ERR_NO_SPACE : MARIUS_ERR_IO, "{}: cannot be written: {}", t.part.string(),
         std::strerror(close_errno));
  }
  fs::rename(t.part, dest, ec);
  if (ec) fail(MARIUS_ERR_IO, "{}: cannot be renamed to {}: {}", t.part.string(), dest.string(), ec.message());
  fs::remove(part_url, ec);
}

}  // namespace

void download_file(const std::string& url, const fs::path& dest, std::FILE* progress_out) {
  download(url, dest, progress_out, false);
}

}  // namespace marius
