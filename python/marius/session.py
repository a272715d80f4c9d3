"""marius.session - a training session: the Python face of marius_session.

    with marius.Session("examples/r.toml", training__epochs=1) as s:
        s.train(progress=print)
        print(s.evaluate())
        emb = s.embeddings()            # numpy float32 [num_nodes, dim], zero-copy in memory
        print(s.predict("/m/027rn", "/location/country/form_of_government", k=5))

    with marius.Session("examples/cora-gcn.toml") as s:   # model.task = "node_classification"
        s.train()
        print(s.evaluate("test"))       # {"protocol": "accuracy", "accuracy": ..., "macro_f1": ...}
        print(s.classify("35", k=3))    # [(class, probability), ...]
        reps = s.representations()      # numpy float32 [num_nodes, classes]: the final layer's output

Every method may raise MariusError carrying the library's message. A failed
call leaves the session as it was (usable); close() releases it. Calls on one
session are serialised by the library (a per-session mutex), so a Session may
be shared between threads; the GIL is released while libmarius works.
close() may race with calls on other threads: it waits for the calls in
progress (a train() call: until it returns), and every call after it raises
MariusError ("the session is closed"). Inside the session's own progress
callback close() raises MariusError and changes nothing.
"""
import collections
import contextlib
import ctypes
import json
import os
import pathlib
import signal
import threading

from . import _dlpack, _native
from ._native import check, lib, sized
from .errors import INVALID_ARGUMENT, UNSUPPORTED, MariusError
from .tensor import Tensor

ProgressInfo = collections.namedtuple(
    "ProgressInfo", "epoch epoch_in_call epochs_in_call edges_done edges_total loss seconds finished")
ProgressInfo.__doc__ = """What a progress callback receives: the epoch (1-based, over the model's life), its
place in this train() call, training edges (node classification: training nodes) done of the epoch's total,
the mean loss per edge (node) so far, seconds since the epoch began, and finished (True on the one call after
the epoch ended)."""


def _toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (str, os.PathLike)):
        return json.dumps(os.fspath(value))  # a TOML basic string: JSON's escapes are TOML's
    if isinstance(value, (list, tuple)):  # model.fanouts, evaluation.hits_at
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise MariusError(INVALID_ARGUMENT, f"override value {value!r}: expected bool, int, float, str, a path or a list")


def override_strings(overrides):
    """"section.key=value" strings from a dict (keys "section.key" or "section__key";
    a dict value expands to "section.key.option=..."), or an iterable of such strings."""
    if overrides is None:
        return []
    if isinstance(overrides, str):
        overrides = [overrides]
    if not isinstance(overrides, dict):
        return [str(o) for o in overrides]
    out = []
    for key, value in overrides.items():
        key = key.replace("__", ".")
        if isinstance(value, dict):
            out += override_strings({f"{key}.{k}": v for k, v in value.items()})
        else:
            out.append(f"{key}={_toml_value(value)}")
    return out


def _is_toml_text(config):
    return isinstance(config, str) and ("\n" in config or "=" in config or config.lstrip().startswith("["))


def _c_strings(items):
    encoded = [os.fsencode(i) if isinstance(i, os.PathLike) else str(i).encode() for i in items]
    return (ctypes.c_char_p * max(1, len(encoded)))(*encoded), len(encoded)


class _InterruptFlag:
    """While training on the main thread with Python's default SIGINT handler, Ctrl-C
    appends to `flag` instead of raising KeyboardInterrupt inside a ctypes callback
    (where it could not propagate); train() raises it once the epoch is done."""

    def __init__(self, flag):
        self._flag = flag
        self._previous = None

    def __enter__(self):
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            self._previous = signal.signal(signal.SIGINT, lambda signum, frame: self._flag.append(signum))
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


