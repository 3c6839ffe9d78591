"""Chapter 5 exercises: the references pass and agree with SciPy/Keras, typical wrong answers fail."""

import warnings

import keras
import numpy as np
import pytest
from scipy.special import logsumexp as scipy_logsumexp

from nnbook.book.exercises import check, get, ids
from nnbook.engine import losses


def _quiet_check(exid, fn):
    """check() with NumPy's overflow/divide/invalid warnings silenced (naive answers raise them)."""
    with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return check(exid, fn, quiet=True)


def _stub(*args, **kwargs):
    raise NotImplementedError


def test_registered():
    assert {"ch05.logsumexp", "ch05.softmax_cross_entropy", "ch05.huber_grad"} <= set(ids())


@pytest.mark.parametrize("exid", ["ch05.logsumexp", "ch05.softmax_cross_entropy", "ch05.huber_grad"])
def test_reference_passes_and_stub_fails_with_hint(exid, fails_at):
    assert check(exid, get(exid).reference, quiet=True).passed
    result = check(exid, _stub, quiet=True)
    fails_at(result, 1)
    assert "\n  problem:  NotImplementedError\n" in result.message


@pytest.mark.parametrize("exid", ["ch05.logsumexp", "ch05.softmax_cross_entropy", "ch05.huber_grad"])
def test_every_reference_answer_is_finite(exid):
    ex = get(exid)
    for args, kwargs in ex.cases():
        assert np.all(np.isfinite(ex.reference(*args, **kwargs)))


# --- ch05.logsumexp ------------------------------------------------------------------------------


def test_logsumexp_reference_matches_scipy():
    ref = get("ch05.logsumexp").reference
    for args, _ in get("ch05.logsumexp").cases():
        np.testing.assert_allclose(ref(*args), scipy_logsumexp(args[0], axis=-1), rtol=1e-12)
    assert ref(np.array([0.0, 0.0])) == pytest.approx(np.log(2.0))
    assert ref(np.array([1e4, 1e4])) == pytest.approx(1e4 + np.log(2.0))


def test_logsumexp_via_scipy_passes():
    assert check("ch05.logsumexp", lambda z: scipy_logsumexp(z, axis=-1), quiet=True).passed


def _global_max_lse(z):
    z = np.asarray(z, dtype=float)
    m = z.max()
    return m + np.log(np.exp(z - m).sum(axis=-1))


@pytest.mark.parametrize(
    "wrong, case",
    [
        (lambda z: np.log(np.exp(z).sum(axis=-1)), 3),  # naive: inf / -inf
        (_global_max_lse, 5),  # one maximum for the whole batch: a low row underflows to log(0)
        (lambda z: np.max(z, axis=-1), 1),  # the max alone: drops the log-sum of the rest
        (lambda z: scipy_logsumexp(z), 5),  # reduces over everything, not over the last axis
        (lambda z: scipy_logsumexp(z, axis=-1, keepdims=True), 1),  # keeps a trailing axis of size 1
        (lambda z: np.log(np.mean(np.exp(z - np.max(z, -1, keepdims=True)), -1))
         + np.max(z, -1), 1),  # log-MEAN-exp: off by log k
    ],
)
def test_logsumexp_wrong_answers_fail(wrong, case, fails_at):
    result = _quiet_check("ch05.logsumexp", wrong)
    fails_at(result, case)


# --- ch05.softmax_cross_entropy ------------------------------------------------------------------


def test_softmax_cross_entropy_reference_matches_keras():
    import keras

    ref = get("ch05.softmax_cross_entropy").reference
    for (z, y), _ in get("ch05.softmax_cross_entropy").cases():
        expected = keras.losses.sparse_categorical_crossentropy(y, z, from_logits=True)
        np.testing.assert_allclose(ref(z, y), np.asarray(expected), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ref(np.array([[1e3, 0.0, -1e3]]), np.array([2])), [2000.0])
    np.testing.assert_allclose(ref(np.zeros((1, 10)), np.array([3])), [np.log(10.0)])


def test_softmax_cross_entropy_via_the_logsumexp_exercise_passes():
    lse = get("ch05.logsumexp").reference
    assert check("ch05.softmax_cross_entropy",
                 lambda z, y: lse(z) - np.asarray(z)[np.arange(len(z)), y], quiet=True).passed


def _naive_ce(z, y):
    e = np.exp(z)
    p = e / e.sum(axis=-1, keepdims=True)
    return -np.log(p[np.arange(len(z)), y])


def _stable_softmax_then_log(z, y):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    p = e / e.sum(axis=-1, keepdims=True)
    return -np.log(p[np.arange(len(z)), y])  # p rounds to 0 -> inf


def _clipped_like_keras_probabilities(z, y):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    p = np.clip(e / e.sum(axis=-1, keepdims=True), 1e-7, 1 - 1e-7)
    return -np.log(p[np.arange(len(z)), y])  # finite, but 16.1 instead of 2000


def _lse(z):
    m = z.max(axis=-1, keepdims=True)
    return m[:, 0] + np.log(np.exp(z - m).sum(axis=-1))


