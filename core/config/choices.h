// core/config/choices.h - the configuration's choice keys as enums.
//
// Parsed once from their names when the configuration is read (config.cpp);
// the hot paths compare enums, never strings. choice_name() gives the name back
// (for to_toml(), messages and metrics).
#pragma once

namespace marius {

enum class InitKind { kUniform, kNormal };                      // model.init
enum class LossKind { kSoftmax, kRanking, kLogistic };          // training.loss
enum class Reduction { kSum, kMean };                           // training.reduction
enum class Regularization { kNone, kL2, kN3 };                  // training.regularization
enum class PipelineMode { kSync, kPipelined };                  // pipeline.mode
enum class RelationOptimizer { kAdagrad, kAdam };               // optimizer.relation_optimizer
enum class NodeOptimizerKind { kAdagrad, kRowAdagrad };             // optimizer.node_optimizer
enum class EvalProtocol { kFiltered, kSampled, kGiven, kClassification, kNone };  // evaluation.protocol
enum class TaskKind { kLinkPrediction, kNodeClassification };   // model.task
enum class NeighborDirection { kIncoming, kOutgoing, kBoth };   // model.direction
enum class NodeInput { kAuto, kFeatures, kEmbeddings, kBoth };  // model.node_input
enum class DenseOptimizerKind { kAdam, kAdamW, kSgd };              // optimizer.dense
enum class InferenceMode { kFull, kSampled };                   // evaluation.inference
enum class DenseUpdates { kSync, kAsync };                      // pipeline.dense_updates
enum class PartitionerChoice { kAny, kRandom, kMetis };         // storage.partitioner

// The configuration name of a choice ("softmax", "pipelined", ...).
const char* choice_name(InitKind v);
const char* choice_name(LossKind v);
const char* choice_name(Reduction v);
const char* choice_name(Regularization v);
const char* choice_name(PipelineMode v);
const char* choice_name(RelationOptimizer v);
const char* choice_name(NodeOptimizerKind v);
const char* choice_name(EvalProtocol v);
const char* choice_name(TaskKind v);
const char* choice_name(NeighborDirection v);
const char* choice_name(NodeInput v);
const char* choice_name(DenseOptimizerKind v);
const char* choice_name(InferenceMode v);
const char* choice_name(DenseUpdates v);
const char* choice_name(PartitionerChoice v);

}  // namespace marius
