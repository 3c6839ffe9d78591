"""Tests for nnbook.lab.perceptron: the rule by hand, convergence, XOR, NumPy vs Keras, validation."""

import numpy as np
import pytest

from nnbook.book.data import load
from nnbook.engine.gradcheck import relative_error
from nnbook.lab import perceptron as P

keras = pytest.importorskip("keras")


def _blobs(shift=(4.0, 2.0)):
    d = load("blobs")
    return d.x_train.astype(np.float64) + np.asarray(shift), d.y_train


# --- the rule by hand ----------------------------------------------------------------------


def test_update_by_hand_mistake_on_label_0():
    # z = 1*2 + (-1)*1 + 0.5 = 1.5 >= 0 -> y_hat = 1, label 0: error -1, eta 0.5
    w, b = P.update([1.0, -1.0], 0.5, [2.0, 1.0], 0, eta=0.5)
    np.testing.assert_array_equal(w, [0.0, -1.5])
    assert b == 0.0


def test_update_by_hand_mistake_on_label_1():
    # z = 0*1 + 0*2 - 1 = -1 < 0 -> y_hat = 0, label 1: error +1, eta 2
    w, b = P.update([0.0, 0.0], -1.0, [1.0, 2.0], 1, eta=2.0)
    np.testing.assert_array_equal(w, [2.0, 4.0])
    assert b == 1.0


def test_update_leaves_correct_examples_alone():
    w, b = P.update([1.0, -1.0], 0.5, [2.0, 1.0], 1, eta=0.5)
    np.testing.assert_array_equal(w, [1.0, -1.0])
    assert b == 0.5


def test_update_z_zero_predicts_one():
    # z = 1 - 1 + 0 = 0: step(0) = 1, so label 0 is a mistake and label 1 is not
    w, b = P.update([1.0, 1.0], 0.0, [1.0, -1.0], 0, eta=1.0)
    np.testing.assert_array_equal(w, [0.0, 2.0])
    assert b == -1.0
    w, b = P.update([1.0, 1.0], 0.0, [1.0, -1.0], 1, eta=1.0)
    np.testing.assert_array_equal(w, [1.0, 1.0])
    assert b == 0.0


def test_update_moves_z_towards_the_label():
    # after a mistake z changes by eta * error * (|x|^2 + 1)
    rng = np.random.default_rng(0)
    for _ in range(20):
        w, b, x = rng.normal(size=3), rng.normal(), rng.normal(size=3)
        y = int(w @ x + b < 0)  # the label the current weights get wrong
        w2, b2 = P.update(w, b, x, y, eta=0.3)
        err = 1 if y == 1 else -1
        assert w2 @ x + b2 == pytest.approx(w @ x + b + 0.3 * err * (x @ x + 1), abs=1e-12)


def test_update_keeps_float32():
    w, b = P.update(np.ones(2, np.float32), np.float32(0), np.array([1, -3], np.float32), 1)
    assert w.dtype == np.float32 and np.asarray(b).dtype == np.float32
    w, b = P.update(np.ones(2), 0.0, np.array([1, -3], np.float32), 1)
    assert w.dtype == np.float64


def test_exercise_reference_matches_lib_update():
    from nnbook.book.exercises import get

    ref = get("ch02.update").reference
    for (w, x, y, eta), _ in get("ch02.update").cases():
        w2, b2 = P.update(w[:-1], w[-1], x, y, eta)
        np.testing.assert_allclose(ref(w, x, y, eta), np.append(w2, b2), atol=1e-15)


# --- the Perceptron class ------------------------------------------------------------------


def test_fit_by_hand_on_and():
    # AND, zero start, eta 1, fixed order: the steps of the chapter's exercise
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 0, 0, 1])
    p = P.Perceptron(2).fit(x, y, epochs=1, eta=1.0, shuffle=False)
    # (0,0): z=0 -> 1, wrong: b=-1. (0,1): z=-1 -> 0 ok. (1,0): ok. (1,1): z=-1 -> 0, wrong:
    # w=(1,1), b=0
    np.testing.assert_array_equal(p.w, [1.0, 1.0])
    assert p.b == 0.0 and p.history == [2] and not p.converged
    p = P.Perceptron(2).fit(x, y, epochs=50, eta=1.0, shuffle=False)
    assert p.converged and p.history[-1] == 0
    np.testing.assert_array_equal(p.predict(x), y)


