#include "cli/data_commands.h"

#include <memory>
#include <cstdio>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "core/data/generate.h"
#include "core/data/generate_powerlaw.h"
#include "core/data/preprocess.h"
#include "core/data/generate_sbm.h"
#include "core/error.h"

namespace marius::cli {

namespace {

struct PreprocessArgs {
  std::string train, valid, test, input, split, output, columns;
  std::string delimiter = "tab";
  std::string ids = "string";
  std::string features, labels, train_nodes, valid_nodes, test_nodes;
  std::string features_dtype = "float32";
  bool header = false;
  uint64_t seed = 1;
  int64_t partitions = 1;
  std::string partitioner = "random";
  std::string valid_negatives, test_negatives;
  std::string negatives_layout = "shared";
};

int run_preprocess(const PreprocessArgs& a) {
  PreprocessOptions o;
  o.train = a.train;
  o.valid = a.valid;
  o.test = a.test;
  o.input = a.input;
  if (!a.split.empty()) o.split = parse_split(a.split);
  o.seed = a.seed;
  o.output = a.output;
  o.format.delimiter = parse_delimiter(a.delimiter);
  o.format.header = a.header;
  o.format.columns = ColumnLayout::parse(a.columns);
  o.format.ids = parse_id_kind(a.ids);
  o.partitions = a.partitions;
  if (a.partitioner != "random" && a.partitioner != "metis") {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "--partitioner \"{}\": expected random or metis", a.partitioner);
  }
  o.partitioner = a.partitioner == "metis" ? Partitioner::kMetis : Partitioner::kRandom;
  o.node_inputs.features = a.features;
  o.node_inputs.labels = a.labels;
  o.node_inputs.split_nodes[0] = a.train_nodes;
  o.node_inputs.split_nodes[1] = a.valid_nodes;
  o.node_inputs.split_nodes[2] = a.test_nodes;
  if (a.features_dtype != "float32" && a.features_dtype != "float16") {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "--features-dtype \"{}\": expected float32 or float16", a.features_dtype);
  }
  o.node_inputs.float16 = a.features_dtype == "float16";
  o.negatives[static_cast<int>(Split::kValid)] = a.valid_negatives;
  o.negatives[static_cast<int>(Split::kTest)] = a.test_negatives;
  o.negatives_layout = parse_negatives_layout(a.negatives_layout, "--negatives-layout");

  PreprocessResult r = preprocess(o);
  const DatasetInfo& info = r.info;
  fmt::print("preprocessed into {} in {:.2f} s\n", r.output.string(), r.seconds);
  fmt::print("  nodes      {}\n", info.num_nodes);
  fmt::print("  relations  {}{}\n", info.num_relations, info.has_relations ? "" : " (a plain graph)");
  for (Split s : kSplits) fmt::print("  {:<10} {} edges\n", split_name(s), info.num_edges[static_cast<int>(s)]);
  fmt::print("  ids        {}-bit\n", info.id_bytes * 8);
  if (info.num_partitions > 1) {
    fmt::print("  partitions {} ({} buckets), {}", info.num_partitions, info.num_partitions * info.num_partitions,
               partitioner_name(info.partitioner));
    if (r.internal_edge_fraction >= 0) fmt::print(": {:.1f}% of the training edges within a partition", 100 * r.internal_edge_fraction);
    fmt::print("\n");
  }
  fmt::print("  input      delimiter {}, columns {}, {} ids{}\n", delimiter_name(r.format.delimiter),
             r.format.columns.str(), a.ids, a.header ? ", header skipped" : "");
  for (Split s : {Split::kValid, Split::kTest}) {
    const int64_t n = r.given_negatives[static_cast<int>(s)];
    if (n == 0) continue;
    if (o.negatives_layout == NegativesLayout::kShared) {
      fmt::print("  negatives  {}: {} shared negative edges\n", split_name(s), n);
    } else {
      fmt::print("  negatives  {}: {} per edge ({})\n", split_name(s), n, negatives_layout_name(o.negatives_layout));
    }
  }
  return 0;
}

