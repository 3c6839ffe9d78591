"""nnbook.engine.layers.attention: scaled dot-product attention and its backward against centred
differences (< 1e-7, float64), with and without masks (a row masked everywhere included);
MultiHeadAttention, LayerNormalization on sequences, PositionEmbedding and TransformerBlock
(pre- and post-norm, causal or not) against centred differences and against tf.GradientTape on
their Keras twins with copied weights (<= 1e-6 float64; float32: relative 1e-5) over random batch
sizes, lengths, heads and key_dims, with padding and causal masks and Keras's two attention paths
(fused, and with return_attention_scores); weights both ways; bad input raises clear errors."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nnbook.engine import LayerNormalization, Sequential, twins
from nnbook.engine.gradcheck import check_layer, numerical_gradient, relative_error
from nnbook.engine.layers.attention import (
    MultiHeadAttention,
    PositionEmbedding,
    TransformerBlock,
    causal_mask,
    padding_mask,
    scaled_dot_product_attention,
    scaled_dot_product_attention_backward,
    sinusoidal_encoding,
)

# T = S = 1: Keras warns that a softmax over one key is always 1 (it is, and it is right here)
pytestmark = pytest.mark.filterwarnings("ignore:You are using a softmax over axis")

SEEDS = range(4)
MASKS = ["none", "padding", "causal", "padding+causal", "random"]


def _mask(kind, rng, n, T, S):
    """(attention_mask or None, use_causal_mask) of a kind; every query attends at least one key."""
    if kind == "random":
        m = rng.random((n, T, S)) < 0.6
        m[:, :, 0] = True
        return m, False
    pad = padding_mask(rng.integers(1, S + 1, size=n), S) if "padding" in kind else None
    return pad, "causal" in kind


# --- the bare functions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["none", "random", "causal", "fully masked row"])
@pytest.mark.parametrize("seed", SEEDS)
def test_scaled_dot_product_attention_backward_matches_centred_differences(seed, kind):
    rng = np.random.default_rng(seed)
    lead = tuple(int(s) for s in rng.integers(1, 4, size=seed % 3))  # 0 to 2 leading axes
    T, S, dk, dv = (int(s) for s in rng.integers(1, 6, size=4))
    q, k = rng.normal(size=(*lead, T, dk)), rng.normal(size=(*lead, S, dk))
    v, r = rng.normal(size=(*lead, S, dv)), rng.normal(size=(*lead, T, dv))
    mask = None
    if kind == "random":
        mask = rng.random((*lead, T, S)) < 0.5
    elif kind == "causal":
        mask = causal_mask(T, S)
    elif kind == "fully masked row":
        mask = np.ones((T, S), bool)
        mask[0] = False

    def loss(_):
        return np.sum(scaled_dot_product_attention(q, k, v, mask)[0] * r)

    out, weights = scaled_dot_product_attention(q, k, v, mask)
    grads = scaled_dot_product_attention_backward(r, q, k, v, weights)
    for g, a in zip(grads, (q, k, v)):
        assert g.shape == a.shape
        assert relative_error(g, numerical_gradient(loss, a)) < 1e-7
    if mask is not None:
        assert np.all(weights[..., ~np.broadcast_to(mask, weights.shape)] == 0)  # exactly 0
    rows = weights.sum(axis=-1)
    allowed = np.ones_like(rows, bool) if mask is None else np.broadcast_to(mask, weights.shape).any(-1)
    np.testing.assert_allclose(rows[allowed], 1.0, rtol=1e-12)
    assert np.all(rows[~allowed] == 0) and np.all(out[~allowed] == 0)


def test_attention_by_hand_and_stability():
    q = np.array([[1.0, 0.0]])
    k = np.array([[1.0, 0.0], [0.0, 1.0]])
    v = np.array([[10.0], [20.0]])
    out, w = scaled_dot_product_attention(q, k, v)
    p = 1 / (1 + np.exp(-1 / np.sqrt(2)))  # softmax of (1, 0) / sqrt(2)
    np.testing.assert_allclose(w, [[p, 1 - p]], rtol=1e-14)
    np.testing.assert_allclose(out, [[10 * p + 20 * (1 - p)]], rtol=1e-14)
    big = np.random.default_rng(0).normal(size=(2, 5, 4)) * 1e4  # scores near 1e8
    out, w = scaled_dot_product_attention(big, big, big, causal_mask(5))
    assert np.isfinite(out).all() and np.isfinite(w).all()
    np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-12)
    assert out.dtype == np.float64
    out32, w32 = scaled_dot_product_attention(*(a.astype(np.float32) for a in (big, big, big)))
    assert out32.dtype == w32.dtype == np.float32


def test_masks_are_keras_masks():
    np.testing.assert_array_equal(causal_mask(3), [[1, 0, 0], [1, 1, 0], [1, 1, 1]])
    twin = keras.layers.MultiHeadAttention(1, 2)
    for T, S in [(4, 4), (3, 5), (5, 2)]:
        theirs = np.asarray(twin._compute_causal_mask(np.zeros((1, T, 1)), np.zeros((1, S, 1))))[0]
        np.testing.assert_array_equal(causal_mask(T, S), theirs)
    m = padding_mask([1, 3], 4)
    assert m.shape == (2, 1, 4) and m.dtype == bool
    np.testing.assert_array_equal(m[:, 0], [[1, 0, 0, 0], [1, 1, 1, 0]])
    np.testing.assert_array_equal((m & causal_mask(4))[1], [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0],
                                                            [1, 1, 1, 0]])
    for bad, err in [([0, 2], ValueError), ([5], ValueError), ([1.5], ValueError), ([[1]], ValueError)]:
        with pytest.raises(err, match="lengths"):
            padding_mask(bad, 4)
    with pytest.raises(TypeError, match="T must be an integer"):
        causal_mask(2.0)


def test_sinusoidal_encoding():
    pe = sinusoidal_encoding(50, 6)
    assert pe.shape == (50, 6)
    np.testing.assert_array_equal(pe[0], [0, 1, 0, 1, 0, 1])
    t, i = 7, 1  # dimensions 2 and 3 at position 7
    np.testing.assert_allclose(pe[t, 2 * i], np.sin(t / 10000 ** (2 * i / 6)), rtol=1e-15)
    np.testing.assert_allclose(pe[t, 2 * i + 1], np.cos(t / 10000 ** (2 * i / 6)), rtol=1e-15)
    odd = sinusoidal_encoding(4, 5)  # an odd d ends on a sine
    assert odd.shape == (4, 5)
    np.testing.assert_allclose(odd[3, 3], np.cos(3 / 10000 ** (2 / 5)), rtol=1e-15)
    np.testing.assert_allclose(odd[3, 4], np.sin(3 / 10000 ** (4 / 5)), rtol=1e-15)
    with pytest.raises(ValueError, match="d must be an integer >= 1"):
        sinusoidal_encoding(3, 0)


# --- MultiHeadAttention ------------------------------------------------------------------------------------


def _mha(seed, cross=False, dtype="float64", **kwargs):
    """A built MultiHeadAttention with random sizes and weights (biases too), and its inputs.
    key_dim and value_dim >= 2: with a head size of 1 and as many heads as time steps, Keras's
    TensorFlow `ops.add` takes the (heads, 1) bias for a channels-first bias and adds it along
    the time axis (a Keras bug, see `test_keras_adds_a_head_size_1_bias_along_time`)."""
    rng = np.random.default_rng(seed)
    n, T, S, h, d = (int(v) for v in rng.integers(1, 5, size=5))
    kd = int(rng.integers(2, 5))
    S = S if cross else T
    value_dim = int(rng.integers(2, 4)) if seed % 2 else None
    out = int(rng.integers(1, 4)) if seed % 3 == 1 else None
    kwargs = {"value_dim": value_dim, "output_shape": out, **kwargs}
    layer = MultiHeadAttention(h, kd, **kwargs)
    dv, dkey = (int(v) for v in rng.integers(1, 5, size=2))
    layer.build((T, d), rng, dtype, value_shape=(S, dv) if cross else None,
                key_shape=(S, dkey) if cross and seed % 2 else None)
    for p in layer.params.values():
        p[...] = rng.normal(scale=0.7, size=p.shape)
    query = rng.normal(size=(n, T, d)).astype(dtype)
    value = rng.normal(size=(n, S, dv)).astype(dtype) if cross else None
    key = rng.normal(size=(n, S, dkey)).astype(dtype) if cross and seed % 2 else None
    return layer, query, value, key, rng


def _assert_key_bias_gradient_is_zero(*grads):
    """The key's bias adds q . b_k to every score of a row: softmax ignores it, its gradient is 0."""
    for g in grads:
        assert np.max(np.abs(g)) < 1e-9


