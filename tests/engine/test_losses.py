"""nnbook.engine.losses: every loss against keras.losses (value and tf.GradientTape gradient, float64 and
float32), against centred differences, finite at logits of +-1e4 and probabilities of exactly 0 and 1;
shapes, dtypes, names, the Keras twins, and bad input."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nnbook.engine import losses as L

TOL64, TOL32 = 1e-6, 1e-5
EPS = L.EPSILON

# (id, our loss, the Keras class and arguments built independently of `to_keras`, kind of data)
LOSSES = [
    ("mse", L.MeanSquaredError(), ("MeanSquaredError", {}), "regression"),
    ("mae", L.MeanAbsoluteError(), ("MeanAbsoluteError", {}), "regression"),
    ("huber", L.Huber(), ("Huber", {}), "regression"),
    ("huber_0.3", L.Huber(delta=0.3), ("Huber", {"delta": 0.3}), "regression"),
    ("bce", L.BinaryCrossentropy(), ("BinaryCrossentropy", {}), "binary_probs"),
    ("bce_logits", L.BinaryCrossentropy(from_logits=True),
     ("BinaryCrossentropy", {"from_logits": True}), "binary_logits"),
    ("cce", L.CategoricalCrossentropy(), ("CategoricalCrossentropy", {}), "onehot_probs"),
    ("cce_logits", L.CategoricalCrossentropy(from_logits=True),
     ("CategoricalCrossentropy", {"from_logits": True}), "onehot_logits"),
    ("scce", L.SparseCategoricalCrossentropy(), ("SparseCategoricalCrossentropy", {}), "sparse_probs"),
    ("scce_logits", L.SparseCategoricalCrossentropy(from_logits=True),
     ("SparseCategoricalCrossentropy", {"from_logits": True}), "sparse_logits"),
]
IDS = [case[0] for case in LOSSES]


def _rel_err(a, b):
    """max |a - b| / max(|a| + |b|): the engine's relative error (0 when both are 0)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    scale = np.max(np.abs(a) + np.abs(b))
    return float(np.max(np.abs(a - b)) / scale) if scale > 0 else 0.0


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _data(kind, rng, extreme=True):
    """A list of (y_true, y_pred) pairs of random shapes for one kind of loss. `extreme` adds the
    edge values: logits of +-1e4 and 0, probabilities of exactly 0 and 1 and within EPSILON of them."""
    pairs = []
    for shape in [(int(rng.integers(2, 9)), int(rng.integers(2, 6))), (int(rng.integers(2, 9)),),
                  (3, int(rng.integers(2, 5)), int(rng.integers(2, 5)))]:
        n, k = shape[0], shape[-1]
        if kind == "regression":
            y_true, y_pred = rng.normal(size=shape), 3 * rng.normal(size=shape)
            if extreme:
                y_pred.flat[0], y_pred.flat[-1] = 1e4, -1e4
                y_pred.flat[1] = y_true.flat[1]  # |e| = 0
        elif kind.startswith("binary"):
            y_true = rng.integers(0, 2, size=shape).astype(float)
            y_true.flat[0] = 0.3  # a soft label
            if kind == "binary_probs":
                y_pred = rng.uniform(0, 1, size=shape)
                if extreme:
                    y_pred.flat[:4] = [0.0, 1.0, 1e-9, 1 - 1e-9]
            else:
                y_pred = 5 * rng.normal(size=shape)
                if extreme:
                    y_pred.flat[:3] = [1e4, -1e4, 0.0]
        elif kind.startswith("onehot") or kind.startswith("sparse"):
            if len(shape) == 1:
                shape = (n, 3)  # a class axis is needed
                k = 3
            labels = rng.integers(0, k, size=shape[:-1])
            logits = 4 * rng.normal(size=shape)
            if kind.endswith("probs"):
                y_pred = _softmax(logits)
                if extreme:
                    y_pred.reshape(-1, k)[0] = np.eye(k)[0]  # exact 0s and a 1
                    y_pred.reshape(-1, k)[1] *= 0.5  # a row that does not sum to 1
            else:
                y_pred = logits
                if extreme:
                    y_pred.reshape(-1, k)[0] = 1e4
                    y_pred.reshape(-1, k)[0, 0] = -1e4
                    y_pred.reshape(-1, k)[1, :2] = [1e4, -1e4]
            y_true = labels if kind.startswith("sparse") else np.eye(k)[labels]
        pairs.append((y_true, y_pred))
    return pairs


