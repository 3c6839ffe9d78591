"""Chapter 7 exercises: the references pass and agree with keras.optimizers; wrong answers fail."""

import warnings

import keras
import numpy as np
import pytest

from nnbook.book.exercises import check, get, ids


def _quiet_check(exid, fn):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return check(exid, fn, quiet=True)


def _keras_path(optimizer, grads, w0):
    """Apply keras `optimizer` to a float64 variable for the gradient sequence `grads`.

    Keras keeps the learning rate in a float32 variable and casts Python-float hyperparameters
    through float32, so the tests use values that float32 holds exactly (0.75, 2**-5, ...) and
    can then ask for agreement to 1e-10."""
    v = keras.Variable(np.array(w0, dtype=np.float64), dtype="float64")
    path = []
    for g in grads:
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(g, dtype="float64"), v)])
        path.append(np.array(v.numpy()))
    return np.array(path)


def test_registered():
    assert {"ch07.momentum_step", "ch07.adam_step", "ch07.contraction"} <= set(ids())


# --- ch07.momentum_step --------------------------------------------------------------------------


def test_momentum_reference_passes():
    assert check("ch07.momentum_step", get("ch07.momentum_step").reference, quiet=True).passed


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_reference_matches_keras_sgd(nesterov):
    ref = get("ch07.momentum_step").reference
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(30, 3))
    w, m, ours = np.array([0.5, -1.0, 2.0]), np.zeros(3), []
    for g in grads:
        w, m = ref(w, g, m, lr=2**-5, momentum=0.75, nesterov=nesterov)
        ours.append(w)
    theirs = _keras_path(keras.optimizers.SGD(2**-5, momentum=0.75, nesterov=nesterov), grads,
                         [0.5, -1.0, 2.0])
    np.testing.assert_allclose(np.array(ours), theirs, rtol=1e-10, atol=1e-12)


def _textbook_momentum(w, g, m, lr=0.01, momentum=0.9, nesterov=False):
    m_new = momentum * m + g  # the other convention: m accumulates raw gradients
    return w - lr * m_new, m_new


def _no_nesterov(w, g, m, lr=0.01, momentum=0.9, nesterov=False):
    m_new = momentum * m - lr * g
    return w + m_new, m_new


def _nesterov_with_old_m(w, g, m, lr=0.01, momentum=0.9, nesterov=False):
    m_new = momentum * m - lr * g
    return w + (momentum * m - lr * g if nesterov else m_new), m_new


def _sign_error(w, g, m, lr=0.01, momentum=0.9, nesterov=False):
    m_new = momentum * m + lr * g
    return w + (momentum * m_new + lr * g if nesterov else m_new), m_new


def _forgets_velocity(w, g, m, lr=0.01, momentum=0.9, nesterov=False):
    return w - lr * g, -lr * g


@pytest.mark.parametrize(
    "wrong, case", [
        (_textbook_momentum, 1),
        (_no_nesterov, 4),
        (_nesterov_with_old_m, 4),
        (_sign_error, 1),
        (_forgets_velocity, 2),
    ]
)
def test_momentum_wrong_answers_fail(wrong, case, fails_at):
    result = _quiet_check("ch07.momentum_step", wrong)
    fails_at(result, case)


def test_momentum_stub_fails_with_hint(fails_at):
    def stub(w, g, m, lr=0.01, momentum=0.9, nesterov=False):
        raise NotImplementedError

    result = check("ch07.momentum_step", stub, quiet=True)
    fails_at(result, 1)
    assert "\n  problem:  NotImplementedError\n" in result.message


# --- ch07.adam_step ------------------------------------------------------------------------------


def test_adam_reference_passes():
    assert check("ch07.adam_step", get("ch07.adam_step").reference, quiet=True).passed


@pytest.mark.parametrize("scale", [1.0, 1e-6])
def test_adam_reference_matches_keras_adam(scale):
    ref = get("ch07.adam_step").reference
    rng = np.random.default_rng(1)
    grads = scale * rng.normal(size=(40, 4))
    w, m, v, ours = np.array([0.1, 0.2, -0.3, 1.0]), np.zeros(4), np.zeros(4), []
    for t, g in enumerate(grads, start=1):
        w, m, v = ref(w, g, m, v, t, lr=2**-7, beta_1=0.75, beta_2=63 / 64)
        ours.append(w)
    theirs = _keras_path(keras.optimizers.Adam(2**-7, beta_1=0.75, beta_2=63 / 64), grads,
                         [0.1, 0.2, -0.3, 1.0])
    np.testing.assert_allclose(np.array(ours), theirs, rtol=1e-10, atol=1e-12)


def _no_bias_correction(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, eps=1e-7):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g * g
    return w - lr * m / (np.sqrt(v) + eps), m, v


