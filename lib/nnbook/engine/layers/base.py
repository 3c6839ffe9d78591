"""The interface every layer of the NumPy engine has, and what guards it.

A layer maps a batch-first array `x: (n, *input_shape)` to `y: (n, *output_shape(input_shape))`.
Its life: `build(input_shape, seed, dtype)` creates its state and `layer(x, training)` runs it.
Three kinds of state, named as Keras names them:

* `params`: trainable arrays by name ("kernel", "bias", ...), with `grads` of the same names and
  shapes filled by `backward`;
* `state`: non-trainable arrays (e.g. batch norm's moving mean), carried to and from the twin;
* `rng`: the layer's own `numpy.random.Generator`, spawned from the build seed (dropout masks,
  noise), so a whole run is reproducible from one seed.

`regularizers` maps a parameter's name to its weight penalty (`nnbook.engine.regularizers`, e.g.
Dense's `kernel_regularizer`); `penalty()` and `penalty_gradients()` give their value and
gradient for the trainable params, which `Sequential` adds to the loss and to `grads`.

`trainable = False` freezes a layer: its gradients still flow through it to the layers below, but
an optimiser leaves its `params` alone (`trainable_params()` is empty), and its Keras twin is
frozen too.

`layer(x)` (`__call__`) checks `x` once and calls `forward(x, training)`, the bare math, which keeps
what `backward(dy) -> dx` needs. `to_keras()` gives the built Keras twin with the same weights;
`set_from_keras` copies a twin's weights in (matched by Keras's variable names).
"""

import numpy as np

from ... import _checks


