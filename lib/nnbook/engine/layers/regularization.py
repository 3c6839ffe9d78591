"""Layers that regularise by noise: `Dropout`, with its Keras twin `keras.layers.Dropout`.

Dropout (Srivastava et al., 2014), in its "inverted" form as Keras computes it: in training each
unit is kept with probability 1 - rate and the kept ones are divided by 1 - rate, so that the
expected output equals the input; at inference the layer is the identity. The mask is drawn from
the layer's own generator `self.rng` (spawned from the build seed, or seeded by `seed`), so a
run is reproducible; Keras draws its own masks, so twins agree on everything but the draw.
"""

import numpy as np

from ... import _checks
from .base import Layer


class Dropout(Layer):
    """y = x * m / (1 - rate) in training, m ~ Bernoulli(1 - rate) drawn afresh every call;
    y = x at inference. x: (n, ...) -> y: same shape. `noise_shape` (Keras's): the shape of m
    including the batch axis, None entries taken from x, broadcast over the axes of size 1
    (e.g. (None, 1, d) drops the same features at every step of a sequence). `seed`: an int
    that fixes `rng` (otherwise it is spawned from the build seed)."""

    keras_class = "Dropout"

    def __init__(self, rate, noise_shape=None, seed=None):
        super().__init__()
        self.rate = _checks.number_in(rate, "rate", 0, 1, high_open=True)
        if noise_shape is not None:
            noise_shape = _checks.shape(noise_shape, "noise_shape")
        self.noise_shape = noise_shape
        self.seed = None if seed is None else _checks.positive_int(seed, "seed", minimum=0)
        self.mask = None

    def __repr__(self):
        return f"Dropout({self.rate!r})"

    def _build(self, rng):
        if self.noise_shape is not None and len(self.noise_shape) != len(self.input_shape) + 1:
            raise ValueError(f"noise_shape {self.noise_shape} must have one entry per axis of x, "
                             f"(n, *{self.input_shape})")
        if self.seed is not None:
            self.rng = np.random.default_rng(self.seed)

    def _mask_shape(self, x_shape):
        if self.noise_shape is None:
            return x_shape
        return tuple(n if m is None else m for m, n in zip(self.noise_shape, x_shape))

    def forward(self, x, training=False):
        """Training: y = x * mask, mask = keep / (1 - rate), keep = (u >= rate) for u ~ U[0, 1)
        from self.rng. Inference (or rate 0): y = x. Keeps the mask (None for the identity)."""
        if not training or self.rate == 0:
            self.mask = None
            return x
        keep = self.rng.random(self._mask_shape(x.shape)) >= self.rate
        self.mask = (keep / (1 - self.rate)).astype(x.dtype)
        return x * self.mask

    def backward(self, dy):
        """dL/dx = dy * mask: the gradient flows only through the units that were kept."""
        return dy if self.mask is None else dy * self.mask

    def keras_layer(self):
        import keras

        return keras.layers.Dropout(self.rate, noise_shape=self.noise_shape, seed=self.seed,
                                    dtype=self.dtype.name)

    def check_keras_config(self, keras_layer):
        theirs = (float(keras_layer.rate), keras_layer.noise_shape)
        if theirs != (self.rate, self.noise_shape):
            raise ValueError(f"the Keras Dropout has rate, noise_shape = {theirs}, this one "
                             f"{(self.rate, self.noise_shape)}")

    @classmethod
    def from_keras(cls, keras_layer):
        return cls(float(keras_layer.rate), noise_shape=keras_layer.noise_shape, seed=keras_layer.seed)
