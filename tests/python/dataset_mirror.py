"""Miniature copies of every registry entry's downloads, in each publisher's exact layout.

build_mirror(registry_toml, mirror_dir) writes MIRROR/NAME/FILE for every download of
core/datasets/registry.toml: KG triple files (tar.gz, tgz, zip or plain; CRLF where ConvE uses
it), SNAP gzip edge lists with their '#' header, OGB zips (raw/*.csv.gz, split/*/*.csv.gz,
torch.save'd split dicts in both torch formats, numpy arrays and torch tensors, data.npz), and
Planetoid's pickles (scipy CSR matrices, one-hot arrays, a defaultdict adjacency). It returns a
registry in the same form whose checksums are the miniatures' (sha256 stays sha256, git_blob
stays git_blob, none stays none), so `datasets fetch --registry R --mirror M` exercises every
entry's layout and checksum kind.
"""
import collections
import copyreg
import gzip
import hashlib
import io
import pickle
import sys
import tarfile
import types
import zipfile

import numpy as np

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None


# ---- fake modules, so that pickles name the classes the real files name ----------------------
def _module(name):
    if name not in sys.modules:
        sys.modules[name] = types.ModuleType(name)
    return sys.modules[name]


class csr_matrix:  # noqa: N801 - scipy's name
    def __init__(self, dense):
        dense = np.asarray(dense, dtype=np.float32)
        self._shape = dense.shape
        rows, cols = np.nonzero(dense)
        self.indptr = np.searchsorted(rows, np.arange(dense.shape[0] + 1)).astype(np.int32)
        self.indices = cols.astype(np.int32)
        self.data = dense[rows, cols]
        self.format = "csr"
        self.maxprint = 50


csr_matrix.__module__ = "scipy.sparse.csr"
for _name in ("scipy", "scipy.sparse", "scipy.sparse.csr"):
    _module(_name)
sys.modules["scipy.sparse.csr"].csr_matrix = csr_matrix


class LongStorage:  # torch.LongStorage, named in a tensor's persistent id
    pass


def _rebuild_tensor_v2(*args):  # torch._utils._rebuild_tensor_v2, named in the pickle
    raise RuntimeError("never called")


LongStorage.__module__ = "torch"
_rebuild_tensor_v2.__module__ = "torch._utils"
_module("torch").LongStorage = LongStorage
_module("torch._utils")._rebuild_tensor_v2 = _rebuild_tensor_v2


class Tensor:
    """A stand-in for a torch tensor: pickled as torch.save does (a storage in data/KEY)."""

    def __init__(self, array):
        self.array = np.ascontiguousarray(array, dtype=np.int64)


