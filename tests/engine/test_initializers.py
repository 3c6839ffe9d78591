"""nnbook.engine.initializers: fans as Keras computes them; variance, bounds and truncation equal to
Keras 3's initialisers (compared with samples drawn by Keras itself); dtypes; bad input."""

import math

import keras
import numpy as np
import pytest
from keras.src.initializers.random_initializers import compute_fans as keras_compute_fans

from nnbook.engine import initializers as I

SHAPES = [(7,), (300, 200), (200, 300), (3, 3, 16, 32), (5, 40, 60)]
KERAS = {
    "glorot_uniform": keras.initializers.GlorotUniform,
    "glorot_normal": keras.initializers.GlorotNormal,
    "he_uniform": keras.initializers.HeUniform,
    "he_normal": keras.initializers.HeNormal,
}
RANDOM = list(KERAS)


def _expected_std_and_bound(name, shape):
    fan_in, fan_out = keras_compute_fans(shape)
    scale, n = (1.0, (fan_in + fan_out) / 2) if name.startswith("glorot") else (2.0, fan_in)
    std = math.sqrt(scale / n)
    if name.endswith("uniform"):
        return std, math.sqrt(3) * std  # U(-r, r) has std r / sqrt(3)
    return std, 2 * std / I.TRUNCATED_STD


@pytest.mark.parametrize("shape", SHAPES + [(1,), (1, 1), (2, 3, 4)])
def test_fans_equal_keras(shape):
    assert I.compute_fans(shape) == keras_compute_fans(shape)


def test_compute_fans_checks_its_shape():
    assert I.compute_fans(7) == I.compute_fans((7,)) == (7, 7) and I.compute_fans(()) == (1, 1)
    for shape in [None, 3.0, (3, 0), {"a": 1}]:  # these used to raise "has no len()" or KeyError
        with pytest.raises(ValueError, match="shape must be a tuple of positive integers"):
            I.compute_fans(shape)


@pytest.mark.parametrize("name", RANDOM)
@pytest.mark.parametrize("shape", [(300, 200), (3, 3, 16, 32), (5, 40, 60)])
def test_std_and_bounds_match_the_formula_and_keras_samples(name, shape):
    w = I.get(name)(shape, np.random.default_rng(0))
    assert w.shape == shape and w.dtype == np.float64
    std, bound = _expected_std_and_bound(name, shape)
    n = w.size  # >= 9216: the sample std is within ~1.5% of the true one (5 sigma)
    assert abs(w.std() / std - 1) < 5 / math.sqrt(2 * n) + 2e-3
    assert abs(w.mean()) < 5 * std / math.sqrt(n)
    assert np.max(np.abs(w)) <= bound
    assert np.max(np.abs(w)) > 0.97 * bound  # the whole range is used, up to the truncation
    k = np.asarray(KERAS[name](seed=0)(shape, dtype="float64"))
    assert abs(w.std() / k.std() - 1) < 10 / math.sqrt(2 * n)
    assert abs(np.max(np.abs(w)) / np.max(np.abs(k)) - 1) < 0.03


@pytest.mark.parametrize("name", ["glorot_normal", "he_normal"])
def test_normals_are_truncated_at_two_stddevs(name):
    shape = (400, 500)
    w = I.get(name)(shape, np.random.default_rng(1))
    std, _ = _expected_std_and_bound(name, shape)
    raw = std / I.TRUNCATED_STD  # the stddev before truncation
    assert np.max(np.abs(w)) <= 2 * raw
    # an untruncated normal would put 4.55% of its mass beyond 2 raw stddevs; none here, and
    # the fraction beyond 1 raw stddev is that of a truncated normal: (0.6827 - 0) / 0.9545 inside
    inside = np.mean(np.abs(w) <= raw)
    assert abs(inside - 0.682689 / 0.954500) < 5e-3


