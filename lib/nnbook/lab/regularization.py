"""Chapter 8's experiment: one small MNIST task on which every regulariser is measured, in the
NumPy engine and in Keras.

The task: 500 training images of MNIST-5k at half resolution (14 x 14 = 196 pixels, `shrink`), a
validation set carved from the other training images, and an MLP 196-128-128-10 trained with
Adam (learning rate 3e-3). A *setting* is a dict naming what is switched on (all optional):

| key           | effect                                                              |
|---------------|---------------------------------------------------------------------|
| `l2`, `l1`    | `kernel_regularizer` L2(l2) / L1(l1) on every Dense kernel          |
| `dropout`     | a `Dropout(rate)` after every hidden layer                          |
| `batchnorm`   | Dense (no activation) -> `BatchNormalization` -> ReLU in every hidden layer |
| `shift`       | training batches shifted by up to `shift` pixels (augmentation)     |
| `patience`    | `EarlyStopping` on val_loss with this patience, best weights restored |

`mlp(setting, seed)` builds the NumPy model, `train` trains it; `keras_twin(setting, net)` is the
Keras model with the same layers and weights and `keras_train` trains it with Keras's own
`train_step`, one traced function per epoch. `run_seeds` trains one setting over several seeds
in both engines, reusing one Keras model (its weights and optimiser state reset for each seed).
"""

import concurrent.futures
from functools import partial

import numpy as np

from .. import _checks
from ..engine import augmentation, optimizers
from ..engine.callbacks import EarlyStopping
from ..engine.layers import Activation, BatchNormalization, Dense, Dropout
from ..engine.model import Sequential, minibatches
from ..engine.regularizers import L1, L2

IMAGE = (14, 14)
LEARNING_RATE = 3e-3  # Adam's, for every setting
KEYS = ("l2", "l1", "dropout", "batchnorm", "shift", "patience")


def shrink(x):
    """28 x 28 images to 14 x 14 by averaging 2 x 2 blocks. x: (n, 784) -> (n, 196)."""
    x = _checks.as_float_array(x, "x")
    if x.ndim != 2 or x.shape[1] != 784:
        raise ValueError(f"x must be flat 28 x 28 images, shape (n, 784), got shape {x.shape}")
    return x.reshape(-1, 14, 2, 14, 2).mean(axis=(2, 4)).reshape(len(x), 196)


def check_setting(setting):
    """The setting as a dict after checking its keys and values."""
    if not isinstance(setting, dict):
        raise TypeError(f"a setting must be a dict with keys from {KEYS}, got {_checks.describe(setting)}")
    unknown = sorted(set(setting) - set(KEYS))
    if unknown:
        raise ValueError(f"unknown setting keys {unknown}; known: {KEYS}")
    for key in ("l2", "l1"):
        if key in setting:
            _checks.number_in(setting[key], key, 0)
    if "dropout" in setting:
        _checks.number_in(setting["dropout"], "dropout", 0, 1, high_open=True)
    if "batchnorm" in setting:
        _checks.flag(setting["batchnorm"], "batchnorm")
    for key in ("shift", "patience"):
        if key in setting:
            _checks.positive_int(setting[key], key, minimum=0)
    return setting


def mlp(setting, seed=0, width=128, depth=2, inputs=196, dtype="float32", activation="relu",
        momentum=0.99):
    """The built NumPy model of a setting: `depth` hidden layers of `width` units (ReLU, or
    `activation`), then 10 softmax outputs; `momentum`: batch norm's, for its moving statistics.
    (n, inputs) -> (n, 10)."""
    s = check_setting(setting)
    penalty = L2(s["l2"]) if s.get("l2") else L1(s["l1"]) if s.get("l1") else None
    layers = []
    for _ in range(_checks.positive_int(depth, "depth")):
        if s.get("batchnorm"):
            layers += [Dense(width, kernel_regularizer=penalty), BatchNormalization(momentum=momentum),
                       Activation(activation)]
        else:
            layers.append(Dense(width, activation=activation, kernel_regularizer=penalty))
        if s.get("dropout"):
            layers.append(Dropout(s["dropout"]))
    layers.append(Dense(10, activation="softmax", kernel_regularizer=penalty))
    net = Sequential(layers)
    net.build((_checks.positive_int(inputs, "inputs"),), seed=seed, dtype=dtype)
    return net


