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
    "wrong",
    [
        lambda a, b: math.sqrt(2.0 / (a + b)),  # the standard deviation, not the limit
        lambda a, b: math.sqrt(6.0 / a),  # He's uniform limit (fan_in only)
        lambda a, b: math.sqrt(3.0 / a),  # correct only when fan_in == fan_out
        lambda a, b: 6.0 / (a + b),  # forgot the square root
        lambda a, b: math.sqrt(6.0 / (a * b)),  # product instead of sum
        lambda a, b: math.sqrt(1.0 / (a + b)),  # variance 1/(a+b) read as the limit's square
        lambda a, b: np.array([math.sqrt(6.0 / (a + b))]),  # an array, not a number
        lambda a, b: True,  # not a number at all
    ],
)
def test_glorot_limit_wrong_answers_fail(wrong):
    result = check("ch06.glorot_limit", wrong, quiet=True)
    assert not result.passed
    assert "hint" in result.message


def test_glorot_limit_stub_fails_with_hint():
    def stub(fan_in, fan_out):
        raise NotImplementedError

    result = check("ch06.glorot_limit", stub, quiet=True)
    assert not result.passed and "NotImplementedError" in result.message


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
    "wrong",
    [
        lambda x, ws, act: _stds(x, ws, RELU[act], what="z"),  # std of z, not of a
        lambda x, ws, act: _stds(x, ws, lambda z: z),  # forgot the activation
        lambda x, ws, act: _stds(x, ws, RELU[act])[-1:],  # only the last layer
        lambda x, ws, act: _stds(x, ws, RELU[act]) ** 2,  # variances
        lambda x, ws, act: _stds(x, ws, RELU[act])[::-1],  # last layer first
        lambda x, ws, act: np.r_[x.std(), _stds(x, ws, RELU[act])[:-1]],  # input counted as a layer
        lambda x, ws, act: np.array([RELU[act](x @ W).std() for W in ws]),  # every layer fed x
        lambda x, ws, act: list(_stds(x, ws, RELU[act], what="z")),  # list of the wrong values
    ],
)
def test_layer_stds_wrong_answers_fail(wrong):
    result = check("ch06.layer_stds", wrong, quiet=True)
    assert not result.passed
    assert "hint" in result.message


def test_layer_stds_per_unit_average_fails():
    # the mean of per-unit standard deviations is not the spread over all units
    def per_unit(x, ws, act):
        a, out = x, []
        for W in ws:
            a = RELU[act](a @ W)
            out.append(a.std(axis=0).mean())
        return np.array(out)

    assert not check("ch06.layer_stds", per_unit, quiet=True).passed
