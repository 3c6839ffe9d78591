"""Chapter 10's object detection: box geometry, non-maximum suppression and mean average precision
in NumPy; canvases of real handwritten digits; a YOLO-style grid detector (Keras), a sliding-window
baseline, one-object localisation by box regression (NumPy engine), and sliding windows over a photo.

Boxes are `(x0, y0, x1, y1)` in pixels, x to the right and y down, the far edges excluded: a box
holding columns 3..9 has x0 = 3, x1 = 10, width x1 - x0 = 7. Arrays of boxes have shape (..., 4).

Detections of one image are a `(boxes (k, 4), scores (k,), classes (k,))` triple, its ground truth
a `(boxes (m, 4), classes (m,))` pair; a data set is a list of them, one per image.
`average_precision` uses the all-point interpolation of PASCAL VOC 2010 onwards (Everingham et al.,
2010): precision is replaced by its running maximum from the right (the best precision reachable at
this recall or beyond) and integrated over recall, with no sampling of recall levels (COCO samples
101 levels instead).

The grid detector follows YOLO (Redmon et al., 2016): the canvas is cut into `grid x grid` cells;
the cell holding an object's centre predicts it: objectness, the centre's offset in the cell, the
square roots of width and height (relative to the canvas), and class probabilities.
The sliding-window baseline classifies every 14 x 14 window into ten digits or background
(`window_labels`, `keras_window_classifier`, `sliding_window_detect`). Faces in a photo are found
the same way over several scales (`multiscale_windows`, `hard_negatives`), and compared with
scikit-image's LBP cascade (`skimage_cascade_faces`) by pairing boxes of IoU >= 0.5 (`match_boxes`).

Keras and scikit-image are imported only inside `keras_*` and `skimage_*` functions.
"""

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .. import _checks
from ..engine.layers import Dense
from ..engine.model import Sequential

# --- box geometry -------------------------------------------------------------------------------


def _check_boxes(boxes, name="boxes"):
    """`boxes` as a float array (..., 4) with x0 <= x1 and y0 <= y1."""
    b = _checks.as_float_array(boxes, name)
    if b.ndim == 0 or b.shape[-1] != 4:
        raise ValueError(f"{name} must have shape (..., 4) holding (x0, y0, x1, y1), got shape {b.shape}")
    if np.any(b[..., 2] < b[..., 0]) or np.any(b[..., 3] < b[..., 1]):
        raise ValueError(f"{name} need x0 <= x1 and y0 <= y1 in every (x0, y0, x1, y1)")
    return b


def area(boxes):
    """Width times height. boxes: (..., 4) -> (...)."""
    b = _check_boxes(boxes)
    return (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])


def iou(a, b):
    """Intersection over union of boxes a and b, broadcast against each other: a (..., 4) and
    b (..., 4) -> (...). All pairs of two lists: `iou(a[:, None], b[None])` -> (len(a), len(b)).
    Two empty boxes have IoU 0."""
    a, b = _check_boxes(a, "a"), _check_boxes(b, "b")
    return _iou(a, b)


def _iou(a, b):
    w = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    h = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = w * h
    union = ((a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
             + (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1]) - inter)
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def nms(boxes, scores, iou_threshold=0.5):
    """Greedy non-maximum suppression: take the best-scoring box left, drop every remaining box
    overlapping it by IoU > `iou_threshold`, repeat. boxes (k, 4), scores (k,) -> indices kept,
    best first."""
    boxes = _check_boxes(boxes)
    scores = _checks.as_float_array(scores, "scores")
    if boxes.ndim != 2 or scores.shape != boxes.shape[:1]:
        raise ValueError(f"nms needs boxes (k, 4) and scores (k,), got shapes {boxes.shape} and "
                         f"{scores.shape}")
    iou_threshold = _checks.number_in(iou_threshold, "iou_threshold", 0, 1)
    return _nms(boxes, scores, iou_threshold)


def _nms(boxes, scores, iou_threshold):
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(best)
        order = rest[_iou(boxes[best], boxes[rest]) <= iou_threshold]
    return np.array(keep, dtype=np.int64)


# --- precision, recall, average precision --------------------------------------------------------


