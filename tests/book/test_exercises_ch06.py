"""Chapter 6 exercises: the references pass, typical wrong answers fail."""

import math

import numpy as np
import pytest

from nnbook.book.exercises import check, get, ids


def test_registered():
    assert {"ch06.glorot_limit", "ch06.layer_stds", "ch06.sawtooth"} <= set(ids())


def test_glorot_limit_reference():
    ref = get("ch06.glorot_limit").reference
    assert ref(784, 256) == pytest.approx(0.0759554, rel=1e-6)
    assert ref(1, 1) == pytest.approx(math.sqrt(3.0))
    assert check("ch06.glorot_limit", ref, quiet=True).passed
    # an equivalent formula and a NumPy scalar are accepted
    assert check("ch06.glorot_limit", lambda a, b: np.sqrt(3.0 * 2.0 / (a + b)), quiet=True).passed


@pytest.mark.parametrize(
    "wrong, case",
    [
        (lambda a, b: math.sqrt(2.0 / (a + b)), 1),  # the standard deviation, not the limit
        (lambda a, b: math.sqrt(6.0 / a), 1),  # He's uniform limit (fan_in only)
        (lambda a, b: math.sqrt(3.0 / a), 1),  # correct only when fan_in == fan_out
        (lambda a, b: 6.0 / (a + b), 1),  # forgot the square root
        (lambda a, b: math.sqrt(6.0 / (a * b)), 1),  # product instead of sum
        (lambda a, b: math.sqrt(1.0 / (a + b)), 1),  # variance 1/(a+b) read as the limit's square
        (lambda a, b: np.array([math.sqrt(6.0 / (a + b))]), 1),  # an array, not a number
        (lambda a, b: True, 1),  # not a number at all
        (lambda a, b: str(math.sqrt(6.0 / (a + b))), 1),  # the right digits, as a string
    ],
)
def test_glorot_limit_wrong_answers_fail(wrong, case, fails_at):
    result = check("ch06.glorot_limit", wrong, quiet=True)
    fails_at(result, case)


def test_glorot_limit_stub_fails_with_hint(fails_at):
    def stub(fan_in, fan_out):
        raise NotImplementedError

    result = check("ch06.glorot_limit", stub, quiet=True)
    fails_at(result, 1)
    assert "\n  problem:  NotImplementedError\n" in result.message


def _stds(x, weights, f, what="a"):
    a, out = x, []
    for W in weights:
        z = a @ W
        a = f(z)
        out.append((a if what == "a" else z).std())
    return np.array(out)


RELU = {"relu": lambda z: np.maximum(z, 0.0), "tanh": np.tanh}


def test_layer_stds_reference():
    ref = get("ch06.layer_stds").reference
    x = np.array([[1.0, -1.0], [2.0, 0.0]])
    W = np.eye(2)
    # relu(x) = [[1, 0], [2, 0]]: mean 0.75, std sqrt(0.6875)
    np.testing.assert_allclose(ref(x, [W], "relu"), [math.sqrt(0.6875)])
    np.testing.assert_allclose(ref(x, [W, W], "tanh"), [np.tanh(x).std(), np.tanh(np.tanh(x)).std()])
    assert check("ch06.layer_stds", ref, quiet=True).passed


@pytest.mark.parametrize(
    "wrong, case",
    [
        (lambda x, ws, act: _stds(x, ws, RELU[act], what="z"), 1),  # std of z, not of a
        (lambda x, ws, act: _stds(x, ws, lambda z: z), 1),  # forgot the activation
        (lambda x, ws, act: _stds(x, ws, RELU[act])[-1:], 1),  # only the last layer
        (lambda x, ws, act: _stds(x, ws, RELU[act]) ** 2, 1),  # variances
        (lambda x, ws, act: _stds(x, ws, RELU[act])[::-1], 1),  # last layer first
        (lambda x, ws, act: np.r_[x.std(), _stds(x, ws, RELU[act])[:-1]], 1),  # input counted as a layer
        (lambda x, ws, act: np.array([RELU[act](x @ W).std() for W in ws]), 1),  # every layer fed x
        (lambda x, ws, act: list(_stds(x, ws, RELU[act], what="z")), 1),  # list of the wrong values
    ],
)
def test_layer_stds_wrong_answers_fail(wrong, case, fails_at):
    result = check("ch06.layer_stds", wrong, quiet=True)
    fails_at(result, case)


def test_layer_stds_per_unit_average_fails(fails_at):
    # the mean of per-unit standard deviations is not the spread over all units
    def per_unit(x, ws, act):
        a, out = x, []
        for W in ws:
            a = RELU[act](a @ W)
            out.append(a.std(axis=0).mean())
        return np.array(out)

    result = fails_at(check("ch06.layer_stds", per_unit, quiet=True), 1)
    assert "differs:  [0] (1 of 2 entries differ): expected 0.6932, got 0.4375" in result.message


# --- ch06.sawtooth -------------------------------------------------------------------------------


def test_sawtooth_reference_passes_and_has_2_to_the_L_pieces():
    ref = get("ch06.sawtooth").reference
    assert check("ch06.sawtooth", ref, quiet=True).passed
    x = np.linspace(0.0, 1.0, 2**10 + 1)  # every multiple of 1/1024 contains every kink
    for L in range(1, 7):
        y = ref(x, L)
        assert 1 + int(np.sum(np.abs(np.diff(y, 2)) > 1e-9)) == 2**L
        np.testing.assert_allclose(y[:: 2 ** (10 - L)], np.arange(2**L + 1) % 2)  # 0, 1, 0, ...


def test_sawtooth_with_the_absolute_value_passes():
    def with_abs(x, L):
        for _ in range(L):
            x = 1.0 - np.abs(2.0 * x - 1.0)  # the same tent on [0, 1]
        return x

    assert check("ch06.sawtooth", with_abs, quiet=True).passed


def _folds(L, slope_after=-4.0):
    def wrong(x, _L):
        a = np.asarray(x, dtype=float)
        for _ in range(L(_L)):
            a = 2.0 * np.maximum(a, 0.0) + slope_after * np.maximum(a - 0.5, 0.0)
        return a

    return wrong


@pytest.mark.parametrize(
    "wrong, case",
    [
        (_folds(lambda L: L - 1), 1),  # one fold too few
        (_folds(lambda L: L + 1), 1),  # one fold too many
        (_folds(lambda L: L, slope_after=-2.0), 1),  # -2 relu(x - 1/2): flat at 1 after the peak
        (_folds(lambda L: 1), 2),  # one tent, whatever L
        (lambda x, L: 2.0 * x - 4.0 * (x - 0.5), 1),  # no ReLU: a straight line
        (lambda x, L: np.ravel(_folds(lambda L: L)(x, L)), 5),  # flattened the (3, 4) batch
        (lambda x, L: (2.0**L * np.asarray(x)) % 1.0, 1),  # teeth that only go up
    ],
)
def test_sawtooth_wrong_answers_fail(wrong, case, fails_at):
    fails_at(check("ch06.sawtooth", wrong, quiet=True), case)
