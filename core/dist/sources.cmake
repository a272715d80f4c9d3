# Sources of core/dist: distributed runs on torch c10d (docs/distributed.md).
set(MARIUS_DIST_SOURCES
  dist/world.cpp
  dist/cluster.cpp
  dist/launcher.cpp
  dist/gradient_exchange.cpp
)
