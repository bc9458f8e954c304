"""_estimators.py — descent.MLPClassifier and descent.MLPRegressor.

Each fit does what `descent train` does with the same settings, in the
same order and through the same library calls, so that the two give
bit-identical models: the network is built and initialized from the
seed (random_state); with early_stopping the rows are split by
dn_data_split with that seed (stratified for a classifier); the inputs
(and a regression target) are standardized with the training rows'
statistics (standardize=True); then dn_train (or dn_train_full for a
full-batch solver) runs with the GIL released.
"""
import ctypes as C
import inspect
import json
import math
import numbers

import numpy as np

from . import _lib as L
from ._lib import lib, check
from ._model import Model, Schema, floats, fptr
from ._compat import (HAVE_SKLEARN, BaseEstimator, ClassifierMixin,
                      RegressorMixin, MultiOutputMixin, NotFittedError,
                      available_if, check_classification_targets,
                      convergence_warning)

# scikit-learn's activation names, and descent's own
ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid",
               "tanh": "tanh", "relu": "relu", "sigmoid": "sigmoid",
               "leaky_relu": "leaky_relu", "prelu": "prelu"}
FIRST_ORDER = ("sgd", "adam", "adamw", "rmsprop", "adagrad")
FULL_BATCH = tuple(L.SOLVER)   # lbfgs, cg, lm, newton, hf
OUT_ACTIVATION = {L.LOSS_MSE: "identity", L.LOSS_BCE: "logistic",
                  L.LOSS_CE: "softmax"}


def _seed(random_state):
    """random_state as descent's seed: an int is the seed itself (so that
    random_state=1 is `descent train --seed 1`); None or a RandomState
    draws one."""
    if isinstance(random_state, numbers.Integral) and not isinstance(
            random_state, bool):
        if random_state < 0:
            raise ValueError("random_state=%d: use a seed of 0 or more"
                             % random_state)
        return int(random_state)
    if random_state is None:
        return int(np.random.randint(0, 2 ** 31 - 1))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2 ** 31 - 1))
    raise ValueError("random_state=%r: give an int, a numpy RandomState or "
                     "None" % (random_state,))


def _hidden(sizes):
    if isinstance(sizes, numbers.Integral):
        sizes = (sizes,)
    sizes = list(sizes)
    if any(not isinstance(s, numbers.Integral) or s < 1 for s in sizes):
        raise ValueError("hidden_layer_sizes must be widths of 1 or more, "
                         "got %r" % (sizes,))
    if len(sizes) > L.MAX_LAYERS - 1:
        raise ValueError("hidden_layer_sizes: at most %d hidden layers"
                         % (L.MAX_LAYERS - 1))
    return [int(s) for s in sizes]


def _positive(name, v, zero=False):
    if not isinstance(v, numbers.Real) or not (v > 0 or (zero and v == 0)):
        raise ValueError("%s must be %s, got %r"
                         % (name, "0 or more" if zero else "positive", v))


def _data(X, Y, schema, sample_weight, owned):
    """A data set the library owns (dn_data_new), X and Y converted into
    its arrays, a copy of the schema, the row weights set (and checked)
    by dn_data_set_weights; appended to owned."""
    n, d = X.shape
    p, err = C.POINTER(L.dn_data)(), L.dn_error()
    check(lib.dn_data_new(n, d, Y.shape[1], C.byref(p), err), err)
    owned.append(p)
    v = p.contents
    np.copyto(np.ctypeslib.as_array(v.X, (n, d)), X, casting="unsafe")
    np.copyto(np.ctypeslib.as_array(v.Y, Y.shape), Y, casting="unsafe")
    check(lib.dn_schema_copy(schema.ptr(), C.byref(v.schema), err), err)
    if sample_weight is not None:
        w = floats(np.asarray(sample_weight, dtype=np.float64).ravel())
        if w.shape[0] != n:
            raise ValueError("sample_weight has %d values for %d rows; "
                             "sample_weight.shape == (%d,) expected"
                             % (w.shape[0], n, n))
        check(lib.dn_data_set_weights(p, fptr(w), err), err)
    return p