@pytest.mark.parametrize(
    "wrong, case",
    [
        (_naive_ce, 3),
        (_stable_softmax_then_log, 4),
        (_clipped_like_keras_probabilities, 3),
        (lambda z, y: np.mean(_lse(z) - z[np.arange(len(z)), y]), 1),  # the batch mean, not per example
        (lambda z, y: z[np.arange(len(z)), y] - _lse(z), 1),  # log-likelihood: sign flipped
        (lambda z, y: _lse(z) - z[:, 0], 2),  # ignores the labels
        (lambda z, y: np.log(np.exp(z - z.max(-1, keepdims=True)).sum(-1))
         - (z[np.arange(len(z)), y] - z.max(-1)) * 0.5, 2),  # a wrong formula that is at least finite
    ],
)
def test_softmax_cross_entropy_wrong_answers_fail(wrong, case, fails_at):
    result = _quiet_check("ch05.softmax_cross_entropy", wrong)
    fails_at(result, case)


def test_stable_softmax_then_log_fails_only_on_the_bottom_class_case(fails_at):
    result = _quiet_check("ch05.softmax_cross_entropy", _stable_softmax_then_log)
    fails_at(result, 4)
    assert "expected: [2000.]\n  got:      [inf]\n" in result.message


# --- ch05.huber_grad -----------------------------------------------------------------------------


def test_huber_grad_reference_matches_centred_differences_and_keras():
    import keras
    import tensorflow as tf

    ref = get("ch05.huber_grad").reference
    rng = np.random.default_rng(0)
    y_true = rng.normal(size=12)
    y_pred = y_true + rng.normal(scale=2.0, size=12)
    y_pred[0] = y_true[0] + 0.3  # keep every residual away from the kinks at +-delta
    for delta in (0.5, 1.0, 3.0):
        assert np.min(np.abs(np.abs(y_pred - y_true) - delta)) > 1e-3

        def loss(p, delta=delta):
            r = p - y_true
            return np.mean(np.where(np.abs(r) <= delta, 0.5 * r**2, delta * np.abs(r) - 0.5 * delta**2))

        h = 1e-6
        numeric = np.array([(loss(y_pred + h * e) - loss(y_pred - h * e)) / (2 * h)
                            for e in np.eye(12)])
        np.testing.assert_allclose(ref(y_true, y_pred, delta=delta), numeric, rtol=1e-6, atol=1e-10)
        yp = tf.Variable(y_pred[:, None])
        with tf.GradientTape() as tape:
            value = keras.losses.Huber(delta=delta)(y_true[:, None], yp)
        np.testing.assert_allclose(ref(y_true, y_pred, delta=delta), tape.gradient(value, yp).numpy()[:, 0],
                                   rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize(
    "wrong, case",
    [
        (lambda t, p, delta=1.0: np.clip(p - t, -delta, delta), 1),  # forgot the 1/n of the mean
        (lambda t, p, delta=1.0: np.clip(t - p, -delta, delta) / len(p), 1),  # derivative w.r.t. y_true
        (lambda t, p, delta=1.0: (p - t) / len(p), 1),  # MSE/2's gradient: outliers pull without limit
        (lambda t, p, delta=1.0: np.sign(p - t) / len(p), 1),  # MAE's gradient
        (lambda t, p, delta=1.0: delta * np.sign(p - t) / len(p), 1),  # forgot the quadratic zone
        (lambda t, p, delta=1.0: np.clip(p - t, -1.0, 1.0) / len(p), 3),  # ignores delta
    ],
)
def test_huber_grad_wrong_answers_fail(wrong, case, fails_at):
    result = _quiet_check("ch05.huber_grad", wrong)
    fails_at(result, case)


# --- ch05.categorical_hinge ----------------------------------------------------------------------

EXID = "ch05.categorical_hinge"


def test_hinge_registered():
    assert EXID in ids()


def test_hinge_reference_matches_keras_and_the_engine():
    ex = get(EXID)
    for args, kwargs in ex.cases():
        z, t = args
        per_example = ex.reference(z, t, **kwargs)
        assert per_example.shape == (len(z),)
        np.testing.assert_allclose(per_example, keras.losses.categorical_hinge(t, z).numpy(),
                                   rtol=0, atol=1e-12)
        assert losses.CategoricalHinge()(t, z) == pytest.approx(per_example.mean(), abs=1e-12)


def test_hinge_reference_passes_and_stub_fails_with_hint(fails_at):
    assert check(EXID, get(EXID).reference, quiet=True).passed

    def stub(z, t):
        raise NotImplementedError

    fails_at(check(EXID, stub, quiet=True), 1)


def _weston_watkins(z, t):  # sums the hinge over every wrong class instead of taking the largest
    z, t = np.asarray(z, float), np.asarray(t, float)
    pos = np.sum(t * z, axis=-1, keepdims=True)
    return np.sum((1 - t) * np.maximum(0, 1 + z - pos), axis=-1)


def _no_clip(z, t):  # forgets max(0, .)
    z, t = np.asarray(z, float), np.asarray(t, float)
    return 1 + np.max((1 - t) * z, axis=-1) - np.sum(t * z, axis=-1)


def _strict_crammer_singer(z, t):  # max over j != y only: differs when every wrong score is < 0
    z, t = np.asarray(z, float), np.asarray(t, float)
    return np.maximum(0, 1 + np.max(np.where(t == 1, -np.inf, z), axis=-1) - np.sum(t * z, axis=-1))


def _mean_not_per_example(z, t):
    return get(EXID).reference(z, t).mean()


@pytest.mark.parametrize("wrong, case", [(_weston_watkins, 2), (_no_clip, 3),
                                         (_strict_crammer_singer, 4), (_mean_not_per_example, 1)])
def test_hinge_wrong_answers_fail(wrong, case, fails_at):
    fails_at(check(EXID, wrong, quiet=True), case)
