"""Chapter 10's convolution experiments on MNIST-5k: hand-made 3 x 3 kernels, the small CNN the
chapter trains (and `data/make_cnn_mnist5k.py` trains offline, shipping its weights), the
receptive field of a stack of layers measured by back-propagation, and the 1-D CNN for MNIST-1D
(`keras_cnn1d`, trained offline by `data/make_ch10_weights.py`).

The CNN, channels last, for 28 x 28 x 1 digits:

    Conv2D(16, 3x3, relu) -> MaxPooling2D(2) -> Conv2D(32, 3x3, relu) -> MaxPooling2D(2)
    -> Flatten -> Dense(64, relu) -> Dense(10, softmax)

26 x 26 x 16 -> 13 x 13 x 16 -> 11 x 11 x 32 -> 5 x 5 x 32 -> 800 -> 64 -> 10: 56,714 parameters.
It trains with Adam on a cosine-decayed learning rate, every training batch shifted by up to
`MAX_SHIFT` pixels (`augmentation.shift`; its Keras twin `keras.layers.RandomTranslation`).
"""

from functools import partial

import numpy as np

from .. import _checks
from ..engine import Conv2D, Dense, Flatten, MaxPooling2D, Sequential, augmentation, optimizers, schedules
from ..engine.layers import AveragePooling2D

IMAGE = (28, 28, 1)
MAX_SHIFT = 2

#: 3 x 3 kernels that a first convolution layer could learn, written by hand.
KERNELS = {
    "Sobel x": np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]),  # left-right change
    "Sobel y": np.array([[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]]),  # top-bottom change
    "blur": np.full((3, 3), 1.0 / 9.0),  # the mean of the 3 x 3 neighbourhood
}


def mnist_cnn(seed=0, dtype="float32"):
    """The chapter's CNN (module docstring), built for (n, 28, 28, 1) inputs with `seed`."""
    model = Sequential([
        Conv2D(16, 3, activation="relu"),
        MaxPooling2D(2),
        Conv2D(32, 3, activation="relu"),
        MaxPooling2D(2),
        Flatten(),
        Dense(64, activation="relu"),
        Dense(10, activation="softmax"),
    ])
    return model.build(IMAGE, seed=seed, dtype=dtype)


def compile_cnn(model, steps, learning_rate=5e-3):
    """Compile `model` for `steps` training steps: sparse categorical cross-entropy, Adam with
    its learning rate decayed from `learning_rate` to 0 along a cosine."""
    steps = _checks.positive_int(steps, "steps")
    learning_rate = _checks.number_in(learning_rate, "learning_rate", 0, low_open=True)
    return model.compile("sparse_categorical_crossentropy",
                         optimizers.Adam(schedules.CosineDecay(learning_rate, decay_steps=steps)))


def shift_augmentation(max_shift=MAX_SHIFT):
    """The `augment` of `fit`: every image moved by up to `max_shift` whole pixels each way."""
    return partial(augmentation.shift, max_shift=_checks.positive_int(max_shift, "max_shift", minimum=0))


