# Sources of core/dist: distributed runs on torch c10d (docs/distributed.md).
set(MARIUS_DIST_SOURCES
  dist/world.cpp
  dist/cluster.cpp
  dist/launcher.cpp
  dist/gradient_exchange.cpp
  dist/bucket_board.cpp
  dist/bucket_service.cpp
  dist/relation_sync.cpp
  dist/liveness.cpp
  dist/distributed_link_prediction.cpp
)
