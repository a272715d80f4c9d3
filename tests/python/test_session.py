"""The Python package `marius` on a small planted graph (no external data):
sessions, overrides, errors (and that a session survives them), progress
callbacks, zero-copy tensors and DLPack, ids, export, predict, out of core."""
import _thread
import random
import threading

import numpy as np
import pytest

import marius
from conftest import PLANTED_CONFIG


def open_planted(planted, data="data", out="out", **kw):
    return marius.Session(PLANTED_CONFIG, {"dataset.path": planted / data, "output.dir": planted / out}, **kw)


def test_version_and_library():
    assert marius.version()[0] == 1
    assert marius.library_path().endswith("libmarius.so")


def test_struct_sizes_match_the_header():
    # The frozen 1.1, 1.2 and 1.3 sizes of <marius/embedding.h> (docs/abi.md; static_asserts in core/capi).
    from marius import _native as n
    import ctypes
    sizes = {n.PreprocessArgs: 176, n.DatasetSummary: 128, n.SessionArgs: 56, n.SessionInfo: 192, n.Progress: 64,
             n.TrainArgs: 40, n.TrainResult: 56, n.Metrics: 240, n.PredictArgs: 56, n.ClassifyArgs: 48,
             n.SimilarArgs: 48}  # 1.3: PreprocessArgs, DatasetSummary, Metrics
    assert {t.__name__: ctypes.sizeof(t) for t in sizes} == {t.__name__: size for t, size in sizes.items()}


def test_overrides_forms(planted):
    with open_planted(planted, training__epochs=7, negatives__sampler_options={"degree_fraction": 0.5}) as s:
        assert s.info()["epochs_configured"] == 7
    with marius.Session(PLANTED_CONFIG, [f"dataset.path=\"{planted / 'data'}\"", "model.dim=8"],
                        output__dir=planted / "out") as s:
        assert s.info()["dim"] == 8
    toml = planted / "planted.toml"
    toml.write_text(PLANTED_CONFIG + f"[dataset]\npath = \"{planted / 'data'}\"\n[output]\ndir = \"{planted / 'o'}\"\n")
    with marius.Session(str(toml)) as s:  # a path, as str
        assert s.info()["num_nodes"] == 300
    with marius.Session(toml) as s:  # a pathlib.Path
        assert s.info()["dim"] == 16


def test_errors_name_the_key_or_file(planted, tmp_path):
    with pytest.raises(marius.MariusError) as e:
        open_planted(planted, training__epoch=1)
    assert e.value.status == "INVALID_ARGUMENT" and "training.epoch" in str(e.value)
    with pytest.raises(marius.MariusError) as e:
        marius.Session(PLANTED_CONFIG + "[model]\nsize = 3\n")
    assert "model" in str(e.value)
    with pytest.raises(marius.MariusError) as e:
        marius.Session(PLANTED_CONFIG.replace("dim = 16", "dimension = 16"), dataset__path=planted / "data")
    assert "model.dimension" in str(e.value)
    with pytest.raises(marius.MariusError) as e:
        marius.Session(tmp_path / "missing.toml")
    assert e.value.status == "NOT_FOUND" and "missing.toml" in str(e.value)
    with pytest.raises(marius.MariusError) as e:
        open_planted(planted, data="no-such-dataset")
    assert "no-such-dataset" in str(e.value)
    with pytest.raises(marius.MariusError) as e:
        open_planted(planted, out="never-trained", resume=True)
    assert "never-trained" in str(e.value)
    with pytest.raises(marius.MariusError) as e:
        open_planted(planted, model__score=str(tmp_path / "nope.toml"))
    assert "nope.toml" in str(e.value)
    with pytest.raises(marius.MariusError) as e:
        marius.preprocess(tmp_path / "d", train=tmp_path / "absent.tsv")
    assert e.value.status == "NOT_FOUND" and "absent.tsv" in str(e.value)


def test_session_survives_errors_and_closes_cleanly(planted):
    s = open_planted(planted, out="survive")
    with pytest.raises(marius.MariusError, match="'nobody'"):
        s.node_index("nobody")
    with pytest.raises(marius.MariusError, match="'r9'"):
        s.predict("n0", "r9")
    with pytest.raises(marius.MariusError, match="export"):
        s.export(planted / "data" / "nodes.txt" / "x")  # a file in the way
    with pytest.raises(marius.MariusError, match="split 'dev'"):
        s.evaluate("dev")
    with pytest.raises(marius.MariusError, match="OUT_OF_RANGE|outside"):
        s.node_id(300)
    assert s.train(1)["epochs_done"] == 1  # still usable
    s.close()
    s.close()  # idempotent
    assert s.closed
    with pytest.raises(marius.MariusError, match="closed"):
        s.train(1)


