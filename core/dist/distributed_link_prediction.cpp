// core/dist/distributed_link_prediction.cpp - see distributed_link_prediction.h.
#include "core/dist/distributed_link_prediction.h"

#include <chrono>

#include <fmt/format.h>

#include "core/error.h"
#include "core/model/model.h"
#include "core/storage/partition_store.h"

namespace marius {

namespace {

constexpr const char* kFilesKey = "marius/lp/files";
std::string commit_key(int64_t epoch) { return fmt::format("marius/lp/commit/{}", epoch); }

std::string files_text(const DistributedLinkPrediction::Files& f) {
  return nlohmann::json{{"epochs_done", f.epochs_done}, {"generation", f.generation}, {"crcs", f.crcs},
                        {"resumed", f.resumed}}
      .dump();
}

DistributedLinkPrediction::Files parse_files(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text);
  return {j.at("epochs_done").get<int64_t>(), j.at("generation").get<int32_t>(),
          j.at("crcs").get<std::vector<uint32_t>>(), j.at("resumed").get<bool>()};
}

}  // namespace

DistributedLinkPrediction::DistributedLinkPrediction(Cluster& cluster)
    : cluster_(cluster), liveness_(cluster), buckets_(cluster, liveness_) {}

namespace {

// Waits (with liveness: rank 0 may take long) for rank 0 to write `key`, and reads it.
std::string await_rank0(Cluster& cluster, Liveness& liveness, const std::string& key, const std::string& what) {
  liveness.wait_until(
      [&](std::vector<int32_t>& waiting_on) {
        waiting_on.push_back(0);
        return cluster.store_check(key);
      },
      what);
  return cluster.store_get(key);
}

}  // namespace

void DistributedLinkPrediction::publish_files(const Files& files) {
  if (rank() != 0) fail(MARIUS_ERR_INTERNAL, "publish_files on rank {}", rank());
  cluster_.store_set(kFilesKey, files_text(files));
}

DistributedLinkPrediction::Files DistributedLinkPrediction::wait_files() {
  return parse_files(await_rank0(cluster_, liveness_, kFilesKey, "waiting for rank 0 to open the partition files"));
}

void DistributedLinkPrediction::start(PartitionStore& store, Model& model, int64_t epochs_done) {
  store_ = &store;
  p_ = store.num_partitions();
  if (rank() == 0) buckets_.post(epochs_done, p_);
  std::vector<at::Tensor> params{model.relations, model.relation_state};
  relations_ = std::make_unique<RelationSync>(cluster_, params);
  relations_->start();
  cluster_.barrier();
  cluster_.take_stats();
}

void DistributedLinkPrediction::start_epoch(int64_t epoch, const Plan& plan) {
  if (store_ == nullptr) fail(MARIUS_ERR_INTERNAL, "distributed link prediction: start() was not called");
  epoch_ = epoch;
  if (plan.num_partitions != p_) fail(MARIUS_ERR_INTERNAL, "distributed: a plan of {} partitions for {}", plan.num_partitions, p_);
  units_.clear();
  for (const BufferState& state : plan.states) {
    BoardUnit unit{state.partitions, {}};
    for (auto [i, j] : state.buckets) unit.buckets.push_back(i * p_ + j);
    units_.push_back(std::move(unit));
  }
  trained_.clear();
  current_ = -1;
  buckets_.start_epoch(epoch, p_);
}

std::optional<size_t> DistributedLinkPrediction::next() {
  BucketBoard seen(0, 1);
  const std::optional<size_t> u = buckets_.next(units_, &seen);
  if (!u) return std::nullopt;
  for (int32_t k : units_[*u].partitions) {  // written earlier this epoch by some worker: the latest is in the working file
    if (const std::optional<uint32_t> crc = seen.written(k)) store_->note_written(k, *crc);
  }
  current_ = static_cast<int64_t>(*u);
  return u;
}

void DistributedLinkPrediction::finished() {
  if (current_ < 0) fail(MARIUS_ERR_INTERNAL, "distributed link prediction: finished() without a grant");
  const BoardUnit& unit = units_[current_];
  store_->flush();  // durable before another worker may read them
  std::vector<uint32_t> crcs;
  for (int32_t k : unit.partitions) crcs.push_back(store_->working_crc(k));
  sync_relations();  // before the board says the state is done: a finished board means every change pushed
  buckets_.finish(unit, crcs);
  trained_.insert(trained_.end(), unit.buckets.begin(), unit.buckets.end());
  current_ = -1;
}

void DistributedLinkPrediction::sync_relations() {
  const auto start = std::chrono::steady_clock::now();
  relations_->push_pull();
  relation_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void DistributedLinkPrediction::finish_epoch() {
  buckets_.wait_done();  // every bucket is trained and every relation change pushed
  relations_->pull();
}

void DistributedLinkPrediction::abandon(const std::string& why) noexcept { buckets_.abandon(why); }

void DistributedLinkPrediction::commit() {
  if (rank() == 0) {
    const BucketBoard board = buckets_.board();
    if (board.left() != 0 || board.running() != 0) {
      fail(MARIUS_ERR_INTERNAL, "distributed: epoch {} committed with {} bucket(s) left and {} training", epoch_ + 1,
           board.left(), board.running());
    }
    for (int32_t k = 0; k < p_; ++k) {
      const std::optional<uint32_t> crc = board.written(k);
      if (!crc) fail(MARIUS_ERR_INTERNAL, "distributed: epoch {} wrote no version of partition {}", epoch_ + 1, k);
      store_->note_written(k, *crc);
    }
    store_->commit();
    cluster_.store_set(commit_key(epoch_), files_text({epoch_ + 1, store_->generation(), store_->crcs(), true}));
    buckets_.post(epoch_ + 1, p_);  // before the barrier: the others may start it while rank 0 saves and evaluates
  } else {
    const Files f = parse_files(
        await_rank0(cluster_, liveness_, commit_key(epoch_), fmt::format("epoch {}: waiting for rank 0 to commit", epoch_ + 1)));
    store_->adopt(f.generation, f.crcs);
  }
  cluster_.barrier();  // rank 0's store outlives every read of the commit, also after the last epoch
}

nlohmann::ordered_json DistributedLinkPrediction::take_figures() {
  const CommStats c = cluster_.take_stats();
  nlohmann::ordered_json j;
  j["world_size"] = world_size();
  j["rank"] = rank();
  j["buckets"] = trained_.size();
  j["bucket_ids"] = trained_;
  j["lock_wait_seconds"] = buckets_.take_wait_seconds();
  j["relation_syncs"] = relations_ ? relations_->take_syncs() : 0;
  j["relation_seconds"] = relation_seconds_;
  j["store_ops"] = c.store_ops;
  j["store_bytes_sent"] = c.store_bytes_sent;
  j["store_bytes_received"] = c.store_bytes_received;
  j["store_seconds"] = c.store_seconds;
  j["collectives"] = c.collectives;
  j["collective_seconds"] = c.seconds;
  j["bytes_sent"] = c.bytes_sent + c.store_bytes_sent;
  j["bytes_received"] = c.bytes_received + c.store_bytes_received;
  relation_seconds_ = 0;
  return j;
}

}  // namespace marius
