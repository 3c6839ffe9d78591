"""Chapter 10's faces: a face/non-face classifier, and face verification with an embedding trained
by the triplet loss, judged by a ROC curve and its area, all measured on offline data.

**Verification** asks "are these two photos of the same identity?": an embedding network maps
each image to a point on the unit sphere, and two images are called the same when their points lie
closer than a threshold; sweeping the threshold traces the ROC curve (true-positive rate against
false-positive rate) and its area, the AUC, is the chance that a random same pair lies closer than
a random different pair. The triplet loss (Schroff, Kalenichenko and Philbin, 2015) trains it:
for an anchor a, a positive p of the same identity and a negative n of another,
L = mean(max(0, |a - p|^2 - |a - n|^2 + margin)).

**Where the identities come from, and the limits.** No offline data set ships several photos of
one person: scikit-image's `lfw_subset` holds 100 faces with no names. So each face photo is its
own identity, and its *views* (random shifts, mirror images, brightness and contrast changes and
pixel noise, `views`) are the photos of that identity: instance discrimination. The embedding is
trained on the faces of the training split and judged on the faces of the test split, identities
it never saw. What this measures is invariance to those augmentations only: real verification must
also survive changes of pose, expression, lighting, age and camera, which no augmentation here
imitates; and two photos of the same person in `lfw_subset`, if any, would count as different
identities. So the AUC says how well the embedding ignores those changes on faces it never saw,
not how well it would recognise people.

Keras is imported only inside `keras_*` functions.
"""

import numpy as np
from scipy import ndimage

from .. import _checks

# --- ROC curve and AUC ----------------------------------------------------------------------------


def _check_labels_scores(y_true, scores):
    y = np.asarray(y_true)
    s = _checks.as_float_array(scores, "scores").reshape(-1)
    if y.dtype.kind not in "biu" and not (y.dtype.kind == "f" and np.all(np.isin(y, (0, 1)))):
        raise TypeError(f"y_true must hold 0/1 labels, got dtype {y.dtype}")
    y = y.reshape(-1).astype(np.int64)
    if y.shape != s.shape or np.any((y != 0) & (y != 1)):
        raise ValueError(f"y_true must be 0/1 labels, one per score, got shapes {y.shape} and {s.shape}")
    if y.all() or not y.any():
        raise ValueError("a ROC curve needs both positives (1) and negatives (0) in y_true")
    return y, s


def roc_curve(y_true, scores):
    """The ROC curve: at each distinct score taken as threshold (predict 1 when score >= it),
    highest first, the false- and true-positive rates. y_true (k,) 0/1, scores (k,) ->
    fpr, tpr, thresholds, each (t + 1,), starting at (0, 0) with threshold inf (as scikit-learn's
    `roc_curve(..., drop_intermediate=False)`)."""
    y, s = _check_labels_scores(y_true, scores)
    order = np.argsort(-s, kind="stable")
    y, s = y[order], s[order]
    last = np.concatenate([np.nonzero(np.diff(s))[0], [len(s) - 1]])  # last index of each score
    tp = np.cumsum(y)[last]
    fp = last + 1 - tp
    return (np.concatenate([[0.0], fp / fp[-1]]), np.concatenate([[0.0], tp / tp[-1]]),
            np.concatenate([[np.inf], s[last]]))


def auc(fpr, tpr):
    """Area under a curve by the trapezoidal rule. fpr (t,) non-decreasing, tpr (t,) -> a number."""
    x = _checks.as_float_array(fpr, "fpr").reshape(-1)
    y = _checks.as_float_array(tpr, "tpr").reshape(-1)
    if x.shape != y.shape or len(x) < 2 or np.any(np.diff(x) < 0):
        raise ValueError(f"fpr and tpr need the same length >= 2 and fpr non-decreasing, got shapes "
                         f"{x.shape} and {y.shape}")
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2))


# --- the triplet loss -------------------------------------------------------------------------------