def _check_sets(detections, truths):
    """Both lists checked: per image (boxes (k, 4), scores (k,), classes (k,)) and (boxes (m, 4),
    classes (m,)); returned as arrays."""
    if not isinstance(detections, (list, tuple)) or not isinstance(truths, (list, tuple)):
        raise TypeError(f"detections and truths must be lists (one entry per image), got "
                        f"{_checks.describe(detections)} and {_checks.describe(truths)}")
    if len(detections) != len(truths):
        raise ValueError(f"detections and truths need one entry per image each, got {len(detections)} "
                         f"and {len(truths)}")
    dets, gts = [], []
    for i, (d, t) in enumerate(zip(detections, truths)):
        if len(d) != 3 or len(t) != 2:
            raise ValueError(f"image {i}: a detection is (boxes, scores, classes) and a truth "
                             f"(boxes, classes), got {len(d)} and {len(t)} items")
        boxes = _check_boxes(np.reshape(d[0], (-1, 4)), f"detections[{i}] boxes")
        scores, classes = np.asarray(d[1], float).reshape(-1), np.asarray(d[2]).reshape(-1)
        t_boxes = _check_boxes(np.reshape(t[0], (-1, 4)), f"truths[{i}] boxes")
        t_classes = np.asarray(t[1]).reshape(-1)
        if not len(boxes) == len(scores) == len(classes) or len(t_boxes) != len(t_classes):
            raise ValueError(f"image {i}: boxes, scores and classes need one entry per object")
        dets.append((boxes, scores, classes.astype(np.int64)))
        gts.append((t_boxes, t_classes.astype(np.int64)))
    return dets, gts


def match(detections, truths, cls, iou_threshold=0.5):
    """Mark each detection of class `cls` a true or a false positive: in score order, a detection
    is true if its best-overlapping truth of that class in its image has IoU >= `iou_threshold`
    and is not taken yet (then it takes it). Returns (scores (k,), true (k,) bools, n_truths),
    sorted by score, best first."""
    detections, truths = _check_sets(detections, truths)
    iou_threshold = _checks.number_in(iou_threshold, "iou_threshold", 0, 1, low_open=True)
    return _match(detections, truths, cls, iou_threshold)


def _match(detections, truths, cls, iou_threshold):
    scores, true, n_truths = [], [], 0
    for (boxes, s, c), (t_boxes, t_c) in zip(detections, truths):
        boxes, s, t_boxes = boxes[c == cls], s[c == cls], t_boxes[t_c == cls]
        n_truths += len(t_boxes)
        taken = np.zeros(len(t_boxes), bool)
        overlap = _iou(boxes[:, None], t_boxes[None])  # (k, m)
        for i in np.argsort(-s, kind="stable"):
            j = int(np.argmax(overlap[i])) if len(t_boxes) else -1
            hit = j >= 0 and overlap[i, j] >= iou_threshold and not taken[j]
            if hit:
                taken[j] = True
            scores.append(s[i])
            true.append(hit)
    scores, true = np.array(scores, float), np.array(true, bool)
    order = np.argsort(-scores, kind="stable")
    return scores[order], true[order], n_truths


def precision_recall(true, n_truths):
    """Precision and recall after each detection, taken in score order. true: (k,) bools ->
    precision (k,), recall (k,)."""
    true = np.asarray(true, bool).reshape(-1)
    n_truths = _checks.positive_int(n_truths, "n_truths", minimum=1)
    tp = np.cumsum(true)
    return tp / np.arange(1, len(true) + 1), tp / n_truths


def average_precision(precision, recall):
    """Area under the precision-recall curve, VOC all-point interpolation: precision at recall r is
    the best precision at any recall >= r. precision, recall: (k,) in detection order -> a number."""
    p = _checks.as_float_array(precision, "precision").reshape(-1)
    r = _checks.as_float_array(recall, "recall").reshape(-1)
    if p.shape != r.shape or np.any(np.diff(r) < 0):
        raise ValueError(f"precision and recall need the same length and recall non-decreasing, got "
                         f"shapes {p.shape} and {r.shape}")
    envelope = np.maximum.accumulate(p[::-1])[::-1]  # best precision at this recall or beyond
    return float(np.sum(np.diff(r, prepend=0.0) * envelope))


