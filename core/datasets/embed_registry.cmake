# cmake -DIN=registry.toml -DOUT=registry_text.cpp -P embed_registry.cmake
file(READ ${IN} text)
file(WRITE ${OUT} "// Generated from core/datasets/registry.toml by embed_registry.cmake.\nnamespace marius {\nextern const char* const kBuiltinRegistry;\nconst char* const kBuiltinRegistry = R\"registry(${text})registry\";\n}  // namespace marius\n")