@pytest.mark.parametrize("kind", MASKS)
@pytest.mark.parametrize("seed", SEEDS)
def test_mha_backward_matches_centred_differences(seed, kind):
    layer, query, _, _, rng = _mha(seed, use_bias=seed != 3)
    T = query.shape[1]
    mask, causal = _mask(kind, rng, len(query), T, T)
    layer.forward = lambda x, training=False: MultiHeadAttention.forward(
        layer, x, training, attention_mask=mask, use_causal_mask=causal)
    errors = check_layer(layer, query)
    assert set(errors) == {"x", *layer.params}
    if "key/bias" in errors:
        errors.pop("key/bias")
        _assert_key_bias_gradient_is_zero(layer.grads["key/bias"])
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("seed", SEEDS)
def test_mha_cross_attention_gradients_match_centred_differences(seed):
    layer, query, value, key, rng = _mha(seed, cross=True)
    mask, causal = _mask(MASKS[seed + 1], rng, len(query), query.shape[1], value.shape[1])
    r = rng.normal(size=(len(query), *layer.output_shape(layer.input_shape)))

    def loss(_):
        return np.sum(layer.forward(query, False, value, key, mask, causal) * r)

    loss(None)
    dq = layer.backward(r)
    assert relative_error(dq, numerical_gradient(loss, query)) < 1e-7
    assert relative_error(layer.dvalue, numerical_gradient(loss, value)) < 1e-7
    if key is None:
        assert layer.dkey is None
    else:
        assert relative_error(layer.dkey, numerical_gradient(loss, key)) < 1e-7


