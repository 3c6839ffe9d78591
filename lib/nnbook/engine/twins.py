"""The Keras side of the engine, in one place: which Keras layer is whose twin, and the plumbing
that proves a NumPy model and its Keras twin compute the same thing.

* `KERAS_TWINS`: Keras class name -> nnbook class, an explicit table; `from_keras(layer)` uses it.
* `gradients(keras_model, loss, x, y)`: the loss and its gradient for every trainable weight of a
  Keras model, by `tf.GradientTape`.
* `layer_gradients(keras_layer, x, dy)`: a Keras layer's output y and the vector-Jacobian products
  dy -> dL/dx and dL/dweight (L = sum(y * dy)), what a layer's `backward(dy)` computes.
* `fit_same_batches(keras_model, x, y, ...)`: `train_on_batch` on exactly the mini-batches that
  `Sequential.fit(..., seed=seed)` uses, in the same order, with per-epoch validation.
* `max_weight_difference(model, keras_model)`: the largest relative difference between twins' weights.

Keras and TensorFlow are imported inside these functions only: `import nnbook` never imports them.
"""

import numpy as np

from .. import _checks
from .gradcheck import relative_error
from .layers import attention as _attn
from .layers import convolution as _conv
from .layers import pooling as _pool
from .layers import recurrent as _rnn
from .layers.core import Activation, Dense, Embedding, Flatten
from .layers.normalization import BatchNormalization, LayerNormalization
from .layers.regularization import Dropout
from .model import Sequential, minibatches

#: Keras class name -> the nnbook layer class that is its twin.
KERAS_TWINS = {"Dense": Dense, "Activation": Activation, "Flatten": Flatten, "Sequential": Sequential,
               "BatchNormalization": BatchNormalization, "LayerNormalization": LayerNormalization,
               "Dropout": Dropout}
KERAS_TWINS.update({cls.keras_class: cls for cls in (  # convolution and pooling (chapter 10)
    _conv.Conv2D, _conv.Conv1D, _pool.MaxPooling2D, _pool.AveragePooling2D, _pool.GlobalAveragePooling2D,
    _pool.MaxPooling1D, _pool.AveragePooling1D, _pool.GlobalAveragePooling1D)})
KERAS_TWINS.update({cls.keras_class: cls for cls in (  # sequences (chapter 11)
    Embedding, _rnn.SimpleRNN, _rnn.LSTM, _rnn.GRU)})
KERAS_TWINS["MultiHeadAttention"] = _attn.MultiHeadAttention  # attention (chapter 13)


def from_keras(keras_layer):
    """The unbuilt nnbook layer configured like `keras_layer` (build it, then `set_from_keras`
    to copy the weights; `Sequential.from_keras` does both)."""
    kind = type(keras_layer).__name__
    if kind not in KERAS_TWINS:
        raise ValueError(f"no nnbook layer for keras.layers.{kind}; known: {', '.join(sorted(KERAS_TWINS))}")
    return KERAS_TWINS[kind].from_keras(keras_layer)


def gradients(keras_model, loss, x, y):
    """(loss value, [dL/dw for w in keras_model.trainable_weights]) for the Keras loss `loss`
    (a keras.losses object or function) on the batch (x, y), by `tf.GradientTape`."""
    import tensorflow as tf

    with tf.GradientTape() as tape:
        value = loss(y, keras_model(x, training=True))
    grads = tape.gradient(value, keras_model.trainable_weights)
    return float(value), [np.asarray(g) for g in grads]


def layer_gradients(keras_layer, x, dy, training=False):
    """(y, dL/dx, {weight name: dL/dweight}) of `keras_layer` called on x (in `training` mode), for
    L = sum(y * dy), by `tf.GradientTape`: the Keras side of a layer's forward and backward."""
    import tensorflow as tf

    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = keras_layer(xt, training=training)
        loss = tf.reduce_sum(y * tf.constant(dy, dtype=y.dtype))
    grads = tape.gradient(loss, [xt, *keras_layer.trainable_weights])
    return np.asarray(y), np.asarray(grads[0]), {
        v.name: np.asarray(g) for v, g in zip(keras_layer.trainable_weights, grads[1:])}


def fit_same_batches(keras_model, x, y, epochs=1, batch_size=32, shuffle=True, seed=0,
                     validation_data=None):
    """Train a compiled Keras model with `train_on_batch` on the mini-batches `Sequential.fit`
    draws with the same `seed`, in the same order. Returns {"batch_losses": (steps,) array} and,
    with `validation_data`, "val_loss" (and "val_<metric>") per epoch, like a History.
    The metrics are reset before every batch: Keras before 3.15 reports the running mean of the
    losses of all batches since the last reset, not the batch's own loss."""
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    import keras

    rng = np.random.default_rng(seed)
    log = {"batch_losses": []}
    running_mean = tuple(int(v) for v in keras.__version__.split(".")[:2]) < (3, 15)
    for _ in range(_checks.positive_int(epochs, "epochs", minimum=0)):
        for idx in minibatches(len(x), batch_size, rng, shuffle):
            if running_mean:  # before 3.15, train_on_batch reports the mean since the last reset
                keras_model.reset_metrics()
            logs = keras_model.train_on_batch(x[idx], y[idx], return_dict=True)
            log["batch_losses"].append(logs["loss"])
        if validation_data is not None:
            for k, v in _keras_evaluate(keras_model, *validation_data, "accuracy" in logs).items():
                log.setdefault(f"val_{k}", []).append(v)
    log["batch_losses"] = np.array(log["batch_losses"], dtype=np.float64)
    return log


def _keras_evaluate(keras_model, x, y, with_accuracy):
    """{"loss": ..., "accuracy": ...} of a compiled Keras model on (x, y) in one eager call (no
    traced function to build, unlike `evaluate`); the accuracy chosen from the shapes as Keras's
    "accuracy" is."""
    import keras

    y_pred = keras_model(x, training=False)
    penalties = sum(float(r) for r in keras_model.losses)  # weight penalties: evaluate adds them
    results = {"loss": float(keras_model.loss(y, y_pred)) + penalties}
    if with_accuracy:
        if y_pred.shape[-1] == 1:
            fn = keras.metrics.binary_accuracy
        elif np.ndim(y) == len(y_pred.shape):
            fn = keras.metrics.categorical_accuracy
        else:
            fn = keras.metrics.sparse_categorical_accuracy
        results["accuracy"] = float(keras.ops.mean(fn(y, y_pred)))
    return results


def max_weight_difference(model, keras_model):
    """The largest `relative_error` between the weights of an nnbook model (or layer) and its
    Keras twin, compared in `get_weights()` order."""
    ours, theirs = model.get_weights(), keras_model.get_weights()
    if len(ours) != len(theirs):
        raise ValueError(f"the models hold {len(ours)} and {len(theirs)} weight arrays: not twins")
    return max(relative_error(a, b) for a, b in zip(ours, theirs))
