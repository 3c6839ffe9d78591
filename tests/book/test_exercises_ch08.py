"""Chapter 8 exercises: the references pass and agree with the engine's Dropout, BatchNormalization
and L2 (themselves tested against Keras); wrong answers fail at the case that exposes them."""

import numpy as np
import pytest

from nnbook.book.exercises import check, get, ids
from nnbook.engine import BatchNormalization, Dropout
from nnbook.engine.regularizers import L2


def test_registered():
    assert {"ch08.dropout_forward", "ch08.batchnorm_forward", "ch08.l2_gradient"} <= set(ids())


@pytest.mark.parametrize("exid", ["ch08.dropout_forward", "ch08.batchnorm_forward", "ch08.l2_gradient"])
def test_reference_passes(exid):
    assert check(exid, get(exid).reference, quiet=True).passed


def test_dropout_reference_matches_the_layer():
    layer = Dropout(0.3)
    layer.build((6,), seed=4)
    x = np.random.default_rng(0).normal(size=(5, 6))
    y = layer.forward(x, training=True)
    keep = layer.mask != 0
    np.testing.assert_allclose(get("ch08.dropout_forward").reference(x, keep, 0.3), y, rtol=1e-12)


def test_batchnorm_reference_matches_the_layer():
    layer = BatchNormalization(epsilon=1e-3)
    layer.build((4,), seed=0)
    rng = np.random.default_rng(1)
    layer.params["gamma"][...] = rng.uniform(0.5, 2, 4)
    layer.params["beta"][...] = rng.normal(size=4)
    x = rng.normal(2.0, 3.0, size=(7, 4))
    y = layer.forward(x, training=True)
    ours = get("ch08.batchnorm_forward").reference(x, layer.params["gamma"], layer.params["beta"], 1e-3)
    np.testing.assert_allclose(ours, y, rtol=1e-12)


def test_l2_reference_matches_the_regularizer():
    W = np.random.default_rng(2).normal(size=(3, 4))
    dW = np.ones((3, 4))
    np.testing.assert_allclose(get("ch08.l2_gradient").reference(W, dW, 2**-6),
                               dW + L2(2**-6).gradient(W), rtol=1e-12)


def _dropout_not_rescaled(x, keep, rate):
    return x * keep


def _dropout_scaled_by_rate(x, keep, rate):
    return x * keep / rate if rate else x


def _dropout_mask_inverted(x, keep, rate):
    return x * ~keep / (1 - rate)


def _bn_unbiased_variance(x, gamma, beta, epsilon=1e-3):
    return gamma * (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + epsilon) + beta


def _bn_over_features(x, gamma, beta, epsilon=1e-3):
    mean, var = x.mean(1, keepdims=True), x.var(1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(var + epsilon) + beta


def _bn_no_epsilon(x, gamma, beta, epsilon=1e-3):
    return gamma * (x - x.mean(0)) / np.sqrt(x.var(0)) + beta


def _l2_with_half(W, dW, l2):
    return dW + l2 * W


def _l2_penalty_only(W, dW, l2):
    return 2 * l2 * W


def _l1_instead(W, dW, l2):
    return dW + l2 * np.sign(W)


@pytest.mark.parametrize("exid, wrong, case", [
    ("ch08.dropout_forward", _dropout_not_rescaled, 1),
    ("ch08.dropout_forward", _dropout_scaled_by_rate, 1),
    ("ch08.dropout_forward", _dropout_mask_inverted, 1),
    ("ch08.batchnorm_forward", _bn_unbiased_variance, 1),
    ("ch08.batchnorm_forward", _bn_over_features, 1),
    ("ch08.batchnorm_forward", _bn_no_epsilon, 1),
    ("ch08.l2_gradient", _l2_with_half, 1),
    ("ch08.l2_gradient", _l2_penalty_only, 2),
    ("ch08.l2_gradient", _l1_instead, 1),
])
def test_wrong_answers_fail(exid, wrong, case, fails_at):
    with np.errstate(all="ignore"):
        result = check(exid, wrong, quiet=True)
    fails_at(result, case)
    assert get(exid).hint in result.message


def test_stub_fails_with_hint(fails_at):
    def stub(x, keep, rate):
        raise NotImplementedError

    result = check("ch08.dropout_forward", stub, quiet=True)
    fails_at(result, 1)
    assert "\n  problem:  NotImplementedError\n" in result.message
