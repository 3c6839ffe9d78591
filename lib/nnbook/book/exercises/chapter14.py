"""Chapter 14 exercises: the parameters of a new head on a frozen trunk, the trainable
parameters when only the last k layers of a network are unfrozen, and discriminative learning
rates (one rate per layer, smaller towards the input)."""

import numpy as np

from . import exercise


def _head_cases():
    # a linear head on chapter 10's 64 trunk features, for 10 and for 2 classes
    yield ((64, 10),), {}
    yield ((64, 2),), {}
    # a hidden layer in the head: every layer has its own biases
    yield ((64, 32, 10),), {}
    # MobileNetV2's 1,280 pooled features to 1,000 ImageNet classes
    yield ((1280, 1000),), {}
    yield ((2048, 256, 128, 5),), {}
    yield ([800, 64, 10],), {}


@exercise(
    "ch14.head_params",
    cases=_head_cases,
    hint="A dense layer from a inputs to b units holds a weight per (input, unit) pair and one "
    "bias per unit.",
    more=("Dense(a -> b) has a * b weights and b biases, (a + 1) * b numbers. The sizes "
          "(d, h_1, ..., k) describe one dense layer between each neighbouring pair: add "
          "(sizes[i] + 1) * sizes[i + 1] over i = 0, ..., len(sizes) - 2.",),
)
def head_params(sizes):
    """The number of parameters of a dense head with layer widths `sizes` = (d, h_1, ..., k): d
    trunk features in, k outputs -> int."""
    return int(sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:])))


def _unfrozen_cases():
    cnn = [160, 0, 4640, 0, 0, 51264, 650]  # chapter 10's CNN, layer by layer (pooling, flatten: 0)
    yield (cnn, 1), {}
    yield (cnn, 2), {}
    yield (cnn, 3), {}  # the Dense(64) and the flatten/pool in front of it hold nothing
    yield (cnn, 0), {}  # nothing unfrozen: nothing trains
    yield (cnn, 7), {}  # everything unfrozen: the whole model
    yield ([10, 20, 30], 5), {}  # k beyond the depth: still the whole model


@exercise(
    "ch14.trainable_after_unfreezing",
    cases=_unfrozen_cases,
    hint="Only the layers nearest the output train; count what they hold, and think about k = 0.",
    more=("Sum the counts of the last k layers. Mind Python's slices: counts[-0:] is the whole "
          "list, not an empty one, and k may exceed the number of layers.",
          "Write it as sum(counts[len(counts) - min(k, len(counts)):]) or with an explicit loop "
          "over the last min(k, len(counts)) layers."),
)
def trainable_after_unfreezing(counts, k):
    """The trainable parameters of a network whose layers hold `counts` parameters (input side
    first) when its last `k` layers are unfrozen and the rest frozen -> int."""
    n = min(k, len(counts))
    return int(sum(counts[len(counts) - n:]))


def _rates_cases():
    yield (1e-3, 4, 2.6), {}  # ULMFiT's factor
    yield (1e-2, 1, 2.6), {}  # one layer group: the base rate
    yield (1e-3, 3, 1.0), {}  # factor 1: one rate for all
    yield (3e-4, 6, 10.0), {}


@exercise(
    "ch14.discriminative_rates",
    cases=_rates_cases,
    hint="The top layer group gets the base rate; each group below it gets the rate of the group "
    "above divided by the factor.",
    more=("Return an array of n rates, input side first: group i (i = 0 nearest the input) gets "
          "base_rate / factor ** (n - 1 - i), so the last entry is base_rate itself.",),
)
def discriminative_rates(base_rate, n, factor):
    """The learning rates of `n` layer groups (input side first) for discriminative fine-tuning:
    the top group gets `base_rate`, each group below the one above divided by `factor` -> (n,)."""
    return base_rate / factor ** np.arange(n - 1, -1, -1.0)
