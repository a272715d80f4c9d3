"""marius._dlpack - DLPack 0.6 structs for ctypes, and PyCapsules built from them.

A capsule named "dltensor" owns one DLManagedTensor: a consumer
(numpy.from_dlpack, torch.from_dlpack) renames it "used_dltensor" and calls
the tensor's deleter when done; a capsule nobody consumed calls the deleter
when it is destroyed (the DLPack Python protocol).
"""
import ctypes

kDLCPU = 1
kDLFloat = 2


class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device", DLDevice),
        ("ndim", ctypes.c_int32),
        ("dtype", DLDataType),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("byte_offset", ctypes.c_uint64),
    ]


class DLManagedTensor(ctypes.Structure):
    pass


DLManagedTensorPtr = ctypes.POINTER(DLManagedTensor)
Deleter = ctypes.CFUNCTYPE(None, DLManagedTensorPtr)
DLManagedTensor._fields_ = [("dl_tensor", DLTensor), ("manager_ctx", ctypes.c_void_p), ("deleter", Deleter)]

# The capsule API, taking the capsule as a raw pointer: the destructor runs while
# the capsule is being destroyed, when no new reference to it may be made.
_CAPSULE_NAME = b"dltensor"  # module-level: the capsule keeps a pointer to these bytes
_new_capsule = ctypes.pythonapi.PyCapsule_New
_new_capsule.restype = ctypes.py_object
_new_capsule.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
_capsule_is_valid = ctypes.pythonapi.PyCapsule_IsValid
_capsule_is_valid.restype = ctypes.c_int
_capsule_is_valid.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]


@ctypes.CFUNCTYPE(None, ctypes.c_void_p)
def _destroy_capsule(capsule):
    if _capsule_is_valid(capsule, _CAPSULE_NAME):  # not consumed: the tensor is still ours
        managed = ctypes.cast(_capsule_pointer(capsule, _CAPSULE_NAME), DLManagedTensorPtr)
        if managed.contents.deleter:
            managed.contents.deleter(managed)


def capsule(managed):
    """A "dltensor" capsule owning `managed` (a DLManagedTensorPtr)."""
    return _new_capsule(ctypes.cast(managed, ctypes.c_void_p), _CAPSULE_NAME,
                        ctypes.cast(_destroy_capsule, ctypes.c_void_p))


def shape_of(managed):
    t = managed.contents.dl_tensor
    return tuple(t.shape[i] for i in range(t.ndim))