def test_train_progress_and_stopping(planted):
    # Sync with one thread: bit-for-bit reproducible, so the learning check below cannot depend on how loaded the
    # machine is (pipelined runs reached MRR 0.06-0.10 after 3 epochs, lower when another test shares the cores).
    with open_planted(planted, out="progress", pipeline__mode="sync", training__threads=1) as s:
        untrained = s.evaluate()["mrr"]
        calls = []
        r = s.train(3, progress=calls.append, interval=0)
        assert r["epochs_trained"] == 3 and not r["stopped"]
        finished = [c for c in calls if c.finished]
        assert [c.epoch for c in finished] == [1, 2, 3] and len(calls) > 3
        assert all(c.edges_done <= c.edges_total == 6000 for c in calls)
        trained = s.evaluate()["mrr"]
        assert trained > untrained + 0.05, (untrained, trained)

        r = s.train(3, progress=lambda p: True)  # truthy: stop after this epoch
        assert r["stopped"] and r["epochs_trained"] == 1 and r["epochs_done"] == 4

        def explode(p):
            raise RuntimeError("from the callback")
        with pytest.raises(RuntimeError, match="from the callback"):
            s.train(3, progress=explode, interval=0)
        assert s.epochs_done == 5  # the current epoch completed, then training stopped

        assert s.train()["epochs_trained"] == 0  # training.epochs = 4 are done

        # Ctrl-C (here: interrupt_main from a timer) stops training after the current epoch.
        timer = threading.Timer(0.2, _thread.interrupt_main)
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            s.train(100000)
        timer.join()
        done = s.epochs_done
        assert 5 < done < 100005
        assert s.train(1)["epochs_done"] == done + 1  # and the session goes on


def test_embeddings_are_zero_copy_views(planted):
    with open_planted(planted, out="views") as s:
        emb = s.embeddings()
        info = s.info()
        assert emb.ctypes.data == info["node_table_address"]
        assert emb.shape == (300, 16) and emb.dtype == np.float32 and not emb.flags.writeable
        rel = s.relations()
        assert rel.ctypes.data == info["relation_table_address"] and rel.shape == (6, 16)
        before = emb.copy()
        s.train(1)
        assert not np.array_equal(before, emb)  # the same array shows the trained table
        t = s.embedding_tensor()
        assert not t.copied and t.data_ptr == info["node_table_address"]
        a, b = np.from_dlpack(t), np.asarray(t)  # two consumers, no copy
        assert a.ctypes.data == b.ctypes.data == t.data_ptr
        assert t.__dlpack_device__() == (1, 0)
        c = s.embeddings(copy=True)
        assert c.ctypes.data != emb.ctypes.data and c.flags.writeable and np.array_equal(c, emb)
    assert np.array_equal(a, emb)  # still valid after close
    t.close()
    assert emb.shape == (300, 16)


def test_torch_from_dlpack(planted):
    torch = pytest.importorskip("torch")
    with open_planted(planted, out="torch") as s:
        x = torch.from_dlpack(s.embedding_tensor())
        assert x.data_ptr() == s.info()["node_table_address"] and tuple(x.shape) == (300, 16)


def test_ids_export_predict(planted, tmp_path):
    with open_planted(planted, out="ids") as s:
        s.train(4)
        ids = s.node_ids()
        assert len(ids) == 300 and len(set(ids)) == 300
        assert s.node_index(ids[42]) == 42 and s.node_id(42) == ids[42]
        rels = s.relation_ids()
        assert rels[3:] == [r + "@inverse" for r in rels[:3]] and s.relation_index(rels[4]) == 4
        out = s.export(tmp_path / "export")
        assert np.array_equal(np.load(out / "nodes.npy"), s.embeddings())
        assert (out / "node_ids.txt").read_text().splitlines() == ids
        tails = s.predict("n0", "r1", k=5)
        assert len(tails) == 5 and all(score >= tails[-1][1] for _, score in tails)
        # DistMult is symmetric, so (n, r, ?) ranks both planted partners of n's cluster c
        # first: c + r + 1 (tails) and c - r - 1 (heads). Chance: 20% of the top 10.
        hits = total = 0
        for h in range(0, 300, 7):
            for r in range(3):
                c = h % 10
                planted_clusters = {(c + r + 1) % 10, (c - r - 1) % 10}
                best = s.predict(f"n{h}", f"r{r}", k=10)
                hits += sum(int(n[1:]) % 10 in planted_clusters for n, _ in best)
                total += len(best)
        assert hits / total > 0.5, hits / total
        heads = s.predict(tail="n2", relation="r1", k=3)
        assert len(heads) == 3
        with pytest.raises(marius.MariusError, match="exactly one"):
            s.predict("n0", "r1", tail="n2")


