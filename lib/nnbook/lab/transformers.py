"""A small transformer that learns an algorithm (chapter 13): sorting short sequences of digits,
and chapter 11's LSTM on the same task and budget.

* The task: `sort_task(n, length, vocab, seed)`, random sequences and their sorted copies;
  `held_out_split`, training and held-out sequences that never coincide (`sequence_ids` names a
  sequence by one integer, which is how the split tells sequences apart).
* The models: `transformer_sorter` (encoder-style: Embedding -> PositionEmbedding ->
  TransformerBlock x blocks -> LayerNormalization -> Dense(vocab), no causal mask, so every output
  position sees the whole input) and `lstm_sorter` (Embedding -> LSTM(return_sequences) ->
  Dense(vocab)), which reads the sequence before it answers (`read_then_answer`): an LSTM that
  had to write position t after reading only t + 1 inputs could not know the smallest digit at
  position 0.
* Measuring: `exact_match` (share of sequences right at every position), the callback
  `ExactMatch` (that share on held-out sequences after every epoch, optionally stopping at a
  target) and `attention_maps` (every block's attention weights, for plotting).

Everything here runs on the NumPy engine; there is no Keras in this module.
"""

import numpy as np

from .. import _checks
from ..engine import (
    LSTM,
    Dense,
    Embedding,
    LayerNormalization,
    PositionEmbedding,
    Sequential,
    TransformerBlock,
    losses,
    optimizers,
    schedules,
)
from ..engine.callbacks import Callback

MAX_SEQUENCES = 2**62  # vocab**length must stay below this for `sequence_ids` to fit an int64


# --- the task -------------------------------------------------------------------------------------


def _task_size(length, vocab):
    length = _checks.positive_int(length, "length", minimum=2)
    vocab = _checks.positive_int(vocab, "vocab", minimum=2)
    return length, vocab


def sort_task(n, length=6, vocab=3, seed=0):
    """n random sequences of `length` digits in [0, vocab) and their sorted copies (ascending):
    inputs (n, length) int64, targets (n, length) int64. Sequences may repeat."""
    n = _checks.positive_int(n, "n")
    length, vocab = _task_size(length, vocab)
    rng = _checks.generator(seed)
    inputs = rng.integers(0, vocab, size=(n, length))
    return inputs, np.sort(inputs, axis=1)


def _check_ids(inputs, vocab, name="inputs"):
    """`inputs` as an int64 array (n, length) of digits in [0, vocab)."""
    arr = np.asarray(inputs)
    if arr.dtype.kind not in "iu" or arr.ndim != 2 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty integer array (n, length), got "
                         f"{_checks.describe(arr)}")
    if arr.min() < 0 or arr.max() >= vocab:
        raise ValueError(f"{name} must hold digits in [0, {vocab - 1}] (vocab {vocab}), got values "
                         f"from {arr.min()} to {arr.max()}")
    return arr.astype(np.int64)


def sequence_ids(inputs, vocab):
    """Each sequence read as a number in base `vocab`, the first digit most significant:
    (n, length) digits -> (n,) int64, distinct for distinct sequences. vocab**length < 2**62."""
    vocab = _checks.positive_int(vocab, "vocab", minimum=2)
    inputs = _check_ids(inputs, vocab)
    if vocab ** inputs.shape[1] >= MAX_SEQUENCES:
        raise ValueError(f"vocab**length must be below 2**62 to name sequences by int64s, got "
                         f"{vocab}**{inputs.shape[1]}")
    weights = vocab ** np.arange(inputs.shape[1] - 1, -1, -1, dtype=np.int64)
    return inputs @ weights


