"""nnbook.engine.augmentation: shifts, rotations, Gaussian noise and their chain, against the Keras
twins RandomTranslation, RandomRotation and GaussianNoise where they can agree: shapes and dtypes,
value ranges, the identity at zero strength, the distribution of the per-image shifts (same support,
every shift within 5 standard errors of uniform), a fixed rotation pixel for pixel (<= 1e-5),
the noise's mean and standard deviation (5 standard errors); chapter 6's one-pixel shifts
reproduced exactly; reproducible from a seed; clear errors."""

from functools import partial

import numpy as np
import pytest

from nnbook import data
from nnbook.engine import augmentation as A


@pytest.fixture(scope="module")
def digits():
    return data.load("mnist5k").x_train[:24]  # (24, 784) float32 in [0, 1]


def _centre_pixels(n, size, channels=None):
    """n images (size, size[, channels]) that are 0 but for a 1 in the centre pixel."""
    x = np.zeros((n, size, size) + ((channels,) if channels else ()), dtype=np.float32)
    x[:, size // 2, size // 2] = 1
    return x


def _shifts_seen(moved, size):
    """(rows, cols) that each one-pixel image was moved by."""
    flat = moved.reshape(len(moved), size, size, -1)[..., 0].reshape(len(moved), -1)
    assert (flat.sum(axis=1) == 1).all()  # the pixel is moved, whole, never blurred
    rows, cols = np.divmod(np.argmax(flat, axis=1), size)
    return rows - size // 2, cols - size // 2


def test_translate_moves_whole_pixels_and_fills_zeros():
    x = np.arange(1, 1 + 2 * 4 * 5, dtype=float).reshape(2, 4, 5)
    moved = A.translate(x, rows=[1, -2], cols=[-1, 3])
    np.testing.assert_array_equal(moved[0, 1:, :-1], x[0, :-1, 1:])
    assert not moved[0, 0].any() and not moved[0, :, -1].any()
    np.testing.assert_array_equal(moved[1, :2, 3:], x[1, 2:, :2])
    assert np.count_nonzero(moved[1]) == 4
    assert not A.translate(x, 4, 0).any() and not A.translate(x, 0, -5).any()  # out of the frame
    np.testing.assert_array_equal(A.translate(x, 0, 0), x)


def test_translate_replaces_chapter_6s_shifted_copies(digits):
    def shifted_copies(x):  # chapter 6's own code
        images = x.reshape(-1, 28, 28)
        framed = np.pad(images, ((0, 0), (1, 1), (1, 1)))
        moved = [framed[:, 1:-1, 2:], framed[:, 1:-1, :-2], framed[:, 2:, 1:-1], framed[:, :-2, 1:-1]]
        return np.concatenate([images, *moved]).reshape(-1, 784)

    ours = np.concatenate([digits] + [A.translate(digits, dr, dc, shape=(28, 28))
                                      for dr, dc in [(0, -1), (0, 1), (-1, 0), (1, 0)]])
    assert ours.dtype == np.float32
    np.testing.assert_array_equal(ours, shifted_copies(digits))


@pytest.mark.parametrize("max_shift", [1, 2, 3])
def test_shift_distribution_matches_keras_random_translation(max_shift):
    """Per-image shifts of 4000 one-pixel images, ours and Keras's: both on exactly -k..k, each
    value's frequency within 5 standard errors sqrt(p (1 - p) / n) of p = 1 / (2k + 1)."""
    n, size = 4000, 11
    x = _centre_pixels(n, size, 1)
    ours = A.shift(x, np.random.default_rng(0), max_shift)
    theirs = np.asarray(A.keras_shift(max_shift, (size, size), seed=0)(x, training=True))
    support = np.arange(-max_shift, max_shift + 1)
    p = 1 / len(support)
    tolerance = 5 * np.sqrt(p * (1 - p) / n)
    for moved in (ours, theirs):
        for axis in _shifts_seen(moved, size):
            values, counts = np.unique(axis, return_counts=True)
            np.testing.assert_array_equal(values, support)
            assert np.max(np.abs(counts / n - p)) <= tolerance, counts


def test_rotate_by_equals_keras_random_rotation_at_a_fixed_angle(digits):
    import keras

    images = digits.reshape(-1, 28, 28, 1)
    for degrees in (-25.0, -4.0, 9.0, 40.0):
        fraction = degrees / 360.0
        twin = keras.layers.RandomRotation((fraction, fraction), fill_mode="constant", fill_value=0.0)
        theirs = np.asarray(twin(images, training=True))
        ours = A.rotate_by(images, degrees)
        assert ours.dtype == np.float32 and ours.shape == images.shape
        assert np.max(np.abs(ours - theirs)) <= 1e-5, degrees
        assert np.max(np.abs(A.rotate_by(images, -degrees) - theirs)) > 0.3  # the direction matters
    rgb = np.repeat(images, 3, axis=-1) * np.array([1.0, 0.5, 0.25], dtype=np.float32)
    np.testing.assert_allclose(A.rotate_by(rgb, 12.0)[..., 1], A.rotate_by(images, 12.0)[..., 0] * 0.5,
                               atol=1e-6)


def test_rotate_stays_in_range_like_keras(digits):
    images = digits.reshape(-1, 28, 28, 1)
    ours = A.rotate(images, np.random.default_rng(1), 30.0)
    theirs = np.asarray(A.keras_rotate(30.0, seed=1)(images, training=True))
    for turned in (ours, theirs):
        assert turned.shape == images.shape and turned.min() >= 0.0 and turned.max() <= 1.0
        assert np.abs(turned - images).max() > 0.1  # something turned
    angles = np.random.default_rng(1).uniform(-30.0, 30.0, size=len(images))  # what rotate drew
    np.testing.assert_array_equal(ours, A.rotate_by(images, angles))


@pytest.mark.parametrize("stddev", [0.05, 0.3])
def test_gaussian_noise_has_the_stddev_of_keras_gaussian_noise(stddev):
    """Mean within 5 sigma / sqrt(N), sample std within 5 sigma / sqrt(2N) of sigma (N = 40000)."""
    x = np.random.default_rng(3).uniform(size=(100, 400)).astype(np.float32)
    n = x.size
    ours = A.gaussian_noise(x, np.random.default_rng(0), stddev)
    twin = A.keras_noise(stddev, seed=0)
    theirs = np.asarray(twin(x, training=True))
    np.testing.assert_array_equal(np.asarray(twin(x, training=False)), x)
    for noisy in (ours, theirs):
        assert noisy.dtype == np.float32
        e = (noisy - x).astype(np.float64)
        assert abs(e.mean()) <= 5 * stddev / np.sqrt(n)
        assert abs(e.std() - stddev) <= 5 * stddev / np.sqrt(2 * n), e.std()


def test_zero_strength_is_the_identity(digits):
    rng = np.random.default_rng(0)
    images = digits.reshape(-1, 28, 28, 1)
    np.testing.assert_array_equal(A.shift(digits, rng, 0, shape=(28, 28)), digits)
    np.testing.assert_array_equal(A.rotate(digits, rng, 0.0, shape=(28, 28)), digits)
    np.testing.assert_array_equal(A.rotate_by(images, 360.0 * 0), images)
    np.testing.assert_array_equal(A.gaussian_noise(digits, rng, 0.0), digits)
    still = A.keras_shift(0, (28, 28), seed=0)(images, training=True)
    np.testing.assert_array_equal(np.asarray(still), images)
    np.testing.assert_array_equal(np.asarray(A.keras_noise(0.0)(images, training=True)), images)


@pytest.mark.parametrize("shape_in, shape", [((5, 6, 7), None), ((5, 6, 7, 3), None),
                                             ((5, 42), (6, 7)), ((5, 126), (6, 7, 3))])
def test_shapes_and_dtypes_are_kept(shape_in, shape):
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        x = rng.uniform(size=shape_in).astype(dtype)
        for f in (partial(A.shift, max_shift=2), partial(A.rotate, max_degrees=15.0),
                  partial(A.gaussian_noise, stddev=0.1)):
            out = f(x, rng, shape=shape)
            assert out.shape == x.shape and out.dtype == dtype
        out = A.chain(partial(A.shift, max_shift=1), partial(A.rotate, max_degrees=5.0), shape=shape)(x, rng)
        assert out.shape == x.shape and out.dtype == dtype


def test_chain_applies_the_steps_in_turn_and_is_reproducible(digits):
    steps = [partial(A.shift, max_shift=2), partial(A.rotate, max_degrees=10.0),
             partial(A.gaussian_noise, stddev=0.1)]
    augment = A.chain(*steps, shape=(28, 28))
    out = augment(digits, np.random.default_rng(5))
    rng = np.random.default_rng(5)
    by_hand = digits.reshape(-1, 28, 28)
    for f in steps:
        by_hand = f(by_hand, rng)
    np.testing.assert_array_equal(out, by_hand.reshape(-1, 784))
    np.testing.assert_array_equal(augment(digits, np.random.default_rng(5)), out)
    assert not np.array_equal(augment(digits, np.random.default_rng(6)), out)


def test_large_inputs_stay_finite():
    x = np.full((2, 8, 8), 1e4)
    rng = np.random.default_rng(0)
    for f in (partial(A.shift, max_shift=2), partial(A.rotate, max_degrees=45.0),
              partial(A.gaussian_noise, stddev=1.0)):
        assert np.isfinite(f(-x, rng)).all()


def test_bad_arguments_raise():
    rng = np.random.default_rng(0)
    x = np.zeros((3, 4, 4))
    with pytest.raises(ValueError, match=r"x must be images \(n, h, w\) or \(n, h, w, c\)"):
        A.shift(np.zeros((3, 16)), rng)
    with pytest.raises(ValueError, match=r"shape must be \(h, w\) or \(h, w, c\) holding the \(16,\) values"):
        A.rotate(np.zeros((3, 16)), rng, shape=(5, 5))
    with pytest.raises(ValueError, match="rows must be one or 3 integers"):
        A.translate(x, [1, 2], 0)
    with pytest.raises(ValueError, match="cols must be one or 3 integers"):
        A.translate(x, 0, 0.5)
    with pytest.raises(ValueError, match="max_shift must be an integer >= 0"):
        A.shift(x, rng, -1)
    with pytest.raises(ValueError, match=r"max_degrees must lie in \[0, 180\]"):
        A.rotate(x, rng, 200.0)
    with pytest.raises(ValueError, match="degrees must be one or 3 numbers"):
        A.rotate_by(x, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"stddev must lie in \[0, inf\)"):
        A.gaussian_noise(x, rng, -0.1)
    with pytest.raises(TypeError, match="rng must be an integer >= 0"):
        A.shift(x, "seed")
    with pytest.raises(TypeError, match=r"chain needs one or more functions \(x, rng\) -> x"):
        A.chain()
    with pytest.raises(TypeError, match="chain needs one or more functions"):
        A.chain(A.shift, 3)
    with pytest.raises(ValueError, match="x must be finite"):
        A.gaussian_noise(np.array([[np.nan]]), rng)
