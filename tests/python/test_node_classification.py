"""Node classification from Python (embedding API 1.1) on a small generated graph
with planted classes: preprocess with node data, train, evaluate accuracy,
classify a node, representations, export, resume, and the errors of mixing tasks."""
import random

import numpy as np
import pytest

import marius
from conftest import PLANTED_CONFIG

NODES, CLASSES, WIDTH = 240, 3, 8

NC_CONFIG = """
[model]
task = "node_classification"
encoder = "graphsage"
layers = 2
hidden_dim = 16
fanouts = "5,5"
direction = "both"
[training]
epochs = 6
batch_size = 40
threads = 2
seed = 3
[optimizer]
dense = "adam"
dense_learning_rate = 0.02
[evaluation]
every_epoch = false
"""


@pytest.fixture(scope="module")
def classified(tmp_path_factory):
    """Nodes in 3 classes; edges mostly within a class; features a noisy one-hot of the class
    (so a GNN that averages neighbours classifies well); 60/20/20 node splits."""
    root = tmp_path_factory.mktemp("classified")
    rng = random.Random(5)
    label = [v % CLASSES for v in range(NODES)]
    with open(root / "edges.tsv", "w") as f:
        for _ in range(NODES * 6):
            u = rng.randrange(NODES)
            same = rng.random() < 0.9
            v = rng.choice([w for w in range(label[u], NODES, CLASSES)]) if same else rng.randrange(NODES)
            f.write(f"v{u}\tv{v}\n")
    with open(root / "features.tsv", "w") as f:
        for v in range(NODES):
            row = [rng.gauss(0, 1.0) + (1.0 if k % CLASSES == label[v] else 0.0) for k in range(WIDTH)]
            f.write(f"v{v}\t" + " ".join(f"{x:.4f}" for x in row) + "\n")
    (root / "labels.tsv").write_text("".join(f"v{v}\t{label[v]}\n" for v in range(NODES)))
    order = list(range(NODES))
    rng.shuffle(order)
    for name, part in (("train", order[:144]), ("valid", order[144:192]), ("test", order[192:])):
        (root / f"{name}_nodes.txt").write_text("".join(f"v{v}\n" for v in part))
    marius.set_log_level("warn")
    summary = marius.preprocess(root / "data", train=root / "edges.tsv", features=root / "features.tsv",
                                labels=root / "labels.tsv", train_nodes=root / "train_nodes.txt",
                                valid_nodes=root / "valid_nodes.txt", test_nodes=root / "test_nodes.txt")
    assert summary["num_nodes"] == NODES and summary["feature_dim"] == WIDTH and summary["num_classes"] == CLASSES
    assert summary["labelled_nodes"] == NODES
    assert (summary["train_nodes"], summary["valid_nodes"], summary["test_nodes"]) == (144, 48, 48)
    return root


def open_nc(root, out="out", **kw):
    return marius.Session(NC_CONFIG, {"dataset.path": root / "data", "output.dir": root / out}, **kw)


def test_trains_evaluates_classifies_and_resumes(classified):
    with open_nc(classified, overwrite=True) as s:
        info = s.info()
        assert info["task"] == "node_classification" and info["encoder"]
        assert info["num_classes"] == CLASSES and info["representation_dim"] == CLASSES
        assert (info["train_nodes"], info["valid_nodes"], info["test_nodes"]) == (144, 48, 48)
        assert info["relation_rows"] == 0 and info["relation_table_address"] is None and info["score"] == ""
        before = s.evaluate("test")
        seen = []
        result = s.train(progress=seen.append, interval=0)
        assert result["epochs_trained"] == 6 and result["nodes"] == 144 and result["nodes_per_sec"] > 0
        assert "edges" not in result
        assert seen and all(p.edges_total == 144 for p in seen) and sum(p.finished for p in seen) == 6
        test = s.evaluate("test")
        assert test["protocol"] == "accuracy" and test["nodes"] == 48
        assert test["accuracy"] >= 0.8 > before["accuracy"] - 0.2, (before, test)
        assert 0 < test["macro_f1"] <= 1
        best = s.classify("v0")
        assert [c for c, _ in best] and sorted(c for c, _ in best) == list(range(CLASSES))
        assert abs(sum(p for _, p in best) - 1) < 1e-5 and best[0][1] >= best[-1][1]
        assert len(s.classify("v0", k=1)) == 1
        reps = s.representations()
        assert reps.shape == (NODES, CLASSES) and reps.dtype == np.float32
        assert int(np.argmax(reps[s.node_index("v0")])) == best[0][0]  # full inference, as configured
        with pytest.raises(marius.MariusError) as e:
            s.classify("nobody")
        assert e.value.status == "NOT_FOUND" and "nobody" in str(e.value)
        with pytest.raises(marius.MariusError) as e:
            s.predict("v0", k=3)
        assert e.value.status == "INVALID_ARGUMENT" and "marius_session_classify" in str(e.value)
        with pytest.raises(marius.MariusError) as e:
            s.embeddings()  # features only: no learnable node table
        assert e.value.status == "NOT_FOUND" and "features only" in str(e.value)
        with pytest.raises(marius.MariusError) as e:
            s.relations()
        assert e.value.status == "NOT_FOUND"
        out = s.export(classified / "export")
        assert (out / "representations.npy").is_file() and (out / "node_ids.txt").is_file()
        exported = np.load(out / "representations.npy")
        assert np.allclose(exported, reps, atol=1e-6)
    with open_nc(classified, resume=True) as s:
        assert s.info()["epochs_done"] == 6
        assert s.evaluate("test")["accuracy"] == test["accuracy"]
        assert s.train(epochs=1)["epochs_done"] == 7


def test_learnable_embeddings_are_a_table(classified):
    with open_nc(classified, out="out-emb", overwrite=True, model__node_input="both", model__dim=4) as s:
        info = s.info()
        assert info["dim"] == 4 and info["node_table_address"] is not None
        emb = s.embeddings()
        assert emb.shape == (NODES, 4)
        s.train(epochs=1)
        assert s.representations().shape == (NODES, CLASSES)


def test_a_link_prediction_session_has_no_classes(planted):
    with marius.Session(PLANTED_CONFIG, {"dataset.path": planted / "data", "output.dir": planted / "out-lp"},
                        overwrite=True) as s:
        info = s.info()
        assert info["task"] == "link_prediction" and not info["encoder"] and info["num_classes"] == 0
        with pytest.raises(marius.MariusError) as e:
            s.classify("n1")
        assert e.value.status == "INVALID_ARGUMENT" and "no classes" in str(e.value)
        with pytest.raises(marius.MariusError) as e:
            s.representations()
        assert e.value.status == "NOT_FOUND" and "model.encoder" in str(e.value)
        assert "accuracy" not in s.evaluate("valid")


def test_preprocess_refuses_bad_node_data(classified, tmp_path):
    bad = tmp_path / "labels.tsv"
    bad.write_text("v0\t1\nghost\t2\n")
    with pytest.raises(marius.MariusError) as e:
        marius.preprocess(tmp_path / "data", train=classified / "edges.tsv", labels=bad)
    assert f"{bad}:2" in str(e.value) and "ghost" in str(e.value)
    assert not (tmp_path / "data").exists()
    with pytest.raises(marius.MariusError) as e:
        marius.preprocess(tmp_path / "data", train=classified / "edges.tsv", features_dtype="float64")
    assert "features_dtype" in str(e.value)