def _keras_mha(twin, query, value, key, mask, causal, scores, dy):
    """Keras's output, attention scores (or None) and gradients (inputs given, then the weights
    in Keras's order) for L = sum(y * dy), by tf.GradientTape."""
    inputs = [tf.constant(a) for a in (query, value, key) if a is not None]
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        q = inputs[0]
        v = inputs[1] if value is not None else q
        k = inputs[2] if key is not None else None
        out = twin(q, v, key=k, attention_mask=mask, use_causal_mask=causal,
                   return_attention_scores=scores)
        y, w = out if scores else (out, None)
        loss = tf.reduce_sum(y * tf.constant(dy, dtype=y.dtype))
    grads = tape.gradient(loss, [*inputs, *twin.trainable_weights])
    return np.asarray(y), None if w is None else np.asarray(w), [np.asarray(g) for g in grads]


@pytest.mark.parametrize("scores", [False, True], ids=["fused", "with_scores"])
@pytest.mark.parametrize("kind", MASKS)
@pytest.mark.parametrize("cross", [False, True], ids=["self", "cross"])
@pytest.mark.parametrize("seed", SEEDS)
def test_mha_matches_gradient_tape_on_the_keras_twin(seed, cross, kind, scores):
    layer, query, value, key, rng = _mha(seed + 10, cross=cross, use_bias=seed != 2)
    S = query.shape[1] if value is None else value.shape[1]
    mask, causal = _mask(kind, rng, len(query), query.shape[1], S)
    dy = rng.normal(size=(len(query), *layer.output_shape(layer.input_shape)))
    ky, kw, kgrads = _keras_mha(layer.to_keras(), query, value, key, mask, causal, scores, dy)
    y, w = layer(query, value, key, attention_mask=mask, use_causal_mask=causal,
                 return_attention_scores=True)
    dq = layer.backward(dy)
    ours = [dq, *([layer.dvalue] if cross else []), *([layer.dkey] if key is not None else []),
            *layer.grads.values()]
    names = ["query", *(["value"] if cross else []), *(["key"] if key is not None else []), *layer.grads]
    assert len(ours) == len(kgrads) and [g.shape for g in ours] == [g.shape for g in kgrads]
    errors = {"y": relative_error(y, ky), **({"weights": relative_error(w, kw)} if scores else {})}
    for name, a, b in zip(names, ours, kgrads):
        if name == "key/bias":
            _assert_key_bias_gradient_is_zero(a, b)
        else:
            errors[name] = relative_error(a, b)
    assert max(errors.values()) <= 1e-6, errors


