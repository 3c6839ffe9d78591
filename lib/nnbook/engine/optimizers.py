"""Optimisers and learning-rate schedules in NumPy, with the update rules of Keras 3 and Keras twins.

An optimiser updates a dict of parameter arrays in place from a dict of gradients with the same
keys and shapes: `opt.apply(params, grads)`. It keeps its state (momenta, moving averages) per key
and counts its steps in `iterations`. With g the gradient of a parameter w and eta the learning
rate at the current step (`learning_rate`: a float > 0, or a schedule: step -> eta, whose value
is checked at every step to be a finite number >= 0):

| optimiser | update (t = iterations + 1)                                                            |
|-----------|----------------------------------------------------------------------------------------|
| SGD       | w -= eta g; with momentum mu: m = mu m - eta g, w += m (Nesterov: w += mu m - eta g)   |
| Adagrad   | a += g^2 (a starts at initial_accumulator_value), w -= eta g / sqrt(a + eps)            |
| RMSprop   | v = rho v + (1 - rho) g^2, w -= eta g / sqrt(v + eps) (centred: v - gbar^2 + eps)      |
| Adam      | m += (1 - b1)(g - m), v += (1 - b2)(g^2 - v), w -= eta_t m / (sqrt(v) + eps),          |
|           | eta_t = eta sqrt(1 - b2^t) / (1 - b1^t)                                                |
| AdamW     | Adam after the decoupled weight decay w -= eta lambda w                                |

Gradient clipping, as Keras 3 does it, before the update (and before any weight decay); at most
one of the three may be set (each > 0):

    clipnorm c:        each gradient alone, g <- g c / max(||g||, c)
    global_clipnorm c: all of them together, g <- g c / max(G, c), G = sqrt(sum of all ||g||^2)
    clipvalue v:       every entry, g <- clip(g, -v, v)

Like Keras, momentum (SGD), beta_1 and beta_2 (in eta_t) and weight_decay are used rounded to
float32 (Keras casts these Python floats through a float32 tensor), so that float64 runs agree with
Keras's to rounding error. Float32 parameters stay float32. `trajectory` runs an optimiser on a
function of a few variables, for pictures of the paths on 2-D surfaces.
"""

from collections.abc import Mapping

import numpy as np

from .._checks import as_float_array, describe, flag, number_in, positive_int
from .schedules import LearningRateSchedule


def _keras_cast(value):
    """`value` rounded to float32, as Keras's `ops.cast(value, dtype)` rounds a Python float
    (it becomes a float32 tensor first, even for dtype float64). Used exactly where Keras casts a
    hyperparameter, so float64 runs agree with Keras's to rounding error, not to ~1e-6."""
    return float(np.float32(value))