class Session:
    """One configuration, its dataset and plugins, and one model.

    config     a TOML file (str or path), TOML text (a str holding a newline or
               '='), or None for every default. Relative paths inside are
               relative to the working directory.
    overrides  a dict {"training.epochs": 1, ...} or ["training.epochs=1", ...],
               applied like `marius-run --set`, before keyword overrides.
    resume     True: load output.dir/checkpoint.bin instead of a fresh model.
    overwrite  True: a fresh model even when output.dir holds a checkpoint (the
               first save replaces it). Without it, and without resume, opening
               over a checkpoint raises MariusError.
    plugins    manifests or directories of them, like `marius-run --plugin`
               (model.score = "path/to/manifest.toml" also loads one).
    **kw       more overrides, "__" standing for "." (training__epochs=1);
               values are bool, int, float, str or paths; a dict value sets a
               plugin-option table (negatives__sampler_options={"degree_fraction": 0.5}).
    """

    def __init__(self, config=None, overrides=None, *, resume=False, overwrite=False, plugins=(), **kw):
        self._handle = None             # the marius_session*; None once closed
        self._lock = threading.Lock()   # guards _handle, _calls, _closing
        self._changed = threading.Condition(self._lock)  # _calls reached 0, or _handle became None
        self._calls = 0                 # calls using the handle now (_call blocks)
        self._closing = False           # close() waits for _calls to drain; new calls are refused
        self._callback_thread = None    # the thread running this session's progress callback, if any
        strings = override_strings(overrides) + override_strings(kw)
        over, n_over = _c_strings(strings)
        paths, n_paths = _c_strings(plugins)
        flags = (_native.SESSION_RESUME if resume else 0) | (_native.SESSION_OVERWRITE if overwrite else 0)
        args = sized(_native.SessionArgs, flags=flags,
                     overrides=over, num_overrides=n_over, plugin_paths=paths, num_plugin_paths=n_paths)
        if config is None:
            pass
        elif _is_toml_text(config):
            args.config_text = config.encode()
        else:
            args.config_path = os.fsencode(config)
        handle = ctypes.c_void_p()
        check(lib().marius_session_open(ctypes.byref(args), ctypes.byref(handle)))
        self._handle = handle

    # ---- Lifetime -----------------------------------------------------------------------

    def close(self):
        """Releases the session. Arrays and tensors obtained from it stay valid
        (they keep the table's memory; they stop changing). Idempotent.

        Waits for the calls other threads are making on the session (a train()
        call: until it returns); calls made after close() began raise
        MariusError. From inside this session's progress callback it raises
        MariusError (INVALID_ARGUMENT) and the session stays open."""
        if self._callback_thread == threading.get_ident():
            raise MariusError(INVALID_ARGUMENT, "close: called from the session's own progress callback (the "
                                                "session is training); it stays open")
        with self._lock:
            if self._closing:  # another thread is closing it: wait for that
                self._changed.wait_for(lambda: not self._closing)
            if self._handle is None:
                return
            self._closing = True
            self._changed.wait_for(lambda: self._calls == 0)
            handle = self._handle
        try:
            check(lib().marius_session_close(handle))
            handle = None
        finally:
            with self._lock:
                self._handle = handle  # None when closed; kept when the library refused
                self._closing = False
                self._changed.notify_all()

    @property
    def closed(self):
        return self._handle is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finaliser
            pass

    @contextlib.contextmanager
    def _call(self):
        """The handle, for one call into libmarius. close() waits until the block
        ends, so memory the session owns (strings the call returned) may be read
        inside it. Raises MariusError once the session is closed or closing."""
        with self._lock:
            if self._handle is None or self._closing:
                raise MariusError(INVALID_ARGUMENT, "the session is closed")
            self._calls += 1
            handle = self._handle
        try:
            yield handle
        finally:
            with self._lock:
                self._calls -= 1
                if self._calls == 0:
                    self._changed.notify_all()

    # ---- Facts ------------------------------------------------------------------------

    def info(self):
        """A dict: task ("link_prediction" or "node_classification"), num_nodes,
        num_relations, relation_rows, dim, relation_width, epochs_done,
        epochs_configured, train/valid/test_edges, num_partitions, buffer_capacity,
        out_of_core, inverse_relations, encoder (a GNN encoder: representations()),
        representation_dim, num_classes and train/valid/test_nodes (node
        classification), node_table_address (None out of core), relation_table_address,
        dataset_dir, output_dir, score."""
        i = sized(_native.SessionInfo)
        text = ("dataset_dir", "output_dir", "score", "task")
        with self._call() as h:  # the strings belong to the session: read them before close can run
            check(lib().marius_session_get_info(h, ctypes.byref(i)))
            strings = {name: getattr(i, name).decode() for name in text}
        out = {name: getattr(i, name) for name, _ in _native.SessionInfo._fields_
               if name not in ("struct_size", "flags", "node_table", "relation_table") + text}
        out.update(out_of_core=bool(i.flags & _native.INFO_OUT_OF_CORE),
                   has_relations=bool(i.flags & _native.INFO_HAS_RELATIONS),
                   inverse_relations=bool(i.flags & _native.INFO_INVERSE_RELATIONS),
                   encoder=bool(i.flags & _native.INFO_ENCODER),
                   node_table_address=i.node_table, relation_table_address=i.relation_table, **strings)
        return out

    @property
    def epochs_done(self):
        return self.info()["epochs_done"]

    # ---- Training and evaluation ----------------------------------------------------------

    def train(self, epochs=None, progress=None, interval=0.5):
        """Trains `epochs` more epochs (None: until training.epochs are done).

        progress(ProgressInfo) is called at most every `interval` seconds within an
        epoch and once after each epoch, from training threads (never two at once).
        A truthy return value, or an exception, stops training after the current
        epoch; the exception is then re-raised here. Ctrl-C (training on the main
        thread) likewise stops after the current epoch and raises KeyboardInterrupt.
        The checkpoint is written as output.checkpoint_every_epoch says.
        Returns a dict: epochs_trained, epochs_done, edges, loss (mean per edge of
        the last epoch), edges_per_sec, seconds, stopped (node classification:
        nodes and nodes_per_sec instead of edges and edges_per_sec)."""
        raised = []
        interrupted = []

        # Always relayed: the call after each epoch runs on this thread, where Python
        # runs signal handlers, so Ctrl-C stops training even without `progress`.
        def relay(p, _user):
            if raised:
                return 1
            if interrupted:
                raised.append(KeyboardInterrupt())
                return 1
            c = p.contents
            self._callback_thread = threading.get_ident()  # close() from here is refused; calls never overlap
            try:
                if progress is None:
                    return 0
                stop = progress(ProgressInfo(c.epoch, c.epoch_in_call, c.epochs_in_call, c.edges_done,
                                             c.edges_total, c.loss, c.seconds, bool(c.finished)))
                return 1 if stop else 0
            except BaseException as e:  # noqa: BLE001 - handed back to the caller below
                raised.append(e)
                return 1
            finally:
                self._callback_thread = None

        unit = "nodes" if self.info()["task"] == "node_classification" else "edges"
        args = sized(_native.TrainArgs, epochs=_native.TRAIN_TO_CONFIG if epochs is None else int(epochs),
                     progress=_native.ProgressFn(relay),
                     progress_interval=float(interval) if progress is not None else 1e9)
        result = sized(_native.TrainResult)
        with _InterruptFlag(interrupted), self._call() as h:
            check(lib().marius_session_train(h, ctypes.byref(args), ctypes.byref(result)))
        if raised:
            raise raised[0]
        if interrupted:  # after the last epoch's call
            raise KeyboardInterrupt()
        return {"epochs_trained": result.epochs_trained, "epochs_done": result.epochs_done, unit: result.edges,
                "loss": result.loss, f"{unit}_per_sec": result.edges_per_sec, "seconds": result.seconds,
                "stopped": bool(result.stopped)}

    def save(self):
        """Writes output.dir/checkpoint.bin now."""
        with self._call() as h:
            check(lib().marius_session_save(h))

    def evaluate(self, split="test"):
        """Evaluates a split ("train", "valid", "test"). Link prediction: ranks it with the
        configured protocol; returns a dict: protocol, mrr, mr, hits1, hits3, hits10, rankings,
        negatives, seconds. Node classification: returns a dict: protocol ("accuracy"),
        accuracy, macro_f1, nodes, seconds."""
        if split not in _native.SPLITS:
            raise MariusError(INVALID_ARGUMENT, f"evaluate: split {split!r} is not one of train, valid, test")
        m = sized(_native.Metrics)
        with self._call() as h:
            check(lib().marius_session_evaluate(h, _native.SPLITS[split], ctypes.byref(m)))
        if m.protocol == _native.PROTOCOL_ACCURACY:
            return {"protocol": "accuracy", "accuracy": m.accuracy, "macro_f1": m.macro_f1, "nodes": m.nodes,
                    "seconds": m.seconds}
        protocol = _native.PROTOCOLS.get(m.protocol, str(m.protocol))
        if protocol == "classification":
            return {"protocol": protocol, "accuracy": m.accuracy, "f1": m.f1, "triples": m.rankings,
                    "false_triples": m.negatives, "seconds": m.seconds}
        if protocol == "given":
            out = {"protocol": protocol, "rankings": m.rankings, "negatives": m.negatives, "seconds": m.seconds}
            if m.ranked:
                out.update({"mrr": m.mrr, "mr": m.mr, "hits1": m.hits1, "hits3": m.hits3, "hits10": m.hits10})
            out.update({f"hits@{m.hits_at_k[i]}": m.hits_at[i] for i in range(m.hits_at_count)})
            return out
        return {"protocol": _native.PROTOCOLS.get(m.protocol, str(m.protocol)), "mrr": m.mrr, "mr": m.mr,
                "hits1": m.hits1, "hits3": m.hits3, "hits10": m.hits10, "rankings": m.rankings,
                "negatives": m.negatives, "seconds": m.seconds}

    # ---- Tables -----------------------------------------------------------------------

    def _tensor(self, table, copy, require_view):
        flags = _native.TENSOR_COPY if copy else (_native.TENSOR_NO_COPY if require_view else 0)
        managed = _dlpack.DLManagedTensorPtr()
        out_flags = ctypes.c_uint32()
        with self._call() as h:
            check(lib().marius_session_tensor(h, table, flags, ctypes.byref(managed), ctypes.byref(out_flags)))
        return Tensor(managed, bool(out_flags.value & _native.TENSOR_COPIED))

    def embedding_tensor(self, copy=False, require_view=False):
        """The node embeddings as a marius.Tensor (a DLPack producer: torch.from_dlpack
        and numpy.from_dlpack take it). In memory a view of the live table; out of core
        a copy read from the partition files (require_view=True raises instead)."""
        return self._tensor(_native.TABLE_NODES, copy, require_view)

    def relation_tensor(self, copy=False):
        """The relation parameters as a marius.Tensor (always a view unless copy)."""
        return self._tensor(_native.TABLE_RELATIONS, copy, False)

    def embeddings(self, copy=False, require_view=False):
        """Node embeddings, numpy float32 [num_nodes, dim], row i = node_ids()[i].

        In memory: a read-only view of the session's table, no copy; training
        updates it in place (do not read it while another thread trains). Out of
        core: a snapshot copied from the partition files (require_view=True raises
        MariusError instead). copy=True: a private, writable copy."""
        array = self.embedding_tensor(copy=False, require_view=require_view).numpy()
        return array.copy() if copy else array

    def relations(self, copy=False):
        """Relation parameters, numpy float32 [relation_rows, relation_width], row i =
        relation_ids()[i] (with inverse relations the second half are the inverses)."""
        array = self.relation_tensor().numpy()
        return array.copy() if copy else array

    def representation_tensor(self):
        """The GNN encoder's output of every node (full neighbourhoods) as a marius.Tensor,
        always a fresh copy. MariusError NOT_FOUND without model.encoder."""
        return self._tensor(_native.TABLE_REPRESENTATIONS, False, False)

    def representations(self):
        """The GNN encoder's output of every node, numpy float32 [num_nodes, representation_dim],
        row i = node_ids()[i] (node classification: the class logits). A private copy."""
        return self.representation_tensor().numpy()

    # ---- Ids ----------------------------------------------------------------------------

    def _names(self, table):
        data, size, count = ctypes.c_void_p(), ctypes.c_uint64(), ctypes.c_int64()
        with self._call() as h:  # the names belong to the session: copy them before close can run
            check(lib().marius_session_names(h, table, ctypes.byref(data), ctypes.byref(size), ctypes.byref(count)))
            blob = ctypes.string_at(data.value, size.value) if size.value else b""
        names = blob.split(b"\0")[:-1]
        assert len(names) == count.value
        return [n.decode("utf-8", "surrogateescape") for n in names]

    def node_ids(self):
        """Original node ids, in row order of embeddings()."""
        return self._names(_native.TABLE_NODES)

    def relation_ids(self):
        """Original relation ids, in row order of relations() ("<id>@inverse" for inverse rows)."""
        return self._names(_native.TABLE_RELATIONS)

    def _lookup(self, table, name):
        row = ctypes.c_int64()
        with self._call() as h:
            check(lib().marius_session_lookup(h, table, str(name).encode("utf-8", "surrogateescape"),
                                              ctypes.byref(row)))
        return row.value

    def _name(self, table, row):
        name = ctypes.c_char_p()
        with self._call() as h:  # the name belongs to the session: copy it before close can run
            check(lib().marius_session_name(h, table, int(row), ctypes.byref(name)))
            value = name.value
        return value.decode("utf-8", "surrogateescape")

    def node_index(self, node_id):
        """The row of an original node id (MariusError NOT_FOUND naming it otherwise)."""
        return self._lookup(_native.TABLE_NODES, node_id)

    def node_id(self, row):
        """The original id of node row `row`."""
        return self._name(_native.TABLE_NODES, row)

    def relation_index(self, relation_id):
        return self._lookup(_native.TABLE_RELATIONS, relation_id)

    def relation_id(self, row):
        return self._name(_native.TABLE_RELATIONS, row)

    # ---- Export and prediction ---------------------------------------------------------

    def export(self, path=None):
        """Writes nodes.{tsv,npy}, node_ids.txt, relations.{tsv,npy}, relation_ids.txt
        (and representations.{tsv,npy} with a GNN encoder; node classification: only those)
        into `path` (None: output.dir/export), like `marius-run export`. Returns the directory."""
        with self._call() as h:
            check(lib().marius_session_export(h, None if path is None else os.fsencode(path)))
        return pathlib.Path(path) if path is not None else pathlib.Path(self.info()["output_dir"]) / "export"

    def predict(self, head=None, relation=None, k=10, *, tail=None):
        """The k best tails of (head, relation, ?), or with tail= the k best heads of
        (?, relation, tail), over all nodes (unfiltered), as [(node_id, score), ...] best
        first. Ids are original ids; relation is None for a plain graph."""
        if (head is None) == (tail is None):
            raise MariusError(INVALID_ARGUMENT, "predict: give exactly one of head and tail")
        k = int(k)
        if k < 1:
            raise MariusError(INVALID_ARGUMENT, f"predict: k must be at least 1, got {k}")
        nodes = (ctypes.c_int64 * k)()
        scores = (ctypes.c_double * k)()
        node = head if head is not None else tail
        args = sized(_native.PredictArgs,
                     direction=_native.PREDICT_TAILS if head is not None else _native.PREDICT_HEADS,
                     node=str(node).encode("utf-8", "surrogateescape"),
                     relation=None if relation is None else str(relation).encode("utf-8", "surrogateescape"),
                     k=k, out_nodes=nodes, out_scores=scores)
        with self._call() as h:
            check(lib().marius_session_predict(h, ctypes.byref(args)))
        return [(self.node_id(nodes[i]), scores[i]) for i in range(args.out_count)]

    def similar(self, node, k=10, metric="cosine"):
        """The k nodes nearest to `node` (original id) in embedding space, the node itself
        left out, as [(node_id, value), ...] nearest first: metric "cosine" or "dot" (the
        similarity, larger is nearer) or "l2" (the distance, smaller is nearer). Exact search;
        out of core one partition at a time. A GNN encoder's session searches its
        representations. Needs libmarius with embedding API 1.2."""
        if metric not in _native.SIMILAR_METRICS:
            raise MariusError(INVALID_ARGUMENT, f"similar: metric {metric!r}: use cosine, dot or l2")
        k = int(k)
        if k < 1:
            raise MariusError(INVALID_ARGUMENT, f"similar: k must be at least 1, got {k}")
        if not hasattr(lib(), "marius_session_similar"):
            raise MariusError(UNSUPPORTED, f"similar: {_native.library_path()} is older than embedding API 1.2")
        nodes = (ctypes.c_int64 * k)()
        values = (ctypes.c_double * k)()
        args = sized(_native.SimilarArgs, metric=_native.SIMILAR_METRICS[metric],
                     node=str(node).encode("utf-8", "surrogateescape"), k=k, out_nodes=nodes, out_values=values)
        with self._call() as h:
            check(lib().marius_session_similar(h, ctypes.byref(args)))
        return [(self.node_id(nodes[i]), values[i]) for i in range(args.out_count)]

    def classify(self, node, k=None):
        """Node classification: the k most probable classes of a node (original id), as
        [(class, probability), ...] most probable first; k=None: every class. Uses the
        configured inference (evaluation.inference)."""
        k = max(1, self.info()["num_classes"]) if k is None else int(k)
        if k < 1:
            raise MariusError(INVALID_ARGUMENT, f"classify: k must be at least 1, got {k}")
        classes = (ctypes.c_int64 * k)()
        probabilities = (ctypes.c_double * k)()
        args = sized(_native.ClassifyArgs, node=str(node).encode("utf-8", "surrogateescape"), k=k,
                     out_classes=classes, out_probabilities=probabilities)
        with self._call() as h:
            check(lib().marius_session_classify(h, ctypes.byref(args)))
        return [(classes[i], probabilities[i]) for i in range(args.out_count)]

    def __repr__(self):
        if self._handle is None:
            return "<marius.Session (closed)>"
        i = self.info()
        if i["task"] == "node_classification":
            return (f"<marius.Session node classification on {i['dataset_dir']}: {i['num_nodes']} nodes, "
                    f"{i['num_classes']} classes, {i['epochs_done']} epoch(s) done>")
        return (f"<marius.Session {i['score']} d={i['dim']} on {i['dataset_dir']}: {i['num_nodes']} nodes, "
                f"{i['num_relations']} relations, {i['epochs_done']} epoch(s) done>")
