# Tests of core/data and the preprocess/generate commands.
set(MARIUS_DATA_TEST_SOURCES
)
