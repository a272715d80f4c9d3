"""Configuration R (examples/r.toml: FB15k-237, DistMult d=50) trained for one epoch
from Python; the embeddings must equal what `marius-run export` writes for the same
checkpoint, and reading them must not copy (the numpy array's data pointer is the
session's table). Skipped when ../shared/datasets/fb15k-237 is absent."""
import os
import pathlib
import subprocess
import time

import numpy as np
import pytest

import marius
from conftest import SOURCE_DIR

FB15K = pathlib.Path(os.environ.get("MARIUS_FB15K", SOURCE_DIR.parent / "shared" / "datasets" / "fb15k-237"))
CONFIG = SOURCE_DIR / "examples" / "r.toml"


@pytest.fixture(scope="module")
def fb15k(tmp_path_factory):
    if not (FB15K / "train.tsv.gz").is_file():
        pytest.skip(f"FB15k-237 is not available: {FB15K}/train.tsv.gz is missing (set MARIUS_FB15K)")
    root = tmp_path_factory.mktemp("fb15k")
    start = time.perf_counter()
    summary = marius.preprocess(root / "data", train=FB15K / "train.tsv.gz", valid=FB15K / "valid.tsv",
                                test=FB15K / "test.tsv")
    print(f"preprocess: {summary} in {time.perf_counter() - start:.2f} s")
    assert summary["num_nodes"] == 14541 and summary["num_relations"] == 237
    assert summary["train_edges"] == 272115
    return root


def test_r_one_epoch_matches_cli_export(fb15k, marius_run):
    overrides = {"dataset.path": fb15k / "data", "output.dir": fb15k / "out", "training.epochs": 1}
    calls = []
    with marius.Session(CONFIG, overrides) as s:
        info = s.info()
        assert (info["num_nodes"], info["dim"], info["score"]) == (14541, 50, "distmult")
        assert not info["out_of_core"] and info["node_table_address"]
        start = time.perf_counter()
        result = s.train(progress=calls.append, interval=0.2)
        seconds = time.perf_counter() - start
        print(f"train: {result}, {seconds:.2f} s with the checkpoint; {len(calls)} progress calls")
        assert result["epochs_trained"] == 1 and result["edges"] == 272115
        assert calls[-1].finished and calls[-1].edges_done == 272115

        start = time.perf_counter()
        emb = s.embeddings()
        read_us = (time.perf_counter() - start) * 1e6
        # Zero copy: the array's memory is the session's node table.
        address = s.info()["node_table_address"]
        print(f"embeddings(): {emb.shape} in {read_us:.0f} us; data pointer {emb.ctypes.data:#x}, "
              f"table {address:#x}")
        assert emb.ctypes.data == address
        assert emb.shape == (14541, 50) and emb.dtype == np.float32 and not emb.flags.owndata

        metrics = s.evaluate("test")
        print(f"test after 1 epoch: {metrics}")
        assert metrics["protocol"] == "filtered" and metrics["rankings"] == 2 * 20466
        assert metrics["mrr"] > 0.1

        # The same checkpoint, exported by the CLI.
        cli = fb15k / "cli-export"
        subprocess.run([marius_run, "export", str(CONFIG), "--set", f"dataset.path=\"{fb15k / 'data'}\"",
                        "--set", f"output.dir=\"{fb15k / 'out'}\"", "--output", str(cli)], check=True)
        assert np.array_equal(np.load(cli / "nodes.npy"), emb)
        assert np.array_equal(np.load(cli / "relations.npy"), s.relations())
        assert (cli / "node_ids.txt").read_text().splitlines() == s.node_ids()
        assert (cli / "relation_ids.txt").read_text().splitlines() == s.relation_ids()

        # The array aliases the live table: one more epoch changes it in place.
        before = emb.copy()
        s.train(1)
        assert emb.ctypes.data == s.info()["node_table_address"]
        changed = np.count_nonzero(np.any(before != emb, axis=1))
        print(f"after another epoch: {changed} of {emb.shape[0]} rows of the same array changed")
        assert changed > emb.shape[0] // 2

        best = s.predict("/m/027rn", "/location/country/form_of_government", k=10)
        print(f"predict (/m/027rn, form_of_government, ?): {best[:3]}")
        assert len(best) == 10 and best[0][1] >= best[-1][1]
