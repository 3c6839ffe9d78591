"""nnbook.lab.surfaces: gradients against centred differences and tf.GradientTape, minima and saddle
points, batches and dtypes, the Hessian of the quadratic, stability at +-1e4, bad input, plotting."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from nnbook import plots  # noqa: E402
from nnbook.engine import optimizers as O  # noqa: E402
from nnbook.lab import surfaces as S  # noqa: E402

ALL = [S.Quadratic(), S.Quadratic(h1=2.0, h2=7.0, angle=0.6), S.Saddle(), S.Rosenbrock(),
       S.Rosenbrock(a=-0.5, b=10.0)]
IDS = [repr(s) for s in ALL]


def _centred(f, w, eps=1e-6):
    g = np.zeros(2)
    for j in range(2):
        e = np.zeros(2)
        e[j] = eps
        g[j] = (f(w + e) - f(w - e)) / (2 * eps)
    return g


def _rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), 1e-300))


@pytest.mark.parametrize("surface", ALL, ids=IDS)
def test_gradient_matches_centred_differences(surface):
    rng = np.random.default_rng(7)
    for w in rng.uniform(-2, 2, size=(20, 2)):
        assert _rel(surface.grad(w), _centred(surface.f, w)) < 1e-7


@pytest.mark.parametrize("surface", ALL, ids=IDS)
def test_gradient_matches_gradient_tape(surface):
    w = np.random.default_rng(8).uniform(-2, 2, size=(16, 2))
    v = tf.Variable(w)
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(surface.keras_f(v))
    np.testing.assert_allclose(surface.grad(w), tape.gradient(total, v).numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(surface.f(w), surface.keras_f(tf.constant(w)).numpy(), rtol=1e-12)


@pytest.mark.parametrize("surface", ALL, ids=IDS)
def test_minima_are_stationary_and_lowest(surface):
    rng = np.random.default_rng(9)
    for m in surface.minima:
        assert surface.f(m) == pytest.approx(surface.f_min, abs=1e-12)
        np.testing.assert_allclose(surface.grad(m), 0.0, atol=1e-12)
        around = m + rng.normal(scale=0.05, size=(50, 2))
        assert np.all(surface.f(around) > surface.f_min)
    x0, x1, y0, y1 = surface.extent
    cloud = rng.uniform([x0, y0], [x1, y1], size=(2000, 2))
    assert surface.f(cloud).min() >= surface.f_min


def test_known_values():
    assert S.Quadratic(h1=1.0, h2=20.0).f([1.0, 1.0]) == pytest.approx(10.5)
    assert S.Rosenbrock().f([0.0, 0.0]) == pytest.approx(1.0)
    assert S.Rosenbrock().f([-1.0, 1.0]) == pytest.approx(4.0)
    np.testing.assert_allclose(S.Rosenbrock().grad([0.0, 0.0]), [-2.0, 0.0])
    assert S.Saddle().f([0.0, 0.0]) == 0.0


def test_saddle_point_is_stationary_but_not_a_minimum():
    s = S.Saddle()
    np.testing.assert_array_equal(s.grad(s.saddle_point), [0.0, 0.0])
    assert s.f([0.0, 0.1]) < 0.0 < s.f([0.1, 0.0])  # down along w2, up along w1


def test_quadratic_hessian_and_condition_number():
    q = S.Quadratic(h1=2.0, h2=30.0, angle=0.4)
    H = q.hessian
    np.testing.assert_allclose(np.linalg.eigvalsh(H), [2.0, 30.0])
    assert q.condition_number == pytest.approx(15.0)
    w = np.array([0.7, -1.3])
    np.testing.assert_allclose(q.grad(w), H @ w, rtol=1e-12)
    assert q.f(w) == pytest.approx(0.5 * w @ H @ w)


@pytest.mark.parametrize("surface", ALL, ids=IDS)
def test_batch_equals_rows(surface):
    w = np.random.default_rng(10).uniform(-2, 2, size=(5, 2))
    F, G = surface.f(w), surface.grad(w)
    assert F.shape == (5,) and G.shape == (5, 2)
    for i in range(5):
        assert F[i] == pytest.approx(surface.f(w[i]), rel=1e-14)
        np.testing.assert_allclose(G[i], surface.grad(w[i]), rtol=1e-14)


@pytest.mark.parametrize("surface", ALL, ids=IDS)
def test_dtypes(surface):
    w32 = np.array([[0.3, -0.8], [1.1, 0.4]], dtype=np.float32)
    assert surface.f(w32).dtype == np.float32
    assert surface.grad(w32).dtype == np.float32
    np.testing.assert_allclose(surface.grad(w32), surface.grad(w32.astype(np.float64)), rtol=1e-5)
    assert surface.grad(np.array([1, 2])).dtype == np.float64  # integers become float64
    assert isinstance(surface.f([0.5, 0.5]), float)


@pytest.mark.parametrize("surface", ALL, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_large_inputs_stay_finite(surface, dtype):
    w = np.array([[1e4, 1e4], [-1e4, 1e4], [1e4, -1e4], [-1e4, -1e4]], dtype=dtype)
    assert np.all(np.isfinite(surface.f(w)))
    assert np.all(np.isfinite(surface.grad(w)))


@pytest.mark.parametrize("bad", [np.zeros(3), np.zeros((4, 3)), np.zeros((2, 2, 2)), np.float64(1.0)])
def test_bad_shapes(bad):
    with pytest.raises(ValueError, match=r"shape \(2,\) or \(n, 2\), got shape"):
        S.Rosenbrock().grad(bad)


def test_bad_values_and_types():
    with pytest.raises(ValueError, match="finite"):
        S.Saddle().f([np.nan, 0.0])
    with pytest.raises(TypeError, match="numeric"):
        S.Saddle().f(["a", "b"])
    with pytest.raises(ValueError, match=r"h1 \(a curvature\) must lie in \(0, inf\), got -1.0"):
        S.Quadratic(h1=-1.0)
    with pytest.raises(TypeError, match="h2 .a curvature. must be a number, got str"):
        S.Quadratic(h2="20")
    with pytest.raises(ValueError, match="angle .radians. must lie in"):
        S.Quadratic(angle=np.inf)
    with pytest.raises(ValueError, match=r"b \(the weight of the valley walls\) must lie in \(0, inf\)"):
        S.Rosenbrock(b=0.0)
    with pytest.raises(ValueError, match="a must lie in"):
        S.Rosenbrock(a=np.nan)
    with pytest.raises(ValueError, match="unknown surface 'bowl'"):
        S.get("bowl")
    with pytest.raises(TypeError):
        S.grid("quadratic")


def test_numpy_scalars_are_numbers_and_bools_are_not():
    q = S.Quadratic(h1=np.float32(0.5), h2=np.int64(4), angle=np.float64(0.3))
    assert (q.h1, q.h2, q.angle) == (0.5, 4.0, 0.3)
    assert S.Rosenbrock(a=np.int32(2), b=np.float32(10)).minima[0].tolist() == [2.0, 4.0]
    assert S.grid(q, n=np.int64(3))[2].shape == (3, 3)
    for build in (lambda: S.Quadratic(h1=True), lambda: S.Quadratic(angle=False),
                  lambda: S.Rosenbrock(b=True)):
        with pytest.raises(TypeError, match="must be a number, got bool"):
            build()
    with pytest.raises(TypeError, match="n must be an integer >= 2, got bool"):
        S.grid(q, n=True)


@pytest.mark.parametrize("extent, error, match", [
    ((0.0, 1.0), TypeError, r"extent must be \(x_min, x_max, y_min, y_max\), got a tuple of 2 items"),
    ("0 1 0 1", TypeError, "extent must be"),
    ((0.0, 1.0, 0.0, np.nan), ValueError, r"extent\[3\] must lie in"),
    ((1.0, 0.0, 0.0, 1.0), ValueError, "x_min < x_max"),
    ((0.0, 1.0, 2.0, 2.0), ValueError, "y_min < y_max"),
], ids=lambda v: None)
def test_grid_bad_extent(extent, error, match):
    with pytest.raises(error, match=match):
        S.grid(S.Saddle(), n=5, extent=extent)


def test_get_builds_each_surface():
    assert isinstance(S.get("quadratic", h2=5.0), S.Quadratic)
    assert S.get("quadratic", h2=5.0).h2 == 5.0
    assert isinstance(S.get("saddle"), S.Saddle)
    assert S.get("rosenbrock", b=10.0).b == 10.0


def test_grid_shapes_and_values():
    q = S.Quadratic()
    W1, W2, F = S.grid(q, n=7)
    assert W1.shape == W2.shape == F.shape == (7, 7)
    assert W1[0, 0] == q.extent[0] and W2[-1, 0] == q.extent[3]
    np.testing.assert_allclose(F[3, 2], q.f([W1[3, 2], W2[3, 2]]))


def test_contours_and_plot_path():
    fig, ax = plt.subplots()
    s = S.Rosenbrock()
    assert plots.contours(s, ax=ax, n=40) is ax
    line = plots.plot_path(ax, np.array([s.start, [0.0, 0.0], [1.0, 1.0]]), label="gd")
    assert line.get_label() == "gd"
    assert ax.get_xlim() == (s.extent[0], s.extent[1])
    with pytest.raises(ValueError, match=r"\(k, 2\)"):
        plots.plot_path(ax, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="every"):
        plots.plot_path(ax, np.zeros((3, 2)), every=0)
    with pytest.raises(TypeError, match="path must be numeric"):
        plots.plot_path(ax, [["a", "b"]])
    with pytest.raises(ValueError, match="start at a finite point"):
        plots.plot_path(ax, [[np.nan, 0.0], [1.0, 1.0]])
    with pytest.raises(TypeError, match="levels must be an integer >= 2"):
        plots.contours(s, ax=ax, n=10, levels=4.5)
    plt.close(fig)


def test_plot_path_leaves_out_the_nan_rows_of_a_diverging_run():
    """`trajectory` ends a diverging run in NaN rows "which plots simply leave out": plot_path
    used to refuse them (path must be finite)."""
    path = O.trajectory(O.SGD(3.0), S.Quadratic(h1=1.0, h2=1.0).grad, [1.0, -1.0], 1100)  # w *= -2
    assert np.isnan(path[-1]).all() and np.isfinite(path[0]).all()
    fig, ax = plt.subplots()
    line = plots.plot_path(ax, path)
    np.testing.assert_array_equal(line.get_xydata(), path)  # matplotlib skips the NaN points
    plt.close(fig)
