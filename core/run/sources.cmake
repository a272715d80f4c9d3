# Sources of the training run and what it is built from: the run and its
# scheduler (run/), the pipeline (pipeline/), the tasks (tasks/, one folder
# each), the numeric kernels (kernels/), the model's parameters (model/),
# persistence (persist/), the storage tiers (storage/) and the configuration.
set(MARIUS_TRAIN_SOURCES
  config/config.cpp
  config/config_schema.cpp
  run/session.cpp
  run/session_distributed.cpp
  run/allocator.cpp
  run/train_run.cpp
  run/tier_config.cpp
  run/memory_budget.cpp
  run/metrics_file.cpp
  run/scheduler.cpp
  run/scheduler_partitioned.cpp
  run/node_assignment.cpp
  run/step.cpp
  run/progress.cpp
  run/interrupt.cpp
  pipeline/pipeline.cpp
  tasks/link_prediction/link_prediction_task.cpp
  tasks/link_prediction/link_prediction_compute.cpp
  tasks/link_prediction/relation_table.cpp
  tasks/link_prediction/evaluator.cpp
  tasks/link_prediction/ranking.cpp
  tasks/link_prediction/given_evaluation.cpp
  tasks/link_prediction/predict.cpp
  tasks/link_prediction/gnn_link_prediction_task.cpp
  tasks/node_classification/node_classification_task.cpp
  tasks/node_classification/node_classification_session.cpp
  gnn/adjacency.cpp
  gnn/dense_sampler.cpp
  gnn/layer_autograd.cpp
  gnn/encoder.cpp
  gnn/streaming_inference.cpp
  gnn/dense_optimizer.cpp
  gnn/dense_parameters.cpp
  gnn/gnn_model.cpp
  persist/tensor_archive.cpp
  kernels/loss.cpp
  kernels/softmax_kernel.cpp
  kernels/sparse_optimizer.cpp
  kernels/kernel_threads.cpp
  model/model.cpp
  model/node_rows.cpp
  model/nearest_nodes.cpp
  model/ivf_index.cpp
  model/sample_calls.cpp
  persist/checkpoint.cpp
  persist/export.cpp
  storage/partition_store.cpp
  storage/partition_buffer.cpp
  storage/feature_pages.cpp
  storage/table_source.cpp
  storage/tier_plan.cpp
  storage/plan.cpp
  storage/plan_analysis.cpp
)
set_source_files_properties(kernels/sparse_optimizer.cpp PROPERTIES COMPILE_OPTIONS "-fno-math-errno")
set_source_files_properties(kernels/softmax_kernel.cpp PROPERTIES COMPILE_OPTIONS "-ffast-math")
