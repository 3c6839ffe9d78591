"""Chapter 16's fairness experiment: a synthetic loan data set with a sensitive attribute, a
logistic-regression classifier on the engine, the group gaps of demographic parity and equalised
odds, and group-specific decision thresholds (Hardt et al. 2016) chosen on validation data.

The data are made up, with a seed, to carry two of the mechanisms that make real classifiers
unfair: the minority group (g = 1) has its features measured with an offset and more noise (a
credit history that is shorter or recorded less well), its labels are noisier, and a "postcode"
feature is a proxy for the group. The classifier never sees g, yet treats the groups differently.
"""

import numpy as np

from .. import _checks
from ..engine import Dense, Sequential, losses, optimizers

FEATURES = ("income", "debt ratio", "history", "postcode score")


def loan_data(n, seed=0, minority=0.3):
    """n applicants: x (n, 4) features, y (n,) 1 = repaid, g (n,) 1 = minority group.
    Every applicant has a creditworthiness s ~ N(0, 1) (group 1: N(-0.25, 1), a lower base rate);
    y = 1 when s + noise > 0; 10% of group 1's labels are flipped; group 1's income and history are
    recorded 0.5 lower with twice the noise; the postcode score is g plus noise."""
    n = _checks.positive_int(n, "n", minimum=2)
    minority = _checks.number_in(minority, "minority", 0, 1, low_open=True, high_open=True)
    rng = _checks.generator(seed)
    g = (rng.random(n) < minority).astype(int)
    s = rng.normal(size=n) - 0.25 * g
    y = (s + 0.3 * rng.normal(size=n) > 0).astype(int)
    flip = (g == 1) & (rng.random(n) < 0.1)
    y[flip] = 1 - y[flip]
    noise = np.where(g == 1, 1.0, 0.5)[:, None]
    income = s - 0.5 * g + noise[:, 0] * rng.normal(size=n)
    debt = -0.6 * s + 0.6 * rng.normal(size=n)
    history = s - 0.5 * g + noise[:, 0] * rng.normal(size=n)
    postcode = g + 0.4 * rng.normal(size=n)
    return np.stack([income, debt, history, postcode], axis=1), y, g


def logistic_regression(x, y, epochs=30, seed=0):
    """A logistic regression (one Dense unit, logit out) on the engine, trained with Adam on binary
    cross-entropy. x: (n, d), y: (n,) -> the model; sigma(model.predict(x)) is P(y = 1)."""
    x = _checks.as_float_array(x)
    model = Sequential([Dense(1)]).build((x.shape[1],), seed=seed)
    model.compile(losses.BinaryCrossentropy(from_logits=True), optimizers.Adam(0.05), metrics=())
    model.fit(x, np.asarray(y, dtype=float)[:, None], epochs=epochs, batch_size=128, verbose=0, seed=seed)
    return model


def probabilities(model, x):
    """P(y = 1 | x) from the model's logits: (n, d) -> (n,), a stable sigmoid."""
    z = model.predict(x)[:, 0]
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _binary(a, name):
    a = np.asarray(a)
    if a.ndim != 1 or not np.isin(a, (0, 1)).all():
        raise ValueError(f"{name} must be a 1-D array of 0s and 1s, got {a.shape} {a.dtype}")
    return a.astype(int)


def _inputs(y_hat, g, y=None):
    y_hat, g = _binary(y_hat, "y_hat"), _binary(g, "g")
    if len(g) != len(y_hat) or set(np.unique(g)) != {0, 1}:
        raise ValueError(f"g must have one entry per prediction ({len(y_hat)}) and hold both groups")
    if y is None:
        return y_hat, g
    y = _binary(y, "y")
    if len(y) != len(y_hat):
        raise ValueError(f"y must have one entry per prediction ({len(y_hat)}), got {len(y)}")
    return y_hat, g, y


