"""Chapter 12's generative adversarial networks: two-dimensional Gaussian mixtures to learn, the
alternating game of a generator G and a discriminator D on the NumPy engine and in Keras, the
metrics the mode-collapse papers report, and packing, the remedy of PacGAN.

**The data.** The 8-Gaussian *ring*: means on the unit circle at angles 2 pi k / 8, standard
deviation sigma = 0.01. The 5x5 *grid*: means at {-4, -2, 0, 2, 4}^2, sigma = 0.05. Both are the
settings of PacGAN's experiments (Lin et al., 2018; their `config.py` files), which follow VEEGAN
(Srivastava et al., 2017).

**The game** (Goodfellow et al., 2014). D outputs a logit l; its probability that x is real is
sigma(l). D minimises the cross-entropy of real (label 1) against generated (label 0) samples:
L_D = -mean log sigma(l_real) - mean log(1 - sigma(l_fake)). The generator of the minimax game
minimises mean log(1 - sigma(l_fake)) = -mean softplus(l_fake), whose gradient sigma(l)/n
vanishes where D rejects the fakes (l << 0); the non-saturating generator minimises
-mean log sigma(l_fake) = mean softplus(-l_fake) instead, with gradient -(1 - sigma(l))/n, largest
exactly there.

**Packing** (Lin et al., 2018). D judges m samples at once, concatenated: a packed real example
holds m real points, a packed fake one m generated points. A generator that covers few modes
makes packs whose points repeat each other's modes far more often than real packs do, a
difference D sees far more easily than in single samples. m = 1 is the plain GAN.
The generator is built for inputs (m, latent_dim): its Dense layers act on the last axis, so it
maps m noise vectors to m points with the same weights, and `Flatten` concatenates them for D.

**Metrics**, as PacGAN's code computes them (`MetricLogger` in their `extensions.py`; their
Table 1, which repeats VEEGAN's definitions): each generated point is assigned to its nearest
mode, measuring distance in standard deviations; it is *high quality* if that distance is below
3; a mode is *captured* if at least one high-quality point is assigned to it (`min_count=1`);
both counted on 2,500 generated points. For digits, `class_score` counts the distinct classes a
classifier assigns to the generated images and the KL divergence of their label histogram from
the uniform one.

Keras is imported only inside `keras_*` functions.
"""

import numpy as np

from .. import _checks
from ..engine import Dense, Flatten, Sequential, losses, optimizers
from ..engine.activations import sigmoid

RING_SIGMA = 0.01   # PacGAN's 2D-ring
GRID_SIGMA = 0.05   # PacGAN's (and VEEGAN's) 2D-grid
N_EVAL = 2500       # points generated to measure a generator, as in PacGAN
LOSSES = ("non_saturating", "minimax")

# --- the data -------------------------------------------------------------------------------------


def ring_means(k=8, radius=1.0):
    """The k means on a circle of `radius`, at angles 2 pi i / k: (k, 2)."""
    k = _checks.positive_int(k, "k")
    radius = _checks.number_in(radius, "radius", 0, low_open=True)
    angles = 2 * np.pi * np.arange(k) / k
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def grid_means(side=5, spacing=2.0):
    """The side x side means of a square grid centred on 0 (side=5: {-4, ..., 4}^2): (side^2, 2)."""
    side = _checks.positive_int(side, "side")
    spacing = _checks.number_in(spacing, "spacing", 0, low_open=True)
    ticks = spacing * (np.arange(side) - (side - 1) / 2)
    return np.array([[a, b] for a in ticks for b in ticks])


def sample_mixture(means, sigma, n, rng=0):
    """n points of the equal-weight mixture of N(mean, sigma^2 I) over the rows of `means` (k, d),
    and the component each came from. -> x (n, d), labels (n,)."""
    means = _check_means(means)
    sigma = _checks.number_in(sigma, "sigma", 0, low_open=True)
    n = _checks.positive_int(n, "n")
    rng = _checks.generator(rng, "rng")
    labels = rng.integers(len(means), size=n)
    return means[labels] + sigma * rng.standard_normal((n, means.shape[1])), labels


