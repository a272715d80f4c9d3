# examples/notebook_session.py - a notebook-style session with the Python package.
#
#   MARIUS_LIBRARY=build/lib/libmarius.so PYTHONPATH=python /usr/bin/python3 examples/notebook_session.py
#
# Preprocesses FB15k-237 (from ../shared/datasets/fb15k-237, or the directory given
# as the first argument) unless data/fb15k-237 exists, trains configuration R
# (examples/r.toml) for a few epochs with a progress line, evaluates, and looks up
# the nearest neighbours of a node by its original id. Each "# %%" block is a
# notebook cell (VS Code, Jupytext).

# %% Setup
import os
import pathlib
import sys

import numpy as np

import marius

root = pathlib.Path(__file__).resolve().parent.parent
raw = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root.parent / "shared" / "datasets" / "fb15k-237"
data = root / "data" / "fb15k-237"
epochs = int(os.environ.get("EPOCHS", "3"))
print("libmarius:", marius.library_path())
marius.set_log_level("warn")

# %% Preprocess (once)
if not (data / "nodes.txt").exists():
    summary = marius.preprocess(data, train=raw / "train.tsv.gz", valid=raw / "valid.tsv", test=raw / "test.tsv")
    print(f"preprocessed {summary['num_nodes']} nodes, {summary['num_relations']} relations, "
          f"{summary['train_edges']} training edges in {summary['seconds']:.1f} s")

# %% Open a session: configuration R with overrides ("__" stands for ".")
session = marius.Session(root / "examples" / "r.toml", dataset__path=data, output__dir=root / "output" / "notebook",
                         training__epochs=epochs)
print(session)


# %% Train, with a progress line
def show(p):
    end = "\n" if p.finished else "\r"
    print(f"epoch {p.epoch}: {p.edges_done:>7}/{p.edges_total} edges, loss {p.loss:.4f}, {p.seconds:5.1f} s", end=end)


result = session.train(progress=show)
print(f"{result['epochs_trained']} epoch(s), {result['edges_per_sec']:.0f} edges/s")

# %% Evaluate (filtered MRR, Hits@k on the test split)
m = session.evaluate("test")
print(f"test: MRR {m['mrr']:.4f}  Hits@1 {m['hits1']:.4f}  Hits@10 {m['hits10']:.4f}  ({m['rankings']} rankings)")

# %% Embeddings: a zero-copy view of the model's table
emb = session.embeddings()
print(emb.shape, emb.dtype, "zero-copy:", emb.ctypes.data == session.info()["node_table_address"])
ids = session.node_ids()


# %% Nearest neighbours of a node, by original id (cosine similarity)
def neighbours(node_id, k=5):
    unit = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    similarity = unit @ unit[session.node_index(node_id)]
    best = np.argsort(-similarity)[1:k + 1]  # [0] is the node itself
    return [(ids[i], float(similarity[i])) for i in best]


for node, sim in neighbours("/m/027rn"):
    print(f"  {node:<12} {sim:.3f}")

# %% Link prediction: best tails of (head, relation, ?)
for node, score in session.predict("/m/027rn", "/location/country/form_of_government", k=5):
    print(f"  {node:<12} {score:.3f}")

# %% Done
session.close()
