# Sources of core/data (edge-list reading, preprocessing, the dataset format).
set(MARIUS_DATA_SOURCES
  data/binary_file.cpp
  data/line_reader.cpp
  data/edge_list_reader.cpp
  data/id_dictionary.cpp
  data/partitioning.cpp
  data/dataset_format.cpp
  data/dataset_writer.cpp
  data/bucket_writer.cpp
  data/staging_dir.cpp
  data/dataset.cpp
  data/dataset_fingerprint.cpp
  data/preprocess.cpp
  data/node_data.cpp
  data/generate.cpp
  data/generate_powerlaw.cpp
)