def ring(n, rng=0):
    """n points of the 8-Gaussian ring (sigma = RING_SIGMA): (n, 2)."""
    return sample_mixture(ring_means(), RING_SIGMA, n, rng)[0]


def grid(n, rng=0):
    """n points of the 25-Gaussian grid (sigma = GRID_SIGMA): (n, 2)."""
    return sample_mixture(grid_means(), GRID_SIGMA, n, rng)[0]


DATASETS = {"ring": (ring_means, RING_SIGMA), "grid": (grid_means, GRID_SIGMA)}

# --- metrics --------------------------------------------------------------------------------------


def _check_means(means):
    means = _checks.as_float_array(means, "means")
    if means.ndim != 2 or len(means) == 0:
        raise ValueError(f"means must have shape (k, d) with k >= 1, got {means.shape}")
    return means


def mode_metrics(samples, means, sigma, threshold=3.0, min_count=1):
    """Modes captured and the share of high-quality samples (PacGAN's and VEEGAN's metrics).
    samples (n, d), means (k, d) -> {"modes": int, "high_quality": float in [0, 1],
    "counts": (k,) high-quality samples per mode}. A sample is high quality if its distance to
    the nearest mean is below `threshold` sigmas; a mode is captured if at least `min_count`
    high-quality samples are nearest to it."""
    means = _check_means(means)
    samples = _checks.as_float_array(samples, "samples")
    if samples.ndim != 2 or len(samples) == 0 or samples.shape[1] != means.shape[1]:
        raise ValueError(f"samples must have shape (n, {means.shape[1]}) with n >= 1, got {samples.shape}")
    sigma = _checks.number_in(sigma, "sigma", 0, low_open=True)
    threshold = _checks.number_in(threshold, "threshold", 0, low_open=True)
    min_count = _checks.positive_int(min_count, "min_count")
    return _mode_metrics(samples, means, sigma, threshold, min_count)


def _mode_metrics(samples, means, sigma, threshold=3.0, min_count=1):
    distance = np.sqrt(((samples[:, None, :] - means[None, :, :]) ** 2).sum(-1)) / sigma  # (n, k)
    nearest = distance.argmin(axis=1)
    good = distance[np.arange(len(samples)), nearest] < threshold
    counts = np.bincount(nearest[good], minlength=len(means))
    return {"modes": int((counts >= min_count).sum()), "high_quality": float(good.mean()),
            "counts": counts}


def kl_from_uniform(histogram):
    """KL(p || uniform) = log k - H(p) in nats, p the normalised histogram (k,) (0 log 0 = 0):
    0 when every class is equally frequent, log k when one class takes everything."""
    h = _checks.as_float_array(histogram, "histogram")
    if h.ndim != 1 or len(h) == 0 or h.min() < 0 or h.sum() <= 0:
        raise ValueError(f"histogram must be a non-empty 1-D array of counts >= 0 with a positive sum, "
                         f"got {_checks.describe(h)}")
    p = h / h.sum()
    nz = p > 0
    return float(np.log(len(p)) + np.sum(p[nz] * np.log(p[nz])))


