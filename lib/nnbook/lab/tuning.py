"""Hyperparameter search (chapter 9): grid search, random search, and Bayesian optimisation with a
Gaussian-process surrogate and expected improvement, all in NumPy/SciPy; keras-tuner beside them.

A search space is a box (`Space`): each hyperparameter has a range, searched on a linear or a log
scale. Every search works in the unit cube [0, 1]^d and maps its points into the box, so
`Space.from_unit` is the only place that knows about scales. A search calls the objective
`f(x)` with one point x: (d,) in the box's own units and gets back a number to *minimise* (a
validation loss, say); it returns a `Trace` of every call.

The Gaussian process (`GaussianProcess`): a Matern-5/2 or RBF kernel with one length scale per
dimension and a signal variance, fitted by maximising the log marginal likelihood (multi-start
L-BFGS-B over their logarithms) unless `fit_hyper=False`; the noise variance is fixed (default
1e-6 on the standardised targets: the test objectives have no noise). Expected improvement is
maximised over a candidate set: uniform points of the cube plus Gaussian clouds around the best
point seen so far (no gradient-based polishing).

Test objectives: `branin` (three global minima, f = 5 / (4 pi) = 0.397887), `forrester` (one
dimension, for pictures) and `one_of_two` (two hyperparameters of which only the first matters).
`keras_mlp_builder` and `keras_tuner_search` run the same kind of search with keras-tuner.
"""

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import cho_solve, solve_triangular
from scipy.optimize import minimize
from scipy.special import ndtr
from threadpoolctl import ThreadpoolController

from .._checks import as_float_array, describe, flag, generator, number_in, one_of, positive_int

_BLAS = ThreadpoolController()  # small matrices: one BLAS thread is fastest, and spares a shared CPU

# --- the search space ---------------------------------------------------------------------------


class Space:
    """A box of hyperparameters: `Space(lr=(1e-4, 1e-1, "log"), dropout=(0.0, 0.5))`.

    Each value is `(low, high)` or `(low, high, "linear" | "log")`; a log range needs low > 0.
    `names`, `low`, `high`: (d,); `log`: (d,) bools.
    """

    def __init__(self, **dims):
        if not dims:
            raise ValueError("a Space needs at least one hyperparameter, got none")
        self.names, low, high, log = [], [], [], []
        for name, spec in dims.items():
            if not isinstance(spec, tuple) or len(spec) not in (2, 3):
                raise TypeError(f"{name} must be a tuple (low, high) or (low, high, scale), "
                                f"got {describe(spec)}")
            scale = one_of(spec[2], f"{name}'s scale", ("linear", "log")) if len(spec) == 3 else "linear"
            lo = number_in(spec[0], f"{name}'s low", 0, low_open=True) if scale == "log" \
                else number_in(spec[0], f"{name}'s low")
            hi = number_in(spec[1], f"{name}'s high", lo, low_open=True)
            self.names.append(name)
            low.append(lo)
            high.append(hi)
            log.append(scale == "log")
        self.low, self.high, self.log = np.array(low), np.array(high), np.array(log)

    @property
    def d(self):
        return len(self.names)

    def __repr__(self):
        parts = [f"{n}=({lo:g}, {hi:g}{', log' if g else ''})"
                 for n, lo, hi, g in zip(self.names, self.low, self.high, self.log)]
        return f"Space({', '.join(parts)})"

    def from_unit(self, u):
        """Points of the unit cube -> points of the box: u: (n, d) or (d,) in [0, 1]."""
        u = self._points(u, "u")
        lo = np.where(self.log, np.log(np.where(self.log, self.low, 1.0)), self.low)
        hi = np.where(self.log, np.log(np.where(self.log, self.high, 1.0)), self.high)
        x = lo + u * (hi - lo)
        return np.where(self.log, np.exp(x), x)

    def to_unit(self, x):
        """The inverse of `from_unit`: x: (n, d) or (d,) in the box -> the unit cube."""
        x = self._points(x, "x", unit=False)
        t = lambda a: np.where(self.log, np.log(np.where(self.log, a, 1.0)), a)  # noqa: E731
        return (t(x) - t(self.low)) / (t(self.high) - t(self.low))

    def grid(self, per_dim):
        """The full grid with `per_dim` values per dimension (ends included): (per_dim^d, d)."""
        per_dim = positive_int(per_dim, "per_dim")
        ticks = np.linspace(0.0, 1.0, per_dim) if per_dim > 1 else np.array([0.5])
        mesh = np.meshgrid(*[ticks] * self.d, indexing="ij")
        return self.from_unit(np.stack([m.ravel() for m in mesh], axis=1))

    def as_dict(self, x):
        """One point x: (d,) as {name: value}."""
        x = self._points(x, "x", unit=False)
        return {n: float(v) for n, v in zip(self.names, x)}

    def _points(self, p, name, unit=True):
        p = as_float_array(p, name).astype(np.float64)
        if p.shape != (self.d,) and (p.ndim != 2 or p.shape[1] != self.d):
            raise ValueError(f"{name} must have shape ({self.d},) or (n, {self.d}), got {p.shape}")
        lo, hi = (0.0, 1.0) if unit else (self.low, self.high)
        if np.any(p < lo - 1e-12) or np.any(p > hi + 1e-12):
            where = "the unit cube [0, 1]" if unit else f"the box {self}"
            raise ValueError(f"{name} must lie in {where}, got values from {p.min():g} to {p.max():g}")
        return p


