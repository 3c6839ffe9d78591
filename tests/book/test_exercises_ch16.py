"""Chapter 16 exercises: the references pass and agree with lab/speech.py's spectrogram; wrong
answers fail at the case that exposes them, with the hint."""

import numpy as np
import pytest

from nnbook.book.exercises import check, get, ids
from nnbook.lab import speech

IDS = ["ch16.spectrogram_shape", "ch16.frequency_bin", "ch16.training_flops",
       "ch16.power_law_extrapolation"]


def test_registered():
    assert set(IDS) <= set(ids())


@pytest.mark.parametrize("exid", IDS)
def test_reference_passes(exid):
    assert check(exid, get(exid).reference, quiet=True).passed


@pytest.mark.parametrize("length, frame_length, hop", [(4000, 256, 128), (1000, 256, 100), (1001, 250, 250)])
def test_shape_reference_matches_the_lab(length, frame_length, hop):
    S = speech.spectrogram(np.ones(length), frame_length, hop)
    assert get("ch16.spectrogram_shape").reference(length, frame_length, hop) == S.shape


def test_bin_reference_matches_the_lab_frequencies():
    f = speech.frequencies(256, 8000)
    for k in (0, 32, 74, 128):
        assert get("ch16.frequency_bin").reference(f[k], 256, 8000) == k


def test_power_law_reference_recovers_an_exact_law():
    n = np.array([10.0, 100.0, 1000.0])
    assert get("ch16.power_law_extrapolation").reference(n, 3 * n ** -0.25, 1e4) == pytest.approx(0.3)


def _shape_ceil_frames(length, frame_length, hop):  # counts a partial last frame
    return (-(-(length - frame_length) // hop) + 1, frame_length // 2 + 1)


def _shape_all_bins(length, frame_length, hop):  # the full FFT, negative frequencies included
    return (1 + (length - frame_length) // hop, frame_length)


def _bin_truncated(f, frame_length, sample_rate):  # int() rounds towards zero
    return int(f * frame_length / sample_rate)


def _bin_half_rate(f, frame_length, sample_rate):  # spacing taken as (sample_rate / 2) / N
    return int(round(2 * f * frame_length / sample_rate))


def _flops_forward_only(n_params, n_tokens):
    return 2.0 * n_params * n_tokens


def _power_law_on_raw_values(n, error, n_new):  # a straight line in n, not in log n
    slope, intercept = np.polyfit(n, error, 1)
    return float(intercept + slope * n_new)


def _power_law_two_ends(n, error, n_new):  # through the first and last points only
    b = -np.log(error[-1] / error[0]) / np.log(n[-1] / n[0])
    return float(error[0] * (n_new / n[0]) ** -b)


@pytest.mark.parametrize("exid, wrong, case", [
    ("ch16.spectrogram_shape", _shape_ceil_frames, 1),   # 3,744 / 128 leaves a partial frame
    ("ch16.spectrogram_shape", _shape_all_bins, 1),
    ("ch16.frequency_bin", _bin_truncated, 2),           # 1000 Hz is exactly on a bin
    ("ch16.frequency_bin", _bin_half_rate, 1),
    ("ch16.training_flops", _flops_forward_only, 1),
    ("ch16.power_law_extrapolation", _power_law_on_raw_values, 1),
    ("ch16.power_law_extrapolation", _power_law_two_ends, 3),  # exact laws: the two ends suffice
])
def test_wrong_answers_fail_with_case_and_hint(exid, wrong, case, fails_at):
    fails_at(check(exid, wrong, quiet=True), case)


def test_stub_fails_without_giving_the_answer_away():
    def stub(*args):
        raise NotImplementedError("your code here")

    result = check("ch16.training_flops", stub, quiet=True)
    assert not result.passed and "NotImplementedError" in result.message