def mean_average_precision(detections, truths, iou_threshold=0.5):
    """mAP: the mean over classes (those with at least one truth) of each class's average
    precision. Returns (mAP, {class: AP})."""
    detections, truths = _check_sets(detections, truths)
    iou_threshold = _checks.number_in(iou_threshold, "iou_threshold", 0, 1, low_open=True)
    classes = np.unique(np.concatenate([c for _, c in truths]))
    if classes.size == 0:
        raise ValueError("mean_average_precision needs at least one ground-truth object")
    per_class = {}
    for cls in classes:
        _, true, n = _match(detections, truths, cls, iou_threshold)
        per_class[int(cls)] = average_precision(*precision_recall(true, n)) if len(true) else 0.0
    return float(np.mean(list(per_class.values()))), per_class


# --- canvases of handwritten digits ---------------------------------------------------------------


@dataclass
class Canvases:
    """`images`: (n, size, size) in [0, 1]; `boxes[i]`: (k_i, 4) and `classes[i]`: (k_i,) of image i."""

    images: np.ndarray
    boxes: list
    classes: list

    def __len__(self):
        return len(self.images)

    @property
    def truths(self):
        """The ground truth as `mean_average_precision` takes it: [(boxes, classes), ...]."""
        return list(zip(self.boxes, self.classes))