def augmenter(setting):
    """The `augment` function of a setting for `fit` (None without `shift`)."""
    shift = check_setting(setting).get("shift", 0)
    return partial(augmentation.shift, max_shift=shift, shape=IMAGE) if shift else None


def train(setting, x, y, x_val, y_val, seed=0, epochs=30, batch_size=50, optimizer=None, **shape):
    """Train `mlp(setting, seed, **shape)` on (x, y) with `optimizer` (default Adam(3e-3)),
    validating on (x_val, y_val) after every epoch; the mini-batches are drawn with `seed`.
    Returns the trained model (its `history`)."""
    setting = check_setting(setting)
    net = mlp(setting, seed, inputs=np.shape(x)[1], dtype=np.asarray(x).dtype.name, **shape)
    net.compile("sparse_categorical_crossentropy", optimizer or optimizers.Adam(LEARNING_RATE))
    callbacks = ([EarlyStopping("val_loss", patience=setting["patience"], restore_best_weights=True)]
                 if "patience" in setting else [])
    net.fit(x, y, epochs=epochs, batch_size=batch_size, validation_data=(x_val, y_val), seed=seed,
            callbacks=callbacks, verbose=0, augment=augmenter(setting))
    return net


def keras_twin(setting, net):
    """A compiled keras.Sequential with the layers and weights of `net` (from `mlp(setting)`),
    led by Keras's RandomTranslation when the setting shifts its images."""
    import keras

    s = check_setting(setting)
    front = []
    if s.get("shift"):
        front = [keras.layers.Reshape((*IMAGE, 1)), augmentation.keras_shift(s["shift"], IMAGE),
                 keras.layers.Flatten()]
    model = keras.Sequential([keras.Input(net.input_shape, dtype=net.dtype.name), *front,
                              *(layer.to_keras() for layer in net.layers)])
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(dtype=net.dtype.name),
                  optimizer=keras.optimizers.Adam(LEARNING_RATE), metrics=["accuracy"])
    return model


def _keras_layers_with_weights(model):
    return [layer for layer in model.layers if layer.weights]


def keras_reset(model, net):
    """Give the Keras twin the weights of `net` and put its optimiser back to step 0."""
    ours = [layer for layer in net.layers if layer.get_weights()]
    for theirs, mine in zip(_keras_layers_with_weights(model), ours):
        theirs.set_weights(mine.get_weights())
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
        model._nnbook_fresh = [v.numpy() for v in model.optimizer.variables]
    for v, value in zip(model.optimizer.variables, model._nnbook_fresh):
        v.assign(value)


