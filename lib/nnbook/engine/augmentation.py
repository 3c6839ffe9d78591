"""Data augmentation for images: random changes to a training batch that keep its labels true.

Every function takes a batch of images `x: (n, h, w)` or `(n, h, w, c)` -- or flat images
`(n, h * w [* c])` with `shape=(h, w[, c])`, as MNIST comes -- and returns a new batch of the
same shape and dtype; the random ones draw from a `numpy.random.Generator` `rng`:

| function                             | what each image gets                                          |
|--------------------------------------|---------------------------------------------------------------|
| `translate(x, rows, cols)`           | moved down `rows`, right `cols` pixels, the gap filled with 0 |
| `shift(x, rng, max_shift)`           | `translate` by integers drawn uniformly from -k..k, k = max_shift |
| `rotate_by(x, degrees)`              | turned `degrees` counter-clockwise about its centre (bilinear) |
| `rotate(x, rng, max_degrees)`        | `rotate_by` an angle drawn from U(-max_degrees, max_degrees)  |
| `gaussian_noise(x, rng, stddev)`     | plus independent N(0, stddev^2) noise on every pixel          |

`chain(f, g, ..., shape=...)` makes one function (x, rng) -> x' applying them in turn, the form
`Sequential.fit(..., augment=...)` takes; fix the strengths with `functools.partial`:
`chain(partial(shift, max_shift=2), partial(rotate, max_degrees=10), shape=(28, 28))`.

Keras twins (`keras_shift`, `keras_rotate`, `keras_noise`): `RandomTranslation`, `RandomRotation`
and `GaussianNoise`, set up to draw from the same distributions with the same fill (zeros; Keras's
default fill "reflect" would mirror the image into the gap instead). Keras translates by a real
number of pixels; with nearest-pixel sampling that is a whole-pixel shift, round(t), so drawing
t from U(-(k + 1/2), k + 1/2) makes every integer in -k..k equally likely, as `shift` does.
"""

import numpy as np
from scipy import ndimage

from .. import _checks


def _images(x, shape):
    """(x as images (n, h, w[, c]), the shape to give the result back in)."""
    x = _checks.as_float_array(x, "x")
    if shape is not None:
        shape = _checks.shape(shape, "shape")
        if len(shape) not in (2, 3) or x.ndim < 2 or int(np.prod(x.shape[1:])) != int(np.prod(shape)):
            raise ValueError(f"shape must be (h, w) or (h, w, c) holding the {x.shape[1:]} values of "
                             f"each image, got {shape}")
        return x.reshape(len(x), *shape), x.shape
    if x.ndim not in (3, 4) or len(x) == 0:
        raise ValueError(f"x must be images (n, h, w) or (n, h, w, c), or flat images with "
                         f"shape=(h, w[, c]), got shape {x.shape}")
    return x, x.shape


def _per_image(value, n, name, integer=False):
    """`value` (one number, or one per image) as an array (n,)."""
    value = np.asarray(value)
    kinds = "iu" if integer else "iuf"
    if value.dtype.kind not in kinds or value.ndim > 1 or (value.ndim == 1 and len(value) != n):
        what = "integers" if integer else "numbers"
        raise ValueError(f"{name} must be one or {n} {what} (one per image), got {_checks.describe(value)}")
    return np.broadcast_to(value, (n,))


def translate(x, rows, cols, shape=None):
    """Image i moved down rows[i] and right cols[i] whole pixels (negative: up, left), the pixels
    moved in filled with 0. rows, cols: ints or (n,) int arrays. x: (n, h, w[, c]) -> same."""
    images, out_shape = _images(x, shape)
    n, h, w = images.shape[:3]
    rows, cols = _per_image(rows, n, "rows", True), _per_image(cols, n, "cols", True)
    moved = np.zeros_like(images)
    for i, (dr, dc) in enumerate(zip(rows, cols)):
        if abs(dr) < h and abs(dc) < w:  # else the image leaves the frame: all zeros
            moved[i, max(dr, 0):h + min(dr, 0), max(dc, 0):w + min(dc, 0)] = \
                images[i, max(-dr, 0):h + min(-dr, 0), max(-dc, 0):w + min(-dc, 0)]
    return moved.reshape(out_shape)


def shift(x, rng, max_shift=1, shape=None):
    """Every image translated by (rows, cols), each drawn uniformly from the integers
    -max_shift..max_shift. x: (n, h, w[, c]) -> same."""
    images, out_shape = _images(x, shape)
    max_shift = _checks.positive_int(max_shift, "max_shift", minimum=0)
    rng = _checks.generator(rng, "rng")
    n = len(images)
    rows = rng.integers(-max_shift, max_shift + 1, size=n)
    cols = rng.integers(-max_shift, max_shift + 1, size=n)
    return translate(images, rows, cols).reshape(out_shape)


