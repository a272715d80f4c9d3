#include "cli/data_commands.h"

#include <memory>
#include <string>

#include <fmt/format.h>

#include "core/data/generate.h"
#include "core/data/preprocess.h"

namespace marius::cli {

namespace {

struct PreprocessArgs {
  std::string train, valid, test, input, split, output, columns;
  std::string delimiter = "tab";
  std::string ids = "string";
  bool header = false;
  uint64_t seed = 1;
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

  PreprocessResult r = preprocess(o);
  const DatasetInfo& info = r.info;
  fmt::print("preprocessed into {} in {:.2f} s\n", r.output.string(), r.seconds);
  fmt::print("  nodes      {}\n", info.num_nodes);
  fmt::print("  relations  {}{}\n", info.num_relations, info.has_relations ? "" : " (a plain graph)");
  for (Split s : kSplits) fmt::print("  {:<10} {} edges\n", split_name(s), info.num_edges[static_cast<int>(s)]);
  fmt::print("  ids        {}-bit\n", info.id_bytes * 8);
  fmt::print("  input      delimiter {}, columns {}, {} ids{}\n", delimiter_name(r.format.delimiter),
             r.format.columns.str(), a.ids, a.header ? ", header skipped" : "");
  return 0;
}

int run_generate(const GenerateOptions& o) {
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

}  // namespace

void add_data_commands(CLI::App& app, const GlobalOptions&, int& exit_code) {
  auto p = std::make_shared<PreprocessArgs>();
  CLI::App* pre = app.add_subcommand("preprocess", "Turn edge lists (TSV/CSV, optionally .gz) into a dataset directory");
  pre->add_option("--train", p->train, "Training edges");
  pre->add_option("--valid", p->valid, "Validation edges (with --train)");
  pre->add_option("--test", p->test, "Test edges (with --train)");
  pre->add_option("--input", p->input, "All edges, split at random by --split");
  pre->add_option("--split", p->split, "TRAIN,VALID,TEST fractions for --input, e.g. 0.9,0.05,0.05");
  pre->add_option("--seed", p->seed, "Seed of the random split")->capture_default_str();
  pre->add_option("--output", p->output, "Dataset directory to write (replaces an existing dataset)");
  pre->add_option("--delimiter", p->delimiter, "tab, comma, space, auto or one character")->capture_default_str();
  pre->add_flag("--header", p->header, "Skip the first line that is not blank or a # comment");
  pre->add_option("--columns", p->columns,
                  "One letter per column: h head, r relation, t tail, _ ignored (default: hrt for 3 columns, ht for 2)");
  pre->add_option("--ids", p->ids, "string (kept verbatim) or integer")->capture_default_str();
  pre->callback([p, &exit_code] { exit_code = run_preprocess(*p); });

  auto g = std::make_shared<GenerateOptions>();
  auto output = std::make_shared<std::string>();
  CLI::App* gen = app.add_subcommand(
      "generate", "Write train/valid/test.tsv of a synthetic multi-relational graph with planted cluster structure");
  gen->add_option("--output", *output, "Directory to write");
  gen->add_option("--nodes", g->nodes, "Number of nodes")->capture_default_str();
  gen->add_option("--relations", g->relations, "Number of relations")->capture_default_str();
  gen->add_option("--edges", g->edges, "Number of distinct edges (split 80/10/10)")->capture_default_str();
  gen->add_option("--clusters", g->clusters, "Number of node clusters")->capture_default_str();
  gen->add_option("--seed", g->seed, "Random seed")->capture_default_str();
  gen->callback([g, output, &exit_code] {
    g->output = *output;
    exit_code = run_generate(*g);
  });
}

}  // namespace marius::cli
