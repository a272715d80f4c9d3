# Tests of core/data and the preprocess/generate commands.
set(MARIUS_DATA_TEST_SOURCES
  edge_list_reader_test.cpp
  id_dictionary_test.cpp
  dataset_test.cpp
  preprocess_test.cpp
  generate_test.cpp
  partition_test.cpp
  bucket_writer_test.cpp
  generate_powerlaw_test.cpp
  streaming_memory_test.cpp
)
# marius-run preprocess / generate end to end: output, summaries, error messages and exit codes.
add_test(NAME data_cli COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/data_cli_test.sh $<TARGET_FILE:marius-run>)
# The tests write gzip inputs with zlib themselves (marius_core links it privately).
cmake_language(DEFER CALL target_link_libraries marius_tests PRIVATE ZLIB::ZLIB)
