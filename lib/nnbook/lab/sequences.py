"""Recurrent networks at work (chapter 11): gradients through time, long memory, forecasting a
series and modelling characters.

* Gradients through time: `spectral_radius`, `with_spectral_radius` (rescale a recurrent kernel),
  `input_gradient_norms(layer, x)`: ||dh_T/dx_t|| for every step t by the layer's own BPTT, and
  its twin `keras_input_gradient_norms` by `tf.GradientTape`.
* Long memory: `recall_task(n, steps, symbols, seed)`, a symbol shown at the first step must be
  named at the last, after `steps - 1` distractors; `memory_model(kind, ...)` builds the
  SimpleRNN / LSTM / GRU classifier for it, its gates opened at the start (`open_gates`).
* Classifying sequences: `mnist1d_gru` (a GRU reading MNIST-1D one value per step, ten logits
  from h_T), `train_mnist1d_gru` (its recipe, which `data/make_ch11_gru.py` runs) and
  `accuracy_by_step` (the classifier's accuracy from h_t, t = 1..T, as the sequence is read).
* Forecasting: `windows`, `chronological_split`, `Standardizer` (fitted on the training part
  only), the baselines `persistence` and `fit_ar` / `predict_ar` (a linear autoregression by
  least squares), and `rmse`.
* Characters: `Vocabulary` (characters <-> ids), `next_char_windows`, the baselines
  `unigram_nats` / `bigram_nats` (nats per character on held-out text), `with_temperature` and
  `generate` (sampling from a character model one step at a time, state carried).

Keras is imported only inside `keras_*` functions.
"""

import numpy as np

from .. import _checks
from ..engine import GRU, LSTM, Dense, Sequential, SimpleRNN, losses, optimizers, schedules

CELLS = {"SimpleRNN": SimpleRNN, "LSTM": LSTM, "GRU": GRU}


# --- gradients through time ----------------------------------------------------------------------


def spectral_radius(U):
    """The largest |eigenvalue| of a square matrix U: (u, u) -> float."""
    U = _square(U)
    return float(np.max(np.abs(np.linalg.eigvals(U))))


def with_spectral_radius(U, radius):
    """U rescaled so that its spectral radius is `radius` (> 0): (u, u) -> (u, u)."""
    U = _square(U)
    radius = _checks.number_in(radius, "radius", 0, low_open=True)
    return U * (radius / spectral_radius(U))


def _square(U):
    U = _checks.as_float_array(U, "U")
    if U.ndim != 2 or U.shape[0] != U.shape[1] or U.shape[0] == 0:
        raise ValueError(f"U must be a square matrix (u, u), got shape {U.shape}")
    return U


def input_gradient_norms(layer, x):
    """||dh_T / dx_t|| (Frobenius norm of the Jacobian) for t = 1..T, by the layer's own BPTT.

    layer: a built SimpleRNN, LSTM or GRU returning h_T (return_sequences=False); x: (n, T, d).
    The u rows of the Jacobian come from u backward passes at once: every sequence is repeated
    u times and the k-th copy sends back the unit vector e_k. Returns (T,): the root mean square
    over the n sequences of the norms, the first step first.
    """
    _check_recurrent(layer)
    x = layer.check_input(x, "x")
    n, T, d = x.shape
    u = layer.units
    copies = np.repeat(x, u, axis=0)  # (n u, T, d): sequence i, copy k at row i u + k
    layer.forward(copies)
    dy = np.tile(np.eye(u, dtype=x.dtype), (n, 1))  # copy k asks for the row of unit k
    dx = layer.backward(dy).reshape(n, u, T, d)
    norms = np.sqrt(np.sum(dx**2, axis=(1, 3)))  # (n, T)
    return np.sqrt(np.mean(norms**2, axis=0))


def _check_recurrent(layer):
    if not isinstance(layer, tuple(CELLS.values())):
        raise TypeError(f"layer must be an nnbook SimpleRNN, LSTM or GRU, got {_checks.describe(layer)}")
    layer.check_built("measuring its gradients")
    if layer.return_sequences:
        raise ValueError("layer must return h_T only (return_sequences=False)")