def _check_triplet(a, p, n, margin):
    a, p, n = (_checks.as_float_array(v, name) for v, name in ((a, "a"), (p, "p"), (n, "n")))
    if a.ndim != 2 or a.shape != p.shape or a.shape != n.shape:
        raise ValueError(f"a, p and n must be embeddings of the same shape (batch, d), got {a.shape}, "
                         f"{p.shape} and {n.shape}")
    return a, p, n, _checks.number_in(margin, "margin", 0)


def triplet_loss(a, p, n, margin=0.2):
    """mean over the batch of max(0, |a - p|^2 - |a - n|^2 + margin). a, p, n: (batch, d) -> a number."""
    a, p, n, margin = _check_triplet(a, p, n, margin)
    return float(np.mean(np.maximum(0.0, _triplet_gap(a, p, n, margin))))


def _triplet_gap(a, p, n, margin):
    return np.sum((a - p) ** 2, axis=1) - np.sum((a - n) ** 2, axis=1) + margin


def triplet_loss_gradient(a, p, n, margin=0.2):
    """dL/da, dL/dp, dL/dn of `triplet_loss`, each (batch, d). Only triplets whose gap is positive
    contribute: there dL/da = 2 (n - p) / batch, dL/dp = 2 (p - a) / batch, dL/dn = 2 (a - n) / batch."""
    a, p, n, margin = _check_triplet(a, p, n, margin)
    active = (_triplet_gap(a, p, n, margin) > 0)[:, None] * (2.0 / len(a))
    return active * (n - p), active * (p - a), active * (a - n)


def keras_triplet_loss(margin=0.2):
    """The triplet loss for `Model.fit`: y_pred (batch, 3 d) holds [a, p, n] side by side; y_true
    is ignored. -> loss(y_true, y_pred) -> (batch,)."""
    from keras import ops

    margin = _checks.number_in(margin, "margin", 0)

    def loss(y_true, y_pred):
        a, p, n = ops.split(y_pred, 3, axis=-1)
        gap = ops.sum((a - p) ** 2, axis=-1) - ops.sum((a - n) ** 2, axis=-1) + margin
        return ops.maximum(gap, 0.0)

    return loss


# --- data: views and triplets ----------------------------------------------------------------------


def views(images, n_views, seed=0, shift=2, brightness=0.15, contrast=0.25, noise=0.03):
    """`n_views` random views of each image: shifted by up to `shift` pixels (edges repeated),
    mirrored left-right with probability 1/2, contrast scaled by 1 +- `contrast`, brightness
    moved by +- `brightness`, Gaussian noise of std `noise`, clipped to [0, 1].
    images (m, h, w) -> (m, n_views, h, w)."""
    x = _checks.as_float_array(images, "images")
    if x.ndim != 3:
        raise ValueError(f"images must be (m, h, w), got shape {x.shape}")
    n_views = _checks.positive_int(n_views, "n_views")
    shift = _checks.positive_int(shift, "shift", minimum=0)
    rng = _checks.generator(seed)
    m, h, w = x.shape
    out = np.empty((m, n_views, h, w))
    for i in range(m):
        for v in range(n_views):
            img = ndimage.shift(x[i], rng.uniform(-shift, shift, 2), order=1, mode="nearest")
            if rng.random() < 0.5:
                img = img[:, ::-1]
            img = (img - img.mean()) * rng.uniform(1 - contrast, 1 + contrast) + img.mean()
            img = img + rng.uniform(-brightness, brightness) + noise * rng.standard_normal((h, w))
            out[i, v] = np.clip(img, 0, 1)
    return out


def triplets(n_identities, n_views, n, seed=0):
    """`n` random triplets of (identity, view) index pairs from a (n_identities, n_views, ...) array:
    anchor and positive two different views of one identity, the negative a view of another.
    -> (n, 3, 2) ints."""
    n_identities = _checks.positive_int(n_identities, "n_identities", minimum=2)
    n_views = _checks.positive_int(n_views, "n_views", minimum=2)
    rng = _checks.generator(seed)
    anchor = rng.integers(n_identities, size=n)
    other = (anchor + rng.integers(1, n_identities, size=n)) % n_identities
    va = rng.integers(n_views, size=n)
    vp = (va + rng.integers(1, n_views, size=n)) % n_views
    vn = rng.integers(n_views, size=n)
    return np.stack([np.stack([anchor, va], 1), np.stack([anchor, vp], 1), np.stack([other, vn], 1)], 1)


