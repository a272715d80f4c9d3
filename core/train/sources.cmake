# Sources of the model, training, evaluation and checkpoints.
set(MARIUS_TRAIN_SOURCES
  config/config.cpp
  train/model.cpp
  train/loss.cpp
  train/sparse_optimizer.cpp
)