class Optimizer:
    """Base class: `apply(params, grads)` updates every array of `params` in place.

    Subclasses name their per-parameter state arrays in `_slots()` and define
    `_update(w, g, eta, state)`. The gradients are first clipped (`clipnorm`, `global_clipnorm` or
    `clipvalue`, see the module's docstring); a `weight_decay` (AdamW's, decoupled as in Keras)
    then shrinks every parameter: w -= w * weight_decay * eta.
    """

    keras_name = None

    def __init__(self, learning_rate, clipnorm=None, clipvalue=None, global_clipnorm=None):
        if callable(learning_rate):
            self._learning_rate = learning_rate
        else:
            self._learning_rate = number_in(learning_rate, "learning_rate", 0, low_open=True)
        self.clipping = {name: number_in(value, name, 0, low_open=True) for name, value in
                         [("clipnorm", clipnorm), ("clipvalue", clipvalue),
                          ("global_clipnorm", global_clipnorm)] if value is not None}
        if len(self.clipping) > 1:
            raise ValueError(f"set at most one of clipnorm, clipvalue and global_clipnorm, got "
                             f"{', '.join(f'{k}={v:g}' for k, v in self.clipping.items())}")
        self.weight_decay = None  # AdamW's
        self.iterations = 0
        self.state = {}  # key -> {slot name: array of the parameter's shape}

    @property
    def learning_rate(self):
        """eta at the current step (a schedule is evaluated at `iterations`, and its value must be
        a finite number >= 0): float."""
        if not callable(self._learning_rate):
            return self._learning_rate
        eta = self._learning_rate(self.iterations)
        if isinstance(eta, np.ndarray) and eta.shape == ():
            eta = eta[()]  # e.g. from np.where
        return number_in(eta, f"the learning rate at step {self.iterations}", 0)

    def apply(self, params, grads):
        """One step: params[key] -= (update from grads[key]) in place, for every key; then
        iterations += 1. params: {key: float array}; grads: same keys, same shapes."""
        if not isinstance(params, Mapping) or not isinstance(grads, Mapping):
            raise TypeError(
                f"params and grads must be dicts of arrays, got {type(params).__name__} and "
                f"{type(grads).__name__}"
            )
        if params.keys() != grads.keys():
            raise ValueError(
                f"grads must have the keys of params: missing {sorted(params.keys() - grads.keys())}, "
                f"unexpected {sorted(grads.keys() - params.keys())}"
            )
        checked = {key: self._check(key, params[key], grads[key]) for key in params}
        clipped = self.clip([g for _, g in checked.values()])
        eta = self.learning_rate
        for (key, (w, _)), g in zip(checked.items(), clipped):
            if self.weight_decay:
                w -= w * _keras_cast(self.weight_decay) * eta
            self._update(w, g, eta, self.state[key])
        self.iterations += 1

    def _check(self, key, w, g):
        """(w, g as w's dtype), with the state of `key` created on first sight."""
        if not isinstance(w, np.ndarray) or w.dtype not in (np.float32, np.float64):
            raise TypeError(
                f"params[{key!r}] must be a float32 or float64 NumPy array (it is updated in place), "
                f"got {type(w).__name__}{'' if not isinstance(w, np.ndarray) else ' of ' + str(w.dtype)}"
            )
        g = np.asarray(g)
        if g.dtype.kind not in "biuf":
            raise TypeError(f"grads[{key!r}] must be numeric, got dtype {g.dtype}")
        if g.shape != w.shape:
            raise ValueError(f"grads[{key!r}] must have shape {w.shape} like params[{key!r}], got {g.shape}")
        if not np.isfinite(g).all():
            raise ValueError(
                f"grads[{key!r}] has {int(np.sum(~np.isfinite(g)))} NaN/inf entries at step "
                f"{self.iterations} (did training diverge? try a smaller learning rate)"
            )
        if key not in self.state:  # first sight of this parameter
            self.state[key] = {slot: np.full_like(w, self._initial(slot)) for slot in self._slots()}
        state = self.state[key]
        if any(s.shape != w.shape for s in state.values()):
            raise ValueError(
                f"params[{key!r}] has shape {w.shape}, but this optimiser's state for it has shape "
                f"{next(iter(state.values())).shape}: use a fresh optimiser for a new model"
            )
        return w, g.astype(w.dtype, copy=False)

    def clip(self, grads):
        """The gradients (a list of arrays) after this optimiser's clipping, if any."""
        if "clipnorm" in self.clipping:
            c = self.clipping["clipnorm"]
            return [g * c / max(np.sqrt(np.sum(np.square(g))), c) for g in grads]
        if "global_clipnorm" in self.clipping:
            c = self.clipping["global_clipnorm"]
            norm = np.sqrt(sum(np.sum(np.square(g)) for g in grads))
            return [g * c / max(norm, c) for g in grads]
        if "clipvalue" in self.clipping:
            v = self.clipping["clipvalue"]
            return [np.clip(g, -v, v) for g in grads]
        return grads

    def _slots(self):
        return ()

    def _initial(self, slot):
        """The value a state array starts from (0 unless a subclass says otherwise)."""
        return 0.0

    def _kwargs(self):
        """The constructor's arguments, as Keras names them."""
        return {}

    def to_keras(self):
        """The Keras optimiser with the same hyperparameters (and the same schedule)."""
        import keras

        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            lr = lr.to_keras()
        elif callable(lr):
            raise TypeError("a custom learning-rate function has no Keras twin; use one of the "
                            "schedules of nnbook.optimizers")
        return getattr(keras.optimizers, self.keras_name)(learning_rate=lr, **self._kwargs(),
                                                          **self.clipping)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in {"learning_rate": self._learning_rate,
                                                     **self._kwargs(), **self.clipping}.items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Gradient descent, with (Nesterov) momentum if momentum > 0:
    m = momentum m - eta g; w += m, or with Nesterov w += momentum m - eta g."""

    keras_name = "SGD"

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **clipping):
        super().__init__(learning_rate, **clipping)
        self.momentum = number_in(momentum, "momentum", 0, 1)
        self.nesterov = flag(nesterov, "nesterov")

    def _kwargs(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}

    def _slots(self):
        return ("momentum",) if self.momentum else ()

    def _update(self, w, g, eta, state):
        if not self.momentum:
            w -= g * eta
            return
        mu = _keras_cast(self.momentum)
        m = state["momentum"]
        m *= mu
        m -= g * eta
        if self.nesterov:
            w += m * mu - g * eta
        else:
            w += m


class Adagrad(Optimizer):
    """Divide the step by the root of the sum of all past squared gradients (Duchi et al. 2011):
    a += g^2; w -= eta g / sqrt(a + eps). The sum only grows, so the steps shrink for good."""

    keras_name = "Adagrad"

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 **clipping):
        super().__init__(learning_rate, **clipping)
        self.initial_accumulator_value = number_in(initial_accumulator_value,
                                                   "initial_accumulator_value", 0)
        self.epsilon = number_in(epsilon, "epsilon", 0, low_open=True)

    def _kwargs(self):
        return {"initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}

    def _slots(self):
        return ("accumulator",)

    def _initial(self, slot):
        return self.initial_accumulator_value

    def _update(self, w, g, eta, state):
        a = state["accumulator"]
        a += np.square(g)
        w -= eta * g / np.sqrt(a + self.epsilon)


class RMSprop(Optimizer):
    """Divide the step by a moving root mean square of the gradient:
    v = rho v + (1 - rho) g^2; step = eta g / sqrt(v + eps), or, `centered`, with the moving
    mean gbar = rho gbar + (1 - rho) g, eta g / sqrt(v - gbar^2 + eps);
    w -= step, or with momentum: m = momentum m + step, w -= m."""

    keras_name = "RMSprop"

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 **clipping):
        super().__init__(learning_rate, **clipping)
        self.rho = number_in(rho, "rho", 0, 1, high_open=True)
        self.momentum = number_in(momentum, "momentum", 0, 1)
        self.epsilon = number_in(epsilon, "epsilon", 0, low_open=True)
        self.centered = flag(centered, "centered")

    def _kwargs(self):
        return {"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}

    def _slots(self):
        return ("velocity",) + (("momentum",) if self.momentum else ()) + (
            ("average_gradient",) if self.centered else ())

    def _update(self, w, g, eta, state):
        v = state["velocity"]
        v *= self.rho
        v += (1 - self.rho) * np.square(g)
        if self.centered:
            gbar = state["average_gradient"]
            gbar *= self.rho
            gbar += (1 - self.rho) * g
            denominator = v - np.square(gbar) + self.epsilon
        else:
            denominator = v + self.epsilon
        step = eta * g / np.sqrt(denominator)
        if self.momentum:
            m = state["momentum"]
            m *= self.momentum
            m += step
            step = m
        w -= step


class Adam(Optimizer):
    """Moving averages of the gradient (m) and of its square (v), bias-corrected through eta_t:
    m += (1 - beta_1)(g - m); v += (1 - beta_2)(g^2 - v); (amsgrad: v_hat = max(v_hat, v), used
    for v); w -= eta_t m / (sqrt(v) + eps), eta_t = eta sqrt(1 - beta_2^t) / (1 - beta_1^t)."""

    keras_name = "Adam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 **clipping):
        super().__init__(learning_rate, **clipping)
        self.beta_1 = number_in(beta_1, "beta_1", 0, 1, high_open=True)
        self.beta_2 = number_in(beta_2, "beta_2", 0, 1, high_open=True)
        self.epsilon = number_in(epsilon, "epsilon", 0, low_open=True)
        self.amsgrad = flag(amsgrad, "amsgrad")

    def _kwargs(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "amsgrad": self.amsgrad}

    def _slots(self):
        return ("momentum", "velocity") + (("velocity_hat",) if self.amsgrad else ())

    def _update(self, w, g, eta, state):
        real = w.dtype.type  # eta_t in the parameters' dtype, as Keras computes it
        t, b1, b2 = real(self.iterations + 1), real(_keras_cast(self.beta_1)), real(_keras_cast(self.beta_2))
        eta_t = real(eta) * np.sqrt(1 - b2**t) / (1 - b1**t)
        m, v = state["momentum"], state["velocity"]
        m += (g - m) * (1 - self.beta_1)
        v += (np.square(g) - v) * (1 - self.beta_2)
        if self.amsgrad:
            v = np.maximum(state["velocity_hat"], v, out=state["velocity_hat"])
        w -= m * eta_t / (np.sqrt(v) + self.epsilon)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): before each Adam step,
    w -= w * weight_decay * eta, for every parameter."""

    keras_name = "AdamW"

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **clipping):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, **clipping)
        self.weight_decay = number_in(weight_decay, "weight_decay", 0)

    def _kwargs(self):
        return {"weight_decay": self.weight_decay, **super()._kwargs()}


