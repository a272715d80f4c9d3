// core/storage/partition_store.h - node embeddings and their Adagrad state in
// files, one region per partition, read and written through a storage backend.
//
// Layout (docs/formats.md, "Partition files"): two generation files,
// <dir>/nodes.0.bin and <dir>/nodes.1.bin. In each, partition k lives at byte
// offset offsets[k] * node_row_bytes(D) (row_bytes.h: 8 * D) as [embeddings
// rows(k) x D float32][Adagrad state rows(k) x D float32].
//
// Crash consistency: a committed generation g is the state after some epoch,
// with a CRC-32 of every partition region. While an epoch runs, every write goes
// to the other file (1 - g), and a partition already written there this epoch is
// read back from there; file g is never written. commit() (once every partition
// was written since the last commit) syncs that file and flips g. The caller
// records generation() and crcs() in its checkpoint, so a crash at any moment
// leaves the last committed generation intact, and restore() verifies it.
//
// With one generation (storage.generations = 1, half the disk) every write goes
// to <dir>/nodes.0.bin in place: the committed state is only consistent between
// epochs, and after a crash mid-epoch restore() refuses the files (checksums).
//
// Threading: read() and write() of different partitions may run concurrently
// (the partition buffer's reader and writer threads); everything else is called
// from one thread while no read or write runs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "core/storage/partition_source.h"

namespace marius {

class StorageBackend;
class StorageFile;

class PartitionStore : public PartitionSource {
 public:
  // `offsets`: p + 1 node offsets (partition k holds nodes [offsets[k], offsets[k+1])).
  // create = true makes (or truncates) both files, sized for every partition;
  // nothing is committed until every partition was written and commit() called.
  // create = false opens existing files; call restore() next.
  PartitionStore(const StorageBackend& backend, std::filesystem::path dir, std::vector<int64_t> offsets, int64_t dim,
                 bool create, int32_t generations = 2);
  ~PartitionStore();

  int32_t num_partitions() const override { return static_cast<int32_t>(offsets_.size()) - 1; }
  const std::vector<int64_t>& offsets() const { return offsets_; }
  int64_t dim() const override { return dim_; }
  int64_t rows(int32_t k) const override { return offsets_[k + 1] - offsets_[k]; }
  int64_t max_rows() const override;

  // Reads the latest version of partition k into `embeddings` and `state`
  // (each rows(k) x D float32, row-major); state == nullptr reads only the
  // embeddings.
  void read(int32_t k, float* embeddings, float* state);
  // Writes partition k into the working generation and records its CRC.
  void write(int32_t k, const float* embeddings, const float* state);
  // PartitionSource: read() and write() on tensors in host memory (a host
  // buffer's slab); Error(INTERNAL) for tensors on another device.
  void read_into(int32_t k, at::Tensor& embeddings, at::Tensor& state) override;
  void write_from(int32_t k, const at::Tensor& embeddings, const at::Tensor& state) override;

  // Makes the working generation durable and current. Throws Error(INTERNAL)
  // unless every partition was written since the last commit.
  void commit();
  // The committed generation (0 or 1; -1 before the first commit) and the CRC of
  // each of its partitions.
  int32_t generation() const { return generation_; }
  const std::vector<uint32_t>& crcs() const { return committed_crcs_; }
  std::filesystem::path file(int32_t generation) const;

  // Adopts a committed generation recorded in a checkpoint and verifies every
  // partition against its CRC. Throws Error(INVALID_ARGUMENT) naming the file
  // and the partition on a mismatch.
  void restore(int32_t generation, const std::vector<uint32_t>& crcs);

  // Several processes over the same files (distributed link prediction,
  // docs/distributed.md): each writes the partitions it holds, one process at
  // a time per partition, and one of them commits.
  //
  // Makes this process's writes to the working generation durable (before
  // another process may read the partitions it wrote).
  void flush();
  // The CRC of partition k's version in the working generation (written here
  // since the last commit, or noted).
  uint32_t working_crc(int32_t k);
  // Partition k was written to the working generation by another process,
  // with CRC `crc`: read it from there (and check what is read, embeddings
  // and state, against `crc`: Error(IO) on a stale copy), and count it for
  // commit().
  void note_written(int32_t k, uint32_t crc);
  // Adopts a generation another process committed (restore() without reading
  // the files back: that process verified or wrote them).
  void adopt(int32_t generation, const std::vector<uint32_t>& crcs);

 private:
  // The file holding partition k's latest version.
  int32_t source_of(int32_t k);
  uint64_t offset_of(int32_t k) const;
  int32_t working() const { return generations_ == 1 || generation_ < 0 ? 0 : 1 - generation_; }

  std::filesystem::path dir_;
  std::vector<int64_t> offsets_;
  int64_t dim_;
  int32_t generations_;
  std::unique_ptr<StorageFile> files_[2];
  bool serialize_;           // the backend is not reentrant: one call at a time
  std::mutex io_mutex_;      // held around file calls when serialize_
  std::mutex state_mutex_;   // written_, working_crcs_
  int32_t generation_ = -1;
  std::vector<char> written_;  // by partition: written since the last commit
  std::vector<char> noted_;    // by partition: ... by another process (note_written)
  std::vector<uint32_t> working_crcs_, committed_crcs_;
};

}  // namespace marius
