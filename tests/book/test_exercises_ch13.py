"""Chapter 13 exercises: the references pass and agree with the engine's attention, masks and
encodings (and the parameter count with Keras's layer); wrong answers fail at the case that
exposes them, with the hint."""

import keras
import numpy as np
import pytest

from nnbook.book.exercises import check, get, ids
from nnbook.engine.layers import attention

IDS = ["ch13.attention_weights", "ch13.causal_mask", "ch13.sinusoidal_encoding", "ch13.mha_parameters"]


def test_registered():
    assert set(IDS) <= set(ids())


@pytest.mark.parametrize("exid", IDS)
def test_reference_passes(exid):
    assert check(exid, get(exid).reference, quiet=True).passed


def test_references_match_the_engine():
    rng = np.random.default_rng(13)
    Q, K = rng.normal(size=(4, 8)), rng.normal(size=(6, 8))
    _, w = attention.scaled_dot_product_attention(Q, K, rng.normal(size=(6, 3)))
    np.testing.assert_allclose(get("ch13.attention_weights").reference(Q, K), w, rtol=1e-12)
    for T in (1, 5):
        np.testing.assert_array_equal(get("ch13.causal_mask").reference(T), attention.causal_mask(T))
    pe = attention.sinusoidal_encoding(20, 10)
    for t in (0, 7, 19):
        np.testing.assert_allclose(get("ch13.sinusoidal_encoding").reference(t, 10), pe[t], rtol=1e-12)


@pytest.mark.parametrize("d_model, heads, key_dim", [(16, 2, 8), (10, 3, 5), (64, 1, 64)])
def test_parameter_count_is_keras_count(d_model, heads, key_dim):
    layer = keras.layers.MultiHeadAttention(heads, key_dim)
    layer.build((None, 7, d_model), (None, 7, d_model))
    assert get("ch13.mha_parameters").reference(d_model, heads, key_dim) == layer.count_params()
    ours = attention.MultiHeadAttention(heads, key_dim).build((7, d_model))
    assert ours.count_params() == layer.count_params()


def _weights_unscaled(Q, K):
    s = Q @ K.T
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _weights_naive_exp(Q, K):  # no maximum subtracted: exp(1500) overflows
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(Q @ K.T / np.sqrt(Q.shape[1]))
        return e / e.sum(axis=1, keepdims=True)


def _weights_over_queries(Q, K):  # normalised down the columns instead of along the rows
    s = Q @ K.T / np.sqrt(Q.shape[1])
    e = np.exp(s - s.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def test_wrong_attention_weights_fail(fails_at):
    fails_at(check("ch13.attention_weights", _weights_unscaled, quiet=True), 1)
    fails_at(check("ch13.attention_weights", _weights_naive_exp, quiet=True), 3)
    fails_at(check("ch13.attention_weights", _weights_over_queries, quiet=True), 1)


def test_wrong_masks_fail(fails_at):
    fails_at(check("ch13.causal_mask", lambda T: np.tril(np.ones((T, T), dtype=bool), k=-1),
                   quiet=True), 1)  # the diagonal left out: position 0 sees nothing
    fails_at(check("ch13.causal_mask", lambda T: np.triu(np.ones((T, T), dtype=bool)), quiet=True), 2)


def _encoding_swapped(t, d):  # cosine in the even dimensions, sine in the odd
    angle = t / 10000.0 ** (np.arange(0, d, 2) / d)
    pe = np.empty(d)
    pe[0::2], pe[1::2] = np.cos(angle), np.sin(angle)
    return pe


def _encoding_frequency_per_dimension(t, d):  # 10000^(j/d) for j = 2i and 2i+1: pairs split
    j = np.arange(d)
    return np.where(j % 2 == 0, np.sin(t / 10000.0 ** (j / d)), np.cos(t / 10000.0 ** (j / d)))


def test_wrong_encodings_fail(fails_at):
    fails_at(check("ch13.sinusoidal_encoding", _encoding_swapped, quiet=True), 1)
    fails_at(check("ch13.sinusoidal_encoding", _encoding_frequency_per_dimension, quiet=True), 2)


def test_wrong_parameter_counts_fail(fails_at):
    fails_at(check("ch13.mha_parameters", lambda d, h, k: 4 * d * h * k, quiet=True), 1)  # no biases
    fails_at(check("ch13.mha_parameters", lambda d, h, k: 3 * (d + 1) * h * k, quiet=True), 1)  # no output
