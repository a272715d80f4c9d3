set(MARIUS_TRAIN_TEST_SOURCES
  train_math_test.cpp
  config_test.cpp
  partition_buffer_test.cpp
  pipeline_test.cpp
  pipeline_train_test.cpp
  device_tier_test.cpp
  run_guards_test.cpp
  checkpoint_test.cpp
  gnn_test.cpp
  abi_compat_test.cpp
  node_data_test.cpp
  gnn_train_test.cpp
  node_classification_out_of_core_test.cpp
  dist_test.cpp
  distributed_link_prediction_test.cpp
  given_evaluation_test.cpp
)
add_test(NAME train_cli COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/train_cli_test.sh $<TARGET_FILE:marius-run>)
set_tests_properties(train_cli PROPERTIES TIMEOUT 300)
add_test(NAME out_of_core_cli COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/out_of_core_cli_test.sh $<TARGET_FILE:marius-run>)
set_tests_properties(out_of_core_cli PROPERTIES TIMEOUT 300)
add_test(NAME dist_cli COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/dist_cli_test.sh $<TARGET_FILE:marius-run>)
set_tests_properties(dist_cli PROPERTIES TIMEOUT 300)
