"""Chapter 4 exercises: the references pass (and agree with the engine and with centred
differences), typical wrong answers fail with a hint."""

import numpy as np
import pytest

from nnbook.book.exercises import check, get, ids
from nnbook.engine import activations, layers


def test_registered():
    assert {"ch04.dense_backward", "ch04.softmax_backward", "ch04.graph_grads"} <= set(ids())


# --- ch04.dense_backward -------------------------------------------------------------------------


def test_dense_backward_reference_passes():
    assert check("ch04.dense_backward", get("ch04.dense_backward").reference, quiet=True).passed


def test_dense_backward_reference_matches_the_engine_and_centred_differences():
    ref = get("ch04.dense_backward").reference
    rng = np.random.default_rng(0)
    layer = layers.Dense(3).build((4,), rng)
    x = rng.normal(size=(6, 4))
    layer.forward(x)
    dz = rng.normal(size=(6, 3))
    dx = layer.backward(dz)
    got = ref(x, layer.params["kernel"], dz)
    np.testing.assert_allclose(got["x"], dx, rtol=1e-12)
    np.testing.assert_allclose(got["kernel"], layer.grads["kernel"], rtol=1e-12)
    np.testing.assert_allclose(got["bias"], layer.grads["bias"], rtol=1e-12)
    # L = sum(z * dz) has dL/dz = dz; its centred difference in W[1, 2]
    W, b, h = layer.params["kernel"], layer.params["bias"], 1e-6
    E = np.zeros_like(W)
    E[1, 2] = h
    numeric = (np.sum((x @ (W + E) + b) * dz) - np.sum((x @ (W - E) + b) * dz)) / (2 * h)
    assert got["kernel"][1, 2] == pytest.approx(numeric, rel=1e-7)


def test_dense_backward_extra_keys_are_allowed():
    ref = get("ch04.dense_backward").reference

    def with_extra(x, W, dz):
        return {**ref(x, W, dz), "z": dz}

    assert check("ch04.dense_backward", with_extra, quiet=True).passed


@pytest.mark.parametrize(
    "wrong, case",
    [
        (lambda x, W, dz: {"x": dz @ W, "kernel": x.T @ dz, "bias": dz.sum(axis=0)}, 1),  # W not W^T
        (lambda x, W, dz: {"x": dz @ W.T, "kernel": dz.T @ x, "bias": dz.sum(axis=0)}, 1),  # dW^T
        (lambda x, W, dz: {"x": dz @ W.T, "kernel": x.T @ dz, "bias": dz.mean(axis=0)}, 1),  # mean
        (lambda x, W, dz: {"x": dz @ W.T, "kernel": x.T @ dz, "bias": dz}, 1),  # no batch sum
        (lambda x, W, dz: {"x": dz @ W.T, "kernel": x.T @ dz / len(x), "bias": dz.sum(axis=0)}, 1),
        (lambda x, W, dz: {"x": x, "kernel": x.T @ dz, "bias": dz.sum(axis=0)}, 1),  # dx = x
        (lambda x, W, dz: {"dx": dz @ W.T, "dW": x.T @ dz, "db": dz.sum(axis=0)}, 1),  # wrong keys
        (lambda x, W, dz: None, 1),
        (lambda x, W, dz: {"x": (dz @ W.T).astype(str), "kernel": (x.T @ dz).astype(str),
                           "bias": dz.sum(axis=0).astype(str)}, 1),  # the right numbers, as strings
    ],
)
def test_dense_backward_wrong_answers_fail(wrong, case, fails_at):
    result = check("ch04.dense_backward", wrong, quiet=True)
    fails_at(result, case)


@pytest.mark.parametrize("container", [tuple, list])
def test_dense_backward_sequence_instead_of_dict_is_not_accepted(container, fails_at):
    def as_sequence(x, W, dz):
        return container([dz @ W.T, x.T @ dz, dz.sum(axis=0)])

    result = fails_at(check("ch04.dense_backward", as_sequence, quiet=True), 1)
    assert "  (dict of 3)\n" in result.message  # the types are shown: they differ
    assert f"  ({container.__name__} of 3)\n" in result.message


def test_dense_backward_stub_fails_with_hint(fails_at):
    def stub(x, W, dz):
        raise NotImplementedError

    result = check("ch04.dense_backward", stub, quiet=True)
    fails_at(result, 1)
    assert "\n  problem:  NotImplementedError\n" in result.message


# --- ch04.softmax_backward -----------------------------------------------------------------------


