"""Chapter 16's interpretability experiments on a classifier built with the engine (chapter 10's
MNIST CNN): gradient saliency |d logit_c / d x| by the engine's backward pass and by a Keras
GradientTape, gradient x input, integrated gradients (Sundararajan et al. 2017) with a check of
completeness, occlusion maps (Zeiler & Fergus 2014), the weight randomisation of the sanity check
(Adebayo et al. 2018) and Spearman's rank correlation.

Attributions are taken on the logit z_c, the input of the last layer's softmax: probabilities
saturate, so their gradients vanish on confident digits while the logit's do not.
"""

import copy

import numpy as np

from .. import _checks
from ..engine import Dense, Sequential

CHUNK = 64  # images per forward/backward pass along an integration path


def logit_model(model):
    """The same network with its last Dense layer's activation (softmax) removed: x -> z.
    The two share their layers' weights up to the last, whose weights are copied."""
    if not isinstance(model, Sequential) or not isinstance(model.layers[-1], Dense):
        raise TypeError(f"model must be a built Sequential ending in Dense, got {type(model).__name__}")
    top = model.layers[-1]
    linear = Dense(top.units).build(_shape_before(model, len(model.layers) - 1),
                                    dtype=top.params["kernel"].dtype)
    linear.set_weights(top.get_weights())
    return Sequential([*model.layers[:-1], linear])


def _shape_before(model, index):
    """The input shape (no batch axis) of model.layers[index]."""
    shape = model.input_shape
    for layer in model.layers[:index]:
        shape = layer.output_shape(shape)
    return shape


def _classes(c, n):
    c = np.broadcast_to(np.asarray(c), (n,))
    if c.dtype.kind not in "iu":
        raise TypeError(f"c must be class indices (integers), got dtype {c.dtype}")
    return c


def gradient(logits, x, c):
    """d z_c / d x for each image: logits = logit_model(...), x: (n, *input_shape), c: int or (n,)
    -> (n, *input_shape), by one forward and one backward pass of the engine."""
    x = logits.check_input(x)
    c = _classes(c, len(x))
    z = logits.forward(x)
    dz = np.zeros_like(z)
    dz[np.arange(len(x)), c] = 1.0       # seed the backward pass with d z_c / d z
    return logits.backward(dz)


def keras_gradient(keras_logits, x, c):
    """The same d z_c / d x with tf.GradientTape on the Keras twin (logit_model(...).to_keras())."""
    import tensorflow as tf

    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        z = keras_logits(x)
        z_c = tf.gather(z, _classes(c, len(x)), axis=1, batch_dims=1)
    return tape.gradient(z_c, x).numpy()


def integrated_gradients(logits, x, c, steps=32, baseline=None):
    """Integrated gradients of z_c along the straight path from `baseline` (default black, all 0)
    to x, by the trapezoid rule with `steps` intervals:
    IG_i = (x_i - x'_i) * mean over the path of d z_c / d x_i. x: (n, *input_shape) -> same shape.
    Completeness: IG sums to z_c(x) - z_c(x') up to the quadrature error."""
    x = logits.check_input(x)
    steps = _checks.positive_int(steps, "steps")
    baseline = np.zeros_like(x) if baseline is None else logits.check_input(
        np.broadcast_to(baseline, x.shape), "baseline")
    c = _classes(c, len(x))
    alphas = np.linspace(0.0, 1.0, steps + 1)
    weights = np.full(steps + 1, 1.0 / steps)
    weights[[0, -1]] /= 2                             # the trapezoid rule on [0, 1]
    total = np.zeros_like(x)
    for i in range(len(x)):                           # the path of image i, in chunks
        path = baseline[i] + alphas.reshape(-1, *[1] * (x.ndim - 1)) * (x[i] - baseline[i])
        path = path.astype(x.dtype)
        for j in range(0, steps + 1, CHUNK):         # at most CHUNK images per pass
            g = gradient(logits, path[j:j + CHUNK], c[i])
            total[i] += np.tensordot(weights[j:j + CHUNK], g, axes=1)
    return (x - baseline) * total