// `generate` options: shared by both kinds, or belonging to one (given for
// the other kind they are an error). Unset options take the kind's defaults.
struct GenerateArgs {
  std::string kind = "planted";
  std::string output;
  std::optional<int64_t> nodes, relations, edges;
  uint64_t seed = 1;
  std::optional<int64_t> clusters;                             // planted
  std::optional<int64_t> partitions, valid_edges, test_edges;  // powerlaw
  std::optional<double> exponent;                              // powerlaw
  std::optional<int64_t> classes, features;                    // sbm
  std::optional<double> homophily;                             // sbm
  std::optional<std::string> features_dtype;                   // sbm with --partitions
  std::optional<std::string> split;                            // sbm: node split fractions
};

int run_sbm(const GenerateArgs& a) {
  SbmOptions o;
  o.output = a.output;
  o.nodes = a.nodes.value_or(o.nodes);
  o.edges = a.edges.value_or(o.edges);
  o.classes = a.classes.value_or(o.classes);
  o.features = a.features.value_or(o.features);
  o.homophily = a.homophily.value_or(o.homophily);
  o.seed = a.seed;
  o.partitions = a.partitions.value_or(0);
  if (a.split) {
    double f[3];
    char tail = 0;
    if (std::sscanf(a.split->c_str(), "%lf,%lf,%lf%c", &f[0], &f[1], &f[2], &tail) != 3) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "--split \"{}\": expected three fractions TRAIN,VALID,TEST", *a.split);
    }
    o.train_fraction = f[0], o.valid_fraction = f[1], o.test_fraction = f[2];
  }
  if (a.features_dtype) {
    if (o.partitions == 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "--features-dtype: only with --partitions (a dataset); preprocess takes it otherwise");
    if (*a.features_dtype != "float32" && *a.features_dtype != "float16") {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "--features-dtype \"{}\": expected float32 or float16", *a.features_dtype);
    }
    o.float16 = *a.features_dtype == "float16";
  }
  SbmResult r = generate_sbm(o);
  fmt::print("generated {} {} in {:.2f} s\n", o.partitions > 0 ? "node classification dataset" : "node classification graph",
             r.output.string(), r.seconds);
  fmt::print("  nodes      {} in {} classes, {} features\n", o.nodes, o.classes, o.features);
  fmt::print("  edges      {} (homophily {})\n", o.edges, o.homophily);
  fmt::print("  splits     {} train, {} valid, {} test nodes\n", r.split_nodes[0], r.split_nodes[1], r.split_nodes[2]);
  if (o.partitions > 0) {
    fmt::print("  partitions {}; features.bin {:.2f} GiB ({})\n", o.partitions,
               static_cast<double>(r.feature_bytes) / static_cast<double>(uint64_t{1} << 30), o.float16 ? "float16" : "float32");
    return 0;
  }
  fmt::print("next: marius-run preprocess --train {0}/edges.tsv --features {0}/features.npy --labels {0}/labels.tsv "
             "--train-nodes {0}/train_nodes.txt --valid-nodes {0}/valid_nodes.txt --test-nodes {0}/test_nodes.txt "
             "--output DATASET\n", r.output.string());
  return 0;
}

int run_planted(const GenerateArgs& a) {
  GenerateOptions o;
  o.output = a.output;
  o.nodes = a.nodes.value_or(o.nodes);
  o.relations = a.relations.value_or(o.relations);
  o.edges = a.edges.value_or(o.edges);
  o.clusters = a.clusters.value_or(o.clusters);
  o.seed = a.seed;
  GenerateResult r = generate(o);
  fmt::print("generated {} in {:.2f} s: {} nodes in {} clusters, {} relations\n", r.output.string(), r.seconds,
             o.nodes, r.clusters, o.relations);
  const char* files[3] = {"train.tsv", "valid.tsv", "test.tsv"};
  for (int s = 0; s < 3; ++s) fmt::print("  {:<10} {} edges\n", files[s], r.num_edges[s]);
  fmt::print("next: marius-run preprocess --train {0}/train.tsv --valid {0}/valid.tsv --test {0}/test.tsv "
             "--output DATASET_DIR\n",
             r.output.string());
  return 0;
}

