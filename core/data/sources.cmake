# Sources of core/data (edge-list reading, preprocessing, the dataset format).
set(MARIUS_DATA_SOURCES
)
