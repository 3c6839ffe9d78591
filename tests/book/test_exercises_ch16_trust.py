"""Chapter 16 exercises on trust: the references pass and agree with lab/fairness.py and
lab/interpret.py; wrong answers fail at the case that exposes them, with the hint."""

import numpy as np
import pytest

from nnbook.book.exercises import check, get, ids
from nnbook.lab import fairness, interpret

IDS = ["ch16.parity_gap", "ch16.odds_gaps", "ch16.occlusion"]


def test_registered():
    assert set(IDS) <= set(ids())


@pytest.mark.parametrize("exid", IDS)
def test_reference_passes(exid):
    assert check(exid, get(exid).reference, quiet=True).passed


def test_references_match_the_lab():
    rng = np.random.default_rng(16)
    g, y, y_hat = rng.integers(2, size=(3, 400))
    assert get("ch16.parity_gap").reference(y_hat, g) == pytest.approx(fairness.parity_gap(y_hat, g),
                                                                         rel=1e-14)
    assert get("ch16.odds_gaps").reference(y_hat, y, g) == pytest.approx(fairness.odds_gaps(y_hat, y, g),
                                                                           rel=1e-14)
    x, W = rng.normal(size=(7, 6)), rng.normal(size=(7, 6))
    lab = interpret.occlusion(lambda b: (b * W).sum(axis=(1, 2)), x, 3)
    np.testing.assert_allclose(get("ch16.occlusion").reference(x, W, 3), lab, rtol=1e-12, atol=1e-12)


def _parity_counts(y_hat, g):  # numbers accepted, not rates
    y_hat, g = np.asarray(y_hat), np.asarray(g)
    return float(abs(y_hat[g == 0].sum() - y_hat[g == 1].sum()))


def _parity_signed(y_hat, g):  # no absolute value
    y_hat, g = np.asarray(y_hat), np.asarray(g)
    return float(y_hat[g == 0].mean() - y_hat[g == 1].mean())


def _odds_unconditional(y_hat, y, g):  # acceptance rates per group, whatever the label
    y_hat, g = np.asarray(y_hat), np.asarray(g)
    gap = float(abs(y_hat[g == 0].mean() - y_hat[g == 1].mean()))
    return gap, gap


def _odds_fnr_for_fpr(y_hat, y, g):  # the second rate among the positives too (FNR gap = TPR gap)
    y_hat, y, g = np.asarray(y_hat), np.asarray(y), np.asarray(g)
    tpr = [y_hat[(g == k) & (y == 1)].mean() for k in (0, 1)]
    fnr = [1 - y_hat[(g == k) & (y == 1)].mean() for k in (0, 1)]
    return float(abs(tpr[0] - tpr[1])), float(abs(fnr[0] - fnr[1]))


def _occlusion_occluded_score(x, W, patch):  # the score left, not the drop
    h, w = x.shape
    out = np.zeros((h - patch + 1, w - patch + 1))
    for i in range(h - patch + 1):
        for j in range(w - patch + 1):
            hidden = x.copy()
            hidden[i:i + patch, j:j + patch] = 0.0
            out[i, j] = np.sum(W * hidden)
    return out


def _occlusion_clipped(x, W, patch):  # drops below zero clipped away
    return np.maximum(get("ch16.occlusion").reference(x, W, patch), 0.0)


@pytest.mark.parametrize("exid, wrong, case", [
    ("ch16.parity_gap", _parity_counts, 1),
    ("ch16.parity_gap", _parity_signed, 3),   # cases 1 and 2 favour group 0
    ("ch16.odds_gaps", _odds_unconditional, 2),
    ("ch16.odds_gaps", _odds_fnr_for_fpr, 2),
    ("ch16.occlusion", _occlusion_occluded_score, 1),
    ("ch16.occlusion", _occlusion_clipped, 2),  # case 1 has no negative weight
])
def test_wrong_answers_fail_with_case_and_hint(exid, wrong, case, fails_at):
    fails_at(check(exid, wrong, quiet=True), case)


def test_stub_fails_without_giving_the_answer_away():
    def stub(*args):
        raise NotImplementedError("your code here")

    result = check("ch16.parity_gap", stub, quiet=True)
    assert not result.passed and "NotImplementedError" in result.message
