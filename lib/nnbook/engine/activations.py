"""Activation functions and their derivatives, in NumPy, with their Keras twins.

Every function takes an array `z` of any shape (float32 stays float32, anything else becomes
float64) and returns an array of the same shape; `*_grad` returns the elementwise derivative
d f(z) / dz. `softmax` works along `axis` and has a Jacobian instead of an elementwise derivative.
All are finite for inputs as large as +-1e4 (sigmoid and softmax never exponentiate a positive).

`ACTIVATIONS` is the registry layers use: by name, the function `f`, its derivative `df`, the
backward pass `backward(z, a, da) -> dL/dz` (a vector-Jacobian product: `da * f'(z)` elementwise,
the Jacobian of softmax applied without forming it) and the name of the Keras twin.
"""

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import erfc

from .._checks import as_float_array, flag, number_in

LEAKY_SLOPE = 0.2  # keras.activations.leaky_relu's default negative_slope
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def identity(z):
    """f(z) = z."""
    return as_float_array(z, "z")


def identity_grad(z):
    """f'(z) = 1."""
    return np.ones_like(as_float_array(z))


def step(z):
    """Heaviside step: 1 where z >= 0, else 0 (the perceptron's activation)."""
    z = as_float_array(z)
    return (z >= 0).astype(z.dtype)


def step_grad(z):
    """0 everywhere (undefined at 0; taken as 0): why a step cannot be trained by gradients."""
    return np.zeros_like(as_float_array(z))


def sigmoid(z):
    """sigma(z) = 1 / (1 + e^-z), computed without overflow for either sign of z."""
    z = as_float_array(z)
    e = np.exp(-np.abs(z))  # always in (0, 1]
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype)


def sigmoid_grad(z):
    """sigma'(z) = sigma(z) (1 - sigma(z)) = e^-|z| / (1 + e^-|z|)^2; at most 1/4, at z = 0.

    The second form keeps full relative precision in the tails, where 1 - sigma(z) rounds to 0.
    """
    z = as_float_array(z)
    e = np.exp(-np.abs(z))  # always in (0, 1]
    return e / (1.0 + e) ** 2


def tanh(z):
    """tanh(z) = (e^z - e^-z) / (e^z + e^-z) = 2 sigma(2z) - 1."""
    return np.tanh(as_float_array(z))


def tanh_grad(z):
    """tanh'(z) = 1 - tanh(z)^2 = 4 e^-2|z| / (1 + e^-2|z|)^2; at most 1, at z = 0.

    The second form keeps full relative precision in the tails, where tanh(z)^2 rounds to 1.
    """
    z = as_float_array(z)
    e = np.exp(-2.0 * np.abs(z))  # always in (0, 1]
    return 4.0 * e / (1.0 + e) ** 2


def relu(z):
    """ReLU(z) = max(0, z)."""
    z = as_float_array(z)
    return np.maximum(z, 0).astype(z.dtype)


def relu_grad(z):
    """1 where z > 0, else 0 (the derivative at 0 is taken as 0, as TensorFlow does)."""
    z = as_float_array(z)
    return (z > 0).astype(z.dtype)


def leaky_relu(z, slope=LEAKY_SLOPE):
    """z where z >= 0, else slope * z."""
    z, slope = as_float_array(z), number_in(slope, "slope")
    return np.where(z >= 0, z, slope * z).astype(z.dtype)


def leaky_relu_grad(z, slope=LEAKY_SLOPE):
    """1 where z > 0, else slope."""
    z, slope = as_float_array(z), number_in(slope, "slope")
    return np.where(z > 0, 1.0, slope).astype(z.dtype)


def _sigmoid_and_grad(v):
    """sigma(v) and sigma'(v) for an already validated array `v` (no checks; v may be +-inf)."""
    e = np.exp(-np.abs(v))
    return np.where(v >= 0, 1.0 / (1.0 + e), e / (1.0 + e)), e / (1.0 + e) ** 2


def gelu(z, approximate=False):
    """GELU(z) = z * Phi(z), Phi the standard normal CDF (Hendrycks & Gimpel, 2016).

    Phi(z) = erfc(-z / sqrt 2) / 2, which keeps full relative precision for z << 0 (where
    1 + erf(z / sqrt 2) would cancel). `approximate=True` uses Keras's default tanh form
    0.5 z (1 + tanh(u)), u = sqrt(2/pi) (z + 0.044715 z^3), computed as z sigma(2u) (the same
    number, without the cancellation of 1 + tanh(u) for u << 0).
    """
    z, approximate = as_float_array(z), flag(approximate, "approximate")
    if approximate:
        u = _SQRT_2_OVER_PI * (z + 0.044715 * z**3)
        return (z * _sigmoid_and_grad(2.0 * u)[0]).astype(z.dtype)
    return (0.5 * z * erfc(-z / math.sqrt(2.0))).astype(z.dtype)


