"""The NumPy engine's `Sequential` model: a stack of layers trained by mini-batch gradient descent,
with the interface of `keras.Sequential` (compile, fit, evaluate, predict) and its Keras twin.

One training step on a mini-batch (x, y): forward through every layer, the loss L(y, y_pred),
dL/dy_pred from the loss, backward through every layer in reverse (each fills its `grads`), and
one optimiser update of every parameter. `params` and `grads` are flat dicts keyed
"<layer index>/<name>" ("0/kernel", "0/bias", "1/kernel", ...) holding the layers' own arrays.

Mini-batches: `np.random.default_rng(seed)` draws one permutation of the examples per epoch
(`minibatches`), so a Keras twin can be fed the very same batches in the same order
(`keras_train_on_batches`).
"""

import sys

import numpy as np
from threadpoolctl import ThreadpoolController
from tqdm import tqdm

from . import layers as _layers
from . import losses as _losses
from . import optimizers as _optimizers

METRICS = ("accuracy",)
_BLAS = ThreadpoolController()


def _positive_int(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def minibatches(n, batch_size, rng, shuffle=True):
    """The index arrays of one epoch's mini-batches: a permutation of range(n) drawn from `rng`
    (or range(n) in order if not `shuffle`) cut into pieces of `batch_size` (the last may be
    smaller)."""
    n = _positive_int(n, "n")
    batch_size = _positive_int(batch_size, "batch_size")
    order = rng.permutation(n) if shuffle else np.arange(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def accuracy(y_true, y_pred, from_logits=False):
    """The fraction of correct predictions, chosen from the shapes as Keras's "accuracy" is:
    one output column (binary): [y_pred > 0.5] == y_true (> 0 for logits); labels (one axis fewer
    than y_pred, or a last axis of 1): argmax y_pred == label; one-hot: argmax == argmax."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_pred.shape[-1] == 1:
        hit = (y_pred > (0.0 if from_logits else 0.5)) == (y_true.reshape(y_pred.shape) > 0.5)
    elif y_true.ndim < y_pred.ndim or y_true.shape[-1] == 1:
        hit = np.argmax(y_pred, axis=-1) == y_true.reshape(y_pred.shape[:-1])
    else:
        hit = np.argmax(y_pred, axis=-1) == np.argmax(y_true, axis=-1)
    return float(np.mean(hit))


class History(dict):
    """What `fit` recorded per epoch: {"loss": [...], "accuracy": [...], "val_loss": [...],
    "val_accuracy": [...]}. `.history` is the dict itself, as on Keras's History object."""

    @property
    def history(self):
        return self


class Sequential:
    """Layers applied one after the other. x: (n, *input_shape) -> y_pred: (n, *output_shape)."""

    def __init__(self, layers):
        if not isinstance(layers, (list, tuple)) or not layers:
            raise TypeError(f"layers must be a non-empty list of nnbook layers, got {layers!r}")
        for i, layer in enumerate(layers):
            if not isinstance(layer, _layers.Layer):
                raise TypeError(f"layers[{i}] must be an nnbook Layer, got {type(layer).__name__}")
        self.layers = list(layers)
        self.built = False
        self.input_shape = None
        self.dtype = np.dtype(np.float64)
        self.loss = self.optimizer = None
        self.metrics = ()
        self.history = History()
        self.batch_losses = []

    def __repr__(self):
        return f"Sequential([{', '.join(map(repr, self.layers))}])"

    # --- structure ---------------------------------------------------------------------------------

    def build(self, input_shape, seed=0, dtype="float64"):
        """Build every layer for inputs (n, *input_shape), parameters drawn from default_rng(seed)."""
        rng = np.random.default_rng(seed)
        shape = input_shape
        for layer in self.layers:
            layer.build(shape, rng, dtype)
            shape = layer.output_shape(layer.input_shape)
        self.input_shape = self.layers[0].input_shape
        self.dtype = self.layers[0].dtype
        self.built = True
        return self

    def output_shape(self, input_shape=None):
        """The shape of y_pred (without the batch axis)."""
        shape = self.input_shape if input_shape is None else input_shape
        for layer in self.layers:
            shape = layer.output_shape(shape)
        return shape

    @property
    def params(self):
        """{"<layer index>/<name>": array}: the layers' own parameter arrays (not copies)."""
        return {f"{i}/{k}": v for i, layer in enumerate(self.layers) for k, v in layer.params.items()}

    @property
    def grads(self):
        """{"<layer index>/<name>": dL/dparam} from the last `backward`."""
        return {f"{i}/{k}": g for i, layer in enumerate(self.layers) for k, g in layer.grads.items()}

    def count_params(self):
        """The number of trainable numbers."""
        return sum(v.size for v in self.params.values())

    # --- passes ------------------------------------------------------------------------------------

    def forward(self, x, training=False):
        """y_pred for the whole of x: (n, *input_shape) -> (n, *output_shape)."""
        self._check_built("forward")
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
        batch_size = _positive_int(batch_size, "batch_size")
        return np.concatenate([self.forward(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])

    # --- training ----------------------------------------------------------------------------------

    def compile(self, loss, optimizer, metrics=METRICS):
        """Choose the loss (a name or an nnbook Loss), the optimiser (a name or an Optimizer) and
        the metrics recorded by fit/evaluate (() or ("accuracy",))."""
        self.loss = _losses.get(loss)
        self.optimizer = _optimizers.get(optimizer)
        if isinstance(metrics, str):
            metrics = (metrics,)
        if not isinstance(metrics, (list, tuple)) or any(m not in METRICS for m in metrics):
            raise ValueError(f"metrics must be a subset of {METRICS}, got {metrics!r}")
        self.metrics = tuple(metrics)
        return self

    def train_step(self, x, y):
        """One gradient step on the batch (x, y); returns the batch's loss before the step."""
        self._check_compiled("train_step")
        x = self._check_x(x)
        self._check_y(x, y)
        return self._train_batch(x, y)[0]

    def _train_batch(self, x, y):
        """(loss, y_pred) of one step on a checked batch. BLAS runs on one thread here: products
        of mini-batch size gain nothing from more, and BLAS threads spinning for work slow down
        everything else sharing the CPU (10-40x slower steps measured on 2 busy cores)."""
        with _BLAS.limit(limits=1, user_api="blas"):
            y_pred = self.forward(x, training=True)
            loss = self.loss(y, y_pred)
            self.backward(self.loss.gradient(y, y_pred))
            self.optimizer.apply(self.params, self.grads)
        return loss, y_pred

    def fit(self, x, y, epochs=1, batch_size=32, validation_data=None, shuffle=True, seed=0, verbose=1):
        """Train for `epochs` passes over (x, y) in mini-batches (see `minibatches`). An unbuilt
        model is first built with `seed`, in float32 if x is float32, else in float64.
        Returns the `History` (also kept in `self.history`): per epoch, the batch losses (and
        accuracies) averaged over the examples, and the loss (and accuracy) on `validation_data`.
        `self.batch_losses` keeps the loss of every batch. `verbose=0`: no progress bar."""
        self._check_compiled("fit")
        epochs = _positive_int(epochs, "epochs", minimum=0)
        batch_size = _positive_int(batch_size, "batch_size")
        if not isinstance(verbose, (int, bool)):
            raise TypeError(f"verbose must be 0 or 1, got {verbose!r}")
        if not self.built:
            x = np.asarray(x)
            if x.ndim < 2:
                raise ValueError(f"x must have shape (n, features...), got {x.shape}")
            self.build(x.shape[1:], seed, dtype=np.float32 if x.dtype == np.float32 else np.float64)
        x = self._check_x(x)
        self._check_y(x, y)
        y = np.asarray(y)
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise TypeError("validation_data must be a pair (x_val, y_val)")
            x_val = self._check_x(validation_data[0], "x_val")
            self._check_y(x_val, validation_data[1], "y_val")
        keys = ["loss", *self.metrics]
        if validation_data is not None:
            keys += [f"val_{k}" for k in keys]
        self.history = History({k: [] for k in keys})
        self.batch_losses = []
        rng = np.random.default_rng(seed)
        for epoch in range(epochs):
            batches = minibatches(len(x), batch_size, rng, shuffle)
            totals, seen = dict.fromkeys(["loss", *self.metrics], 0.0), 0
            with tqdm(total=len(x), desc=f"Epoch {epoch + 1}/{epochs}", unit=" examples",
                      disable=not verbose, file=sys.stdout, leave=True) as bar:
                for idx in batches:
                    loss, y_pred = self._train_batch(x[idx], y[idx])
                    self.batch_losses.append(loss)
                    totals["loss"] += loss * len(idx)
                    if "accuracy" in self.metrics:
                        totals["accuracy"] += self._accuracy(y[idx], y_pred) * len(idx)
                    seen += len(idx)
                    if verbose:
                        bar.set_postfix({k: f"{v / seen:.4f}" for k, v in totals.items()}, refresh=False)
                        bar.update(len(idx))
                logs = {k: v / len(x) for k, v in totals.items()}
                if validation_data is not None:
                    val = self.evaluate(x_val, validation_data[1])
                    logs.update({f"val_{k}": v for k, v in val.items()})
                    if verbose:
                        bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items()})
            for k, v in logs.items():
                self.history[k].append(v)
        return self.history

    def evaluate(self, x, y, batch_size=None):
        """{"loss": L(y, y_pred), "accuracy": ...} on (x, y), with the compiled loss and metrics."""
        self._check_compiled("evaluate")
        x = self._check_x(x)
        self._check_y(x, y)
        y_pred = self.predict(x, batch_size)
        results = {"loss": self.loss(y, y_pred)}
        if "accuracy" in self.metrics:
            results["accuracy"] = self._accuracy(y, y_pred)
        return results

    def _accuracy(self, y, y_pred):
        from_logits = isinstance(self.loss, _losses.BinaryCrossentropy) and self.loss.from_logits
        return accuracy(y, y_pred, from_logits)

    # --- checks ------------------------------------------------------------------------------------

    def _check_built(self, what):
        if not self.built:
            raise RuntimeError(f"the model is not built: call build(input_shape, seed) before {what}")

    def _check_compiled(self, what):
        if self.loss is None:
            raise RuntimeError(f"the model is not compiled: call compile(loss, optimizer) before {what}")

    def _check_x(self, x, name="x"):
        """`x` as a finite array of the model's dtype, shape (n, *input_shape)."""
        self._check_built("predict, fit or evaluate")
        return _layers.as_batch(x, self.input_shape, self.dtype, name)

    def _check_y(self, x, y, name="y"):
        """Raise if `y` does not hold one finite target per example of `x` that the loss accepts."""
        if isinstance(y, str) or np.asarray(y).dtype.kind not in "biuf":
            raise TypeError(f"{name} must be numeric, got {type(y).__name__}")
        y = np.asarray(y)
        if y.ndim == 0 or len(y) != len(x):
            raise ValueError(
                f"{name} must hold one target per example: x has {len(x)} examples, "
                f"{name} has shape {y.shape}"
            )
        placeholder = np.full((len(y), *self.output_shape()), 0.5, dtype=self.dtype)
        self.loss(y, placeholder)  # the loss's own checks: shape, labels, finiteness

    # --- Keras twin --------------------------------------------------------------------------------

    def to_keras(self):
        """A keras.Sequential with the same layers and weights (same dtype). If this model is
        compiled, the twin is compiled with the Keras twins of its loss, optimiser (fresh state)
        and metrics."""
        import keras

        self._check_built("to_keras")
        model = keras.Sequential([keras.Input(shape=self.input_shape, dtype=self.dtype.name),
                                  *(layer.to_keras() for layer in self.layers)])
        if self.loss is not None:
            model.compile(loss=self.loss.to_keras(dtype=self.dtype.name),
                          optimizer=self.optimizer.to_keras(), metrics=list(self.metrics))
        return model

    @classmethod
    def from_keras(cls, keras_model):
        """A built Sequential holding copies of the weights of a built keras.Sequential (or any
        Keras model whose layers form a chain of Dense/Activation layers)."""
        import keras

        if not isinstance(keras_model, keras.Model):
            raise TypeError(f"keras_model must be a keras.Model, got {type(keras_model).__name__}")
        if not keras_model.built or not keras_model.layers:
            raise ValueError("the Keras model must be built and hold layers (give it a keras.Input)")
        model = cls([_layers.from_keras(layer) for layer in keras_model.layers])
        dtype = keras_model.layers[0].variable_dtype
        model.build(tuple(keras_model.inputs[0].shape[1:]), dtype=dtype)
        for ours, theirs in zip(model.layers, keras_model.layers):
            ours.set_from_keras(theirs)
        return model


def keras_train_on_batches(keras_model, x, y, epochs=1, batch_size=32, shuffle=True, seed=0):
    """The Keras twin of `Sequential.fit`'s loop: `keras_model.train_on_batch` on the same
    mini-batches, in the same order. Returns the loss of every batch, (steps,) -- compare with
    `Sequential.batch_losses`."""
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(_positive_int(epochs, "epochs", minimum=0)):
        for idx in minibatches(len(x), batch_size, rng, shuffle):
            logs = keras_model.train_on_batch(x[idx], y[idx], return_dict=True)
            losses.append(logs["loss"])
    return np.array(losses)