class _Run:
    """What one training call reports, epoch by epoch, through on_epoch
    (which runs with the GIL taken back): the losses, the validation
    scores, verbose lines, TensorBoard rows."""

    def __init__(self, est, model, r2_scale):
        self.est, self.r2_scale = est, r2_scale
        self.loss, self.scores = [], []
        self.failure = None
        self.tb, self.hist = None, None
        if est.tensorboard:
            err, tb = L.dn_error(), C.c_void_p()
            check(lib.dn_tboard_open(str(est.tensorboard).encode(),
                                     C.byref(tb), err), err)
            self.tb = tb
            self.hist = L.dn_history()
            lib.dn_history_init(C.byref(self.hist),
                                lib.dn_history_metric(model.h))
        self.fn = L.EPOCH_FN(self._on_epoch)

    def _on_epoch(self, e, _user):
        try:
            e = e.contents
            self.loss.append(e.train_loss)
            if self.r2_scale is None:
                score = e.val_acc
            else:
                score = 1.0 - e.val_loss / self.r2_scale
            if not math.isnan(score):
                self.scores.append(score)
            if self.est.verbose:
                print("Iteration %d, loss = %.8f" % (e.epoch, e.train_loss))
                if not math.isnan(score):
                    print("Validation score: %f" % score)
            if self.tb:
                err = L.dn_error()
                check(lib.dn_history_add_epoch(C.byref(self.hist), e, err), err)
                row = self.hist.row[self.hist.n - 1]
                check(lib.dn_tboard_add(self.tb, C.byref(row),
                                        self.hist.metric, err), err)
            return 0
        except BaseException as exc:  # stop training; raised after it
            self.failure = exc
            return 1

    def close(self):
        if self.tb:
            err = L.dn_error()
            st = lib.dn_tboard_close(self.tb, err)
            lib.dn_history_free(C.byref(self.hist))
            self.tb = None
            check(st, err)