def class_score(images, classify, n_classes=10):
    """A classifier's verdict on generated images: `classify(images)` returns labels (n,) or class
    scores (n, n_classes) (argmax taken). -> {"distinct": classes produced, "kl": KL of the label
    histogram from uniform (nats), "histogram": (n_classes,) counts}."""
    if not callable(classify):
        raise TypeError(f"classify must be a function images -> labels or scores, "
                        f"got {_checks.describe(classify)}")
    n_classes = _checks.positive_int(n_classes, "n_classes", minimum=2)
    images = _checks.as_float_array(images, "images")
    if images.ndim < 2 or len(images) == 0:
        raise ValueError(f"images must have shape (n, ...) with n >= 1, got {images.shape}")
    out = np.asarray(classify(images))
    if out.ndim == 2:
        if out.shape != (len(images), n_classes):
            raise ValueError(f"classify returned scores of shape {out.shape}, "
                             f"expected ({len(images)}, {n_classes})")
        labels = out.argmax(axis=1)
    elif out.shape == (len(images),) and out.dtype.kind in "iu":
        labels = out
    else:
        raise ValueError(f"classify must return integer labels ({len(images)},) or scores "
                         f"({len(images)}, {n_classes}), got {_checks.describe(out)}")
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"labels must lie in [0, {n_classes - 1}], got [{labels.min()}, {labels.max()}]")
    hist = np.bincount(labels, minlength=n_classes)
    return {"distinct": int((hist > 0).sum()), "kl": kl_from_uniform(hist), "histogram": hist}

# --- the losses -----------------------------------------------------------------------------------


def discriminator_loss(real_logits, fake_logits):
    """L_D = -mean log sigma(l_real) - mean log(1 - sigma(l_fake)) = mean softplus(-l_real) +
    mean softplus(l_fake): the sum of the two halves' binary cross-entropies."""
    real = _checks.as_float_array(real_logits, "real_logits")
    fake = _checks.as_float_array(fake_logits, "fake_logits")
    return float(np.mean(_softplus(-real)) + np.mean(_softplus(fake)))


def _softplus(z):
    """log(1 + e^z) without overflow: max(z, 0) + log(1 + e^-|z|)."""
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


class MinimaxGeneratorLoss(losses.Loss):
    """The generator's side of the minimax game, on D's logits l of generated samples:
    L_G = mean log(1 - sigma(l)) = -mean softplus(l); dL_G/dl = -sigma(l) / n. (`y_true` is
    ignored: the labels the engine passes to `train_step`.)"""

    name = "minimax_generator"

    def _check(self, y_true, y_pred):
        return y_true, losses._check_pred(y_pred)

    def _value(self, y_true, y_pred):
        return -np.mean(_softplus(y_pred))

    def _gradient(self, y_true, y_pred):
        return -sigmoid(y_pred) / y_pred.size


def generator_loss(fake_logits, kind="non_saturating"):
    """The generator's loss on D's logits of its samples: "non_saturating" -mean log sigma(l), or
    "minimax" mean log(1 - sigma(l))."""
    kind = _checks.one_of(kind, "kind", LOSSES)
    fake = _checks.as_float_array(fake_logits, "fake_logits")
    return float(np.mean(_softplus(-fake)) if kind == "non_saturating" else -np.mean(_softplus(fake)))


def generator_gradient(fake_logits, kind="non_saturating"):
    """dL_G/dl for the logits l (n,) of a batch: -(1 - sigma(l))/n (non-saturating) or
    -sigma(l)/n (minimax)."""
    kind = _checks.one_of(kind, "kind", LOSSES)
    fake = _checks.as_float_array(fake_logits, "fake_logits")
    return (-(1 - sigmoid(fake)) if kind == "non_saturating" else -sigmoid(fake)) / fake.size

# --- the GAN on the NumPy engine ------------------------------------------------------------------


def mlp(units, out, activation, input_shape, seed, dtype="float64"):
    """A built Sequential of Dense(u, activation) for u in `units`, then Dense(out)."""
    layers = [Dense(u, activation) for u in units] + [Dense(out)]
    return Sequential(layers).build(input_shape, seed=seed, dtype=dtype)