def verification_pairs(n_identities, n_views):
    """Every pair of views of a (n_identities, n_views) set: (i1, v1, i2, v2) rows and labels
    1 (same identity) / 0 (different). -> pairs (k, 4) ints, same (k,) ints."""
    n_identities = _checks.positive_int(n_identities, "n_identities", minimum=2)
    n_views = _checks.positive_int(n_views, "n_views", minimum=2)
    flat = np.arange(n_identities * n_views)
    i, j = np.triu_indices(len(flat), k=1)
    pairs = np.stack([i // n_views, i % n_views, j // n_views, j % n_views], 1)
    return pairs, (pairs[:, 0] == pairs[:, 2]).astype(np.int64)


def pair_similarity(embeddings, pairs):
    """Minus the squared distance between the two embeddings of each pair (higher = more alike).
    embeddings (n_identities, n_views, d), pairs (k, 4) -> (k,)."""
    e = _checks.as_float_array(embeddings, "embeddings")
    pairs = np.asarray(pairs)
    if e.ndim != 3 or pairs.ndim != 2 or pairs.shape[1] != 4:
        raise ValueError(f"embeddings must be (n_identities, n_views, d) and pairs (k, 4), got "
                         f"{e.shape} and {pairs.shape}")
    return -np.sum((e[pairs[:, 0], pairs[:, 1]] - e[pairs[:, 2], pairs[:, 3]]) ** 2, axis=1)


# --- the Keras networks -----------------------------------------------------------------------------


def keras_face_classifier(size=25, seed=0):
    """A compiled Keras CNN: grey faces (n, size, size, 1) -> P(face) (n, 1). Two 3 x 3
    convolutions (8 and 16 filters, ReLU), each followed by 2 x 2 max pooling, a Dense layer of 32
    ReLU units and one sigmoid unit; binary cross-entropy, Adam."""
    import keras

    size = _checks.positive_int(size, "size", minimum=10)
    keras.utils.set_random_seed(_checks.positive_int(seed, "seed", minimum=0))
    model = keras.Sequential([
        keras.Input((size, size, 1)),
        keras.layers.Conv2D(8, 3, activation="relu"), keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(16, 3, activation="relu"), keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(), keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def keras_embedding_net(size=25, dim=16, seed=0):
    """An uncompiled Keras CNN: (n, size, size, 1) -> (n, dim) embeddings of unit length. Two 3 x 3
    convolutions (16 and 32 filters, ReLU) with 2 x 2 max pooling, a Dense layer of `dim` units,
    then division by the length."""
    import keras

    size = _checks.positive_int(size, "size", minimum=10)
    dim = _checks.positive_int(dim, "dim")
    keras.utils.set_random_seed(_checks.positive_int(seed, "seed", minimum=0))
    return keras.Sequential([
        keras.Input((size, size, 1)),
        keras.layers.Conv2D(16, 3, activation="relu"), keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(), keras.layers.Dense(dim), keras.layers.UnitNormalization(),
    ])


def keras_triplet_model(embed, margin=0.2, learning_rate=1e-3):
    """A compiled Keras model with three image inputs (anchor, positive, negative) sharing `embed`,
    outputting their embeddings side by side (batch, 3 d); loss `keras_triplet_loss(margin)`, Adam.
    Training it trains `embed`."""
    import keras

    shape = embed.input_shape[1:]
    inputs = [keras.Input(shape) for _ in range(3)]
    model = keras.Model(inputs, keras.layers.Concatenate()([embed(x) for x in inputs]))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=keras_triplet_loss(margin))
    return model
