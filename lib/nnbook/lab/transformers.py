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
* The character-level language model on chapter 11's corpus: `char_lm` (decoder-style, causal
  TransformerBlocks) and its Keras twin `keras_char_lm` (same weight order), `nats_per_char`,
  `sample` (with a temperature) and the Keras callback `keras_validation_curve`.

Everything here runs on the NumPy engine; Keras appears only inside the `keras_*` functions.
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


# --- a character-level language model -----------------------------------------------------------


def _lm_size(vocab_size, length, d_model, heads, ff_dim, blocks):
    vocab_size = _checks.positive_int(vocab_size, "vocab_size", minimum=2)
    length = _checks.positive_int(length, "length")
    d_model, heads = _checks.positive_int(d_model, "d_model"), _checks.positive_int(heads, "heads")
    if d_model % heads:
        raise ValueError(f"d_model must be a multiple of heads, got d_model {d_model} and heads {heads}")
    return vocab_size, length, d_model, heads, _checks.positive_int(ff_dim, "ff_dim"), \
        _checks.positive_int(blocks, "blocks")


def char_lm(vocab_size, length, d_model=64, heads=4, ff_dim=256, blocks=2, causal=True, seed=0,
            dtype="float32"):
    """A decoder-style character model on the engine, built for (length,) character ids:
    Embedding(vocab_size, d_model) -> PositionEmbedding(length) -> `blocks` pre-norm
    TransformerBlocks (`heads` heads of d_model / heads dimensions, ff_dim hidden units, causal
    mask unless `causal` is False) -> LayerNormalization -> Dense(vocab_size).
    (n, T <= length) ids -> (n, T, vocab_size) logits of the next character at every position."""
    vocab_size, length, d_model, heads, ff_dim, blocks = _lm_size(vocab_size, length, d_model, heads,
                                                                  ff_dim, blocks)
    layers = [Embedding(vocab_size, d_model), PositionEmbedding(length)]
    layers += [TransformerBlock(heads, d_model // heads, ff_dim, causal=_checks.flag(causal, "causal"))
               for _ in range(blocks)]
    layers += [LayerNormalization(epsilon=1e-5), Dense(vocab_size)]
    return Sequential(layers).build((length,), seed=seed, dtype=dtype)


def keras_char_lm(vocab_size, length, d_model=64, heads=4, ff_dim=256, blocks=2, causal=True,
                  learning_rate=3e-3):
    """The Keras twin of `char_lm`, compiled (cross-entropy from the logits, Adam(learning_rate)):
    Embedding -> the custom PositionEmbedding -> `blocks` blocks of keras.layers.LayerNormalization,
    MultiHeadAttention(use_causal_mask=causal) and Dense -> LayerNormalization -> Dense. Its weights
    come in `char_lm`'s order, so `char_lm(...).set_weights(model.get_weights())` copies them.
    Seed it with keras.utils.set_random_seed first."""
    import keras

    from ..engine.layers.attention import keras_position_embedding, keras_transformer_block

    template = char_lm(vocab_size, length, d_model, heads, ff_dim, blocks, causal)  # checks, configures
    model = keras.Sequential(
        [keras.Input((length,), dtype="int32"), keras.layers.Embedding(vocab_size, d_model),
         keras_position_embedding(length, "float32")]
        + [keras_transformer_block(layer) for layer in template.layers[2:-2]]
        + [keras.layers.LayerNormalization(epsilon=1e-5), keras.layers.Dense(vocab_size)])
    rate = _checks.number_in(learning_rate, "learning_rate", 0, low_open=True)
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=keras.optimizers.Adam(rate))
    return model


# chapter 13's recipe for both character models (chapter 11's for its LSTM): windows of
# LM_LENGTH characters, LM_EPOCHS epochs of LM_BATCH windows, the validation loss every LM_EVERY steps
LM_LENGTH, LM_EPOCHS, LM_BATCH, LM_EVERY = 64, 2, 64, 16
CHAR_LM = {"d_model": 64, "heads": 4, "ff_dim": 256, "blocks": 2}