class GAN:
    """A generator and a discriminator playing the alternating game on the NumPy engine.

    generator: a built Sequential (pack, latent_dim) -> (pack, d); discriminator: a built
    Sequential (pack * d,) -> (1,) giving a logit. `train_step(real, z)` makes one step of each:
    D on packed real (label 1) and fake (label 0) samples, then G through the frozen D.
    """

    def __init__(self, generator, discriminator, loss="non_saturating", d_optimizer=None,
                 g_optimizer=None):
        if not isinstance(generator, Sequential) or not isinstance(discriminator, Sequential):
            raise TypeError("generator and discriminator must be nnbook Sequential models")
        generator.check_built("GAN")
        discriminator.check_built("GAN")
        if len(generator.input_shape) != 2:
            raise ValueError(f"the generator must take inputs (pack, latent_dim), "
                             f"got {generator.input_shape}")
        self.pack, self.latent_dim = generator.input_shape
        self.dim = generator.output_shape()[-1]
        if discriminator.input_shape != (self.pack * self.dim,) or discriminator.output_shape() != (1,):
            raise ValueError(f"the discriminator must map ({self.pack * self.dim},) to (1,), got "
                             f"{discriminator.input_shape} -> {discriminator.output_shape()}")
        self.loss = _checks.one_of(loss, "loss", LOSSES)
        self.G, self.D = generator, discriminator
        bce = losses.BinaryCrossentropy(from_logits=True)
        self.D.trainable = True
        self.D.compile(bce, optimizers.get(d_optimizer or optimizers.Adam(2e-4, beta_1=0.5)), metrics=())
        self.D.trainable = False  # frozen inside G -> Flatten -> D; D's own compile still trains it
        flatten = Flatten().build((self.pack, self.dim), dtype=generator.dtype)
        g_loss = bce if self.loss == "non_saturating" else MinimaxGeneratorLoss()
        self.GD = Sequential([self.G, flatten, self.D]).compile(
            g_loss, optimizers.get(g_optimizer or optimizers.Adam(2e-4, beta_1=0.5)), metrics=())
        self.D.trainable = True  # trained_keys are fixed at compile: D trains, GD trains G only

    def train_step(self, real, z):
        """One step of D, then one of G. real: (b * pack, d), z: (b, pack, latent_dim) ->
        (d_loss, g_loss), each before its step."""
        b, m = len(z), self.pack
        fake = self.G.forward(z)                                      # (b, m, d)
        x = np.concatenate([real.reshape(b, m * self.dim), fake.reshape(b, m * self.dim)])
        y = np.concatenate([np.ones((b, 1)), np.zeros((b, 1))])
        d_loss = 2 * self.D.train_step(x, y)       # BCE averages over 2b: the sum of the two halves
        g_loss = self.GD.train_step(z, np.ones((b, 1)))               # G through the frozen D
        return d_loss, g_loss

    def sample(self, n, rng=0):
        """n generated points: (n, d)."""
        n = _checks.positive_int(n, "n")
        z = _checks.generator(rng, "rng").standard_normal((n, 1, self.latent_dim))
        return self.G.forward(z.astype(self.G.dtype, copy=False)).reshape(n, self.dim)

    def decision(self, points):
        """D's probability that each point is real, for points (n, d) (each repeated `pack` times
        to fill a pack): (n,)."""
        points = _checks.as_float_array(points, "points")
        logits = self.D.forward(np.tile(points, (1, self.pack)))
        return sigmoid(logits[:, 0])


def make_gan(dim=2, latent_dim=2, pack=1, g_units=(128, 128, 128), d_units=(128, 128),
             loss="non_saturating", g_lr=2e-4, d_lr=2e-4, beta_1=0.5, seed=0, dtype="float64"):
    """A GAN of two MLPs: G (pack, latent_dim) -> (pack, dim) with ReLU, D (pack * dim,) -> (1,)
    with leaky ReLU; both trained by Adam(lr, beta_1)."""
    pack = _checks.positive_int(pack, "pack")
    seeds = np.random.SeedSequence(_checks.positive_int(seed, "seed", minimum=0)).spawn(2)
    G = mlp(g_units, dim, "relu", (pack, latent_dim), np.random.default_rng(seeds[0]), dtype)
    D = mlp(d_units, 1, "leaky_relu", (pack * dim,), np.random.default_rng(seeds[1]), dtype)
    return GAN(G, D, loss, optimizers.Adam(d_lr, beta_1=beta_1), optimizers.Adam(g_lr, beta_1=beta_1))


