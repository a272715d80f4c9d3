#include "core/data/staging_dir.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <random>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/data/binary_file.h"
#include "core/error.h"
#include "core/logging.h"

namespace fs = std::filesystem;

namespace marius {

namespace {

// Makes `dir`'s entries durable (best effort: not every file system allows it).
void sync_directory(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// Creates TARGET + tag + six random characters (mode 0777 less the umask, like
// any directory the user creates).
fs::path unique_sibling(const fs::path& target, const char* tag) {
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::random_device device;
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string name = target.string() + tag;
    for (int i = 0; i < 6; ++i) name += kChars[device() % (sizeof kChars - 1)];
    if (::mkdir(name.c_str(), 0777) == 0) return name;
    if (errno != EEXIST) fail_system(name, "cannot create the directory", errno);
  }
  fail(MARIUS_ERR_IO, "{}: cannot find an unused name for a temporary directory beside it", target.string());
}

}  // namespace

StagingDir::StagingDir(const fs::path& target, Refusal refusal, std::string what)
    : target_(fs::absolute(target).lexically_normal()), refusal_(std::move(refusal)), what_(std::move(what)) {
  if (target_.filename().empty()) target_ = target_.parent_path();  // "out/" names "out"
  check_target();
  std::error_code ec;
  fs::create_directories(target_.parent_path(), ec);
  if (ec) fail_system(target_.parent_path(), "cannot create the directory", ec.value());
  staging_ = unique_sibling(target_, ".tmp-");
}

StagingDir::~StagingDir() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);
  if (ec) logger().warn("{}: cannot remove the unfinished directory: {}", staging_.string(), ec.message());
}

void StagingDir::check_target() const {
  std::error_code ec;
  fs::file_status status = fs::symlink_status(target_, ec);
  if (!fs::exists(status)) return;
  std::string reason;
  if (fs::is_directory(status)) {
    if (fs::is_empty(target_, ec)) return;
    reason = refusal_(target_);
    if (reason.empty()) return;
    reason = " (" + reason + ")";
  }
  fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: exists and is not {}{}; refusing to replace it (remove it or choose another "
       "output)", target_.string(), what_, reason);
}

std::string first_foreign_entry(const fs::path& dir, const std::vector<std::string>& allowed) {
  std::vector<std::string> foreign;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    const bool known = std::find(allowed.begin(), allowed.end(), name) != allowed.end();
    std::error_code status_error;
    const fs::file_status status = it->symlink_status(status_error);
    if (!known || status_error || !fs::is_regular_file(status)) foreign.push_back(std::move(name));
  }
  if (ec) fail_system(dir, "cannot list the directory", ec.value());
  return foreign.empty() ? std::string() : *std::min_element(foreign.begin(), foreign.end());
}

void StagingDir::commit() {
  check_target();
  sync_directory(staging_);
  std::error_code ec;
  const bool replacing = fs::exists(fs::symlink_status(target_, ec));
  ec.clear();  // set (ENOENT) when the target does not exist
  if (!replacing) {
    if (std::rename(staging_.c_str(), target_.c_str()) != 0) fail_system(target_, "cannot rename into place", errno);
    committed_ = true;
  } else if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) == 0) {
    committed_ = true;  // staging_ now holds the old directory
    fs::remove_all(staging_, ec);
  } else if (errno == EINVAL || errno == ENOSYS || errno == ENOTSUP) {
    fs::path old = unique_sibling(target_, ".old-");
    if (std::rename(target_.c_str(), old.c_str()) != 0) fail_system(target_, "cannot move aside", errno);
    if (std::rename(staging_.c_str(), target_.c_str()) != 0) {
      int error_number = errno;
      std::rename(old.c_str(), target_.c_str());
      fail_system(target_, "cannot rename into place", error_number);
    }
    committed_ = true;
    fs::remove_all(old, ec);
  } else {
    fail_system(target_, "cannot swap in the new directory", errno);
  }
  if (ec) logger().warn("{}: cannot remove the replaced directory: {}", target_.string(), ec.message());
  sync_directory(target_.parent_path());
}

}  // namespace marius