def _keras_value_and_grad(keras_spec, y_true, y_pred, dtype="float64"):
    name, kwargs = keras_spec
    loss = getattr(keras.losses, name)(**kwargs, dtype=dtype)
    x = tf.constant(y_pred)
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = loss(y_true, x)
    return float(value), tape.gradient(value, x).numpy()


@pytest.mark.parametrize("name, loss, keras_spec, kind", LOSSES, ids=IDS)
def test_value_and_gradient_match_keras(name, loss, keras_spec, kind):
    rng = np.random.default_rng(sum(map(ord, name)))
    worst_value = worst_grad = 0.0
    for y_true, y_pred in _data(kind, rng):
        value, grad = loss(y_true, y_pred), loss.gradient(y_true, y_pred)
        k_value, k_grad = _keras_value_and_grad(keras_spec, y_true, y_pred)
        assert np.isfinite(value) and np.all(np.isfinite(grad))
        assert grad.shape == y_pred.shape and grad.dtype == np.float64
        worst_value = max(worst_value, _rel_err(value, k_value))
        worst_grad = max(worst_grad, _rel_err(grad, k_grad))
    print(f"{name}: value {worst_value:.1e}, gradient {worst_grad:.1e}")
    assert worst_value <= TOL64 and worst_grad <= TOL64


@pytest.mark.parametrize("name, loss, keras_spec, kind", LOSSES, ids=IDS)
def test_float32_stays_float32_and_matches_keras(name, loss, keras_spec, kind):
    rng = np.random.default_rng(1 + sum(map(ord, name)))
    for y_true, y_pred in _data(kind, rng, extreme=False):
        y_pred = y_pred.astype(np.float32)
        grad = loss.gradient(y_true, y_pred)
        assert grad.dtype == np.float32
        k_value, k_grad = _keras_value_and_grad(keras_spec, y_true, y_pred, dtype="float32")
        assert _rel_err(loss(y_true, y_pred), k_value) <= TOL32
        assert _rel_err(grad, k_grad) <= TOL32


