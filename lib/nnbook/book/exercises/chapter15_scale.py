"""Chapter 15 exercises on scale (sections on mixed precision and data parallelism): the gap
between a float16 number and the next, the whole-batch gradient from the shards' gradients, and
the bytes a worker sends in a ring all-reduce."""

import numpy as np

from . import exercise


def _spacing_cases():
    for x in (1.0, 1.5, 1000.0, 65504.0, 2.0**-14, 1e-6, 3e-3):
        yield (x,), {}


@exercise(
    "ch15.float16_spacing",
    cases=_spacing_cases,
    hint="Between two powers of two the float16 numbers are evenly spaced; the spacing is set by "
    "the power of two below x and the 10 mantissa bits.",
    more=("For 2^e <= x < 2^(e+1) the gap is 2^e * eps = 2^(e - 10), with e = floor(log2 x). Below "
          "the smallest normal number 2^-14 the subnormals keep the gap of the lowest binade: "
          "e never goes below -14.",),
)
def float16_spacing(x):
    """The gap between a positive float16 number x and the next larger one -> float."""
    e = max(np.floor(np.log2(x)), -14.0)
    return float(2.0 ** (e - 10))


def _shard_cases():
    rng = np.random.default_rng(1501)
    yield ([np.array([1.0, 2.0]), np.array([3.0, 4.0])], [8, 8]), {}
    yield ([np.array([1.0, 0.0]), np.array([0.0, 1.0])], [3, 1]), {}
    shapes = (3, 2)
    yield ([rng.normal(size=shapes) for _ in range(3)], [22, 21, 21]), {}
    yield ([rng.normal(size=shapes)], [5]), {}


@exercise(
    "ch15.shard_average",
    cases=_shard_cases,
    hint="Each shard's gradient is of its own mean loss; the whole batch's loss is the mean over "
    "all its examples.",
    more=("A shard of n_k examples contributes n_k times its mean-loss gradient to the sum over the "
          "whole batch; divide that sum by the batch size sum(n_k). Equal shards reduce to the plain "
          "mean of the gradients.",),
)
def shard_average(grads, sizes):
    """The whole batch's mean-loss gradient from each shard's mean-loss gradient `grads` (a list
    of arrays of one shape) and the shards' sizes `sizes` -> array."""
    return sum(n * g for n, g in zip(sizes, grads)) / sum(sizes)


def _ring_cases():
    for n_bytes, workers in ((400e6, 1), (400e6, 2), (400e6, 8), (1e6, 64)):
        yield (n_bytes, workers), {}


@exercise(
    "ch15.ring_allreduce_bytes",
    cases=_ring_cases,
    hint="In a ring of N workers each gradient is cut into N pieces that go round the ring twice: "
    "once to add up, once to hand out.",
    more=("Each pass takes N - 1 hops, and in each hop a worker sends one piece, n_bytes / N. Two "
          "passes: 2 (N - 1) / N * n_bytes. One worker sends nothing.",),
)
def ring_allreduce_bytes(n_bytes, workers):
    """Bytes each of `workers` sends in a ring all-reduce of `n_bytes` of gradients -> float."""
    return 2 * (workers - 1) / workers * n_bytes