def keras_train(model, setting, x, y, x_val, y_val, seed=0, epochs=30, batch_size=50):
    """Train the compiled Keras `model` with its own `train_step`, on the mini-batches that
    `Sequential.fit(..., seed=seed)` draws (one traced function runs an epoch's steps), with
    keras.callbacks.EarlyStopping if the setting has a patience. Returns a History-like dict:
    per epoch "loss", "accuracy" (running means over the epoch, as Keras's fit reports them),
    "val_loss" (with the weight penalties, as Keras's evaluate) and "val_accuracy"."""
    import keras
    import tensorflow as tf

    setting = check_setting(setting)
    n, batch_size = len(x), _checks.positive_int(batch_size, "batch_size")
    if n % batch_size:
        raise ValueError(f"use a training set of whole batches: {n} examples, batch_size {batch_size}")
    if not hasattr(model, "_nnbook_epoch"):  # traced once per model, kept on it for the next seeds
        @tf.function
        def one_epoch(xb, yb):  # xb: (steps, batch, d), yb: (steps, batch)
            for i in tf.range(tf.shape(xb)[0]):
                model.train_step((xb[i], yb[i]))

        model._nnbook_epoch = one_epoch
        model._nnbook_predict = tf.function(lambda xs: model(xs, training=False))
    stop = None
    if "patience" in setting:
        stop = keras.callbacks.EarlyStopping("val_loss", patience=setting["patience"],
                                             restore_best_weights=True)
        stop.set_model(model)
        stop.on_train_begin()
    model.stop_training = False
    rng, log = np.random.default_rng(seed), {}
    for epoch in range(_checks.positive_int(epochs, "epochs")):
        order = np.concatenate(minibatches(n, batch_size, rng))
        model.reset_metrics()
        model._nnbook_epoch(tf.constant(x[order].reshape(n // batch_size, batch_size, -1)),
                            tf.constant(y[order].reshape(n // batch_size, batch_size)))
        logs = {k: float(v) for k, v in model.get_metrics_result().items()}
        p = np.asarray(model._nnbook_predict(tf.constant(x_val)))
        penalty = sum(float(r) for r in model.losses)
        val_loss = keras.losses.sparse_categorical_crossentropy(y_val, p).numpy().mean()
        logs["val_loss"] = float(val_loss) + penalty
        logs["val_accuracy"] = float(np.mean(np.argmax(p, axis=1) == y_val))
        for k, v in logs.items():
            log.setdefault(k, []).append(v)
        if stop is not None:
            stop.on_epoch_end(epoch, logs)
            if model.stop_training:
                break
    if stop is not None:
        stop.on_train_end()
    return log


def keras_accuracy(model, x, y):
    """Accuracy of a Keras model on (x, y), in inference mode."""
    return float(np.mean(np.argmax(np.asarray(model(x, training=False)), axis=1) == y))


def run_seeds(setting, x, y, x_val, y_val, seeds=(0, 1, 2), epochs=30, batch_size=50, keras=True):
    """Train one setting for every seed in the NumPy engine (and, with `keras`, in Keras from
    the same initial weights and batches). Returns {"numpy": [model, ...], "keras": [(History-like
    dict, weights), ...], "keras_model": the one Keras model}; evaluate on test data afterwards with
    `accuracies`. The Keras runs go in a second thread: TensorFlow runs each traced epoch without
    holding Python's lock, so both cores work (the NumPy engine keeps BLAS on one thread)."""
    setting = check_setting(setting)
    out = {"numpy": [], "keras": [], "keras_model": None}
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        twin_runs = pool.submit(_keras_seeds, setting, x, y, x_val, y_val, seeds, epochs, batch_size,
                                out) if keras else None
        out["numpy"] = [train(setting, x, y, x_val, y_val, seed, epochs, batch_size) for seed in seeds]
        if twin_runs is not None:
            twin_runs.result()  # re-raises what went wrong in the Keras runs
    return out


def _keras_seeds(setting, x, y, x_val, y_val, seeds, epochs, batch_size, out):
    """The Keras half of `run_seeds`: one twin model, reset to each seed's initial weights."""
    for seed in seeds:
        net = mlp(setting, seed, inputs=x.shape[1], dtype=x.dtype.name)  # the same initial weights
        if out["keras_model"] is None:
            out["keras_model"] = keras_twin(setting, net)
        model = out["keras_model"]
        keras_reset(model, net)
        log = keras_train(model, setting, x, y, x_val, y_val, seed, epochs, batch_size)
        out["keras"].append((log, model.get_weights()))


def accuracies(runs, x_test, y_test):
    """{"numpy": (seeds,) test accuracies, "keras": (seeds,)} of the models `run_seeds` trained."""
    acc = {"numpy": np.array([net.evaluate(x_test, y_test)["accuracy"] for net in runs["numpy"]])}
    if runs["keras"]:
        model = runs["keras_model"]
        keep = model.get_weights()
        scores = []
        for _, weights in runs["keras"]:
            model.set_weights(weights)
            scores.append(keras_accuracy(model, x_test, y_test))
        model.set_weights(keep)
        acc["keras"] = np.array(scores)
    return acc