def keras_char_lstm(vocab_size, learning_rate=3e-3):
    """Chapter 11's character model, compiled as chapter 11 compiles it: Embedding(vocab_size, 32)
    -> LSTM(192, return_sequences) -> Dense(vocab_size, softmax), cross-entropy on the
    probabilities, Adam(learning_rate). Seed it with keras.utils.set_random_seed first."""
    import keras

    vocab_size = _checks.positive_int(vocab_size, "vocab_size", minimum=2)
    rate = _checks.number_in(learning_rate, "learning_rate", 0, low_open=True)
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(vocab_size, 32),
                              keras.layers.LSTM(192, return_sequences=True),
                              keras.layers.Dense(vocab_size, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Adam(rate))
    return model


def nats_per_char(logits, targets):
    """The mean cross-entropy, in nats, of next-character `logits` (..., V) against integer
    `targets` (...): -mean log softmax(logits)[target], the log-softmax computed stably."""
    logits = _checks.as_float_array(logits, "logits")
    targets = np.asarray(targets)
    if targets.dtype.kind not in "iu" or targets.shape != logits.shape[:-1] or targets.size == 0:
        raise ValueError(f"targets must be integers of shape {logits.shape[:-1]} (logits without "
                         f"their last axis), got {_checks.describe(targets)}")
    if targets.min() < 0 or targets.max() >= logits.shape[-1]:
        raise ValueError(f"targets must lie in [0, {logits.shape[-1]}), got values from "
                         f"{targets.min()} to {targets.max()}")
    z = logits - logits.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return float(-np.take_along_axis(log_p, targets[..., None], axis=-1).mean())


def sample(model, prompt_ids, n, temperature=1.0, seed=0):
    """n character ids drawn after `prompt_ids` from a built `char_lm`, one at a time: the model
    reads the last `length` ids (its PositionEmbedding's max_length), the logits at the last
    position, divided by `temperature`, give p(next) = softmax(logits / temperature), which is
    p ** (1 / temperature) renormalised. Returns (ids (n,), probs (n, V) at temperature 1)."""
    if not isinstance(model, Sequential) or not any(isinstance(la, PositionEmbedding) for la in model.layers):
        raise TypeError(f"model must be a built char_lm, got {_checks.describe(model)}")
    ids = list(np.asarray(prompt_ids, dtype=np.int64).ravel())
    if not ids:
        raise ValueError("prompt_ids must hold at least one id")
    n = _checks.positive_int(n, "n")
    temperature = _checks.number_in(temperature, "temperature", 0, low_open=True)
    rng = _checks.generator(seed)
    length = next(la for la in model.layers if isinstance(la, PositionEmbedding)).max_length
    out, probs = [], []
    for _ in range(n):
        logits = model.forward(np.array([ids[-length:]]))[0, -1].astype(np.float64)
        p = np.exp(logits - logits.max())
        probs.append(p / p.sum())
        q = np.exp((logits - logits.max()) / temperature)
        ids.append(int(rng.choice(len(q), p=q / q.sum())))
        out.append(ids[-1])
    return np.array(out), np.array(probs)


def keras_validation_curve(x, y, every):
    """A Keras callback that evaluates the model's compiled loss on (x, y) every `every`
    training steps and once more at the end of training; `steps` and `losses` hold the record."""
    import keras

    every = _checks.positive_int(every, "every")

    class ValidationCurve(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.steps, self.losses, self.step = [], [], 0

        def _record(self):
            self.steps.append(self.step)
            self.losses.append(float(self.model.evaluate(x, y, batch_size=256, verbose=0)))

        def on_train_batch_end(self, batch, logs=None):
            self.step += 1
            if self.step % every == 0:
                self._record()

        def on_train_end(self, logs=None):
            if not self.steps or self.steps[-1] != self.step:
                self._record()

    return ValidationCurve()