def test_keras_rounds_the_scale_to_float32_which_is_all_that_differs():
    """Keras multiplies the queries by ops.cast(1 / sqrt(key_dim), dtype), and a Python float
    becomes a float32 tensor first: in float64 the scale is off by ~1e-8 relative. With that
    scale our numbers equal Keras's to rounding."""
    layer, query, _, _, _ = _mha(1)
    twin = layer.to_keras()
    s = float(keras.ops.cast(twin._inverse_sqrt_key_dim, "float64"))
    assert s == float(np.float32(1 / np.sqrt(layer.key_dim))) != 1 / np.sqrt(layer.key_dim)
    layer(query)
    q, k = layer.q, layer.k
    scores = (q * s) @ np.swapaxes(k, -1, -2)
    w = np.exp(scores - scores.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    _, theirs = twin(query, query, return_attention_scores=True)
    assert relative_error(w, theirs) < 1e-14
    assert 1e-12 < relative_error(layer.attention_weights, theirs) < 1e-6


def test_a_row_masked_everywhere_gives_zero_weights_as_keras_with_scores():
    """Keras's masked Softmax (return_attention_scores=True) zeroes a row masked everywhere,
    as we do; its fused path (without scores) spreads it evenly over the keys instead. Rows
    that attend something agree either way."""
    layer, query, _, _, rng = _mha(2)
    n, T = query.shape[:2]
    mask = np.ones((n, T, T), bool)
    mask[0, -1] = False  # the last query of sequence 0 may attend nothing
    twin = layer.to_keras()
    y, w = layer(query, attention_mask=mask, return_attention_scores=True)
    assert np.all(w[0, :, -1] == 0) and np.isfinite(y).all()
    ky, kw = twin(query, query, attention_mask=mask, return_attention_scores=True)
    assert relative_error(y, ky) <= 1e-6 and relative_error(w, kw) <= 1e-6
    fused = np.asarray(twin(query, query, attention_mask=mask))
    assert relative_error(y[1:], fused[1:]) <= 1e-6 and relative_error(y[0, :-1], fused[0, :-1]) <= 1e-6
    if T > 1:
        assert relative_error(y[0, -1], fused[0, -1]) > 1e-3


def test_keras_adds_a_head_size_1_bias_along_time():
    """Documents a Keras 3 (TensorFlow backend) bug that the engine does not copy: with key_dim 1
    and num_heads equal to the query length T, `ops.add` takes the query bias (heads, 1) for a
    bias over axis 1 (`tf.nn.bias_add`, NCHW) and adds it along time. Our projection adds it per
    head, as `np.einsum(...) + bias` does; the test passes once Keras agrees too."""
    rng = np.random.default_rng(0)
    layer = MultiHeadAttention(3, 1).build((3, 2), rng)
    for p in layer.params.values():
        p[...] = rng.normal(size=p.shape)
    x = rng.normal(size=(2, 3, 2))
    layer(x)
    by_einsum = np.einsum("ntd,dhk->nhtk", x, layer.params["query/kernel"]) + layer.params[
        "query/bias"][None, :, None, :]
    np.testing.assert_allclose(layer.q, by_einsum, rtol=1e-13)
    theirs = np.asarray(layer.to_keras().query_dense(x)).transpose(0, 2, 1, 3)
    if relative_error(theirs, by_einsum) > 1e-6:
        pytest.xfail("Keras still adds the (heads, 1) bias along the time axis")


@pytest.mark.parametrize("seed", range(2))
def test_mha_float32_stays_float32_and_matches_keras(seed):
    layer, query, value, _, rng = _mha(seed + 5, cross=bool(seed), dtype="float32")
    mask, causal = _mask("padding+causal", rng, len(query), query.shape[1],
                         query.shape[1] if value is None else value.shape[1])
    dy = rng.normal(size=(len(query), *layer.output_shape(layer.input_shape))).astype(np.float32)
    ky, _, kgrads = _keras_mha(layer.to_keras(), query, value, None, mask, causal, False, dy)
    y = layer(query, value, attention_mask=mask, use_causal_mask=causal)
    dq = layer.backward(dy)
    assert y.dtype == dq.dtype == np.float32 and all(g.dtype == np.float32 for g in layer.grads.values())
    assert relative_error(y, ky) <= 1e-5 and relative_error(dq, kgrads[0]) <= 1e-5
    # against the largest gradient: where a mask leaves each query one key, the query projection's
    # gradient is exactly 0; ours is 0 and Keras's float32 kernels leave rounding noise of ~1e-7
    pairs = [(name, g, kg) for name, g, kg in zip(layer.grads, layer.grads.values(),
                                                  kgrads[1 + (value is not None):]) if name != "key/bias"]
    scale = max(float(np.abs(g).max() + np.abs(kg).max()) for _, g, kg in pairs)
    for name, g, kg in pairs:
        assert np.abs(g - kg).max() <= 1e-5 * scale, name


def test_mha_weights_both_ways_in_keras_order_and_its_defaults():
    rng = np.random.default_rng(3)
    twin = keras.layers.MultiHeadAttention(3, 4, value_dim=2, output_shape=5, dtype="float64")
    twin.build((None, 6, 7), (None, 8, 9), (None, 8, 10))
    twin.set_weights([rng.normal(size=w.shape) for w in twin.get_weights()])
    ours = MultiHeadAttention.from_keras(twin)
    assert (ours.num_heads, ours.key_dim, ours.value_dim, ours.output_dim) == (3, 4, 2, 5)
    ours.build((6, 7), 0, value_shape=(8, 9), key_shape=(8, 10)).set_from_keras(twin)
    assert list(ours.params) == ["query/kernel", "query/bias", "key/kernel", "key/bias", "value/kernel",
                                 "value/bias", "attention_output/kernel", "attention_output/bias"]
    assert [v.path.split("/", 1)[1] for v in twin.weights] == list(ours.params)
    assert twins.max_weight_difference(ours, twin) == 0.0
    back = ours.to_keras()
    assert twins.max_weight_difference(ours, back) == 0.0
    q, v, k = rng.normal(size=(2, 6, 7)), rng.normal(size=(2, 8, 9)), rng.normal(size=(2, 8, 10))
    np.testing.assert_allclose(ours(q, v, k), np.asarray(back(q, v, key=k)), rtol=1e-6, atol=1e-12)
    # defaults: glorot_uniform kernels with Keras's fans of a (d, h, k) kernel, zero biases
    fresh = MultiHeadAttention(4, 8).build((5, 16), 0)
    assert fresh.params["query/kernel"].shape == (16, 4, 8)
    assert fresh.params["attention_output/kernel"].shape == (4, 8, 16)
    limit_in, limit_out = np.sqrt(6 / (16 * 4 + 16 * 8)), np.sqrt(6 / (4 * 8 + 4 * 16))
    assert 0.9 * limit_in < np.abs(fresh.params["query/kernel"]).max() <= limit_in
    assert 0.9 * limit_out < np.abs(fresh.params["attention_output/kernel"]).max() <= limit_out
    assert all(np.all(v == 0) for k, v in fresh.params.items() if k.endswith("bias"))
    k_twin = fresh.to_keras()
    assert k_twin.count_params() == fresh.count_params() == 3 * (16 * 4 * 8 + 4 * 8) + 4 * 8 * 16 + 16


def test_mha_frozen_twin_and_large_inputs():
    layer, query, _, _, _ = _mha(4)
    layer.trainable = False
    twin = layer.to_keras()
    assert not twin.trainable and twin.trainable_weights == [] and layer.trainable_params() == {}
    y, w = layer(query * 1e4, use_causal_mask=True, return_attention_scores=True)
    dq = layer.backward(np.ones_like(y))
    assert np.isfinite(y).all() and np.isfinite(dq).all() and np.isfinite(w).all()
    assert all(np.isfinite(g).all() for g in layer.grads.values())
    np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-12)


