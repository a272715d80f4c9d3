# Sources of the model, training, evaluation and checkpoints.
set(MARIUS_TRAIN_SOURCES
)