def test_similar_is_exact_nearest_neighbours(planted):
    with open_planted(planted, out="similar") as s:
        s.train(2)
        emb = s.embeddings().astype(np.float64)
        ids = s.node_ids()
        q = s.node_index("n5")
        norms = np.maximum(np.linalg.norm(emb, axis=1), 1e-12)
        expected = {"cosine": emb @ emb[q] / (norms * norms[q]), "dot": emb @ emb[q],
                    "l2": -np.linalg.norm(emb - emb[q], axis=1)}
        for metric, scores in expected.items():
            scores[q] = -np.inf
            want = [ids[i] for i in np.argsort(-scores, kind="stable")[:6]]
            got = s.similar("n5", k=6, metric=metric)
            assert [n for n, _ in got] == want, metric
            values = [v for _, v in got]
            assert values == (sorted(values) if metric == "l2" else sorted(values, reverse=True)), metric
        with pytest.raises(marius.MariusError, match="use cosine, dot or l2"):
            s.similar("n5", metric="manhattan")
        with pytest.raises(marius.MariusError, match="nope"):
            s.similar("nope")


def test_out_of_core_embeddings_are_copies(planted):
    with open_planted(planted, data="data-p4", out="p4", storage__buffer_capacity=2) as s:
        info = s.info()
        assert info["out_of_core"] and info["node_table_address"] is None and info["num_partitions"] == 4
        s.train(1)
        with pytest.raises(marius.MariusError, match="partition files") as e:
            s.embeddings(require_view=True)
        assert e.value.status == "UNSUPPORTED"
        t = s.embedding_tensor()
        assert t.copied and t.shape == (300, 16)
        out = s.export(planted / "p4-export")
        assert np.array_equal(np.load(out / "nodes.npy"), t.numpy())


