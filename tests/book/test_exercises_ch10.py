"""Chapter 10 exercises (output size, single-channel convolution, receptive field): the references
pass and agree with the engine (`output_length`, the readable `conv2d_forward`, and the gradient
of a stack of layers, whose nonzero entries mark the receptive field); wrong answers fail at the
case that exposes them, with the exercise's hint."""

import numpy as np
import pytest
from scipy.signal import convolve2d

from nnbook.book.exercises import check, get, ids
from nnbook.engine import AveragePooling2D, Conv2D, Sequential
from nnbook.engine.layers.convolution import conv2d_forward, output_length

EXERCISES = ["ch10.output_size", "ch10.conv2d_single", "ch10.receptive_field"]


def test_registered():
    assert set(EXERCISES) <= set(ids())


@pytest.mark.parametrize("exid", EXERCISES)
def test_reference_passes(exid):
    assert check(exid, get(exid).reference, quiet=True).passed


@pytest.mark.parametrize("n, k, s", [(28, 3, 1), (9, 4, 2), (30, 5, 3), (6, 6, 1)])
def test_output_size_is_the_engines_valid_output_length(n, k, s):
    assert get("ch10.output_size").reference(n, k, stride=s) == output_length(n, k, s, "valid")
    # explicit padding p is a valid convolution of the padded input
    assert get("ch10.output_size").reference(n, k, stride=s, padding=2) == output_length(n + 4, k, s)


def test_conv2d_single_matches_the_engine_loops():
    rng = np.random.default_rng(0)
    image, kernel = rng.normal(size=(9, 7)), rng.normal(size=(3, 2))
    z = conv2d_forward(image[None, :, :, None], kernel[:, :, None, None], np.zeros(1))
    np.testing.assert_allclose(get("ch10.conv2d_single").reference(image, kernel), z[0, :, :, 0],
                               rtol=1e-12)


@pytest.mark.parametrize("layers", [[(3, 1)] * 3, [(3, 1), (2, 2)] * 3, [(5, 2), (3, 1), (2, 2)]])
def test_receptive_field_is_where_the_gradient_reaches(layers):
    """Back-propagate from one output unit of a stack of engine layers: the input rows with a
    nonzero gradient are its receptive field (all weights positive: nothing cancels; average
    pooling, unlike max pooling, sends gradient to every entry of its window)."""
    stack = [AveragePooling2D(2) if (k, s) == (2, 2) else
             Conv2D(1, k, strides=s, kernel_initializer=lambda shape, rng: np.ones(shape))
             for k, s in layers]
    net = Sequential(stack).build((64, 64, 1), seed=0)
    x = np.random.default_rng(1).uniform(0.5, 1.0, size=(1, 64, 64, 1))
    y = net.forward(x)
    dy = np.zeros_like(y)
    dy[0, y.shape[1] // 2, y.shape[2] // 2, 0] = 1.0
    rows = np.flatnonzero(np.abs(net.backward(dy)[0, :, :, 0]).sum(axis=1))
    assert len(rows) == rows.max() - rows.min() + 1 == get("ch10.receptive_field").reference(layers)


def _size_no_plus_one(n, k, stride=1, padding=0):
    return (n + 2 * padding - k) // stride


def _size_padding_once(n, k, stride=1, padding=0):
    return (n + padding - k) // stride + 1


def _size_true_division(n, k, stride=1, padding=0):
    return (n + 2 * padding - k) / stride + 1


def _conv_flipped(image, kernel):
    return convolve2d(image, kernel, mode="valid")


def _conv_same_size(image, kernel):
    out = np.zeros(image.shape)
    kh, kw = kernel.shape
    for i in range(image.shape[0] - kh + 1):
        for j in range(image.shape[1] - kw + 1):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def _conv_one_short(image, kernel):  # range(h - kh): the last row and column are lost
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh, image.shape[1] - kw))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def _rf_ignores_strides(layers):
    return 1 + sum(k - 1 for k, _ in layers)


def _rf_own_stride_too(layers):
    r, jump = 1, 1
    for k, s in layers:
        jump *= s
        r += (k - 1) * jump
    return r


def _rf_product_of_kernels(layers):
    return int(np.prod([k for k, _ in layers])) if layers else 1


@pytest.mark.parametrize("exid, wrong, case", [
    ("ch10.output_size", _size_no_plus_one, 1),
    ("ch10.output_size", _size_padding_once, 2),
    ("ch10.output_size", _size_true_division, 4),
    ("ch10.conv2d_single", _conv_flipped, 2),
    ("ch10.conv2d_single", _conv_same_size, 1),
    ("ch10.conv2d_single", _conv_one_short, 1),
    ("ch10.receptive_field", _rf_ignores_strides, 3),
    ("ch10.receptive_field", _rf_own_stride_too, 3),
    ("ch10.receptive_field", _rf_product_of_kernels, 2),
])
def test_wrong_answers_fail(exid, wrong, case, fails_at):
    result = check(exid, wrong, quiet=True)
    fails_at(result, case)
    assert get(exid).hint in result.message


def test_stub_fails_with_hint(fails_at):
    def stub(n, k, stride=1, padding=0):
        raise NotImplementedError

    result = check("ch10.output_size", stub, quiet=True)
    fails_at(result, 1)
    assert "\n  problem:  NotImplementedError\n" in result.message
