# MariusPlugin.cmake - marius_add_plugin(), for plugins in the marius tree and out of it.
#
#   marius_add_plugin(<name>
#     SOURCES <file>...            C or C++ sources of the plugin
#     MANIFEST <file.toml.in>      the manifest; @MARIUS_PLUGIN_FILE@ in it becomes the
#                                  library's file name, so [library].path = "@MARIUS_PLUGIN_FILE@"
#     [TORCH]                      the plugin uses LibTorch (the SDK's LibTorch adapter)
#     [C]                          the plugin is plain C: the ABI headers and marius/sdk/c_plugin.h only
#     [OUTPUT_DIRECTORY <dir>]     where the library and manifest are built
#                                  (default: MARIUS_PLUGIN_OUTPUT_DIR, else the current binary dir)
#     [INSTALL_DESTINATION <dir>]  where `cmake --install` puts them
#                                  (default: <libdir>/marius/plugins under the install prefix)
#     [NO_INSTALL])
#
# Builds lib marius_<name> as a MODULE library with hidden visibility (only the
# entry function is exported), refuses undefined symbols at link time, and writes
# <name>.toml next to it, ready for `marius-run --plugin <dir>/<name>.toml`.
include_guard(GLOBAL)
include(GNUInstallDirs)

function(marius_add_plugin name)
  cmake_parse_arguments(ARG "TORCH;C;NO_INSTALL" "MANIFEST;OUTPUT_DIRECTORY;INSTALL_DESTINATION" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES OR NOT ARG_MANIFEST)
    message(FATAL_ERROR "marius_add_plugin(${name}): SOURCES and MANIFEST are required")
  endif()
  if(ARG_OUTPUT_DIRECTORY)
    set(out_dir ${ARG_OUTPUT_DIRECTORY})
  elseif(MARIUS_PLUGIN_OUTPUT_DIR)
    set(out_dir ${MARIUS_PLUGIN_OUTPUT_DIR})
  else()
    set(out_dir ${CMAKE_CURRENT_BINARY_DIR})
  endif()
  if(ARG_INSTALL_DESTINATION)
    set(install_dir ${ARG_INSTALL_DESTINATION})
  else()
    set(install_dir ${CMAKE_INSTALL_LIBDIR}/marius/plugins)
  endif()

  add_library(${name} MODULE ${ARG_SOURCES})
  if(ARG_C)
    target_link_libraries(${name} PRIVATE marius::c_sdk)  # <marius/abi.h> and <marius/sdk/c_plugin.h>
  else()
    target_link_libraries(${name} PRIVATE marius::sdk)
  endif()
  if(ARG_TORCH)
    if(NOT TORCH_LIBRARIES)
      find_package(Torch REQUIRED)
    endif()
    target_link_libraries(${name} PRIVATE ${TORCH_LIBRARIES})
  endif()
  set_target_properties(${name} PROPERTIES
    PREFIX "lib"
    OUTPUT_NAME "marius_${name}"
    LIBRARY_OUTPUT_DIRECTORY ${out_dir}
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  # Every symbol resolved at link time; not in marius's own fuzz build, where clang's sanitizer
  # runtimes live in the executable rather than in the libraries.
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux" AND NOT MARIUS_FUZZ)
    target_link_options(${name} PRIVATE "LINKER:-z,defs")
  endif()

  set(MARIUS_PLUGIN_FILE "libmarius_${name}${CMAKE_SHARED_MODULE_SUFFIX}")
  configure_file(${ARG_MANIFEST} ${out_dir}/${name}.toml @ONLY)
  if(NOT ARG_NO_INSTALL)
    install(TARGETS ${name} LIBRARY DESTINATION ${install_dir})
    install(FILES ${out_dir}/${name}.toml DESTINATION ${install_dir})
  endif()
endfunction()