def shrink(images):
    """Halve the resolution by averaging 2 x 2 blocks. images: (n, h, w), h and w even ->
    (n, h / 2, w / 2); flat 28 x 28 MNIST rows (n, 784) are reshaped first."""
    x = _checks.as_float_array(images, "images")
    if x.ndim == 2 and x.shape[1] == 784:
        x = x.reshape(-1, 28, 28)
    if x.ndim != 3 or x.shape[1] % 2 or x.shape[2] % 2:
        raise ValueError(f"images must be (n, h, w) with h and w even (or (n, 784)), got {x.shape}")
    n, h, w = x.shape
    return x.reshape(n, h // 2, 2, w // 2, 2).mean(axis=(2, 4))


def ink_box(image, ink=0.1):
    """The tightest box around the pixels brighter than `ink`. image: (h, w) -> (4,) ints."""
    rows, cols = np.nonzero(image > ink)
    if rows.size == 0:
        raise ValueError(f"the image has no pixel brighter than ink={ink}")
    return np.array([cols.min(), rows.min(), cols.max() + 1, rows.max() + 1])


def make_canvases(digits, labels, n, size=48, objects=(0, 3), max_overlap=0.0, seed=0, ink=0.1):
    """`n` canvases of `size` x `size`, each holding between `objects[0]` and `objects[1]` digits
    drawn from `digits` (m, h, w) in [0, 1] with `labels` (m,). Each digit is cropped to its
    `ink_box` and pasted (pixel-wise maximum) at a uniform random place where its box overlaps
    every earlier box by IoU <= `max_overlap` (0: disjoint) and their centres lie at least 4 pixels
    apart; a digit that finds no place in 100 draws is left out. The boxes are the pasted crops.
    -> `Canvases`; the same seed gives the same canvases."""
    digits = _checks.as_float_array(digits, "digits")
    labels = np.asarray(labels)
    if digits.ndim != 3 or labels.shape != digits.shape[:1]:
        raise ValueError(f"digits must be (m, h, w) with labels (m,), got shapes {digits.shape} and "
                         f"{labels.shape}")
    n, size = _checks.positive_int(n, "n"), _checks.positive_int(size, "size")
    if max(digits.shape[1:]) > size:
        raise ValueError(f"digits of {digits.shape[1:]} pixels do not fit on a {size} x {size} canvas")
    if (not isinstance(objects, tuple) or len(objects) != 2
            or not 0 <= _checks.positive_int(objects[0], "objects[0]", 0) <= objects[1]):
        raise ValueError(f"objects must be a tuple (fewest, most) with 0 <= fewest <= most, got {objects!r}")
    max_overlap = _checks.number_in(max_overlap, "max_overlap", 0, 1, high_open=True)
    rng = _checks.generator(seed)
    images = np.zeros((n, size, size), dtype=digits.dtype)
    all_boxes, all_classes = [], []
    for canvas in images:
        boxes, classes = [], []
        for _ in range(rng.integers(objects[0], objects[1] + 1)):
            k = rng.integers(len(digits))
            x0, y0, x1, y1 = ink_box(digits[k], ink)
            crop = digits[k, y0:y1, x0:x1]
            h, w = crop.shape
            for _ in range(100):
                x, y = rng.integers(0, size - w + 1), rng.integers(0, size - h + 1)
                box = np.array([x, y, x + w, y + h], float)
                if not boxes or _fits(box, np.array(boxes), max_overlap):
                    np.maximum(canvas[y:y + h, x:x + w], crop, out=canvas[y:y + h, x:x + w])
                    boxes.append(box)
                    classes.append(int(labels[k]))
                    break
        all_boxes.append(np.array(boxes).reshape(-1, 4))
        all_classes.append(np.array(classes, dtype=np.int64))
    return Canvases(images, all_boxes, all_classes)


def _fits(box, boxes, max_overlap):
    centre = (box[:2] + box[2:]) / 2
    far = np.all(np.linalg.norm((boxes[:, :2] + boxes[:, 2:]) / 2 - centre, axis=1) >= 4)
    return far and np.all(_iou(box, boxes) <= max_overlap)


# --- the grid detector (YOLO-style) ---------------------------------------------------------------

LAMBDA_COORD, LAMBDA_NOOBJ = 5.0, 0.5  # YOLO's weights of the box terms and of the empty cells


def encode_grid(boxes, classes, size=48, grid=6, n_classes=10):
    """The training target of a grid detector. boxes[i]: (k_i, 4), classes[i]: (k_i,) ->
    (n, grid, grid, 5 + n_classes): per cell [objectness, x and y of the centre within the cell in
    [0, 1), sqrt(width / size), sqrt(height / size), one-hot class]. The cell holding a box's centre
    owns it; a second box whose centre falls in an owned cell is left out (YOLO's one object per
    cell)."""
    size, grid = _checks.positive_int(size, "size"), _checks.positive_int(grid, "grid")
    n_classes = _checks.positive_int(n_classes, "n_classes")
    if len(boxes) != len(classes):
        raise ValueError(f"boxes and classes need one entry per image, got {len(boxes)} and {len(classes)}")
    cell = size / grid
    target = np.zeros((len(boxes), grid, grid, 5 + n_classes))
    for t, b, c in zip(target, boxes, classes):
        b = _check_boxes(np.reshape(b, (-1, 4)))
        c = np.asarray(c, dtype=np.int64).reshape(-1)
        if len(c) != len(b) or np.any((c < 0) | (c >= n_classes)):
            raise ValueError(f"classes must be one integer in [0, {n_classes}) per box, got {c}")
        for (x0, y0, x1, y1), k in zip(b, c):
            cx, cy = (x0 + x1) / 2 / cell, (y0 + y1) / 2 / cell
            i, j = min(int(cy), grid - 1), min(int(cx), grid - 1)
            if t[i, j, 0] == 0:
                t[i, j, :5] = 1, cx - j, cy - i, np.sqrt((x1 - x0) / size), np.sqrt((y1 - y0) / size)
                t[i, j, 5 + k] = 1
    return target


def decode_grid(pred, size=48, score_threshold=0.5, iou_threshold=0.5):
    """Detections from grid outputs (or targets): (n, grid, grid, 5 + n_classes) -> per image
    (boxes (k, 4), scores (k,), classes (k,)). A cell's score is objectness times its best class
    probability; cells scoring >= `score_threshold` become boxes, then `nms` with `iou_threshold`."""
    pred = _checks.as_float_array(pred, "pred")
    if pred.ndim != 4 or pred.shape[1] != pred.shape[2] or pred.shape[3] < 6:
        raise ValueError(f"pred must be (n, grid, grid, 5 + n_classes), got shape {pred.shape}")
    size = _checks.positive_int(size, "size")
    score_threshold = _checks.number_in(score_threshold, "score_threshold", 0, 1)
    iou_threshold = _checks.number_in(iou_threshold, "iou_threshold", 0, 1)
    grid = pred.shape[1]
    cell = size / grid
    rows, cols = np.meshgrid(np.arange(grid), np.arange(grid), indexing="ij")
    out = []
    for p in pred:
        scores, classes = p[..., 0] * p[..., 5:].max(-1), p[..., 5:].argmax(-1)
        cx, cy = (cols + p[..., 1]) * cell, (rows + p[..., 2]) * cell
        w, h = p[..., 3] ** 2 * size, p[..., 4] ** 2 * size
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1)
        keep = scores >= score_threshold
        boxes, scores, classes = boxes[keep], scores[keep], classes[keep]
        kept = _nms(boxes, scores, iou_threshold)
        out.append((boxes[kept], scores[kept], classes[kept]))
    return out