class _MLP(BaseEstimator):
    """What the classifier and the regressor share: the parameters, the
    network, the mapping of scikit-learn's settings onto dn_train_opts,
    training, the weights as views, save and pickling."""

    _task_name = None

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *,
                 solver="adam", alpha=0.0001, batch_size="auto",
                 learning_rate="constant", learning_rate_init=0.001,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4,
                 verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False,
                 validation_fraction=0.1, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 standardize=True, init="glorot_uniform", dropout=0.0,
                 schedule=None, clip=0.0,
                 threads=0, checkpoint=None, tensorboard=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.standardize = standardize
        self.init = init
        self.dropout = dropout
        self.schedule = schedule
        self.clip = clip
        self.threads = threads
        self.checkpoint = checkpoint
        self.tensorboard = tensorboard

    # ---- the estimator contract ----

    def fit(self, X, y, sample_weight=None):
        """Trains on X (n x d) and y.  sample_weight: one weight ≥ 0 per
        row; the losses are then weighted means, Σ w_n l_n / Σ w_n (with
        class_weight, the product of the two)."""
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    def _weigh_classes(self, train, val):
        """Class weights into the rows' weights (classifiers)."""

    def _check_solver(self):
        if self.solver in FULL_BATCH:
            raise AttributeError("partial_fit is only available for the "
                                 "first-order solvers %s, not %r"
                                 % (FIRST_ORDER, self.solver))
        return True

    def __sklearn_is_fitted__(self):
        return hasattr(self, "_model")

    def _fitted(self):
        if not hasattr(self, "_model"):
            raise NotFittedError("This %s instance is not fitted yet. Call "
                                 "'fit' with appropriate arguments before "
                                 "using this estimator." % type(self).__name__)
        return self._model

    @property
    def coefs_(self):
        """coefs_[i]: layer i's weights, [in, out] as in scikit-learn: a
        view of descent's parameters (writing into it changes the model).
        With standardize=True the first layer reads standardized inputs."""
        m = self._fitted()
        return [m.W(l) for l in range(m.arch().n_layers)]

    @property
    def intercepts_(self):
        m = self._fitted()
        return [m.b(l) for l in range(m.arch().n_layers)]

    def _inputs(self, X):
        """(model, X as float32) for a prediction: NotFittedError before
        fit, ValueError for X of another width."""
        m = self._fitted()
        X = self._validate_data(X, reset=False, accept_sparse=["csr", "csc"],
                                dtype=(np.float64, np.float32))
        if hasattr(X, "toarray"):
            X = X.toarray()
        return m, floats(X)

    # scikit-learn's check_sample_weights_invariance(kind="zeros") asks
    # that rows of weight 0 give the model the data without them gives,
    # to rtol 1e-7.  In descent they count in the standardization's
    # statistics and in the mini-batches' composition, and float32 sums in
    # another order differ in their last bits, which 200 epochs amplify;
    # its kind="ones" half (weights of 1 are no weights) passes and
    # tests/python/test_python.py runs it by itself.  scikit-learn 1.2's
    # own MLP has no sample_weight, so the check does not run for it.
    _ZERO_WEIGHTS = ("rows of weight 0 still count in the standardization "
                     "and fill mini-batch slots; float32 sums in another "
                     "order are not equal to rtol 1e-7")

    def _more_tags(self):
        return {"_xfail_checks": {
            "check_sample_weights_invariance": self._ZERO_WEIGHTS}}

    # ---- settings ----

    def _check_params(self):
        if self.solver not in FIRST_ORDER + FULL_BATCH:
            raise ValueError("solver=%r: use one of %s"
                             % (self.solver, FIRST_ORDER + FULL_BATCH))
        if self.activation not in ACTIVATIONS:
            raise ValueError("activation=%r: use one of %s"
                             % (self.activation, tuple(ACTIVATIONS)))
        if self.learning_rate not in ("constant", "adaptive"):
            raise ValueError("learning_rate=%r: descent has 'constant' and "
                             "'adaptive' (and schedule= for step, exp, "
                             "cosine, plateau); 'invscaling' decays per step, "
                             "which descent's per-epoch schedules do not: use "
                             "schedule='exp'" % (self.learning_rate,))
        _positive("learning_rate_init", self.learning_rate_init)
        _positive("alpha", self.alpha, zero=True)
        _positive("tol", self.tol, zero=True)
        _positive("clip", self.clip, zero=True)
        if not isinstance(self.max_iter, numbers.Integral) or self.max_iter < 0:
            raise ValueError("max_iter must be 0 or more, got %r"
                             % (self.max_iter,))
        if not isinstance(self.n_iter_no_change, numbers.Integral) or \
                self.n_iter_no_change < 1:
            raise ValueError("n_iter_no_change must be 1 or more, got %r"
                             % (self.n_iter_no_change,))
        if not 0 < self.validation_fraction < 1:
            raise ValueError("validation_fraction must be in (0, 1), got %r"
                             % (self.validation_fraction,))
        if not isinstance(self.threads, numbers.Integral) or self.threads < 0:
            raise ValueError("threads must be 0 (every core) or more, got %r"
                             % (self.threads,))
        if self.batch_size != "auto" and (
                not isinstance(self.batch_size, numbers.Integral)
                or self.batch_size < 1):
            raise ValueError("batch_size must be 'auto' or 1 or more, got %r"
                             % (self.batch_size,))

    def _arch(self, n_in, task, n_out):
        a = L.dn_arch()
        a.n_in = n_in
        act = L.ACT[ACTIVATIONS[self.activation]]
        for i, u in enumerate(_hidden(self.hidden_layer_sizes)):
            a.layer[i].units, a.layer[i].act = u, act
        a.n_layers = len(_hidden(self.hidden_layer_sizes))
        err = L.dn_error()
        check(lib.dn_arch_set_task(C.byref(a), task, n_out, err), err)
        return a

    @staticmethod
    def _same_arch(a, b):
        return a.n_in == b.n_in and a.n_layers == b.n_layers and \
            a.loss == b.loss and all(
                a.layer[i].units == b.layer[i].units and
                a.layer[i].act == b.layer[i].act for i in range(a.n_layers))

    def _schedule(self, s):
        """The learning-rate schedule: schedule= (a kind, or a dict with
        "kind" and dn_sched_conf's fields), else learning_rate='adaptive'
        as reduce-on-plateau (÷5 after n_iter_no_change epochs without a
        training-loss improvement of tol, down to 1e-6), else constant."""
        sched = self.schedule
        if sched is None:
            if self.learning_rate == "adaptive":
                sched = {"kind": "plateau", "factor": 0.2,
                         "patience": self.n_iter_no_change,
                         "threshold": self.tol, "threshold_abs": 1,
                         "eta_min": 1e-6}
            else:
                sched = "constant"
        if isinstance(sched, str):
            sched = {"kind": sched}
        sched = dict(sched)
        kind = sched.pop("kind", "constant")
        if kind not in L.SCHED:
            raise ValueError("schedule %r: use one of %s" % (kind,
                                                             tuple(L.SCHED)))
        lib.dn_sched_defaults(C.byref(s), L.SCHED[kind])
        fields = [f for f, _ in L.dn_sched_conf._fields_
                  if f not in ("kind", "reserved")]
        for k, v in sched.items():
            if k not in fields:
                raise ValueError("schedule: unknown setting %r; the settings "
                                 "are %s" % (k, fields))
            setattr(s, k, v)

    def _opts(self, n_train, n_hidden, full, incremental, has_val, seed):
        o = L.dn_train_opts()
        lib.dn_train_defaults(C.byref(o))
        o.seed = seed
        o.epochs = 1 if incremental else self.max_iter
        o.shuffle = bool(self.shuffle)
        o.threads = self.threads
        o.clip = self.clip
        drop = self.dropout
        drop = [drop] * n_hidden if isinstance(drop, numbers.Real) else list(drop)
        if len(drop) > n_hidden or any(not 0 <= p < 1 for p in drop):
            raise ValueError("dropout: one rate in [0, 1) for every hidden "
                             "layer, or one per hidden layer (%d), got %r"
                             % (n_hidden, self.dropout))
        for i, p in enumerate(drop):
            o.dropout[i] = p
        if full:
            rows = n_train
        else:
            rows = min(200, n_train) if self.batch_size == "auto" else \
                min(self.batch_size, n_train)
            o.batch = rows
            o.eta = self.learning_rate_init
            kind = self.solver
            if kind == "sgd" and self.momentum > 0:
                kind = "nesterov" if self.nesterovs_momentum else "momentum"
            lib.dn_opt_defaults(C.byref(o.opt), L.OPT[kind])
            if kind in ("momentum", "nesterov"):
                o.opt.momentum = self.momentum
            if kind in ("adam", "adamw"):
                o.opt.beta1, o.opt.beta2 = self.beta_1, self.beta_2
            if kind in ("adam", "adamw", "rmsprop"):
                o.opt.eps = self.epsilon
            self._schedule(o.sched)
        # scikit-learn adds alpha/(2 n) ΣW² to a batch of n rows' mean loss
        o.l2 = self.alpha / rows
        # Stopping.  scikit-learn counts an epoch as "no improvement" when
        # the value is not better than the best by tol, and stops after
        # more than n_iter_no_change such epochs: descent's patience
        # n_iter_no_change + 1 with min_delta tol.
        o.patience = self.n_iter_no_change + 1
        o.min_delta = self.tol
        if incremental:
            o.patience = 0
        elif has_val:
            o.monitor = L.MONITOR_VAL_ACC if self._task_name == "classifier" \
                else L.MONITOR_VAL_LOSS
            o.restore_best = 1
        elif full or self.learning_rate == "adaptive" and self.schedule is None:
            o.patience = 0    # the solver's own rules; the plateau's cuts
        else:
            o.monitor = L.MONITOR_TRAIN_LOSS
            o.restore_best = 0
        if self.checkpoint:
            self._ckpt = str(self.checkpoint).encode()
            o.checkpoint = self._ckpt
            o.checkpoint_every = 1
        return o

    def _solver(self):
        s = L.dn_solver_conf()
        lib.dn_solver_defaults(C.byref(s), L.SOLVER[self.solver])
        s.gtol = self.tol
        s.max_evals = self.max_fun
        return s

    # ---- training ----

    def _fit(self, X, y, incremental, classes=None, sample_weight=None):
        self._check_params()
        first = not hasattr(self, "_model") or not (incremental or
                                                   self.warm_start)
        X, y = self._validate_data(X, y, reset=first, multi_output=
                                   self._task_name == "regressor",
                                   accept_sparse=["csr", "csc"],
                                   dtype=(np.float64, np.float32),
                                   y_numeric=self._task_name == "regressor")
        if hasattr(X, "toarray"):
            X = X.toarray()
        Y, task, n_out, class_names = self._targets(y, first, classes)
        arch = self._arch(X.shape[1], task, n_out)
        seed = _seed(self.random_state)
        if first:
            model = Model.new(arch)
            init, err = C.c_int(), L.dn_error()
            check(lib.dn_init_parse(str(self.init).encode(), C.byref(init),
                                    err), err)
            lib.dn_model_init(model.h, init.value, 0.0, seed)
        else:
            model = self._model
            if not self._same_arch(arch, model.arch()):
                raise ValueError("warm_start: the model holds another network "
                                 "than hidden_layer_sizes and activation ask "
                                 "for; set warm_start=False to start anew")
        cols = [str(c) for c in getattr(self, "feature_names_in_", [])] or \
            ["x%d" % i for i in range(X.shape[1])]
        schema = Schema(cols, task, class_names)
        full = self.solver in FULL_BATCH
        err = L.dn_error()
        owned = []   # the library's data sets, freed at the end
        try:
            all_ = _data(X, Y, schema, sample_weight, owned)
            train, val = all_, None
            if self.early_stopping and not incremental:
                tp, vp = C.POINTER(L.dn_data)(), C.POINTER(L.dn_data)()
                check(lib.dn_data_split(all_, self.validation_fraction,
                                        seed, C.byref(tp), C.byref(vp), err), err)
                owned += [tp, vp]
                train, val = tp, vp
            self._weigh_classes(train, val)
            if first and self.standardize:
                check(lib.dn_model_fit_scaling(model.h, train, err), err)
                if task == L.TASK_REGRESSION:
                    check(lib.dn_model_fit_target_scaling(model.h, train, err),
                          err)
            if first:
                check(lib.dn_model_set_schema(model.h, schema.ptr(), err), err)
            r2 = None
            if task == L.TASK_REGRESSION:
                r2 = self._r2_scale(model, val)
            o = self._opts(train.contents.n, arch.n_layers - 1, full,
                           incremental, val is not None, seed)
            if r2 is not None and val is not None:
                o.min_delta = self.tol * r2
            run = _Run(self, model, r2)
            o.on_epoch = run.fn
            res = L.dn_result()
            try:
                if full:
                    st = lib.dn_train_full(model.h, train, val, self._solver(),
                                           C.byref(o), C.byref(res), err)
                else:
                    st = lib.dn_train(model.h, train, val, C.byref(o),
                                      C.byref(res), err)
            finally:
                run.close()
            if run.failure is not None:
                raise run.failure
            check(st, err)
        finally:
            for d in owned:
                lib.dn_data_free(d)
        self._record(model, run, res, first, incremental)
        return self

    def _r2_scale(self, model, val):
        """½ Σ_j var_j / σ_j² of the validation targets: the validation loss
        of predicting their mean, so that R² = 1 − val_loss / this (exact
        for one output; for several, the R² of the scaled targets pooled)."""
        if val is None:
            return None
        v = val.contents
        Y = np.ctypeslib.as_array(v.Y, (v.n, v.k)).astype(np.float64)
        _, std = model.target_scaling()
        std = np.ones(v.k) if std is None else std.astype(np.float64)
        scale = 0.5 * float(np.sum(Y.var(axis=0) / std ** 2))
        return scale if scale > 0 else 1e-300

    def _record(self, model, run, res, first, incremental):
        self._model = model
        if first:
            self.n_iter_ = 0
            self.loss_curve_ = []
            self.validation_scores_ = [] if self.early_stopping else None
        self.n_iter_ += res.epochs
        self.loss_curve_ += run.loss
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else float("nan")
        if self.early_stopping and not incremental:
            self.validation_scores_ += run.scores
            self.best_validation_score_ = max(self.validation_scores_,
                                              default=float("nan"))
            self.best_loss_ = None
        else:
            self.best_loss_ = min(self.loss_curve_, default=float("nan"))
        self.stop_reason_ = lib.dn_stop_name(res.reason).decode()
        a = model.arch()
        self.n_layers_ = a.n_layers + 1
        self.n_outputs_ = model.n_out
        self.out_activation_ = OUT_ACTIVATION[a.loss]
        if not incremental and res.reason == L.STOP_EPOCHS and \
                self.max_iter > 0 and self.solver not in FULL_BATCH:
            convergence_warning(self.max_iter)

    # ---- files and pickles ----

    def _python_meta(self):
        params = {}
        for k, v in self.get_params().items():
            if isinstance(v, tuple):
                v = list(v)
            if isinstance(v, dict) and k == "class_weight":
                v = {"pairs": [[c, w] for c, w in v.items()]}  # keys any type
            try:
                json.dumps(v)
                params[k] = v
            except TypeError:
                pass
        meta = {"estimator": type(self).__name__, "params": params,
                "n_iter": self.n_iter_, "loss_curve": self.loss_curve_}
        if hasattr(self, "classes_"):
            meta["classes"] = self.classes_.tolist()
            meta["classes_dtype"] = self.classes_.dtype.str \
                if self.classes_.dtype != object else "object"
        if hasattr(self, "feature_names_in_"):
            meta["feature_names"] = [str(c) for c in self.feature_names_in_]
        return meta

    def save(self, path):
        """Writes the model as descent's safetensors model file: `descent
        predict`, `descent eval` and `descent summary` read it, and
        descent.load gives back this estimator."""
        m = self._fitted()
        m.set_meta("python", json.dumps(self._python_meta(), sort_keys=True))
        m.save(path)

    def __getstate__(self):
        state = super().__getstate__() if hasattr(super(), "__getstate__") \
            else self.__dict__.copy()
        state = dict(state)
        m = state.pop("_model", None)
        if m is not None:
            state["_model_bytes"] = m.to_bytes()
        return state

    def __setstate__(self, state):
        state = dict(state)
        data = state.pop("_model_bytes", None)
        if hasattr(super(), "__setstate__"):
            super().__setstate__(state)
        else:
            self.__dict__.update(state)
        if data is not None:
            self._model = Model.from_bytes(data)


