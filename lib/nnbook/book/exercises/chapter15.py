"""Chapter 15 exercises: the forward FLOPs of a convolution layer, the parameters of an LSTM
layer, the arithmetic intensity of a matrix product, and the bytes Adam needs to train n weights.
FLOPs count a multiply-add as 2."""

from . import exercise


def _conv_cases():
    # (H, W, C_in, filters, k, stride, padding)
    yield (28, 28, 1, 16, 3, 1, "valid"), {}   # chapter 10's first layer: 26 x 26 outputs
    yield (13, 13, 16, 32, 3, 1, "valid"), {}  # its second
    yield (32, 32, 3, 8, 5, 1, "same"), {}     # "same": the output keeps 32 x 32
    yield (28, 28, 4, 6, 3, 2, "valid"), {}    # stride 2: (28 - 3) // 2 + 1 = 13
    yield (15, 9, 2, 4, 3, 2, "same"), {}      # "same" with stride 2: ceil(15 / 2) x ceil(9 / 2)


@exercise(
    "ch15.conv_flops",
    cases=_conv_cases,
    hint="Every output value is one dot product of the k x k x C_in window with one filter; count "
    "the outputs first, then the multiply-adds per output.",
    more=("Output size per axis: 'valid' gives (H - k) // stride + 1, 'same' gives ceil(H / stride). "
          "There are H' W' filters output values, each k k C_in multiply-adds, and a multiply-add is "
          "2 FLOPs: 2 k^2 C_in filters H' W'.",),
)
def conv_flops(h, w, c_in, filters, k, stride=1, padding="valid"):
    """Forward FLOPs of Conv2D(filters, k, strides=stride, padding) on one (h, w, c_in) input -> int."""
    if padding == "same":
        h_out, w_out = -(-h // stride), -(-w // stride)
    else:
        h_out, w_out = (h - k) // stride + 1, (w - k) // stride + 1
    return 2 * k * k * c_in * filters * h_out * w_out


def _lstm_cases():
    yield (4, 32), {}    # chapter 11's memory model: 4,736
    yield (1, 64), {}
    yield (16, 64), {}   # chapter 13's LSTM sorter's width
    yield (100, 7), {}


@exercise(
    "ch15.lstm_params",
    cases=_lstm_cases,
    hint="An LSTM has four gates, and each gate sees both the input x_t and the previous state h_{t-1}.",
    more=("Each of the 4 gates has a kernel (d x u) for x_t, a recurrent kernel (u x u) for h_{t-1} and "
          "a bias (u): 4 (d u + u u + u) = 4 (d + u + 1) u.",),
)
def lstm_params(d, u):
    """The number of parameters of keras.layers.LSTM(u) on inputs of d features -> int."""
    return 4 * (d + u + 1) * u


def _intensity_cases():
    yield (1, 784, 256, 4), {}     # a dense layer at batch 1: about 0.5 FLOP/byte
    yield (128, 784, 256, 4), {}   # the same layer at batch 128
    yield (1024, 1024, 1024, 4), {}
    yield (1024, 1024, 1024, 8), {}  # float64 moves twice the bytes
    yield (7, 3, 5, 2), {}


@exercise(
    "ch15.matmul_intensity",
    cases=_intensity_cases,
    hint="Intensity is FLOPs divided by bytes moved; count both operands and the result once each.",
    more=("(m x k) @ (k x n) does m n k multiply-adds, 2 m n k FLOPs. It reads m k + k n numbers and "
          "writes m n, each `itemsize` bytes: 2 m n k / (itemsize (m k + k n + m n)).",),
)
def matmul_intensity(m, k, n, itemsize):
    """FLOPs per byte of (m, k) @ (k, n) with numbers of `itemsize` bytes, each array moved once -> float."""
    return 2 * m * n * k / (itemsize * (m * k + k * n + m * n))


def _adam_cases():
    yield (1,), {}
    yield (203_530,), {}            # chapter 6's MLP
    yield (1_000_000, 2), {}        # float16/bfloat16 numbers
    yield (56_714, 8), {}           # chapter 10's CNN in float64


@exercise(
    "ch15.adam_bytes",
    cases=_adam_cases,
    hint="Training keeps more than the weights: think of what backward writes and what Adam remembers "
    "between steps.",
    more=("Per weight: the weight itself, its gradient, and Adam's two moving averages m and v, so 4 "
          "numbers of `itemsize` bytes: 4 n itemsize (activations are extra and depend on the batch).",),
)
def adam_bytes(n, itemsize=4):
    """Bytes for n weights trained by Adam, without activations: weights, gradients, m and v -> int."""
    return 4 * n * itemsize
