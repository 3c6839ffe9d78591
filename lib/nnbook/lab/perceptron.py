"""The perceptron (Rosenblatt, 1958): a step of a weighted sum, trained by the perceptron rule.

Labels are 0/1. For one example `x_i` (d,) the model predicts y_hat = step(w . x_i + b) and the
rule moves the weights by the error:  w <- w + eta (y_i - y_hat) x_i,  b <- b + eta (y_i - y_hat).
`update` is that single step; `Perceptron` applies it example by example over shuffled epochs;
`pocket_and_average` runs it on data no line separates and keeps two better answers than the last.
The Keras twin is a `keras.layers.Dense(1)` trained by the same rule written in `keras.ops`
(`keras_perceptron`, `keras_fit`, `keras_predict`). `margin`, `radius` and `novikoff_bound` give
the quantities of the convergence theorem (Novikoff, 1962).
"""

import numpy as np

from .._checks import as_float_array, flag, float_dtype, generator, number_in, positive_int
from ..engine.activations import step


# ---------------------------------------------------------------- input checks
def _check_x(x, name="x"):
    """`x` as a finite float (n, d) array (float32 kept, else float64)."""
    arr = as_float_array(x, name)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} needs at least one sample and one feature, got shape {arr.shape}")
    return arr


def _check_y(y, n, name="y"):
    """`y` as an int64 (n,) array of 0/1 labels."""
    arr = np.asarray(y)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numeric 0/1 labels, got an array of dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (n_samples,), got shape {arr.shape}")
    if len(arr) != n:
        raise ValueError(f"x and {name} need the same length, got {n} and {len(arr)}")
    bad = ~np.isin(arr, (0, 1))
    if np.any(bad):
        found = np.unique(arr[bad])[:5]
        raise ValueError(f"{name} must contain only the labels 0 and 1, also got {found.tolist()}")
    return arr.astype(np.int64)


def _check_wb(w, b, d, dtype):
    """`w` as a (d,) array of `dtype` and `b` as a `dtype` scalar."""
    w = as_float_array(w, "w").astype(dtype)
    if w.shape != (d,):
        raise ValueError(f"w must have shape ({d},) to match x's {d} features, got {w.shape}")
    b = as_float_array(b, "b")
    if b.ndim != 0:
        raise ValueError(f"b must be a scalar, got an array of shape {b.shape}")
    return w, dtype.type(b)


def _check_order(order, n, epochs):
    """`order` as an (epochs, n) int array of permutations of range(n)."""
    if order is None:
        return np.tile(np.arange(n), (epochs, 1))
    arr = np.asarray(order)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"order must hold integer indices, got an array of dtype {arr.dtype}")
    if arr.ndim == 1:
        arr = np.tile(arr, (epochs, 1))
    if arr.ndim != 2 or arr.shape[0] < epochs or arr.shape[1] != n:
        raise ValueError(
            f"order must be (n,) or (epochs, n) = (>= {epochs}, {n}), got shape {np.shape(order)}"
        )
    arr = arr[:epochs]
    if not np.all(np.sort(arr, axis=1) == np.arange(n)):
        raise ValueError(f"every row of order must be a permutation of 0..{n - 1}")
    return arr.astype(np.int64)


def shuffled_orders(n, epochs, seed=0):
    """The visiting order of each epoch: (epochs, n) int array, one permutation of range(n) per row.

    `seed` is an int or a `numpy.random.Generator`. `Perceptron.fit` and `keras_fit` accept it.
    """
    n, epochs, rng = positive_int(n, "n"), positive_int(epochs, "epochs"), generator(seed)
    return np.stack([rng.permutation(n) for _ in range(epochs)])


# ---------------------------------------------------------------- the rule
def _check_update(w, b, x_i, y_i, eta):
    """(w, b, x_i, y_i, eta) checked, in one float dtype (float32 only if w and x_i both are)."""
    x_i, w = as_float_array(x_i, "x_i"), as_float_array(w, "w")
    if x_i.ndim != 1:
        raise ValueError(f"x_i must be one example of shape (d,), got shape {x_i.shape}")
    dtype = np.result_type(x_i, w)
    w, b = _check_wb(w, b, x_i.shape[0], dtype)
    y_i = _check_y(np.atleast_1d(y_i), 1, "y_i")[0]
    return w, b, x_i.astype(dtype), y_i, dtype.type(number_in(eta, "eta", 0, low_open=True))


def update(w, b, x_i, y_i, eta=1.0):
    """One perceptron step on one example. w: (d,), b: scalar, x_i: (d,), y_i: 0 or 1.

    Returns the new `(w, b)`; they change only when the prediction step(w . x_i + b) is wrong.
    """
    w, b, x_i, y_i, eta = _check_update(w, b, x_i, y_i, eta)
    y_hat = step(w @ x_i + b)  # 0 or 1
    error = w.dtype.type(y_i - y_hat)  # -1, 0 or +1
    return w + eta * error * x_i, b + eta * error


