"""Chapter 10 exercises: the output size of a convolution, a single-channel convolution (valid
cross-correlation, as deep learning computes it), and the receptive field of a stack of layers."""

import numpy as np

from . import exercise


def _output_size_cases():
    yield (28, 3), {}  # the chapter's first layer: 26
    yield (28, 3), {"stride": 1, "padding": 1}  # padding 1 keeps a 3 x 3 kernel's output at 28
    yield (7, 3), {"stride": 2, "padding": 0}  # (7 - 3) / 2 + 1 = 3 exactly
    yield (8, 3), {"stride": 2, "padding": 0}  # (8 - 3) / 2 = 2.5: the last half step does not fit
    yield (32, 5), {"stride": 3, "padding": 2}
    yield (5, 5), {}  # the kernel covers the whole input: one position
    yield (13, 2), {"stride": 2, "padding": 0}  # a 2 x 2 pool on 13 rows: the odd row is dropped


@exercise(
    "ch10.output_size",
    cases=_output_size_cases,
    hint="Count the positions at which the kernel fits entirely inside the padded input, stepping "
    "by the stride.",
    more=("Pad first: the input is n + 2p long. The kernel fits at positions 0, s, 2s, ... as long as "
          "it ends inside, so count the whole strides that fit, floor((n + 2p - k) / s), and add 1 for "
          "the first position. Use // so that the answer is an integer.",),
)
def output_size(n, k, stride=1, padding=0):
    """Outputs along one axis of length n for a kernel of size k, with `padding` zeros on each
    side and the given stride: floor((n + 2 padding - k) / stride) + 1 (an int)."""
    return (n + 2 * padding - k) // stride + 1


def _conv2d_single_cases():
    rng = np.random.default_rng(1001)
    image = np.arange(16.0).reshape(4, 4)
    yield (image, np.ones((2, 2))), {}  # sums of 2 x 2 blocks: a 3 x 3 result
    # an asymmetric kernel: a flipped kernel (the mathematicians' convolution) gives other numbers
    yield (image, np.array([[1.0, 0.0], [0.0, -1.0]])), {}
    # not square: rows and columns must not be swapped
    yield (rng.normal(size=(5, 7)), rng.normal(size=(2, 3))), {}
    yield (rng.normal(size=(6, 6)), np.array([[2.0]])), {}  # a 1 x 1 kernel scales the image
    yield (rng.normal(size=(3, 4)), rng.normal(size=(3, 4))), {}  # kernel as large as the image


