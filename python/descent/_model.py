"""_model.py — one dn_model owned from Python: creation, the arrays of
its parameters as numpy views, prediction, and its bytes (the
safetensors model file) for save, load and pickling."""
import ctypes as C
import os
import tempfile

import numpy as np

from . import _lib as L
from ._lib import lib, check


def floats(a, shape=None):
    """a as a C-contiguous float32 array (a copy only when needed)."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    return a if shape is None else a.reshape(shape)


def fptr(a):
    return a.ctypes.data_as(L.c_float_p) if a is not None else None


class Model:
    """A dn_model: freed when the last reference to it goes (the numpy
    views of its parameters hold one)."""

    def __init__(self, handle):
        self.h = C.c_void_p(handle)

    @classmethod
    def new(cls, arch):
        err, h = L.dn_error(), C.c_void_p()
        check(lib.dn_model_new(C.byref(arch), C.byref(h), err), err)
        return cls(h.value)

    @classmethod
    def load(cls, path):
        err, h = L.dn_error(), C.c_void_p()
        check(lib.dn_model_load(os.fsencode(path), C.byref(h), err), err)
        return cls(h.value)

    @classmethod
    def from_bytes(cls, data):
        with tempfile.TemporaryDirectory(prefix="descent-") as d:
            path = os.path.join(d, "model.safetensors")
            with open(path, "wb") as f:
                f.write(data)
            return cls.load(path)

    def __del__(self):
        if getattr(self, "h", None) is not None and self.h.value:
            lib.dn_model_free(self.h)
            self.h = None

    def save(self, path):
        err = L.dn_error()
        check(lib.dn_model_save(self.h, os.fsencode(path), err), err)

    def to_bytes(self):
        with tempfile.TemporaryDirectory(prefix="descent-") as d:
            path = os.path.join(d, "model.safetensors")
            self.save(path)
            with open(path, "rb") as f:
                return f.read()

    def arch(self):
        a = L.dn_arch()
        C.memmove(C.byref(a), lib.dn_model_arch(self.h), C.sizeof(a))
        return a

    @property
    def n_in(self):
        return lib.dn_model_n_in(self.h)

    @property
    def n_out(self):
        return lib.dn_model_n_out(self.h)

    def _view(self, ptr, n):
        """n floats at ptr, as a writable numpy array that keeps the model
        alive."""
        buf = (C.c_float * n).from_address(C.addressof(ptr.contents))
        buf._owner = self
        return np.frombuffer(buf, dtype=np.float32)

    def params(self):
        return self._view(lib.dn_model_params(self.h),
                          lib.dn_model_n_params(self.h))

    def W(self, l):
        """Layer l's weights in scikit-learn's layout: [in, out], a view
        (transposed) of descent's [out, in]."""
        a = self.arch()
        n_in = a.n_in if l == 0 else a.layer[l - 1].units
        out = a.layer[l].units
        return self._view(lib.dn_model_W(self.h, l), out * n_in) \
            .reshape(out, n_in).T

    def b(self, l):
        return self._view(lib.dn_model_b(self.h, l), self.arch().layer[l].units)

    def _vec(self, getter, n):
        p = getter(self.h)
        return None if not p else np.ctypeslib.as_array(p, (n,)).copy()

    def scaling(self):
        n = self.n_in
        return self._vec(lib.dn_model_mean, n), self._vec(lib.dn_model_std, n)

    def target_scaling(self):
        k = self.n_out
        return (self._vec(lib.dn_model_target_mean, k),
                self._vec(lib.dn_model_target_std, k))

    def set_scaling(self, mean, std):
        err = L.dn_error()
        mean = None if mean is None else floats(mean)
        std = None if std is None else floats(std)
        check(lib.dn_model_set_scaling(self.h, fptr(mean), fptr(std), err), err)

    def predict(self, X):
        """dn_predict over the rows of X (float32, C order): n x n_out."""
        n = X.shape[0]
        out = np.empty((n, self.n_out), dtype=np.float32)
        err = L.dn_error()
        check(lib.dn_predict(self.h, fptr(X), n, fptr(out), err), err)
        return out

    def logits(self, X):
        """The output layer's z for the rows of X: the same network with an
        identity output (and no target scaling), on a copy of theta."""
        a = self.arch()
        a.layer[a.n_layers - 1].act = L.ACT["identity"]
        a.loss = L.LOSS_MSE
        twin = Model.new(a)
        twin.params()[:] = self.params()
        twin.set_scaling(*self.scaling())
        return twin.predict(X)

    def meta(self, key):
        v = lib.dn_model_meta_get(self.h, key.encode())
        return None if v is None else v.decode("utf-8")

    def set_meta(self, key, value):
        err = L.dn_error()
        check(lib.dn_model_meta_set(self.h, key.encode(),
                                    value.encode("utf-8"), err), err)

    def schema(self):
        """The schema as plain Python: (column names, whether each is
        numeric, task, class names), or None."""
        s = lib.dn_model_schema(self.h)
        if not s:
            return None
        s = s.contents
        cols = [s.col[i] for i in range(s.n_cols)]
        names = [c.name.decode("utf-8") if c.name else "" for c in cols]
        numeric = [c.n_cats == 0 for c in cols]
        classes = [s.classes[i].decode("utf-8") if s.classes[i] else str(i)
                   for i in range(s.n_classes)] if s.classes else None
        return names, numeric, s.task, classes


class Schema:
    """A dn_schema built from Python values; the buffers live as long as
    this object (the library copies what it keeps)."""

    def __init__(self, columns, task, classes=None, target="y"):
        self._keep = [c.encode("utf-8") for c in columns]
        cols = (L.dn_column * max(1, len(columns)))()
        for i, name in enumerate(self._keep):
            cols[i].name = name
        self.s = L.dn_schema()
        self.s.n_cols = len(columns)
        self.s.col = C.cast(cols, C.POINTER(L.dn_column))
        self.s.n_in = len(columns)
        self._cols = cols
        self._target = target.encode()
        self.s.target = self._target
        self.s.task = task
        if classes is not None:
            self._cls = [str(c).encode("utf-8") for c in classes]
            arr = (C.c_char_p * (len(classes) + 1))(*self._cls)
            self._arr = arr
            self.s.n_classes = len(classes)
            self.s.classes = C.cast(arr, L.c_char_pp)

    def ptr(self):
        return C.pointer(self.s)
