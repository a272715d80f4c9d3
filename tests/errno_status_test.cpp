// One mapping from errno to a marius_status (marius/sdk/errno_status.hpp), and
// the core's writers (exports, checkpoints, dataset files) use it.
#include <unistd.h>

#include <cerrno>

#include "core/data/binary_file.h"
#include "core/persist/checkpoint.h"
#include "core/persist/export.h"
#include "marius/sdk/errno_status.hpp"
#include "test_util.h"

namespace marius {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;

TEST(ErrnoStatus, MapsTheOperatingSystemsErrors) {
  EXPECT_EQ(sdk::status_of_errno(ENOSPC), MARIUS_ERR_NO_SPACE);
  EXPECT_EQ(sdk::status_of_errno(EDQUOT), MARIUS_ERR_NO_SPACE);  // a full quota is a full device
  EXPECT_EQ(sdk::status_of_errno(ENOENT), MARIUS_ERR_NOT_FOUND);
  EXPECT_EQ(sdk::status_of_errno(ENOMEM), MARIUS_ERR_OUT_OF_MEMORY);
  for (int err : {EIO, EACCES, EROFS, EBADF, EINVAL, 0}) EXPECT_EQ(sdk::status_of_errno(err), MARIUS_ERR_IO) << err;
}

// An export's temporary file that cannot be created (a link into a missing
// directory: ENOENT) or that hits a full device (/dev/full: ENOSPC).
TEST(ErrnoStatus, ExportsUseTheMapping) {
  testing::TempDir dir;
  const float values[4] = {1, 2, 3, 4};
  ASSERT_EQ(::symlink((dir.path() / "missing" / "x").c_str(), (dir.path() / "a.npy.tmp").c_str()), 0);
  expect_error([&] { write_npy(dir.path() / "a.npy", values, 2, 2); }, MARIUS_ERR_NOT_FOUND,
               {"export " + (dir.path() / "a.npy.tmp").string(), "No such file or directory"});
  if (access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no writable /dev/full";
  ASSERT_EQ(::symlink("/dev/full", (dir.path() / "b.npy.tmp").c_str()), 0);
  expect_error([&] { write_npy(dir.path() / "b.npy", values, 2, 2); }, MARIUS_ERR_NO_SPACE,
               {"export " + (dir.path() / "b.npy.tmp").string(), "No space left on device"});
}

TEST(ErrnoStatus, CheckpointsAndDatasetFilesUseTheMapping) {
  testing::TempDir dir;
  expect_error([&] { save_checkpoint(dir.path() / "missing" / "checkpoint.bin", Model{}, CheckpointInfo{}); },
               MARIUS_ERR_NOT_FOUND, {"checkpoint " + (dir.path() / "missing" / "checkpoint.bin.tmp").string()});
  expect_error([&] { BinaryWriter writer(dir.path() / "missing" / "header.bin"); }, MARIUS_ERR_NOT_FOUND,
               {(dir.path() / "missing" / "header.bin").string(), "cannot create"});
}

}  // namespace
}  // namespace marius