class Layer:
    """Base class: no parameters, output shape = input shape. Subclasses set `keras_class` (the
    name of the twin in `keras.layers`) and override `init_params`, `init_state`, `output_shape`,
    `forward`, `backward`, `keras_layer` and `from_keras` as they need."""

    keras_class = None

    def __init__(self, trainable=True):
        self.params, self.grads, self.state = {}, {}, {}
        self.regularizers = {}  # param name -> Regularizer
        self.rng = None
        self.trainable = _checks.flag(trainable, "trainable")
        self.built = False
        self.input_shape = None
        self.dtype = np.dtype(np.float64)

    def build(self, input_shape, seed=0, dtype="float64"):
        """Create `params` and `state` for inputs (n, *input_shape). `seed`: an int or a
        numpy Generator, from which the parameters are drawn and `rng` is spawned."""
        self.input_shape = _checks.shape(input_shape)
        self.dtype = _checks.float_dtype(dtype)
        rng = _checks.generator(seed)
        self.rng = rng.spawn(1)[0]
        self._build(rng)
        self.built = True
        return self

    def _build(self, rng):
        params = self.init_params(self.input_shape, rng)
        self.params = {k: np.asarray(v, dtype=self.dtype) for k, v in params.items()}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        state = self.init_state(self.input_shape)
        self.state = {k: np.asarray(v, dtype=self.dtype) for k, v in state.items()}

    def init_params(self, input_shape, rng):
        """A dict of freshly initialised trainable arrays (none in the base class)."""
        return {}

    def init_state(self, input_shape):
        """A dict of the non-trainable arrays at build time (none in the base class)."""
        return {}

    def trainable_params(self):
        """The arrays an optimiser may update: `params`, or nothing when frozen."""
        return self.params if self.trainable else {}

    def penalty(self):
        """R = the sum of the weight penalties of the trainable params (0.0 if none): what Keras
        adds to the loss (`layer.losses`). float."""
        params = self.trainable_params()
        return sum((r(params[k]) for k, r in self.regularizers.items() if k in params), 0.0)

    def penalty_gradients(self):
        """{name: dR/dparam} for the trainable params that have a penalty."""
        params = self.trainable_params()
        return {k: r.gradient(params[k]) for k, r in self.regularizers.items() if k in params}

    def output_shape(self, input_shape):
        """The shape of y (without the batch axis) for inputs of `input_shape`."""
        return _checks.shape(input_shape)

    def get_weights(self):
        """Copies of the layer's arrays, `params` then `state` (Keras's `get_weights` order)."""
        return [v.copy() for v in (*self.params.values(), *self.state.values())]

    def set_weights(self, weights):
        """Copy `weights`, a list like `get_weights()` returns, into the layer's arrays."""
        ours = [*self.params.values(), *self.state.values()]
        if not isinstance(weights, (list, tuple)) or len(weights) != len(ours):
            raise ValueError(f"{type(self).__name__}.set_weights needs a list of {len(ours)} arrays, "
                             f"got {_checks.describe(weights)}")
        for i, (mine, w) in enumerate(zip(ours, weights)):
            w = _checks.as_float_array(w, f"weights[{i}]")
            if w.shape != mine.shape:
                raise ValueError(f"weights[{i}] must have shape {mine.shape}, got {w.shape}")
            mine[...] = w

    def count_params(self):
        """The number of numbers in `params` (trainable or frozen)."""
        return sum(v.size for v in self.params.values())

    def __call__(self, x, training=False):
        """y = layer(x) for x: (n, *input_shape), checked, in the layer's dtype."""
        self.check_built("calling it")
        return self.forward(self.check_input(x, f"{type(self).__name__} input x"), training=training)

    def check_input(self, x, name="x"):
        """`x` as this layer takes it: a finite array of the layer's dtype, (n, *input_shape)."""
        return _checks.batch(x, self.input_shape, self.dtype, name)

    def forward(self, x, training=False):
        """y = layer(x); keeps what `backward` needs. Bare math: `__call__` checks x."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    def backward(self, dy):
        """dL/dx from dy = dL/dy (after a `forward`); fills `grads`."""
        raise NotImplementedError(f"{type(self).__name__} does not define backward")

    def check_built(self, what):
        """RuntimeError unless the layer is built."""
        if not self.built:
            raise RuntimeError(f"{type(self).__name__} is not built: call build(input_shape, seed) "
                               f"before {what}")

    # --- the Keras twin ---------------------------------------------------------------------------

    def keras_layer(self):
        """The unbuilt Keras twin of this layer."""
        raise NotImplementedError(f"{type(self).__name__} has no Keras twin")

    def to_keras(self):
        """The equivalent built Keras layer, holding copies of `params` and `state`, frozen if
        this layer is."""
        self.check_built("to_keras")
        layer = self.keras_layer()
        layer.build((None, *self.input_shape))
        arrays = {**self.params, **self.state}
        for v in layer.weights:
            v.assign(arrays[v.name])
        layer.trainable = self.trainable
        return layer

    def set_from_keras(self, keras_layer):
        """Copy the weights (trainable and not) of `keras_layer`, a built twin of the same
        shape, into `params` and `state`."""
        self.check_twin(keras_layer)
        ours = {**self.params, **self.state}
        theirs = {v.name: np.asarray(v) for v in keras_layer.weights}
        if set(theirs) != set(ours):
            raise ValueError(f"the Keras layer has weights {sorted(theirs)}, {type(self).__name__} has "
                             f"{sorted(ours)}")
        for k, w in theirs.items():
            if w.shape != ours[k].shape:
                raise ValueError(f"Keras weight {k!r} has shape {w.shape}, {type(self).__name__} "
                                 f"expects {ours[k].shape}")
            ours[k][...] = w
        return self

    def check_twin(self, keras_layer):
        """Raise unless this layer is built and `keras_layer` is a built Keras layer of the twin
        class with the same configuration (what every `set_from_keras` checks first)."""
        self.check_built("set_from_keras")
        if type(keras_layer).__name__ != self.keras_class:
            raise TypeError(f"{type(self).__name__} takes weights from a keras.layers.{self.keras_class}, "
                            f"got {type(keras_layer).__name__}")
        if not keras_layer.built:
            raise ValueError(f"the Keras layer {keras_layer.name!r} is not built: it has no weights yet")
        self.check_keras_config(keras_layer)

    def check_keras_config(self, keras_layer):
        """Raise ValueError if `keras_layer` computes something else (checked by subclasses)."""

    @classmethod
    def from_keras(cls, keras_layer):
        """An unbuilt layer configured like `keras_layer`."""
        raise NotImplementedError(f"{cls.__name__} cannot be made from a Keras layer")


class Container(Layer):
    """A layer made of other layers (`self.layers`): its `params`, `grads` and `state` are theirs,
    keyed "<index>/<name>" ("0/kernel", "1/0/bias" for a layer inside a nested container).
    Setting `trainable` sets it on every layer inside, as Keras does: a frozen container's batch
    norms then run in inference mode. `Container(layers)` leaves frozen layers in it frozen."""

    def __init__(self, layers, trainable=True):
        if not isinstance(layers, (list, tuple)) or not layers:
            raise TypeError(f"layers must be a non-empty list of nnbook layers, got {layers!r}")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layers[{i}] must be an nnbook Layer, got {type(layer).__name__}")
        self.layers = list(layers)
        self._trainable = True
        if not _checks.flag(trainable, "trainable"):
            self.trainable = False
        self.rng, self.built, self.input_shape, self.dtype = None, False, None, np.dtype(np.float64)

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = _checks.flag(value, "trainable")
        for layer in self.layers:
            layer.trainable = self._trainable

    def _gather(self, attribute):
        return {f"{i}/{k}": v for i, layer in enumerate(self.layers)
                for k, v in getattr(layer, attribute).items()}

    @property
    def params(self):
        """{"<index>/<name>": array}: the layers' own parameter arrays (not copies)."""
        return self._gather("params")

    @property
    def grads(self):
        """{"<index>/<name>": dL/dparam} from the last `backward`."""
        return self._gather("grads")

    @property
    def state(self):
        """{"<index>/<name>": array}: the layers' non-trainable arrays."""
        return self._gather("state")

    @property
    def regularizers(self):
        """{"<index>/<name>": Regularizer}: the layers' weight penalties."""
        return self._gather("regularizers")

    def get_weights(self):
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights):
        sizes = [len(layer.get_weights()) for layer in self.layers]
        if not isinstance(weights, (list, tuple)) or len(weights) != sum(sizes):
            raise ValueError(f"{type(self).__name__}.set_weights needs a list of {sum(sizes)} arrays")
        start = 0
        for layer, size in zip(self.layers, sizes):
            layer.set_weights(list(weights[start:start + size]))
            start += size

    def trainable_params(self):
        if not self.trainable:
            return {}
        return {f"{i}/{k}": v for i, layer in enumerate(self.layers)
                for k, v in layer.trainable_params().items()}

    def set_from_keras(self, keras_layer):
        """Copy the weights of a built Keras twin (see `keras_sublayers`) into every layer."""
        self.check_built("set_from_keras")
        theirs = self.keras_sublayers(keras_layer)
        if len(theirs) != len(self.layers):
            raise ValueError(f"the Keras twin has {len(theirs)} layers, this {type(self).__name__} "
                             f"{len(self.layers)}")
        for ours, twin in zip(self.layers, theirs):
            ours.set_from_keras(twin)
        return self

    def keras_sublayers(self, keras_layer):
        """The Keras layers of the twin `keras_layer` that match `self.layers`, in order."""
        raise NotImplementedError
