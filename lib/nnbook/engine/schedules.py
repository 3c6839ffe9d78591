"""Learning-rate schedules, step -> eta, as `keras.optimizers.schedules` defines them; an optimiser
takes one as its `learning_rate` and evaluates it at its step count.

| schedule                 | eta(step)                                                           |
|--------------------------|---------------------------------------------------------------------|
| `ExponentialDecay`       | eta_0 decay_rate^(step / decay_steps) (exponent floored: staircase) |
| `CosineDecay`            | from eta_0 down to alpha eta_0 along half a cosine, then constant   |
| `PiecewiseConstantDecay` | values[i] between boundaries[i-1] and boundaries[i]                 |
"""

import math

import numpy as np

from .._checks import flag, number_in


class LearningRateSchedule:
    """A learning rate that depends on the step: `schedule(step)` -> float (or an array for an
    array of steps, handy for plots). Subclasses define `_rate(step)` on a float array."""

    keras_name = None

    def __call__(self, step):
        steps = np.asarray(step)
        if steps.dtype.kind not in "iuf" or not np.all(np.isfinite(steps)) or np.any(steps < 0):
            raise ValueError(f"step must be a number >= 0 (or an array of them), got {step!r}")
        rate = self._rate(steps.astype(np.float64))
        return float(rate) if rate.ndim == 0 else rate

    def _kwargs(self):
        return dict(vars(self))

    def to_keras(self):
        """The same schedule in `keras.optimizers.schedules`."""
        import keras

        return getattr(keras.optimizers.schedules, self.keras_name)(**self._kwargs())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._kwargs().items())
        return f"{type(self).__name__}({args})"


class ExponentialDecay(LearningRateSchedule):
    """eta(step) = eta_0 * decay_rate^(step / decay_steps); the exponent floored if `staircase`."""

    keras_name = "ExponentialDecay"

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False):
        self.initial_learning_rate = number_in(initial_learning_rate, "initial_learning_rate", 0,
                                             low_open=True)
        self.decay_steps = number_in(decay_steps, "decay_steps", 0, low_open=True)
        self.decay_rate = number_in(decay_rate, "decay_rate", 0, low_open=True)
        self.staircase = flag(staircase, "staircase")

    def _rate(self, step):
        p = step / self.decay_steps
        return self.initial_learning_rate * self.decay_rate ** (np.floor(p) if self.staircase else p)


class CosineDecay(LearningRateSchedule):
    """eta(step) = eta_0 ((1 - alpha) (1 + cos(pi s / decay_steps)) / 2 + alpha),
    s = min(step, decay_steps): from eta_0 down to alpha eta_0, then constant."""

    keras_name = "CosineDecay"

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0):
        self.initial_learning_rate = number_in(initial_learning_rate, "initial_learning_rate", 0,
                                             low_open=True)
        self.decay_steps = number_in(decay_steps, "decay_steps", 0, low_open=True)
        self.alpha = number_in(alpha, "alpha", 0, 1)

    def _rate(self, step):
        cosine = 0.5 * (1.0 + np.cos(math.pi * np.minimum(step, self.decay_steps) / self.decay_steps))
        return self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha)


class PiecewiseConstantDecay(LearningRateSchedule):
    """eta(step) = values[0] for step <= boundaries[0], values[i] for
    boundaries[i-1] < step <= boundaries[i], values[-1] after the last boundary."""

    keras_name = "PiecewiseConstantDecay"

    def __init__(self, boundaries, values):
        if not isinstance(boundaries, (list, tuple)) or not isinstance(values, (list, tuple)):
            raise TypeError("boundaries and values must be lists of numbers")
        if len(boundaries) == 0 or len(values) != len(boundaries) + 1:
            raise ValueError(
                f"need one more value than boundaries (and at least one boundary), got "
                f"{len(boundaries)} boundaries and {len(values)} values"
            )
        self.boundaries = [number_in(b, f"boundaries[{i}]", 0) for i, b in enumerate(boundaries)]
        if any(b >= c for b, c in zip(self.boundaries, self.boundaries[1:])):
            raise ValueError(f"boundaries must increase strictly, got {list(boundaries)}")
        self.values = [number_in(v, f"values[{i}]", 0, low_open=True) for i, v in enumerate(values)]

    def _rate(self, step):
        return np.asarray(self.values)[np.searchsorted(self.boundaries, step, side="left")]
