"""marius._native - libmarius (the C embedding API, <marius/embedding.h>) via ctypes.

The structs mirror the header at API version 1.1. Each is passed with
struct_size = ctypes.sizeof(struct), so the library reads and fills exactly the
1.1 members (docs/abi.md, "The embedding API").

Where the library is looked for, first hit wins:
  1. $MARIUS_LIBRARY (a file path; an error if it does not exist);
  2. libmarius.so inside this package's directory;
  3. <ancestor>/lib/libmarius.so and <ancestor>/libmarius.so for the four
     directories above the package (an install prefix: the package is
     installed to <prefix>/lib/marius/python/marius);
  4. the dynamic loader's search path (LD_LIBRARY_PATH, ldconfig).
"""
import ctypes
import ctypes.util
import os
import pathlib
import threading

from . import _dlpack
from .errors import MariusError, NOT_FOUND, VERSION_MISMATCH

API_MAJOR = 1  # the embedding API major this package speaks
API_MINOR = 1  # the lowest minor it needs (1.1: node classification)

LIBRARY_NAME = "libmarius.so"


# ---- Structs (marius/embedding.h 1.3) ------------------------------------------------

class PreprocessArgs(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32), ("flags", ctypes.c_uint32),
        ("train", ctypes.c_char_p), ("valid", ctypes.c_char_p), ("test", ctypes.c_char_p),
        ("input", ctypes.c_char_p),
        ("split_train", ctypes.c_double), ("split_valid", ctypes.c_double), ("split_test", ctypes.c_double),
        ("seed", ctypes.c_uint64),
        ("output", ctypes.c_char_p), ("delimiter", ctypes.c_char_p), ("columns", ctypes.c_char_p),
        ("ids", ctypes.c_char_p),
        ("partitions", ctypes.c_int64),
        # 1.1
        ("features", ctypes.c_char_p), ("labels", ctypes.c_char_p), ("train_nodes", ctypes.c_char_p),
        ("valid_nodes", ctypes.c_char_p), ("test_nodes", ctypes.c_char_p),
        # 1.3
        ("valid_negatives", ctypes.c_char_p), ("test_negatives", ctypes.c_char_p),
        ("negatives_layout", ctypes.c_char_p),
    ]


class DatasetSummary(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32), ("has_relations", ctypes.c_uint32),
        ("num_nodes", ctypes.c_int64), ("num_relations", ctypes.c_int64),
        ("train_edges", ctypes.c_int64), ("valid_edges", ctypes.c_int64), ("test_edges", ctypes.c_int64),
        ("num_partitions", ctypes.c_int64), ("seconds", ctypes.c_double),
        # 1.1
        ("feature_dim", ctypes.c_int64), ("num_classes", ctypes.c_int64), ("labelled_nodes", ctypes.c_int64),
        ("train_nodes", ctypes.c_int64), ("valid_nodes", ctypes.c_int64), ("test_nodes", ctypes.c_int64),
        # 1.3
        ("valid_negatives", ctypes.c_int64), ("test_negatives", ctypes.c_int64),
    ]


class SessionArgs(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32), ("flags", ctypes.c_uint32),
        ("config_path", ctypes.c_char_p), ("config_text", ctypes.c_char_p),
        ("overrides", ctypes.POINTER(ctypes.c_char_p)), ("num_overrides", ctypes.c_int64),
        ("plugin_paths", ctypes.POINTER(ctypes.c_char_p)), ("num_plugin_paths", ctypes.c_int64),
    ]


class SessionInfo(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32), ("flags", ctypes.c_uint32),
        ("num_nodes", ctypes.c_int64), ("num_relations", ctypes.c_int64), ("relation_rows", ctypes.c_int64),
        ("dim", ctypes.c_int64), ("relation_width", ctypes.c_int64),
        ("epochs_done", ctypes.c_int64), ("epochs_configured", ctypes.c_int64),
        ("train_edges", ctypes.c_int64), ("valid_edges", ctypes.c_int64), ("test_edges", ctypes.c_int64),
        ("num_partitions", ctypes.c_int64), ("buffer_capacity", ctypes.c_int64),
        ("node_table", ctypes.c_void_p), ("relation_table", ctypes.c_void_p),
        ("dataset_dir", ctypes.c_char_p), ("output_dir", ctypes.c_char_p), ("score", ctypes.c_char_p),
        # 1.1
        ("task", ctypes.c_char_p), ("representation_dim", ctypes.c_int64), ("num_classes", ctypes.c_int64),
        ("train_nodes", ctypes.c_int64), ("valid_nodes", ctypes.c_int64), ("test_nodes", ctypes.c_int64),
    ]


