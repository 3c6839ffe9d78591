"""Layers of the NumPy engine, each with its Keras twin.

A layer maps a batch-first array `x: (n, *input_shape)` to `y: (n, *output_shape(input_shape))`.
Its life: `build(input_shape, rng)` creates `params` (arrays by name, e.g. "kernel", "bias");
`forward(x, training)` computes `y` and keeps on `self` what the backward pass needs;
`backward(dy)` takes dL/dy, fills `grads` (same names and shapes as `params`) and returns dL/dx.
`to_keras()` gives the equivalent built Keras layer holding the same weights; `set_from_keras`
copies a Keras layer's weights in (matched by the Keras variable names).

Parameters are float64 unless the layer is built with `dtype="float32"`; inputs are cast to the
layer's dtype (as Keras layers do). Activation names are those of `nnbook.activations`, plus
"softmax" (over the last axis).
"""

import numpy as np

from . import activations as _act
from . import initializers
from .activations import SOFTMAX, keras_activation
from .activations import names as activation_names

LINEAR = "linear"


def _check_activation(name):
    """`name` as an activation name ("linear" for None); raises on unknown names."""
    if name is None:
        return LINEAR
    if isinstance(name, str) and name not in activation_names():
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(activation_names())}")
    return name if name == SOFTMAX else _act.get(name).name


def activation_forward(name, z):
    """a = f(z) for activation `name`; softmax over the last axis; "linear" returns z itself."""
    if name == LINEAR:
        return z
    if name == SOFTMAX:
        return _act.softmax(z, axis=-1)
    return _act.get(name).f(z)


def activation_backward(name, z, a, da):
    """dL/dz from da = dL/da: da * f'(z) elementwise; for softmax the Jacobian-vector product
    J^T da = a * (da - sum_j da_j a_j), J_ij = a_i (delta_ij - a_j), without forming the (k, k) J."""
    if name == LINEAR:
        return da
    if name == SOFTMAX:
        return a * (da - np.sum(da * a, axis=-1, keepdims=True))
    return da * _act.get(name).df(z)


def activation_from_keras(fn):
    """The name of the activation that Keras function `fn` computes, found by evaluating it (so a
    lambda or Keras's tanh-approximated gelu is recognised or refused by what it computes)."""
    z = np.linspace(-3.0, 3.0, 14).reshape(2, 7)
    got = np.asarray(fn(z), dtype=np.float64)
    for name in activation_names():
        if got.shape == z.shape and np.allclose(got, activation_forward(name, z), rtol=1e-6, atol=1e-9):
            return name
    raise ValueError(
        f"the Keras activation {getattr(fn, '__name__', fn)!r} computes none of "
        f"{', '.join(activation_names())}"
    )


def _check_input_shape(input_shape):
    """`input_shape` (without the batch axis) as a tuple of positive ints (None: any size)."""
    if isinstance(input_shape, (int, np.integer)) and not isinstance(input_shape, bool):
        input_shape = (input_shape,)
    if not isinstance(input_shape, (tuple, list)) or not input_shape or not all(
        s is None or (isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1)
        for s in input_shape
    ):
        raise ValueError(
            f"input_shape must be a non-empty tuple of positive integers (no batch axis), "
            f"got {input_shape!r}"
        )
    return tuple(None if s is None else int(s) for s in input_shape)


def as_batch(x, input_shape, dtype, name="x"):
    """`x` as a finite array of `dtype` and shape (n, *input_shape), n >= 1 (None: any size)."""
    x = _act.as_float_array(x, name).astype(dtype, copy=False)
    if x.ndim != len(input_shape) + 1 or x.shape[0] == 0 or any(
        w is not None and w != g for w, g in zip(input_shape, x.shape[1:])
    ):
        want = ", ".join("any" if s is None else str(s) for s in input_shape)
        raise ValueError(f"{name} must have shape (n, {want}) with n >= 1, got {x.shape}")
    return x


def _check_same_activation(layer, keras_layer):
    theirs = activation_from_keras(keras_layer.activation)
    if theirs != layer.activation:
        raise ValueError(
            f"the Keras {type(keras_layer).__name__} computes {theirs!r}, this one {layer.activation!r}")


