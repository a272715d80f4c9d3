"""marius.tensor - a table of a session as a DLPack producer.

A Tensor owns one DLManagedTensor from libmarius. Each __dlpack__() call hands
the consumer a new DLManagedTensor over the same memory (marius_tensor_share),
so numpy.from_dlpack and torch.from_dlpack can each take it, any number of
times, without copying. The memory stays valid while any consumer or the
Tensor holds it, even after the session is closed.
"""
import ctypes

import numpy as np

from . import _dlpack
from ._native import check, lib


class Tensor:
    def __init__(self, managed, copied):
        self._managed = managed  # owned: its deleter runs in close()
        self.copied = copied     # True: a copy (out of core, or asked for), not a view of the live table

    @property
    def shape(self):
        return _dlpack.shape_of(self._live())

    @property
    def dtype(self):
        return np.dtype(np.float32)

    @property
    def data_ptr(self):
        """The address of the first element."""
        t = self._live().contents.dl_tensor
        return t.data + t.byte_offset

    def _live(self):
        if self._managed is None:
            raise ValueError("the marius.Tensor was released")
        return self._managed

    def __dlpack__(self, stream=None, **_ignored):
        """A "dltensor" capsule (DLPack 0.6) over this tensor's memory. CPU only, so
        `stream` must be None; the newer protocol's keywords (max_version, copy,
        dl_device) are accepted and the legacy capsule returned, as the protocol allows."""
        if stream is not None and stream != -1:
            raise BufferError("marius tensors live on the CPU; stream must be None")
        shared = _dlpack.DLManagedTensorPtr()
        check(lib().marius_tensor_share(self._live(), ctypes.byref(shared)))
        return _dlpack.capsule(shared)

    def __dlpack_device__(self):
        return (_dlpack.kDLCPU, 0)

    def numpy(self):
        """A read-only numpy view (no copy) of this tensor's memory."""
        return np.from_dlpack(self)

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def close(self):
        """Releases this Tensor's reference (views handed out keep theirs)."""
        if self._managed is not None:
            managed, self._managed = self._managed, None
            managed.contents.deleter(managed)

    def __del__(self):
        self.close()

    def __repr__(self):
        if self._managed is None:
            return "<marius.Tensor (released)>"
        return f"<marius.Tensor float32 {list(self.shape)}{' copy' if self.copied else ''} at {self.data_ptr:#x}>"