def test_fit_uses_the_rule_in_the_recorded_order():
    x, y = _blobs()
    p = P.Perceptron(2).fit(x, y, epochs=100, eta=0.7, seed=3)
    w, b = np.zeros(2), 0.0
    for order in p.orders:
        for i in order:
            w, b = P.update(w, b, x[i], y[i], 0.7)
    np.testing.assert_array_equal(w, p.w)
    assert b == p.b
    assert len(p.trajectory) == len(p.history) == len(p.orders)
    np.testing.assert_array_equal(p.trajectory[-1][0], p.w)


def test_converges_on_separable_blobs():
    x, y = _blobs()
    d = load("blobs")
    for seed in range(5):
        p = P.Perceptron(2).fit(x, y, epochs=200, seed=seed)
        assert p.converged and p.history[-1] == 0 and min(p.history[:-1]) > 0
        assert p.score(x, y) == 1.0
        assert p.score(d.x_test + np.array([4.0, 2.0]), d.y_test) >= 0.95
        assert P.margin(x, y, p.w, p.b) > 0


def test_novikoff_bound_holds():
    x, y = _blobs()
    for seed in range(5):
        for eta in (0.01, 1.0, 50.0):
            p = P.Perceptron(2).fit(x, y, epochs=500, eta=eta, seed=seed)
            assert p.converged
            assert sum(p.history) <= P.novikoff_bound(x, y, p.w, p.b)


def test_learning_rate_does_not_matter_from_zero():
    x, y = _blobs()
    a = P.Perceptron(2).fit(x, y, epochs=100, eta=1.0, seed=1)
    c = P.Perceptron(2).fit(x, y, epochs=100, eta=0.01, seed=1)
    assert a.history == c.history
    np.testing.assert_allclose(c.w, 0.01 * a.w, rtol=1e-9)


def test_never_converges_on_xor():
    d = load("xor")
    for seed in range(3):
        p = P.Perceptron(2).fit(d.x_train, d.y_train, epochs=100, seed=seed)
        assert not p.converged and len(p.history) == 100
        assert min(p.history) > 0


def test_never_converges_on_the_four_xor_corners():
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    p = P.Perceptron(2).fit(x, [0, 1, 1, 0], epochs=200, shuffle=False)
    assert not p.converged and min(p.history) > 0
    assert p.score(x, [0, 1, 1, 0]) < 1.0


def test_predict_and_decision_function():
    p = P.Perceptron(2, w=[1.0, -2.0], b=0.5)
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.5, 1.0]])
    np.testing.assert_array_equal(p.decision_function(x), [1.5, -1.5, 0.0])
    np.testing.assert_array_equal(p.predict(x), [1, 0, 1])
    assert p.predict(x).dtype == np.int64


def test_digits_zero_vs_one():
    d = load("digits")
    tr, te = np.isin(d.y_train, [0, 1]), np.isin(d.y_test, [0, 1])
    p = P.Perceptron(64).fit(d.x_train[tr], d.y_train[tr], epochs=100, seed=0)
    assert p.converged
    assert p.score(d.x_test[te], d.y_test[te]) >= 0.98


def test_float32_perceptron_stays_float32():
    x, y = _blobs()
    p = P.Perceptron(2, dtype=np.float32).fit(x.astype(np.float32), y, epochs=100, seed=0)
    assert p.w.dtype == np.float32 and np.asarray(p.b).dtype == np.float32
    assert p.decision_function(x).dtype == np.float32
    q = P.Perceptron(2).fit(x, y, epochs=100, seed=0)
    assert q.w.dtype == np.float64


# --- margin, radius, bound -----------------------------------------------------------------