def keras_input_gradient_norms(keras_layer, x):
    """The twin of `input_gradient_norms` for a built Keras recurrent layer, by
    `tf.GradientTape.batch_jacobian`: x: (n, T, d) -> (T,)."""
    import tensorflow as tf

    x = tf.constant(np.asarray(x))
    with tf.GradientTape() as tape:
        tape.watch(x)
        h = keras_layer(x)
    jac = tape.batch_jacobian(h, x).numpy()  # (n, u, T, d)
    norms = np.sqrt(np.sum(jac**2, axis=(1, 3)))
    return np.sqrt(np.mean(norms**2, axis=0))


# --- long memory: a recall task --------------------------------------------------------------------


def recall_task(n, steps=30, symbols=4, seed=0, dtype="float32"):
    """n sequences of `steps` one-hot vectors over 2 symbols + 1 channels: step 1 shows one of
    `symbols` symbols (channels 0..symbols-1), the symbol to remember; steps 2..T-1 show random
    distractors from another alphabet of as many (the next `symbols` channels); step T lights the
    last channel, the question. The label is the first symbol, so guessing scores 1 / symbols.
    Returns x: (n, steps, 2 symbols + 1) and y: (n,) int64."""
    n = _checks.positive_int(n, "n")
    steps = _checks.positive_int(steps, "steps", minimum=2)
    symbols = _checks.positive_int(symbols, "symbols", minimum=2)
    rng = np.random.default_rng(_checks.positive_int(seed, "seed", minimum=0))
    dtype = _checks.float_dtype(dtype)
    y = rng.integers(0, symbols, size=n)
    distractors = symbols + rng.integers(0, symbols, size=(n, steps - 2))
    x = np.zeros((n, steps, 2 * symbols + 1), dtype)
    x[np.arange(n), 0, y] = 1.0
    x[np.arange(n)[:, None], np.arange(1, steps - 1)[None, :], distractors] = 1.0
    x[:, -1, 2 * symbols] = 1.0
    return x, y.astype(np.int64)


def open_gates(layer, bias):
    """Start a gated layer with its memory open: LSTM forget-gate bias, GRU update-gate bias set
    to `bias` (sigma(bias) of the old state kept per step). Returns the layer."""
    if not isinstance(layer, (LSTM, GRU)):
        raise TypeError(f"layer must be an nnbook LSTM or GRU, got {_checks.describe(layer)}")
    layer.check_built("opening its gates")
    bias = _checks.number_in(bias, "bias", -20, 20)
    u = layer.units
    if isinstance(layer, LSTM):  # blocks i, f, g, o
        layer.params["bias"][u:2 * u] = bias
    else:  # blocks z, r, h on the input row of the bias
        layer.params["bias"][0, :u] = bias
    return layer


def memory_model(kind, input_shape, classes, units=32, gate_bias=None, seed=0, dtype="float64"):
    """Sequential([kind(units), Dense(classes, softmax)]) built for inputs (T, d); kind one of
    "SimpleRNN", "LSTM", "GRU"; `gate_bias`: `open_gates` for LSTM and GRU (None: Keras's start).
    (n, T, d) -> (n, classes)."""
    kind = _checks.one_of(kind, "kind", tuple(CELLS))
    classes = _checks.positive_int(classes, "classes", minimum=2)
    model = Sequential([CELLS[kind](_checks.positive_int(units, "units")),
                        Dense(classes, activation="softmax")])
    model.build(_checks.shape(input_shape), seed=seed, dtype=dtype)
    if gate_bias is not None and kind != "SimpleRNN":
        open_gates(model.layers[0], gate_bias)
    return model


# --- classifying sequences: MNIST-1D ------------------------------------------------------------------

MNIST1D_LENGTH = 40  # values per MNIST-1D signal, read one per step


