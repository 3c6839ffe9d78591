"""lab/fairness.py: the synthetic loan data, the group rates and gaps on known decisions, the
engine's logistic regression, and group thresholds that close the gap they are asked to."""

import numpy as np
import pytest

from nnbook.lab import fairness


def test_loan_data_is_seeded_and_has_the_stated_structure():
    x, y, g = fairness.loan_data(20000, seed=3)
    x2, y2, g2 = fairness.loan_data(20000, seed=3)
    np.testing.assert_array_equal(x, x2)
    assert x.shape == (20000, 4) and set(np.unique(y)) == set(np.unique(g)) == {0, 1}
    assert abs(g.mean() - 0.3) < 0.02
    assert y[g == 0].mean() - y[g == 1].mean() > 0.05            # different base rates
    assert x[g == 1, 0].std() > x[g == 0, 0].std()               # noisier income in group 1
    assert np.corrcoef(x[:, 3], g)[0, 1] > 0.7                   # the postcode is a proxy
    assert not np.array_equal(fairness.loan_data(50, seed=4)[0], fairness.loan_data(50, seed=5)[0])


def test_rates_and_gaps_on_known_decisions():
    y_hat = np.array([1, 1, 0, 0, 1, 0, 1, 0])
    y = np.array([1, 0, 1, 0, 1, 1, 0, 0])
    g = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    r = fairness.rates(y_hat, y, g)
    np.testing.assert_allclose(r["positive"], [0.5, 0.5])
    np.testing.assert_allclose(r["tpr"], [0.5, 0.5])
    np.testing.assert_allclose(r["fpr"], [0.5, 0.5])
    np.testing.assert_allclose(r["ppv"], [0.5, 0.5])
    assert fairness.parity_gap(y_hat, g) == 0.0 and fairness.odds_gaps(y_hat, y, g) == (0.0, 0.0)
    y_hat = np.array([1, 1, 1, 0, 0, 0, 1, 0])
    assert fairness.parity_gap(y_hat, g) == pytest.approx(0.5)
    assert fairness.odds_gaps(y_hat, y, g) == pytest.approx((1.0, 0.0))   # TPR 1 vs 0, FPR 1/2 both
    np.testing.assert_array_equal(fairness.decide([0.4, 0.6, 0.4, 0.6], [0, 0, 1, 1], (0.5, 0.3)),
                                  [0, 1, 1, 1])


def test_logistic_regression_learns_and_probabilities_are_stable():
    x, y, _ = fairness.loan_data(3000, seed=1)
    model = fairness.logistic_regression(x, y, epochs=10)
    p = fairness.probabilities(model, x)
    assert ((p >= 0.5) == y).mean() > 0.75
    model.params["0/bias"][:] = 1e4
    assert np.isfinite(fairness.probabilities(model, x)).all()


@pytest.mark.parametrize("criterion", ["opportunity", "odds"])
def test_group_thresholds_close_the_gap_they_target(criterion):
    rng = np.random.default_rng(2)
    n = 4000
    g = rng.integers(2, size=n)
    y = (rng.random(n) < 0.5).astype(int)
    score = y + rng.normal(scale=0.6, size=n) - 0.4 * g          # group 1 scored lower, same skill
    p = 1 / (1 + np.exp(-2 * score))
    before = fairness.odds_gaps((p >= 0.5).astype(int), y, g)
    t = fairness.group_thresholds(p, y, g, criterion, tolerance=0.01)
    after = fairness.odds_gaps(fairness.decide(p, g, t), y, g)
    assert t[1] < t[0]                                           # group 1 needs the lower bar
    gap = after[0] if criterion == "opportunity" else max(after)
    assert gap < 0.03 < before[0]


def test_bad_input():
    with pytest.raises(ValueError, match="0s and 1s"):
        fairness.parity_gap([0, 2], [0, 1])
    with pytest.raises(ValueError, match="both groups"):
        fairness.parity_gap([0, 1], [0, 0])
    with pytest.raises(ValueError, match="one entry per prediction"):
        fairness.odds_gaps([0, 1, 1], [0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="criterion"):
        fairness.group_thresholds(np.array([0.2, 0.8]), [0, 1], [0, 1], "parity")
    with pytest.raises(ValueError, match="minority"):
        fairness.loan_data(10, minority=1.0)
