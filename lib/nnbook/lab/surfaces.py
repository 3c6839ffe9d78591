"""Two-dimensional loss surfaces on which to watch optimisers move (chapter 7).

Three classic test functions of a parameter vector w = (w1, w2):

| surface      | f(w)                                              | what it tests              |
|--------------|---------------------------------------------------|----------------------------|
| `Quadratic`  | (h1 u^2 + h2 v^2) / 2, (u, v) = w rotated by angle | ill-conditioning (h2 >> h1) |
| `Saddle`     | w1^2 / 2 + w2^4 / 4 - w2^2 / 2                    | escaping a saddle point     |
| `Rosenbrock` | (a - w1)^2 + b (w2 - w1^2)^2                      | a long, curved, flat valley |

Each surface has `f(w)` and `grad(w)` for one point (2,) -> () / (2,) or a batch (n, 2) -> (n,) /
(n, 2); float32 stays float32, anything else becomes float64. `keras_f(w)` is the same function in
Keras tensor arithmetic, so autodiff can check `grad`. `nnbook.plots.contours(surface)` draws a
surface and `nnbook.plots.plot_path(ax, path)` the iterates of an optimiser on top of it.
"""

import math

import numpy as np

from .._checks import as_float_array, describe, number_in, positive_int


def as_points(w, name="w"):
    """`w` as a float array of shape (2,) or (n, 2); TypeError/ValueError otherwise."""
    arr = as_float_array(w, name)
    if arr.shape != (2,) and (arr.ndim != 2 or arr.shape[1] != 2):
        raise ValueError(f"{name} must have shape (2,) or (n, 2), got shape {arr.shape}")
    return arr


class Surface:
    """A loss surface on the plane. Subclasses define `_f(w1, w2)` and `_grad(w1, w2)`.

    Attributes: `name`, `minima` (list of (2,) points), `f_min` (the lowest value), `extent`
    (x_min, x_max, y_min, y_max: the window `contours` draws) and `start` (a suggested w0).
    """

    name = "surface"
    f_min = 0.0
    extent = (-2.0, 2.0, -2.0, 2.0)

    def f(self, w):
        """Loss at w: (2,) -> float, (n, 2) -> (n,)."""
        w = as_points(w)
        out = self._f(w[..., 0], w[..., 1])
        return float(out) if w.ndim == 1 else out

    __call__ = f

    def grad(self, w):
        """Gradient of f at w: (2,) -> (2,), (n, 2) -> (n, 2)."""
        w = as_points(w)
        g1, g2 = self._grad(w[..., 0], w[..., 1])
        return np.stack([g1, g2], axis=-1).astype(w.dtype, copy=False)

    def keras_f(self, w):
        """The same f on a Keras/TensorFlow tensor or variable of shape (2,) or (n, 2)."""
        return self._f(w[..., 0], w[..., 1])

    def __repr__(self):
        return f"{type(self).__name__}({self._args()})"

    def _args(self):
        return ""


class Quadratic(Surface):
    """f = (h1 u^2 + h2 v^2) / 2 with (u, v) = (c w1 + s w2, -s w1 + c w2), c, s = cos, sin(angle).

    The Hessian has eigenvalues h1 and h2 (curvatures along the rotated axes), so the condition
    number is max(h1, h2) / min(h1, h2). Minimum f = 0 at the origin.
    """

    name = "quadratic"
    extent = (-5.0, 5.0, -2.5, 2.5)
    start = np.array([-4.5, 1.5])

    def __init__(self, h1=1.0, h2=20.0, angle=0.0):
        self.h1 = number_in(h1, "h1 (a curvature)", 0, low_open=True)
        self.h2 = number_in(h2, "h2 (a curvature)", 0, low_open=True)
        self.angle = number_in(angle, "angle (radians)")
        self.c, self.s = math.cos(self.angle), math.sin(self.angle)
        self.minima = [np.zeros(2)]

    @property
    def hessian(self):
        """The constant Hessian, (2, 2): R^T diag(h1, h2) R."""
        R = np.array([[self.c, self.s], [-self.s, self.c]])
        return R.T @ np.diag([self.h1, self.h2]) @ R

    @property
    def condition_number(self):
        """max(h1, h2) / min(h1, h2): how much more curved the steep direction is."""
        return max(self.h1, self.h2) / min(self.h1, self.h2)

    def _f(self, w1, w2):
        u = self.c * w1 + self.s * w2
        v = -self.s * w1 + self.c * w2
        return 0.5 * (self.h1 * u * u + self.h2 * v * v)

    def _grad(self, w1, w2):
        u = self.c * w1 + self.s * w2
        v = -self.s * w1 + self.c * w2
        du, dv = self.h1 * u, self.h2 * v  # then back through the rotation
        return self.c * du - self.s * dv, self.s * du + self.c * dv

    def _args(self):
        return f"h1={self.h1:g}, h2={self.h2:g}, angle={self.angle:g}"


