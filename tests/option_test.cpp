// Option validation against manifest declarations, and --set value parsing.
#include "core/plugin/option_spec.h"

#include "test_util.h"

namespace marius {
namespace {

using testing::expect_error;

std::vector<OptionSpec> specs() {
  OptionSpec f{"fraction", OptionType::kFloat, 0.5, 0.0, 1.0, {}, ""};
  OptionSpec n{"count", OptionType::kInt, int64_t{4}, 1.0, std::nullopt, {}, ""};
  OptionSpec e{"mode", OptionType::kEnum, std::string("fast"), std::nullopt, std::nullopt, {"fast", "exact"}, ""};
  OptionSpec b{"verbose", OptionType::kBool, false, std::nullopt, std::nullopt, {}, ""};
  return {f, n, e, b};
}

TEST(Options, DefaultsFillEveryDeclaredOption) {
  ResolvedOptions r = resolve_options(specs(), {}, "ctx");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(std::get<double>(r[0].second), 0.5);
  EXPECT_EQ(std::get<int64_t>(r[1].second), 4);
  EXPECT_EQ(std::get<std::string>(r[2].second), "fast");
  EXPECT_EQ(std::get<bool>(r[3].second), false);
}

TEST(Options, GivenValuesAreCheckedAndConverted) {
  ResolvedOptions r = resolve_options(specs(), {{"fraction", int64_t{1}}, {"mode", std::string("exact")}}, "ctx");
  EXPECT_EQ(std::get<double>(r[0].second), 1.0);  // an integer where a float is declared
  EXPECT_EQ(std::get<std::string>(r[2].second), "exact");
}

TEST(Options, Errors) {
  expect_error([] { resolve_options(specs(), {{"fractoin", 0.1}}, "plugin 'x'"); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"plugin 'x'", "unknown option 'fractoin'", "fraction, count, mode, verbose"});
  expect_error([] { resolve_options(specs(), {{"fraction", 1.5}}, "p"); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"option 'fraction'", "above the maximum 1"});
  expect_error([] { resolve_options(specs(), {{"count", 0.5}}, "p"); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"option 'count' expects int, got float"});
  expect_error([] { resolve_options(specs(), {{"count", int64_t{0}}}, "p"); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"below the minimum"});
  expect_error([] { resolve_options(specs(), {{"mode", std::string("slow")}}, "p"); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"\"slow\" is not one of fast, exact"});
  expect_error([] { resolve_options(specs(), {{"verbose", std::string("yes")}}, "p"); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"expects bool, got string"});
}

TEST(Options, OptionBlockMirrorsValues) {
  ResolvedOptions r = resolve_options(specs(), {{"verbose", true}}, "ctx");
  OptionBlock block(r);
  const marius_options* o = block.get();
  ASSERT_EQ(o->count, 4u);
  EXPECT_STREQ(o->items[0]->key, "fraction");
  EXPECT_EQ(o->items[0]->type, static_cast<uint32_t>(MARIUS_OPTION_FLOAT));
  EXPECT_EQ(o->items[1]->int_value, 4);
  EXPECT_STREQ(o->items[2]->string_value, "fast");
  EXPECT_EQ(o->items[3]->type, static_cast<uint32_t>(MARIUS_OPTION_BOOL));
  EXPECT_EQ(o->items[3]->int_value, 1);
}

TEST(Values, ParseTextUsesTomlScalars) {
  EXPECT_EQ(std::get<int64_t>(parse_value_text("3")), 3);
  EXPECT_EQ(std::get<double>(parse_value_text("1e-3")), 1e-3);
  EXPECT_EQ(std::get<bool>(parse_value_text("true")), true);
  EXPECT_EQ(std::get<std::string>(parse_value_text("\"a b\"")), "a b");
  EXPECT_EQ(std::get<std::string>(parse_value_text("/tmp/x y")), "/tmp/x y");  // bare strings need no quotes
}

}  // namespace
}  // namespace marius