class Layer:
    """Base class: no parameters, output shape = input shape. Subclasses set `keras_class`
    (the name of the twin in `keras.layers`) and override `init_params`, `output_shape`,
    `forward`, `backward`, `keras_layer` and `from_keras` as they need."""

    keras_class = None

    def __init__(self):
        self.params, self.grads = {}, {}
        self.built = False
        self.input_shape = None
        self.dtype = np.dtype(np.float64)

    def build(self, input_shape, rng=None, dtype="float64"):
        """Create the parameters for inputs (n, *input_shape), drawing them from `rng`."""
        self.input_shape = _check_input_shape(input_shape)
        self.dtype = initializers.check_dtype(dtype)
        params = self.init_params(self.input_shape, rng)
        self.params = {k: np.asarray(v, dtype=self.dtype) for k, v in params.items()}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.built = True
        return self

    def init_params(self, input_shape, rng):
        """A dict of freshly initialised parameter arrays (none in the base class)."""
        return {}

    def output_shape(self, input_shape):
        """The shape of y (without the batch axis) for inputs of `input_shape`."""
        return _check_input_shape(input_shape)

    def forward(self, x, training=False):
        """y = layer(x); keeps what `backward` needs."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    def backward(self, dy):
        """dL/dx from dy = dL/dy; fills `grads`."""
        raise NotImplementedError(f"{type(self).__name__} does not define backward")

    def _check_built(self, what):
        if not self.built:
            raise RuntimeError(
                f"{type(self).__name__} is not built: call build(input_shape, rng) before {what}"
            )

    def _check_input(self, x):
        """`x` as a finite array of the layer's dtype with shape (n, *input_shape)."""
        self._check_built("forward")
        return as_batch(x, self.input_shape, self.dtype, f"{type(self).__name__} input x")

    def _check_grad(self, dy, y):
        """`dy` as a finite array of the layer's dtype with the shape of the last output `y`."""
        if y is None:
            raise RuntimeError(f"{type(self).__name__}: call forward before backward")
        dy = _act.as_float_array(dy, f"{type(self).__name__} gradient dy").astype(
            self.dtype, copy=False)
        if dy.shape != y.shape:
            raise ValueError(
                f"{type(self).__name__}.backward expects dy with the shape of the last output "
                f"{y.shape}, got {dy.shape}"
            )
        return dy

    def keras_layer(self):
        """The unbuilt Keras twin of this layer."""
        raise NotImplementedError(f"{type(self).__name__} has no Keras twin")

    def to_keras(self):
        """The equivalent built Keras layer, holding copies of `params`."""
        self._check_built("to_keras")
        layer = self.keras_layer()
        layer.build((None, *self.input_shape))
        for v in layer.weights:
            v.assign(self.params[v.name])
        return layer

    def set_from_keras(self, keras_layer):
        """Copy the weights of `keras_layer` (a built twin of the same shape) into `params`."""
        self._check_built("set_from_keras")
        if type(keras_layer).__name__ != self.keras_class:
            raise TypeError(
                f"{type(self).__name__} takes weights from a keras.layers.{self.keras_class}, "
                f"got {type(keras_layer).__name__}"
            )
        if not keras_layer.built:
            raise ValueError(f"the Keras layer {keras_layer.name!r} is not built: it has no weights yet")
        self.check_keras_config(keras_layer)
        weights = {v.name: np.asarray(v) for v in keras_layer.weights}
        if set(weights) != set(self.params):
            raise ValueError(
                f"the Keras layer has weights {sorted(weights)}, {type(self).__name__} has "
                f"{sorted(self.params)}"
            )
        for k, w in weights.items():
            if w.shape != self.params[k].shape:
                raise ValueError(
                    f"Keras weight {k!r} has shape {w.shape}, {type(self).__name__} expects "
                    f"{self.params[k].shape}"
                )
            self.params[k][...] = w
        return self

    def check_keras_config(self, keras_layer):
        """Raise ValueError if `keras_layer` computes something else (checked by subclasses)."""

    @classmethod
    def from_keras(cls, keras_layer):
        """An unbuilt layer configured like `keras_layer`."""
        raise NotImplementedError(f"{cls.__name__} cannot be made from a Keras layer")