# --- searches -----------------------------------------------------------------------------------


@dataclass
class Trace:
    """Every call of a search. `x`: (n, d) points in the box, `u`: (n, d) the same in the unit
    cube, `y`: (n,) objective values; `models[k]`: the GP that chose call k (None if none did)."""

    method: str
    x: np.ndarray
    u: np.ndarray
    y: np.ndarray
    models: list = field(default_factory=list)

    @property
    def best_so_far(self):
        """(n,): the lowest value among the first k + 1 calls."""
        return np.minimum.accumulate(self.y)

    @property
    def best_x(self):
        return self.x[int(np.argmin(self.y))]

    def __repr__(self):
        return f"Trace({self.method}: {len(self.y)} calls, best {self.y.min():.6g})"


def _objective(f):
    if not callable(f):
        raise TypeError(f"f must be a function of one point x: (d,), got {describe(f)}")
    return f


def _evaluate(f, x):
    value = f(x)
    if isinstance(value, (bool, np.bool_, str)) or np.size(value) != 1:
        raise TypeError(f"the objective must return one number, got {describe(value)}")
    value = float(np.reshape(value, -1)[0])  # a number, or an array holding one
    if not math.isfinite(value):
        raise ValueError(f"the objective returned {value} at x = {x}")
    return value


def _run(f, space, u, method, models=()):
    x = space.from_unit(u)
    y = np.array([_evaluate(f, xi) for xi in x])
    return Trace(method, x, u, y, list(models) or [None] * len(y))


def grid_search(f, space, per_dim):
    """Call f at every point of `space.grid(per_dim)`; returns a `Trace`."""
    f = _objective(f)
    _check_space(space)
    return _run(f, space, space.to_unit(space.grid(per_dim)), "grid")


def random_search(f, space, n_calls, seed=0):
    """Call f at `n_calls` points drawn uniformly from the unit cube, mapped into the box."""
    f = _objective(f)
    _check_space(space)
    n_calls = positive_int(n_calls, "n_calls")
    rng = generator(seed)
    return _run(f, space, rng.random((n_calls, space.d)), "random")


def _check_space(space):
    if not isinstance(space, Space):
        raise TypeError(f"space must be a tuning.Space, got {describe(space)}")


# --- the Gaussian process -----------------------------------------------------------------------


def sq_distances(A, B, length_scale):
    """Squared distances between the rows of A: (n, d) and B: (m, d), each axis divided by its
    length scale: (n, m)."""
    A, B = A / length_scale, B / length_scale
    d2 = np.sum(A**2, 1)[:, None] + np.sum(B**2, 1)[None, :] - 2 * A @ B.T
    return np.maximum(d2, 0.0)