def train_cnn(x, y, x_val, y_val, epochs, batch_size=32, learning_rate=5e-3, max_shift=MAX_SHIFT,
              seed=0, dtype="float32"):
    """A fresh `mnist_cnn(seed)` trained for `epochs` on (x, y) with shifted batches; the history
    records the validation accuracy per epoch. x: (n, 28, 28, 1). Returns the model."""
    x = _checks.as_float_array(x, "x")
    model = mnist_cnn(seed, dtype)
    epochs = _checks.positive_int(epochs, "epochs")
    batch_size = _checks.positive_int(batch_size, "batch_size")
    compile_cnn(model, epochs * -(-len(x) // batch_size), learning_rate)
    model.fit(x, y, epochs=epochs, batch_size=batch_size, validation_data=(x_val, y_val), seed=seed,
              verbose=0, augment=shift_augmentation(max_shift) if max_shift else None)
    return model


def keras_training_model(model, max_shift=MAX_SHIFT, seed=0):
    """A keras.Sequential for training `model`'s architecture in Keras: `RandomTranslation` (active
    in training only) in front of the Keras twins of its layers, with `model`'s current weights.
    Not compiled."""
    import keras

    front = [augmentation.keras_shift(max_shift, IMAGE, seed=seed)] if max_shift else []
    return keras.Sequential([keras.Input(IMAGE, dtype=model.dtype.name), *front,
                             *(layer.to_keras() for layer in model.layers)])


def fit_keras_cnn(x, y, epochs=12, batch_size=32, learning_rate=5e-3, seed=0):
    """`train_cnn`'s recipe in Keras: `keras_training_model` of a fresh `mnist_cnn(seed + 1)`,
    Adam on a cosine-decayed learning rate, batches shifted by up to MAX_SHIFT pixels.
    x: (n, 28, 28, 1), y: (n,) labels 0-9. Returns the trained model, compiled with accuracy."""
    import keras

    x = _checks.as_float_array(x, "x")
    if x.shape[1:] != IMAGE or np.shape(y) != x.shape[:1]:
        raise ValueError(f"fit_keras_cnn needs x of shape (n, 28, 28, 1) and y of shape (n,), "
                         f"got {x.shape} and {np.shape(y)}")
    epochs = _checks.positive_int(epochs, "epochs")
    batch_size = _checks.positive_int(batch_size, "batch_size")
    learning_rate = _checks.number_in(learning_rate, "learning_rate", 0, 1, low_open=True)
    keras.utils.set_random_seed(_checks.positive_int(seed, "seed", minimum=0))
    model = keras_training_model(mnist_cnn(seed=seed + 1), seed=seed)
    decay = keras.optimizers.schedules.CosineDecay(learning_rate, epochs * -(-len(x) // batch_size))
    model.compile(keras.optimizers.Adam(decay), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0)
    return model


def keras_cnn1d(seed=0):
    """The chapter's 1-D CNN for MNIST-1D, compiled (Adam 2e-3): (n, 40, 1) -> (n, 10)
    probabilities. Three 'same' convolutions of 64 filters (5, 5, 3 taps, ReLU), 2x max pooling
    after the first two, then a softmax layer: 39,690 parameters."""
    import keras

    keras.utils.set_random_seed(_checks.positive_int(seed, "seed", minimum=0))
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((40, 1)),
        layers.Conv1D(64, 5, padding="same", activation="relu"), layers.MaxPooling1D(2),
        layers.Conv1D(64, 5, padding="same", activation="relu"), layers.MaxPooling1D(2),
        layers.Conv1D(64, 3, padding="same", activation="relu"),
        layers.Flatten(), layers.Dense(10, activation="softmax"),
    ])
    model.compile(keras.optimizers.Adam(2e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def receptive_field_by_gradient(layers, size=96):
    """Measure the receptive field of `layers` (a list of (kernel, stride); kernel 2 with stride 2
    is a 2 x 2 average pool, anything else a one-filter convolution of all-one weights) along one
    axis: back-propagate a 1 from the centre unit of the top layer to a (size, size) input and
    count the rows that receive a nonzero gradient."""
    if not isinstance(layers, (list, tuple)) or not layers:
        raise ValueError(f"layers must be a non-empty list of (kernel, stride) pairs, got {layers!r}")
    size = _checks.positive_int(size, "size", minimum=4)
    stack = [AveragePooling2D(2) if (k, s) == (2, 2) else
             Conv2D(1, k, strides=s, kernel_initializer=lambda shape, rng: np.ones(shape))
             for k, s in layers]
    net = Sequential(stack).build((size, size, 1), seed=0)
    y = net.forward(np.ones((1, size, size, 1)))
    dy = np.zeros_like(y)
    dy[0, y.shape[1] // 2, y.shape[2] // 2, 0] = 1.0
    rows = np.flatnonzero(np.abs(net.backward(dy)[0, :, :, 0]).sum(axis=1))
    return int(rows.max() - rows.min() + 1)