def test_mha_in_a_sequential_is_self_attention():
    layer, query, _, _, _ = _mha(0)
    model = Sequential([layer])
    np.testing.assert_array_equal(model.predict(query), layer(query))


def test_mha_bad_input_raises_clear_errors():
    layer = MultiHeadAttention(2, 3).build((4, 5), 0, value_shape=(6, 7))
    q, v = np.zeros((2, 4, 5)), np.zeros((2, 6, 7))
    for kwargs, err, match in [
        ({"query": np.zeros((2, 4, 3)), "value": v}, ValueError, r"query must have shape \(n, 4, 5\)"),
        ({"query": q, "value": np.zeros((2, 6, 3))}, ValueError, r"value must have shape \(n, 6, 7\)"),
        ({"query": q, "value": np.zeros((3, 6, 7))}, ValueError, "one sequence per query"),
        ({"query": q, "value": v, "attention_mask": np.ones((2, 4, 4), bool)}, ValueError,
         r"broadcast to \(n, T, S\) = \(2, 4, 6\).*got shape \(2, 4, 4\)"),
        ({"query": q, "value": v, "attention_mask": np.ones(6, bool)}, ValueError, "2 to 4 axes"),
        ({"query": q, "value": v, "attention_mask": np.ones((2, 4, 6))}, TypeError,
         "booleans .* got an array of shape .* dtype float64"),
        ({"query": q, "value": v, "attention_mask": np.full((2, 4, 6), 2)}, TypeError, "0/1 integers"),
        ({"query": q, "key": v}, ValueError, "a key but no value"),
        ({"query": q, "value": v, "use_causal_mask": 1}, TypeError, "use_causal_mask must be True or False"),
    ]:
        with pytest.raises(err, match=match):
            layer(**kwargs)
    layer(q, v, attention_mask=np.ones((4, 6), int))  # 0/1 integers and a (T, S) mask are taken
    for kwargs, err, match in [({"num_heads": 0, "key_dim": 2}, ValueError, "num_heads"),
                               ({"num_heads": 2, "key_dim": 2.0}, TypeError, "key_dim"),
                               ({"num_heads": 2, "key_dim": 2, "dropout": 0.1}, ValueError,
                                "no dropout .* must be 0.0, got 0.1"),
                               ({"num_heads": 2, "key_dim": 2, "output_shape": (2, 3)}, TypeError,
                                "output_shape")]:
        with pytest.raises(err, match=match):
            MultiHeadAttention(**kwargs)
    with pytest.raises(ValueError, match=r"input_shape must be \(T, d\)"):
        MultiHeadAttention(2, 3).build((5,))
    with pytest.raises(RuntimeError, match="not built"):
        MultiHeadAttention(2, 3)(q)
    for kwargs, match in [({"dropout": 0.1}, "dropout"), ({"use_gate": True}, "use_gate"),
                          ({"num_heads": 3}, "num_heads=3"), ({"key_dim": 4}, "key_dim=4"),
                          ({"kernel_regularizer": "l2"}, "kernel_regularizer")]:
        twin = keras.layers.MultiHeadAttention(**{"num_heads": 2, "key_dim": 3, **kwargs})
        twin.build((None, 4, 5), (None, 6, 7))
        with pytest.raises(ValueError, match=match):
            layer.set_from_keras(twin)
    with pytest.raises(TypeError, match="keras.layers.MultiHeadAttention, got Dense"):
        layer.set_from_keras(keras.layers.Dense(2))