class Dense(Layer):
    """a = f(z), z = x W + b over the last axis. x: (n, ..., d_in) -> a: (n, ..., units);
    W = params["kernel"]: (d_in, units), b = params["bias"]: (units,)."""

    keras_class = "Dense"

    def __init__(self, units, activation=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros"):
        super().__init__()
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units < 1:
            raise ValueError(f"units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = _check_activation(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.x = self.z = self.a = None

    def __repr__(self):
        return f"Dense({self.units}, activation={self.activation!r})"

    def init_params(self, input_shape, rng):
        d_in = input_shape[-1]
        if d_in is None:
            raise ValueError("Dense needs a known last input dimension, got None")
        return {"kernel": self.kernel_initializer((d_in, self.units), rng),
                "bias": self.bias_initializer((self.units,), rng)}

    def output_shape(self, input_shape):
        return (*_check_input_shape(input_shape)[:-1], self.units)

    def forward(self, x, training=False):
        """x: (n, ..., d_in) -> a: (n, ..., units). Keeps x, z = x W + b and a = f(z)."""
        self.x = self._check_input(x)
        self.z = self.x @ self.params["kernel"] + self.params["bias"]
        self.a = activation_forward(self.activation, self.z)
        return self.a

    def backward(self, da):
        """da = dL/da: (n, ..., units) -> dL/dx: (n, ..., d_in).
        dz = dL/dz, grads: dL/dW = x^T dz (summed over the batch), dL/db = sum of dz."""
        da = self._check_grad(da, self.a)
        dz = activation_backward(self.activation, self.z, self.a, da)
        x2, dz2 = self.x.reshape(-1, self.x.shape[-1]), dz.reshape(-1, self.units)
        self.grads["kernel"] = x2.T @ dz2
        self.grads["bias"] = dz2.sum(axis=0)
        return dz @ self.params["kernel"].T

    def keras_layer(self):
        import keras

        return keras.layers.Dense(self.units, activation=keras_activation(self.activation),
                                  dtype=self.dtype.name)

    def check_keras_config(self, keras_layer):
        if keras_layer.units != self.units:
            raise ValueError(f"the Keras Dense has {keras_layer.units} units, this one {self.units}")
        _check_same_activation(self, keras_layer)

    @classmethod
    def from_keras(cls, keras_layer):
        return cls(keras_layer.units, activation=activation_from_keras(keras_layer.activation))


class Activation(Layer):
    """a = f(z) elementwise (softmax: over the last axis). z: (n, ...) -> a: same shape."""

    keras_class = "Activation"

    def __init__(self, name):
        super().__init__()
        if name is None:
            raise TypeError(f"Activation needs a name, one of {', '.join(activation_names())}")
        self.activation = _check_activation(name)
        self.z = self.a = None

    def __repr__(self):
        return f"Activation({self.activation!r})"

    def forward(self, z, training=False):
        """z: (n, ...) -> a = f(z), same shape. Keeps z and a."""
        self.z = self._check_input(z)
        self.a = activation_forward(self.activation, self.z)
        return self.a

    def backward(self, da):
        """da = dL/da -> dL/dz, same shape: da * f'(z) (softmax: the Jacobian-vector product)."""
        da = self._check_grad(da, self.a)
        return activation_backward(self.activation, self.z, self.a, da)

    def keras_layer(self):
        import keras

        return keras.layers.Activation(keras_activation(self.activation), dtype=self.dtype.name)

    def check_keras_config(self, keras_layer):
        _check_same_activation(self, keras_layer)

    @classmethod
    def from_keras(cls, keras_layer):
        return cls(activation_from_keras(keras_layer.activation))


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def from_keras(keras_layer):
    """The unbuilt nnbook layer configured like `keras_layer` (any `Layer` subclass whose
    `keras_class` names its type; build it, then `set_from_keras` to copy the weights)."""
    kinds = {sub.keras_class: sub for sub in _subclasses(Layer) if sub.keras_class}
    kind = type(keras_layer).__name__
    if kind not in kinds:
        raise ValueError(f"no nnbook layer for keras.layers.{kind}; known: {', '.join(sorted(kinds))}")
    return kinds[kind].from_keras(keras_layer)