def mnist1d_gru(units=64, seed=0, dtype="float32"):
    """Chapter 11's MNIST-1D classifier, Sequential([GRU(units), Dense(10)]) built for inputs
    (40, 1): one value per step, ten logits from h_T. (n, 40, 1) -> (n, 10)."""
    model = Sequential([GRU(_checks.positive_int(units, "units")), Dense(10)])
    return model.build((MNIST1D_LENGTH, 1), seed=seed, dtype=dtype)


def train_mnist1d_gru(x, y, x_val, y_val, epochs=40, batch_size=32, learning_rate=0.01, seed=0):
    """A fresh float32 `mnist1d_gru(seed=seed)` trained on (x, y), x: (n, 40, 1): Adam on a
    cosine schedule from `learning_rate` down to 0, cross-entropy from the logits, mini-batches
    drawn with `seed`. Its history has the validation accuracy per epoch. Returns the model."""
    epochs = _checks.positive_int(epochs, "epochs")
    batch_size = _checks.positive_int(batch_size, "batch_size")
    learning_rate = _checks.number_in(learning_rate, "learning_rate", 0, low_open=True)
    model = mnist1d_gru(seed=seed)
    steps = epochs * -(-len(x) // batch_size)
    model.compile(losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizers.Adam(schedules.CosineDecay(learning_rate, steps)))
    model.fit(x, y, epochs=epochs, batch_size=batch_size, validation_data=(x_val, y_val),
              seed=seed, verbose=0)
    return model


def accuracy_by_step(model, x, y):
    """How a sequence classifier's answer forms as it reads: the accuracy of its output layer
    applied to h_t instead of h_T, for t = 1..T. model: a built Sequential([SimpleRNN, LSTM or
    GRU returning h_T, Dense]); x: (n, T, d); y: (n,) class ids. Returns (T,)."""
    if not isinstance(model, Sequential) or len(model.layers) != 2 or not isinstance(
            model.layers[1], Dense):
        raise TypeError(f"model must be a built Sequential([recurrent layer, Dense]), got "
                        f"{_checks.describe(model)}")
    rnn, head = model.layers
    _check_recurrent(rnn)
    x = rnn.check_input(x, "x")
    y = np.asarray(y)
    if y.shape != (len(x),) or y.dtype.kind not in "iu":
        raise ValueError(f"y must be {len(x)} integer class ids, got {_checks.describe(y)}")
    n, T, _ = x.shape
    rnn.return_sequences = True  # every h_t, for this pass only
    try:
        hs = rnn.forward(x)
    finally:
        rnn.return_sequences = False
    logits = head.forward(hs.reshape(n * T, -1)).reshape(n, T, -1)
    return np.mean(logits.argmax(axis=-1) == y[:, None], axis=0)


# --- forecasting a series ----------------------------------------------------------------------------


def windows(series, width):
    """Every run of `width` consecutive values and the value after it: series (N,) ->
    x: (N - width, width), y: (N - width,)."""
    series = _checks.as_float_array(series, "series")
    width = _checks.positive_int(width, "width")
    if series.ndim != 1 or len(series) <= width:
        raise ValueError(f"series must be 1-D and longer than width={width}, got shape {series.shape}")
    idx = np.arange(len(series) - width)[:, None] + np.arange(width)[None, :]
    return series[idx], series[width:]


def chronological_split(n, fractions=(0.7, 0.15)):
    """Index slices (train, validation, test) of n examples in time order: the first fractions[0],
    then fractions[1], then the rest. No shuffling: the model never sees the future."""
    n = _checks.positive_int(n, "n", minimum=3)
    if not isinstance(fractions, (tuple, list)) or len(fractions) != 2:
        raise ValueError(f"fractions must be a pair (train, validation), got {fractions!r}")
    a, b = (_checks.number_in(f, "fraction", 0, 1, low_open=True, high_open=True) for f in fractions)
    if a + b >= 1:
        raise ValueError(f"fractions {a:g} + {b:g} must leave something for the test part")
    i, j = int(round(n * a)), int(round(n * (a + b)))
    if not 0 < i < j < n:
        raise ValueError(f"fractions {fractions} of {n} examples leave an empty part")
    return slice(0, i), slice(i, j), slice(j, n)


class Standardizer:
    """z = (v - mean) / std with mean and std of the data it is fitted on (the training part)."""

    def __init__(self, values):
        values = _checks.as_float_array(values, "values")
        if values.size < 2:
            raise ValueError(f"need at least 2 values to fit a standardizer, got {values.size}")
        self.mean, self.std = float(values.mean()), float(values.std())
        if self.std == 0:
            raise ValueError("the values are all equal: their std is 0")

    def __call__(self, v):
        return (np.asarray(v) - self.mean) / self.std

    def inverse(self, z):
        return np.asarray(z) * self.std + self.mean


def persistence(x):
    """Tomorrow as today: the last value of each window. x: (n, width) -> (n,)."""
    x = _windows_x(x)
    return x[:, -1]


def fit_ar(x, y):
    """A linear autoregression y ~ x a + c by least squares: x: (n, p), y: (n,) -> coef (p + 1,),
    the p weights then the intercept c."""
    x = _windows_x(x)
    y = _checks.as_float_array(y, "y")
    if y.shape != (len(x),):
        raise ValueError(f"y must have shape ({len(x)},) like the windows, got {y.shape}")
    design = np.column_stack([x, np.ones(len(x))])
    return np.linalg.lstsq(design, y, rcond=None)[0]


def predict_ar(coef, x):
    """The autoregression's one-step forecasts: coef (p + 1,), x: (n, p) -> (n,)."""
    x = _windows_x(x)
    coef = _checks.as_float_array(coef, "coef")
    if coef.shape != (x.shape[1] + 1,):
        raise ValueError(f"coef must have shape ({x.shape[1] + 1},) for windows of {x.shape[1]}, "
                         f"got {coef.shape}")
    return x @ coef[:-1] + coef[-1]


def _windows_x(x):
    x = _checks.as_float_array(x, "x")
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"x must be windows (n, width) with n >= 1, got shape {x.shape}")
    return x


