"""Core layers: `Dense`, `Activation`, `Flatten`, `Embedding`, each with its Keras twin.

Parameters are float64 unless the layer is built with `dtype="float32"`; `layer(x)` casts its
input to the layer's dtype (as Keras layers do). Activation names are those of
`nnbook.engine.activations` ("softmax" runs over the last axis).
"""

import math

import numpy as np

from ... import _checks
from .. import activations as _act
from .. import initializers
from .. import regularizers as _reg
from .base import Layer


def _same_activation(layer, keras_layer):
    theirs = _act.from_keras(keras_layer.activation)
    if theirs != layer.activation.name:
        raise ValueError(f"the Keras {type(keras_layer).__name__} computes {theirs!r}, "
                         f"this one {layer.activation.name!r}")


def _keras_regularizer(regularizer):
    return None if regularizer is None else regularizer.to_keras()


def _regularizers_from_keras(keras_layer):
    """{"kernel_regularizer": ..., "bias_regularizer": ...}, the nnbook twins of a Keras layer's
    penalties; a penalty on the layer's output (activity_regularizer) is refused."""
    if getattr(keras_layer, "activity_regularizer", None) is not None:
        raise ValueError(f"the Keras {type(keras_layer).__name__} {keras_layer.name!r} has an "
                         f"activity_regularizer, which nnbook layers do not have")
    return {name: _reg.from_keras(getattr(keras_layer, name))
            for name in ("kernel_regularizer", "bias_regularizer")}


def _same_regularizers(layer, keras_layer):
    for name, theirs in _regularizers_from_keras(keras_layer).items():
        if theirs != getattr(layer, name):
            raise ValueError(f"the Keras {type(keras_layer).__name__} has {name}={theirs!r}, "
                             f"this one {getattr(layer, name)!r}")


def _kernel_and_bias(layer, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer):
    """Set the initialisers and weight penalties of a layer with a kernel and a bias (Dense, Conv)."""
    layer.kernel_initializer = initializers.get(kernel_initializer)
    layer.bias_initializer = initializers.get(bias_initializer)
    layer.kernel_regularizer = _reg.get(kernel_regularizer)
    layer.bias_regularizer = _reg.get(bias_regularizer)
    layer.regularizers = {k: r for k, r in [("kernel", layer.kernel_regularizer),
                                            ("bias", layer.bias_regularizer)] if r is not None}


class Dense(Layer):
    """a = f(z), z = x W + b over the last axis. x: (n, ..., d_in) -> a: (n, ..., units);
    W = params["kernel"]: (d_in, units), b = params["bias"]: (units,). `kernel_regularizer`,
    `bias_regularizer`: weight penalties on W and b (None, a name or an L1/L2/L1L2), which
    `Sequential` adds to the loss; forward and backward do not see them."""

    keras_class = "Dense"

    def __init__(self, units, activation=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 trainable=True):
        super().__init__(trainable)
        self.units = _checks.positive_int(units, "units")
        self.activation = _act.get(activation)
        _kernel_and_bias(self, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer)
        self.x = self.z = self.a = None

    def __repr__(self):
        return f"Dense({self.units}, activation={self.activation.name!r})"

    def init_params(self, input_shape, rng):
        d_in = input_shape[-1]
        if d_in is None:
            raise ValueError("Dense needs a known last input dimension, got None")
        return {"kernel": self.kernel_initializer((d_in, self.units), rng),
                "bias": self.bias_initializer((self.units,), rng)}

    def output_shape(self, input_shape):
        return (*_checks.shape(input_shape)[:-1], self.units)

    def forward(self, x, training=False):
        """x: (n, ..., d_in) -> a: (n, ..., units). Keeps x, z = x W + b and a = f(z)."""
        self.x = x
        self.z = x @ self.params["kernel"] + self.params["bias"]
        self.a = self.activation.f(self.z)
        return self.a

    def backward(self, da):
        """da = dL/da: (n, ..., units) -> dL/dx: (n, ..., d_in).
        dz = dL/dz, grads: dL/dW = x^T dz (summed over the batch), dL/db = sum of dz."""
        dz = self.activation.backward(self.z, self.a, da)
        x2, dz2 = self.x.reshape(-1, self.x.shape[-1]), dz.reshape(-1, self.units)
        self.grads["kernel"] = x2.T @ dz2
        self.grads["bias"] = dz2.sum(axis=0)
        return dz @ self.params["kernel"].T

    def keras_layer(self):
        import keras

        return keras.layers.Dense(self.units, activation=self.activation.keras_argument(),
                                  kernel_regularizer=_keras_regularizer(self.kernel_regularizer),
                                  bias_regularizer=_keras_regularizer(self.bias_regularizer),
                                  dtype=self.dtype.name)

    def check_keras_config(self, keras_layer):
        if keras_layer.units != self.units:
            raise ValueError(f"the Keras Dense has {keras_layer.units} units, this one {self.units}")
        _same_activation(self, keras_layer)
        _same_regularizers(self, keras_layer)

    @classmethod
    def from_keras(cls, keras_layer):
        return cls(keras_layer.units, activation=_act.from_keras(keras_layer.activation),
                   **_regularizers_from_keras(keras_layer), trainable=keras_layer.trainable)


