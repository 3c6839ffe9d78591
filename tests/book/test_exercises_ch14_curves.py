"""Chapter 14's learning-curve exercise: the reference passes and agrees with the chapter's
criterion; wrong answers fail at the case that exposes them, with the hint."""

import numpy as np

from nnbook.book.exercises import check, get, ids

ID = "ch14.spread_margin"


def test_registered_and_reference_passes():
    assert ID in ids()
    assert check(ID, get(ID).reference, quiet=True).passed


def test_reference_is_the_chapter_criterion():
    a, b = np.array([0.9, 0.85, 0.88]), np.array([0.7, 0.8, 0.72])
    beats = a.mean() - b.mean() > a.std() + b.std()
    assert (get(ID).reference(a, b) > 0) == beats


def test_sample_std_fails_where_the_spread_matters(fails_at):
    fails_at(check(ID, lambda a, b: float(a.mean() - b.mean() - a.std(ddof=1) - b.std(ddof=1)),
                   quiet=True), 2)


def test_unsigned_difference_fails_when_a_loses(fails_at):
    fails_at(check(ID, lambda a, b: float(abs(a.mean() - b.mean()) - a.std() - b.std()), quiet=True), 3)


def test_forgetting_the_spread_fails(fails_at):
    fails_at(check(ID, lambda a, b: float(a.mean() - b.mean()), quiet=True), 2)
