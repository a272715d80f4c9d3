# Sources of core/datasets (the registry of standard datasets and `datasets fetch`).
# registry.toml is compiled in: embed_registry.cmake turns it into a C++ string.
set(MARIUS_REGISTRY_TEXT ${CMAKE_CURRENT_BINARY_DIR}/datasets/registry_text.cpp)
add_custom_command(
  OUTPUT ${MARIUS_REGISTRY_TEXT}
  COMMAND ${CMAKE_COMMAND} -DIN=${CMAKE_CURRENT_SOURCE_DIR}/datasets/registry.toml -DOUT=${MARIUS_REGISTRY_TEXT}
          -P ${CMAKE_CURRENT_SOURCE_DIR}/datasets/embed_registry.cmake
  DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/datasets/registry.toml ${CMAKE_CURRENT_SOURCE_DIR}/datasets/embed_registry.cmake
  COMMENT "Embedding core/datasets/registry.toml")
set(MARIUS_DATASETS_SOURCES
  datasets/sha256.cpp
  datasets/download.cpp
  datasets/archive.cpp
  datasets/ndarray.cpp
  datasets/pickle.cpp
  datasets/catalog.cpp
  datasets/converters.cpp
  datasets/converter_support.cpp
  datasets/ogb_converters.cpp
  datasets/planetoid_converter.cpp
  datasets/fetch.cpp
  ${MARIUS_REGISTRY_TEXT}
)