class Activation(Layer):
    """a = f(z) elementwise (softmax: over the last axis). z: (n, ...) -> a: same shape."""

    keras_class = "Activation"

    def __init__(self, name):
        super().__init__()
        if name is None:
            raise TypeError(f"Activation needs a name, one of {', '.join(_act.names())}")
        self.activation = _act.get(name)
        self.z = self.a = None

    def __repr__(self):
        return f"Activation({self.activation.name!r})"

    def forward(self, z, training=False):
        """z: (n, ...) -> a = f(z), same shape. Keeps z and a."""
        self.z = z
        self.a = self.activation.f(z)
        return self.a

    def backward(self, da):
        """da = dL/da -> dL/dz, same shape: da * f'(z) (softmax: the Jacobian-vector product)."""
        return self.activation.backward(self.z, self.a, da)

    def keras_layer(self):
        import keras

        return keras.layers.Activation(self.activation.keras_argument(), dtype=self.dtype.name)

    def check_keras_config(self, keras_layer):
        _same_activation(self, keras_layer)

    @classmethod
    def from_keras(cls, keras_layer):
        return cls(_act.from_keras(keras_layer.activation))


class Flatten(Layer):
    """x: (n, d_1, ..., d_k) -> (n, d_1 ... d_k), in C order as Keras's channels-last Flatten."""

    keras_class = "Flatten"

    def __repr__(self):
        return "Flatten()"

    def output_shape(self, input_shape):
        shape = _checks.shape(input_shape)
        return (None,) if None in shape else (math.prod(shape),)

    def forward(self, x, training=False):
        self.x_shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, dy):
        return dy.reshape(self.x_shape)

    def keras_layer(self):
        import keras

        return keras.layers.Flatten(dtype=self.dtype.name)

    @classmethod
    def from_keras(cls, keras_layer):
        return cls()


class Embedding(Layer):
    """A lookup table: token ids (n, *input_shape), integers in [0, input_dim), -> their rows of
    E = params["embeddings"]: (input_dim, output_dim), giving (n, *input_shape, output_dim).
    The ids have no gradient (`backward` returns None); dL/dE adds each output's gradient into
    the row it was read from (np.add.at: an id seen twice gets both)."""

    keras_class = "Embedding"

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", trainable=True):
        super().__init__(trainable)
        self.input_dim = _checks.positive_int(input_dim, "input_dim")
        self.output_dim = _checks.positive_int(output_dim, "output_dim")
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.ids = None

    def __repr__(self):
        return f"Embedding({self.input_dim}, {self.output_dim})"

    def init_params(self, input_shape, rng):
        return {"embeddings": self.embeddings_initializer((self.input_dim, self.output_dim), rng)}

    def output_shape(self, input_shape):
        return (*_checks.shape(input_shape), self.output_dim)

    def check_input(self, x, name="x"):
        """`x` as an integer array of ids in [0, input_dim), shape (n, *input_shape); floats
        holding whole numbers are taken too (a float64 batch from `Sequential`'s callers)."""
        arr = _checks.as_float_array(x, name)
        ids = _checks.batch(arr, self.input_shape, arr.dtype, name).astype(np.intp)
        if np.any(ids != arr) or ids.min() < 0 or ids.max() >= self.input_dim:
            raise ValueError(f"{name} must hold integer token ids in [0, {self.input_dim}), got values "
                             f"from {arr.min():g} to {arr.max():g}"
                             + ("" if np.all(ids == arr) else " that are not all whole numbers"))
        return ids

    def forward(self, ids, training=False):
        """ids: (n, ...) integers -> E[ids]: (n, ..., output_dim)."""
        self.ids = ids
        return self.params["embeddings"][ids]

    def backward(self, dy):
        """dy: (n, ..., output_dim) -> None (ids have no gradient); dL/dE[k] = the sum of dy over
        the positions holding id k."""
        dE = np.zeros_like(self.params["embeddings"])
        np.add.at(dE, self.ids, dy)
        self.grads["embeddings"] = dE
        return None

    def keras_layer(self):
        import keras

        return keras.layers.Embedding(self.input_dim, self.output_dim, dtype=self.dtype.name)

    def check_keras_config(self, keras_layer):
        got = (keras_layer.input_dim, keras_layer.output_dim)
        if got != (self.input_dim, self.output_dim):
            raise ValueError(f"the Keras Embedding maps {got[0]} ids to {got[1]} numbers, this one "
                             f"{self.input_dim} to {self.output_dim}")
        if keras_layer.mask_zero:
            raise ValueError("the Keras Embedding has mask_zero=True: nnbook layers take no masks")

    @classmethod
    def from_keras(cls, keras_layer):
        obj = cls(keras_layer.input_dim, keras_layer.output_dim, trainable=keras_layer.trainable)
        obj.check_keras_config(keras_layer)
        return obj