@exercise(
    "ch10.conv2d_single",
    cases=_conv2d_single_cases,
    hint="Each output number is one dot product: the kernel with the patch of the image under it.",
    more=("No padding, stride 1: the result has (h - kh + 1) rows and (w - kw + 1) columns, and "
          "out[i, j] = sum(image[i:i + kh, j:j + kw] * kernel). Do not flip the kernel: deep learning's "
          "convolution is a cross-correlation.",),
)
def conv2d_single(image, kernel):
    """Valid cross-correlation of one channel: image: (h, w), kernel: (kh, kw) ->
    (h - kh + 1, w - kw + 1)."""
    kh, kw = kernel.shape
    out = np.empty((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def _receptive_field_cases():
    yield ([(3, 1)],), {}  # one 3 x 3 convolution sees 3 pixels
    yield ([(3, 1)] * 4,), {}  # four of them: 9
    yield ([(3, 1), (2, 2)] * 2,), {}  # conv, pool, conv, pool: 10
    yield ([(3, 1), (2, 2)] * 4,), {}  # and two more of each: 46
    yield ([(5, 2), (3, 1), (3, 2), (3, 1)],), {}  # strided convolutions
    yield ([(2, 2), (2, 2), (2, 2)],), {}  # pools alone: 8, one block of 8 x 8 pixels
    yield ([],), {}  # no layer: an output is its own pixel


@exercise(
    "ch10.receptive_field",
    cases=_receptive_field_cases,
    hint="Walk up the stack tracking two numbers: the receptive field so far, and how many input "
    "pixels apart two neighbouring units are.",
    more=("Walk up the stack keeping r (the receptive field, starting at 1) and j (how many input "
          "pixels apart two neighbouring units of the current layer are, starting at 1). A layer with "
          "kernel k and stride s adds (k - 1) * j to r, and then multiplies j by s: a layer's own stride "
          "only spreads out the layers above it.",),
)
def receptive_field(layers):
    """The receptive field (in input pixels, along one axis) of one unit at the top of a stack of
    convolutions or pools, `layers` a list of (kernel size, stride) from the input up."""
    r, jump = 1, 1
    for k, s in layers:
        r += (k - 1) * jump
        jump *= s
    return r


# --- object detection: IoU of two boxes, non-maximum suppression ---------------------------------


def _iou_cases():
    yield (np.array([0.0, 0, 2, 2]), np.array([1.0, 1, 3, 3])), {}  # overlap 1, union 7
    yield (np.array([0.0, 0, 4, 2]), np.array([1.0, 0, 3, 5])), {}  # a cross: width and height differ
    yield (np.array([0.0, 0, 2, 2]), np.array([2.0, 0, 4, 2])), {}  # touching edges: no area shared
    yield (np.array([0.0, 0, 2, 2]), np.array([5.0, 5, 7, 9])), {}  # far apart: 0, not negative
    yield (np.array([3.0, 0, 5, 2]), np.array([0.0, 0, 2, 2])), {}  # apart along x only
    yield (np.array([0.0, 0, 10, 10]), np.array([2.0, 3, 5, 7])), {}  # one inside the other
    yield (np.array([1.5, 2, 6, 4.5]), np.array([1.5, 2, 6, 4.5])), {}  # the same box: 1
    yield (np.array([0.0, 0, 0, 0]), np.array([0.0, 0, 0, 0])), {}  # two empty boxes: 0, not 0 / 0


@exercise(
    "ch10.iou",
    cases=_iou_cases,
    hint="The overlap of two axis-aligned boxes is itself a box, possibly empty.",
    more=("The overlap of two boxes is a box too: its left edge is the larger of the two x0, its "
          "right edge the smaller of the two x1 (and so for y). Its width is max(0, right - left): boxes "
          "that do not meet overlap by 0, not by a negative amount. The union is area(a) + area(b) - "
          "overlap; if the union is 0, return 0.",),
)
def iou(a, b):
    """Intersection over union of two boxes (x0, y0, x1, y1) (far edges excluded) -> a float."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def _nms_cases():
    two = np.array([[0.0, 0, 10, 10], [1, 1, 11, 11]])  # IoU 81 / 119 = 0.68
    yield (two, np.array([0.6, 0.9])), {"iou_threshold": 0.5}  # the better one is second
    yield (two, np.array([0.6, 0.9])), {"iou_threshold": 0.7}  # below the threshold: both stay
    # a chain: 0 suppresses 1, and 1 would have suppressed 2, but 1 is gone, so 2 stays
    chain = np.array([[0.0, 0, 10, 10], [5, 0, 15, 10], [10, 0, 20, 10]])  # neighbours 1/3 apart
    yield (chain, np.array([0.9, 0.8, 0.7])), {"iou_threshold": 0.3}
    boxes = np.array([[0.0, 0, 10, 10], [20, 20, 30, 30], [0, 0, 10, 9], [21, 20, 31, 30],
                      [40, 0, 48, 8]])
    yield (boxes, np.array([0.5, 0.95, 0.7, 0.9, 0.1])), {"iou_threshold": 0.5}
    yield (boxes[:1], np.array([0.3])), {"iou_threshold": 0.5}  # one box: it is kept
    rng = np.random.default_rng(1010)
    corner = rng.uniform(0, 30, (12, 2))
    random = np.concatenate([corner, corner + rng.uniform(4, 12, (12, 2))], 1)
    yield (random, rng.random(12)), {"iou_threshold": 0.2}


@exercise(
    "ch10.nms",
    cases=_nms_cases,
    hint="Greedy: the best remaining box survives and removes the boxes that overlap it too much; "
    "repeat with what is left.",
    more=("Sort the indices by score, best first. While any are left: keep the first, compute its "
          "IoU with every other remaining box, and drop those whose IoU is above the threshold (keep "
          "those at or below it). A box dropped never suppresses another. Return the kept indices in "
          "the order you kept them, as a list or an array of ints.",),
)
def nms(boxes, scores, iou_threshold=0.5):
    """Greedy non-maximum suppression. boxes (k, 4) as (x0, y0, x1, y1), scores (k,) -> the indices
    kept, best score first."""
    order = list(np.argsort(-scores, kind="stable"))
    keep = []
    while order:
        best = order.pop(0)
        keep.append(int(best))
        order = [k for k in order if iou(boxes[best], boxes[k]) <= iou_threshold]
    return np.array(keep, dtype=np.int64)