def class_logit(logits, x, c):
    """z_c for each image: (n, *input_shape), int or (n,) -> (n,)."""
    x = logits.check_input(x)
    c = _classes(c, len(x))
    return logits.forward(x)[np.arange(len(x)), c]


def occlusion(score, x, patch, stride=1, fill=0.0):
    """Occlusion map of one image x: (h, w, ...) for `score`, a function of a batch
    (m, h, w, ...) -> (m,): entry (i, j) is score(x) - score(x with the patch x patch square at
    row i * stride, column j * stride set to `fill`). -> (rows, cols)."""
    x = _checks.as_float_array(x)
    if x.ndim < 2:
        raise ValueError(f"x must be one image (h, w, ...), got shape {x.shape}")
    patch = _checks.positive_int(patch, "patch")
    stride = _checks.positive_int(stride, "stride")
    fill = _checks.number_in(fill, "fill")
    h, w = x.shape[:2]
    if patch > min(h, w):
        raise ValueError(f"patch must fit in the {h} x {w} image, got {patch}")
    rows, cols = range(0, h - patch + 1, stride), range(0, w - patch + 1, stride)
    batch = np.repeat(x[None], len(rows) * len(cols), axis=0)
    for k, (i, j) in enumerate((i, j) for i in rows for j in cols):
        batch[k, i:i + patch, j:j + patch] = fill
    full = np.asarray(score(x[None]))[0]
    return (full - np.asarray(score(batch))).reshape(len(rows), len(cols))


def occlusion_pixels(drops, patch, stride, image_shape):
    """Spread an occlusion map back onto pixels: each pixel gets the mean drop of the patches that
    covered it (0 where none did). drops: (rows, cols) -> image_shape (h, w)."""
    drops = _checks.as_float_array(drops, "drops")
    patch, stride = _checks.positive_int(patch, "patch"), _checks.positive_int(stride, "stride")
    h, w = _checks.shape(image_shape, "image_shape")
    total, count = np.zeros((h, w)), np.zeros((h, w))
    for i in range(drops.shape[0]):
        for j in range(drops.shape[1]):
            total[i * stride:i * stride + patch, j * stride:j * stride + patch] += drops[i, j]
            count[i * stride:i * stride + patch, j * stride:j * stride + patch] += 1
    return np.divide(total, count, out=np.zeros((h, w)), where=count > 0)


def randomized(model, layers, seed=0):
    """A copy of `model` whose layers at the indices `layers` get fresh weights from their own
    initialisers (drawn with `seed`); the others keep theirs. The model itself is unchanged."""
    rng = _checks.generator(seed)
    layers = [_checks.positive_int(k, "layer index", minimum=0) for k in layers]
    if any(k >= len(model.layers) for k in layers):
        raise ValueError(f"layer indices must be below {len(model.layers)}, got {layers}")
    new = copy.deepcopy(model)
    for k in sorted(layers):
        layer = new.layers[k]
        if layer.params:
            fresh = layer.init_params(_shape_before(new, k), rng)
            for name, value in fresh.items():
                layer.params[name] = value.astype(layer.params[name].dtype)
    return new


def ranks(a):
    """Ranks 1..n of the entries of a (flattened), ties given the mean of the ranks they span."""
    values, inverse, counts = np.unique(np.ravel(a), return_inverse=True, return_counts=True)
    return (np.cumsum(counts) - (counts - 1) / 2)[inverse]


def spearman(a, b):
    """Spearman's rank correlation of two maps of the same size: Pearson's correlation of their
    ranks."""
    a, b = _checks.as_float_array(a, "a"), _checks.as_float_array(b, "b")
    if a.size != b.size or a.size < 2:
        raise ValueError(f"a and b must have the same size >= 2, got {a.size} and {b.size}")
    ra, rb = ranks(a) - (a.size + 1) / 2, ranks(b) - (b.size + 1) / 2
    return float(ra @ rb / np.sqrt((ra @ ra) * (rb @ rb)))