def test_margin_and_radius_by_hand():
    x = np.array([[3.0, 4.0], [-1.0, 0.0]])
    assert P.radius(x) == 5.0
    # line x1 = 0 (w = (1, 0), b = 0): distances 3 and 1 -> margin 1; scaling w changes nothing
    assert P.margin(x, [1, 0], [1.0, 0.0]) == pytest.approx(1.0)
    assert P.margin(x, [1, 0], [7.0, 0.0]) == pytest.approx(1.0)
    # wrong labels give a negative margin
    assert P.margin(x, [0, 1], [1.0, 0.0]) == pytest.approx(-3.0)
    # augmented: R^2 = 25 + 1, direction (1, 0, 0) has margin 1 -> bound 26
    assert P.novikoff_bound(x, [1, 0], [1.0, 0.0], 0.0) == pytest.approx(26.0)
    np.testing.assert_array_equal(P.augment(x), [[3.0, 4.0, 1.0], [-1.0, 0.0, 1.0]])


def test_novikoff_bound_rejects_non_separating():
    x = np.array([[1.0, 0.0], [-1.0, 0.0]])
    with pytest.raises(ValueError, match="does not separate"):
        P.novikoff_bound(x, [0, 1], [1.0, 0.0], 0.0)
    with pytest.raises(ValueError, match="zero vector"):
        P.margin(x, [1, 0], [0.0, 0.0])


def test_shuffled_orders_are_permutations_and_seeded():
    o = P.shuffled_orders(10, 4, seed=5)
    assert o.shape == (4, 10)
    assert all(sorted(row) == list(range(10)) for row in o)
    np.testing.assert_array_equal(o, P.shuffled_orders(10, 4, seed=np.random.default_rng(5)))
    assert not np.array_equal(o, P.shuffled_orders(10, 4, seed=6))


# --- NumPy vs Keras ------------------------------------------------------------------------


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-6), ("float32", 1e-5)])
def test_keras_twin_matches_numpy(dtype, tol):
    x, y = _blobs()
    x = x.astype(dtype)
    p = P.Perceptron(2, dtype=dtype).fit(x, y, epochs=100, eta=0.5, seed=1)
    layer = P.keras_perceptron(2, dtype=dtype)
    np.testing.assert_array_equal(layer.get_weights()[0], np.zeros((2, 1)))
    history = P.keras_fit(layer, x, y, epochs=len(p.history), eta=0.5, order=p.orders)
    assert history == p.history
    kernel, bias = layer.get_weights()
    assert kernel.dtype == np.dtype(dtype)
    assert relative_error(np.append(kernel[:, 0], bias), np.append(p.w, p.b)) <= tol
    np.testing.assert_array_equal(P.keras_predict(layer, x), p.predict(x))


def test_keras_twin_matches_numpy_from_nonzero_start_in_64d():
    d = load("digits")
    tr = np.isin(d.y_train, [3, 8])
    x, y = d.x_train[tr].astype(np.float64), (d.y_train[tr] == 8).astype(int)
    w0 = np.random.default_rng(0).normal(size=64)
    p = P.Perceptron(64, w=w0, b=0.5).fit(x, y, epochs=2, eta=0.1, seed=0)
    layer = P.keras_perceptron(64, w=w0, b=0.5)
    assert P.keras_fit(layer, x, y, epochs=2, eta=0.1, order=p.orders) == p.history
    kernel, bias = layer.get_weights()
    assert relative_error(np.append(kernel[:, 0], bias), np.append(p.w, p.b)) <= 1e-6


