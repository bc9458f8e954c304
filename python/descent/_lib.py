"""_lib.py — libdescent.so through ctypes: the structs of descent.h as
ctypes Structures, the prototypes of the functions the estimators call,
and descent.Error.

The library is the one `make python` copies beside this file; the
environment variable DESCENT_LIB names another.  ctypes.CDLL releases
the GIL for the length of every call (a callback into Python takes it
back for the time it runs), so training and prediction in one thread
leave the interpreter free for the others.
"""
import ctypes as C
import os

__all__ = ["lib", "Error", "check", "new_error"]

c_float_p = C.POINTER(C.c_float)
c_char_pp = C.POINTER(C.c_char_p)

MAX_LAYERS = 64

# enum values, as descent.h numbers them
OK, EARG, EIO, EFORMAT, ENOMEM, ENUMERIC = range(6)
ACT = {"identity": 0, "sigmoid": 1, "tanh": 2, "relu": 3,
       "leaky_relu": 4, "prelu": 5, "softmax": 6}
LOSS_MSE, LOSS_BCE, LOSS_CE = range(3)
TASK_REGRESSION, TASK_BINARY, TASK_MULTICLASS = range(3)
OPT = {"sgd": 0, "momentum": 1, "nesterov": 2, "adagrad": 3, "rmsprop": 4,
       "adam": 5, "adamw": 6}
SCHED = {"constant": 0, "step": 1, "exp": 2, "cosine": 3, "plateau": 4}
SOLVER = {"lbfgs": 0, "cg": 1, "lm": 2, "newton": 3, "hf": 4}
MONITOR_VAL_LOSS, MONITOR_VAL_ACC, MONITOR_TRAIN_LOSS = range(3)
STOP_EPOCHS = 0


def reserved(words):
    """The reserved tail that ends a struct (DN_RESERVED in descent.h):
    words the library keeps zero and a later minor version names."""
    return ("reserved", C.c_uint64 * words)


class dn_error(C.Structure):
    _fields_ = [("code", C.c_int), ("msg", C.c_char * 1024)]


class dn_layer(C.Structure):
    _fields_ = [("units", C.c_int), ("act", C.c_int), ("alpha", C.c_float),
                reserved(2)]


class dn_arch(C.Structure):
    _fields_ = [("n_in", C.c_int), ("n_layers", C.c_int),
                ("layer", dn_layer * MAX_LAYERS), ("loss", C.c_int),
                reserved(4)]


class dn_column(C.Structure):
    _fields_ = [("name", C.c_char_p), ("n_cats", C.c_int),
                ("cats", c_char_pp), ("has_fill", C.c_int),
                ("fill", C.c_float), ("indicator", C.c_int),
                reserved(4)]


class dn_schema(C.Structure):
    _fields_ = [("n_cols", C.c_int), ("col", C.POINTER(dn_column)),
                ("n_in", C.c_int), ("img_rows", C.c_int),
                ("img_cols", C.c_int), ("target", C.c_char_p),
                ("task", C.c_int), ("n_classes", C.c_int),
                ("classes", c_char_pp),
                reserved(4)]


class dn_data(C.Structure):
    _fields_ = [("n", C.c_int), ("d", C.c_int), ("k", C.c_int),
                ("X", c_float_p), ("Y", c_float_p),
                ("schema", C.POINTER(dn_schema)), ("bytes", C.c_void_p),
                ("w", c_float_p),
                reserved(4)]


class dn_opt_conf(C.Structure):
    _fields_ = [("kind", C.c_int), ("momentum", C.c_double),
                ("dampening", C.c_double), ("alpha", C.c_double),
                ("beta1", C.c_double), ("beta2", C.c_double),
                ("eps", C.c_double), ("lr_decay", C.c_double),
                ("initial_accumulator", C.c_double),
                ("weight_decay", C.c_double), ("centered", C.c_int),
                ("amsgrad", C.c_int),
                reserved(4)]


class dn_sched_conf(C.Structure):
    _fields_ = [("kind", C.c_int), ("step_size", C.c_int),
                ("gamma", C.c_double), ("t_max", C.c_int),
                ("eta_min", C.c_double), ("factor", C.c_double),
                ("patience", C.c_int), ("threshold", C.c_double),
                ("threshold_abs", C.c_int), ("cooldown", C.c_int),
                ("warmup", C.c_int),
                ("pct_start", C.c_double), ("div_factor", C.c_double),
                ("final_div_factor", C.c_double),
                reserved(4)]


