// core/data/staging_dir.h - build a directory beside its target, then rename it
// into place.
//
// Output directories (datasets, generated edge lists) are written into a fresh
// sibling "TARGET.tmp-XXXXXX" and renamed to TARGET by commit(), so a reader never
// sees a half-written TARGET. An existing TARGET is replaced only when it is an
// empty directory or `refusal` finds nothing against it; otherwise construction
// (and again commit) refuses and deletes nothing. The replacement swaps the two directories atomically
// (renameat2 RENAME_EXCHANGE; where the file system lacks it, two renames), then
// deletes the old one. Until committed, the destructor deletes the staging
// directory, so a failure leaves nothing behind.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace marius {

class StagingDir {
 public:
  // Why the existing, non-empty directory passed may not be replaced (for
  // example "it holds \"x\", which is not a dataset file"), or "" when it may.
  using Refusal = std::function<std::string(const std::filesystem::path&)>;

  // `what` names the kind of directory in messages ("a marius dataset").
  // Creates TARGET's parent directories when missing. Throws Error
  // (INVALID_ARGUMENT) naming TARGET, and the refusal's reason, when it exists
  // and may not be replaced.
  StagingDir(const std::filesystem::path& target, Refusal refusal, std::string what);
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
  Refusal refusal_;
  std::string what_;
  bool committed_ = false;
};

// The first entry of `dir`, in name order, that is not a regular file named in
// `allowed` (a subdirectory, a link or any other name), or "" when there is
// none. Throws Error(IO) naming `dir` when it cannot be listed.
std::string first_foreign_entry(const std::filesystem::path& dir, const std::vector<std::string>& allowed);

}  // namespace marius