def test_keras_fit_same_order_every_epoch_and_xor():
    d = load("xor")
    layer = P.keras_perceptron(2)
    history = P.keras_fit(layer, d.x_train, d.y_train, epochs=3, order=np.arange(150))
    p = P.Perceptron(2).fit(d.x_train, d.y_train, epochs=3, shuffle=False)
    assert history == p.history and min(history) > 0
    assert relative_error(layer.get_weights()[0][:, 0], p.w) <= 1e-6


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x, y, kwargs, err, match",
    [
        (np.ones(4), [0, 1, 0, 1], {}, ValueError, "2-D"),
        (np.ones((4, 3)), [0, 1, 0, 1], {}, ValueError, "2 features"),
        (np.ones((4, 2)), [0, 1, 0], {}, ValueError, "same length"),
        (np.ones((4, 2)), [[0, 1, 0, 1]], {}, ValueError, "1-D"),
        (np.ones((4, 2)), [0, 1, 2, 1], {}, ValueError, "only the labels 0 and 1"),
        (np.ones((4, 2)), [-1, 1, 1, -1], {}, ValueError, "only the labels 0 and 1"),
        (np.ones((4, 2)), ["a", "b", "a", "b"], {}, TypeError, "numeric"),
        (np.array([["a", "b"]] * 4), [0, 1, 0, 1], {}, TypeError, "numeric"),
        (np.array([[np.nan, 1.0]] * 4), [0, 1, 0, 1], {}, ValueError, "finite"),
        (np.ones((4, 2)), [0, 1, 0, 1], {"eta": 0.0}, ValueError, "eta"),
        (np.ones((4, 2)), [0, 1, 0, 1], {"eta": -1.0}, ValueError, "eta"),
        (np.ones((4, 2)), [0, 1, 0, 1], {"eta": "1"}, TypeError, "eta"),
        (np.ones((4, 2)), [0, 1, 0, 1], {"epochs": 0}, ValueError, "epochs"),
        (np.ones((4, 2)), [0, 1, 0, 1], {"epochs": 2.5}, TypeError, "epochs"),
    ],
)
def test_fit_rejects_bad_input(x, y, kwargs, err, match):
    with pytest.raises(err, match=match):
        P.Perceptron(2).fit(x, y, **kwargs)


