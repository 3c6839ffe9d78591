"""Normalisation layers: `BatchNormalization` (Ioffe & Szegedy, 2015) and `LayerNormalization`
(Ba, Kiros & Hinton, 2016), with their Keras twins.

Batch normalisation, per channel c (the entries of `axis`), over every other axis (the batch
and, for images, height and width):

    x_hat = (x - mean) / sqrt(var + epsilon),    y = gamma * x_hat + beta

In training, `mean` and `var` are the batch's own (the biased variance, divided by the count),
and each step moves the running estimates towards them:

    moving_mean     = moving_mean * momentum     + mean * (1 - momentum)
    moving_variance = moving_variance * momentum + var  * (1 - momentum)

In inference, and always when the layer is frozen (`trainable=False`, as in Keras 3), `mean`
and `var` are `moving_mean` and `moving_variance`, which then do not change: y is an affine map
of x. Parameters as Keras names them: `gamma` (ones) and `beta` (zeros) are trainable, dropped by
`scale=False` / `center=False`; `moving_mean` (zeros) and `moving_variance` (ones) are `state`.

Layer normalisation uses the same x_hat and y, but with each example's own mean and variance
over the feature axes (`axis`), in training and inference alike: no moving statistics.
"""

from numbers import Integral

import numpy as np

from ... import _checks
from .base import Layer


class BatchNormalization(Layer):
    """y = gamma * (x - mean) / sqrt(var + epsilon) + beta, per channel of `axis`.
    x: (n, ..., c) -> y: same shape (`axis=-1`); gamma, beta, moving_mean, moving_variance: (c,)."""

    keras_class = "BatchNormalization"

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, trainable=True):
        super().__init__(trainable)
        if _checks.is_bool(axis) or not isinstance(axis, Integral) or axis == 0:
            raise ValueError(f"axis must be a nonzero integer (the channel axis; 0 is the batch axis), "
                             f"got {_checks.describe(axis)}")
        self.axis = int(axis)
        self.momentum = _checks.number_in(momentum, "momentum", 0, 1)
        self.epsilon = _checks.number_in(epsilon, "epsilon", 0, low_open=True)
        self.center = _checks.flag(center, "center")
        self.scale = _checks.flag(scale, "scale")
        self.x_hat = self.inv_std = None
        self.batch_stats = False

    def __repr__(self):
        return f"BatchNormalization(axis={self.axis}, momentum={self.momentum}, epsilon={self.epsilon})"

    def channels(self, input_shape):
        """The number of channels c = input_shape[axis] (input_shape without the batch axis)."""
        ndim = len(input_shape) + 1
        if not -ndim < self.axis < ndim:
            raise ValueError(f"axis {self.axis} is out of range for inputs (n, *{input_shape})")
        c = (None, *input_shape)[self.axis]
        if c is None:
            raise ValueError(f"BatchNormalization needs a known size on axis {self.axis}, got None")
        return c

    def init_params(self, input_shape, rng):
        c = self.channels(input_shape)
        return {**({"gamma": np.ones(c)} if self.scale else {}),
                **({"beta": np.zeros(c)} if self.center else {})}

    def init_state(self, input_shape):
        c = self.channels(input_shape)
        return {"moving_mean": np.zeros(c), "moving_variance": np.ones(c)}

    def forward(self, x, training=False):
        """x -> y, same shape. In training (and not frozen): normalise with the batch's mean and
        variance and update the moving statistics; otherwise use the moving statistics.
        Keeps x_hat and 1 / sqrt(var + epsilon) for backward."""
        x = np.moveaxis(x, self.axis, -1)  # channels last: (..., c)
        self.batch_stats = training and self.trainable
        if self.batch_stats:
            over = tuple(range(x.ndim - 1))  # every axis but the channels
            mean, var = x.mean(axis=over), x.var(axis=over)
            m = self.momentum
            self.state["moving_mean"][...] = self.state["moving_mean"] * m + mean * (1 - m)
            self.state["moving_variance"][...] = self.state["moving_variance"] * m + var * (1 - m)
        else:
            mean, var = self.state["moving_mean"], self.state["moving_variance"]
        self.inv_std = 1 / np.sqrt(var + self.epsilon)
        self.x_hat = (x - mean) * self.inv_std
        y = self.x_hat * self.params.get("gamma", 1) + self.params.get("beta", 0)
        return np.moveaxis(y, -1, self.axis)

    def backward(self, dy):
        """dy = dL/dy -> dL/dx, same shape; grads dL/dgamma = sum(dy * x_hat), dL/dbeta = sum(dy).
        Batch statistics: dx = (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)) / sqrt(var + eps)
        with dx_hat = gamma * dy and the means over the batch (mean and var depend on x too).
        Moving statistics: dx = dx_hat / sqrt(var + eps), an affine map's gradient."""
        dy = np.moveaxis(dy, self.axis, -1)
        over = tuple(range(dy.ndim - 1))
        if self.scale:
            self.grads["gamma"] = np.sum(dy * self.x_hat, axis=over)
        if self.center:
            self.grads["beta"] = np.sum(dy, axis=over)
        dx_hat = dy * self.params.get("gamma", 1)
        if self.batch_stats:
            dx_hat = (dx_hat - dx_hat.mean(axis=over)
                      - self.x_hat * np.mean(dx_hat * self.x_hat, axis=over))
        return np.moveaxis(dx_hat * self.inv_std, -1, self.axis)

    # --- the Keras twin ---------------------------------------------------------------------------

    def keras_layer(self):
        import keras

        return keras.layers.BatchNormalization(axis=self.axis, momentum=self.momentum,
                                               epsilon=self.epsilon, center=self.center,
                                               scale=self.scale, dtype=self.dtype.name)

    def check_keras_config(self, keras_layer):
        theirs = {k: getattr(keras_layer, k) for k in ("axis", "momentum", "epsilon", "center", "scale")}
        ours = {k: getattr(self, k) for k in theirs}
        ndim = len(self.input_shape) + 1  # compare axes as positions: -1 and 3 of (n, h, w, c) agree
        theirs["axis"], ours["axis"] = theirs["axis"] % ndim, ours["axis"] % ndim
        _check_same_config(keras_layer, theirs, ours)

    @classmethod
    def from_keras(cls, keras_layer):
        _check_supported(keras_layer)
        return cls(axis=keras_layer.axis, momentum=keras_layer.momentum, epsilon=keras_layer.epsilon,
                   center=keras_layer.center, scale=keras_layer.scale, trainable=keras_layer.trainable)


