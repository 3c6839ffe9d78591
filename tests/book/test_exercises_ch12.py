"""Chapter 12 exercises: the references pass and agree with lab/gan.py's losses, gradients and
mode metrics (themselves tested on known inputs); wrong answers fail at the case that exposes
them, with the hint."""

import numpy as np
import pytest

from nnbook.book.exercises import check, get, ids
from nnbook.lab import gan

IDS = ["ch12.discriminator_loss", "ch12.generator_gradient", "ch12.mode_metrics"]


def test_registered():
    assert set(IDS) <= set(ids())


@pytest.mark.parametrize("exid", IDS)
def test_reference_passes(exid):
    assert check(exid, get(exid).reference, quiet=True).passed


def test_references_match_the_lab():
    rng = np.random.default_rng(12)
    real, fake = rng.normal(scale=2, size=6), rng.normal(scale=2, size=9)
    assert get("ch12.discriminator_loss").reference(real, fake) == pytest.approx(
        gan.discriminator_loss(real, fake), rel=1e-14)
    # the lab's gradient is of the batch mean, so n times smaller per sample
    for kind in gan.LOSSES:
        ours = get("ch12.generator_gradient").reference(1 / (1 + np.exp(-fake)), kind)
        np.testing.assert_allclose(ours, gan.generator_gradient(fake, kind) * fake.size, rtol=1e-12)
    pts = np.concatenate([gan.ring(300, rng=3), rng.uniform(-1.2, 1.2, size=(100, 2))])
    m = gan.mode_metrics(pts, gan.ring_means(), gan.RING_SIGMA)
    assert get("ch12.mode_metrics").reference(pts, gan.ring_means(), gan.RING_SIGMA) == (
        m["modes"], pytest.approx(m["high_quality"], rel=1e-14))


def _softplus(z):
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def _d_loss_one_mean(real, fake):  # the mean over both halves together, doubled
    return 2 * float(np.mean(np.concatenate([_softplus(-real), _softplus(fake)])))


def _d_loss_naive_logs(real, fake):  # log(sigma(l)) computed as written: overflows at |l| = 800
    with np.errstate(over="ignore", divide="ignore"):
        return float(-np.mean(np.log(1 / (1 + np.exp(-real)))) - np.mean(np.log(1 - 1 / (1 + np.exp(-fake)))))


def _g_grad_kinds_swapped(p, kind):
    p = np.asarray(p, dtype=float)
    return -p if kind == "non_saturating" else -(1 - p)


def _g_grad_in_p(p, kind):  # the derivative with respect to p, not to the logit
    p = np.asarray(p, dtype=float)
    return -1 / p if kind == "non_saturating" else -1 / (1 - p)


def _modes_ignoring_quality(samples, means, sigma):  # every nearest mean counts as captured
    distance = np.sqrt(((samples[:, None, :] - means[None, :, :]) ** 2).sum(-1))
    return len(set(distance.argmin(axis=1).tolist())), float((distance.min(axis=1) < 3 * sigma).mean())


def _threshold_without_sigma(samples, means, sigma):  # 3 units instead of 3 sigma
    distance = np.sqrt(((samples[:, None, :] - means[None, :, :]) ** 2).sum(-1))
    good = distance.min(axis=1) < 3
    return len(set(distance.argmin(axis=1)[good].tolist())), float(good.mean())


@pytest.mark.parametrize("exid, wrong, case", [
    ("ch12.discriminator_loss", _d_loss_one_mean, 2),  # case 1 has halves of equal length
    ("ch12.discriminator_loss", _d_loss_naive_logs, 3),
    ("ch12.generator_gradient", _g_grad_kinds_swapped, 3),  # at p = 1/2 the two agree
    ("ch12.generator_gradient", _g_grad_in_p, 1),
    ("ch12.mode_metrics", _modes_ignoring_quality, 2),
    ("ch12.mode_metrics", _threshold_without_sigma, 1),
])
def test_wrong_answers_fail_with_case_and_hint(exid, wrong, case):
    result = check(exid, wrong, quiet=True)
    assert not result.passed
    assert result.failures[0].case == case
    assert f"case {case}" in result.message and get(exid).hint in result.message


def test_stub_fails_without_giving_the_answer_away():
    def stub(*args):
        raise NotImplementedError("your code here")

    result = check("ch12.discriminator_loss", stub, quiet=True)
    assert not result.passed and "NotImplementedError" in result.message


# --- digits (part B): the class score of a label histogram, the conditional generator's input ---

IDS_DIGITS = ["ch12.class_score", "ch12.conditional_input"]


@pytest.mark.parametrize("exid", IDS_DIGITS)
def test_digit_exercises_registered_and_reference_passes(exid):
    assert exid in ids()
    assert check(exid, get(exid).reference, quiet=True).passed


def test_digit_references_match_the_lab():
    h = np.array([4, 0, 7, 1, 0, 0, 9, 2, 2, 5])
    distinct, kl = get("ch12.class_score").reference(h)
    labels = np.repeat(np.arange(10), h)
    s = gan.class_score(np.zeros((len(labels), 4)), lambda x: labels)
    assert distinct == s["distinct"] == 7 and kl == pytest.approx(s["kl"], rel=1e-14)
    z = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_array_equal(get("ch12.conditional_input").reference(z, np.array([0, 9, 2, 2]), 10),
                                  gan.conditional_input(z, [0, 9, 2, 2], 10))


def _kl_reversed(h):  # KL(uniform || p): infinite where a class is missing
    p = np.asarray(h, dtype=float) / np.sum(h)
    with np.errstate(divide="ignore"):
        return int((p > 0).sum()), float(np.mean(np.log(1 / (len(p) * p))))


def _kl_in_bits(h):
    p = np.asarray(h, dtype=float) / np.sum(h)
    nz = p > 0
    return int(nz.sum()), float(np.log2(len(p)) + np.sum(p[nz] * np.log2(p[nz])))


def _label_as_one_column(z, labels, n_classes):  # the label itself, not its one-hot code
    return np.concatenate([z, np.asarray(labels, dtype=float)[:, None]], axis=1)


def _code_in_front(z, labels, n_classes):
    return np.concatenate([np.eye(n_classes)[labels], z], axis=1)


@pytest.mark.parametrize("exid, wrong, case", [
    ("ch12.class_score", _kl_reversed, 2),   # case 1: both are 0 on a uniform histogram
    ("ch12.class_score", _kl_in_bits, 2),
    ("ch12.conditional_input", _label_as_one_column, 1),
    ("ch12.conditional_input", _code_in_front, 1),
])
def test_wrong_digit_answers_fail_with_case_and_hint(exid, wrong, case):
    result = check(exid, wrong, quiet=True)
    assert not result.passed
    assert result.failures[0].case == case
    assert f"case {case}" in result.message and get(exid).hint in result.message