class MLPClassifier(ClassifierMixin, _MLP):
    """A feed-forward classifier trained by descent (C, multithreaded),
    with scikit-learn's MLPClassifier interface.

    Two classes: one sigmoid unit with binary cross-entropy; more: softmax
    with cross-entropy — the losses scikit-learn's MLP minimizes.

    Parameters named as scikit-learn's mean what they mean there, with
    these differences of detail:
      alpha            scikit-learn adds alpha/(2 n) ΣW² to a batch of n
                       rows; descent's L2 λ/2 ΣW² is over the mean loss,
                       so λ = alpha / batch rows (all rows for a full-batch
                       solver): the same penalty, exactly when the batch
                       size divides the rows.
      epsilon          Adam's eps is added to the bias-corrected √v̂
                       (PyTorch's placement); scikit-learn adds it to √v.
      learning_rate    'constant' or 'adaptive' (reduce-on-plateau by 5
                       after n_iter_no_change epochs without a training
                       improvement of tol, down to 1e-6; training then
                       runs max_iter epochs); 'invscaling' is refused.
      tol, n_iter_no_change  stop after more than n_iter_no_change epochs
                       without an improvement of tol on the training loss,
                       or with early_stopping on the validation accuracy
                       (then the best epoch's weights are restored), as
                       scikit-learn; full-batch solvers: tol is the
                       gradient-norm tolerance, max_fun the evaluations.
      partial_fit      one epoch per call; the optimizer's moments start
                       afresh each call (exact for plain SGD).
      solver           'sgd' (momentum > 0: momentum, or Nesterov with
                       nesterovs_momentum), 'adam', 'lbfgs', and descent's
                       'adamw', 'rmsprop', 'adagrad', 'cg', 'lm' (regression
                       only), 'newton', 'hf' (Hessian-free Gauss-Newton).
      random_state     an int is descent's seed (the CLI's --seed): the
                       initialization, the split and the shuffles.
      sample_weight    (fit) per-row weights: the losses become weighted
                       means Σ w l / Σ w (validation's too).
    descent's own:
      class_weight     (classifier) None, 'balanced' (n / (K n_c) on the
                       training rows) or {class: weight}, others 1;
                       multiplies sample_weight.
      standardize      True: the inputs are standardized with the training
                       rows' mean and std, stored in the model (and applied
                       by predict): no StandardScaler needed.  coefs_[0]
                       then reads standardized inputs.
      init             the weights' initialization (the CLI's --init):
                       'glorot_uniform' (default: scikit-learn's scheme
                       for ReLU, U(±√(6/(in+out))), but biases 0),
                       'default' (the CLI's: He uniform for ReLU-family
                       layers, Glorot for the others), 'he_uniform',
                       'he_normal', 'glorot_normal', 'normal'.
      dropout          a rate, or one per hidden layer (inverted dropout).
      schedule         'constant', 'step', 'exp', 'cosine', 'plateau', or a
                       dict {"kind": ..., and dn_sched_conf's fields}.
      clip             rescale the gradient above this L2 norm (0: off).
      threads          descent's threads (0: every core).
      checkpoint       write the whole training state here every epoch.
      tensorboard      a log directory for TensorBoard.
    """

    _task_name = "classifier"

    def __init__(self, *args, class_weight=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.class_weight = class_weight

    def _weigh_classes(self, train, val):
        """class_weight: None, 'balanced' (n / (K n_c) on the training
        rows, dn_class_weights_balanced) or {label: weight} (others 1),
        multiplied into the rows' weights of the training and the
        validation part, as `descent train --class-weight` does."""
        cw = self.class_weight
        if cw is None:
            return
        K = len(self.classes_)
        c, err = (C.c_double * K)(), L.dn_error()
        if isinstance(cw, str) and cw == "balanced":
            check(lib.dn_class_weights_balanced(train, c, err), err)
        elif isinstance(cw, dict):
            unknown = [k for k in cw if k not in set(self.classes_.tolist())]
            if unknown:
                raise ValueError("class_weight names %s, which are not "
                                 "classes (%s)" % (unknown, self.classes_))
            for i, label in enumerate(self.classes_.tolist()):
                c[i] = float(cw.get(label, 1.0))
        else:
            raise ValueError("class_weight=%r: give None, 'balanced' or a "
                             "dict {class: weight}" % (cw,))
        for d in (train, val):
            if d is not None:
                check(lib.dn_data_weight_classes(d, c, err), err)

    @available_if(_MLP._check_solver)
    def partial_fit(self, X, y, classes=None):
        """One epoch over X, y; the first call needs classes (every
        label that will ever be seen)."""
        if not hasattr(self, "_model") and classes is None:
            raise ValueError("classes must be passed on the first call to "
                             "partial_fit.")
        return self._fit(X, y, incremental=True, classes=classes)

    def _targets(self, y, first, classes):
        check_classification_targets(y)
        if first:
            self.classes_ = np.unique(y if classes is None else classes)
        if len(self.classes_) < 2:
            raise ValueError("descent's classifier needs 2 classes or more; "
                             "y has 1 class (%r)" % (self.classes_[0],))
        if not np.all(np.isin(y, self.classes_)):
            raise ValueError("y has labels %s that are not in classes_ %s"
                             % (np.setdiff1d(y, self.classes_), self.classes_))
        codes = np.searchsorted(self.classes_, y).astype(np.float32)
        K = len(self.classes_)
        task = L.TASK_BINARY if K == 2 else L.TASK_MULTICLASS
        return floats(codes, (-1, 1)), task, 1 if K == 2 else K, \
            list(self.classes_)

    def _proba(self, X):
        m, X = self._inputs(X)
        return m.predict(X)

    def predict(self, X):
        """The class of each row: argmax of the probabilities, p ≥ 0.5 for
        two classes (as `descent predict`)."""
        p = self._proba(X)
        idx = (p[:, 0] >= 0.5).astype(int) if p.shape[1] == 1 else \
            np.argmax(p, axis=1)
        return self.classes_[idx]

    def predict_proba(self, X):
        """n x n_classes probabilities (float64 of descent's float32)."""
        p = self._proba(X).astype(np.float64)
        return np.hstack([1 - p, p]) if p.shape[1] == 1 else p

    def predict_log_proba(self, X):
        return np.log(self.predict_proba(X))

    def decision_function(self, X):
        """The output layer's logits: (n,) for two classes (positive:
        classes_[1]), n x n_classes for more."""
        m, X = self._inputs(X)
        z = m.logits(X).astype(np.float64)
        return z.ravel() if z.shape[1] == 1 else z


def _with_class_weight():
    sig = inspect.signature(_MLP.__init__)
    params = list(sig.parameters.values()) + [inspect.Parameter(
        "class_weight", inspect.Parameter.KEYWORD_ONLY, default=None)]
    return sig.replace(parameters=params)


# get_params and clone read __init__'s signature: _MLP's parameters and
# class_weight, not *args and **kwargs.
MLPClassifier.__init__.__signature__ = _with_class_weight()


class MLPRegressor(RegressorMixin, MultiOutputMixin, _MLP):
    """A feed-forward regressor trained by descent, with scikit-learn's
    MLPRegressor interface: identity outputs, one per target.

    The loss is the notes' MSE, (1/N) Σ_n ½ ‖h(x_n) − y_n‖², whose
    gradient is scikit-learn's (its reported loss also averages over the
    outputs, so for several outputs loss_curve_ is n_outputs times
    scikit-learn's).  With standardize=True (the default) the target is
    standardized too and the losses are in standardized units (0.5: no
    better than the mean); predict maps back.  The other parameters are
    MLPClassifier's (see its docstring); with early_stopping the
    validation score is R² (pooled over the scaled outputs when there are
    several).
    """

    _task_name = "regressor"

    @available_if(_MLP._check_solver)
    def partial_fit(self, X, y):
        """One epoch over X, y (the optimizer's moments start afresh)."""
        return self._fit(X, y, incremental=True)

    def _targets(self, y, first, classes):
        y = np.asarray(y, dtype=np.float64)
        Y = floats(y.reshape(len(y), -1))
        if not first and Y.shape[1] != self._model.n_out:
            raise ValueError("y has %d outputs; the model was trained with %d"
                             % (Y.shape[1], self._model.n_out))
        return Y, L.TASK_REGRESSION, Y.shape[1], None

    def predict(self, X):
        m, X = self._inputs(X)
        out = m.predict(X).astype(np.float64)
        return out.ravel() if out.shape[1] == 1 else out


def _plain(v):
    """A JSON list (a class label that was a tuple) back to a tuple."""
    return tuple(v) if isinstance(v, list) else v


def load(path):
    """An estimator from a descent model file: one saved by save(), or
    trained by `descent train` (classes_ are then the CLI's class names,
    as ints when every name is an integer)."""
    m = Model.load(path)
    a = m.arch()
    meta = m.meta("python")
    if meta:
        meta = json.loads(meta)
        cls = {"MLPClassifier": MLPClassifier,
               "MLPRegressor": MLPRegressor}[meta["estimator"]]
        params = meta["params"]
        if isinstance(params.get("hidden_layer_sizes"), list):
            params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
        if isinstance(params.get("class_weight"), dict):
            params["class_weight"] = {
                _plain(c): w for c, w in params["class_weight"]["pairs"]}
        if isinstance(params.get("dropout"), list):
            params["dropout"] = tuple(params["dropout"])
        valid = set(cls().get_params())
        est = cls(**{k: v for k, v in params.items() if k in valid})
        if "classes" in meta:
            dt = meta["classes_dtype"]
            est.classes_ = np.array(meta["classes"],
                                    dtype=object if dt == "object" else dt)
        if "feature_names" in meta:
            est.feature_names_in_ = np.array(meta["feature_names"],
                                             dtype=object)
        est.n_iter_ = meta["n_iter"]
        est.loss_curve_ = meta["loss_curve"]
    else:
        hidden = tuple(a.layer[i].units for i in range(a.n_layers - 1))
        acts = {a.layer[i].act for i in range(a.n_layers - 1)}
        names = {v: k for k, v in L.ACT.items()}
        act = names[acts.pop()] if len(acts) == 1 else "relu"
        act = {"sigmoid": "logistic"}.get(act, act)
        cls = MLPRegressor if a.loss == L.LOSS_MSE else MLPClassifier
        est = cls(hidden_layer_sizes=hidden, activation=act,
                  standardize=m.scaling()[0] is not None)
        sch = m.schema()
        if cls is MLPClassifier:
            K = max(2, m.n_out)
            names_ = sch[3] if sch and sch[3] else [str(i) for i in range(K)]
            try:
                est.classes_ = np.array([int(c) for c in names_])
            except ValueError:
                est.classes_ = np.array(names_, dtype=object)
        if sch and all(sch[1]) and len(sch[0]) == a.n_in:
            est.feature_names_in_ = np.array(sch[0], dtype=object)
    est.n_features_in_ = a.n_in
    est.n_outputs_ = m.n_out
    est.n_layers_ = a.n_layers + 1
    est.out_activation_ = OUT_ACTIVATION[a.loss]
    est._model = m
    return est
