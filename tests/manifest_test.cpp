// Manifest parsing and each validation failure, with the file, line and key named.
#include "core/plugin/manifest.h"

#include "test_util.h"

namespace marius {
namespace {

using testing::expect_error;
using testing::TempDir;

const char* kGood = R"(manifest_version = 1
[plugin]
name = "demo"
kind = "negative_sampler"
version = "2.1.0"
description = "a demo"
[abi]
range = ">=1.0, <2.0"
[library]
path = "lib/libdemo.so"
[capabilities]
devices = ["cpu", "cuda"]
reentrant = true
[[options]]
name = "fraction"
type = "float"
default = 0.25
min = 0.0
max = 1.0
[[options]]
name = "mode"
type = "enum"
values = ["a", "b"]
default = "b"
)";

// kGood with `from` replaced by `to`.
std::string variant(const std::string& from, const std::string& to) {
  std::string text = kGood;
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(Manifest, ParsesEveryField) {
  TempDir dir;
  Manifest m = load_manifest(dir.write("demo.toml", kGood));
  EXPECT_EQ(m.name, "demo");
  EXPECT_EQ(m.kind, static_cast<uint32_t>(MARIUS_KIND_NEGATIVE_SAMPLER));
  EXPECT_EQ(m.version, "2.1.0");
  EXPECT_EQ(m.library, dir.path() / "lib" / "libdemo.so");  // relative to the manifest
  EXPECT_EQ(m.entry_symbol, "marius_plugin_entry");
  EXPECT_EQ(m.devices, (std::vector<std::string>{"cpu", "cuda"}));
  EXPECT_TRUE(m.reentrant);
  EXPECT_FALSE(m.deterministic);
  ASSERT_EQ(m.options.size(), 2u);
  EXPECT_EQ(m.options[0].type, OptionType::kFloat);
  EXPECT_EQ(std::get<double>(m.options[0].default_value), 0.25);
  EXPECT_EQ(m.options[1].values, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(m.abi.contains({1, 0}));
  EXPECT_TRUE(m.abi.contains({1, 9}));
  EXPECT_FALSE(m.abi.contains({2, 0}));
  EXPECT_FALSE(m.abi.contains({0, 9}));
}

TEST(Manifest, MissingFile) {
  expect_error([] { load_manifest("/nonexistent/x.toml"); }, MARIUS_ERR_NOT_FOUND, {"/nonexistent/x.toml", "no such file"});
}

TEST(Manifest, BadToml) {
  TempDir dir;
  auto file = dir.write("bad.toml", "manifest_version = 1\n[plugin\nname = 3\n");
  expect_error([&] { load_manifest(file); }, MARIUS_ERR_INVALID_ARGUMENT, {file.string() + ":2", "invalid TOML"});
}

TEST(Manifest, UnknownKind) {
  TempDir dir;
  auto file = dir.write("m.toml", variant("kind = \"negative_sampler\"", "kind = \"scorer\""));
  expect_error([&] { load_manifest(file); }, MARIUS_ERR_INVALID_ARGUMENT,
               {file.string() + ":4", "plugin.kind", "unknown kind 'scorer'"});
}

TEST(Manifest, UnknownKey) {
  TempDir dir;
  auto file = dir.write("m.toml", variant("reentrant = true", "reentrant = true\nthreads = 4"));
  expect_error([&] { load_manifest(file); }, MARIUS_ERR_INVALID_ARGUMENT,
               {file.string() + ":14", "capabilities.threads", "unknown key"});
}

TEST(Manifest, WrongType) {
  TempDir dir;
  auto file = dir.write("m.toml", variant("version = \"2.1.0\"", "version = 2"));
  expect_error([&] { load_manifest(file); }, MARIUS_ERR_INVALID_ARGUMENT, {"plugin.version", "expected a string"});
}

TEST(Manifest, MissingRequiredKey) {
  TempDir dir;
  auto file = dir.write("m.toml", variant("path = \"lib/libdemo.so\"", ""));
  expect_error([&] { load_manifest(file); }, MARIUS_ERR_INVALID_ARGUMENT, {"library.path", "required key is missing"});
}

TEST(Manifest, NewerManifestVersion) {
  TempDir dir;
  auto file = dir.write("m.toml", variant("manifest_version = 1", "manifest_version = 2"));
  expect_error([&] { load_manifest(file); }, MARIUS_ERR_INVALID_ARGUMENT, {"manifest_version", "not understood"});
}

TEST(Manifest, BadAbiRange) {
  TempDir dir;
  auto file = dir.write("m.toml", variant(">=1.0, <2.0", "~1.0"));
  expect_error([&] { load_manifest(file); }, MARIUS_ERR_INVALID_ARGUMENT, {"abi.range", "~1.0"});
}

TEST(Manifest, OptionDefaultOutOfRange) {
  TempDir dir;
  auto file = dir.write("m.toml", variant("default = 0.25", "default = 1.5"));
  expect_error([&] { load_manifest(file); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"options[0].default", "above the maximum"});
}

TEST(Manifest, EnumDefaultNotAValue) {
  TempDir dir;
  auto file = dir.write("m.toml", variant("default = \"b\"", "default = \"c\""));
  expect_error([&] { load_manifest(file); }, MARIUS_ERR_INVALID_ARGUMENT, {"options[1].default", "not one of a, b"});
}

TEST(Manifest, UnknownOptionType) {
  TempDir dir;
  auto file = dir.write("m.toml", variant("type = \"float\"", "type = \"double\""));
  expect_error([&] { load_manifest(file); }, MARIUS_ERR_INVALID_ARGUMENT, {"options[0].type", "unknown option type"});
}

TEST(Manifest, UnknownDevice) {
  TempDir dir;
  auto file = dir.write("m.toml", variant("\"cuda\"]", "\"tpu\"]"));
  expect_error([&] { load_manifest(file); }, MARIUS_ERR_INVALID_ARGUMENT, {"capabilities.devices", "tpu"});
}

TEST(Manifest, DuplicateOption) {
  TempDir dir;
  auto file = dir.write("m.toml", variant("name = \"mode\"", "name = \"fraction\""));
  expect_error([&] { load_manifest(file); }, MARIUS_ERR_INVALID_ARGUMENT, {"declared twice"});
}

TEST(AbiRange, Bounds) {
  AbiRange r = AbiRange::parse(">1.2, <=1.4");
  EXPECT_FALSE(r.contains({1, 2}));
  EXPECT_TRUE(r.contains({1, 3}));
  EXPECT_TRUE(r.contains({1, 4}));
  EXPECT_FALSE(r.contains({1, 5}));
  EXPECT_TRUE(AbiRange::parse("=1").contains({1, 0}));
  expect_error([] { AbiRange::parse(">=1.x"); }, MARIUS_ERR_INVALID_ARGUMENT, {">=1.x"});
  expect_error([] { AbiRange::parse(""); }, MARIUS_ERR_INVALID_ARGUMENT, {"ABI range"});
}

}  // namespace
}  // namespace marius
