"""Chapter 11 exercises: the references pass and agree with the engine's LSTM, GRU, SimpleRNN
BPTT and optimiser clipping (themselves tested against Keras); wrong answers fail at the case that
exposes them, with the hint."""

import numpy as np
import pytest

from nnbook.book.exercises import check, get, ids
from nnbook.engine import GRU, LSTM, SimpleRNN, optimizers

IDS = ["ch11.lstm_step", "ch11.gru_step", "ch11.bptt_two_step", "ch11.clip_by_norm"]


def test_registered():
    assert set(IDS) <= set(ids())


@pytest.mark.parametrize("exid", IDS)
def test_reference_passes(exid):
    assert check(exid, get(exid).reference, quiet=True).passed


def _layer(cls, d, u, seed):
    layer = cls(u)
    layer.build((1, d), seed=seed)
    rng = np.random.default_rng(seed)
    for v in layer.params.values():
        v[...] = rng.normal(size=v.shape)
    return layer


def test_lstm_and_gru_references_match_the_layers():
    rng = np.random.default_rng(5)
    x, h, c = rng.normal(size=(4, 3)), rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    lstm = _layer(LSTM, 3, 2, 0)
    p = lstm.params
    lstm.forward(x[:, None], initial_state=(h, c))
    h_new, c_new = get("ch11.lstm_step").reference(x, h, c, p["kernel"], p["recurrent_kernel"], p["bias"])
    np.testing.assert_allclose(h_new, lstm.last_state[0], rtol=1e-12)
    np.testing.assert_allclose(c_new, lstm.last_state[1], rtol=1e-12)
    gru = _layer(GRU, 3, 2, 1)
    p = gru.params
    out = gru.forward(x[:, None], initial_state=(h,))
    ours = get("ch11.gru_step").reference(x, h, p["kernel"], p["recurrent_kernel"], p["bias"])
    np.testing.assert_allclose(ours, out, rtol=1e-12)


def test_bptt_reference_matches_the_engine():
    rng = np.random.default_rng(6)
    x1, x2, y = rng.normal(size=3), rng.normal(size=3), rng.normal(size=2)
    layer = SimpleRNN(2, activation="linear")
    layer.build((2, 3), seed=0)
    layer.params["bias"][...] = 0.0
    h2 = layer.forward(np.stack([x1, x2])[None])
    layer.backward(h2 - y[None])
    dW, dU = get("ch11.bptt_two_step").reference(x1, x2, layer.params["kernel"],
                                                  layer.params["recurrent_kernel"], y)
    np.testing.assert_allclose(dW, layer.grads["kernel"], rtol=1e-12)
    np.testing.assert_allclose(dU, layer.grads["recurrent_kernel"], rtol=1e-12)


def test_clip_reference_matches_the_optimiser():
    g = np.random.default_rng(7).normal(size=(3, 4)) * 10
    (clipped,) = optimizers.SGD(0.1, clipnorm=2.0).clip([g])
    np.testing.assert_allclose(get("ch11.clip_by_norm").reference(g, 2.0), clipped, rtol=1e-12)


def _sig(z):
    return 1 / (1 + np.exp(-z))


def _lstm_order_ifog(x, h, c, W, U, b):  # Keras's g and o blocks swapped
    u = h.shape[1]
    a = x @ W + h @ U + b
    i, f, o, g = _sig(a[:, :u]), _sig(a[:, u:2 * u]), _sig(a[:, 2 * u:3 * u]), np.tanh(a[:, 3 * u:])
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new


def _lstm_no_tanh_on_c(x, h, c, W, U, b):
    u = h.shape[1]
    a = x @ W + h @ U + b
    i, f, g, o = _sig(a[:, :u]), _sig(a[:, u:2 * u]), np.tanh(a[:, 2 * u:3 * u]), _sig(a[:, 3 * u:])
    c_new = f * c + i * g
    return o * c_new, c_new


def _gru_reset_before(x, h, W, U, b):  # reset_after=False: r scales h before the product
    u = h.shape[1]
    a, q = x @ W + b[0], h @ U + b[1]
    z, r = _sig(a[:, :u] + q[:, :u]), _sig(a[:, u:2 * u] + q[:, u:2 * u])
    g = np.tanh(a[:, 2 * u:] + (r * h) @ U[:, 2 * u:] + b[1, 2 * u:])
    return z * h + (1 - z) * g


def _gru_z_swapped(x, h, W, U, b):
    u = h.shape[1]
    a, q = x @ W + b[0], h @ U + b[1]
    z, r = _sig(a[:, :u] + q[:, :u]), _sig(a[:, u:2 * u] + q[:, u:2 * u])
    g = np.tanh(a[:, 2 * u:] + r * q[:, 2 * u:])
    return (1 - z) * h + z * g


def _bptt_last_step_only(x1, x2, W, U, y):
    h1 = x1 @ W
    d2 = x2 @ W + h1 @ U - y
    return np.outer(x2, d2), np.outer(h1, d2)


def _bptt_u_not_transposed(x1, x2, W, U, y):
    h1 = x1 @ W
    d2 = x2 @ W + h1 @ U - y
    return np.outer(x2, d2) + np.outer(x1, d2 @ U), np.outer(h1, d2)


def _clip_always(g, c):
    return g * c / np.sqrt(np.sum(g**2))


def _clip_values(g, c):
    return np.clip(g, -c, c)


@pytest.mark.parametrize("exid, wrong, case", [
    ("ch11.lstm_step", _lstm_order_ifog, 2),
    ("ch11.lstm_step", _lstm_no_tanh_on_c, 1),
    ("ch11.gru_step", _gru_reset_before, 2),
    ("ch11.gru_step", _gru_z_swapped, 3),  # cases 1-2 have z = 1/2
    ("ch11.bptt_two_step", _bptt_last_step_only, 1),
    ("ch11.bptt_two_step", _bptt_u_not_transposed, 3),
    ("ch11.clip_by_norm", _clip_always, 2),
    ("ch11.clip_by_norm", _clip_values, 1),
])
def test_wrong_answers_fail_with_case_and_hint(exid, wrong, case):
    result = check(exid, wrong, quiet=True)
    assert not result.passed
    assert result.failures[0].case == case
    assert f"case {case}" in result.message and get(exid).hint in result.message


def test_stub_fails_without_giving_the_answer_away():
    def stub(*args):
        raise NotImplementedError("your code here")

    result = check("ch11.lstm_step", stub, quiet=True)
    assert not result.passed and "NotImplementedError" in result.message
