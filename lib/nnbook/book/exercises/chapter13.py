"""Chapter 13 exercises: attention weights for given queries and keys (a stable softmax), the
causal mask, the sinusoidal encoding of one position, and the parameter count of a Keras-style
MultiHeadAttention layer."""

import numpy as np

from . import exercise


def _weights_cases():
    rng = np.random.default_rng(1301)
    # two queries, three keys in 2-D: the first query points along key 0
    yield (np.array([[1.0, 0.0], [0.0, 2.0]]), np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])), {}
    # a query orthogonal to every key: uniform weights
    yield (np.array([[0.0, 1.0]]), np.array([[1.0, 0.0], [2.0, 0.0], [-3.0, 0.0]])), {}
    # huge scores: exp must not overflow
    yield (np.array([[3000.0, 0.0, 0.0, 0.0]]), np.array([[1.0, 0.0, 0.0, 0.0], [0.9, 0.0, 0.0, 0.0]])), {}
    for T, S, d in ((3, 5, 4), (4, 2, 16)):  # T queries, S keys
        yield (rng.normal(size=(T, d)), rng.normal(size=(S, d))), {}


@exercise(
    "ch13.attention_weights",
    cases=_weights_cases,
    hint="Score every query against every key with a dot product, scale by the square root of the "
    "key dimension, and take a softmax over the keys without overflowing exp.",
    more=("scores = Q @ K.T / sqrt(d), shape (T, S), d = Q.shape[1]; subtract each row's maximum "
          "before exp (the softmax does not change); then divide each row by its sum so that every "
          "query's weights add up to 1 over the keys.",),
)
def attention_weights(Q, K):
    """Scaled dot-product attention weights: Q (T, d) queries, K (S, d) keys -> (T, S), each row
    a softmax over the S keys of q . k / sqrt(d)."""
    scores = Q @ K.T / np.sqrt(Q.shape[1])
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _mask_cases():
    for T in (1, 2, 4, 7):
        yield (T,), {}


@exercise(
    "ch13.causal_mask",
    cases=_mask_cases,
    hint="Row t is query position t; it may attend key position s exactly when s is not in its "
    "future. True means 'may attend'.",
    more=("Return a (T, T) boolean array with True where s <= t: the diagonal and everything below "
          "it. np.tril(np.ones((T, T), dtype=bool)) does it, or compare np.arange(T) with itself.",),
)
def causal_mask(T):
    """(T, T) booleans, True where key s <= query t."""
    return np.arange(T)[None, :] <= np.arange(T)[:, None]


def _encoding_cases():
    yield (0, 4), {}  # position 0: sin 0 = 0, cos 0 = 1
    yield (1, 2), {}
    yield (3, 6), {}
    yield (50, 8), {}
    yield (17, 16), {}


@exercise(
    "ch13.sinusoidal_encoding",
    cases=_encoding_cases,
    hint="Dimensions come in pairs (2i, 2i + 1) sharing one frequency, 1 / 10000^(2i / d): sine "
    "in the even one, cosine in the odd one.",
    more=("For i = 0, 1, ..., d/2 - 1 let angle_i = t / 10000**(2 * i / d); then pe[2i] = "
          "sin(angle_i) and pe[2i + 1] = cos(angle_i). Return the (d,) vector pe (d is even here).",),
)
def sinusoidal_encoding(t, d):
    """The (d,) sinusoidal encoding of position t (d even)."""
    angle = t / 10000.0 ** (np.arange(0, d, 2) / d)
    pe = np.empty(d)
    pe[0::2], pe[1::2] = np.sin(angle), np.cos(angle)
    return pe


def _count_cases():
    yield (16, 2, 8), {}  # d_model, num_heads, key_dim
    yield (32, 4, 8), {}
    yield (10, 3, 5), {}
    yield (64, 1, 64), {}


@exercise(
    "ch13.mha_parameters",
    cases=_count_cases,
    hint="Count four projections: query, key and value each map d_model features to num_heads "
    "heads of key_dim, and the output maps the heads back to d_model; every one has a bias.",
    more=("Query, key, value: a kernel (d_model, num_heads, key_dim) and a bias (num_heads, key_dim) "
          "each. Output: a kernel (num_heads, key_dim, d_model) and a bias (d_model,). Add them "
          "up: 3 * (d_model + 1) * h * k + h * k * d_model + d_model.",),
)
def mha_parameters(d_model, num_heads, key_dim):
    """The number of weights of keras.layers.MultiHeadAttention(num_heads, key_dim) in
    self-attention on d_model features (value_dim = key_dim, biases on, output d_model)."""
    hk = num_heads * key_dim
    return 3 * (d_model + 1) * hk + hk * d_model + d_model