def rbf(A, B, length_scale, variance):
    """The squared-exponential kernel: variance * exp(-r^2 / 2). A: (n, d), B: (m, d) -> (n, m)."""
    return _rbf(sq_distances(A, B, length_scale), variance)


def matern52(A, B, length_scale, variance):
    """The Matern-5/2 kernel: variance * (1 + s + s^2 / 3) exp(-s), s = sqrt(5) r. -> (n, m)."""
    return _matern52(sq_distances(A, B, length_scale), variance)


def _rbf(r2, variance):
    return variance * np.exp(-0.5 * r2)


def _matern52(r2, variance):
    s = np.sqrt(5.0 * r2)
    return variance * (1.0 + s + s**2 / 3.0) * np.exp(-s)


KERNELS = {"rbf": rbf, "matern52": matern52}
_PROFILES = {"rbf": _rbf, "matern52": _matern52}  # the kernels as functions of r^2


class GaussianProcess:
    """GP regression on standardised targets: `fit(X, y)` then `predict(X_new) -> (mean, std)`.

    `length_scale` (a number or (d,)), `variance` and `noise` are the kernel's starting (or, with
    `fit_hyper=False`, fixed) values; `fit` with `fit_hyper=True` sets `length_scale` and
    `variance` to the maximiser of the log marginal likelihood within `bounds`. `noise` is always
    fixed. `normalize_y` subtracts the mean of y and divides by its standard deviation first.
    """

    bounds = {"length_scale": (1e-2, 1e1), "variance": (1e-2, 1e2)}

    def __init__(self, kernel="matern52", length_scale=0.3, variance=1.0, noise=1e-6,
                 fit_hyper=True, normalize_y=True):
        self.kernel = one_of(kernel, "kernel", tuple(KERNELS))
        ls = as_float_array(length_scale, "length_scale").astype(np.float64)
        if ls.ndim > 1 or ls.size == 0 or np.any(ls <= 0):
            raise ValueError(f"length_scale must be a positive number or a 1-d array of them, got {ls}")
        self.length_scale = ls
        self.variance = number_in(variance, "variance", 0, low_open=True)
        self.noise = number_in(noise, "noise", 0)
        self.fit_hyper = flag(fit_hyper, "fit_hyper")
        self.normalize_y = flag(normalize_y, "normalize_y")

    def __repr__(self):
        ls = np.array2string(np.atleast_1d(self.length_scale), precision=3)
        return f"GaussianProcess({self.kernel}, length_scale={ls}, variance={self.variance:.3g})"

    def k(self, A, B):
        return KERNELS[self.kernel](A, B, self.length_scale, self.variance)

    def fit(self, X, y):
        """X: (n, d), y: (n,). Standardise y, fit the hyperparameters (if asked), factor K."""
        X = as_float_array(X, "X").astype(np.float64)
        y = as_float_array(y, "y").astype(np.float64)
        if X.ndim != 2 or y.shape != (len(X),) or len(X) == 0:
            raise ValueError(f"X must be (n, d) and y (n,) with n >= 1, got {X.shape} and {y.shape}")
        if self.length_scale.size not in (1, X.shape[1]):
            raise ValueError(f"length_scale needs 1 or {X.shape[1]} entries, got {self.length_scale.size}")
        self.y_mean = y.mean() if self.normalize_y else 0.0
        self.y_std = (y.std() or 1.0) if self.normalize_y else 1.0
        self.X, self.y = X, (y - self.y_mean) / self.y_std
        self._dx2 = (X[:, None, :] - X[None, :, :]) ** 2         # (n, n, d), for the fit
        with _BLAS.limit(limits=1):
            if self.fit_hyper:
                self._fit_hyperparameters()
            self._factor()
        return self

    def _factor(self):
        K = self.k(self.X, self.X) + self.noise * np.eye(len(self.X))
        self.L = np.linalg.cholesky(K)                          # K = L L^T
        self.alpha = cho_solve((self.L, True), self.y)          # K^-1 y

    def predict(self, X_new):
        """Posterior mean and standard deviation of f at X_new: (m, d) -> (m,), (m,)."""
        X_new = as_float_array(X_new, "X_new").astype(np.float64)
        if X_new.ndim != 2 or X_new.shape[1] != self.X.shape[1]:
            raise ValueError(f"X_new must have shape (m, {self.X.shape[1]}), got {X_new.shape}")
        return self._predict(X_new)

    def _predict(self, X_new):
        K_s = self.k(X_new, self.X)                             # (m, n)
        mean = K_s @ self.alpha                                 # k*^T K^-1 y
        V = solve_triangular(self.L, K_s.T, lower=True)         # L^-1 k*
        var = self.variance - np.sum(V**2, axis=0)              # k(x, x) - k*^T K^-1 k*
        std = np.sqrt(np.maximum(var, 0.0))
        return self.y_mean + self.y_std * mean, self.y_std * std

    def log_marginal_likelihood(self):
        """log p(y | X) of the standardised targets under the current hyperparameters."""
        return -0.5 * self.y @ self.alpha - np.sum(np.log(np.diag(self.L))) \
            - 0.5 * len(self.y) * np.log(2 * np.pi)

    def _neg_lml(self, theta):
        """-log p(y | X) (without its constant) and its gradient in theta = log(length scales,
        variance), from d(-lml)/dtheta_j = tr((K^-1 - alpha alpha^T) dK/dtheta_j) / 2."""
        ls, var = np.exp(theta[:-1]), np.exp(theta[-1])
        D = self._dx2 / ls**2                                   # (n, n, d): (dx_j / l_j)^2
        r2 = D.sum(axis=2)
        K_f = _PROFILES[self.kernel](r2, var)
        try:
            L = np.linalg.cholesky(K_f + self.noise * np.eye(len(self.X)))
        except np.linalg.LinAlgError:
            return 1e25, np.zeros_like(theta)
        L_inv = solve_triangular(L, np.eye(len(L)), lower=True, check_finite=False)
        alpha = L_inv.T @ (L_inv @ self.y)
        W = L_inv.T @ L_inv - np.outer(alpha, alpha)            # K^-1 - alpha alpha^T
        if self.kernel == "rbf":                                # dk / dlog l_j
            dk = K_f
        else:
            s = np.sqrt(5.0 * r2)
            dk = var * (1.0 + s) * np.exp(-s) * 5.0 / 3.0
        grad = 0.5 * np.append(np.tensordot(W * dk, D, axes=([0, 1], [0, 1])), np.sum(W * K_f))
        return 0.5 * self.y @ alpha + np.sum(np.log(np.diag(L))), grad

    def _fit_hyperparameters(self):
        d = self.X.shape[1]
        lo_ls, hi_ls = np.log(self.bounds["length_scale"])
        lo_v, hi_v = np.log(self.bounds["variance"])
        bounds = [(lo_ls, hi_ls)] * d + [(lo_v, hi_v)]
        start = np.log(np.append(np.broadcast_to(self.length_scale, d), self.variance))
        starts = [np.clip(start, [b[0] for b in bounds], [b[1] for b in bounds]),
                  np.append(np.full(d, np.log(0.3)), 0.0)]
        best = min((minimize(self._neg_lml, s, jac=True, method="L-BFGS-B", bounds=bounds)
                    for s in starts), key=lambda r: r.fun)
        self.length_scale, self.variance = np.exp(best.x[:-1]), float(np.exp(best.x[-1]))