def _digits(ids, length, vocab):
    """The inverse of `sequence_ids`: (n,) -> (n, length)."""
    return (ids[:, None] // vocab ** np.arange(length - 1, -1, -1, dtype=np.int64)) % vocab


def held_out_split(n_train, n_held, length=6, vocab=3, seed=0):
    """((x_train, y_train), (x_held, y_held)) for the sorting task, no held-out sequence ever
    appearing in training. How: `n_held` *distinct* sequences are drawn first (uniformly, without
    replacement, among all vocab**length); then `n_train` training sequences are drawn uniformly,
    and every draw equal to a held-out sequence (same `sequence_ids`) is drawn again. Training
    sequences may repeat among themselves. Cut the held-out part in two for validation and test
    (both are then unseen in training and distinct from each other). x: (n, length) int64,
    y = the sorted x."""
    n_train = _checks.positive_int(n_train, "n_train")
    n_held = _checks.positive_int(n_held, "n_held")
    length, vocab = _task_size(length, vocab)
    if vocab**length >= MAX_SEQUENCES:
        raise ValueError(f"vocab**length must be below 2**62, got {vocab}**{length}")
    space = vocab**length
    if n_held > space // 2:
        raise ValueError(f"n_held must be at most half of the {space} possible sequences "
                         f"({space // 2}), so that training has sequences left, got {n_held}")
    rng = _checks.generator(seed)
    if space <= 2**20:
        held = rng.choice(space, size=n_held, replace=False)
    else:  # too many sequences to permute: draw, keep the first copy of each, until enough
        held = np.empty(0, dtype=np.int64)
        while len(held) < n_held:
            more = np.concatenate([held, rng.integers(0, space, size=2 * (n_held - len(held)))])
            _, first = np.unique(more, return_index=True)
            held = more[np.sort(first)][:n_held]
    train = rng.integers(0, space, size=n_train)
    clash = np.isin(train, held)
    while clash.any():  # redraw the training sequences that are held out
        train[clash] = rng.integers(0, space, size=int(clash.sum()))
        clash = np.isin(train, held)
    x_train, x_held = _digits(train, length, vocab), _digits(held.astype(np.int64), length, vocab)
    return (x_train, np.sort(x_train, axis=1)), (x_held, np.sort(x_held, axis=1))


# --- the models -----------------------------------------------------------------------------------


def _compiled(model, input_shape, learning_rate, decay_steps, seed, dtype):
    """`model` built for `input_shape` and compiled: cross-entropy from the logits, Adam at
    `learning_rate`, decayed to 0 along a cosine over `decay_steps` steps if that is not None."""
    rate = _checks.number_in(learning_rate, "learning_rate", 0, low_open=True)
    if decay_steps is not None:
        rate = schedules.CosineDecay(rate, _checks.positive_int(decay_steps, "decay_steps"))
    model.build(input_shape, seed=seed, dtype=dtype)
    model.compile(losses.SparseCategoricalCrossentropy(from_logits=True), optimizers.Adam(rate))
    return model


def transformer_sorter(length, vocab, d_model=32, heads=4, ff_dim=64, blocks=1, learning_rate=3e-3,
                       decay_steps=None, seed=0, dtype="float64"):
    """An encoder-style transformer built for (length,) token ids and compiled (sparse
    categorical cross-entropy from logits, Adam(learning_rate), cosine-decayed to 0 over
    `decay_steps` steps unless that is None):
    Embedding(vocab, d_model) -> PositionEmbedding(length) -> `blocks` pre-norm TransformerBlocks
    (`heads` heads of d_model / heads dimensions, ff_dim hidden units, no causal mask) ->
    LayerNormalization -> Dense(vocab). (n, length) ids -> (n, length, vocab) logits."""
    length, vocab = _task_size(length, vocab)
    d_model = _checks.positive_int(d_model, "d_model")
    heads = _checks.positive_int(heads, "heads")
    if d_model % heads:
        raise ValueError(f"d_model must be a multiple of heads, got d_model {d_model} and heads {heads}")
    blocks = _checks.positive_int(blocks, "blocks")
    layers = [Embedding(vocab, d_model), PositionEmbedding(length)]
    layers += [TransformerBlock(heads, d_model // heads, _checks.positive_int(ff_dim, "ff_dim"))
               for _ in range(blocks)]
    layers += [LayerNormalization(epsilon=1e-5), Dense(vocab)]
    return _compiled(Sequential(layers), (length,), learning_rate, decay_steps, seed, dtype)


def read_then_answer(inputs, targets, vocab):
    """The LSTM's layout of the task: the sequence, then `length` copies of an extra token
    `vocab` ("answer now"); the targets echo the input on the first half and are the sorted
    sequence on the second. (n, length) twice -> (n, 2 length) twice. Score the answer with
    `exact_match(pred[:, length:], targets)`."""
    vocab = _checks.positive_int(vocab, "vocab", minimum=2)
    inputs = _check_ids(inputs, vocab, "inputs")
    targets = _check_ids(targets, vocab, "targets")
    if targets.shape != inputs.shape:
        raise ValueError(f"targets must have the shape of inputs {inputs.shape}, got {targets.shape}")
    answer = np.full_like(inputs, vocab)
    return np.concatenate([inputs, answer], axis=1), np.concatenate([inputs, targets], axis=1)


def lstm_sorter(length, vocab, units=64, embed_dim=16, learning_rate=3e-3, decay_steps=None, seed=0,
                dtype="float64"):
    """Chapter 11's LSTM on the task, built for the (2 length,) ids of `read_then_answer` and
    compiled as `transformer_sorter` is: Embedding(vocab + 1, embed_dim) ->
    LSTM(units, return_sequences=True) -> Dense(vocab). (n, 2 length) -> (n, 2 length, vocab)."""
    length, vocab = _task_size(length, vocab)
    model = Sequential([Embedding(vocab + 1, _checks.positive_int(embed_dim, "embed_dim")),
                        LSTM(_checks.positive_int(units, "units"), return_sequences=True),
                        Dense(vocab)])
    return _compiled(model, (2 * length,), learning_rate, decay_steps, seed, dtype)


# --- measuring ------------------------------------------------------------------------------------


def exact_match(logits_or_pred, targets):
    """The share of sequences right at every position. logits_or_pred: (n, length, vocab)
    scores (argmax taken) or (n, length) predicted digits; targets: (n, length) digits."""
    pred = np.asarray(logits_or_pred)
    targets = np.asarray(targets)
    if targets.ndim != 2 or targets.size == 0 or targets.dtype.kind not in "iu":
        raise ValueError(f"targets must be a non-empty integer array (n, length), got "
                         f"{_checks.describe(targets)}")
    if pred.ndim == 3:
        pred = _checks.as_float_array(pred, "logits").argmax(axis=-1)
    elif pred.ndim != 2 or pred.dtype.kind not in "iu":
        raise ValueError(f"logits_or_pred must be scores (n, length, vocab) or integer predictions "
                         f"(n, length), got {_checks.describe(pred)}")
    if pred.shape != targets.shape:
        raise ValueError(f"predictions must be (n, length) = {targets.shape} like the targets, got "
                         f"{pred.shape}")
    return float(np.mean(np.all(pred == targets, axis=1)))


class ExactMatch(Callback):
    """After every epoch of `fit`, the exact match of the model's predictions on (x, y) (e.g.
    held-out sequences), kept in `scores` with the number of training steps taken so far in
    `steps`; training stops once the score reaches `stop_at` (None: never). `columns`: a slice
    of the output positions to score (e.g. slice(length, None) for `read_then_answer`)."""

    def __init__(self, x, y, stop_at=None, columns=None):
        self.x, self.y = x, np.asarray(y)
        self.stop_at = None if stop_at is None else _checks.number_in(stop_at, "stop_at", 0, 1)
        if columns is not None and not isinstance(columns, slice):
            raise TypeError(f"columns must be None or a slice, got {_checks.describe(columns)}")
        self.columns = slice(None) if columns is None else columns
        self.steps, self.scores = [], []

    def on_train_begin(self, logs=None):
        self.steps, self.scores = [], []

    def on_epoch_end(self, epoch, logs=None):
        score = exact_match(self.model.predict(self.x)[:, self.columns], self.y)
        self.steps.append((epoch + 1) * self.model.steps_per_epoch)
        self.scores.append(score)
        if self.stop_at is not None and score >= self.stop_at:
            self.model.stop_training = True


def attention_maps(model, inputs):
    """Every TransformerBlock's attention weights for `inputs` (one forward pass of `model`, a
    built `transformer_sorter`): a list, one (n, heads, length, length) array per block; entry
    [i, h, t, s] is how much output position t of head h reads input position s."""
    blocks = [layer for layer in getattr(model, "layers", ()) if isinstance(layer, TransformerBlock)]
    if not isinstance(model, Sequential) or not blocks:
        raise TypeError(f"model must be a Sequential holding TransformerBlocks (a transformer_sorter), "
                        f"got {_checks.describe(model)}")
    model.forward(model.check_input(inputs, "inputs"))
    return [block.attention.attention_weights.copy() for block in blocks]
