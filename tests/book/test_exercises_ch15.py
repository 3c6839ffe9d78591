"""Chapter 15 exercises: the references pass and agree with lab/hardware.py's counting (itself
tested against Keras's count_params); wrong answers fail at the case that exposes them, with the hint."""

import pytest

from nnbook.book.exercises import check, get, ids
from nnbook.engine import LSTM, Conv2D, Sequential
from nnbook.lab import hardware

IDS = ["ch15.conv_flops", "ch15.lstm_params", "ch15.matmul_intensity", "ch15.adam_bytes"]


def test_registered():
    assert set(IDS) <= set(ids())


@pytest.mark.parametrize("exid", IDS)
def test_reference_passes(exid):
    assert check(exid, get(exid).reference, quiet=True).passed


@pytest.mark.parametrize("h,w,c,f,k,s,pad", [(28, 28, 1, 16, 3, 1, "valid"), (15, 9, 2, 4, 3, 2, "same")])
def test_conv_reference_matches_the_lab(h, w, c, f, k, s, pad):
    model = Sequential([Conv2D(f, k, strides=s, padding=pad)]).build((h, w, c))
    assert get("ch15.conv_flops").reference(h, w, c, f, k, s, pad) == hardware.count(model)[0]["flops"]


def test_lstm_reference_matches_the_engine():
    assert get("ch15.lstm_params").reference(4, 32) == LSTM(32).build((30, 4)).count_params()


def test_conv_wrong_answers_fail(fails_at):
    def no_factor_two(h, w, c, f, k, stride=1, padding="valid"):
        return get("ch15.conv_flops").reference(h, w, c, f, k, stride, padding) // 2

    def input_size(h, w, c, f, k, stride=1, padding="valid"):  # counts H x W outputs
        return 2 * k * k * c * f * h * w

    def ignores_stride(h, w, c, f, k, stride=1, padding="valid"):
        return get("ch15.conv_flops").reference(h, w, c, f, k, 1, padding)

    fails_at(check("ch15.conv_flops", no_factor_two, quiet=True), 1)
    fails_at(check("ch15.conv_flops", input_size, quiet=True), 1)
    fails_at(check("ch15.conv_flops", ignores_stride, quiet=True), 4)


def test_lstm_wrong_answers_fail(fails_at):
    fails_at(check("ch15.lstm_params", lambda d, u: 4 * (d + 1) * u, quiet=True), 1)
    fails_at(check("ch15.lstm_params", lambda d, u: (d + u + 1) * u, quiet=True), 1)


def test_intensity_wrong_answers_fail(fails_at):
    def no_output(m, k, n, itemsize):
        return 2 * m * n * k / (itemsize * (m * k + k * n))

    def macs(m, k, n, itemsize):
        return m * n * k / (itemsize * (m * k + k * n + m * n))

    fails_at(check("ch15.matmul_intensity", no_output, quiet=True), 1)
    fails_at(check("ch15.matmul_intensity", macs, quiet=True), 1)


def test_adam_wrong_answers_fail(fails_at):
    fails_at(check("ch15.adam_bytes", lambda n, itemsize=4: 3 * n * itemsize, quiet=True), 1)
    fails_at(check("ch15.adam_bytes", lambda n, itemsize=4: 4 * n * 4, quiet=True), 3)
