"""Pooling layers, channels last, with their Keras twins: `MaxPooling2D`, `AveragePooling2D`,
`GlobalAveragePooling2D`, and the 1-D ones for sequences, `MaxPooling1D`, `AveragePooling1D`,
`GlobalAveragePooling1D`. No parameters.

A pool of size (ph, pw) moved by `strides` (default: the pool size, so windows do not overlap)
replaces each window of each channel by its largest entry (max) or its mean (average). The
output size and the "same" padding are the convolution's (`convolution.output_length`,
`padding_amounts`). With "same", max pooling ignores the padding (it pads with -inf) and
average pooling divides by the number of real entries in the window, as TensorFlow does.

Both passes loop over the ph pw offsets inside a window, not over positions: the slice of x
that offset (p, q) reads at every output position at once is x_pad[:, p::s_h, q::s_w, :].
Max pooling sends each window's gradient to one entry, the first largest in row-major order,
which is where TensorFlow's gradient sends it when entries tie (checked with a GradientTape).
Global average pooling is the mean over all positions: (n, h, w, c) -> (n, c).
"""

import numpy as np

from ... import _checks
from .base import Layer
from .convolution import PADDINGS, _int_tuple, _spatial, output_length, padding_amounts


class _Pooling(Layer):
    """What max and average pooling share: the windows. The passes see 4-D arrays
    (n, h, w, c); the 1-D layers view (n, length, c) as (n, 1, length, c)."""

    rank = 2

    def __init__(self, pool_size=2, strides=None, padding="valid"):
        super().__init__()
        self.pool_size = _int_tuple(pool_size, "pool_size", self.rank)
        self.strides = self.pool_size if strides is None else _int_tuple(strides, "strides", self.rank)
        self.padding = _checks.one_of(padding, "padding", PADDINGS)
        self.pads = self.out_size = self.x_pad_shape = None

    def __repr__(self):
        return (f"{type(self).__name__}(pool_size={self.pool_size}, strides={self.strides}, "
                f"padding={self.padding!r})")

    def output_shape(self, input_shape):
        sizes, channels = _spatial(self, input_shape)
        out = [None if n is None else output_length(n, k, s, self.padding)
               for n, k, s in zip(sizes, self.pool_size, self.strides)]
        if any(m is not None and m < 1 for m in out):
            raise ValueError(f"{type(self).__name__}: the pool {self.pool_size} is larger than the "
                             f"input {sizes} with padding 'valid'")
        return (*out, channels)

    def _build(self, rng):
        self.output_shape(self.input_shape)  # refuses a pool larger than the input
        super()._build(rng)

    def _2d(self, values):
        return values if self.rank == 2 else (1, *values)

    def _pad(self, x, value):
        """x: (n, h, w, c) -> x_pad, with `value` around it as `padding` says; keeps the amounts
        and the output size."""
        pool, strides = self._2d(self.pool_size), self._2d(self.strides)
        self.pads = [padding_amounts(n, k, s, self.padding) for n, k, s in zip(x.shape[1:3], pool, strides)]
        self.out_size = [output_length(n, k, s, self.padding)
                         for n, k, s in zip(x.shape[1:3], pool, strides)]
        if any(map(any, self.pads)):
            x = np.pad(x, [(0, 0), *self.pads, (0, 0)], constant_values=value)
        self.x_pad_shape = x.shape
        return x

    def _offsets(self):
        """For each offset (p, q) in the window, the index of the entries of x_pad it reads at
        every output position: (:, p::s_h, q::s_w, :), cut to the output size."""
        (ph, pw), (sh, sw), (ho, wo) = self._2d(self.pool_size), self._2d(self.strides), self.out_size
        return [(slice(None), slice(p, p + sh * (ho - 1) + 1, sh), slice(q, q + sw * (wo - 1) + 1, sw))
                for p in range(ph) for q in range(pw)]

    def _crop(self, dx_pad):
        """dL/dx from dL/dx_pad: the padding dropped (and the 1-D view undone)."""
        (top, bottom), (left, right) = self.pads
        dx = dx_pad[:, top:dx_pad.shape[1] - bottom, left:dx_pad.shape[2] - right]
        return dx if self.rank == 2 else dx[:, 0]

    def keras_layer(self):
        import keras

        return getattr(keras.layers, self.keras_class)(
            pool_size=self.pool_size, strides=self.strides, padding=self.padding, dtype=self.dtype.name)

    def check_keras_config(self, keras_layer):
        ours = {"pool_size": self.pool_size, "strides": self.strides, "padding": self.padding,
                "data_format": "channels_last"}
        theirs = {k: getattr(keras_layer, k) for k in ours}
        if theirs != ours:
            raise ValueError(f"the Keras {self.keras_class} has {theirs}, this one {ours}")

    @classmethod
    def from_keras(cls, keras_layer):
        if keras_layer.data_format != "channels_last":
            raise ValueError(f"nnbook's {cls.__name__} is channels_last, the Keras layer is "
                             f"{keras_layer.data_format!r}")
        return cls(keras_layer.pool_size, keras_layer.strides, keras_layer.padding)