def rates(y_hat, y, g):
    """Per group k in (0, 1): P(y_hat = 1 | g = k) ("positive"), the true-positive rate
    P(y_hat = 1 | y = 1, g = k), the false-positive rate P(y_hat = 1 | y = 0, g = k), the base
    rate P(y = 1 | g = k), PPV P(y = 1 | y_hat = 1, g = k) and the accuracy -> dict of (2,) arrays."""
    y_hat, g, y = _inputs(y_hat, g, y)
    out = {key: np.zeros(2) for key in ("positive", "tpr", "fpr", "base", "ppv", "accuracy")}
    for k in (0, 1):
        yh, yk = y_hat[g == k], y[g == k]
        out["positive"][k] = yh.mean()
        out["tpr"][k] = yh[yk == 1].mean()
        out["fpr"][k] = yh[yk == 0].mean()
        out["base"][k] = yk.mean()
        out["ppv"][k] = yk[yh == 1].mean() if yh.any() else np.nan
        out["accuracy"][k] = (yh == yk).mean()
    return out


def parity_gap(y_hat, g):
    """Demographic parity gap |P(y_hat = 1 | g = 0) - P(y_hat = 1 | g = 1)|."""
    y_hat, g = _inputs(y_hat, g)
    return float(abs(y_hat[g == 0].mean() - y_hat[g == 1].mean()))


def odds_gaps(y_hat, y, g):
    """Equalised-odds gaps: (|TPR_0 - TPR_1|, |FPR_0 - FPR_1|)."""
    r = rates(y_hat, y, g)
    return float(abs(r["tpr"][0] - r["tpr"][1])), float(abs(r["fpr"][0] - r["fpr"][1]))


def decide(p, g, thresholds):
    """y_hat = 1 where p >= the threshold of the applicant's group: thresholds = (t_0, t_1)."""
    t = np.asarray(thresholds, dtype=float)
    return (np.asarray(p) >= t[np.asarray(g)]).astype(int)


def group_thresholds(p, y, g, criterion="odds", tolerance=0.02, grid=None):
    """Hardt et al.'s post-processing with one threshold per group, chosen on (p, y, g) (validation
    data): among the pairs (t_0, t_1) of `grid` (default 0.05, 0.06, ..., 0.95) whose gap is within
    `tolerance` of the smallest gap the grid reaches, the most accurate. The gap is
    max(|TPR gap|, |FPR gap|) for criterion "odds" (equalised odds), |TPR gap| for "opportunity"
    (equal opportunity). -> (t_0, t_1)."""
    criterion = _checks.one_of(criterion, "criterion", ("odds", "opportunity"))
    tolerance = _checks.number_in(tolerance, "tolerance", 0, 1)
    _, g, y = _inputs((np.asarray(p) >= 0.5).astype(int), g, y)
    grid = np.linspace(0.05, 0.95, 91) if grid is None else np.asarray(grid, dtype=float)
    curves = []  # per group: TPR(t), FPR(t), correct decisions(t) over the grid
    for k in (0, 1):
        pk, yk = np.asarray(p)[g == k], y[g == k]
        y_hat = pk[None, :] >= grid[:, None]                       # (thresholds, members)
        curves.append((y_hat[:, yk == 1].mean(axis=1), y_hat[:, yk == 0].mean(axis=1),
                       (y_hat == yk[None, :]).sum(axis=1)))
    (tpr0, fpr0, right0), (tpr1, fpr1, right1) = curves
    gap = np.abs(tpr0[:, None] - tpr1[None, :])
    if criterion == "odds":
        gap = np.maximum(gap, np.abs(fpr0[:, None] - fpr1[None, :]))
    accuracy = (right0[:, None] + right1[None, :]) / len(y)
    accuracy = np.where(gap <= gap.min() + tolerance, accuracy, -1.0)
    i, j = np.unravel_index(np.argmax(accuracy), accuracy.shape)
    return float(grid[i]), float(grid[j])
