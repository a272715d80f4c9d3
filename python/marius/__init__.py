"""marius - graph embeddings from Python, through libmarius's C API (ctypes; nothing to compile).

    import marius
    with marius.Session("examples/r.toml", training__epochs=1) as s:
        s.train(progress=print)
        print(s.evaluate())
        emb = s.embeddings()          # numpy float32 [num_nodes, dim], zero-copy while in memory

The library is found through $MARIUS_LIBRARY, beside the package, or in the
install prefix's lib/ (marius._native). README.md, section "Python", has more.
"""
import ctypes as _ctypes
import os as _os

from . import _native
from ._native import check as _check
from ._native import lib as _lib
from ._native import library_path
from ._native import sized as _sized
from .errors import INVALID_ARGUMENT, UNSUPPORTED, MariusError
from .session import ProgressInfo, Session
from .tensor import Tensor

__all__ = ["MariusError", "ProgressInfo", "Session", "Tensor", "library_path", "preprocess", "set_log_level",
           "version"]
__version__ = "0.1.0"


def version():
    """The embedding API version of the loaded library, as (major, minor)."""
    v = _lib().marius_embedding_version()
    return (v >> 16, v & 0xFFFF)


def set_log_level(level):
    """marius's log (stderr): "trace", "debug", "info" (default), "warn", "error" or "off"."""
    _check(_lib().marius_set_log_level(str(level).encode()))


def preprocess(output, train=None, valid=None, test=None, *, input=None, split=None, seed=1, delimiter=None,
               columns=None, ids=None, partitions=1, header=False, features=None, labels=None, train_nodes=None,
               valid_nodes=None, test_nodes=None, features_dtype="float32", valid_negatives=None, test_negatives=None,
               negatives_layout="shared"):
    """Edge lists into a dataset directory, like `marius-run preprocess` (docs/formats.md).

    Give train (and optionally valid, test) files, or input= with split=(train, valid, test)
    fractions. For GNNs and node classification also node data keyed by the original node ids:
    features= (node<TAB>v1 ... vD as .tsv or .tsv.gz, or a 2-D float .npy whose row i is node "i"),
    labels= (node<TAB>class, -1 unlabelled), train_nodes=/valid_nodes=/test_nodes= (one node per
    line); features_dtype="float16" halves the feature table. valid_negatives=/test_negatives= are
    negatives a benchmark publishes, for evaluation.protocol "given" or "classification", laid out
    as negatives_layout= says ("shared", "tails", "heads" or "both"; docs/formats.md, "Given
    negatives"; needs embedding API 1.3). Returns a dict: num_nodes, num_relations, has_relations,
    train/valid/test_edges, num_partitions, feature_dim, num_classes, labelled_nodes,
    train/valid/test_nodes, valid/test_negatives, seconds."""
    def path(p):
        return None if p is None else _os.fsencode(p)

    if features_dtype not in ("float32", "float16"):
        raise MariusError(INVALID_ARGUMENT, f"preprocess: features_dtype {features_dtype!r} is neither 'float32' nor 'float16'")
    flags = (_native.PREPROCESS_HEADER if header else 0) | (
        _native.PREPROCESS_FEATURES_FLOAT16 if features_dtype == "float16" else 0)
    if (valid_negatives is not None or test_negatives is not None) and _native.library_minor() < 3:
        raise MariusError(UNSUPPORTED, f"preprocess: {_native.library_path()} is older than embedding API 1.3 "
                          "(given negatives)")
    args = _sized(_native.PreprocessArgs, flags=flags, valid_negatives=path(valid_negatives),
                  test_negatives=path(test_negatives), negatives_layout=str(negatives_layout).encode(), features=path(features), labels=path(labels),
                  train_nodes=path(train_nodes), valid_nodes=path(valid_nodes), test_nodes=path(test_nodes),
                  train=path(train), valid=path(valid), test=path(test), input=path(input), seed=int(seed),
                  output=path(output), partitions=int(partitions),
                  delimiter=None if delimiter is None else delimiter.encode(),
                  columns=None if columns is None else columns.encode(),
                  ids=None if ids is None else ids.encode())
    if split is not None:
        args.split_train, args.split_valid, args.split_test = (float(x) for x in split)
    summary = _sized(_native.DatasetSummary)
    _check(_lib().marius_preprocess(_ctypes.byref(args), _ctypes.byref(summary)))
    return {"num_nodes": summary.num_nodes, "num_relations": summary.num_relations,
            "has_relations": bool(summary.has_relations), "train_edges": summary.train_edges,
            "valid_edges": summary.valid_edges, "test_edges": summary.test_edges,
            "num_partitions": summary.num_partitions, "feature_dim": summary.feature_dim,
            "num_classes": summary.num_classes, "labelled_nodes": summary.labelled_nodes,
            "train_nodes": summary.train_nodes, "valid_nodes": summary.valid_nodes, "test_nodes": summary.test_nodes,
            "valid_negatives": summary.valid_negatives, "test_negatives": summary.test_negatives,
            "seconds": summary.seconds}