class dn_epoch(C.Structure):
    _fields_ = [("epoch", C.c_int), ("steps", C.c_long),
                ("train_loss", C.c_double), ("val_loss", C.c_double),
                ("train_acc", C.c_double), ("val_acc", C.c_double),
                ("train_mae", C.c_double), ("val_mae", C.c_double),
                ("eta", C.c_double), ("grad_norm", C.c_double),
                ("seconds", C.c_double), ("replay", C.c_int),
                ("mu", C.c_double), ("evals", C.c_long),
                reserved(8)]


EPOCH_FN = C.CFUNCTYPE(C.c_int, C.POINTER(dn_epoch), C.c_void_p)


class dn_train_opts(C.Structure):
    _fields_ = [("epochs", C.c_int), ("batch", C.c_int), ("eta", C.c_double),
                ("opt", dn_opt_conf), ("sched", dn_sched_conf),
                ("l2", C.c_double), ("dropout", C.c_float * MAX_LAYERS),
                ("clip", C.c_double), ("tol", C.c_double),
                ("tol_epochs", C.c_int), ("patience", C.c_int),
                ("min_delta", C.c_double), ("restore_best", C.c_int),
                ("monitor", C.c_int), ("shuffle", C.c_int),
                ("seed", C.c_uint64), ("threads", C.c_int),
                ("alone", C.c_int),
                ("on_epoch", EPOCH_FN), ("on_batch", C.c_void_p),
                ("user", C.c_void_p), ("checkpoint", C.c_char_p),
                ("checkpoint_every", C.c_int),
                ("checkpoint_steps", C.c_long), ("resume", C.c_char_p),
                ("note", C.c_char_p), ("interrupt", C.c_void_p),
                ("keep", C.c_void_p), reserved(15)]


class dn_result(C.Structure):
    _fields_ = [("epochs", C.c_int), ("steps", C.c_long),
                ("reason", C.c_int), ("best_epoch", C.c_int),
                ("best", C.c_double), ("restored", C.c_int),
                ("last", dn_epoch),
                reserved(4)]


class dn_solver_conf(C.Structure):
    _fields_ = [("kind", C.c_int), ("max_iter", C.c_int),
                ("max_evals", C.c_long), ("gtol", C.c_double),
                ("ftol", C.c_double), ("c1", C.c_double),
                ("c2", C.c_double), ("ls_max", C.c_int),
                ("history", C.c_int), ("cg_beta", C.c_int),
                ("restart", C.c_int), ("mu", C.c_double),
                ("mu_dec", C.c_double), ("mu_inc", C.c_double),
                ("mu_max", C.c_double), ("max_params", C.c_size_t),
                ("lm_rule", C.c_int), ("hf_cg_max", C.c_int),
                ("hf_decay", C.c_double), ("hf_cg_tol", C.c_double),
                ("hf_rows", C.c_long), reserved(5)]


class dn_hist_row(C.Structure):
    _fields_ = [("epoch", C.c_int), ("step", C.c_long),
                ("train_loss", C.c_double), ("val_loss", C.c_double),
                ("train_metric", C.c_double), ("val_metric", C.c_double),
                ("learning_rate", C.c_double), ("grad_norm", C.c_double),
                ("seconds", C.c_double), ("mu", C.c_double),
                ("evals", C.c_long),
                reserved(4)]


class dn_history(C.Structure):
    _fields_ = [("metric", C.c_char * 24), ("n", C.c_int), ("cap", C.c_int),
                ("row", C.POINTER(dn_hist_row)),
                reserved(4)]


# Every Structure above, by its C name: tests/test_python.sh compiles a
# C program that checks each size and field offset against descent.h.
STRUCTS = [dn_error, dn_layer, dn_arch, dn_column, dn_schema, dn_data,
           dn_opt_conf, dn_sched_conf, dn_epoch, dn_train_opts, dn_result,
           dn_solver_conf, dn_hist_row, dn_history]

