// Loading plugins: version negotiation, descriptor/manifest checks, broken
// libraries, throwing plugins, and library lifetime.
#include <dlfcn.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/plugin/loaded_plugin.h"
#include "core/plugin/negative_sampler.h"
#include "core/plugin/ordering_policy.h"
#include "core/plugin/registry.h"
#include "core/plugin/score_function.h"
#include "core/tensor/dl_view.h"
#include "test_util.h"

namespace marius {
namespace {

using testing::expect_error;
using testing::plugin_manifest;
using testing::TempDir;

std::shared_ptr<const LoadedPlugin> load(const std::string& manifest, AbiVersion host = host_abi_version()) {
  return LoadedPlugin::load(load_manifest(manifest), host);
}

TEST(Negotiation, PluginForAnOlderMinorLoadsOnANewerHost) {
  // Built for 1.0; the host presents 1.7 (a later minor that appended slots).
  auto plugin = load(plugin_manifest("versioned_v1_0_0"), AbiVersion{1, 7});
  EXPECT_EQ(plugin->descriptor().abi_major, 1u);
  EXPECT_EQ(plugin->descriptor().abi_min_host_minor, 0u);
  OrderingPolicy policy(plugin, {});
  CallContext ctx(policy.label());
  EXPECT_EQ(policy.plan(ctx, 3, 3).states.size(), 1u);
}

TEST(Negotiation, ManifestRangeIsCheckedBeforeLoading) {
  // The manifest accepts >=1.3 only: refused on a 1.0 host without loading.
  expect_error([] { load(plugin_manifest("versioned_v1_0_1")); }, MARIUS_ERR_VERSION_MISMATCH,
               {"versioned_v1_0_1.toml", "accepts ABI \">=1.3, <2.0\"", "speaks 1.2"});
}

TEST(Negotiation, PluginNeedingANewerMinorRefusesAnOlderHost) {
  // The manifest wrongly admits 1.0; the plugin's own entry refuses it.
  expect_error([] { load(plugin_manifest("versioned_v1_5_0")); }, MARIUS_ERR_VERSION_MISMATCH,
               {"entry failed", "needs marius ABI 1.5 or newer", "the host speaks 1.2"});
  // And it loads on a 1.5 host.
  auto plugin = load(plugin_manifest("versioned_v1_5_1"), AbiVersion{1, 5});
  EXPECT_EQ(plugin->descriptor().abi_min_host_minor, 5u);
}

TEST(Negotiation, DifferentMajorIsRefusedWithAClearMessage) {
  expect_error([] { load(plugin_manifest("versioned_v2_0_0")); }, MARIUS_ERR_VERSION_MISMATCH,
               {"versioned_v2_0", "built for marius ABI major 2", "the host speaks 1.2"});
  expect_error([] { load(plugin_manifest("versioned_v2_0_1")); }, MARIUS_ERR_VERSION_MISMATCH,
               {"accepts ABI \">=2.0, <3.0\"", "speaks 1.2"});
}

// Writes a manifest for an existing library with some fields changed.
std::string manifest_for(const TempDir& dir, const std::string& library, const std::string& name,
                         const std::string& extra = "", const std::string& kind = "ordering_policy",
                         const std::string& version = "1.0.0", const std::string& entry = "marius_plugin_entry") {
  std::string text = "manifest_version = 1\n[plugin]\nname = \"" + name + "\"\nkind = \"" + kind + "\"\nversion = \"" +
                     version + "\"\n[abi]\nrange = \">=1.0, <2.0\"\n[library]\npath = \"" + library +
                     "\"\nentry_symbol = \"" + entry + "\"\n" + extra;
  return dir.write(name + ".toml", text).string();
}

const std::string kVersionedLib = std::string(MARIUS_TEST_PLUGIN_DIR) + "/libmarius_versioned_v1_0.so";

TEST(Loader, MissingLibraryFile) {
  TempDir dir;
  auto m = manifest_for(dir, "libnothere.so", "ghost");
  expect_error([&] { load(m); }, MARIUS_ERR_NOT_FOUND, {"ghost", "libnothere.so", "does not exist"});
}

TEST(Loader, LibraryThatDoesNotLoad) {
  TempDir dir;
  dir.write("libjunk.so", "this is not an ELF file");
  auto m = manifest_for(dir, "libjunk.so", "junk");
  expect_error([&] { load(m); }, MARIUS_ERR_INVALID_ARGUMENT, {"junk", "libjunk.so", "not an ELF file"});
}

// A copy of a real plugin library cut short at `size` bytes, or with the byte at
// `patch_at` replaced by `patch`.
std::string library_copy(TempDir& dir, const std::string& name, size_t size, long patch_at = -1, char patch = 0) {
  std::ifstream in(kVersionedLib, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (patch_at >= 0) bytes[static_cast<size_t>(patch_at)] = patch;
  bytes.resize(std::min(size, bytes.size()));
  return dir.write(name, bytes).string();
}

// dlopen maps segments past the end of a truncated file and dies with SIGBUS on
// first touch; the loader must refuse such a file before mapping it.
TEST(Loader, TruncatedLibraryIsRefusedBeforeMapping) {
  TempDir dir;
  const size_t full = std::filesystem::file_size(kVersionedLib);
  for (size_t size : {size_t{0}, size_t{10}, size_t{40}, size_t{64}, size_t{300}, full / 4, full / 2, full - 1}) {
    SCOPED_TRACE(size);
    auto lib = library_copy(dir, "libcut_" + std::to_string(size) + ".so", size);
    auto m = manifest_for(dir, lib, "versioned_v1_0");
    expect_error([&] { load(m); }, MARIUS_ERR_INVALID_ARGUMENT, {"versioned_v1_0", lib, "cannot be loaded"});
  }
  // The intact library still loads.
  EXPECT_NE(load(manifest_for(dir, library_copy(dir, "libwhole.so", full), "versioned_v1_0")), nullptr);
}

TEST(Loader, LibraryForAnotherMachineIsRefused) {
  TempDir dir;
  const size_t full = std::filesystem::file_size(kVersionedLib);
  auto lib = library_copy(dir, "libother.so", full, /*e_machine low byte*/ 18, 0x7f);
  expect_error([&] { load(manifest_for(dir, lib, "versioned_v1_0")); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"libother.so", "built for ELF machine"});
  auto lib32 = library_copy(dir, "lib32.so", full, /*EI_CLASS*/ 4, 1);
  expect_error([&] { load(manifest_for(dir, lib32, "versioned_v1_0")); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"lib32.so", "it is 32-bit"});
}

TEST(Loader, MissingEntrySymbol) {
  TempDir dir;
  auto m = manifest_for(dir, kVersionedLib, "versioned_v1_0", "", "ordering_policy", "1.0.0", "no_such_entry");
  expect_error([&] { load(m); }, MARIUS_ERR_NOT_FOUND, {"does not export the entry symbol 'no_such_entry'"});
}

TEST(Loader, DescriptorManifestDisagreement) {
  TempDir dir;
  expect_error([&] { load(manifest_for(dir, kVersionedLib, "other_name")); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"other_name.toml", "disagree", "calls itself 'versioned_v1_0'"});
  expect_error([&] { load(manifest_for(dir, kVersionedLib, "versioned_v1_0", "", "ordering_policy", "9.9.9")); },
               MARIUS_ERR_INVALID_ARGUMENT, {"disagree", "version 1.0.0, the manifest says 9.9.9"});
  expect_error([&] { load(manifest_for(dir, kVersionedLib, "versioned_v1_0", "", "storage_backend")); },
               MARIUS_ERR_INVALID_ARGUMENT, {"disagree", "the library is a ordering_policy, the manifest says storage_backend"});
  expect_error([&] { load(manifest_for(dir, kVersionedLib, "versioned_v1_0", "[capabilities]\nreentrant = true\n")); },
               MARIUS_ERR_INVALID_ARGUMENT, {"disagree", "reentrant = true", "MARIUS_CAP_REENTRANT"});
}

TEST(Loader, BrokenVtablesAreRefused) {
  expect_error([] { load(plugin_manifest("small_vtable")); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"small_vtable", "struct_size", "below the ABI 1.0 size"});
  expect_error([] { load(plugin_manifest("missing_slot")); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"missing_slot", "lacks the required slot 'forward'"});
  expect_error([] { load(plugin_manifest("no_descriptor")); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"no_descriptor", "returned no descriptor"});
}

TEST(Loader, BadOptionValue) {
  auto plugin = load(testing::builtin_manifest("uniform"));
  expect_error([&] { NegativeSampler s(plugin, {{"degree_fraction", 2.0}}); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"uniform.toml", "option 'degree_fraction'", "above the maximum 1"});
  expect_error([&] { NegativeSampler s(plugin, {{"degree_frac", 0.5}}); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"unknown option 'degree_frac'", "degree_fraction"});
}

TEST(Loader, WrongKindForTheWrapper) {
  auto plugin = load(testing::builtin_manifest("uniform"));
  expect_error([&] { ScoreFunction f(plugin, {}); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"is a negative_sampler, not a score_function"});
}

TEST(Throwing, ExceptionsInEverySlotBecomeStatusesAndTheHostSurvives) {
  auto plugin = load(plugin_manifest("throwing"));
  expect_error([&] { ScoreFunction f(plugin, {{"throw_in", std::string("create")}}); }, MARIUS_ERR_INTERNAL,
               {"throwing.toml", "create failed", "boom from create"});

  ScoreFunction fn(plugin, {{"throw_in", std::string("relation_width")}});
  CallContext ctx(fn.label());
  expect_error([&] { fn.relation_width(ctx, 4); }, MARIUS_ERR_INTERNAL, {"relation_width failed", "boom from relation_width"});

  ScoreFunction init(plugin, {{"throw_in", std::string("init_relations")}});
  std::vector<float> params(8);
  DLView view(params.data(), kFloat32, {2, 4});
  expect_error([&] { init.init_relations(ctx, *view.get()); }, MARIUS_ERR_INTERNAL, {"unknown exception"});

  ScoreFunction fwd(plugin, {{"throw_in", std::string("forward")}});
  marius_score_args args{};
  args.struct_size = sizeof(args);
  expect_error([&] { fwd.forward(ctx, args); }, MARIUS_ERR_INTERNAL, {"forward failed", "boom from forward"});

  ScoreFunction bwd(plugin, {{"throw_in", std::string("backward")}});
  expect_error([&] { bwd.backward(ctx, args); }, MARIUS_ERR_OUT_OF_MEMORY, {"backward failed", "out of memory"});

  // The host and the same instances still work afterwards.
  EXPECT_EQ(init.relation_width(ctx, 6), 6);
  EXPECT_NO_THROW(fwd.backward(ctx, args));
}

TEST(Lifetime, AnInstanceKeepsItsLibraryLoaded) {
  std::unique_ptr<ScoreFunction> fn;
  std::string library;
  {
    PluginRegistry registry;
    registry.add_path(MARIUS_TEST_C_PLUGIN);
    auto plugin = registry.load(registry.find("c_dot"));
    library = plugin->manifest().library.string();
    fn = std::make_unique<ScoreFunction>(plugin, OptionInputs{});
  }  // the registry and its reference are gone
  void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(handle, nullptr) << "the library was unloaded under a live instance";
  dlclose(handle);
  CallContext ctx(fn->label());
  EXPECT_EQ(fn->relation_width(ctx, 16), 0);
  fn.reset();  // last reference: now it may go
  EXPECT_EQ(dlopen(library.c_str(), RTLD_NOW | RTLD_NOLOAD), nullptr);
}

TEST(Registry, FindsByNameAndReportsBadManifests) {
  TempDir dir;
  dir.write("broken.toml", "manifest_version = 1\n[plugin]\nname = \"broken\"\n");
  PluginRegistry registry;
  registry.add_builtin();
  registry.add_path(dir.path());
  EXPECT_EQ(registry.find("distmult", MARIUS_KIND_SCORE_FUNCTION).name, "distmult");
  bool reported = false;
  for (const auto& e : registry.entries()) {
    if (!e.manifest) reported = e.error.find("broken.toml") != std::string::npos;
  }
  EXPECT_TRUE(reported);
  expect_error([&] { registry.find("nope", MARIUS_KIND_SCORE_FUNCTION); }, MARIUS_ERR_NOT_FOUND,
               {"no score_function named 'nope'", "distmult"});
  expect_error([&] { registry.find("uniform", MARIUS_KIND_SCORE_FUNCTION); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"is a negative_sampler, not a score_function"});
  expect_error([&] { registry.add_path("/no/such/plugins"); }, MARIUS_ERR_NOT_FOUND, {"/no/such/plugins"});
}

}  // namespace
}  // namespace marius