int run_powerlaw(const GenerateArgs& a) {
  PowerLawOptions o;
  o.output = a.output;
  o.nodes = a.nodes.value_or(o.nodes);
  o.relations = a.relations.value_or(o.relations);
  o.edges = a.edges.value_or(o.edges);
  o.partitions = a.partitions.value_or(o.partitions);
  o.valid_edges = a.valid_edges.value_or(o.valid_edges);
  o.test_edges = a.test_edges.value_or(o.test_edges);
  o.exponent = a.exponent.value_or(o.exponent);
  o.seed = a.seed;
  PowerLawResult r = generate_powerlaw(o);
  const DatasetInfo& info = r.info;
  fmt::print("generated dataset {} in {:.2f} s\n", r.output.string(), r.seconds);
  fmt::print("  nodes      {} (power law, exponent {})\n", info.num_nodes, o.exponent);
  fmt::print("  relations  {}{}\n", info.num_relations, info.has_relations ? "" : " (a plain graph)");
  for (Split s : kSplits) fmt::print("  {:<10} {} edges\n", split_name(s), info.num_edges[static_cast<int>(s)]);
  fmt::print("  degrees    max {}, mean {:.2f}\n", r.max_degree,
             2.0 * static_cast<double>(info.num_edges[0]) / static_cast<double>(info.num_nodes));
  fmt::print("  partitions {} ({} buckets)\n", info.num_partitions, info.num_partitions * info.num_partitions);
  return 0;
}

int run_generate(const GenerateArgs& a, const CLI::App& app) {
  auto only = [&](const char* kind, std::initializer_list<const char*> options) {
    for (const char* name : options) {
      if (app.count(name) > 0) {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: only with --kind {} (this is --kind {})", name, kind, a.kind);
      }
    }
  };
  if (a.kind == "sbm") {
    only("powerlaw", {"--valid-edges", "--test-edges", "--exponent"});
    only("planted", {"--clusters"});
    only("planted or powerlaw", {"--relations"});
    return run_sbm(a);
  }
  if (a.kind == "planted") {
    only("powerlaw or sbm", {"--partitions"});
    only("powerlaw", {"--valid-edges", "--test-edges", "--exponent"});
    only("sbm", {"--classes", "--features", "--homophily", "--features-dtype", "--split"});
    return run_planted(a);
  }
  if (a.kind == "powerlaw") {
    only("planted", {"--clusters"});
    only("sbm", {"--classes", "--features", "--homophily", "--features-dtype", "--split"});
    return run_powerlaw(a);
  }
  fail(MARIUS_ERR_INVALID_ARGUMENT, "--kind \"{}\": expected planted, powerlaw or sbm", a.kind);
}

}  // namespace