def gelu_grad(z, approximate=False):
    """d GELU / dz: Phi(z) + z phi(z) (exact), or the derivative of the tanh form."""
    z, approximate = as_float_array(z), flag(approximate, "approximate")
    if approximate:  # d/dz [z sigma(2u)] = sigma(2u) + 2 z sigma'(2u) du/dz
        u = _SQRT_2_OVER_PI * (z + 0.044715 * z**3)
        du = _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * z**2)
        s, ds = _sigmoid_and_grad(2.0 * u)
        return (s + 2.0 * z * ds * du).astype(z.dtype)
    cdf = 0.5 * erfc(-z / math.sqrt(2.0))
    pdf = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return (cdf + z * pdf).astype(z.dtype)


def softmax(z, axis=-1):
    """softmax(z)_i = e^{z_i - m} / sum_j e^{z_j - m}, with m = max_j z_j, along `axis`."""
    z = as_float_array(z)
    if z.ndim == 0:
        raise ValueError("softmax needs at least a 1-D array of scores, got a scalar")
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_jacobian(z):
    """Jacobian of softmax over the last axis: shape (..., k, k), J_ij = s_i (delta_ij - s_j)."""
    s = softmax(z, axis=-1)
    return s[..., :, None] * (np.eye(s.shape[-1], dtype=s.dtype) - s[..., None, :])


def softmax_backward(a, da):
    """dL/dz from da = dL/da for a = softmax(z) over the last axis: J^T da = a (da - sum_j da_j a_j),
    with J_ij = a_i (delta_ij - a_j), without forming the (k, k) Jacobian."""
    return a * (da - np.sum(da * a, axis=-1, keepdims=True))


@dataclass(frozen=True)
class ActivationFunction:
    """An activation `f`, its derivative `df` (None for softmax, which has a Jacobian), and the
    name/arguments of its Keras twin."""

    name: str
    f: callable
    df: callable
    keras_name: str
    keras_kwargs: dict = field(default_factory=dict)

    def backward(self, z, a, da):
        """dL/dz from da = dL/da, where a = f(z): da f'(z) elementwise; softmax's Jacobian product."""
        if self.name == LINEAR:
            return da
        if self.name == SOFTMAX:
            return softmax_backward(a, da)
        return da * self.df(z)

    def keras(self):
        """The Keras function computing the same thing (`keras.activations.<keras_name>`)."""
        import keras

        fn, kwargs = getattr(keras.activations, self.keras_name), dict(self.keras_kwargs)
        return lambda x: fn(x, **kwargs)

    def keras_argument(self):
        """What `keras.layers.Dense(activation=...)` needs to compute the same thing: the name,
        or the function where it takes arguments."""
        return self.keras() if self.keras_kwargs else self.keras_name


LINEAR, SOFTMAX = "linear", "softmax"

ACTIVATIONS = {
    LINEAR: ActivationFunction(LINEAR, identity, identity_grad, "linear"),
    "sigmoid": ActivationFunction("sigmoid", sigmoid, sigmoid_grad, "sigmoid"),
    "tanh": ActivationFunction("tanh", tanh, tanh_grad, "tanh"),
    "relu": ActivationFunction("relu", relu, relu_grad, "relu"),
    "leaky_relu": ActivationFunction("leaky_relu", leaky_relu, leaky_relu_grad, "leaky_relu",
                                     {"negative_slope": LEAKY_SLOPE}),
    "gelu": ActivationFunction("gelu", gelu, gelu_grad, "gelu", {"approximate": False}),
    SOFTMAX: ActivationFunction(SOFTMAX, softmax, None, "softmax"),
}


def names():
    """Every activation name a layer accepts."""
    return list(ACTIVATIONS)


def get(name):
    """The `ActivationFunction` called `name` (one of `ACTIVATIONS`; None means "linear")."""
    if name is None:
        name = LINEAR
    if isinstance(name, ActivationFunction):
        return name
    if not isinstance(name, str):
        raise TypeError(f"activation must be a name (str), got {type(name).__name__}")
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def from_keras(fn):
    """The name of the activation that Keras function `fn` computes, found by evaluating it (so a
    lambda or Keras's tanh-approximated gelu is recognised or refused by what it computes)."""
    z = np.linspace(-3.0, 3.0, 14).reshape(2, 7)
    got = np.asarray(fn(z), dtype=np.float64)
    for act in ACTIVATIONS.values():
        if got.shape == z.shape and np.allclose(got, act.f(z), rtol=1e-6, atol=1e-9):
            return act.name
    raise ValueError(f"the Keras activation {getattr(fn, '__name__', fn)!r} computes none of "
                     f"{', '.join(ACTIVATIONS)}")