def _centred_differences(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step.flat[i] = eps
        grad.flat[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


@pytest.mark.parametrize("name, loss, keras_spec, kind", LOSSES, ids=IDS)
def test_gradient_matches_centred_differences(name, loss, keras_spec, kind):
    """At smooth points: away from the kinks (|e| = 0, |e| = delta) and from the clip range."""
    rng = np.random.default_rng(2 + sum(map(ord, name)))
    for y_true, y_pred in _data(kind, rng, extreme=False):
        if kind == "regression":
            e = y_pred - y_true
            y_pred = np.where(np.abs(np.abs(e) - 0.65) < 0.05, y_pred + 0.2, y_pred)  # off delta
            y_pred = np.where(np.abs(e) < 0.05, y_pred + 0.2, y_pred)  # off 0
        elif kind.endswith("probs"):
            y_pred = 0.05 + 0.9 * y_pred  # inside (EPSILON, 1 - EPSILON), steps stay inside
        numeric = _centred_differences(lambda p, t=y_true: loss(t, p), y_pred)
        assert _rel_err(loss.gradient(y_true, y_pred), numeric) < 1e-7


@pytest.mark.parametrize("loss, y_true, y_pred, expected", [
    (L.BinaryCrossentropy(from_logits=True), [0.0, 1.0, 1.0, 0.0], [1e4, -1e4, 1e4, -1e4], 1e4 / 2),
    (L.CategoricalCrossentropy(from_logits=True), [[0.0, 1.0], [1.0, 0.0]], [[1e4, -1e4], [1e4, -1e4]],
     1e4),
    (L.SparseCategoricalCrossentropy(from_logits=True), [1, 0], [[1e4, -1e4], [1e4, -1e4]], 1e4),
    (L.BinaryCrossentropy(), [1.0, 0.0], [0.0, 1.0], -(np.log(EPS) + np.log(1 - (1 - EPS))) / 2),
    (L.CategoricalCrossentropy(), [[0.0, 1.0]], [[1.0, 0.0]], -np.log(EPS)),
    (L.SparseCategoricalCrossentropy(), [1], [[1.0, 0.0]], np.log((1 - EPS) + EPS) - np.log(EPS)),
], ids=["bce_logits", "cce_logits", "scce_logits", "bce", "cce", "scce"])
def test_extremes_are_finite_and_exact(loss, y_true, y_pred, expected):
    """Logits of +-1e4 and probabilities of exactly 0 or 1 give finite, exact losses and gradients
    (the naive log(softmax) would be log 0 = -inf)."""
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        value, grad = loss(y_true, y_pred), loss.gradient(y_true, y_pred)
    assert value == pytest.approx(expected, rel=1e-12)
    assert np.all(np.isfinite(grad))


def test_logit_gradients_are_softmax_minus_labels():
    z = np.array([[2.0, -1.0, 0.5], [1e4, 0.0, -1e4]])
    labels = np.array([2, 0])
    expected = (_softmax(z) - np.eye(3)[labels]) / 2
    np.testing.assert_allclose(L.SparseCategoricalCrossentropy(True).gradient(labels, z), expected,
                               rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(L.CategoricalCrossentropy(True).gradient(np.eye(3)[labels], z), expected,
                               rtol=1e-12, atol=1e-300)


def test_label_shapes_like_keras():
    """(n,) labels against an (n, 1) output (and back), and (n, 1) sparse labels, as Keras allows."""
    rng = np.random.default_rng(3)
    y, p = rng.integers(0, 2, size=6).astype(float), rng.uniform(0.1, 0.9, size=(6, 1))
    for loss, spec in [(L.MeanSquaredError(), ("MeanSquaredError", {})),
                       (L.BinaryCrossentropy(), ("BinaryCrossentropy", {}))]:
        k_value, k_grad = _keras_value_and_grad(spec, y, p)
        assert _rel_err(loss(y, p), k_value) <= TOL64
        grad = loss.gradient(y, p)
        assert grad.shape == (6, 1) and _rel_err(grad, k_grad) <= TOL64
        assert loss(y[:, None], p[:, 0]) == pytest.approx(loss(y, p), rel=1e-15)
        assert loss.gradient(y[:, None], p[:, 0]).shape == (6,)
    labels, probs = rng.integers(0, 4, size=5), _softmax(rng.normal(size=(5, 4)))
    scce = L.SparseCategoricalCrossentropy()
    assert scce(labels[:, None], probs) == scce(labels, probs) == scce(labels.astype(float), probs)
    assert scce.gradient(labels[:, None], probs).shape == (5, 4)


def test_initial_loss_of_uniform_guess_is_log_k():
    k, n = 10, 32
    labels = np.arange(n) % k
    assert L.SparseCategoricalCrossentropy(from_logits=True)(labels, np.zeros((n, k))) == \
        pytest.approx(np.log(k), rel=1e-12)
    assert L.CategoricalCrossentropy()(np.eye(k)[labels], np.full((n, k), 1 / k)) == \
        pytest.approx(np.log(k), rel=1e-12)


@pytest.mark.parametrize("name, loss, keras_spec, kind", LOSSES, ids=IDS)
def test_to_keras_twin(name, loss, keras_spec, kind):
    twin = loss.to_keras(dtype="float64")
    reference = getattr(keras.losses, keras_spec[0])(**keras_spec[1], dtype="float64")
    assert type(twin) is type(reference) and twin.get_config() == reference.get_config()
    y_true, y_pred = _data(kind, np.random.default_rng(4))[0]
    assert _rel_err(float(twin(y_true, y_pred)), loss(y_true, y_pred)) <= TOL64


def test_get():
    assert isinstance(L.get("mse"), L.MeanSquaredError)
    assert isinstance(L.get("MAE"), L.MeanAbsoluteError)
    assert isinstance(L.get("huber"), L.Huber) and L.get("huber").delta == 1.0
    assert isinstance(L.get("categorical_crossentropy"), L.CategoricalCrossentropy)
    assert isinstance(L.get("SparseCategoricalCrossentropy"), L.SparseCategoricalCrossentropy)
    assert L.get("binary_crossentropy").from_logits is False
    loss = L.BinaryCrossentropy(from_logits=True)
    assert L.get(loss) is loss
    with pytest.raises(ValueError, match="unknown loss 'hinge'.*mse"):
        L.get("hinge")
    with pytest.raises(TypeError, match="got int"):
        L.get(3)


@pytest.mark.parametrize("loss, y_true, y_pred, error, match", [
    (L.MeanSquaredError(), np.zeros((4, 3)), np.zeros((4, 2)), ValueError, r"same shape.*\(4, 3\).*\(4, 2\)"),
    (L.Huber(), np.zeros(5), np.zeros(4), ValueError, r"same shape.*\(5,\).*\(4,\)"),
    (L.BinaryCrossentropy(), np.zeros((3, 2)), np.zeros((3, 1)), ValueError, "same shape"),
    (L.SparseCategoricalCrossentropy(), [0, 1, 2, 0, 1], np.full((4, 3), 1 / 3), ValueError,
     r"one class label per row.*\(4,\).*got shape \(5,\)"),
    (L.SparseCategoricalCrossentropy(), [0, 3], np.full((2, 3), 1 / 3), ValueError, r"\[0, 2\].*3 classes"),
    (L.SparseCategoricalCrossentropy(True), [0, -1], np.zeros((2, 3)), ValueError, r"\[0, 2\]"),
    (L.SparseCategoricalCrossentropy(True), [0, 1.5], np.zeros((2, 3)), ValueError, "integer"),
    (L.SparseCategoricalCrossentropy(True), [0, 1], np.zeros(2), ValueError, "class axis"),
    (L.CategoricalCrossentropy(), [0, 1], np.full((2, 3), 1 / 3), ValueError, "SparseCategorical"),
    (L.CategoricalCrossentropy(), np.eye(3)[:2], np.eye(3)[:3], ValueError, "one-hot rows"),
    (L.CategoricalCrossentropy(), np.eye(3)[:2], [[2.0, -1.0, 0.0]] * 2, ValueError, "from_logits=True"),
    (L.CategoricalCrossentropy(), np.eye(3)[:2], np.zeros((2, 3)), ValueError, "positive sum"),
    (L.BinaryCrossentropy(), [0.0, 1.0], [0.5, 1.5], ValueError, r"probabilities in \[0, 1\].*from_logits"),
    (L.BinaryCrossentropy(True), [0.0, 2.0], [0.5, 1.5], ValueError, r"y_true must hold probabilities"),
    (L.SparseCategoricalCrossentropy(), [0], [[-0.5, 1.5]], ValueError, "from_logits=True"),
    (L.MeanSquaredError(), [0.0, 1.0], [np.nan, 1.0], ValueError, "finite"),
    (L.MeanAbsoluteError(), [np.inf, 1.0], [0.0, 1.0], ValueError, "y_true must be finite"),
    (L.SparseCategoricalCrossentropy(True), [np.nan], [[0.0, 1.0]], ValueError, "y_true must be finite"),
    (L.MeanSquaredError(), [0.0], "0.5", TypeError, "y_pred must be numeric"),
    (L.MeanSquaredError(), "a", [0.5], TypeError, "y_true must be numeric"),
    (L.SparseCategoricalCrossentropy(), "a", [[0.5, 0.5]], TypeError, "integer class labels"),
    (L.MeanSquaredError(), [], [], ValueError, "non-empty"),
    (L.MeanSquaredError(), 1.0, 2.0, ValueError, "non-empty"),
], ids=lambda v: None)
def test_bad_input(loss, y_true, y_pred, error, match):
    with pytest.raises(error, match=match):
        loss(y_true, y_pred)
    with pytest.raises(error, match=match):
        loss.gradient(y_true, y_pred)


@pytest.mark.parametrize("delta", [1e160, 1e200, 1e300])
def test_huber_with_a_huge_delta_is_finite_and_matches_keras(delta):
    """A delta whose square overflows (the constructor accepts any finite delta > 0; this used to
    raise OverflowError): every residual is inside the quadratic zone, so l = e^2 / 2."""
    loss = L.Huber(delta=delta)
    y_true, y_pred = np.array([0.0, 1.0, 2.0, -3.0]), np.array([1e4, -5.0, 2.5, 1e100])
    with np.errstate(all="raise"):
        value, grad = loss(y_true, y_pred), loss.gradient(y_true, y_pred)
    e = y_pred - y_true
    assert value == pytest.approx(np.mean(0.5 * e * e), rel=1e-15)
    np.testing.assert_array_equal(grad, e / 4)
    k_value, k_grad = _keras_value_and_grad(("Huber", {"delta": delta}), y_true, y_pred)
    assert _rel_err(value, k_value) <= TOL64 and _rel_err(grad, k_grad) <= TOL64
    # float32: Keras casts delta to float32, where it is inf; its value is the quadratic one (its
    # gradient is NaN there: inf * 0 in the unused linear branch), ours the quadratic gradient.
    y32 = y_pred[:3].astype(np.float32)
    with np.errstate(all="raise"):
        value32, grad32 = loss(y_true[:3], y32), loss.gradient(y_true[:3], y32)
    k_value32, _ = _keras_value_and_grad(("Huber", {"delta": delta}), y_true[:3], y32, "float32")
    assert _rel_err(value32, k_value32) <= TOL32
    assert grad32.dtype == np.float32
    np.testing.assert_allclose(grad32, (y32 - y_true[:3]) / 3, rtol=1e-6)


def test_huber_linear_zone_stays_finite_for_large_residuals():
    """|e| > delta: l = delta (|e| - delta / 2), computed without squaring delta or e."""
    loss = L.Huber(delta=1e150)
    with np.errstate(all="raise"):
        value = loss([0.0], [1e158])
    assert value == pytest.approx(1e150 * (1e158 - 0.5e150), rel=1e-15)


def test_numpy_scalars_are_accepted():
    assert L.Huber(delta=np.float32(0.5)).delta == 0.5 and L.Huber(delta=np.int64(2)).delta == 2.0
    assert L.BinaryCrossentropy(from_logits=np.bool_(True)).from_logits is True


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"delta must lie in \(0, inf\), got 0.0"):
        L.Huber(delta=0)
    with pytest.raises(ValueError, match="delta must lie in"):
        L.Huber(delta=np.inf)
    with pytest.raises(TypeError, match="delta must be a number, got str"):
        L.Huber(delta="1")
    with pytest.raises(TypeError, match="delta must be a number, got bool"):
        L.Huber(delta=True)
    for cls in (L.BinaryCrossentropy, L.CategoricalCrossentropy, L.SparseCategoricalCrossentropy):
        with pytest.raises(TypeError, match="from_logits must be True or False"):
            cls(from_logits="yes")
        with pytest.raises(TypeError, match="from_logits must be True or False"):
            cls(from_logits=1)


def _hinge_cases(rng):
    """(y_true, y_pred) pairs for the categorical hinge: random scores, tied maxima, margins of
    exactly 1 (l = 0 on the kink), all-negative wrong scores, {-1, +1} labels and a 3-axis batch."""
    cases = []
    for n, k in [(6, 3), (9, 5), (4, 2)]:
        labels = rng.integers(0, k, size=n)
        cases.append((np.eye(k)[labels], 2 * rng.normal(size=(n, k))))
    t = np.eye(4)[[0, 1, 2, 3, 0]]
    z = np.array([[2.0, 1.0, 1.0, -3.0],     # tied wrong maxima, margin exactly 1
                  [0.5, 1.5, 0.5, 0.5],      # three tied wrong maxima, margin exactly 1
                  [-1.0, -2.0, 0.5, -0.5],   # every wrong score negative: neg = 0
                  [0.0, 0.0, 0.0, 0.0],      # all tied at 0
                  [3.0, 0.25, -1.0, 2.5]])   # a hinge of 0.5
    cases.append((t, z))
    cases.append((2 * np.eye(3)[[0, 2]] - 1, rng.normal(size=(2, 3))))  # {-1, +1} labels
    cases.append((np.eye(3)[rng.integers(0, 3, size=(2, 4))], rng.normal(size=(2, 4, 3))))
    return cases


def test_categorical_hinge_matches_keras_to_1e_12():
    loss = L.CategoricalHinge()
    for y_true, y_pred in _hinge_cases(np.random.default_rng(5)):
        value, grad = loss(y_true, y_pred), loss.gradient(y_true, y_pred)
        k_value, k_grad = _keras_value_and_grad(("CategoricalHinge", {}), y_true, y_pred)
        assert grad.shape == y_pred.shape and grad.dtype == np.float64
        assert abs(value - k_value) <= 1e-12
        np.testing.assert_allclose(grad, k_grad, rtol=0, atol=1e-12)
        twin = loss.to_keras(dtype="float64")
        assert type(twin) is keras.losses.CategoricalHinge
        assert abs(float(twin(y_true, y_pred)) - value) <= 1e-12
    y32 = _hinge_cases(np.random.default_rng(6))[1]
    grad32 = loss.gradient(y32[0], y32[1].astype(np.float32))
    k_value32, k_grad32 = _keras_value_and_grad(("CategoricalHinge", {}), y32[0],
                                                y32[1].astype(np.float32), dtype="float32")
    assert grad32.dtype == np.float32 and _rel_err(grad32, k_grad32) <= TOL32
    assert _rel_err(loss(y32[0], y32[1].astype(np.float32)), k_value32) <= TOL32


def test_categorical_hinge_by_hand():
    """The edge rows of `_hinge_cases`, worked out: Crammer-Singer's margin, the all-negative case."""
    loss = L.CategoricalHinge()
    t, z = _hinge_cases(np.random.default_rng(5))[3]
    per_row = [loss(t[i:i + 1], z[i:i + 1]) for i in range(len(z))]
    assert per_row == [0.0, 0.0, 0.5, 1.0, 0.5]
    # all wrong scores negative: l = max(0, 1 - z_y), not max(0, 1 + max_{j != y} z_j - z_y) = 0
    np.testing.assert_array_equal(loss.gradient(t[2:3], z[2:3]), [[0.0, 0.0, -1.0, 0.0]])
    # margin above 1: no gradient at all
    np.testing.assert_array_equal(loss.gradient([[1.0, 0.0]], [[3.0, 1.5]]), [[0.0, 0.0]])
    assert L.get("categorical_hinge").name == "categorical_hinge"
    assert isinstance(L.get("CategoricalHinge"), L.CategoricalHinge)


def test_categorical_hinge_gradient_matches_centred_differences():
    """Away from the kinks: margins not within 1e-3 of 1, no ties among the wrong-class maxima."""
    loss = L.CategoricalHinge()
    rng = np.random.default_rng(7)
    for y_true, y_pred in _hinge_cases(rng)[:3] + _hinge_cases(rng)[-2:]:
        numeric = _centred_differences(lambda p, t=y_true: loss(t, p), y_pred)
        assert _rel_err(loss.gradient(y_true, y_pred), numeric) < 1e-7


@pytest.mark.parametrize("y_true, y_pred, error, match", [
    (np.eye(3)[:2], np.zeros((2, 4)), ValueError, r"one-hot rows.*\(2, 4\).*\(2, 3\)"),
    ([0, 1], np.zeros((2, 3)), ValueError, "one-hot rows"),
    (np.eye(2), [[np.nan, 0.0], [0.0, 1.0]], ValueError, "y_pred must be finite"),
    (np.eye(2), "scores", TypeError, "y_pred must be numeric"),
    ([], [], ValueError, "non-empty"),
])
def test_categorical_hinge_bad_input(y_true, y_pred, error, match):
    with pytest.raises(error, match=match):
        L.CategoricalHinge()(y_true, y_pred)
    with pytest.raises(error, match=match):
        L.CategoricalHinge().gradient(y_true, y_pred)