void add_data_commands(CLI::App& app, const GlobalOptions&, int& exit_code) {
  auto p = std::make_shared<PreprocessArgs>();
  CLI::App* pre = app.add_subcommand("preprocess", "Turn edge lists (TSV/CSV, optionally .gz) into a dataset directory");
  pre->add_option("--train", p->train, "Training edges");
  pre->add_option("--valid", p->valid, "Validation edges (with --train)");
  pre->add_option("--test", p->test, "Test edges (with --train)");
  pre->add_option("--input", p->input, "All edges, split at random by --split");
  pre->add_option("--split", p->split, "TRAIN,VALID,TEST fractions for --input, e.g. 0.9,0.05,0.05");
  pre->add_option("--seed", p->seed, "Seed of the random split and of the partition permutation")
      ->capture_default_str();
  pre->add_option("--output", p->output, "Dataset directory to write (replaces an existing dataset)");
  pre->add_option("--delimiter", p->delimiter, "tab, comma, space, auto or one character")->capture_default_str();
  pre->add_flag("--header", p->header, "Skip the first line that is not blank or a # comment");
  pre->add_option("--columns", p->columns,
                  "One letter per column: h head, r relation, t tail, _ ignored (default: hrt for 3 columns, ht for 2)");
  pre->add_option("--ids", p->ids, "string (kept verbatim) or integer")->capture_default_str();
  pre->add_option("--partitions", p->partitions,
                  "Node partitions p, 1 to min(nodes, 1024): p > 1 renumbers nodes by a random permutation (--seed) "
                  "and groups train edges into p x p buckets (train.buckets)")
      ->capture_default_str();
  pre->add_option("--partitioner", p->partitioner,
                  "With --partitions p > 1: random (a seeded permutation, every partition alike) or metis (METIS's "
                  "communities of the training graph: neighbours share a partition, so out-of-core GNNs see more "
                  "of each neighbourhood; holds the graph in memory)")
      ->capture_default_str();
  pre->add_option("--features", p->features,
                  "Node features: node<TAB>v1 v2 ... vD (.tsv or .tsv.gz), or a 2-D float .npy whose row i is node \"i\"");
  pre->add_option("--features-dtype", p->features_dtype, "float32 or float16 (half the bytes)")->capture_default_str();
  pre->add_option("--labels", p->labels, "Node labels: node<TAB>class (-1: unlabelled)");
  pre->add_option("--train-nodes", p->train_nodes, "Training nodes, one per line (node classification)");
  pre->add_option("--valid-nodes", p->valid_nodes, "Validation nodes, one per line");
  pre->add_option("--test-nodes", p->test_nodes, "Test nodes, one per line");
  pre->add_option("--valid-negatives", p->valid_negatives,
                  "Negatives published for the validation split (evaluation.protocol given or classification); "
                  "see --negatives-layout");
  pre->add_option("--test-negatives", p->test_negatives, "Negatives published for the test split");
  pre->add_option("--negatives-layout", p->negatives_layout,
                  "shared: negative edges in the edge files' layout, every positive compared with all (OGB's "
                  "ogbl-ddi and ogbl-collab; CoDEx's false triples); tails, heads: one line per edge of the split "
                  "with its M candidate tails or heads (ogbl-citation2); both: M heads then M tails (ogbl-wikikg2)")
      ->capture_default_str();
  pre->callback([p, &exit_code] { exit_code = run_preprocess(*p); });

  auto g = std::make_shared<GenerateArgs>();
  CLI::App* gen = app.add_subcommand(
      "generate",
      "Write a synthetic graph: --kind planted (default) writes train/valid/test.tsv with planted cluster structure "
      "for preprocess; --kind powerlaw writes a (partitioned) dataset directory with power-law degrees, streaming, "
      "for scale benchmarks; --kind sbm writes a node classification graph (edges, features.npy, labels, splits) "
      "with planted classes, for GNN benchmarks");
  gen->add_option("--kind", g->kind, "planted, powerlaw or sbm")->capture_default_str();
  gen->add_option("--output", g->output, "Directory to write (planted: edge lists; powerlaw: a dataset)");
  gen->add_option("--nodes", g->nodes, "Number of nodes (default 2000)");
  gen->add_option("--relations", g->relations, "Number of relations (default 10; powerlaw: 1 makes a plain graph)");
  gen->add_option("--edges", g->edges,
                  "planted: distinct edges, split 80/10/10; powerlaw: training edges, duplicates possible "
                  "(default 40000)");
  gen->add_option("--seed", g->seed, "Random seed")->capture_default_str();
  gen->add_option("--clusters", g->clusters, "planted: number of node clusters (default 40)");
  gen->add_option("--partitions", g->partitions,
                  "powerlaw: node partitions, 1 to min(nodes, 1024) (default 1); sbm: write a dataset with this many "
                  "partitions instead of input files (for feature tables larger than memory)");
  gen->add_option("--valid-edges", g->valid_edges, "powerlaw: validation edges (default 1000)");
  gen->add_option("--test-edges", g->test_edges, "powerlaw: test edges (default 1000)");
  gen->add_option("--exponent", g->exponent, "powerlaw: degree distribution exponent, in (1, 10] (default 2.1)");
  gen->add_option("--classes", g->classes, "sbm: node classes (default 10)");
  gen->add_option("--features", g->features, "sbm: feature width (default 32)");
  gen->add_option("--homophily", g->homophily, "sbm: probability that an edge stays within its class (default 0.8)");
  gen->add_option("--features-dtype", g->features_dtype, "sbm with --partitions: float32 (default) or float16");
  gen->add_option("--split", g->split, "sbm: fractions of nodes in the train, valid and test splits (default 0.1,0.05,0.1)");
  gen->callback([g, gen, &exit_code] { exit_code = run_generate(*g, *gen); });
}

}  // namespace marius::cli