class Perceptron:
    """A perceptron with weights `w` (d,) and bias `b`, zero unless given.

    After `fit`: `history` (mistakes in each epoch), `converged` (an epoch had no mistake),
    `trajectory` ((w, b) after each epoch) and `orders` (the (epochs, n) visiting order used).
    """

    def __init__(self, n_features, *, w=None, b=0.0, dtype=np.float64):
        n_features, self.dtype = positive_int(n_features, "n_features"), float_dtype(dtype)
        w = np.zeros(n_features) if w is None else w
        self.w, self.b = _check_wb(w, b, n_features, self.dtype)
        self.history, self.trajectory, self.converged, self.orders = [], [], False, None

    def _x(self, x):
        x = _check_x(x)
        if x.shape[1] != self.w.shape[0]:
            raise ValueError(f"x must have {self.w.shape[0]} features, got shape {x.shape}")
        return x.astype(self.dtype, copy=False)

    def decision_function(self, x):
        """z = x w + b. x: (n, d) -> (n,)."""
        return self._x(x) @ self.w + self.b

    def predict(self, x):
        """Labels step(z) in {0, 1}. x: (n, d) -> (n,) int64."""
        return step(self.decision_function(x)).astype(np.int64)

    def score(self, x, y):
        """Fraction of `x` whose predicted label equals `y`."""
        x = self._x(x)
        return float(np.mean(self.predict(x) == _check_y(y, len(x))))

    def fit(self, x, y, epochs=100, eta=1.0, seed=0, *, shuffle=True):
        """The rule of `update` on each example, epoch after epoch, until an epoch has no mistake.

        x: (n, d), y: (n,) of 0/1. `seed` (int or Generator) shuffles each epoch when `shuffle`.
        Returns `self`.
        """
        x = self._x(x)
        y = _check_y(y, len(x))
        epochs, eta = positive_int(epochs, "epochs"), number_in(eta, "eta", 0, low_open=True)
        if flag(shuffle, "shuffle"):
            order = shuffled_orders(len(x), epochs, seed)
        else:
            order = _check_order(None, len(x), epochs)
        self.history, self.trajectory, self.converged = [], [], False
        targets, eta = y.astype(self.dtype), self.dtype.type(eta)
        w, b = self.w.copy(), self.b
        for epoch in range(epochs):
            mistakes = 0
            for i in order[epoch]:
                z = x[i] @ w + b
                error = targets[i] - (z >= 0)  # y - step(z): -1, 0 or +1, as in `update`
                if error:  # a mistake: apply the perceptron rule
                    mistakes += 1
                    w = w + eta * error * x[i]
                    b = b + eta * error
            self.history.append(mistakes)
            self.trajectory.append((w.copy(), b))
            if mistakes == 0:
                self.converged = True
                break
        self.w, self.b = w, b
        self.orders = order[: len(self.history)]
        return self


def pocket_and_average(x, y, epochs=100, eta=1.0, seed=0):
    """The perceptron rule for data that no line separates, and two ways to choose its answer.

    The rule never settles on such data, so its last weights are wherever it was stopped. The
    *pocket* (Gallant, 1990) keeps the weights with the fewest training mistakes seen after any
    update; the *average* (Freund & Schapire, 1999) is the mean of the weights over every visit of
    an example. x: (n, d), y: (n,) of 0/1, the epochs shuffled by `seed` as in `Perceptron.fit`.
    Returns a dict of (w, b) pairs `last`, `pocket`, `average`, and `trajectory`, the (w, b) at the
    end of each epoch (where a plain perceptron stopped after that many epochs would be).
    """
    x = _check_x(x)
    y = _check_y(y, len(x))
    epochs, eta = positive_int(epochs, "epochs"), number_in(eta, "eta", 0, low_open=True)
    order = shuffled_orders(len(x), epochs, seed)

    def mistakes(w, b):
        return int(np.sum((x @ w + b >= 0) != y))

    w, b = np.zeros(x.shape[1]), 0.0
    pocket, fewest = (w, b), mistakes(w, b)
    w_sum, b_sum, trajectory = np.zeros_like(w), 0.0, []
    for epoch in range(epochs):
        for i in order[epoch]:
            error = y[i] - (x[i] @ w + b >= 0)
            if error:
                w, b = w + eta * error * x[i], b + eta * error  # new arrays: no copies needed
                if (count := mistakes(w, b)) < fewest:
                    pocket, fewest = (w, b), count
            w_sum, b_sum = w_sum + w, b_sum + b
        trajectory.append((w, b))
    visits = epochs * len(x)
    return {"last": (w, b), "pocket": pocket, "average": (w_sum / visits, b_sum / visits),
            "trajectory": trajectory}