# --- LayerNormalization on sequences, PositionEmbedding ----------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_layer_norm_on_sequences_matches_keras(seed):
    rng = np.random.default_rng(seed)
    n, T, d = (int(v) for v in rng.integers(3, 6, size=3))  # d = 2 normalises to +-1: dx = 0
    layer = LayerNormalization(epsilon=1e-5).build((T, d), rng)
    for p in layer.params.values():
        p[...] = rng.normal(size=p.shape)
    x = rng.normal(2.0, 3.0, size=(n, T, d))
    assert max(check_layer(layer, x).values()) < 1e-7
    dy = rng.normal(size=x.shape)
    y, dx = layer(x), layer.backward(dy)
    ky, kdx, kgrads = twins.layer_gradients(layer.to_keras(), x, dy)
    errors = [relative_error(y, ky), relative_error(dx, kdx),
              *(relative_error(layer.grads[k], kgrads[k]) for k in ("gamma", "beta"))]
    assert max(errors) <= 1e-6, errors


def test_position_embedding_gradients_keras_twin_and_checks():
    rng = np.random.default_rng(0)
    layer = PositionEmbedding(7).build((None, 3), rng)
    x = rng.normal(size=(2, 5, 3))
    errors = check_layer(layer, x)
    assert max(errors.values()) < 1e-7, errors
    dy = rng.normal(size=x.shape)
    y, dx = layer(x), layer.backward(dy)
    assert np.all(layer.grads["embeddings"][5:] == 0)
    twin = layer.to_keras()
    assert type(twin).__name__ == "PositionEmbedding" and twin.weights[0].name == "embeddings"
    ky, kdx, kgrads = twins.layer_gradients(twin, x, dy)
    assert relative_error(y, ky) <= 1e-12 and relative_error(dx, kdx) <= 1e-12
    assert relative_error(layer.grads["embeddings"], kgrads["embeddings"]) <= 1e-12
    copy = PositionEmbedding.from_keras(twin).build((None, 3), 1).set_from_keras(twin)
    assert twins.max_weight_difference(copy, twin) == 0.0
    limit = np.sqrt(6 / (7 + 3))  # glorot_uniform on (max_length, d)
    assert np.abs(layer.params["embeddings"]).max() <= limit
    with pytest.raises(ValueError, match="8 positions, more than max_length 7"):
        layer(np.zeros((1, 8, 3)))
    with pytest.raises(ValueError, match="max_length >= 9"):
        PositionEmbedding(7).build((9, 3))