def torch_save(obj, zip_format=True, stem="archive"):
    """The bytes torch.save writes for a dict of numpy arrays or Tensors."""
    storages = {}

    class Pickler(pickle.Pickler):
        def persistent_id(self, o):
            if isinstance(o, _StorageRef):
                return ("storage", LongStorage, o.key, "cpu", o.numel)
            return None

    class _StorageRef:
        def __init__(self, key, numel):
            self.key, self.numel = key, numel

    def reduce_tensor(t):
        key = str(len(storages))
        storages[key] = t.array.tobytes()
        stride = tuple(int(s // 8) for s in t.array.strides)
        return (_rebuild_tensor_v2, (_StorageRef(key, t.array.size), 0, t.array.shape, stride, False,
                                     collections.OrderedDict()))

    buffer = io.BytesIO()
    pickler = Pickler(buffer, protocol=2)
    pickler.dispatch_table = copyreg.dispatch_table.copy()
    pickler.dispatch_table[Tensor] = reduce_tensor
    pickler.dump(obj)
    if not zip_format:
        assert not storages, "the legacy format's tensors are not written here"
        out = io.BytesIO()
        for header in (0x1950a86a20f9469cfc6c, 1001, {"protocol_version": 1001, "little_endian": True}):
            pickle.dump(header, out, protocol=2)
        out.write(buffer.getvalue())
        pickle.dump([], out, protocol=2)
        return out.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{stem}/data.pkl", buffer.getvalue())
        for key, data in storages.items():
            z.writestr(f"{stem}/data/{key}", data)
        z.writestr(f"{stem}/version", "3\n")
    return out.getvalue()


# ---- writers ------------------------------------------------------------------------------------
def gz_text(lines):
    return gzip.compress(("".join(line + "\n" for line in lines)).encode())


def pack(file_name, members):
    """An archive named like `file_name` holding {path: bytes}; a plain file for other names."""
    if file_name.endswith(".zip"):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for path, data in members.items():
                z.writestr(path, data)
        return out.getvalue()
    if file_name.endswith((".tar.gz", ".tgz")):
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w:gz") as t:
            for path, data in members.items():
                info = tarfile.TarInfo(path)
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
        return out.getvalue()
    assert len(members) == 1
    return next(iter(members.values()))


def kg_triples(entry, rng):
    integer = entry.get("ids") == "integer"
    ents = [str(i) if integer else f"/m/e{i}" for i in range(30)]
    rels = [str(i) if integer else f"/rel/r{i}" for i in range(4)]
    order = entry.get("columns", "hrt")

    def line(h, r, t):
        fields = {"h": ents[h], "r": rels[r], "t": ents[t]}
        return "\t".join(fields[c] for c in order)

    train = [line(i % 30, i % 4, (i * 7 + 3) % 30) for i in range(120)]
    valid = [line(i, 1, (i + 5) % 30) for i in range(10)]
    test = [line(i + 10, 2, (i + 9) % 30) for i in range(10)]
    return train, valid, test, line


def kg(entry, rng):
    train, valid, test, line = kg_triples(entry, rng)
    eol = "\r\n" if entry["name"] == "fb15k-237" else "\n"  # ConvE's FB15k-237 has Windows line ends
    files = {entry["train"]: train, entry["valid"]: valid, entry["test"]: test}
    if "valid_negatives" in entry:
        files[entry["valid_negatives"]] = [line(i, 3, (i + 11) % 30) for i in range(10)]
        files[entry["test_negatives"]] = [line(i + 3, 0, (i + 13) % 30) for i in range(10)]
    data = {path: "".join(l + eol for l in lines).encode() for path, lines in files.items()}
    downloads = entry["downloads"]
    if len(downloads) == 1:
        return {downloads[0]["file"]: pack(downloads[0]["file"], data)}
    return {d["file"]: data[d["file"]] for d in downloads}


def snap(entry, rng):
    sep = "\t" if entry.get("delimiter", "tab") == "tab" else " "
    header = ["# Directed graph (each unordered pair of nodes is saved once): miniature",
              "# A miniature in SNAP's layout", "# Nodes: 40 Edges: 200", "# FromNodeId\tToNodeId"]
    edges = [f"{(i * 3) % 40}{sep}{(i * 11 + 1) % 40}" for i in range(200)]
    return {entry["downloads"][0]["file"]: gz_text(header + edges)}


def ogb_link(entry, rng):
    root, split = entry["root"], entry["split"]
    n = 50
    members = {f"{root}/RELEASE_v1.txt": b"",
               f"{root}/raw/num-node-list.csv.gz": gz_text([str(n)])}
    keys = entry["keys"]

    def pairs(count, offset):
        return np.array([[(i + offset) % n, (i * 7 + offset + 1) % n] for i in range(count)], dtype=np.int64)

    train_edges = pairs(300, 0)
    members[f"{root}/raw/edge.csv.gz"] = gz_text([f"{a},{b}" for a, b in train_edges])
    for s, count in (("train", 300), ("valid", 20), ("test", 20)):
        e = pairs(count, {"train": 0, "valid": 3, "test": 5}[s])
        if keys == "edge":
            d = {"edge": e}
            if s != "train":
                d["edge_neg"] = pairs(40, 17)
            if entry["name"] == "ogbl-collab":
                d["weight"] = np.ones(count, dtype=np.int64)
                d["year"] = np.full(count, 2019, dtype=np.int64)
            legacy = s == "train" and entry["name"] == "ogbl-ddi"  # one file in the legacy torch format
            data = torch_save(d, zip_format=not legacy, stem=s)
        elif keys == "source_target":
            d = {"source_node": e[:, 0], "target_node": e[:, 1]}
            if s != "train":
                d["target_node_neg"] = (np.arange(count * 8).reshape(count, 8) * 3) % n
            data = torch_save(d, stem=s)
        else:  # head_relation_tail, as tensors
            d = {"head": Tensor(e[:, 0]), "relation": Tensor(np.arange(count) % 3), "tail": Tensor(e[:, 1])}
            if s != "train":
                d["head_neg"] = Tensor((np.arange(count * 6).reshape(count, 6) * 5) % n)
                d["tail_neg"] = Tensor((np.arange(count * 6).reshape(count, 6) * 7) % n)
            data = torch_save(d, stem=s)
        members[f"{root}/split/{split}/{s}.pt"] = data
    return {entry["downloads"][0]["file"]: pack(entry["downloads"][0]["file"], members)}


def ogb_node(entry, rng, npz):
    root, split = entry["root"], entry["split"]
    n, dim, classes = 60, 5, 3
    edges = [((i * 5) % (n - 1), (i * 13 + 2) % (n - 1)) for i in range(240)]  # node n-1 has no edge
    features = (np.arange(n * dim).reshape(n, dim) % 7).astype(np.float32) / 7
    labels = np.arange(n) % classes
    members = {f"{root}/RELEASE_v1.txt": b""}
    if npz:
        data = io.BytesIO()
        np.savez(data, edge_index=np.array(edges, dtype=np.int64).T.copy(), node_feat=features,
                 num_nodes_list=np.array([n], dtype=np.int64), num_edges_list=np.array([len(edges)], dtype=np.int64))
        members[f"{root}/raw/data.npz"] = data.getvalue()
        label = io.BytesIO()
        float_labels = labels.astype(np.float32).reshape(n, 1)
        float_labels[n - 2] = np.nan  # papers100M leaves most nodes unlabelled
        np.savez(label, node_label=float_labels)
        members[f"{root}/raw/node-label.npz"] = label.getvalue()
    else:
        members[f"{root}/raw/edge.csv.gz"] = gz_text([f"{a},{b}" for a, b in edges])
        members[f"{root}/raw/num-node-list.csv.gz"] = gz_text([str(n)])
        members[f"{root}/raw/num-edge-list.csv.gz"] = gz_text([str(len(edges))])
        members[f"{root}/raw/node-feat.csv.gz"] = gz_text([",".join(f"{v:.6f}" for v in row) for row in features])
        members[f"{root}/raw/node-label.csv.gz"] = gz_text([str(l) for l in labels])
    members[f"{root}/split/{split}/train.csv.gz"] = gz_text([str(i) for i in range(0, 30)])
    members[f"{root}/split/{split}/valid.csv.gz"] = gz_text([str(i) for i in range(30, 45)])
    members[f"{root}/split/{split}/test.csv.gz"] = gz_text([str(i) for i in range(45, 57)])
    return {entry["downloads"][0]["file"]: pack(entry["downloads"][0]["file"], members)}


def planetoid(entry, rng):
    prefix = entry["prefix"]
    dim, classes, train, allx_rows = 8, 3, 6, 20
    gap = entry["name"] == "citeseer"  # CiteSeer's test index skips ids (isolated nodes without features)
    test_index = [allx_rows + i for i in range(8)] if not gap else [allx_rows + i for i in range(9) if i != 4]
    test_index = test_index[:4][::-1] + test_index[4:]  # the file is not sorted
    n = max(test_index) + 1

    def onehot(rows, first):
        y = np.zeros((rows, classes), dtype=np.int32)
        y[np.arange(rows), (np.arange(rows) + first) % classes] = 1
        return y

    def feats(rows, first):
        x = np.zeros((rows, dim), dtype=np.float32)
        x[np.arange(rows), (np.arange(rows) + first) % dim] = 1.0
        return x

    adjacency = collections.defaultdict(list)
    for i in range(n):
        if gap and i == allx_rows + 4:
            continue
        for j in ((i + 1) % n, (i + 3) % n):
            if gap and j == allx_rows + 4:
                continue
            adjacency[i].append(j)
            adjacency[j].append(i)
    objects = {"x": csr_matrix(feats(train, 0)), "y": onehot(train, 0), "tx": csr_matrix(feats(len(test_index), 5)),
               "ty": onehot(len(test_index), 1), "allx": csr_matrix(feats(allx_rows, 0)),
               "ally": onehot(allx_rows, 0), "graph": adjacency}
    out = {}
    for part, obj in objects.items():
        out[f"{prefix}.{part}"] = pickle.dumps(obj, protocol=2)
    out[f"{prefix}.test.index"] = "".join(f"{t}\n" for t in test_index).encode()
    return out


BUILDERS = {"kg": kg, "snap": snap, "ogb-link": ogb_link, "ogb-node": lambda e, r: ogb_node(e, r, False),
            "ogb-node-npz": lambda e, r: ogb_node(e, r, True), "planetoid": planetoid}


def git_blob(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _toml_value(v):
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    return repr(v)


def build_mirror(registry_toml, mirror):
    """Writes the miniatures under `mirror` and returns (the test registry's text, {name: expected facts})."""
    with open(registry_toml, "rb") as f:
        entries = tomllib.load(f)["dataset"]
    rng = np.random.default_rng(0)
    text = []
    for entry in entries:
        for d in entry["downloads"]:
            d.setdefault("file", d["url"].split("?")[0].rsplit("/", 1)[-1])
        files = BUILDERS[entry["layout"]](entry, rng)
        (mirror / entry["name"]).mkdir(parents=True, exist_ok=True)
        for d in entry["downloads"]:
            data = files[d["file"]]
            (mirror / entry["name"] / d["file"]).write_bytes(data)
            if "sha256" in d:
                d["sha256"] = hashlib.sha256(data).hexdigest()
            if "git_blob" in d:
                d["git_blob"] = git_blob(data)
        text.append("[[dataset]]")
        for key, value in entry.items():
            text.append(f"{key} = {_toml_value(value)}")
        text.append("")
    return "\n".join(text) + "\n", entries
