"""_compat.py — scikit-learn's base classes and input checks when it is
importable; plain stand-ins with the same methods when it is not."""
import inspect
import warnings

import numpy as np

try:
    from sklearn.base import (BaseEstimator, ClassifierMixin,
                              MultiOutputMixin, RegressorMixin)
    from sklearn.exceptions import ConvergenceWarning, NotFittedError
    from sklearn.utils.metaestimators import available_if
    from sklearn.utils.multiclass import check_classification_targets
    HAVE_SKLEARN = True
except ImportError:  # pragma: no cover - exercised by the test without sklearn
    HAVE_SKLEARN = False

if not HAVE_SKLEARN:
    class NotFittedError(ValueError, AttributeError):
        """The estimator is used before fit."""

    class ConvergenceWarning(UserWarning):
        """Training stopped at max_iter, before the stopping rule held."""

    def available_if(check):
        return lambda f: f

    def check_classification_targets(y):
        if y.dtype.kind == "f" and not np.all(y == np.round(y)):
            raise ValueError("Unknown label type: continuous target values; "
                             "a classifier needs classes")

    class BaseEstimator:
        """get_params / set_params from __init__'s signature, as in
        scikit-learn."""

        @classmethod
        def _param_names(cls):
            sig = inspect.signature(cls.__init__)
            return sorted(p for p in sig.parameters if p != "self")

        def get_params(self, deep=True):
            return {k: getattr(self, k) for k in self._param_names()}

        def set_params(self, **params):
            names = self._param_names()
            for k, v in params.items():
                if k not in names:
                    raise ValueError("Invalid parameter %r for estimator %s; "
                                     "valid parameters: %s"
                                     % (k, type(self).__name__, names))
                setattr(self, k, v)
            return self

        def __repr__(self):
            return "%s(%s)" % (type(self).__name__, ", ".join(
                "%s=%r" % kv for kv in self.get_params().items()))

        def _validate_data(self, X, y=None, reset=True, multi_output=False,
                           **_):
            cols = getattr(X, "columns", None)
            X = _dense_2d(X, "X")
            if reset:
                self.n_features_in_ = X.shape[1]
                if cols is not None and all(isinstance(c, str) for c in cols):
                    self.feature_names_in_ = np.asarray(cols, dtype=object)
            elif X.shape[1] != self.n_features_in_:
                raise ValueError("X has %d features, but %s is expecting %d "
                                 "features as input." % (
                                     X.shape[1], type(self).__name__,
                                     self.n_features_in_))
            if y is None:
                return X
            y = np.asarray(y)
            if y.ndim == 2 and y.shape[1] == 1 and not multi_output:
                y = y.ravel()
            if y.ndim != 1 and not multi_output:
                raise ValueError("y should be a 1d array, got an array of "
                                 "shape %s instead." % (y.shape,))
            if y.shape[0] != X.shape[0]:
                raise ValueError("Found input variables with inconsistent "
                                 "numbers of samples: [%d, %d]"
                                 % (X.shape[0], y.shape[0]))
            if y.dtype.kind in "fc" and not np.all(np.isfinite(y)):
                raise ValueError("Input y contains NaN or infinity.")
            return X, y

    class ClassifierMixin:
        _estimator_type = "classifier"

        def score(self, X, y):
            return float(np.mean(self.predict(X) == np.asarray(y)))

    class RegressorMixin:
        _estimator_type = "regressor"

        def score(self, X, y):
            y = np.asarray(y, dtype=np.float64)
            p = np.asarray(self.predict(X), dtype=np.float64).reshape(y.shape)
            ss = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
            r = 1 - ((y - p) ** 2).sum(axis=0) / np.where(ss > 0, ss, 1)
            return float(np.mean(r))

    class MultiOutputMixin:
        pass

    def _dense_2d(X, name):
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError("Expected 2D array, got %dD array instead; "
                             "reshape your data" % X.ndim)
        if X.shape[0] < 1 or X.shape[1] < 1:
            raise ValueError("Found array with shape %s: at least one row "
                             "and one column are required" % (X.shape,))
        if X.dtype.kind == "c":
            raise ValueError("Complex data not supported")
        X = X.astype(np.float32)
        if not np.all(np.isfinite(X)):
            raise ValueError("Input %s contains NaN or infinity." % name)
        return X


def convergence_warning(max_iter):
    warnings.warn("Stochastic Optimizer: Maximum iterations (%d) reached and "
                  "the optimization hasn't converged yet." % max_iter,
                  ConvergenceWarning)