def grid_loss(target, pred):
    """YOLO's sum-squared loss, summed over cells and averaged over images (the objectness target
    is 1, where YOLO uses the predicted box's IoU). target, pred: (n, grid, grid, 5 + n_classes)
    -> a number."""
    obj = target[..., 0]
    box = np.sum((target[..., 1:5] - pred[..., 1:5]) ** 2, -1)
    cls = np.sum((target[..., 5:] - pred[..., 5:]) ** 2, -1)
    conf = (target[..., 0] - pred[..., 0]) ** 2
    per_cell = obj * (LAMBDA_COORD * box + conf + cls) + (1 - obj) * LAMBDA_NOOBJ * conf
    return float(np.mean(np.sum(per_cell, axis=(1, 2))))


def keras_grid_loss(target, pred):
    """`grid_loss` in keras.ops, per image: (n, grid, grid, 5 + n_classes) -> (n,)."""
    from keras import ops

    obj = target[..., 0]
    box = ops.sum((target[..., 1:5] - pred[..., 1:5]) ** 2, -1)
    cls = ops.sum((target[..., 5:] - pred[..., 5:]) ** 2, -1)
    conf = (target[..., 0] - pred[..., 0]) ** 2
    per_cell = obj * (LAMBDA_COORD * box + conf + cls) + (1 - obj) * LAMBDA_NOOBJ * conf
    return ops.sum(per_cell, axis=(1, 2))


def keras_grid_detector(size=48, grid=6, n_classes=10, filters=(16, 32, 64), seed=0):
    """A compiled Keras CNN mapping canvases (n, size, size, 1) to grid outputs (n, grid, grid,
    5 + n_classes): 3 x 3 convolutions with ReLU, each followed by 2 x 2 max pooling, until the map
    is grid x grid, then a 1 x 1 convolution; sigmoid on objectness, offsets and sqrt sizes,
    softmax over the classes. Loss `keras_grid_loss`, Adam."""
    import keras

    size, grid = _checks.positive_int(size, "size"), _checks.positive_int(grid, "grid")
    n_classes = _checks.positive_int(n_classes, "n_classes")
    if size != grid * 2 ** len(filters):
        raise ValueError(f"{len(filters)} poolings take {size} pixels to {size / 2 ** len(filters):g} "
                         f"cells, not grid={grid}: need size = grid * 2 ** len(filters)")
    keras.utils.set_random_seed(_checks.positive_int(seed, "seed", minimum=0))
    x = inputs = keras.Input((size, size, 1))
    for f in filters:
        x = keras.layers.Conv2D(f, 3, padding="same", activation="relu")(x)
        x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(filters[-1], 3, padding="same", activation="relu")(x)
    raw = keras.layers.Conv2D(5 + n_classes, 1)(x)
    out = keras.layers.Concatenate()([keras.activations.sigmoid(raw[..., :5]),
                                      keras.activations.softmax(raw[..., 5:])])
    model = keras.Model(inputs, out)
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss=keras_grid_loss)
    return model


# --- sliding windows ----------------------------------------------------------------------------


def sliding_windows(image, window, stride=1):
    """Every `window` x `window` patch of a grey image, stepping `stride` pixels.
    image (h, w) -> patches (k, window, window), boxes (k, 4)."""
    image = _checks.as_float_array(image, "image")
    if image.ndim != 2:
        raise ValueError(f"image must be grey (h, w), got shape {image.shape}")
    window, stride = _checks.positive_int(window, "window"), _checks.positive_int(stride, "stride")
    if window > min(image.shape):
        raise ValueError(f"a window of {window} pixels does not fit in an image of {image.shape}")
    view = np.lib.stride_tricks.sliding_window_view(image, (window, window))[::stride, ::stride]
    ys, xs = np.meshgrid(np.arange(view.shape[0]) * stride, np.arange(view.shape[1]) * stride, indexing="ij")
    boxes = np.stack([xs, ys, xs + window, ys + window], -1).reshape(-1, 4).astype(float)
    return view.reshape(-1, window, window), boxes


