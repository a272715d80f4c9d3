// The services table plugins receive: error slot, random streams, memory, logging.
#include "core/plugin/host_services.h"

#include "test_util.h"

namespace marius {
namespace {

TEST(HostServices, TableDescribesTheHost) {
  const marius_host_api* host = host_api();
  EXPECT_EQ(host->struct_size, sizeof(marius_host_api));
  EXPECT_GE(host->struct_size, MARIUS_HOST_API_SIZE_1_0);
  EXPECT_EQ(host->abi_major, static_cast<uint32_t>(MARIUS_ABI_MAJOR));
  EXPECT_EQ(host->abi_minor, static_cast<uint32_t>(MARIUS_ABI_MINOR));
  EXPECT_STRNE(host->libtorch_version, "");
  host->log(MARIUS_LOG_INFO, "test", "a message without a terminator!", 9);  // reads 9 bytes only
  host->log(MARIUS_LOG_ERROR, nullptr, nullptr, 5);                          // tolerates NULLs
}

TEST(HostServices, SetErrorFillsTheCallersSlot) {
  CallContext ctx("plugin 'x' (x.toml)");
  const char* text = "shape [3] is wrong, and more";
  marius_status s = ctx.get()->host->set_error(ctx.get(), MARIUS_ERR_INVALID_ARGUMENT, text, 18);
  EXPECT_EQ(s, MARIUS_ERR_INVALID_ARGUMENT);
  testing::expect_error([&] { ctx.check(s, "forward"); }, MARIUS_ERR_INVALID_ARGUMENT,
                        {"plugin 'x' (x.toml): forward failed: shape [3] is wrong"});
  EXPECT_EQ(ctx.last_message(), "");  // check clears the slot
  testing::expect_error([&] { ctx.check(MARIUS_ERR_IO, "read"); }, MARIUS_ERR_IO, {"IO (the plugin gave no message)"});
  testing::expect_error([&] { ctx.check(1234, "read"); }, MARIUS_ERR_INTERNAL, {"unknown status 1234"});
  EXPECT_NO_THROW(ctx.check(MARIUS_OK, "read"));
}

TEST(HostServices, RandomStreamsAreReproducible) {
  const marius_host_api* host = host_api();
  RandomStream a(42), b(42), c(43);
  std::vector<uint64_t> xs(100), ys(100);
  host->rng_fill_u64(a.get(), xs.data(), xs.size());
  for (auto& y : ys) y = host->rng_next_u64(b.get());
  EXPECT_EQ(xs, ys);
  EXPECT_NE(host->rng_next_u64(a.get()), host->rng_next_u64(c.get()));
}

TEST(HostServices, AllocHonoursAlignment) {
  const marius_host_api* host = host_api();
  for (uint64_t align : {0u, 8u, 64u, 4096u}) {
    void* p = host->alloc(1000, align);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % (align == 0 ? 64 : align), 0u);
    host->free(p);
  }
  EXPECT_EQ(host->alloc(16, 3), nullptr);  // not a power of two
}

}  // namespace
}  // namespace marius
