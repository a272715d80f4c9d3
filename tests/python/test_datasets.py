"""`marius-run datasets`: every registry entry fetched from a miniature in its publisher's layout.

The miniatures (dataset_mirror.py) go through a local mirror directory (file:// URLs, no network),
with a registry whose checksums are the miniatures': each entry is downloaded, verified, unpacked,
converted and preprocessed; a corrupted download is refused and moved aside; a file whose checksum
was recorded at the first fetch is checked on the next; a few fetched sets train and evaluate by
their protocol.
"""
import json
import os
import pathlib
import re
import subprocess

import pytest

from dataset_mirror import build_mirror

RUN = os.environ.get("MARIUS_RUN", "marius-run")
REGISTRY = pathlib.Path(__file__).resolve().parents[2] / "core" / "datasets" / "registry.toml"


def run(*args, check=True):
    done = subprocess.run([RUN, *map(str, args)], capture_output=True, text=True, timeout=300)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    root = tmp_path_factory.mktemp("mirror")
    text, entries = build_mirror(REGISTRY, root / "files")
    (root / "registry.toml").write_text(text)
    return root, {e["name"]: e for e in entries}


def builtin_names():
    import tomllib
    with open(REGISTRY, "rb") as f:
        return [e["name"] for e in tomllib.load(f)["dataset"]]


def test_the_builtin_registry_lists_every_set_the_issue_names():
    listed = json.loads(run("datasets", "list", "--json").stdout)
    names = {e["name"] for e in listed}
    for name in ["fb15k-237", "wn18rr", "wn18", "codex-s", "codex-m", "codex-l", "fb15k", "yago3-10", "ogbl-ddi",
                 "ogbl-collab", "ogbl-citation2", "ogbl-wikikg2", "ogbn-arxiv", "ogbn-products", "ogbn-papers100m",
                 "cora", "citeseer", "pubmed", "livejournal", "twitter", "freebase86m"]:
        assert name in names
    for e in listed:
        assert e["licence"] and e["citation"] and e["downloads"], e["name"]
        for d in e["downloads"]:
            assert d["url"].startswith(("https://", "http://")), d


@pytest.mark.parametrize("name", builtin_names())
def test_fetch_through_a_mirror(mirror, tmp_path, name):
    root, entries = mirror
    entry = entries[name]
    out = run("datasets", "--registry", root / "registry.toml", "fetch", name, "--dir", tmp_path,
              "--mirror", root / "files").stdout
    m = re.search(r"\((\d+) nodes, (\d+) relations, (\d+) / (\d+) / (\d+) edges", out)
    assert m and int(m[1]) > 0 and int(m[3]) > 0, out
    assert (tmp_path / name / "dataset" / "header.bin").exists()
    for d in entry["downloads"]:
        if "sha256" in d or "git_blob" in d:
            assert f"{d['file']}: {'sha256' if 'sha256' in d else 'git blob id'} verified" in out, out
        else:
            assert re.search(re.escape(d["file"]) + r": sha256 [0-9a-f]{64} recorded in", out), out
    assert (tmp_path / name / f"{name}.toml").exists()
    if entry["task"] == "node-classification":
        assert "features" in out and "classes" in out, out
    if entry["layout"] == "ogb-link" or "valid_negatives" in entry:
        assert "given negatives" in out, out
    # A second fetch reuses the verified downloads (and checks the recorded sums).
    again = run("datasets", "--registry", root / "registry.toml", "fetch", name, "--dir", tmp_path,
                "--mirror", tmp_path / "no-such-mirror").stdout
    if not all("sha256" in d or "git_blob" in d for d in entry["downloads"]):
        assert "matches the one recorded at the first fetch" in again, again