class Progress(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32), ("finished", ctypes.c_uint32),
        ("epoch", ctypes.c_int64), ("epoch_in_call", ctypes.c_int64), ("epochs_in_call", ctypes.c_int64),
        ("edges_done", ctypes.c_int64), ("edges_total", ctypes.c_int64),
        ("loss", ctypes.c_double), ("seconds", ctypes.c_double),
    ]


ProgressFn = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.POINTER(Progress), ctypes.c_void_p)


class TrainArgs(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32), ("reserved", ctypes.c_uint32),
        ("epochs", ctypes.c_int64), ("progress", ProgressFn), ("user_data", ctypes.c_void_p),
        ("progress_interval", ctypes.c_double),
    ]


class TrainResult(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32), ("stopped", ctypes.c_uint32),
        ("epochs_trained", ctypes.c_int64), ("epochs_done", ctypes.c_int64), ("edges", ctypes.c_int64),
        ("loss", ctypes.c_double), ("edges_per_sec", ctypes.c_double), ("seconds", ctypes.c_double),
    ]


class Metrics(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32), ("protocol", ctypes.c_int32),
        ("negatives", ctypes.c_int64), ("rankings", ctypes.c_int64),
        ("mrr", ctypes.c_double), ("mr", ctypes.c_double), ("hits1", ctypes.c_double), ("hits3", ctypes.c_double),
        ("hits10", ctypes.c_double), ("seconds", ctypes.c_double),
        # 1.1
        ("accuracy", ctypes.c_double), ("macro_f1", ctypes.c_double), ("nodes", ctypes.c_int64),
        # 1.3
        ("ranked", ctypes.c_int32), ("hits_at_count", ctypes.c_int32),
        ("hits_at_k", ctypes.c_int64 * 8), ("hits_at", ctypes.c_double * 8), ("f1", ctypes.c_double),
    ]


class PredictArgs(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32), ("direction", ctypes.c_uint32),
        ("node", ctypes.c_char_p), ("relation", ctypes.c_char_p), ("k", ctypes.c_int64),
        ("out_nodes", ctypes.POINTER(ctypes.c_int64)), ("out_scores", ctypes.POINTER(ctypes.c_double)),
        ("out_count", ctypes.c_int64),
    ]


class SimilarArgs(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32), ("metric", ctypes.c_uint32),
        ("node", ctypes.c_char_p), ("k", ctypes.c_int64),
        ("out_nodes", ctypes.POINTER(ctypes.c_int64)), ("out_values", ctypes.POINTER(ctypes.c_double)),
        ("out_count", ctypes.c_int64),
    ]


class ClassifyArgs(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32), ("reserved", ctypes.c_uint32),
        ("node", ctypes.c_char_p), ("k", ctypes.c_int64),
        ("out_classes", ctypes.POINTER(ctypes.c_int64)), ("out_probabilities", ctypes.POINTER(ctypes.c_double)),
        ("out_count", ctypes.c_int64),
    ]


def sized(struct_type, **fields):
    """A zeroed struct with struct_size set, and `fields` filled."""
    s = struct_type(**fields)
    s.struct_size = ctypes.sizeof(struct_type)
    return s


# Constants of the header.
PREPROCESS_HEADER = 1 << 0
PREPROCESS_FEATURES_FLOAT16 = 1 << 1
SESSION_RESUME = 1 << 0
SESSION_OVERWRITE = 1 << 1
INFO_OUT_OF_CORE = 1 << 0
INFO_HAS_RELATIONS = 1 << 1
INFO_INVERSE_RELATIONS = 1 << 2
INFO_NODE_CLASSIFICATION = 1 << 3
INFO_ENCODER = 1 << 4
TRAIN_TO_CONFIG = -1
SPLITS = {"train": 0, "valid": 1, "test": 2}
PROTOCOLS = {1: "filtered", 2: "sampled", 3: "accuracy", 4: "given", 5: "classification"}
PROTOCOL_ACCURACY = 3
TABLE_NODES = 1
TABLE_RELATIONS = 2
TABLE_REPRESENTATIONS = 3
TENSOR_COPY = 1 << 0
TENSOR_NO_COPY = 1 << 1
TENSOR_COPIED = 1 << 0
PREDICT_TAILS = 0
PREDICT_HEADS = 1
SIMILAR_METRICS = {"cosine": 0, "dot": 1, "l2": 2}