def test_softmax_backward_reference_passes_and_matches_the_jacobian_and_the_engine():
    ref = get("ch04.softmax_backward").reference
    assert check("ch04.softmax_backward", ref, quiet=True).passed
    rng = np.random.default_rng(1)
    z, da = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    a = activations.softmax(z)
    via_jacobian = np.einsum("nj,nji->ni", da, activations.softmax_jacobian(z))
    np.testing.assert_allclose(ref(a, da), via_jacobian, rtol=1e-12, atol=1e-15)
    layer = layers.Activation("softmax").build((4,))
    layer.forward(z)
    np.testing.assert_allclose(ref(a, da), layer.backward(da), rtol=1e-12, atol=1e-15)


def test_softmax_backward_with_the_full_jacobian_passes():
    def full(a, da):
        a, da = np.asarray(a), np.asarray(da)
        J = a[..., :, None] * (np.eye(a.shape[-1]) - a[..., None, :])
        return np.einsum("...j,...ji->...i", da, J)

    assert check("ch04.softmax_backward", full, quiet=True).passed


@pytest.mark.parametrize(
    "wrong, case",
    [
        (lambda a, da: da * a * (1 - a), 1),  # only the diagonal of the Jacobian
        (lambda a, da: a * (da - np.sum(da * a, axis=0, keepdims=True)), 2),  # sums over the batch
        (lambda a, da: a * (da - np.sum(da * a)), 2),  # one sum for everything
        (lambda a, da: a * (da - np.sum(da, axis=-1, keepdims=True)), 1),  # forgot the weights a_j
        (lambda a, da: da - np.sum(da * a, axis=-1, keepdims=True), 1),  # forgot the factor a_i
        (lambda a, da: da, 1),  # as if softmax were the identity
        (lambda a, da: (a * (da - np.sum(da * a, axis=-1, keepdims=True))).ravel(), 2),  # flattened
    ],
)
def test_softmax_backward_wrong_answers_fail(wrong, case, fails_at):
    result = check("ch04.softmax_backward", wrong, quiet=True)
    fails_at(result, case)


# --- ch04.graph_grads ----------------------------------------------------------------------------


def test_graph_grads_reference_passes_and_matches_centred_differences():
    ref = get("ch04.graph_grads").reference
    assert check("ch04.graph_grads", ref, quiet=True).passed
    assert tuple(map(float, ref(0.0, 2.0))) == (2.0, 3.0, 1.0)
    rng = np.random.default_rng(0)
    x, y, h = rng.normal(size=7), rng.normal(size=7), 1e-6
    f = lambda x, y: (x + y) * np.exp(x)  # noqa: E731
    _, dx, dy = ref(x, y)
    np.testing.assert_allclose(dx, (f(x + h, y) - f(x - h, y)) / (2 * h), rtol=1e-7)
    np.testing.assert_allclose(dy, (f(x, y + h) - f(x, y - h)) / (2 * h), rtol=1e-7)


def test_graph_grads_via_the_books_autodiff_gets_the_numbers_but_not_the_arrays(fails_at):
    from nnbook.lab import autodiff

    def via_autodiff(x, y):
        value, grads = autodiff.value_and_grad(lambda x, y: (x + y) * autodiff.exp(x), x=x, y=y)
        return value, grads["x"], grads["y"]

    # the book's autodiff works on scalars: right at the two points, not elementwise on arrays
    fails_at(check("ch04.graph_grads", via_autodiff, quiet=True), 3)


@pytest.mark.parametrize(
    "wrong, case",
    [
        (lambda x, y: ((x + y) * np.exp(x), np.exp(x), np.exp(x)), 1),  # the path via e forgotten
        (lambda x, y: ((x + y) * np.exp(x), (x + y) * np.exp(x), np.exp(x)), 1),  # the path via s
        (lambda x, y: ((x + y) * np.exp(x), np.exp(x), (x + y + 1) * np.exp(x)), 1),  # swapped
        (lambda x, y: (np.exp(x), (x + y + 1) * np.exp(x), np.exp(x)), 1),  # f is e, not s e
        (lambda x, y: ((x + y) * np.exp(x), (x + y + 1) * np.exp(x), x + y), 1),  # df/dy = s
        (lambda x, y: tuple(float(v) for v in get("ch04.graph_grads").reference(x, y)), 3),  # numbers only
    ],
)
def test_graph_grads_wrong_answers_fail(wrong, case, fails_at):
    fails_at(check("ch04.graph_grads", wrong, quiet=True), case)