# --- expected improvement and the BO loop -------------------------------------------------------


def expected_improvement(mean, std, best, xi=0.0):
    """E[max(best - xi - f, 0)] for f ~ N(mean, std^2) (minimisation). mean, std: (m,) -> (m,).

    Where std = 0 the value is max(best - xi - mean, 0), the limit as std -> 0.
    """
    mean, std = np.broadcast_arrays(*(as_float_array(a, n).astype(np.float64)
                                      for a, n in ((mean, "mean"), (std, "std"))))
    if np.any(std < 0):
        raise ValueError(f"std must be >= 0, got a minimum of {std.min():g}")
    best = number_in(best, "best")
    xi = number_in(xi, "xi", 0)
    return _ei(mean, std, best, xi)


def _ei(mean, std, best, xi):
    gain = best - xi - mean                                     # improvement if f = mean
    z = np.clip(np.divide(gain, std, out=np.zeros_like(gain), where=std > 0), -40, 40)  # past 40: 0 and 1
    phi = np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi)              # N(0, 1) density
    ei = gain * ndtr(z) + std * phi                             # ndtr: N(0, 1) CDF
    return np.where(std > 0, np.maximum(ei, 0.0), np.maximum(gain, 0.0))


def candidates(u_best, n, rng):
    """Points at which to evaluate EI: n uniform points of the unit cube, and n points around
    u_best (d,) with a spread of 0.1, 0.01 or 0.001 each, clipped to the cube: (2n, d)."""
    d = len(u_best)
    spread = rng.choice([0.1, 0.01, 0.001], size=(n, 1))
    near = np.clip(u_best + spread * rng.standard_normal((n, d)), 0.0, 1.0)
    return np.vstack([rng.random((n, d)), near])