def test_same_seed_same_values_float32_kept():
    a = I.he_normal((20, 30), np.random.default_rng(3))
    b = I.he_normal((20, 30), np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    for name in RANDOM:
        assert I.get(name)((4, 5), np.random.default_rng(0), dtype="float32").dtype == np.float32
    z = I.zeros((3, 2))
    assert z.dtype == np.float64 and z.shape == (3, 2) and not z.any()
    assert I.zeros(4, dtype=np.float32).dtype == np.float32


def test_get_names_callables_and_errors():
    assert I.get("he_uniform") is I.he_uniform
    assert I.get(I.glorot_normal) is I.glorot_normal
    with pytest.raises(ValueError, match="unknown initializer 'lecun'"):
        I.get("lecun")
    with pytest.raises(TypeError, match="name"):
        I.get(3)


@pytest.mark.parametrize("name", RANDOM)
def test_bad_input_raises(name):
    init = I.get(name)
    rng = np.random.default_rng(0)
    for shape in [(3, 0), (2, -1), (2.5, 3), "3x4", (True, 2)]:
        with pytest.raises(ValueError, match="shape must be a tuple of positive integers"):
            init(shape, rng)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator, got int"):
        init((3, 4), 0)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator, got NoneType"):
        init((3, 4), None)
    with pytest.raises(TypeError, match="float32 or float64"):
        init((3, 4), rng, dtype="int32")
    with pytest.raises(ValueError, match="mode"):
        I.variance_scaling((3, 4), rng, 1.0, "fan_max", "uniform")
    with pytest.raises(ValueError, match="distribution"):
        I.variance_scaling((3, 4), rng, 1.0, "fan_in", "cauchy")
    with pytest.raises(ValueError, match="stddev"):
        I.truncated_normal((3, 4), rng, -1.0)


@pytest.mark.parametrize("scale, error, match", [
    (0.0, ValueError, r"scale must lie in \(0, inf\), got 0.0"),
    (-2.0, ValueError, r"scale must lie in \(0, inf\), got -2.0"),
    (np.nan, ValueError, "scale must lie in"),
    (np.inf, ValueError, "scale must lie in"),
    ("2", TypeError, "scale must be a number, got str"),
    (True, TypeError, "scale must be a number, got bool"),
    (None, TypeError, "scale must be a number, got NoneType"),
], ids=lambda v: None)
def test_variance_scaling_refuses_a_scale_keras_refuses(scale, error, match):
    """Keras requires scale > 0; a negative one used to give NaN weights (sqrt of a negative) or
    a math domain error, and 0 gave all-zero weights."""
    for distribution in ("uniform", "truncated_normal"):
        with pytest.raises(error, match=match):
            I.variance_scaling((3, 4), np.random.default_rng(0), scale, "fan_in", distribution)


def test_mode_and_distribution_must_be_names():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="mode must be one of 'fan_in', 'fan_out', 'fan_avg', got None"):
        I.variance_scaling((3, 4), rng, 1.0, None, "uniform")
    with pytest.raises(ValueError, match="distribution must be one of 'uniform', 'truncated_normal'"):
        I.variance_scaling((3, 4), rng, 1.0, "fan_in", ["uniform"])


def test_numpy_scalars_are_numbers_and_bools_are_not():
    rng = np.random.default_rng(0)
    w = I.variance_scaling((np.int64(3), np.int32(4)), rng, np.float32(2.0), "fan_in", "uniform")
    assert w.shape == (3, 4) and np.max(np.abs(w)) <= math.sqrt(3 * 2.0 / 3)
    assert I.truncated_normal(np.int64(5), rng, np.float32(0.5)).shape == (5,)
    assert I.glorot_uniform((2, 3), rng, dtype=np.dtype("float32")).dtype == np.float32
    with pytest.raises(TypeError, match="stddev must be a number, got bool"):
        I.truncated_normal((3,), rng, True)
    with pytest.raises(ValueError, match="shape must be a tuple of positive integers"):
        I.zeros(True)


@pytest.mark.parametrize("shape", [(6, 6), (20, 5), (5, 20), (3, 4, 24)])
def test_orthogonal_is_orthogonal_like_keras(shape):
    w = I.orthogonal(shape, np.random.default_rng(0), gain=2.0)
    assert w.shape == shape and w.dtype == np.float64
    m = w.reshape(-1, shape[-1]) / 2.0
    small = min(m.shape)
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T  # orthonormal columns, or rows
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)
    k = np.asarray(keras.initializers.Orthogonal(gain=2.0, seed=0)(shape, dtype="float64"))
    kg = k.reshape(-1, shape[-1]) / 2.0
    np.testing.assert_allclose(kg.T @ kg if kg.shape[0] >= kg.shape[1] else kg @ kg.T, np.eye(small),
                               atol=1e-6)


def test_orthogonal_is_uniform_over_rotations_and_reflections():
    """Haar-distributed Q has E[trace Q] = 0 and E[Q_00^2] = 1/n; QR without the sign fix of
    diag(R) does not (LAPACK's Q has a biased diagonal)."""
    rng = np.random.default_rng(1)
    draws = np.array([I.orthogonal((4, 4), rng) for _ in range(2000)])
    traces = np.trace(draws, axis1=1, axis2=2)
    assert abs(traces.mean()) < 5 * traces.std() / np.sqrt(len(draws))
    assert abs(np.mean(draws[:, 0, 0] ** 2) - 0.25) < 0.02
    raw = np.array([np.linalg.qr(rng.standard_normal((4, 4)))[0] for _ in range(2000)])
    raw_traces = np.trace(raw, axis1=1, axis2=2)
    assert abs(raw_traces.mean()) > 5 * raw_traces.std() / np.sqrt(len(raw))  # the check can fail


def test_orthogonal_and_uniform_check_their_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="at least two dimensions"):
        I.orthogonal((5,), rng)
    with pytest.raises(ValueError, match="gain"):
        I.orthogonal((3, 3), rng, gain=0.0)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        I.uniform((3, 3), 0)
    w = I.get("uniform")((200, 50), rng, dtype="float32")
    assert w.dtype == np.float32 and -0.05 <= w.min() < -0.049 and 0.049 < w.max() <= 0.05
    assert I.get("orthogonal") is I.orthogonal