_Session = ctypes.c_void_p
_Status = ctypes.c_int32
_PROTOTYPES = {
    "marius_embedding_version": (ctypes.c_uint32, []),
    "marius_last_error": (ctypes.c_char_p, []),
    "marius_status_name": (ctypes.c_char_p, [_Status]),
    "marius_set_log_level": (_Status, [ctypes.c_char_p]),
    "marius_preprocess": (_Status, [ctypes.POINTER(PreprocessArgs), ctypes.POINTER(DatasetSummary)]),
    "marius_session_open": (_Status, [ctypes.POINTER(SessionArgs), ctypes.POINTER(_Session)]),
    "marius_session_close": (_Status, [_Session]),
    "marius_session_error": (ctypes.c_char_p, [_Session]),
    "marius_session_get_info": (_Status, [_Session, ctypes.POINTER(SessionInfo)]),
    "marius_session_train": (_Status, [_Session, ctypes.POINTER(TrainArgs), ctypes.POINTER(TrainResult)]),
    "marius_session_save": (_Status, [_Session]),
    "marius_session_evaluate": (_Status, [_Session, ctypes.c_int32, ctypes.POINTER(Metrics)]),
    "marius_session_tensor": (_Status, [_Session, ctypes.c_int32, ctypes.c_uint32,
                                        ctypes.POINTER(_dlpack.DLManagedTensorPtr), ctypes.POINTER(ctypes.c_uint32)]),
    "marius_tensor_share": (_Status, [_dlpack.DLManagedTensorPtr, ctypes.POINTER(_dlpack.DLManagedTensorPtr)]),
    "marius_session_names": (_Status, [_Session, ctypes.c_int32, ctypes.POINTER(ctypes.c_void_p),
                                       ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ctypes.c_int64)]),
    "marius_session_lookup": (_Status, [_Session, ctypes.c_int32, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int64)]),
    "marius_session_name": (_Status, [_Session, ctypes.c_int32, ctypes.c_int64, ctypes.POINTER(ctypes.c_char_p)]),
    "marius_session_export": (_Status, [_Session, ctypes.c_char_p]),
    "marius_session_predict": (_Status, [_Session, ctypes.POINTER(PredictArgs)]),
    "marius_session_classify": (_Status, [_Session, ctypes.POINTER(ClassifyArgs)]),
}
# Functions of later minors than API_MINOR: bound when the library has them.
_OPTIONAL_PROTOTYPES = {
    "marius_session_similar": (_Status, [_Session, ctypes.POINTER(SimilarArgs)]),  # 1.2
}


# ---- Loading ---------------------------------------------------------------------------

def candidates():
    """The places the library is looked for, in order (see the module docstring)."""
    env = os.environ.get("MARIUS_LIBRARY")
    if env:
        return [pathlib.Path(env)]
    here = pathlib.Path(__file__).resolve().parent
    places = [here / LIBRARY_NAME]
    for ancestor in list(here.parents)[:4]:
        places += [ancestor / "lib" / LIBRARY_NAME, ancestor / LIBRARY_NAME]
    return places


_lock = threading.Lock()
_lib = None
_path = None
_minor = 0


def _load():
    env = os.environ.get("MARIUS_LIBRARY")
    tried = []
    for place in candidates():
        tried.append(str(place))
        if place.is_file():
            return ctypes.CDLL(str(place)), str(place)
    if env:
        raise MariusError(NOT_FOUND, f"MARIUS_LIBRARY={env}: no such file")
    found = ctypes.util.find_library("marius")
    if found:
        try:
            lib = ctypes.CDLL(found)
            return lib, found
        except OSError as e:
            tried.append(f"{found} ({e})")
    tried.append("the dynamic loader's search path")
    raise MariusError(NOT_FOUND, "cannot find libmarius.so; set MARIUS_LIBRARY to its path (looked in: "
                      + ", ".join(tried) + ")")


def lib():
    """The loaded library (loaded and version-checked on first use)."""
    global _lib, _path, _minor
    with _lock:
        if _lib is None:
            handle, path = _load()
            for name, (restype, argtypes) in _PROTOTYPES.items():
                fn = getattr(handle, name)
                fn.restype = restype
                fn.argtypes = argtypes
            for name, (restype, argtypes) in _OPTIONAL_PROTOTYPES.items():
                fn = getattr(handle, name, None)
                if fn is not None:
                    fn.restype = restype
                    fn.argtypes = argtypes
            version = handle.marius_embedding_version()
            major, minor = version >> 16, version & 0xFFFF
            if major != API_MAJOR or minor < API_MINOR:
                raise MariusError(VERSION_MISMATCH, f"{path} speaks embedding API {major}.{minor}; this package needs "
                                  f"{API_MAJOR}.{API_MINOR} or a later {API_MAJOR}.x")
            _lib, _path, _minor = handle, path, minor
        return _lib


def library_minor():
    """The embedding API minor version of the libmarius in use (loading it if needed)."""
    lib()
    return _minor


def library_path():
    """The path of the libmarius in use (loading it if needed)."""
    lib()
    return _path


def check(status):
    """Raises MariusError with the library's message unless status is OK.

    The message is the calling thread's last error, read right after the call
    on the same thread, so concurrent calls from other threads cannot mix in."""
    if status != 0:
        message = lib().marius_last_error().decode("utf-8", "replace")
        raise MariusError(status, message, lib().marius_status_name(status).decode())
