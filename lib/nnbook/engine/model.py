"""The NumPy engine's `Sequential`: a chain of layers that is itself a layer (so models nest and
compose), trained by mini-batch gradient descent with the interface of `keras.Sequential`
(compile, fit, evaluate, predict, train_step) and its Keras twin.

One training step on a mini-batch (x, y): forward through every layer, the loss L(y, y_pred),
dL/dy_pred from the loss, backward through every layer in reverse (each fills its `grads`), and
one optimiser update of every *trainable* parameter. `params` and `grads` are flat dicts keyed
"<layer index>/<name>" ("0/kernel", "0/bias", "1/kernel", ...) holding the layers' own arrays.

Two models compose. As in Keras, a model trains the parameters that were trainable when it was
compiled: compile the discriminator, set `discriminator.trainable = False`, compile
`Sequential([generator, discriminator])`; then `discriminator.train_step` trains the discriminator
and the composed model's `train_step` trains the generator through the frozen discriminator: the
alternating game of a GAN, with no gradient code of its own.

Mini-batches: `minibatches` draws one permutation of the examples per epoch from a seeded
generator, so a Keras twin can be fed the very same batches (`twins.fit_same_batches`).

Weight penalties (a layer's `kernel_regularizer`, ...): the loss minimised and reported is
L(y, y_pred) + R, R the sum of the penalties of the trainable weights, as in Keras's `fit` and
`evaluate`; their gradients are added to `grads` before the update. `fit(..., augment=f)`
replaces every training batch x by f(x, rng) (see `nnbook.engine.augmentation`).
"""

import numpy as np
from threadpoolctl import ThreadpoolController

from .. import _checks
from . import losses as _losses
from . import optimizers as _optimizers
from .callbacks import History, ProgressBar
from .layers.base import Container
from .metrics import accuracy

METRICS = ("accuracy",)
_BLAS = ThreadpoolController()


