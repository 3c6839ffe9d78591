"""Activation functions and their derivatives, in NumPy, with their Keras twins.

Every function takes an array `z` of any shape (float32 stays float32, anything else becomes
float64) and returns an array of the same shape; `*_grad` returns the elementwise derivative
d f(z) / dz. `softmax` works along `axis` and has a Jacobian instead of an elementwise derivative.
All are finite for inputs as large as +-1e4 (sigmoid and softmax never exponentiate a positive).
"""

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import erf

LEAKY_SLOPE = 0.2  # keras.activations.leaky_relu's default negative_slope
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def as_float_array(z, name="z"):
    """`z` as a float array (float32 kept, else float64); rejects non-numeric or non-finite input."""
    arr = np.asarray(z)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got an array of dtype {arr.dtype}")
    arr = arr.astype(np.float32 if arr.dtype == np.float32 else np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {int(np.sum(~np.isfinite(arr)))} NaN/inf entries")
    return arr


def identity(z):
    """f(z) = z."""
    return as_float_array(z).copy()


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
    """sigma'(z) = sigma(z) (1 - sigma(z)); at most 1/4, at z = 0."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z):
    """tanh(z) = (e^z - e^-z) / (e^z + e^-z) = 2 sigma(2z) - 1."""
    return np.tanh(as_float_array(z))


def tanh_grad(z):
    """tanh'(z) = 1 - tanh(z)^2; at most 1, at z = 0."""
    t = tanh(z)
    return 1.0 - t * t


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
    z = as_float_array(z)
    return np.where(z >= 0, z, slope * z).astype(z.dtype)


def leaky_relu_grad(z, slope=LEAKY_SLOPE):
    """1 where z > 0, else slope."""
    z = as_float_array(z)
    return np.where(z > 0, 1.0, slope).astype(z.dtype)


def gelu(z, approximate=False):
    """GELU(z) = z * Phi(z), Phi the standard normal CDF (Hendrycks & Gimpel, 2016).

    `approximate=True` uses 0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3))), Keras's default.
    """
    z = as_float_array(z)
    if approximate:
        u = _SQRT_2_OVER_PI * (z + 0.044715 * z**3)
        return (0.5 * z * (1.0 + np.tanh(u))).astype(z.dtype)
    return (0.5 * z * (1.0 + erf(z / math.sqrt(2.0)))).astype(z.dtype)


def gelu_grad(z, approximate=False):
    """d GELU / dz: Phi(z) + z phi(z) (exact), or the derivative of the tanh form."""
    z = as_float_array(z)
    if approximate:
        u = _SQRT_2_OVER_PI * (z + 0.044715 * z**3)
        t = np.tanh(u)
        du = _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * z**2)
        return (0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * du).astype(z.dtype)
    cdf = 0.5 * (1.0 + erf(z / math.sqrt(2.0)))
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


@dataclass(frozen=True)
class Activation:
    """An activation `f`, its derivative `df`, and the name/arguments of its Keras twin."""

    name: str
    f: callable
    df: callable
    keras_name: str
    keras_kwargs: dict = field(default_factory=dict)

    def keras(self):
        """The Keras function computing the same thing (`keras.activations.<keras_name>`)."""
        import keras

        fn = getattr(keras.activations, self.keras_name)
        kwargs = dict(self.keras_kwargs)
        return lambda x: fn(x, **kwargs)


ACTIVATIONS = {
    "linear": Activation("linear", identity, identity_grad, "linear"),
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_grad, "sigmoid"),
    "tanh": Activation("tanh", tanh, tanh_grad, "tanh"),
    "relu": Activation("relu", relu, relu_grad, "relu"),
    "leaky_relu": Activation("leaky_relu", leaky_relu, leaky_relu_grad, "leaky_relu",
                             {"negative_slope": LEAKY_SLOPE}),
    "gelu": Activation("gelu", gelu, gelu_grad, "gelu", {"approximate": False}),
}


def get(name):
    """The `Activation` called `name` (one of `ACTIVATIONS`)."""
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str):
        raise TypeError(f"activation must be a name (str), got {type(name).__name__}")
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]
