"""lab/interpret.py: gradients by the engine against tf.GradientTape and centred differences,
integrated gradients' completeness, occlusion on a linear scorer, weight randomisation, Spearman's
rank correlation against SciPy, bad input."""

import numpy as np
import pytest
import scipy.stats

from nnbook.engine import Conv2D, Dense, Flatten, MaxPooling2D, Sequential
from nnbook.lab import interpret


def small_cnn(dtype="float64", seed=0):
    model = Sequential([Conv2D(3, 3, activation="relu"), MaxPooling2D(2), Flatten(),
                        Dense(8, activation="tanh"), Dense(4, activation="softmax")])
    return model.build((8, 8, 1), seed=seed, dtype=dtype)


def test_logit_model_keeps_the_weights_and_drops_the_softmax():
    model = small_cnn()
    logits = interpret.logit_model(model)
    x = np.random.default_rng(0).normal(size=(5, 8, 8, 1))
    z = logits.predict(x)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(p / p.sum(axis=1, keepdims=True), model.predict(x), rtol=1e-12)
    assert logits.layers[:-1] == model.layers[:-1] and model.layers[-1].activation.name == "softmax"


def test_gradient_matches_centred_differences():
    logits = interpret.logit_model(small_cnn())
    x = np.random.default_rng(1).normal(size=(2, 8, 8, 1))
    c = np.array([1, 3])
    g = interpret.gradient(logits, x, c)
    eps = 1e-6
    for idx in [(0, 2, 3, 0), (1, 7, 0, 0), (1, 4, 4, 0)]:
        up, down = x.copy(), x.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric = (interpret.class_logit(logits, up, c)
                   - interpret.class_logit(logits, down, c))[idx[0]] / (2 * eps)
        assert g[idx] == pytest.approx(numeric, abs=1e-7)


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 1e-5)])
def test_gradient_matches_gradient_tape(dtype, tol):
    import keras

    keras.config.set_floatx(dtype)
    try:
        logits = interpret.logit_model(small_cnn(dtype))
        x = np.random.default_rng(2).normal(size=(6, 8, 8, 1)).astype(dtype)
        c = np.array([0, 1, 2, 3, 0, 1])
        ours, theirs = interpret.gradient(logits, x, c), interpret.keras_gradient(logits.to_keras(), x, c)
    finally:
        keras.config.set_floatx("float32")
    assert np.abs(ours - theirs).max() <= tol * np.abs(theirs).max()


def test_integrated_gradients_completeness_improves_with_steps():
    logits = interpret.logit_model(small_cnn())
    x = np.random.default_rng(3).normal(size=(3, 8, 8, 1))
    c = np.array([0, 2, 3])
    target = interpret.class_logit(logits, x, c) - interpret.class_logit(logits, np.zeros_like(x), c)
    errors = [np.abs(interpret.integrated_gradients(logits, x, c, steps=m).sum(axis=(1, 2, 3)) - target).sum()
              for m in (4, 64, 256)]
    # ReLU and max-pooling kinks make the integrand jump: the trapezoid error falls like 1/m
    assert errors[0] > errors[1] > errors[2] and errors[2] < errors[0] / 20


def test_integrated_gradients_of_a_linear_model_are_exact():
    model = Sequential([Dense(3)]).build((5,), seed=0)
    x, base = np.random.default_rng(4).normal(size=(2, 5, )), np.full(5, 0.5)
    ig = interpret.integrated_gradients(model, x, 2, steps=1, baseline=base)
    np.testing.assert_allclose(ig, (x - base) * model.params["0/kernel"][:, 2], rtol=1e-13)


def test_occlusion_of_a_linear_scorer():
    rng = np.random.default_rng(5)
    x, W = rng.normal(size=(6, 5, 1)), rng.normal(size=(6, 5, 1))
    drops = interpret.occlusion(lambda b: (b * W).sum(axis=(1, 2, 3)), x, 2, stride=2, fill=0.0)
    assert drops.shape == (3, 2)
    assert drops[1, 1] == pytest.approx((W * x)[2:4, 2:4].sum(), rel=1e-12)
    grey = interpret.occlusion(lambda b: (b * W).sum(axis=(1, 2, 3)), x, 2, fill=0.5)
    assert grey[0, 0] == pytest.approx((W * (x - 0.5))[0:2, 0:2].sum(), rel=1e-12)
    pixels = interpret.occlusion_pixels(np.ones((3, 2)), 2, 2, (6, 5))
    assert pixels[:, :4].min() == 1.0 and pixels[:, 4].max() == 0.0


def test_randomized_changes_only_the_chosen_layers():
    model = small_cnn()
    before = [w.copy() for w in model.get_weights()]
    new = interpret.randomized(model, [3], seed=7)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    changed = [not np.array_equal(a, b) for a, b in zip(model.get_weights(), new.get_weights())]
    assert changed == [False, False, True, False, False, False]  # the kernel; the bias starts at 0 again


def test_spearman_against_scipy_with_ties():
    rng = np.random.default_rng(6)
    for _ in range(5):
        a, b = rng.integers(0, 6, size=(2, 50)).astype(float)
        assert interpret.spearman(a, b) == pytest.approx(scipy.stats.spearmanr(a, b).statistic, rel=1e-12)
    np.testing.assert_array_equal(interpret.ranks([3.0, 1.0, 3.0, 2.0]), [3.5, 1.0, 3.5, 2.0])
    assert interpret.spearman(np.arange(9.0), np.exp(np.arange(9.0))) == pytest.approx(1.0)


def test_finite_on_huge_inputs():
    logits = interpret.logit_model(small_cnn())
    x = np.full((1, 8, 8, 1), 1e4)
    assert np.isfinite(interpret.gradient(logits, x, 0)).all()
    assert np.isfinite(interpret.integrated_gradients(logits, x, 0, steps=4)).all()


def test_bad_input():
    logits = interpret.logit_model(small_cnn())
    x = np.zeros((1, 8, 8, 1))
    with pytest.raises(TypeError, match="must be a built Sequential ending in Dense"):
        interpret.logit_model(Sequential([Flatten()]).build((2, 2)))
    with pytest.raises(ValueError, match="shape"):
        interpret.gradient(logits, np.zeros((1, 7, 8, 1)), 0)
    with pytest.raises(TypeError, match="class indices"):
        interpret.gradient(logits, x, 0.5)
    with pytest.raises(ValueError, match="steps"):
        interpret.integrated_gradients(logits, x, 0, steps=0)
    with pytest.raises(ValueError, match="patch must fit"):
        interpret.occlusion(lambda b: b.sum(axis=(1, 2)), np.zeros((3, 3)), 4)
    with pytest.raises(ValueError, match="same size"):
        interpret.spearman(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="layer indices"):
        interpret.randomized(logits, [9])