def minibatches(n, batch_size, rng=0, shuffle=True):
    """The index arrays of one epoch's mini-batches: a permutation of range(n) drawn from `rng` (a
    numpy Generator, or an int seed) -- or range(n) in order if not `shuffle` -- cut into pieces of
    `batch_size` (the last may be smaller)."""
    n = _checks.positive_int(n, "n")
    batch_size = _checks.positive_int(batch_size, "batch_size")
    order = _checks.generator(rng, "rng").permutation(n) if shuffle else np.arange(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


class Sequential(Container):
    """Layers applied one after the other. x: (n, *input_shape) -> y_pred: (n, *output_shape)."""

    def __init__(self, layers, trainable=True):
        super().__init__(layers, trainable)
        self.loss = self.optimizer = None
        self.metrics = ()
        self.trained_keys = []
        self.history = History()
        self.batch_losses = []
        self.stop_training = False
        if all(layer.built for layer in self.layers):  # made of built models: built already
            self._adopt_built_layers()

    def _adopt_built_layers(self):
        shape = self.layers[0].input_shape
        for i, layer in enumerate(self.layers):
            if layer.input_shape != shape:
                raise ValueError(f"layers[{i}] was built for inputs {layer.input_shape}, but the "
                                 f"layer before it gives {shape}")
            shape = layer.output_shape(shape)
        self.input_shape, self.dtype, self.built = self.layers[0].input_shape, self.layers[0].dtype, True

    def __repr__(self):
        return f"Sequential([{', '.join(map(repr, self.layers))}])"

    # --- structure ---------------------------------------------------------------------------------

    def _build(self, rng):
        shape = self.input_shape
        for layer in self.layers:
            layer.build(shape, rng, self.dtype)
            shape = layer.output_shape(shape)
        if self.loss is not None:  # compiled before it was built
            self.trained_keys = list(self.trainable_params())

    def output_shape(self, input_shape=None):
        """The shape of y_pred (without the batch axis)."""
        shape = self.input_shape if input_shape is None else input_shape
        for layer in self.layers:
            shape = layer.output_shape(shape)
        return shape

    # --- passes ------------------------------------------------------------------------------------

    def forward(self, x, training=False):
        """y_pred for a batch x: (n, *input_shape) -> (n, *output_shape)."""
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def backward(self, dy):
        """dL/dx from dy = dL/dy_pred, filling every layer's grads (after a `forward`)."""
        for layer in reversed(self.layers):
            dy = layer.backward(dy)
        return dy

    def predict(self, x, batch_size=None):
        """y_pred for x, computed `batch_size` examples at a time (all at once if None)."""
        x = self._check_x(x)
        if batch_size is None:
            return self.forward(x)
        batch_size = _checks.positive_int(batch_size, "batch_size")
        return np.concatenate([self.forward(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])

    # --- training ----------------------------------------------------------------------------------

    def compile(self, loss, optimizer, metrics=METRICS):
        """Choose the loss (a name or an nnbook Loss), the optimiser (a name or an Optimizer) and
        the metrics recorded by fit/evaluate (() or ("accuracy",)). The parameters that training
        updates are those trainable now (`trained_keys`): as in Keras, compile again after
        changing a layer's `trainable`."""
        self.loss = _losses.get(loss)
        self.optimizer = _optimizers.get(optimizer)
        if isinstance(metrics, str):
            metrics = (metrics,)
        if not isinstance(metrics, (list, tuple)) or any(m not in METRICS for m in metrics):
            raise ValueError(f"metrics must be a subset of {METRICS}, got {metrics!r}")
        self.metrics = tuple(metrics)
        self.trained_keys = list(self.trainable_params())
        return self

    def train_step(self, x, y):
        """One gradient step on the batch (x, y); returns the batch's loss before the step."""
        self._check_compiled("train_step")
        x = self._check_x(x)
        return self._train_batch(x, self._check_y(x, y))[0]

    def _train_batch(self, x, y):
        """(loss, y_pred) of one step on a checked batch. BLAS runs on one thread here: products
        of mini-batch size gain nothing from more, and BLAS threads spinning for work slow down
        everything else sharing the CPU (10-40x slower steps measured on 2 busy cores)."""
        with _BLAS.limit(limits=1, user_api="blas"):
            y_pred = self.forward(x, training=True)
            loss = self.loss(y, y_pred) + self.penalty()
            self.backward(self.loss.gradient(y, y_pred))
            params, grads = self.params, self.grads
            for k, dR in self.penalty_gradients().items():
                grads[k] = grads[k] + dR
            self.optimizer.apply({k: params[k] for k in self.trained_keys},
                                 {k: grads[k] for k in self.trained_keys})
        return loss, y_pred

    def fit(self, x, y, epochs=1, batch_size=32, validation_data=None, shuffle=True, seed=0,
            callbacks=(), verbose=1, augment=None):
        """Train for `epochs` passes over (x, y) in mini-batches (see `minibatches`). An unbuilt
        model is first built with `seed`, in float32 if x is float32, else in float64.
        Returns the `History` (also `self.history`): per epoch, the batch losses (and accuracies)
        averaged over the examples, and the loss (and accuracy) on `validation_data`.
        `self.batch_losses` keeps the loss of every batch. `callbacks`: nnbook callbacks (see
        `nnbook.engine.callbacks`); `verbose=1` adds a one-line `ProgressBar`. `augment`: a
        function (x_batch, rng) -> x_batch of the same shape, applied to every training batch
        (never to validation data), rng a generator spawned from `seed`."""
        self._check_compiled("fit")
        epochs = _checks.positive_int(epochs, "epochs", minimum=0)
        batch_size = _checks.positive_int(batch_size, "batch_size")
        if verbose not in (0, 1):
            raise ValueError(f"verbose must be 0 or 1, got {verbose!r}")
        if not self.built:
            x = _checks.as_float_array(x, "x")
            if x.ndim < 2 or len(x) == 0:
                raise ValueError(f"x must have shape (n, features...) with n >= 1, got {x.shape}")
            self.build(x.shape[1:], seed, dtype=x.dtype)
        x = self._check_x(x)
        y = self._check_y(x, y)
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise TypeError("validation_data must be a pair (x_val, y_val)")
            x_val = self._check_x(validation_data[0], "x_val")
            y_val = self._check_y(x_val, validation_data[1], "y_val")
        if isinstance(callbacks, (str, bytes)) or not all(hasattr(c, "on_epoch_end") for c in callbacks):
            raise TypeError(f"callbacks must be a list of nnbook callbacks, got {callbacks!r}")
        if augment is not None and not callable(augment):
            raise TypeError(f"augment must be None or a function (x_batch, rng) -> x_batch, "
                            f"got {_checks.describe(augment)}")
        self.history = History()
        callbacks = [self.history, *callbacks, *([ProgressBar()] if verbose else [])]
        self.epochs, self.steps_per_epoch = epochs, -(-len(x) // batch_size)
        self.batch_losses, self.stop_training, logs = [], False, {}
        rng = np.random.default_rng(seed)
        augment_rng = rng.spawn(1)[0]  # spawning draws nothing: the batches stay those of `seed`
        for cb in callbacks:
            cb.set_model(self)
            cb.on_train_begin()
        for epoch in range(epochs):
            for cb in callbacks:
                cb.on_epoch_begin(epoch)
            totals, seen = dict.fromkeys(["loss", *self.metrics], 0.0), 0
            for step, idx in enumerate(minibatches(len(x), batch_size, rng, shuffle)):
                x_batch = x[idx] if augment is None else self._augmented(augment, x[idx], augment_rng)
                loss, y_pred = self._train_batch(x_batch, y[idx])
                self.batch_losses.append(loss)
                totals["loss"] += loss * len(idx)
                if "accuracy" in self.metrics:
                    totals["accuracy"] += self._accuracy(y[idx], y_pred) * len(idx)
                seen += len(idx)
                logs = {k: v / seen for k, v in totals.items()}
                for cb in callbacks:
                    cb.on_train_batch_end(step, logs)
            if validation_data is not None:
                with _BLAS.limit(limits=1, user_api="blas"):  # as the steps: other work shares the CPU
                    logs.update({f"val_{k}": v for k, v in self.evaluate(x_val, y_val).items()})
            for cb in callbacks:
                cb.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        for cb in callbacks:
            cb.on_train_end(logs)
        return self.history

    def _augmented(self, augment, x_batch, rng):
        """augment(x_batch, rng), checked to be a batch of the same shape (in the model's dtype)."""
        out = augment(x_batch, rng)
        if np.shape(out) != x_batch.shape:
            raise ValueError(f"augment must return a batch of the shape it was given, {x_batch.shape}, "
                             f"got {_checks.describe(out)}")
        return _checks.batch(out, self.input_shape, self.dtype, "augment(x_batch, rng)")

    def evaluate(self, x, y, batch_size=None):
        """{"loss": L(y, y_pred) + R, "accuracy": ...} on (x, y), with the compiled loss and
        metrics; R: the weight penalties, which Keras's `evaluate` includes too."""
        self._check_compiled("evaluate")
        x = self._check_x(x)
        y = self._check_y(x, y)
        y_pred = self.predict(x, batch_size)
        results = {"loss": self.loss(y, y_pred) + self.penalty()}
        if "accuracy" in self.metrics:
            results["accuracy"] = self._accuracy(y, y_pred)
        return results

    def _accuracy(self, y, y_pred):
        from_logits = isinstance(self.loss, _losses.BinaryCrossentropy) and self.loss.from_logits
        return accuracy(y, y_pred, from_logits)

    # --- checks ------------------------------------------------------------------------------------

    def _check_compiled(self, what):
        if self.loss is None:
            raise RuntimeError(f"the model is not compiled: call compile(loss, optimizer) before {what}")

    def _check_x(self, x, name="x"):
        """`x` as the first layer takes it (`check_input`): a finite array of the model's dtype,
        shape (n, *input_shape), or integer token ids for an `Embedding`."""
        self.check_built("predict, fit or evaluate")
        return self.check_input(x, name)

    def check_input(self, x, name="x"):
        return self.layers[0].check_input(x, name)

    def _check_y(self, x, y, name="y"):
        """`y` as an array holding one finite target per example of `x` that the loss accepts."""
        if isinstance(y, (str, bytes)) or np.asarray(y).dtype.kind not in "biuf":
            raise TypeError(f"{name} must be numeric, got {type(y).__name__}")
        y = np.asarray(y)
        if y.ndim == 0 or len(y) != len(x):
            raise ValueError(f"{name} must hold one target per example: x has {len(x)} examples, "
                             f"{name} has shape {y.shape}")
        placeholder = np.full((len(y), *self.output_shape()), 0.5, dtype=self.dtype)
        self.loss(y, placeholder)  # the loss's own checks: shape, labels, finiteness
        return y

    # --- Keras twin --------------------------------------------------------------------------------

    def to_keras(self):
        """A keras.Sequential with the same layers and weights (same dtype, same frozen layers).
        If this model is compiled, the twin is compiled with the Keras twins of its loss,
        optimiser (fresh state) and metrics."""
        import keras

        self.check_built("to_keras")
        model = keras.Sequential([keras.Input(shape=self.input_shape, dtype=self.dtype.name),
                                  *(layer.to_keras() for layer in self.layers)])
        model.trainable = self.trainable
        if self.loss is not None:
            model.compile(loss=self.loss.to_keras(dtype=self.dtype.name),
                          optimizer=self.optimizer.to_keras(), metrics=list(self.metrics))
        return model

    def keras_sublayers(self, keras_layer):
        return list(keras_layer.layers)

    @classmethod
    def from_keras(cls, keras_model):
        """A built Sequential holding copies of the weights of a built keras.Sequential whose
        layers all have nnbook twins (`nnbook.engine.twins.KERAS_TWINS`)."""
        import keras

        from .twins import from_keras

        if not isinstance(keras_model, keras.Model):
            raise TypeError(f"keras_model must be a keras.Model, got {type(keras_model).__name__}")
        if not keras_model.built or not keras_model.layers:
            raise ValueError("the Keras model must be built and hold layers (give it a keras.Input)")
        model = cls([from_keras(layer) for layer in keras_model.layers], trainable=keras_model.trainable)
        dtype = keras_model.layers[0].variable_dtype
        model.build(tuple(keras_model.inputs[0].shape[1:]), dtype=dtype)
        return model.set_from_keras(keras_model)
