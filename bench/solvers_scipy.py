"""solvers_scipy.py — SciPy's side of bench/solvers.sh: the same network
and data as bench/solvers.c, from the same starting weights, minimized by
scipy.optimize.minimize(method='L-BFGS-B') and by
scipy.optimize.least_squares(method='lm') (MINPACK's lmder).

    /usr/bin/python3 bench/solvers_scipy.py DUMP_DIR HIDDEN

DUMP_DIR holds what `solvers DATA HIDDEN METHOD EPOCHS 0 DUMP_DIR` wrote:
train.csv (the standardized training inputs and target, as the network
sees them) and theta0.txt (the starting weights in descent's layout: W1
[H, d] row-major, b1 [H], W2 [1, H], b2).  The network is d -> H tanh ->
1 identity, the loss descent's E = (1/N) sum 1/2 e^2 with e = h(x) - y,
in float64 here (descent computes the network in float32).  Needs
Debian's python3-numpy and python3-scipy.  Output, one line per method:

    method=scipy-lbfgsb iters=120 evals=130 seconds=0.05 train_loss=0.0051
"""
import sys
import time

import numpy as np
from scipy.optimize import least_squares, minimize


def unpack(theta, d, h):
    """Views of W1 [h, d], b1 [h], W2 [h] and b2 inside theta."""
    W1 = theta[: h * d].reshape(h, d)
    b1 = theta[h * d : h * d + h]
    W2 = theta[h * d + h : h * d + 2 * h]
    b2 = theta[h * d + 2 * h]
    return W1, b1, W2, b2


def forward(theta, X, h):
    W1, b1, W2, b2 = unpack(theta, X.shape[1], h)
    a1 = np.tanh(X @ W1.T + b1)
    return a1, a1 @ W2 + b2


def main():
    path, h = sys.argv[1], int(sys.argv[2])
    data = np.loadtxt(path + "/train.csv", delimiter=",", ndmin=2)
    X, y = data[:, :-1], data[:, -1]
    theta0 = np.loadtxt(path + "/theta0.txt")
    n, d = X.shape
    assert theta0.size == h * d + 2 * h + 1, "theta0 does not fit d -> h -> 1"

    def residuals(theta):
        return forward(theta, X, h)[1] - y

    def jacobian(theta):
        """de_i/dtheta, one row per sample, in descent's layout."""
        W1, _, W2, _ = unpack(theta, d, h)
        a1, _ = forward(theta, X, h)
        dz = (1 - a1**2) * W2  # de/dz1, n x h
        J = np.empty((n, theta.size))
        J[:, : h * d] = (dz[:, :, None] * X[:, None, :]).reshape(n, h * d)
        J[:, h * d : h * d + h] = dz
        J[:, h * d + h : h * d + 2 * h] = a1
        J[:, -1] = 1
        return J

    def loss_grad(theta):
        e = residuals(theta)
        return 0.5 * np.mean(e**2), jacobian(theta).T @ e / n

    t0 = time.perf_counter()
    r = minimize(loss_grad, theta0, jac=True, method="L-BFGS-B",
                 options={"maxiter": 1000, "maxcor": 10})
    t = time.perf_counter() - t0
    print("method=scipy-lbfgsb iters=%d evals=%d seconds=%.3f train_loss=%.6g "
          'reason="%s"' % (r.nit, r.nfev, t, r.fun, r.message))

    t0 = time.perf_counter()
    # max_nfev caps lmder, which otherwise runs to its default 100 n
    # evaluations (14,500 here, minutes); 3000 is three times what
    # descent's LM uses to converge on this problem.
    r = least_squares(residuals, theta0, jac=jacobian, method="lm",
                      max_nfev=3000)
    t = time.perf_counter() - t0
    # lmder counts evaluations, not iterations: each iteration needs one
    # Jacobian (njev) and one or more residual evaluations (nfev).
    print("method=scipy-lm iters=%d evals=%d seconds=%.3f train_loss=%.6g "
          'reason="%s"' % (r.njev, r.nfev, t, 0.5 * np.mean(r.fun**2),
                           r.message))


if __name__ == "__main__":
    main()
