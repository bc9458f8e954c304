"""descent from Python: scikit-learn estimators over libdescent.

    import descent
    clf = descent.MLPClassifier(hidden_layer_sizes=(64,), max_iter=50)
    clf.fit(X, y).predict(X)
    clf.save("model.safetensors")       # `descent predict` reads it
    clf = descent.load("model.safetensors")

The estimators subclass scikit-learn's BaseEstimator and mixins when
scikit-learn is importable, and are plain classes with the same methods
when it is not.  Errors from the library are descent.Error (a
ValueError) with the library's message.
"""
from ._lib import Error
from ._estimators import MLPClassifier, MLPRegressor, load
from ._compat import HAVE_SKLEARN

__version__ = "1.2.0"
__all__ = ["MLPClassifier", "MLPRegressor", "Error", "load", "HAVE_SKLEARN"]
