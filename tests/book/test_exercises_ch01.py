"""Chapter 1 exercises: the references pass, typical wrong answers fail."""

import numpy as np
import pytest

from nnbook.book.exercises import check, get, ids


def test_registered():
    assert {"ch01.dense_relu", "ch01.count_params", "ch01.closest_point"} <= set(ids())


def test_dense_relu_reference_passes():
    assert check("ch01.dense_relu", get("ch01.dense_relu").reference, quiet=True).passed


@pytest.mark.parametrize(
    "wrong, case",
    [
        (lambda x, W, b: x @ W + b, 1),  # forgot the ReLU
        (lambda x, W, b: np.maximum(0.0, x @ W), 1),  # forgot the bias
        (lambda x, W, b: np.maximum(0.0, (W.T @ x.T).T), 1),  # no bias, transposed the hard way
        (lambda x, W, b: np.maximum(0.0, x @ W + b.sum()), 1),  # bias summed into one number
        (lambda x, W, b: np.abs(x @ W + b), 1),  # |z| is not ReLU
        (lambda x, W, b: 1.0 / (1.0 + np.exp(-(x @ W + b))), 1),  # sigmoid instead of ReLU
        (lambda x, W, b: np.maximum(0.0, x @ W + b)[0], 1),  # only the first example
    ],
)
def test_dense_relu_wrong_answers_fail(wrong, case, fails_at):
    result = check("ch01.dense_relu", wrong, quiet=True)
    fails_at(result, case)


def test_dense_relu_stub_fails_with_hint(fails_at):
    def stub(x, W, b):
        raise NotImplementedError

    result = check("ch01.dense_relu", stub, quiet=True)
    fails_at(result, 1)
    assert "\n  problem:  NotImplementedError\n" in result.message


def test_count_params_reference():
    ref = get("ch01.count_params").reference
    assert ref([64, 32, 10]) == 2410
    assert ref([2, 1]) == 3
    assert check("ch01.count_params", ref, quiet=True).passed


@pytest.mark.parametrize(
    "wrong, case",
    [
        (lambda s: sum(a * b for a, b in zip(s[:-1], s[1:])), 1),  # forgot the biases
        (lambda s: sum(a * b + a for a, b in zip(s[:-1], s[1:])), 1),  # one bias per input
        (lambda s: sum(s), 2),  # counted neurons, not parameters
        (lambda s: sum(a * b + b for a, b in zip(s[:-1], s[1:])) + s[0], 1),  # biases on the inputs
        (lambda s: float(sum(a * b + b for a, b in zip(s[:-1], s[1:]))), 1),  # not an int
        (lambda s: int(np.prod(s)) + sum(s[1:]), 2),  # multiplied all the widths together
    ],
)
def test_count_params_wrong_answers_fail(wrong, case, fails_at):
    fails_at(check("ch01.count_params", wrong, quiet=True), case)


# --- ch01.closest_point --------------------------------------------------------------------------


def test_closest_point_reference_lies_on_the_boundary_nearest_the_origin():
    ref = get("ch01.closest_point").reference
    assert check("ch01.closest_point", ref, quiet=True).passed
    np.testing.assert_allclose(ref(np.array([1.0, 2.0]), -2.0), [0.4, 0.8])
    rng = np.random.default_rng(0)
    for _ in range(5):
        w, b = rng.normal(size=3), float(rng.normal())
        x = ref(w, b)
        assert abs(w @ x + b) < 1e-12
        np.testing.assert_allclose(np.linalg.norm(x), abs(b) / np.linalg.norm(w))
        # any other point of the plane is farther away
        other = x + np.cross(w, rng.normal(size=3))
        assert abs(w @ other + b) < 1e-9 and np.linalg.norm(other) > np.linalg.norm(x)


@pytest.mark.parametrize(
    "wrong, case",
    [
        (lambda w, b: b * w / (w @ w), 1),  # sign slip: the mirror image of the point
        (lambda w, b: -b * w / np.linalg.norm(w), 1),  # divided by |w| once: off the line
        (lambda w, b: abs(b) / np.linalg.norm(w), 1),  # the distance, not the point
        (lambda w, b: np.array([-b / w[0], 0.0]), 1),  # where the line crosses the x1 axis
        (lambda w, b: -b * np.abs(w) / (w @ w), 2),  # lost the signs of w
        (lambda w, b: -b * w[:2] / (w @ w), 5),  # assumed two inputs
    ],
)
def test_closest_point_wrong_answers_fail(wrong, case, fails_at):
    fails_at(check("ch01.closest_point", wrong, quiet=True), case)


def test_closest_point_stub_fails_with_the_nudge_only(fails_at):
    def stub(w, b):
        raise NotImplementedError

    result = fails_at(check("ch01.closest_point", stub, quiet=True), 1)
    assert "expected" not in result.message and "hint=2" in result.message
