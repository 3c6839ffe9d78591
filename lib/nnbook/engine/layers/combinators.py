"""Layers that combine layers: `Residual`, a skip connection around a block. (`Sequential`, the
chain of layers, is itself a layer too: `nnbook.engine.model`.)"""

from .base import Container


class Residual(Container):
    """y = x + block(x), for a `block` (any layer, or a Sequential) whose output has the shape of
    its input; dL/dx = dy + block.backward(dy): the skip hands the gradient down unchanged."""

    def __init__(self, block, trainable=True):
        super().__init__([block], trainable)
        self.block = block

    def __repr__(self):
        return f"Residual({self.block!r})"

    def _build(self, rng):
        self.block.build(self.input_shape, rng, self.dtype)
        out = self.block.output_shape(self.input_shape)
        if out != self.input_shape:
            raise ValueError(f"a Residual block must keep the shape of its input {self.input_shape}, "
                             f"but {self.block!r} gives {out}")

    def forward(self, x, training=False):
        """x + block(x)."""
        return x + self.block.forward(x, training=training)

    def backward(self, dy):
        """dy + the block's backward of dy."""
        return dy + self.block.backward(dy)

    def to_keras(self):
        """A Keras functional model computing Add()([x, block(x)]), the block's twin inside."""
        import keras

        self.check_built("to_keras")
        x = keras.Input(shape=self.input_shape, dtype=self.dtype.name)
        y = keras.layers.Add(dtype=self.dtype.name)([x, self.block.to_keras()(x)])
        model = keras.Model(x, y)
        model.trainable = self.trainable
        return model

    def keras_sublayers(self, keras_layer):
        import keras

        return [layer for layer in keras_layer.layers
                if not isinstance(layer, (keras.layers.InputLayer, keras.layers.Add))]