def rmse(y, y_pred):
    """The root mean squared error: y, y_pred (n,) -> float."""
    y, y_pred = _checks.as_float_array(y, "y"), _checks.as_float_array(y_pred, "y_pred")
    if y.shape != y_pred.shape:
        raise ValueError(f"y and y_pred must have one shape, got {y.shape} and {y_pred.shape}")
    return float(np.sqrt(np.mean((y - y_pred) ** 2)))


# --- characters ----------------------------------------------------------------------------------


class Vocabulary:
    """The characters of a text, sorted, and the maps character <-> id."""

    def __init__(self, text):
        if not isinstance(text, str) or not text:
            raise TypeError(f"text must be a non-empty string, got {_checks.describe(text)}")
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self):
        return len(self.chars)

    def encode(self, text):
        """str -> (len,) int64 ids; every character must be in the vocabulary."""
        unknown = sorted(set(text) - self.index.keys())
        if unknown:
            raise ValueError(f"characters not in the vocabulary: {unknown[:10]}")
        return np.array([self.index[c] for c in text], dtype=np.int64)

    def decode(self, ids):
        """ids -> str."""
        return "".join(self.chars[int(i)] for i in np.asarray(ids).ravel())


def next_char_windows(ids, length, stride=None):
    """Inputs and next-character targets for a character model: windows x = ids[s:s+length] and
    y = ids[s+1:s+length+1] for s = 0, stride, 2 stride, ... (stride defaults to length).
    ids (N,) -> x, y: (n, length) int64."""
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise TypeError(f"ids must be a 1-D integer array, got {_checks.describe(ids)}")
    length = _checks.positive_int(length, "length")
    stride = length if stride is None else _checks.positive_int(stride, "stride")
    starts = np.arange(0, len(ids) - length, stride)
    if len(starts) == 0:
        raise ValueError(f"{len(ids)} ids give no window of length {length} plus its next character")
    idx = starts[:, None] + np.arange(length)[None, :]
    return ids[idx].astype(np.int64), ids[idx + 1].astype(np.int64)