def _paper_epsilon(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, eps=1e-7):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g * g
    m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v  # Algorithm 1's epsilon, not Keras's


def _returns_corrected_moments(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, eps=1e-7):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g * g
    alpha = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - alpha * m / (np.sqrt(v) + eps), m / (1 - beta_1**t), v / (1 - beta_2**t)


def _off_by_one_step(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, eps=1e-7):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g * g
    alpha = lr * np.sqrt(1 - beta_2 ** (t + 1)) / (1 - beta_1 ** (t + 1))
    return w - alpha * m / (np.sqrt(v) + eps), m, v


def _no_square_root(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, eps=1e-7):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g * g
    alpha = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - alpha * m / (v + eps), m, v


@pytest.mark.parametrize(
    "wrong, case",
    [
        (_no_bias_correction, 1),
        (_paper_epsilon, 5),
        (_returns_corrected_moments, 1),
        (_off_by_one_step, 1),
        (_no_square_root, 1),
    ],
)
def test_adam_wrong_answers_fail(wrong, case, fails_at):
    result = _quiet_check("ch07.adam_step", wrong)
    fails_at(result, case)


def test_adam_stub_fails_with_hint(fails_at):
    def stub(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, eps=1e-7):
        raise NotImplementedError

    result = check("ch07.adam_step", stub, quiet=True)
    fails_at(result, 1)
    assert "\n  problem:  NotImplementedError\n" in result.message


# --- ch07.contraction ----------------------------------------------------------------------------


def test_contraction_reference_passes_and_predicts_the_engines_rate():
    from nnbook.engine import optimizers

    ref = get("ch07.contraction").reference
    assert check("ch07.contraction", ref, quiet=True).passed

    def by_roots(lr, curvatures, momentum=0.0):
        return max(np.abs(np.roots([1.0, -(1.0 + momentum - lr * lam), momentum])).max()
                   for lam in curvatures)

    assert check("ch07.contraction", by_roots, quiet=True).passed
    # the rate measured on the engine's iterates, on a bowl with curvatures 1 and 20 (diagonal)
    H = np.array([1.0, 20.0])
    for lr, mu in ((0.09, 0.0), (0.05, 0.5), (0.01, 0.9), (0.15, 0.9)):
        w, opt, norms = {"w": np.array([1.0, 1.0])}, optimizers.SGD(lr, momentum=mu), []
        for _ in range(600):
            opt.apply(w, {"w": H * w["w"]})
            norms.append(np.linalg.norm(w["w"]))
        # complex roots make |w| swing: compare the envelopes (maxima over 50 steps) 450 steps apart
        measured = (max(norms[550:]) / max(norms[100:150])) ** (1 / 450)
        # Keras rounds mu to float32, hence the tolerance
        np.testing.assert_allclose(measured, ref(lr, H, momentum=mu), rtol=1e-3)


def _no_abs(lr, curvatures, momentum=0.0):
    return float(np.max(1.0 - lr * np.asarray(curvatures)))  # the sign of 1 - lr lam forgotten


def _flattest_only(lr, curvatures, momentum=0.0):
    return get("ch07.contraction").reference(lr, [min(curvatures)], momentum)


def _momentum_ignored(lr, curvatures, momentum=0.0):
    return float(np.max(np.abs(1.0 - lr * np.asarray(curvatures))))


def _always_sqrt_mu(lr, curvatures, momentum=0.0):
    if momentum == 0:
        return _momentum_ignored(lr, curvatures)
    return float(np.sqrt(momentum))  # right only while the roots are complex


def _larger_root_without_abs(lr, curvatures, momentum=0.0):
    lam = np.asarray(curvatures, dtype=float)
    a = 1.0 + momentum - lr * lam
    disc = a**2 - 4.0 * momentum
    rho = np.where(disc >= 0, (a + np.sqrt(np.maximum(disc, 0.0))) / 2, np.sqrt(momentum))
    return float(np.abs(rho).max())


def _real_part(lr, curvatures, momentum=0.0):
    return max(np.abs(np.roots([1.0, -(1.0 + momentum - lr * lam), momentum]).real).max()
               for lam in curvatures)


@pytest.mark.parametrize(
    "wrong, case",
    [
        (_no_abs, 1),
        (_flattest_only, 1),
        (_momentum_ignored, 3),
        (_always_sqrt_mu, 4),
        (_larger_root_without_abs, 1),  # with mu = 0 it is max(1 - lr lam, 0)
        (_real_part, 3),
        (lambda lr, c, momentum=0.0: np.abs(1.0 - lr * np.asarray(c)), 1),  # one factor per curvature
    ],
)
def test_contraction_wrong_answers_fail(wrong, case, fails_at):
    fails_at(_quiet_check("ch07.contraction", wrong), case)
