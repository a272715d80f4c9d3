# Sources of the model, training, evaluation and checkpoints.
set(MARIUS_TRAIN_SOURCES
  config/config.cpp
  train/model.cpp
  train/loss.cpp
  train/softmax_kernel.cpp
  train/sparse_optimizer.cpp
  train/progress.cpp
  train/pipeline.cpp
  train/interrupt.cpp
  train/trainer.cpp
  train/trainer_partitioned.cpp
  train/kernel_threads.cpp
  train/evaluator.cpp
  train/checkpoint.cpp
  train/session.cpp
  train/export.cpp
  train/node_rows.cpp
  storage/partition_store.cpp
  storage/partition_buffer.cpp
  storage/table_source.cpp
  storage/tier_plan.cpp
  storage/plan.cpp
  storage/plan_analysis.cpp
)
set_source_files_properties(train/sparse_optimizer.cpp PROPERTIES COMPILE_OPTIONS "-fno-math-errno")
set_source_files_properties(train/softmax_kernel.cpp PROPERTIES COMPILE_OPTIONS "-ffast-math")