def rotate_by(x, degrees, shape=None):
    """Image i turned degrees[i] counter-clockwise about its centre ((h - 1)/2, (w - 1)/2): each
    output pixel (r, c) takes the input, interpolated bilinearly, at the point that the rotation
    carries onto it (0 outside the image). degrees: a number or (n,). x: (n, h, w[, c]) -> same."""
    images, out_shape = _images(x, shape)
    n, h, w = images.shape[:3]
    theta = np.deg2rad(_per_image(degrees, n, "degrees"))[:, None, None]
    cy, cx = (h - 1) / 2, (w - 1) / 2
    r, c = np.mgrid[0:h, 0:w]
    r_in = cy + np.sin(theta) * (c - cx) + np.cos(theta) * (r - cy)  # (n, h, w)
    c_in = cx + np.cos(theta) * (c - cx) - np.sin(theta) * (r - cy)
    i = np.broadcast_to(np.arange(n)[:, None, None], r_in.shape)
    channels = images[..., None] if images.ndim == 3 else images
    turned = np.stack([ndimage.map_coordinates(channels[..., k], [i, r_in, c_in], order=1, cval=0.0)
                       for k in range(channels.shape[-1])], axis=-1)
    return turned.astype(images.dtype).reshape(out_shape)


def rotate(x, rng, max_degrees=10.0, shape=None):
    """Every image turned by an angle drawn from U(-max_degrees, max_degrees) (counter-clockwise
    for positive angles). x: (n, h, w[, c]) -> same."""
    images, out_shape = _images(x, shape)
    max_degrees = _checks.number_in(max_degrees, "max_degrees", 0, 180)
    rng = _checks.generator(rng, "rng")
    return rotate_by(images, rng.uniform(-max_degrees, max_degrees, size=len(images))).reshape(out_shape)


def gaussian_noise(x, rng, stddev=0.1, shape=None):
    """x + N(0, stddev^2) noise, drawn independently for every pixel. x: any shape -> same.
    (`shape` is accepted for a uniform signature; noise needs no image shape.)"""
    x = _checks.as_float_array(x, "x")
    stddev = _checks.number_in(stddev, "stddev", 0)
    rng = _checks.generator(rng, "rng")
    return (x + rng.normal(0.0, stddev, size=x.shape)).astype(x.dtype)


def chain(*steps, shape=None):
    """One augmentation (x, rng) -> x' that applies each step (x, rng) -> x' in turn, the images
    seen as `shape` (h, w[, c]) if they come flat; the result has the shape of x."""
    if not steps or not all(callable(f) for f in steps):
        raise TypeError(f"chain needs one or more functions (x, rng) -> x, got {steps!r}")
    if shape is not None:
        shape = _checks.shape(shape, "shape")

    def augment(x, rng):
        images, out_shape = _images(x, shape)
        for f in steps:
            images = f(images, rng)
        return images.reshape(out_shape)

    return augment


# --- the Keras twins ----------------------------------------------------------------------------


def keras_shift(max_shift, image_shape, seed=None):
    """keras.layers.RandomTranslation moving images (n, h, w, c) by whole pixels drawn uniformly
    from -max_shift..max_shift, filling with 0 (see the module docstring)."""
    import keras

    max_shift = _checks.positive_int(max_shift, "max_shift", minimum=0)
    h, w = _checks.shape(image_shape, "image_shape")[:2]
    return keras.layers.RandomTranslation((max_shift + 0.5) / h, (max_shift + 0.5) / w,
                                          fill_mode="constant", fill_value=0.0,
                                          interpolation="nearest", seed=seed)


def keras_rotate(max_degrees, seed=None):
    """keras.layers.RandomRotation by angles from U(-max_degrees, max_degrees) (its factor is a
    fraction of a full turn), bilinear, filling with 0."""
    import keras

    max_degrees = _checks.number_in(max_degrees, "max_degrees", 0, 180)
    return keras.layers.RandomRotation(max_degrees / 360.0, fill_mode="constant", fill_value=0.0,
                                       interpolation="bilinear", seed=seed)


def keras_noise(stddev, seed=None):
    """keras.layers.GaussianNoise(stddev), which adds its noise only when training=True."""
    import keras

    return keras.layers.GaussianNoise(_checks.number_in(stddev, "stddev", 0), seed=seed)