def train(gan, dataset, steps, batch_size=64, seed=0, every=None):
    """Train `gan` for `steps` steps on "ring" or "grid", each step on batch_size packs of fresh
    real points and noise from `seed`. -> {"d_loss": (steps,), "g_loss": (steps,), "snapshots":
    {step: N_EVAL generated points} every `every` steps (and at 0 and `steps`), "metrics":
    mode_metrics of the final N_EVAL points}."""
    if not isinstance(gan, GAN):
        raise TypeError(f"gan must be a GAN, got {_checks.describe(gan)}")
    dataset = _checks.one_of(dataset, "dataset", tuple(DATASETS))
    steps = _checks.positive_int(steps, "steps", minimum=0)
    batch_size = _checks.positive_int(batch_size, "batch_size")
    every = steps if every is None else _checks.positive_int(every, "every")
    means_of, sigma = DATASETS[dataset]
    means = means_of()
    rng = _checks.generator(seed, "seed")
    eval_rng = rng.spawn(1)[0]
    eval_z = eval_rng.standard_normal((N_EVAL, 1, gan.latent_dim))
    m = gan.pack

    def snapshot():
        return gan.G.forward(eval_z).reshape(N_EVAL, gan.dim)

    d_losses, g_losses, snapshots = np.zeros(steps), np.zeros(steps), {0: snapshot()}
    for step in range(steps):
        real = sample_mixture(means, sigma, batch_size * m, rng)[0]
        z = rng.standard_normal((batch_size, m, gan.latent_dim))
        d_losses[step], g_losses[step] = gan.train_step(real, z)
        if (step + 1) % every == 0 or step + 1 == steps:
            snapshots[step + 1] = snapshot()
    final = snapshots[steps]
    return {"d_loss": d_losses, "g_loss": g_losses, "snapshots": snapshots,
            "metrics": _mode_metrics(final, means, sigma)}

# --- the same GAN in Keras ------------------------------------------------------------------------


def keras_gan(gan):
    """Keras twins of gan's generator and discriminator (same weights) and fresh twins of its two
    optimisers: (G_k, D_k, g_opt, d_opt)."""
    return gan.G.to_keras(), gan.D.to_keras(), gan.GD.optimizer.to_keras(), gan.D.optimizer.to_keras()


def keras_train_step(G_k, D_k, g_opt, d_opt, real, z, loss="non_saturating"):
    """The same alternating step by GradientTape: D on packed real and fake, then G through D,
    each step updating only its own model's variables. -> (d_loss, g_loss) before the steps."""
    import tensorflow as tf

    b = len(z)
    bce = losses.BinaryCrossentropy(from_logits=True).to_keras(dtype=D_k.layers[0].variable_dtype)
    fake = G_k(z)
    x = tf.concat([tf.reshape(real, (b, -1)), tf.reshape(fake, (b, -1))], axis=0)
    y = tf.concat([tf.ones((b, 1), x.dtype), tf.zeros((b, 1), x.dtype)], axis=0)
    with tf.GradientTape() as tape:
        d_mean = bce(y, D_k(x))         # the mean over all 2b examples, as D.train_step takes it
    d_opt.apply_gradients(zip(tape.gradient(d_mean, D_k.trainable_variables), D_k.trainable_variables))
    d_loss = 2 * d_mean
    with tf.GradientTape() as tape:
        logits = D_k(tf.reshape(G_k(z), (b, -1)))
        if loss == "non_saturating":
            g_loss = bce(tf.ones_like(logits), logits)
        else:
            g_loss = -tf.reduce_mean(tf.nn.softplus(logits))
    g_opt.apply_gradients(zip(tape.gradient(g_loss, G_k.trainable_variables), G_k.trainable_variables))
    return float(d_loss), float(g_loss)
