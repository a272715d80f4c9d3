// core/data/staging_dir.h - build a directory beside its target, then rename it
// into place.
//
// Output directories (datasets, generated edge lists) are written into a fresh
// sibling "TARGET.tmp-XXXXXX" and renamed to TARGET by commit(), so a reader never
// sees a half-written TARGET. An existing TARGET is replaced only when it is an
// empty directory or `may_replace` accepts it; otherwise construction (and again
// commit) refuses. The replacement swaps the two directories atomically
// (renameat2 RENAME_EXCHANGE; where the file system lacks it, two renames), then
// deletes the old one. Until committed, the destructor deletes the staging
// directory, so a failure leaves nothing behind.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

namespace marius {

class StagingDir {
 public:
  using MayReplace = std::function<bool(const std::filesystem::path&)>;

  // `what` names the kind of directory in messages ("a marius dataset").
  // Creates TARGET's parent directories when missing. Throws Error
  // (INVALID_ARGUMENT) naming TARGET when it exists and may not be replaced.
  StagingDir(const std::filesystem::path& target, MayReplace may_replace, std::string what);
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;
  ~StagingDir();

  // Where to write.
  const std::filesystem::path& path() const { return staging_; }
  const std::filesystem::path& target() const { return target_; }

  // Renames the staging directory to TARGET (see above).
  void commit();

 private:
  void check_target() const;

  std::filesystem::path target_;
  std::filesystem::path staging_;
  MayReplace may_replace_;
  std::string what_;
  bool committed_ = false;
};

}  // namespace marius