def test_other_bad_input():
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        P.Perceptron(2, w=[1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="n_features must be an integer >= 1, got float 2.0"):
        P.Perceptron(2.0)
    with pytest.raises(ValueError, match="n_features must be an integer >= 1, got 0"):
        P.Perceptron(0)
    with pytest.raises(TypeError, match="float32 or float64"):
        P.Perceptron(2, dtype=np.int64)
    with pytest.raises(ValueError, match="one example"):
        P.update([1.0, 1.0], 0.0, [[1.0, 1.0]], 1)
    with pytest.raises(ValueError, match="labels 0 and 1"):
        P.update([1.0, 1.0], 0.0, [1.0, 1.0], -1)
    with pytest.raises(ValueError, match="scalar"):
        P.update([1.0, 1.0], [0.0, 1.0], [1.0, 1.0], 1)
    with pytest.raises(ValueError, match="eta"):
        P.update([1.0, 1.0], 0.0, [1.0, 1.0], 1, eta=float("inf"))
    with pytest.raises(TypeError, match="Dense"):
        P.keras_fit(keras.layers.Dense(2), np.ones((2, 2)), [0, 1])
    layer = P.keras_perceptron(2)
    with pytest.raises(ValueError, match="permutation"):
        P.keras_fit(layer, np.ones((3, 2)), [0, 1, 0], epochs=1, order=[0, 0, 1])
    with pytest.raises(ValueError, match="order must be"):
        P.keras_fit(layer, np.ones((3, 2)), [0, 1, 0], epochs=3, order=np.zeros((2, 3), int))
    with pytest.raises(TypeError, match="integer indices"):
        P.keras_fit(layer, np.ones((3, 2)), [0, 1, 0], epochs=1, order=[0.0, 1.0, 2.0])


def test_numpy_scalars_are_numbers_and_bools_are_not():
    x, y = _blobs()
    a = P.Perceptron(np.int64(2)).fit(x, y, epochs=np.int64(20), eta=np.float32(0.5), seed=np.int64(1))
    b = P.Perceptron(2).fit(x, y, epochs=20, eta=0.5, seed=1)
    np.testing.assert_array_equal(a.w, b.w)
    w, _ = P.update([1.0, 1.0], 0.0, [1.0, -3.0], 1, eta=np.float64(0.5))
    np.testing.assert_array_equal(w, [1.5, -0.5])
    assert P.shuffled_orders(np.int32(4), np.int64(2)).shape == (2, 4)
    for call, match in [
        (lambda: P.Perceptron(2).fit(x, y, eta=True), "eta must be a number, got bool"),
        (lambda: P.Perceptron(2).fit(x, y, epochs=True), "epochs must be an integer >= 1, got bool"),
        (lambda: P.Perceptron(True), "n_features must be an integer >= 1, got bool"),
        (lambda: P.Perceptron(2).fit(x, y, shuffle="no"), "shuffle must be True or False"),
        (lambda: P.update([1.0], 0.0, [1.0], 1, eta=True), "eta must be a number, got bool"),
        (lambda: P.shuffled_orders(3, 2, seed=1.5), "seed must be an integer"),
        (lambda: P.keras_fit(P.keras_perceptron(2), x, y, epochs=np.bool_(True)), "epochs"),
    ]:
        with pytest.raises(TypeError, match=match):
            call()


# --- large inputs --------------------------------------------------------------------------


def test_large_inputs_stay_finite():
    x, y = _blobs(shift=(0.0, 0.0))
    big = x * 1e4 / np.abs(x).max()  # entries up to +-1e4
    p = P.Perceptron(2).fit(big, y, epochs=100, seed=0)
    assert np.all(np.isfinite(p.w)) and np.isfinite(p.b)
    assert np.all(np.isfinite(p.decision_function(big)))
    assert p.converged and p.score(big, y) == 1.0
    assert np.isfinite(P.novikoff_bound(big, y, p.w, p.b))
    w, b = P.update([1e4, -1e4], 1e4, [-1e4, 1e4], 1, eta=1.0)
    assert np.all(np.isfinite(w)) and np.isfinite(b)
    layer = P.keras_perceptron(2, w=[1e4, -1e4], b=-1e4)
    np.testing.assert_array_equal(P.keras_predict(layer, big), P.Perceptron(
        2, w=[1e4, -1e4], b=-1e4).predict(big))


# --- pocket and averaged perceptron ----------------------------------------------------------------


def test_pocket_and_average_by_brute_force():
    d = load("moons")
    x, y = d.x_train.astype(np.float64), d.y_train
    r = P.pocket_and_average(x, y, epochs=7, eta=0.5, seed=3)

    def mistakes(wb):
        return int(np.sum((x @ wb[0] + wb[1] >= 0) != y))

    # the same rule, replayed: every visited weight vector, in order
    w, b, visited, after_update = np.zeros(2), 0.0, [], [(np.zeros(2), 0.0)]
    for epoch in P.shuffled_orders(len(x), 7, 3):
        for i in epoch:
            error = y[i] - (x[i] @ w + b >= 0)
            if error:
                w, b = w + 0.5 * error * x[i], b + 0.5 * error
                after_update.append((w.copy(), b))
            visited.append((w.copy(), b))
    np.testing.assert_allclose(r["last"][0], w)
    np.testing.assert_allclose(r["average"][0], np.mean([v[0] for v in visited], axis=0), rtol=1e-12)
    assert r["average"][1] == pytest.approx(np.mean([v[1] for v in visited]), rel=1e-12)
    assert mistakes(r["pocket"]) == min(mistakes(v) for v in after_update)
    assert len(r["trajectory"]) == 7 and mistakes(r["pocket"]) <= min(mistakes(v) for v in r["trajectory"])


def test_pocket_on_separable_data_is_the_converged_perceptron():
    x, y = _blobs()
    r = P.pocket_and_average(x, y, epochs=50, seed=0)
    p = P.Perceptron(2).fit(x, y, epochs=50, seed=0)
    assert p.converged and np.all((x @ r["pocket"][0] + r["pocket"][1] >= 0) == y)
    np.testing.assert_allclose(r["last"][0], p.w)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"epochs": 0}, ValueError, "epochs"),
    ({"eta": -1.0}, ValueError, "eta"),
    ({"y": np.array([0, 2, 1])}, ValueError, "0 or 1|0/1|labels"),
])
def test_pocket_and_average_bad_input(kwargs, error, match):
    args = {"x": np.zeros((3, 2)), "y": np.array([0, 1, 1]), **kwargs}
    with pytest.raises(error, match=match):
        P.pocket_and_average(**args)