def multiscale_windows(image, window, scales, stride=1):
    """`sliding_windows` over the image resized by each of `scales` (bilinear, `scipy.ndimage.zoom`);
    boxes in the original image's pixels, so a window at scale s covers window / s pixels.
    -> patches (k, window, window), boxes (k, 4)."""
    image = _checks.as_float_array(image, "image")
    scales = _checks.as_float_array(scales, "scales").reshape(-1)
    if scales.size == 0 or np.any(scales <= 0):
        raise ValueError(f"scales must be positive numbers, got {scales}")
    patches, boxes = [], []
    for s in scales:
        p, b = sliding_windows(ndimage.zoom(image, s, order=1), window, stride)
        patches.append(p)
        boxes.append(b / s)
    return np.concatenate(patches), np.concatenate(boxes)


def hard_negatives(images, score, window, scales, stride=4, per_image=200):
    """The `per_image` windows of each face-free image that `score` (patches (k, window, window)
    -> (k,) probabilities of the object) rates highest: the negatives a detector gets most wrong,
    to add to its training set (bootstrapping, as Viola and Jones, 2001, trained their cascade).
    images: list of grey (h, w) -> (len(images) * per_image, window, window)."""
    if not callable(score):
        raise TypeError(f"score must be a function of the patches, got {_checks.describe(score)}")
    per_image = _checks.positive_int(per_image, "per_image")
    hardest = []
    for image in images:
        patches, _ = multiscale_windows(image, window, scales, stride)
        s = np.asarray(score(patches)).reshape(-1)
        hardest.append(patches[np.argsort(-s, kind="stable")[:per_image]])
    return np.concatenate(hardest)


def match_boxes(a, b, iou_threshold=0.5):
    """Pair boxes of two lists one to one, greedily by IoU, best pair first, keeping pairs with
    IoU >= `iou_threshold`. a (k, 4), b (m, 4) -> list of (i, j, IoU)."""
    a, b = _check_boxes(np.reshape(a, (-1, 4)), "a"), _check_boxes(np.reshape(b, (-1, 4)), "b")
    iou_threshold = _checks.number_in(iou_threshold, "iou_threshold", 0, 1, low_open=True)
    overlap = _iou(a[:, None], b[None])
    pairs = []
    while overlap.size and overlap.max() >= iou_threshold:
        i, j = np.unravel_index(np.argmax(overlap), overlap.shape)
        pairs.append((int(i), int(j), float(overlap[i, j])))
        overlap[i, :], overlap[:, j] = -1, -1
    return pairs


def skimage_cascade_faces(image, min_size=40, max_size=200, scale_factor=1.2, step_ratio=1.0):
    """Faces found by scikit-image's LBP frontal-face cascade (the OpenCV-trained file it ships).
    image: grey (h, w) in [0, 1] -> boxes (k, 4)."""
    from skimage.data import lbp_frontal_face_cascade_filename
    from skimage.feature import Cascade

    image = _checks.as_float_array(image, "image")
    if image.ndim != 2:
        raise ValueError(f"image must be grey (h, w), got shape {image.shape}")
    found = Cascade(lbp_frontal_face_cascade_filename()).detect_multi_scale(
        img=image, scale_factor=scale_factor, step_ratio=step_ratio,
        min_size=(min_size, min_size), max_size=(max_size, max_size))
    return np.array([[d["c"], d["r"], d["c"] + d["width"], d["r"] + d["height"]] for d in found],
                    float).reshape(-1, 4)