class LayerNormalization(Layer):
    """y = gamma * (x - mean) / sqrt(var + epsilon) + beta, the mean and (biased) variance of each
    example over the axes `axis` (an int or a tuple of ints; not the batch axis 0).
    x: (n, ..., d) -> y: same shape (`axis=-1`); gamma, beta: the sizes of x on `axis`, e.g. (d,)."""

    keras_class = "LayerNormalization"

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, trainable=True):
        super().__init__(trainable)
        axes = axis if isinstance(axis, (tuple, list)) else (axis,)
        if not axes or any(_checks.is_bool(a) or not isinstance(a, Integral) or a == 0 for a in axes):
            raise ValueError(f"axis must be a nonzero integer or a tuple of them (0 is the batch axis), "
                             f"got {_checks.describe(axis)}")
        self.axis = int(axis) if isinstance(axis, Integral) else tuple(int(a) for a in axis)
        self.epsilon = _checks.number_in(epsilon, "epsilon", 0, low_open=True)
        self.center = _checks.flag(center, "center")
        self.scale = _checks.flag(scale, "scale")
        self.axes = self.broadcast = None  # set at build: sorted positions, gamma's broadcast shape
        self.x_hat = self.inv_std = None

    def __repr__(self):
        return f"LayerNormalization(axis={self.axis}, epsilon={self.epsilon})"

    def _axes(self, input_shape):
        """The normalised axes of x as sorted positions in (n, *input_shape)."""
        ndim = len(input_shape) + 1
        axes = self.axis if isinstance(self.axis, tuple) else (self.axis,)
        if not all(-ndim < a < ndim for a in axes):
            raise ValueError(f"axis {self.axis} is out of range for inputs (n, *{input_shape})")
        axes = tuple(sorted({a % ndim for a in axes}))
        if any((None, *input_shape)[a] is None for a in axes):
            raise ValueError(f"LayerNormalization needs known sizes on axis {self.axis}, got {input_shape}")
        return axes

    def init_params(self, input_shape, rng):
        self.axes = self._axes(input_shape)
        shape = tuple((None, *input_shape)[a] for a in self.axes)
        # gamma and beta broadcast against x: (1, ..., d, ..., 1), d on the normalised axes
        self.broadcast = tuple(s if i in self.axes else 1 for i, s in enumerate((1, *input_shape)))
        return {**({"gamma": np.ones(shape)} if self.scale else {}),
                **({"beta": np.zeros(shape)} if self.center else {})}

    def forward(self, x, training=False):
        """x -> y, same shape, the statistics of each example over `self.axes`.
        Keeps x_hat and 1 / sqrt(var + epsilon) for backward."""
        mean = x.mean(axis=self.axes, keepdims=True)
        var = x.var(axis=self.axes, keepdims=True)
        self.inv_std = 1 / np.sqrt(var + self.epsilon)
        self.x_hat = (x - mean) * self.inv_std
        gamma = self.params["gamma"].reshape(self.broadcast) if self.scale else 1
        beta = self.params["beta"].reshape(self.broadcast) if self.center else 0
        return self.x_hat * gamma + beta

    def backward(self, dy):
        """dy = dL/dy -> dL/dx, same shape; grads dL/dgamma = sum(dy * x_hat), dL/dbeta = sum(dy)
        over the other axes. dx = (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)) / sqrt(var + eps)
        with dx_hat = gamma * dy and the means over each example's normalised axes."""
        others = tuple(i for i in range(dy.ndim) if i not in self.axes)
        if self.scale:
            self.grads["gamma"] = np.sum(dy * self.x_hat, axis=others).reshape(self.params["gamma"].shape)
        if self.center:
            self.grads["beta"] = np.sum(dy, axis=others).reshape(self.params["beta"].shape)
        dx_hat = dy * (self.params["gamma"].reshape(self.broadcast) if self.scale else 1)
        dx_hat = (dx_hat - dx_hat.mean(axis=self.axes, keepdims=True)
                  - self.x_hat * np.mean(dx_hat * self.x_hat, axis=self.axes, keepdims=True))
        return dx_hat * self.inv_std

    # --- the Keras twin ---------------------------------------------------------------------------

    def keras_layer(self):
        import keras

        axis = list(self.axis) if isinstance(self.axis, tuple) else self.axis
        return keras.layers.LayerNormalization(axis=axis, epsilon=self.epsilon, center=self.center,
                                               scale=self.scale, dtype=self.dtype.name)

    def check_keras_config(self, keras_layer):
        ndim, names = len(self.input_shape) + 1, ("epsilon", "center", "scale")
        theirs = {"axis": tuple(sorted({int(a) % ndim for a in np.ravel(keras_layer.axis)})),
                  **{k: getattr(keras_layer, k) for k in names}}
        ours = {"axis": self.axes, **{k: getattr(self, k) for k in names}}
        _check_same_config(keras_layer, theirs, ours)

    @classmethod
    def from_keras(cls, keras_layer):
        _check_supported(keras_layer)
        axes = [int(a) for a in np.ravel(keras_layer.axis)]  # an int, or a list once built
        axis = tuple(axes) if len(axes) > 1 else axes[0]
        return cls(axis=axis, epsilon=keras_layer.epsilon, center=keras_layer.center,
                   scale=keras_layer.scale, trainable=keras_layer.trainable)


def _check_same_config(keras_layer, theirs, ours):
    """ValueError naming every setting in which the Keras layer (`theirs`) differs from ours, or
    anything it uses that this engine does not compute."""
    differ = [k for k in theirs if theirs[k] != ours[k]]
    if differ:
        raise ValueError(f"the Keras {type(keras_layer).__name__} has "
                         f"{', '.join(f'{k}={theirs[k]}' for k in differ)}, this one "
                         f"{', '.join(f'{k}={ours[k]}' for k in differ)}")
    _check_supported(keras_layer)


def _check_supported(keras_layer):
    """ValueError if the Keras layer uses what this engine does not compute: batch renormalisation,
    synchronised statistics, RMS scaling, weight regularisers or constraints."""
    unsupported = [name for name in ("renorm", "synchronized", "rms_scaling")
                   if getattr(keras_layer, name, False)]
    unsupported += [name for name in ("beta_regularizer", "gamma_regularizer", "beta_constraint",
                                      "gamma_constraint") if getattr(keras_layer, name, None) is not None]
    if unsupported:
        raise ValueError(f"nnbook's {type(keras_layer).__name__} does not implement {', '.join(unsupported)} "
                         f"(the Keras layer sets them); use their defaults")