class MaxPooling2D(_Pooling):
    """y = the largest entry of each window, per channel. x: (n, h, w, c) -> y: (n, h_out, w_out, c)."""

    keras_class = "MaxPooling2D"

    def forward(self, x, training=False):
        """Keeps, for every output, which window offset held the (first) largest entry."""
        x_pad = self._pad(x if self.rank == 2 else x[:, None], -np.inf)
        first, *others = self._offsets()
        y = x_pad[first].copy()  # the largest so far, (n, h_out, w_out, c)
        self.winner = np.zeros(y.shape, dtype=np.intp)  # and the offset it came from
        for k, where in enumerate(others, start=1):
            larger = x_pad[where] > y  # strictly: a tie keeps the earlier offset, as TensorFlow does
            self.winner[larger] = k
            np.maximum(y, x_pad[where], out=y)
        return y if self.rank == 2 else y[:, 0]

    def backward(self, dy):
        """dL/dx: each output's gradient goes to its window's winner (summed where windows overlap)."""
        dy = dy if self.rank == 2 else dy[:, None]
        dx_pad = np.zeros(self.x_pad_shape, dtype=dy.dtype)
        for k, where in enumerate(self._offsets()):
            dx_pad[where] += (self.winner == k) * dy
        return self._crop(dx_pad)


class AveragePooling2D(_Pooling):
    """y = the mean of each window, per channel (with "same": of its real entries).
    x: (n, h, w, c) -> y: (n, h_out, w_out, c)."""

    keras_class = "AveragePooling2D"

    def forward(self, x, training=False):
        """Keeps how many real entries each window holds."""
        x = x if self.rank == 2 else x[:, None]
        x_pad = self._pad(x, 0.0)
        ones = np.pad(np.ones((1, *x.shape[1:3], 1), dtype=x.dtype), [(0, 0), *self.pads, (0, 0)])
        self.count = sum(ones[where] for where in self._offsets())  # (1, h_out, w_out, 1)
        y = sum(x_pad[where] for where in self._offsets()) / self.count
        return y if self.rank == 2 else y[:, 0]

    def backward(self, dy):
        """dL/dx: each output's gradient shared equally among the real entries of its window."""
        dy = dy if self.rank == 2 else dy[:, None]
        dx_pad, share = np.zeros(self.x_pad_shape, dtype=dy.dtype), dy / self.count
        for where in self._offsets():
            dx_pad[where] += share
        return self._crop(dx_pad)


class GlobalAveragePooling2D(Layer):
    """y = the mean over all positions, per channel. x: (n, h, w, c) -> y: (n, c)."""

    keras_class = "GlobalAveragePooling2D"
    rank = 2

    def __repr__(self):
        return f"{type(self).__name__}()"

    def output_shape(self, input_shape):
        return (_spatial(self, input_shape)[1],)

    def _build(self, rng):
        self.output_shape(self.input_shape)  # refuses inputs of the wrong rank
        super()._build(rng)

    def forward(self, x, training=False):
        self.x_shape = x.shape
        return x.mean(axis=tuple(range(1, self.rank + 1)))

    def backward(self, dy):
        """dL/dx: dy / (number of positions), the same at every position."""
        positions = int(np.prod(self.x_shape[1:-1]))
        return np.broadcast_to((dy / positions).reshape(len(dy), *[1] * self.rank, -1), self.x_shape).copy()

    def keras_layer(self):
        import keras

        return getattr(keras.layers, self.keras_class)(dtype=self.dtype.name)

    def check_keras_config(self, keras_layer):
        if keras_layer.data_format != "channels_last" or keras_layer.keepdims:
            raise ValueError(f"nnbook's {type(self).__name__} is channels_last with keepdims=False, the "
                             f"Keras layer has data_format={keras_layer.data_format!r}, "
                             f"keepdims={keras_layer.keepdims}")

    @classmethod
    def from_keras(cls, keras_layer):
        cls().check_keras_config(keras_layer)
        return cls()


class MaxPooling1D(MaxPooling2D):
    """Max pooling along a sequence. x: (n, length, c) -> y: (n, length_out, c)."""

    keras_class = "MaxPooling1D"
    rank = 1


class AveragePooling1D(AveragePooling2D):
    """Average pooling along a sequence. x: (n, length, c) -> y: (n, length_out, c)."""

    keras_class = "AveragePooling1D"
    rank = 1


class GlobalAveragePooling1D(GlobalAveragePooling2D):
    """The mean over the sequence, per channel. x: (n, length, c) -> y: (n, c)."""

    keras_class = "GlobalAveragePooling1D"
    rank = 1
