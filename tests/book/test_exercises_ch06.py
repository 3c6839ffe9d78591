"""Chapter 6 exercises: the references pass, typical wrong answers fail."""

import math

import numpy as np
import pytest

from nnbook.book.exercises import check, get, ids


def test_registered():
    assert {"ch06.glorot_limit", "ch06.layer_stds"} <= set(ids())


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
