"""nnbook.engine.layers.recurrent (SimpleRNN, LSTM, GRU) and core.Embedding: each cell's step
backward and each layer's BPTT against centred differences (< 1e-7, float64), each layer against
tf.GradientTape on its Keras twin with copied weights (<= 1e-6; float32: relative 1e-5) over random
lengths (T = 1 included), batch sizes and units, return_sequences both ways, return_state and
initial states; weights both ways; Embedding + LSTM + Dense trained in lockstep with Keras for an
epoch; +-1e4 inputs finite; bad arguments raise clear errors."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nnbook.engine import GRU, LSTM, Dense, Embedding, Sequential, SimpleRNN, optimizers, twins
from nnbook.engine.gradcheck import check_layer, numerical_gradient, relative_error
from nnbook.engine.layers import recurrent

CELLS = [SimpleRNN, LSTM, GRU]
IDS = [c.__name__ for c in CELLS]


def _built(cls, seed, T=None, dtype="float64", **kwargs):
    """(layer, x) with random n, T (1 included), d and units, and non-zero biases."""
    rng = np.random.default_rng(seed)
    n, d, units = (int(v) for v in rng.integers(1, 5, size=3))
    T = int(rng.integers(1, 6)) if T is None else T
    layer = cls(units, **kwargs).build((T, d), rng, dtype)
    layer.params["bias"][...] = rng.normal(size=layer.params["bias"].shape)
    return layer, rng.normal(size=(n, T, d)).astype(dtype)


def _states(layer, n, rng):
    return [rng.normal(size=(n, layer.units)) for _ in range(layer.state_size)]


# --- one step of each cell, and BPTT, against centred differences ----------------------------------


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("cls", CELLS, ids=IDS)
def test_each_cell_step_backward_matches_centred_differences(cls, seed):
    layer, _ = _built(cls, seed)
    rng = np.random.default_rng(seed + 10)
    n, k = 3, layer.gates * layer.units
    xw, state = rng.normal(size=(n, k)), _states(layer, n, rng)
    r = _states(layer, n, rng)  # L = sum_j sum(new_state[j] * r[j])

    def loss(_):
        new_state, _cache = layer.step(xw, tuple(state))
        return sum(np.sum(s * q) for s, q in zip(new_state, r))

    _, cache = layer.step(xw, tuple(state))
    dxw, drec, dstate = layer.step_backward(tuple(r), cache)
    U = layer.params["recurrent_kernel"]
    assert relative_error(dxw, numerical_gradient(loss, xw)) < 1e-7
    for j, s in enumerate(state):
        assert relative_error(dstate[j], numerical_gradient(loss, s)) < 1e-7
    assert relative_error(state[0].T @ drec, numerical_gradient(loss, U)) < 1e-7  # dL/dU


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("cls", CELLS, ids=IDS)
def test_bptt_matches_centred_differences(cls, seed, return_sequences):
    layer, x = _built(cls, seed, T=[1, 3, 5][seed], return_sequences=return_sequences)
    errors = check_layer(layer, x)
    assert set(errors) == {"x", "kernel", "recurrent_kernel", "bias"}
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("cls", CELLS, ids=IDS)
def test_gradients_of_initial_and_final_states_match_centred_differences(cls):
    layer, x = _built(cls, 4, T=3, return_state=True)
    rng = np.random.default_rng(5)
    h0, r_y, r_s = _states(layer, len(x), rng), rng.normal(size=(len(x), layer.units)), _states(
        layer, len(x), rng)

    def loss(_):
        y, *final = layer(x, initial_state=h0)
        return np.sum(y * r_y) + sum(np.sum(s * q) for s, q in zip(final, r_s))

    loss(None)
    layer.backward(r_y, dstate=tuple(r_s))
    for ours, s in zip(layer.dinitial_state, h0):
        assert relative_error(ours, numerical_gradient(loss, s)) < 1e-7


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_fused_lstm_equals_the_driver_loop(seed, return_sequences, dtype):
    """With Keras's default activations the LSTM runs `_fused_forward`/`_fused_backward`; the
    driver's loop over `step`/`step_backward` (what the chapter shows) gives the same numbers:
    outputs, final states, dL/dx, the weight gradients and those of the initial states."""
    layer, x = _built(LSTM, seed + 30, T=[1, 2, 5, 9][seed], dtype=dtype,
                      return_sequences=return_sequences)
    rng = np.random.default_rng(seed)
    h0 = [s.astype(dtype) for s in _states(layer, len(x), rng)] if seed % 2 else None
    dstate = tuple(s.astype(dtype) for s in _states(layer, len(x), rng)) if seed >= 2 else None
    dy = rng.normal(size=(len(x), *layer.output_shape(layer.input_shape))).astype(dtype)
    tol = 1e-12 if dtype == "float64" else 1e-5
    results = []
    for forward, backward in [(LSTM.forward, LSTM.backward),
                              (recurrent.Recurrent.forward, recurrent.Recurrent.backward)]:
        y = forward(layer, x, initial_state=None if h0 is None else tuple(h0))
        dx = backward(layer, dy, dstate)
        results.append([y, *layer.last_state, dx, *layer.grads.values(), *layer.dinitial_state])
        assert all(r.dtype == np.dtype(dtype) for r in results[-1])
    assert layer.fused is not None  # the first pass was the fused one
    for fused, loop in zip(*results):
        assert fused.shape == loop.shape and relative_error(fused, loop) <= tol
    # again (the work arrays are reused, the outputs returned before are not), then another batch size
    again = layer.forward(x, initial_state=None if h0 is None else tuple(h0))
    layer.backward(dy, dstate)
    for before in (again, results[0][0], results[0][3]):  # y and dx of the first fused pass
        assert not any(np.shares_memory(before, w) for w in layer._buffers.values())
    assert relative_error(again, results[1][0]) <= tol
    assert relative_error(results[0][3], results[1][3]) <= tol
    assert layer.forward(x[:1]).shape[0] == 1


def test_lstm_with_other_activations_takes_the_driver_loop():
    layer, x = _built(LSTM, 2, T=4, activation="relu", recurrent_activation="linear")
    errors = check_layer(layer, x)
    assert layer.fused is None and max(errors.values()) < 1e-7, errors
    twin_y, _, twin_dx, _, _ = _keras_run(layer.to_keras(), x, np.ones((len(x), layer.units)))
    assert relative_error(layer(x), twin_y) <= 1e-6
    assert relative_error(layer.backward(np.ones((len(x), layer.units))), twin_dx) <= 1e-6


# --- the Keras twin -----------------------------------------------------------------------------------


def _keras_run(twin, x, r_y, initial=None, r_s=()):
    """Keras's y, final states and gradients (x, weights by name, initial states) for
    L = sum(y r_y) + sum_j sum(state_j r_s[j]), by tf.GradientTape."""
    xt = tf.constant(x)
    h0 = [tf.constant(s) for s in initial] if initial else None
    with tf.GradientTape() as tape:
        tape.watch(xt)
        if h0:
            tape.watch(h0)
        out = twin(xt, initial_state=h0)
        y, final = (out[0], out[1:]) if isinstance(out, tuple) else (out, [])
        loss = tf.reduce_sum(y * r_y) + sum(tf.reduce_sum(s * q) for s, q in zip(final, r_s))
    grads = tape.gradient(loss, [xt, *twin.trainable_weights, *(h0 or [])])
    k = len(twin.trainable_weights)
    return (np.asarray(y), [np.asarray(s) for s in final], np.asarray(grads[0]),
            {v.name: np.asarray(g) for v, g in zip(twin.trainable_weights, grads[1:k + 1])},
            [np.asarray(g) for g in grads[k + 1:]])


@pytest.mark.parametrize("return_state", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("cls", CELLS, ids=IDS)
def test_matches_gradient_tape_on_the_keras_twin(cls, seed, return_sequences, return_state):
    layer, x = _built(cls, seed + 20, T=[1, 4, 7][seed], return_sequences=return_sequences,
                      return_state=return_state)
    rng = np.random.default_rng(seed)
    r_y = rng.normal(size=(len(x), *layer.output_shape(layer.input_shape)))
    initial = _states(layer, len(x), rng) if return_state else None
    r_s = _states(layer, len(x), rng) if return_state else ()
    y, final, dx, dw, dh0 = _keras_run(layer.to_keras(), x, r_y, initial, r_s)
    out = layer(x, initial_state=initial)
    ours = out[0] if return_state else out
    assert relative_error(ours, y) <= 1e-6
    assert relative_error(layer.backward(r_y, dstate=tuple(r_s) or None), dx) <= 1e-6
    assert set(dw) == set(layer.grads)
    for name, g in dw.items():
        assert relative_error(layer.grads[name], g) <= 1e-6, name
    if return_state:
        assert isinstance(out, tuple) and len(out) == 1 + layer.state_size == 1 + len(final)
        for a, b in [*zip(out[1:], final), *zip(layer.dinitial_state, dh0)]:
            assert relative_error(a, b) <= 1e-6


@pytest.mark.parametrize("cls", CELLS, ids=IDS)
def test_float32_stays_float32_and_matches_keras(cls):
    layer, x = _built(cls, 7, T=6, dtype="float32", return_sequences=True)
    r = np.random.default_rng(0).normal(size=(len(x), 6, layer.units)).astype(np.float32)
    y, _, dx, dw, _ = _keras_run(layer.to_keras(), x, r)
    ours = layer(x)
    assert ours.dtype == np.float32 and relative_error(ours, y) <= 1e-5
    assert relative_error(layer.backward(r), dx) <= 1e-5
    assert all(layer.grads[k].dtype == np.float32 and relative_error(layer.grads[k], g) <= 1e-5
               for k, g in dw.items())


@pytest.mark.parametrize("cls", CELLS, ids=IDS)
def test_weights_both_ways_and_from_keras(cls):
    rng = np.random.default_rng(1)
    twin = getattr(keras.layers, cls.keras_class)(3, return_sequences=True, dtype="float64")
    twin.build((None, 4, 2))
    twin.set_weights([rng.normal(size=w.shape) for w in twin.get_weights()])
    ours = twins.from_keras(twin)
    assert type(ours) is cls and ours.return_sequences and ours.units == 3
    ours.build((4, 2)).set_from_keras(twin)
    assert twins.max_weight_difference(ours, twin) == 0.0
    back = ours.to_keras()
    assert twins.max_weight_difference(ours, back) == 0.0
    x = rng.normal(size=(2, 4, 2))
    np.testing.assert_allclose(ours(x), np.asarray(back(x)), rtol=1e-12, atol=1e-12)


def test_default_parameters_follow_keras():
    lstm = LSTM(5).build((3, 2), 0)
    b = lstm.params["bias"]
    assert b.shape == (20,) and np.all(b[5:10] == 1) and np.all(b[:5] == 0) and np.all(b[10:] == 0)
    assert np.all(LSTM(5, unit_forget_bias=False).build((3, 2), 0).params["bias"] == 0)
    U = lstm.params["recurrent_kernel"]  # orthogonal: (5, 20) has orthonormal rows
    np.testing.assert_allclose(U @ U.T, np.eye(5), atol=1e-12)
    gru = GRU(4).build((3, 2), 0)
    assert {k: v.shape for k, v in gru.params.items()} == {
        "kernel": (2, 12), "recurrent_kernel": (4, 12), "bias": (2, 12)}
    k = keras.layers.GRU(4)
    k.build((None, 3, 2))
    assert [tuple(w.shape) for w in k.weights] == [w.shape for w in gru.get_weights()]
    assert SimpleRNN(4).build((3, 2), 0).params["recurrent_kernel"].shape == (4, 4)


def test_set_from_keras_refuses_what_it_does_not_compute():
    ours = LSTM(3).build((4, 2), 0)
    for kwargs, match in [({"units": 2}, "units"), ({"go_backwards": True}, "go_backwards"),
                          ({"dropout": 0.5}, "dropout"), ({"activation": "relu"}, "activation"),
                          ({"recurrent_activation": "tanh"}, "recurrent_activation"),
                          ({"return_sequences": True}, "return_sequences"),
                          ({"use_bias": False}, "use_bias"),
                          ({"kernel_regularizer": "l2"}, "kernel_regularizer")]:
        twin = keras.layers.LSTM(**{"units": 3, **kwargs})
        twin.build((None, 4, 2))
        with pytest.raises(ValueError, match=match):
            ours.set_from_keras(twin)
    gru = keras.layers.GRU(3, reset_after=False)
    gru.build((None, 4, 2))
    with pytest.raises(ValueError, match="reset_after"):
        GRU(3).build((4, 2), 0).set_from_keras(gru)
    with pytest.raises(TypeError, match="keras.layers.LSTM, got GRU"):
        ours.set_from_keras(keras.layers.GRU(3))


# --- Embedding -------------------------------------------------------------------------------------------


def test_embedding_gradient_and_keras_twin():
    rng = np.random.default_rng(0)
    layer = Embedding(7, 3).build((5,), rng)
    ids = rng.integers(0, 7, size=(4, 5))
    ids[0, :2] = 6  # an id read twice gets both gradients
    r = rng.normal(size=(4, 5, 3))

    def loss(_):
        return np.sum(layer(ids) * r)

    loss(None)
    assert layer.backward(r) is None  # ids have no gradient
    numeric = numerical_gradient(loss, layer.params["embeddings"])
    assert relative_error(layer.grads["embeddings"], numeric) < 1e-7
    twin = layer.to_keras()
    with tf.GradientTape() as tape:
        y = twin(tf.constant(ids))
        value = tf.reduce_sum(y * r)
    (g,) = tape.gradient(value, twin.trainable_weights)
    assert relative_error(layer(ids), y) == 0.0
    assert relative_error(layer.grads["embeddings"], tf.convert_to_tensor(g)) <= 1e-12
    assert type(twins.from_keras(twin)) is Embedding
    assert twins.max_weight_difference(Embedding(7, 3).build((5,), 1).set_from_keras(twin), twin) == 0
    w = Embedding(50, 40).build((2,), 0).params["embeddings"]  # Keras's "uniform": U(-0.05, 0.05)
    assert w.max() <= 0.05 and w.min() >= -0.05 and w.max() > 0.049


def test_embedding_input_checks():
    layer = Embedding(7, 3).build((5,), 0)
    assert layer(np.zeros((2, 5))).shape == (2, 5, 3)  # floats holding whole numbers are ids too
    for bad, match in [(np.full((2, 5), 7), r"in \[0, 7\)"), (np.full((2, 5), -1), r"in \[0, 7\)"),
                       (np.full((2, 5), 1.5), "whole numbers"), (np.zeros((2, 4)), r"shape \(n, 5\)")]:
        with pytest.raises(ValueError, match=match):
            layer(bad)
    with pytest.raises(TypeError, match="numeric"):
        layer(np.array([["a"] * 5]))
    for args, error in [((0, 3), ValueError), ((7, 2.0), TypeError), ((True, 3), TypeError)]:
        with pytest.raises(error, match="input_dim|output_dim"):
            Embedding(*args)
    with pytest.raises(ValueError, match="mask_zero"):
        Embedding.from_keras(keras.layers.Embedding(7, 3, mask_zero=True))


# --- a language model in lockstep with Keras -------------------------------------------------------------


def test_embedding_lstm_dense_trains_in_lockstep_with_keras():
    rng = np.random.default_rng(0)
    V, T = 11, 6
    ids = (rng.integers(0, V, size=(96, 1)) + rng.choice([1, 2], size=(96, 1)) * np.arange(T + 1)) % V
    x, y = ids[:, :-1], ids[:, 1:]  # predict the next token at every step: counting in 1s or 2s
    model = Sequential([Embedding(V, 4), LSTM(8, return_sequences=True), Dense(V, activation="softmax")])
    model.build((T,), seed=0)
    # SGD, without clipping: Keras's TensorFlow optimisers get an Embedding's gradient as
    # tf.IndexedSlices, one slice per occurrence of an id, and square (Adam, RMSprop) or clip
    # (clipnorm, clipvalue, global_clipnorm) the slices before adding them up; nnbook's dense
    # gradient is their sum. (Clipping is tested against Keras on dense gradients.)
    model.compile(loss="sparse_categorical_crossentropy",
                  optimizer=optimizers.SGD(learning_rate=2.0, momentum=0.9))
    twin = model.to_keras()
    before = model.evaluate(x, y)["loss"]
    model.fit(x, y, epochs=1, batch_size=8, seed=3, verbose=0)
    log = twins.fit_same_batches(twin, x, y, epochs=1, batch_size=8, seed=3)
    assert len(model.batch_losses) == len(log["batch_losses"]) == 12
    assert relative_error(np.array(model.batch_losses), log["batch_losses"]) <= 1e-6
    assert twins.max_weight_difference(model, twin) <= 1e-6
    assert model.evaluate(x, y)["loss"] < before - 0.2  # it learned something in one epoch
    again = Sequential.from_keras(twin)
    assert twins.max_weight_difference(again, twin) == 0.0 and type(again.layers[0]) is Embedding


# --- stability and errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", CELLS, ids=IDS)
def test_large_inputs_stay_finite(cls):
    layer, x = _built(cls, 3, T=4, return_sequences=True)
    x = np.sign(x) * 1e4
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        y = layer(x)
        dx = layer.backward(np.ones_like(y))
    assert np.isfinite(y).all() and np.isfinite(dx).all()
    assert all(np.isfinite(g).all() for g in layer.grads.values())


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="units must be an integer >= 1, got 0"):
        LSTM(0)
    with pytest.raises(TypeError, match="return_sequences must be True or False"):
        GRU(3, return_sequences=1)
    with pytest.raises(ValueError, match="unknown activation 'tanhh'"):
        SimpleRNN(3, activation="tanhh")
    with pytest.raises(ValueError, match="elementwise activations, not 'softmax'"):
        LSTM(3, recurrent_activation="softmax")
    with pytest.raises(ValueError, match=r"inputs \(n, T, d\)"):
        LSTM(3).build((4,), 0)
    layer = LSTM(3).build((4, 2), 0)
    with pytest.raises(ValueError, match=r"shape \(n, 4, 2\)"):
        layer(np.zeros((2, 4, 3)))
    with pytest.raises(ValueError, match=r"list of 2 arrays \[h0, c0\]"):
        layer(np.zeros((2, 4, 2)), initial_state=[np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"initial_state c0 must have shape \(2, 3\)"):
        layer(np.zeros((2, 4, 2)), initial_state=[np.zeros((2, 3)), np.zeros((1, 3))])
    with pytest.raises(ValueError, match="initial_state h0 must be finite"):
        layer(np.zeros((2, 4, 2)), initial_state=[np.full((2, 3), np.nan), np.zeros((2, 3))])
    with pytest.raises(RuntimeError, match="not built"):
        GRU(2)(np.zeros((1, 2, 2)))
    assert GRU(2).build((3, 1), 0)(np.zeros((1, 3, 1)), initial_state=np.ones((1, 2))).shape == (1, 2)
