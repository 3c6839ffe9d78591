"""Chapter 14 exercise on the learning curves: the margin by which one method beats another over
seeds, beyond the seeds' spread (the criterion the chapter asserts)."""

import numpy as np

from . import exercise


def _margin_cases():
    # identical runs: no difference, no spread
    yield (np.array([0.8, 0.8, 0.8]), np.array([0.8, 0.8, 0.8])), {}
    # a clear win with a little spread: the population std (ddof = 0), as NumPy's default
    yield (np.array([0.90, 0.92, 0.94]), np.array([0.70, 0.71, 0.75])), {}
    # a, b swapped: the margin is signed and now negative
    yield (np.array([0.70, 0.71, 0.75]), np.array([0.90, 0.92, 0.94])), {}
    # a big mean difference but one wild seed: the spread eats it
    yield (np.array([0.95, 0.95, 0.50]), np.array([0.60, 0.61, 0.62])), {}
    # five seeds, unequal spreads
    yield (np.array([0.5, 0.55, 0.6, 0.52, 0.58]), np.array([0.4, 0.41, 0.39, 0.45, 0.35])), {}


@exercise(
    "ch14.spread_margin",
    cases=_margin_cases,
    hint="Subtract the two methods' mean accuracies, then take away both standard deviations over "
    "the seeds.",
    more=("With a and b the accuracies of two methods over the same seeds, the margin is "
          "(mean(a) - mean(b)) - (std(a) + std(b)), signed: negative when a loses or when the "
          "seeds' spread is larger than the difference. Use NumPy's default std (ddof = 0), as the "
          "chapter does.",),
)
def spread_margin(a, b):
    """How far method a's mean accuracy over seeds (n,) exceeds method b's (n,), beyond the sum of
    their standard deviations over the seeds -> float (positive: a beats b by more than the spread)."""
    return float(a.mean() - b.mean() - (a.std() + b.std()))
