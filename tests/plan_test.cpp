// validate_plan accepts exactly the plans that process every bucket once with
// both of its partitions resident, and Plan::swaps counts admitted partitions.
#include "core/storage/plan.h"
#include "test_util.h"

namespace marius {
namespace {

using testing::expect_error;

Plan two_states() {
  // p=3, c=2: {0,1} then {0,2} then {1,2} (2 swaps).
  Plan plan{3, 2, {}};
  plan.states.push_back({{0, 1}, {{0, 0}, {0, 1}, {1, 0}, {1, 1}}});
  plan.states.push_back({{0, 2}, {{0, 2}, {2, 0}, {2, 2}}});
  plan.states.push_back({{1, 2}, {{1, 2}, {2, 1}}});
  return plan;
}

TEST(Plan, ValidPlanAndSwaps) {
  Plan plan = two_states();
  EXPECT_NO_THROW(validate_plan(plan, "test"));
  EXPECT_EQ(plan.swaps(), 2);
}

TEST(Plan, Rejections) {
  Plan missing = two_states();
  missing.states[2].buckets.pop_back();
  expect_error([&] { validate_plan(missing, "policy x"); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"policy x", "bucket (2,1) is never processed"});
  Plan twice = two_states();
  twice.states[2].buckets.push_back({1, 2});
  expect_error([&] { validate_plan(twice, "p"); }, MARIUS_ERR_INVALID_ARGUMENT, {"bucket (1,2) is processed twice"});
  Plan absent = two_states();
  absent.states[0].buckets.push_back({2, 2});
  absent.states[1].buckets.pop_back();
  expect_error([&] { validate_plan(absent, "p"); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"bucket (2,2) is processed in state 0 where partition 2 is not resident"});
  Plan full = two_states();
  full.states[0].partitions = {0, 1, 2};
  expect_error([&] { validate_plan(full, "p"); }, MARIUS_ERR_INVALID_ARGUMENT, {"holds 3 partitions, capacity is 2"});
  Plan outside = two_states();
  outside.states[0].partitions = {0, 7};
  expect_error([&] { validate_plan(outside, "p"); }, MARIUS_ERR_INVALID_ARGUMENT, {"partition 7, outside [0, 3)"});
  Plan repeated = two_states();
  repeated.states[0].partitions = {1, 1};
  expect_error([&] { validate_plan(repeated, "p"); }, MARIUS_ERR_INVALID_ARGUMENT, {"lists partition 1 twice"});
}

}  // namespace
}  // namespace marius