class Saddle(Surface):
    """f = w1^2 / 2 + w2^4 / 4 - w2^2 / 2: a saddle point at the origin, minima at (0, +-1).

    Along w1 the origin is a minimum, along w2 a maximum; f(0, 0) = 0, f(0, +-1) = -1/4.
    """

    name = "saddle"
    f_min = -0.25
    extent = (-2.0, 2.0, -1.6, 1.6)
    start = np.array([-1.8, 1e-3])
    saddle_point = np.zeros(2)

    def __init__(self):
        self.minima = [np.array([0.0, -1.0]), np.array([0.0, 1.0])]

    def _f(self, w1, w2):
        w2sq = w2 * w2
        return 0.5 * w1 * w1 + 0.25 * w2sq * w2sq - 0.5 * w2sq

    def _grad(self, w1, w2):
        return w1, w2 * w2 * w2 - w2


class Rosenbrock(Surface):
    """f = (a - w1)^2 + b (w2 - w1^2)^2 (Rosenbrock, 1960); minimum 0 at (a, a^2).

    The minimum lies at the bottom of a narrow curved valley: steep across it (curvature ~ 2b),
    nearly flat along it.
    """

    name = "rosenbrock"
    extent = (-2.0, 2.0, -1.0, 3.0)
    start = np.array([-1.5, 2.5])

    def __init__(self, a=1.0, b=100.0):
        self.a = number_in(a, "a")
        self.b = number_in(b, "b (the weight of the valley walls)", 0, low_open=True)
        self.minima = [np.array([self.a, self.a**2])]

    def _f(self, w1, w2):
        r = w2 - w1 * w1
        return (self.a - w1) ** 2 + self.b * r * r

    def _grad(self, w1, w2):
        r = w2 - w1 * w1
        return -2.0 * (self.a - w1) - 4.0 * self.b * w1 * r, 2.0 * self.b * r

    def _args(self):
        return f"a={self.a:g}, b={self.b:g}"


SURFACES = {"quadratic": Quadratic, "saddle": Saddle, "rosenbrock": Rosenbrock}


def get(name, **kwargs):
    """A surface by name ("quadratic", "saddle", "rosenbrock"); kwargs go to its constructor."""
    if not isinstance(name, str):
        raise TypeError(f"surface name must be a string, got {type(name).__name__}")
    if name not in SURFACES:
        raise ValueError(f"unknown surface {name!r}; choose one of {', '.join(SURFACES)}")
    return SURFACES[name](**kwargs)


def grid(surface, n=120, extent=None):
    """Evaluate `surface` on an n x n grid over `extent`: returns (W1, W2, F), each (n, n)."""
    if not isinstance(surface, Surface):
        raise TypeError(f"surface must be a nnbook.lab.surfaces.Surface, got {type(surface).__name__}")
    n = positive_int(n, "n", minimum=2)
    x0, x1, y0, y1 = surface.extent if extent is None else _check_extent(extent)
    W1, W2 = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    F = surface.f(np.stack([W1.ravel(), W2.ravel()], axis=1)).reshape(n, n)
    return W1, W2, F


def _check_extent(extent):
    """`extent` as four finite floats (x_min, x_max, y_min, y_max) with x_min < x_max, y_min < y_max."""
    if isinstance(extent, (str, bytes)) or not isinstance(extent, (tuple, list)) or len(extent) != 4:
        raise TypeError(f"extent must be (x_min, x_max, y_min, y_max), got {describe(extent)}")
    x0, x1, y0, y1 = (number_in(v, f"extent[{i}]") for i, v in enumerate(extent))
    if not (x0 < x1 and y0 < y1):
        raise ValueError(f"extent must have x_min < x_max and y_min < y_max, got {tuple(extent)}")
    return x0, x1, y0, y1