P = C.POINTER
M = C.c_void_p          # dn_model *
E = P(dn_error)
# name: (restype, argtypes)
PROTOS = {
    "dn_init_parse": (C.c_int, [C.c_char_p, P(C.c_int), E]),
    "dn_arch_set_task": (C.c_int, [P(dn_arch), C.c_int, C.c_int, E]),
    "dn_model_new": (C.c_int, [P(dn_arch), P(M), E]),
    "dn_model_free": (None, [M]),
    "dn_model_init": (None, [M, C.c_int, C.c_float, C.c_uint64]),
    "dn_model_arch": (P(dn_arch), [M]),
    "dn_model_n_in": (C.c_int, [M]),
    "dn_model_n_out": (C.c_int, [M]),
    "dn_model_n_params": (C.c_size_t, [M]),
    "dn_model_params": (c_float_p, [M]),
    "dn_model_W": (c_float_p, [M, C.c_int]),
    "dn_model_b": (c_float_p, [M, C.c_int]),
    "dn_model_set_scaling": (C.c_int, [M, c_float_p, c_float_p, E]),
    "dn_model_mean": (c_float_p, [M]),
    "dn_model_std": (c_float_p, [M]),
    "dn_model_fit_scaling": (C.c_int, [M, P(dn_data), E]),
    "dn_model_fit_target_scaling": (C.c_int, [M, P(dn_data), E]),
    "dn_model_target_mean": (c_float_p, [M]),
    "dn_model_target_std": (c_float_p, [M]),
    "dn_model_set_schema": (C.c_int, [M, P(dn_schema), E]),
    "dn_model_schema": (P(dn_schema), [M]),
    "dn_model_meta_set": (C.c_int, [M, C.c_char_p, C.c_char_p, E]),
    "dn_model_meta_get": (C.c_char_p, [M, C.c_char_p]),
    "dn_model_save": (C.c_int, [M, C.c_char_p, E]),
    "dn_model_load": (C.c_int, [C.c_char_p, P(M), E]),
    "dn_data_split": (C.c_int, [P(dn_data), C.c_double, C.c_uint64,
                                P(P(dn_data)), P(P(dn_data)), E]),
    "dn_data_free": (None, [P(dn_data)]),
    "dn_data_new": (C.c_int, [C.c_int, C.c_int, C.c_int, P(P(dn_data)), E]),
    "dn_data_set_weights": (C.c_int, [P(dn_data), c_float_p, E]),
    "dn_class_weights_balanced": (C.c_int, [P(dn_data), P(C.c_double), E]),
    "dn_data_weight_classes": (C.c_int, [P(dn_data), P(C.c_double), E]),
    "dn_schema_copy": (C.c_int, [P(dn_schema), P(P(dn_schema)), E]),
    "dn_train_defaults": (None, [P(dn_train_opts)]),
    "dn_opt_defaults": (None, [P(dn_opt_conf), C.c_int]),
    "dn_sched_defaults": (None, [P(dn_sched_conf), C.c_int]),
    "dn_solver_defaults": (None, [P(dn_solver_conf), C.c_int]),
    "dn_train": (C.c_int, [M, P(dn_data), P(dn_data), P(dn_train_opts),
                           P(dn_result), E]),
    "dn_train_full": (C.c_int, [M, P(dn_data), P(dn_data),
                                P(dn_solver_conf), P(dn_train_opts),
                                P(dn_result), E]),
    "dn_predict": (C.c_int, [M, c_float_p, C.c_int, c_float_p, E]),
    "dn_stop_name": (C.c_char_p, [C.c_int]),
    "dn_status_name": (C.c_char_p, [C.c_int]),
    "dn_history_init": (None, [P(dn_history), C.c_char_p]),
    "dn_history_free": (None, [P(dn_history)]),
    "dn_history_metric": (C.c_char_p, [M]),
    "dn_history_add_epoch": (C.c_int, [P(dn_history), P(dn_epoch), E]),
    "dn_tboard_open": (C.c_int, [C.c_char_p, P(C.c_void_p), E]),
    "dn_tboard_add": (C.c_int, [C.c_void_p, P(dn_hist_row), C.c_char_p, E]),
    "dn_tboard_close": (C.c_int, [C.c_void_p, E]),
}


def _find():
    env = os.environ.get("DESCENT_LIB")
    if env:
        return env
    return os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "libdescent.so")


def _load():
    path = _find()
    try:
        so = C.CDLL(path)
    except OSError as e:
        raise ImportError("descent: cannot load %s (%s); build it with "
                          "'make python' in descent's source tree, or set "
                          "DESCENT_LIB to a libdescent.so" % (path, e)) from e
    for name, (res, args) in PROTOS.items():
        f = getattr(so, name)
        f.restype = res
        f.argtypes = args
    return so


lib = _load()


class Error(ValueError):
    """An error reported by libdescent: the library's message, and its
    status in .status ("argument error", "format error", ...).  A
    ValueError, as scikit-learn expects of a refused input."""

    def __init__(self, msg, status=EARG):
        super().__init__(msg)
        self.status = lib.dn_status_name(status).decode()


def new_error():
    return dn_error()


def check(status, err):
    """Raises descent.Error with the library's message when status is not
    DN_OK."""
    if status != OK:
        raise Error(err.msg.decode("utf-8", "replace"), status)