def test_threads_share_a_session(planted):
    with open_planted(planted, out="threads") as s:
        s.train(1)
        results, errors = [], []

        def work():
            try:
                results.append(s.evaluate("valid")["mrr"])
            except Exception as e:  # noqa: BLE001
                errors.append(e)
        threads = [threading.Thread(target=work) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors and len(results) == 3 and len(set(results)) == 1


def test_close_from_the_progress_callback_changes_nothing(planted):
    with open_planted(planted, out="callback-close") as s:
        seen = []

        def progress(p):
            if not seen:
                with pytest.raises(marius.MariusError, match="progress callback") as e:
                    s.close()
                seen.append((e.value.status, s.closed))
        r = s.train(2, progress=progress, interval=0)
        assert seen == [("INVALID_ARGUMENT", False)]  # refused, and the session is still open
        assert r["epochs_trained"] == 2 and not r["stopped"]
        assert not s.closed and s.info()["epochs_done"] == 2
        # Not caught, the refusal stops training after the current epoch and train() raises it.
        with pytest.raises(marius.MariusError, match="progress callback"):
            s.train(3, progress=lambda p: s.close())
        assert not s.closed and s.info()["epochs_done"] == 3
    assert s.closed


def test_close_waits_for_a_train_call_in_progress(planted):
    s = open_planted(planted, out="close-waits")
    in_epoch, release = threading.Event(), threading.Event()

    def progress(p):
        if not in_epoch.is_set():
            in_epoch.set()
            release.wait()
    result, errors = {}, []

    def train():
        try:
            result.update(s.train(2, progress=progress, interval=0))
        except BaseException as e:  # noqa: BLE001
            errors.append(e)
    trainer = threading.Thread(target=train)
    trainer.start()
    in_epoch.wait()
    closer = threading.Thread(target=s.close)
    closer.start()
    release.set()
    trainer.join()
    closer.join()
    assert not errors and result["epochs_trained"] == 2 and s.closed
    with pytest.raises(marius.MariusError, match="the session is closed"):
        s.info()


def test_close_races_with_calls_on_other_threads(planted):
    # Each round: three threads call into the session until it is closed under them.
    # They must end with MariusError "the session is closed": no crash, no hang, no
    # garbage read from the closed session's memory (ids, paths).
    for _ in range(20):
        s = open_planted(planted, out="race")
        calls = (s.info, lambda: s.evaluate("valid"), s.node_ids, lambda: s.node_id(7))
        started = [threading.Event() for _ in calls]
        outcomes = []

        def hammer(call, started):
            try:
                while True:
                    call()
                    started.set()
            except BaseException as e:  # noqa: BLE001 - checked below
                outcomes.append(e)
            finally:
                started.set()
        threads = [threading.Thread(target=hammer, args=(c, e)) for c, e in zip(calls, started)]
        for t in threads:
            t.start()
        for e in started:
            e.wait()
        s.close()
        for t in threads:
            t.join()
        assert len(outcomes) == len(calls)
        for e in outcomes:
            assert isinstance(e, marius.MariusError) and "the session is closed" in str(e), repr(e)


def test_a_fresh_session_does_not_replace_a_trained_checkpoint(planted):
    with open_planted(planted, out="guarded") as s:
        s.train(1)
    with pytest.raises(marius.MariusError, match="already holds a checkpoint"):
        open_planted(planted, out="guarded")
    with open_planted(planted, out="guarded", resume=True) as s:
        assert s.info()["epochs_done"] == 1
    with open_planted(planted, out="guarded", overwrite=True) as s:
        assert s.info()["epochs_done"] == 0
    with pytest.raises(marius.MariusError, match="not both"):
        open_planted(planted, out="guarded", resume=True, overwrite=True)


def test_given_negatives_and_the_ogb_protocols(planted, tmp_path):
    """preprocess(valid_negatives=, test_negatives=) and evaluation.protocol given / classification."""
    rng = random.Random(5)
    shared = tmp_path / "shared.tsv"
    shared.write_text("".join(f"n{rng.randrange(300)}\tr{rng.randrange(3)}\tn{rng.randrange(300)}\n" for _ in range(400)))
    summary = marius.preprocess(tmp_path / "data", train=planted / "train.tsv", valid=planted / "valid.tsv",
                                test=planted / "test.tsv", valid_negatives=shared, test_negatives=shared)
    assert summary["valid_negatives"] == 400 and summary["test_negatives"] == 400
    tails = tmp_path / "tails.txt"
    tails.write_text("".join(" ".join(f"n{rng.randrange(300)}" for _ in range(20)) + "\n" for _ in range(300)))
    marius.preprocess(tmp_path / "data-tails", train=planted / "train.tsv", valid=planted / "valid.tsv",
                      test=planted / "test.tsv", test_negatives=tails, negatives_layout="tails")
    with marius.Session(PLANTED_CONFIG, dataset__path=tmp_path / "data", output__dir=tmp_path / "out",
                        evaluation__protocol="given", evaluation__hits_at=[1, 20]) as s:
        s.train()
        m = s.evaluate("test")
        assert m["protocol"] == "given" and m["negatives"] == 400 and "mrr" not in m
        assert set(m) >= {"hits@1", "hits@20"} and 0 <= m["hits@1"] <= m["hits@20"] <= 1
    with marius.Session(PLANTED_CONFIG, dataset__path=tmp_path / "data", output__dir=tmp_path / "out",
                        evaluation__protocol="classification", resume=True) as s:
        m = s.evaluate("test")
        assert m["protocol"] == "classification" and m["triples"] == 700 and m["false_triples"] == 400
        assert 0.5 < m["accuracy"] <= 1 and 0 < m["f1"] <= 1  # trained: well above chance
    with pytest.raises(marius.MariusError) as e:  # validation each epoch needs valid negatives: refused before training
        with marius.Session(PLANTED_CONFIG, dataset__path=tmp_path / "data-tails", output__dir=tmp_path / "out-tails",
                            evaluation__protocol="given") as s:
            s.train()
    assert e.value.status == "NOT_FOUND" and "--valid-negatives" in str(e.value)
    assert not (tmp_path / "out-tails" / "checkpoint.bin").exists()
    with marius.Session(PLANTED_CONFIG, dataset__path=tmp_path / "data-tails", output__dir=tmp_path / "out-tails",
                        evaluation__protocol="given", evaluation__every_epoch=False) as s:
        s.train()
        m = s.evaluate("test")
        assert m["negatives"] == 20 and m["rankings"] == 300 and 0 < m["mrr"] <= 1 and m["hits@10"] == m["hits10"]
        with pytest.raises(marius.MariusError) as e:
            s.evaluate("valid")
        assert e.value.status == "NOT_FOUND" and "--valid-negatives" in str(e.value)