@pytest.mark.parametrize("name", builtin_names())
def test_a_corrupted_download_is_refused(mirror, tmp_path, name):
    root, entries = mirror
    files = tmp_path / "files"
    files.mkdir()
    (files / name).symlink_to(root / "files" / name)
    bad = tmp_path / "bad"
    (bad / name).mkdir(parents=True)
    for d in entries[name]["downloads"]:
        data = bytearray((root / "files" / name / d["file"]).read_bytes())
        data[len(data) // 2] ^= 0x40
        (bad / name / d["file"]).write_bytes(bytes(data))
    first = entries[name]["downloads"][0]["file"]
    if "sha256" in entries[name]["downloads"][0] or "git_blob" in entries[name]["downloads"][0]:
        done = run("datasets", "--registry", root / "registry.toml", "fetch", name, "--dir", tmp_path / "d",
                   "--mirror", bad, check=False)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "does not match the registry's" in done.stderr and first in done.stderr, done.stderr
        assert (tmp_path / "d" / name / "downloads" / (first + ".rejected")).exists()
        # The next fetch downloads the file anew.
        run("datasets", "--registry", root / "registry.toml", "fetch", name, "--dir", tmp_path / "d", "--mirror", files)
    else:
        # No published checksum: the first fetch records one, and a later change is refused.
        run("datasets", "--registry", root / "registry.toml", "fetch", name, "--dir", tmp_path / "d", "--mirror", files)
        downloaded = tmp_path / "d" / name / "downloads" / first
        downloaded.write_bytes((bad / name / first).read_bytes())
        done = run("datasets", "--registry", root / "registry.toml", "fetch", name, "--dir", tmp_path / "d",
                   "--mirror", files, check=False)
        assert done.returncode == 1 and "does not match the one recorded at the first fetch" in done.stderr, done.stderr


def test_from_a_local_archive_and_a_resumed_download(mirror, tmp_path):
    root, entries = mirror
    archive = root / "files" / "wn18rr" / "WN18RR.tar.gz"
    run("datasets", "--registry", root / "registry.toml", "fetch", "wn18rr", "--dir", tmp_path, "--from", archive)
    # A .part left by an interrupted download from the same URL is continued, not started again: a wrong first
    # half is kept, and the checksum then refuses the file. A .part from another source is started again.
    data = (root / "files" / "fb15k-237" / "FB15k-237.tar.gz").read_bytes()
    downloads = tmp_path / "fb15k-237" / "downloads"
    downloads.mkdir(parents=True)
    part = downloads / "FB15k-237.tar.gz.part"
    url = "file://" + str((root / "files" / "fb15k-237" / "FB15k-237.tar.gz").resolve())
    part.write_bytes(bytes(len(data) // 2))
    (downloads / "FB15k-237.tar.gz.part.url").write_text(url + "\n")
    done = run("datasets", "--registry", root / "registry.toml", "fetch", "fb15k-237", "--dir", tmp_path,
               "--mirror", root / "files", check=False)
    assert done.returncode == 1 and "does not match the registry's" in done.stderr, done.stdout + done.stderr
    part.write_bytes(data[: len(data) // 2])
    (downloads / "FB15k-237.tar.gz.part.url").write_text(url + "\n")
    out = run("datasets", "--registry", root / "registry.toml", "fetch", "fb15k-237", "--dir", tmp_path,
              "--mirror", root / "files").stdout
    assert "FB15k-237.tar.gz: sha256 verified" in out
    assert not part.exists() and not (downloads / "FB15k-237.tar.gz.part.url").exists()
    (downloads / "FB15k-237.tar.gz").unlink()
    part.write_bytes(bytes(len(data) // 2))
    (downloads / "FB15k-237.tar.gz.part.url").write_text("https://elsewhere.example/FB15k-237.tar.gz\n")
    out = run("datasets", "--registry", root / "registry.toml", "fetch", "fb15k-237", "--dir", tmp_path,
              "--mirror", root / "files").stdout
    assert "FB15k-237.tar.gz: sha256 verified" in out


def test_bad_registry_and_unknown_names_are_clear_errors(mirror, tmp_path):
    root, _ = mirror
    done = run("datasets", "fetch", "no-such-set", "--dir", tmp_path, check=False)
    assert done.returncode == 1 and "no dataset 'no-such-set'" in done.stderr and "ogbl-ddi" in done.stderr
    bad = tmp_path / "r.toml"
    bad.write_text((root / "registry.toml").read_text().replace('layout = "kg"', 'layout = "kg"\ncolour = "red"', 1))
    done = run("datasets", "--registry", bad, "list", check=False)
    assert done.returncode == 1 and "unknown key 'colour'" in done.stderr and "r.toml" in done.stderr
    bad.write_text((root / "registry.toml").read_text().replace('train = "train.txt"', 'train = "../../etc/passwd"', 1))
    done = run("datasets", "--registry", bad, "list", check=False)
    assert done.returncode == 1 and "must be a path below the downloads" in done.stderr, done.stderr
    missing = tmp_path / "m"
    done = run("datasets", "--registry", root / "registry.toml", "fetch", "cora", "--dir", tmp_path / "x",
               "--mirror", missing, check=False)
    assert done.returncode == 1 and "download failed" in done.stderr and "ind.cora.x" in done.stderr, done.stderr


@pytest.mark.parametrize("name,expect", [("ogbl-ddi", "Hits@20"), ("codex-s", "accuracy"), ("cora", "accuracy")])
def test_fetched_sets_train_and_evaluate_by_their_protocol(mirror, tmp_path, name, expect):
    root, _ = mirror
    run("datasets", "--registry", root / "registry.toml", "fetch", name, "--dir", tmp_path, "--mirror", root / "files")
    out = run("train", tmp_path / name / f"{name}.toml", "--set", "training.epochs=1", "--set", "training.threads=1")
    text = out.stdout + out.stderr
    assert expect in text, text
