"""Shared fixtures of the Python package's tests (run by ctest; see tests/CMakeLists.txt).

Environment: MARIUS_LIBRARY (libmarius.so of the build), MARIUS_RUN (marius-run),
PYTHONPATH including python/. MARIUS_FB15K overrides where FB15k-237 is looked for.
"""
import os
import pathlib
import random

import pytest

SOURCE_DIR = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def marius_run():
    path = os.environ.get("MARIUS_RUN")
    if not path or not os.path.isfile(path):
        pytest.fail("MARIUS_RUN must name the marius-run binary of the build under test")
    return path


def write_planted(path, edges, seed):
    """A graph with planted structure: 300 nodes in 10 clusters; relation r sends
    cluster c to cluster (c + r + 1) mod 10."""
    rng = random.Random(seed)
    with open(path, "w") as f:
        for _ in range(edges):
            h, r = rng.randrange(300), rng.randrange(3)
            t = (h % 10 + r + 1) % 10 + 10 * rng.randrange(30)
            f.write(f"n{h}\tr{r}\tn{t}\n")


@pytest.fixture(scope="session")
def planted(tmp_path_factory):
    """Edge files of the planted graph, preprocessed unpartitioned (data) and in 4 partitions (data-p4)."""
    import marius

    root = tmp_path_factory.mktemp("planted")
    for name, edges, seed in (("train.tsv", 6000, 1), ("valid.tsv", 300, 2), ("test.tsv", 300, 3)):
        write_planted(root / name, edges, seed)
    marius.set_log_level("warn")
    for out, partitions in (("data", 1), ("data-p4", 4)):
        summary = marius.preprocess(root / out, train=root / "train.tsv", valid=root / "valid.tsv",
                                    test=root / "test.tsv", partitions=partitions)
        assert summary["num_nodes"] == 300 and summary["train_edges"] == 6000
    return root


PLANTED_CONFIG = """
[model]
dim = 16
init_scale = 0.1
[optimizer]
learning_rate = 0.3
[negatives]
chunks = 2
per_chunk = 50
[training]
epochs = 4
batch_size = 200
threads = 2
"""