def bayes_opt(f, space, n_calls, n_initial=5, seed=0, kernel="matern52", xi=0.0, n_candidates=1000):
    """Minimise f over `space`: `n_initial` uniform random calls, then one call per step at the
    candidate with the highest expected improvement under a GP fitted to every call so far."""
    f = _objective(f)
    _check_space(space)
    n_calls = positive_int(n_calls, "n_calls")
    n_initial = positive_int(n_initial, "n_initial")
    if n_initial > n_calls:
        raise ValueError(f"n_initial must be <= n_calls = {n_calls}, got {n_initial}")
    kernel = one_of(kernel, "kernel", tuple(KERNELS))
    xi = number_in(xi, "xi", 0)
    n_candidates = positive_int(n_candidates, "n_candidates")
    rng = generator(seed)
    trace = _run(f, space, rng.random((n_initial, space.d)), "bayes")
    u, y, models = list(trace.u), list(trace.y), trace.models
    gp = GaussianProcess(kernel)
    with _BLAS.limit(limits=1):
        while len(y) < n_calls:
            u_next, gp = _propose(gp, np.array(u), np.array(y), kernel, xi, n_candidates, rng)
            u.append(u_next)
            y.append(_evaluate(f, space.from_unit(u_next)))
            models.append(gp)
    u = np.array(u)
    return Trace("bayes", space.from_unit(u), u, np.array(y), models)


def _propose(gp, u, y, kernel, xi, n_candidates, rng):
    """The next point (d,) and the GP that chose it; each fit starts from the last one's values."""
    gp = GaussianProcess(kernel, gp.length_scale, gp.variance).fit(u, y)
    cand = candidates(u[int(np.argmin(y))], n_candidates, rng)
    mean, std = gp._predict(cand)
    return cand[int(np.argmax(_ei(mean, std, y.min(), xi)))], gp


# --- test objectives ----------------------------------------------------------------------------

BRANIN_MIN = 5 / (4 * np.pi)  # 0.397887...
BRANIN_MINIMA = np.array([[-np.pi, 12.275], [np.pi, 2.275], [3 * np.pi, 2.475]])


def branin_space():
    """Branin's usual domain: x1 in [-5, 10], x2 in [0, 15]."""
    return Space(x1=(-5.0, 10.0), x2=(0.0, 15.0))


def branin(x):
    """Branin-Hoo: a (x2 - b x1^2 + c x1 - r)^2 + s (1 - t) cos x1 + s. (2,) -> float, (n, 2) -> (n,)."""
    x = _plane(x)
    a, b, c, r, s, t = 1.0, 5.1 / (4 * np.pi**2), 5 / np.pi, 6.0, 10.0, 1 / (8 * np.pi)
    x1, x2 = x[..., 0], x[..., 1]
    out = a * (x2 - b * x1**2 + c * x1 - r) ** 2 + s * (1 - t) * np.cos(x1) + s
    return float(out) if x.ndim == 1 else out


