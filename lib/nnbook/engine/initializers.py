"""Weight initialisers: Glorot (Xavier) and He, uniform and truncated normal, as Keras 3 defines them.

Each takes a `shape` and a `numpy.random.Generator` and returns a float64 array (float32 if
`dtype="float32"`). A weight's fan_in/fan_out follow Keras's `compute_fans`: a Dense kernel
`(d_in, d_out)` has fan_in = d_in, fan_out = d_out; a convolution kernel `(k_1, ..., c_in, c_out)`
multiplies both by the receptive field k_1 * ... . All draw with variance `scale / n`:

    glorot_*: scale 1, n = (fan_in + fan_out) / 2   (Glorot & Bengio, 2010)
    he_*:     scale 2, n = fan_in                   (He et al., 2015)

`*_uniform` draws from U(-r, r) with r = sqrt(3 scale / n). `*_normal` draws from a normal
truncated at +-2 standard deviations, its stddev divided by 0.8796... (the std of a standard
normal truncated at +-2) so that the variance after truncation is still scale / n.
`orthogonal` (Keras's default recurrent kernel) gives a matrix with orthonormal rows or columns
(Saxe et al., 2014), `uniform` Keras's default embedding, U(-0.05, 0.05).
The values differ from Keras's (another random generator); their distribution is the same.
"""

import math
from numbers import Integral

import numpy as np

from .._checks import float_dtype, is_bool, number_in, one_of

TRUNCATED_STD = 0.87962566103423978  # std of N(0, 1) truncated to [-2, 2], as in Keras


def compute_fans(shape):
    """(fan_in, fan_out) of a weight of `shape`, as Keras computes them."""
    shape = _shape(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def _shape(shape):
    """`shape` (an int or a tuple of them) as a tuple of positive ints."""
    if isinstance(shape, Integral) and not is_bool(shape):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not all(
        isinstance(s, Integral) and not is_bool(s) and s >= 1 for s in shape
    ):
        raise ValueError(f"shape must be a tuple of positive integers, got {shape!r}")
    return tuple(int(s) for s in shape)


def _check(shape, rng, dtype, need_rng=True):
    """Validated `(shape as a tuple of ints, dtype)`."""
    shape = _shape(shape)
    if (need_rng or rng is not None) and not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return shape, float_dtype(dtype)


def _check_scaling(scale, mode, distribution):
    """Validated `(scale > 0, mode, distribution)` of `variance_scaling`."""
    return (number_in(scale, "scale", 0, low_open=True),
            one_of(mode, "mode", ("fan_in", "fan_out", "fan_avg")),
            one_of(distribution, "distribution", ("uniform", "truncated_normal")))


def variance_scaling(shape, rng, scale, mode, distribution, dtype="float64"):
    """Draws with variance `scale / n` (scale > 0), n = fan_in, fan_out or their mean (`mode`
    "fan_in", "fan_out", "fan_avg"); `distribution` "uniform" or "truncated_normal"."""
    shape, dtype = _check(shape, rng, dtype)
    scale, mode, distribution = _check_scaling(scale, mode, distribution)
    fan_in, fan_out = compute_fans(shape)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[mode]
    variance = scale / max(1.0, n)
    if distribution == "uniform":
        r = math.sqrt(3.0 * variance)
        return rng.uniform(-r, r, size=shape).astype(dtype)
    return truncated_normal(shape, rng, math.sqrt(variance) / TRUNCATED_STD, dtype)


def truncated_normal(shape, rng, stddev, dtype="float64"):
    """N(0, stddev^2) redrawn wherever a value falls outside [-2 stddev, 2 stddev]."""
    shape, dtype = _check(shape, rng, dtype)
    stddev = number_in(stddev, "stddev", 0, low_open=True)
    w = rng.normal(0.0, stddev, size=shape)
    outside = np.abs(w) > 2 * stddev
    while outside.any():  # each round keeps ~95% of the redrawn values
        w[outside] = rng.normal(0.0, stddev, size=int(outside.sum()))
        outside = np.abs(w) > 2 * stddev
    return w.astype(dtype)


def glorot_uniform(shape, rng, dtype="float64"):
    """U(-r, r), r = sqrt(6 / (fan_in + fan_out)): Keras's default Dense kernel."""
    return variance_scaling(shape, rng, 1.0, "fan_avg", "uniform", dtype)


def glorot_normal(shape, rng, dtype="float64"):
    """Truncated normal with variance 2 / (fan_in + fan_out)."""
    return variance_scaling(shape, rng, 1.0, "fan_avg", "truncated_normal", dtype)


def he_uniform(shape, rng, dtype="float64"):
    """U(-r, r), r = sqrt(6 / fan_in): for ReLU layers."""
    return variance_scaling(shape, rng, 2.0, "fan_in", "uniform", dtype)


def he_normal(shape, rng, dtype="float64"):
    """Truncated normal with variance 2 / fan_in: for ReLU layers."""
    return variance_scaling(shape, rng, 2.0, "fan_in", "truncated_normal", dtype)


def orthogonal(shape, rng, gain=1.0, dtype="float64"):
    """gain * Q, Q from the QR decomposition of a standard normal matrix, the signs of its columns
    fixed by diag(R) so that Q is uniform over orthogonal matrices (Keras's `Orthogonal`). A shape
    (..., cols) is drawn as (rows, cols), rows = the product of the others: orthonormal columns
    if rows >= cols, else orthonormal rows. Needs at least two dimensions."""
    shape, dtype = _check(shape, rng, dtype)
    gain = number_in(gain, "gain", 0, low_open=True)
    if len(shape) < 2:
        raise ValueError(f"orthogonal needs a shape of at least two dimensions, got {shape}")
    rows, cols = math.prod(shape[:-1]), shape[-1]
    q, r = np.linalg.qr(rng.standard_normal((max(rows, cols), min(rows, cols))))
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return (gain * q).reshape(shape).astype(dtype)


def uniform(shape, rng, dtype="float64"):
    """U(-0.05, 0.05): Keras's `"uniform"` (`RandomUniform()`), the default embedding."""
    shape, dtype = _check(shape, rng, dtype)
    return rng.uniform(-0.05, 0.05, size=shape).astype(dtype)


def zeros(shape, rng=None, dtype="float64"):
    """All zeros (Keras's default bias); `rng` is accepted for a uniform signature and unused."""
    shape, dtype = _check(shape, rng, dtype, need_rng=False)
    return np.zeros(shape, dtype)


INITIALIZERS = {
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "orthogonal": orthogonal,
    "uniform": uniform,
    "zeros": zeros,
}


def get(name):
    """The initialiser called `name` (one of `INITIALIZERS`); a callable is returned as it is."""
    if callable(name):
        return name
    if not isinstance(name, str):
        raise TypeError(f"initializer must be a name (str) or a callable, got {type(name).__name__}")
    if name not in INITIALIZERS:
        raise ValueError(f"unknown initializer {name!r}; choose one of {', '.join(INITIALIZERS)}")
    return INITIALIZERS[name]