def _check_ids(ids, name, size):
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.dtype.kind not in "iu" or len(ids) < 2:
        raise TypeError(f"{name} must be a 1-D integer array of at least 2 ids, got {_checks.describe(ids)}")
    if ids.min() < 0 or ids.max() >= size:
        raise ValueError(f"{name} must hold ids in [0, {size}), got {ids.min()}..{ids.max()}")
    return ids


def unigram_nats(train, val, size, alpha=1.0):
    """Held-out cross-entropy (nats per character) of character frequencies counted on `train`
    (add-`alpha` smoothing): every character of `val` predicted with no context. -> float."""
    size = _checks.positive_int(size, "size")
    train, val = _check_ids(train, "train", size), _check_ids(val, "val", size)
    alpha = _checks.number_in(alpha, "alpha", 0, low_open=True)
    counts = np.bincount(train, minlength=size) + alpha
    logp = np.log(counts / counts.sum())
    return float(-logp[val].mean())


def bigram_nats(train, val, size, alpha=0.1):
    """Held-out cross-entropy (nats per character) of p(next | previous) counted on `train`
    (add-`alpha` smoothing per row), over the characters of `val` after its first. -> float."""
    size = _checks.positive_int(size, "size")
    train, val = _check_ids(train, "train", size), _check_ids(val, "val", size)
    alpha = _checks.number_in(alpha, "alpha", 0, low_open=True)
    counts = np.full((size, size), alpha)
    np.add.at(counts, (train[:-1], train[1:]), 1.0)
    logp = np.log(counts / counts.sum(axis=1, keepdims=True))
    return float(-logp[val[:-1], val[1:]].mean())


def with_temperature(p, temperature):
    """The distribution p ** (1 / temperature), renormalised: temperature < 1 sharpens it, > 1
    flattens it. p: (..., k) probabilities -> (..., k)."""
    p = _checks.as_float_array(p, "p")
    temperature = _checks.number_in(temperature, "temperature", 0, low_open=True)
    logits = np.log(np.clip(p, 1e-300, None)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    q = np.exp(logits)
    return q / q.sum(axis=-1, keepdims=True)


def generate(model, vocab, prompt, n, temperature=1.0, seed=0):
    """Sample n characters after `prompt` from a character model, one step at a time.

    model: a built Sequential [Embedding, LSTM/GRU/SimpleRNN (return_sequences), Dense(softmax)];
    the recurrent layer's state is carried from step to step, so each new character costs one
    cell step. Returns (text, probs): the n sampled characters and the model's distributions
    (before the temperature) they were drawn from, (n, len(vocab)).
    """
    if not isinstance(model, Sequential) or len(model.layers) != 3:
        raise TypeError("model must be a built Sequential([Embedding, recurrent layer, Dense])")
    embedding, cell, head = model.layers
    _checks.positive_int(n, "n")
    if not isinstance(prompt, str) or not prompt:
        raise ValueError("prompt must be a non-empty string")
    rng = np.random.default_rng(_checks.positive_int(seed, "seed", minimum=0))
    ids = vocab.encode(prompt)
    E, dtype = embedding.params["embeddings"], model.dtype
    state = tuple(np.zeros((1, cell.units), dtype) for _ in range(cell.state_size))
    out, probs = [], []
    for k in range(len(ids) + n - 1):
        current = ids[k] if k < len(ids) else out[-1]
        xw = E[current][None] @ cell.params["kernel"] + cell.input_bias()
        state, _ = cell.step(xw, state)
        if k >= len(ids) - 1:
            p = head.forward(state[0])[0]
            probs.append(p)
            out.append(int(rng.choice(len(p), p=with_temperature(p, temperature))))
    return vocab.decode(out), np.array(probs)