# ---------------------------------------------------------------- convergence theorem
def margin(x, y, w, b=0.0):
    """Geometric margin of the hyperplane w . x + b = 0 on the data: min_i s_i (w . x_i + b) / |w|.

    s_i = 2 y_i - 1 is the label as -1/+1. Positive exactly when the hyperplane separates the
    classes (points with y = 1 on the side z > 0); it is then the distance of the closest point.
    """
    x = _check_x(x)
    y = _check_y(y, len(x))
    w, b = _check_wb(w, b, x.shape[1], x.dtype)
    norm = np.linalg.norm(w)
    if norm == 0:
        raise ValueError("w must not be the zero vector: it defines no hyperplane")
    s = 2 * y - 1
    return float(np.min(s * (x @ w + b)) / norm)


def radius(x):
    """R = max_i |x_i|: the radius of the smallest origin-centred ball holding the data."""
    return float(np.max(np.linalg.norm(_check_x(x), axis=1)))


def augment(x):
    """Append a constant feature 1: (n, d) -> (n, d + 1), so that w . x + b = (w, b) . (x, 1)."""
    x = _check_x(x)
    return np.hstack([x, np.ones((len(x), 1), dtype=x.dtype)])


def novikoff_bound(x, y, w, b=0.0):
    """Novikoff's bound (R / gamma)^2 on the perceptron's total mistakes, from a separating (w, b).

    The theorem is stated for a hyperplane through the origin, so the bias is folded in as an
    extra weight on a constant input 1: R and gamma are measured on `augment(x)` with the
    direction (w, b). It holds for a perceptron started at w = 0, b = 0, for any eta > 0.
    Raises ValueError if (w, b) does not separate the data (gamma <= 0).
    """
    xa = augment(x)
    wa = np.append(as_float_array(w, "w"), as_float_array(b, "b"))
    gamma = margin(xa, y, wa, 0.0)
    if gamma <= 0:
        raise ValueError(f"(w, b) does not separate the data (margin {gamma:.3g} <= 0): no bound")
    return (radius(xa) / gamma) ** 2


# ---------------------------------------------------------------- Keras twin
def keras_perceptron(n_features, *, w=None, b=0.0, dtype="float64"):
    """A built `keras.layers.Dense(1)` holding the weights: kernel (d, 1) = w, bias (1,) = b.

    `w` defaults to zeros, like `Perceptron`.
    """
    import keras

    p = Perceptron(n_features, w=w, b=b, dtype=dtype)  # validates and converts
    layer = keras.layers.Dense(1, dtype=str(p.dtype), name="perceptron")
    layer.build((None, int(n_features)))
    layer.set_weights([p.w[:, None], np.array([p.b], dtype=p.dtype)])
    return layer


def _keras_layer_dtype(layer):
    import keras

    if not isinstance(layer, keras.layers.Dense) or layer.units != 1 or not layer.built:
        raise TypeError(f"expected a built keras.layers.Dense(1), got {type(layer).__name__}")
    return np.dtype(layer.kernel.dtype)


def keras_predict(layer, x):
    """Labels from a Dense(1) layer: step(layer(x)) in {0, 1}. x: (n, d) -> (n,) int64."""
    from keras import ops

    dtype = _keras_layer_dtype(layer)
    x = _check_x(x).astype(dtype, copy=False)
    z = layer(ops.convert_to_tensor(x))[:, 0]
    return ops.convert_to_numpy(ops.cast(ops.greater_equal(z, 0), "int64"))


def keras_fit(layer, x, y, epochs=100, eta=1.0, order=None):
    """Train a Dense(1) layer in place with the perceptron rule, one example at a time.

    `order`: None (0..n-1 each epoch), (n,) (same order every epoch) or (epochs, n) (one row
    per epoch, e.g. `Perceptron.orders`). Stops after an epoch with no mistake, like
    `Perceptron.fit`. Returns the list of mistakes per epoch.
    """
    from keras import ops

    dtype = _keras_layer_dtype(layer)
    x = _check_x(x).astype(dtype, copy=False)
    y = _check_y(y, len(x))
    epochs, eta = positive_int(epochs, "epochs"), number_in(eta, "eta", 0, low_open=True)
    order = _check_order(order, len(x), epochs)
    rows = [ops.convert_to_tensor(x_i) for x_i in x]  # x_i as (d,)
    cols = [ops.convert_to_tensor(x_i[:, None]) for x_i in x]  # x_i as (d, 1), like the kernel
    targets = [ops.convert_to_tensor(np.full((1,), y_i, dtype)) for y_i in y]
    history = []
    for epoch in range(epochs):
        mistakes = 0
        for i in order[epoch]:
            z = ops.matmul(rows[i], layer.kernel) + layer.bias  # (1,)
            error = targets[i] - ops.cast(ops.greater_equal(z, 0), dtype)  # y - step(z)
            if ops.convert_to_numpy(error)[0] != 0:  # a mistake: apply the perceptron rule
                mistakes += 1
                delta = eta * error  # (1,)
                layer.kernel.assign_add(cols[i] * delta)  # w <- w + eta (y - y_hat) x
                layer.bias.assign_add(delta)  # b <- b + eta (y - y_hat)
        history.append(mistakes)
        if mistakes == 0:
            break
    return history