# --- TransformerBlock ------------------------------------------------------------------------------------


def _block(seed, norm, causal, dtype="float64", activation="relu"):
    rng = np.random.default_rng(seed)
    n, T, h = (int(v) for v in rng.integers(1, 5, size=3))
    kd, ff = int(rng.integers(2, 5)), int(rng.integers(1, 7))
    d = int(rng.integers(3, 6))  # d = 2: layer norm gives +-1 whatever x is, dx = 0
    block = TransformerBlock(h, kd, ff, causal=causal, norm=norm, activation=activation).build(
        (T, d), rng, dtype)
    for p in block.params.values():
        p[...] = rng.normal(scale=0.5, size=p.shape)
    return block, rng.normal(size=(n, T, d)).astype(dtype), rng


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("norm", ["pre", "post"])
@pytest.mark.parametrize("seed", range(3))
def test_block_backward_matches_centred_differences(seed, norm, causal):
    block, x, _ = _block(seed, norm, causal, activation="tanh")  # ReLU's kink defeats differences
    errors = check_layer(block, x, eps=1e-5)
    assert set(errors) == {"x", *block.params}
    errors.pop("1/key/bias")
    _assert_key_bias_gradient_is_zero(block.grads["1/key/bias"])
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("padding", [False, True])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("norm", ["pre", "post"])
@pytest.mark.parametrize("seed", range(3))
def test_block_matches_gradient_tape_on_the_keras_twin(seed, norm, causal, padding):
    block, x, rng = _block(seed + 7, norm, causal)
    mask = padding_mask(rng.integers(1, x.shape[1] + 1, size=len(x)), x.shape[1]) if padding else None
    twin = block.to_keras()
    assert [w.shape for w in twin.get_weights()] == [w.shape for w in block.get_weights()]
    dy = rng.normal(size=x.shape)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        ky = twin(xt, attention_mask=mask)
        loss = tf.reduce_sum(ky * dy)
    kgrads = tape.gradient(loss, [xt, *twin.trainable_weights])
    y = block(x, attention_mask=mask)
    errors = {"y": relative_error(y, ky), "x": relative_error(block.backward(dy), kgrads[0])}
    for (name, g), kg in zip(block.grads.items(), kgrads[1:]):
        if name == "1/key/bias":
            _assert_key_bias_gradient_is_zero(g, np.asarray(kg))
        else:
            errors[name] = relative_error(g, kg)
    assert max(errors.values()) <= 1e-6, errors


def test_block_weights_both_ways_causality_and_checks():
    block, x, rng = _block(1, "pre", True)
    twin = block.to_keras()
    assert twins.max_weight_difference(block, twin) == 0.0
    other = TransformerBlock(block.attention.num_heads, block.attention.key_dim, block.ff_dim,
                             causal=True).build(block.input_shape, 5)
    assert twins.max_weight_difference(other, twin) > 0
    other.set_from_keras(twin)
    assert twins.max_weight_difference(other, twin) == 0.0
    np.testing.assert_array_equal(other(x), block(x))
    # causal: changing the last position leaves every earlier output alone
    x2 = x.copy()
    x2[:, -1] += 1.0
    np.testing.assert_allclose(block(x2)[:, :-1], block(x)[:, :-1], rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="norm must be one of 'pre', 'post'"):
        TransformerBlock(2, 3, 4, norm="middle")
    with pytest.raises(ValueError, match="attention_mask must broadcast"):
        block(x, attention_mask=np.ones((len(x), 1, x.shape[1] + 1), bool))
    with pytest.raises(ValueError, match="input x must have shape"):
        block(x[..., :-1])
    small = TransformerBlock(2, 3, 4).build((5, 6), 0)
    with pytest.raises(ValueError, match="weights of shapes"):
        small.set_from_keras(twin)