def window_labels(canvases, window=14, stride=2, n_classes=10):
    """Training labels for a sliding-window digit classifier, from canvases with known boxes: a
    window is labelled with a digit's class when it holds that digit's whole box and the two
    centres lie within `stride` pixels of each other (or as near as any window gets, at the edges);
    every other window is background, class `n_classes`. -> patches (k, window, window), labels (k,)."""
    patches, labels = [], []
    for image, boxes, classes in zip(canvases.images, canvases.boxes, canvases.classes):
        p, w = sliding_windows(image, window, stride)
        label = np.full(len(w), n_classes)
        for b, c in zip(boxes, classes):
            inside = np.all(w[:, :2] <= b[:2], 1) & np.all(w[:, 2:] >= b[2:], 1)
            off = np.where(inside, np.max(np.abs((w[:, :2] + w[:, 2:]) - (b[:2] + b[2:])) / 2, 1), np.inf)
            label[off <= max(stride, off.min())] = c
        patches.append(p)
        labels.append(label)
    return np.concatenate(patches), np.concatenate(labels)


def keras_window_classifier(window=14, n_classes=10, seed=0):
    """The baseline's compiled Keras classifier: windows (k, window, window) -> probabilities of
    the `n_classes` digits and background (k, n_classes + 1). A 3 x 3 convolution (16 filters,
    ReLU), 2 x 2 max pooling, Dense 64 ReLU, softmax; sparse cross-entropy, Adam."""
    import keras

    window, n_classes = _checks.positive_int(window, "window"), _checks.positive_int(n_classes, "n_classes")
    keras.utils.set_random_seed(_checks.positive_int(seed, "seed", minimum=0))
    model = keras.Sequential([
        keras.Input((window, window)), keras.layers.Reshape((window, window, 1)),
        keras.layers.Conv2D(16, 3, activation="relu"), keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(), keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(n_classes + 1, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def sliding_window_detect(images, classify, window=14, stride=2, score_threshold=0.5,
                          iou_threshold=0.3, refine=True, ink=0.1):
    """The baseline detector: classify every window of each image (`classify`: patches
    (k, window, window) -> class probabilities (k, n_classes + 1), background last; called once
    on the windows of all images); a window's score is its best digit probability; windows scoring
    >= `score_threshold` are kept, shrunk to the `ink_box` of their pixels if `refine` (else the
    window itself is the box), and thinned by `nms`. -> per image (boxes, scores, classes)."""
    images = _checks.as_float_array(images, "images")
    if images.ndim != 3:
        raise ValueError(f"images must be (n, h, w), got shape {images.shape}")
    if not callable(classify):
        raise TypeError(f"classify must be a function of the patches, got {_checks.describe(classify)}")
    refine = _checks.flag(refine, "refine")
    windows = [sliding_windows(image, window, stride) for image in images]
    probs = np.asarray(classify(np.concatenate([p for p, _ in windows])))[:, :-1]
    out = []
    for i, (patches, boxes) in enumerate(windows):
        pr = probs[i * len(boxes):(i + 1) * len(boxes)]
        scores, classes = pr.max(1), pr.argmax(1)
        keep = np.nonzero(scores >= score_threshold)[0]
        for k in keep if refine else ():
            if np.any(patches[k] > ink):
                boxes[k] = ink_box(patches[k], ink) + np.tile(boxes[k, :2], 2)
        boxes, scores, classes = boxes[keep], scores[keep], classes[keep]
        kept = _nms(boxes, scores, iou_threshold)
        out.append((boxes[kept], scores[kept], classes[kept]))
    return out


# --- localising one object by box regression --------------------------------------------------------


def box_targets(boxes, size=48):
    """Boxes of one object per image scaled to [0, 1]: list of (1, 4) -> (n, 4)."""
    b = np.concatenate([np.reshape(x, (-1, 4)) for x in boxes])
    if len(b) != len(boxes):
        raise ValueError("box_targets needs exactly one box per image")
    return b / _checks.positive_int(size, "size")


def localiser(size=48, hidden=256, seed=0, dtype="float32"):
    """The NumPy-engine MLP that regresses one box: flat canvases (n, size * size) -> (n, 4),
    (x0, y0, x1, y1) / size through a sigmoid. Built with `seed`, ready to compile."""
    size, hidden = _checks.positive_int(size, "size"), _checks.positive_int(hidden, "hidden")
    model = Sequential([Dense(hidden, activation="relu"), Dense(4, activation="sigmoid")])
    model.build((size * size,), seed=seed, dtype=dtype)
    return model
