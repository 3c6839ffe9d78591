"""Chapter 16 exercises on trust (interpretability, fairness): the demographic parity gap of given
predictions, the equalised-odds gaps, and the occlusion map of a linear scorer."""

import numpy as np

from . import exercise


def _parity_cases():
    rng = np.random.default_rng(1601)
    # 2 of 4 accepted in group 0, 1 of 2 in group 1: no gap
    yield (np.array([1, 0, 1, 0, 1, 0]), np.array([0, 0, 0, 0, 1, 1])), {}
    # groups of different sizes: rates within a group, not counts (3/4 vs 1/2)
    yield (np.array([1, 1, 1, 0, 1, 0]), np.array([0, 0, 0, 0, 1, 1])), {}
    # group 1 favoured: the gap is an absolute value
    yield (np.array([0, 0, 1, 1, 1]), np.array([0, 0, 1, 1, 1])), {}
    g = rng.integers(2, size=200)
    yield ((rng.random(200) < np.where(g == 1, 0.3, 0.6)).astype(int), g), {}


@exercise(
    "ch16.parity_gap",
    cases=_parity_cases,
    hint="Compare the share of positive decisions inside each group, not the number of them.",
    more=("The gap is |mean(y_hat[g == 0]) - mean(y_hat[g == 1])|: each group's acceptance rate, "
          "whichever group is favoured.",),
)
def parity_gap(y_hat, g):
    """Demographic parity gap of 0/1 decisions y_hat (n,) between the groups g (n,) of 0s and 1s
    -> float."""
    y_hat, g = np.asarray(y_hat), np.asarray(g)
    return float(abs(y_hat[g == 0].mean() - y_hat[g == 1].mean()))


def _odds_cases():
    rng = np.random.default_rng(1602)
    y = np.array([1, 1, 0, 0, 1, 1, 0, 0])
    g = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    # a perfect classifier: both gaps 0
    yield (y.copy(), y, g), {}
    # group 1 loses one true positive: TPR 1 vs 1/2, FPRs equal
    yield (np.array([1, 1, 0, 0, 1, 0, 0, 0]), y, g), {}
    # group 0 gets a false positive and group 1 a missed positive: TPR and FPR gaps both 1/2
    yield (np.array([1, 1, 1, 0, 1, 0, 0, 0]), y, g), {}
    # unequal base rates: group 0 has 3 positives, group 1 has 1
    yield (np.array([1, 0, 1, 0, 1, 0]), np.array([1, 1, 1, 0, 1, 0]), np.array([0, 0, 0, 0, 1, 1])), {}
    g = rng.integers(2, size=300)
    y = (rng.random(300) < 0.5).astype(int)
    yield ((rng.random(300) < np.where(y == 1, 0.8, 0.2) - 0.2 * g).astype(int), y, g), {}


@exercise(
    "ch16.odds_gaps",
    cases=_odds_cases,
    hint="Equalised odds compares two conditional rates per group: among the truly positive, and "
    "among the truly negative.",
    more=("TPR_k = mean(y_hat[(g == k) & (y == 1)]) and FPR_k = mean(y_hat[(g == k) & (y == 0)]); "
          "return (|TPR_0 - TPR_1|, |FPR_0 - FPR_1|) as a tuple of two floats.",),
)
def odds_gaps(y_hat, y, g):
    """Equalised-odds gaps of 0/1 decisions y_hat (n,) for true labels y (n,) and groups g (n,)
    -> (TPR gap, FPR gap)."""
    y_hat, y, g = np.asarray(y_hat), np.asarray(y), np.asarray(g)
    tpr = [y_hat[(g == k) & (y == 1)].mean() for k in (0, 1)]
    fpr = [y_hat[(g == k) & (y == 0)].mean() for k in (0, 1)]
    return float(abs(tpr[0] - tpr[1])), float(abs(fpr[0] - fpr[1]))


def _occlusion_cases():
    rng = np.random.default_rng(1603)
    # a scorer that looks at one pixel: only the patches covering it matter
    W = np.zeros((3, 3))
    W[1, 2] = 1.0
    yield (np.ones((3, 3)), W, 2), {}
    # a non-square image and negative weights: occluding can raise the score
    yield (rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), 2), {}
    # a patch of one pixel: the map is W * x
    yield (rng.normal(size=(4, 4)), rng.normal(size=(4, 4)), 1), {}
    # the patch as large as the image: one entry, the whole score
    yield (rng.normal(size=(3, 3)), rng.normal(size=(3, 3)), 3), {}
    yield (rng.random((6, 5)), rng.normal(size=(6, 5)), 3), {}


@exercise(
    "ch16.occlusion",
    cases=_occlusion_cases,
    hint="Slide a patch x patch square of zeros over every position where it fits, and record how "
    "much the score falls.",
    more=("The score is s(x) = sum(W * x). The map has (h - patch + 1) x (w - patch + 1) entries; "
          "entry (i, j) is s(x) - s(x with x[i:i + patch, j:j + patch] set to 0). For a linear "
          "scorer that is sum(W * x) over the covered square.",),
)
def occlusion(x, W, patch):
    """Occlusion map of the linear score s(x) = sum(W * x) for an image x: (h, w), patch size
    `patch`, stride 1, zero fill -> (h - patch + 1, w - patch + 1)."""
    h, w = x.shape
    drops = np.zeros((h - patch + 1, w - patch + 1))
    for i in range(h - patch + 1):
        for j in range(w - patch + 1):
            hidden = x.copy()
            hidden[i:i + patch, j:j + patch] = 0.0
            drops[i, j] = np.sum(W * x) - np.sum(W * hidden)
    return drops