OPTIMIZERS = {cls.__name__.lower(): cls for cls in (SGD, Adagrad, RMSprop, Adam, AdamW)}


def get(name, **kwargs):
    """An optimiser by name ("sgd", "adagrad", "rmsprop", "adam", "adamw"; any case) built with `kwargs`;
    an `Optimizer` instance is returned as it is."""
    if isinstance(name, Optimizer):
        if kwargs:
            raise ValueError(f"got an optimiser instance and extra arguments {sorted(kwargs)}")
        return name
    if not isinstance(name, str):
        raise TypeError(f"optimizer must be a name (str) or an Optimizer, got {type(name).__name__}")
    if name.lower() not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name.lower()](**kwargs)


def _check_trajectory(optimizer, grad_fn, w0, steps):
    """(w0 as a fresh float array (d,), steps as an int) after checking every argument."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an nnbook Optimizer, got {type(optimizer).__name__}")
    if not callable(grad_fn):
        raise TypeError(f"grad_fn must be a function w -> gradient, got {type(grad_fn).__name__}")
    w = as_float_array(w0, "w0").copy()
    if w.ndim != 1 or w.size == 0:
        raise ValueError(f"w0 must be a non-empty 1-D array (d,), got shape {w.shape}")
    return w, positive_int(steps, "steps", minimum=0)


def _check_gradient(g, w):
    """TypeError/ValueError unless g holds numbers of w's shape."""
    if g.dtype.kind not in "biuf":
        raise TypeError(f"grad_fn must return the gradient as numbers, got {describe(g)}")
    if g.shape != w.shape:
        raise ValueError(f"grad_fn must return the gradient, shape {w.shape}, got shape {g.shape}")


def trajectory(optimizer, grad_fn, w0, steps):
    """The iterates of `optimizer` minimising a function of w from w0: (steps + 1, d), row 0 = w0.

    grad_fn: w (d,) -> gradient (d,). The optimiser's state and `iterations` carry on from any
    earlier use: pass a fresh one. A run that diverges (a non-finite gradient or iterate) gives
    NaN rows from there on, which plots simply leave out.
    """
    w, steps = _check_trajectory(optimizer, grad_fn, w0, steps)
    path = np.full((steps + 1, w.size), np.nan, dtype=w.dtype)
    path[0] = w
    params = {"w": w}
    for t in range(steps):
        with np.errstate(over="ignore", invalid="ignore"):
            g = np.asarray(grad_fn(w.copy()))
        _check_gradient(g, w)
        if not np.isfinite(g).all():
            break
        with np.errstate(over="ignore", invalid="ignore"):
            optimizer.apply(params, {"w": g})
        if not np.isfinite(w).all():
            break
        path[t + 1] = w
    return path