def forrester(x):
    """Forrester et al.'s one-dimensional test function (6x - 2)^2 sin(12x - 4) on [0, 1];
    a number -> float, (n,) or (n, 1) -> (n,)."""
    arr = as_float_array(x, "x").astype(np.float64)
    if arr.ndim > 2 or (arr.ndim == 2 and arr.shape[1] != 1):
        raise ValueError(f"x must be a number, (n,) or (n, 1), got shape {arr.shape}")
    out = (6 * arr - 2) ** 2 * np.sin(12 * arr - 4)
    return float(out) if arr.ndim == 0 else out.reshape(-1)


def one_of_two(x):
    """A 'validation error' on the unit square that depends almost only on x1: a dip of width
    0.05 at x1 = 0.55, plus a ripple of amplitude 0.02 in x2. (2,) -> float, (n, 2) -> (n,)."""
    x = _plane(x)
    x1, x2 = x[..., 0], x[..., 1]
    out = 1.0 - 0.8 * np.exp(-0.5 * ((x1 - 0.55) / 0.05) ** 2) + 0.02 * np.cos(2 * np.pi * x2)
    return float(out) if x.ndim == 1 else out


def _plane(x):
    x = as_float_array(x, "x").astype(np.float64)
    if x.shape != (2,) and (x.ndim != 2 or x.shape[1] != 2):
        raise ValueError(f"x must have shape (2,) or (n, 2), got {x.shape}")
    return x


# --- keras-tuner ---------------------------------------------------------------------------------


def keras_mlp_builder(n_inputs, n_classes):
    """A keras-tuner model-building function: an MLP with one hidden ReLU layer whose learning
    rate (log 1e-4..1e-1), width (16..256, log), dropout (0..0.5) and L2 (log 1e-6..1e-2) it tunes."""
    n_inputs = positive_int(n_inputs, "n_inputs")
    n_classes = positive_int(n_classes, "n_classes", minimum=2)

    def build(hp):
        import keras

        width = hp.Int("width", 16, 256, sampling="log")
        l2 = hp.Float("l2", 1e-6, 1e-2, sampling="log")
        model = keras.Sequential([
            keras.Input((n_inputs,)),
            keras.layers.Dense(width, activation="relu", kernel_regularizer=keras.regularizers.L2(l2)),
            keras.layers.Dropout(hp.Float("dropout", 0.0, 0.5)),
            keras.layers.Dense(n_classes, activation="softmax"),
        ])
        lr = hp.Float("lr", 1e-4, 1e-1, sampling="log")
        # eager: a trial runs a few dozen steps, and tracing a graph for every new model costs
        # more than it saves (it doubled the search's time)
        model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"], run_eagerly=True)
        return model

    return build


def keras_tuner_search(tuner_name, build, x, y, validation_data, directory, max_trials=8, epochs=20,
                       batch_size=64, seed=0, **tuner_kwargs):
    """Run keras-tuner's "random", "bayes" or "hyperband" tuner, minimising val_loss, with its
    trial folders under `directory`, silently. Returns the tuner (its oracle holds every trial).
    For Hyperband `epochs` is `max_epochs` and `max_trials` is unused."""
    import keras_tuner

    one_of(tuner_name, "tuner_name", ("random", "bayes", "hyperband"))
    common = dict(objective="val_loss", seed=positive_int(seed, "seed", 0), directory=str(directory),
                  project_name=tuner_name, overwrite=True, **tuner_kwargs)
    epochs = positive_int(epochs, "epochs")
    if tuner_name == "hyperband":
        tuner = keras_tuner.Hyperband(build, max_epochs=epochs, **common)
    else:
        cls = keras_tuner.RandomSearch if tuner_name == "random" else keras_tuner.BayesianOptimization
        tuner = cls(build, max_trials=positive_int(max_trials, "max_trials"), **common)
    fit = {} if tuner_name == "hyperband" else {"epochs": epochs}
    tuner.search(x, y, validation_data=validation_data, batch_size=batch_size, verbose=0, **fit)
    return tuner
