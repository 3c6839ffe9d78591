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

**Digits** (below `# --- digits ---`). `DigitGAN`: MLP players on 28 x 28 digits, optionally
class-conditional (the label's one-hot code appended to both players' inputs); `keras_dcgan`: the
convolutional players of DCGAN (Radford et al., 2016) in Keras, with its training step.

Keras is imported only inside `keras_*` functions.
"""

import numpy as np

from .. import _checks
from ..engine import Dense, Dropout, Flatten, Sequential, losses, optimizers
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


def train(gan, dataset, steps, batch_size=64, seed=0, every=None, scale=1.0, probe=None):
    """Train `gan` for `steps` steps on "ring" or "grid", each step on batch_size packs of fresh
    real points and noise from `seed`. The networks see the data divided by `scale` (standardised
    inputs: 4 puts the grid in [-1, 1]^2, where the ring lies); snapshots are in the data's units.
    -> {"d_loss": (steps,), "g_loss": (steps,), "snapshots": {step: N_EVAL generated points}
    every `every` steps (and at 0 and `steps`), "probes": {step: probe(gan)} at the same steps if
    `probe` is given, "metrics": mode_metrics of the final N_EVAL points}."""
    if not isinstance(gan, GAN):
        raise TypeError(f"gan must be a GAN, got {_checks.describe(gan)}")
    dataset = _checks.one_of(dataset, "dataset", tuple(DATASETS))
    steps = _checks.positive_int(steps, "steps", minimum=0)
    batch_size = _checks.positive_int(batch_size, "batch_size")
    every = steps if every is None else _checks.positive_int(every, "every")
    scale = _checks.number_in(scale, "scale", 0, low_open=True)
    if probe is not None and not callable(probe):
        raise TypeError(f"probe must be a function gan -> anything, got {_checks.describe(probe)}")
    means_of, sigma = DATASETS[dataset]
    means, sigma = means_of() / scale, sigma / scale
    rng = _checks.generator(seed, "seed")
    eval_rng = rng.spawn(1)[0]
    eval_z = eval_rng.standard_normal((N_EVAL, 1, gan.latent_dim))
    m = gan.pack

    snapshots, probes = {}, {}

    def snapshot(step):
        snapshots[step] = scale * gan.G.forward(eval_z).reshape(N_EVAL, gan.dim)
        if probe is not None:
            probes[step] = probe(gan)

    d_losses, g_losses = np.zeros(steps), np.zeros(steps)
    snapshot(0)
    for step in range(steps):
        real = sample_mixture(means, sigma, batch_size * m, rng)[0]
        z = rng.standard_normal((batch_size, m, gan.latent_dim))
        d_losses[step], g_losses[step] = gan.train_step(real, z)
        if (step + 1) % every == 0 or step + 1 == steps:
            snapshot(step + 1)
    out = {"d_loss": d_losses, "g_loss": g_losses, "snapshots": snapshots,
           "metrics": _mode_metrics(snapshots[steps] / scale, means, sigma)}
    if probe is not None:
        out["probes"] = probes
    return out

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


# --- digits ---------------------------------------------------------------------------------------
# A GAN that draws 28 x 28 handwritten digits, optionally told which digit to draw (a conditional
# GAN, Mirza & Osindero, 2014): G reads [z, one_hot(y)] and D reads [x, one_hot(y)], so D judges
# whether an image is a real example *of that class*. Images are flattened (n, 784) and scaled to
# [-1, 1] for the game (G ends in tanh); `to_pixels` maps them back to [0, 1]. Both players are MLPs
# (the original GAN paper's choice for MNIST), D with dropout; D's code is scaled by CODE_SCALE.
# `data/make_ch12_digits.py` trains the two generators the chapter ships: an unconditional one and
# a class-conditional one.

N_CLASSES = 10
N_PIXELS = 28 * 28
DIGIT_LATENT = 64
#: the one-hot code enters D multiplied by this. Adam moves every weight by about its learning
#: rate per step whatever the input, so ten code inputs of 0 or 1 beside 784 pixels gain influence
#: slowly: with the code unscaled in both players the generator still ignored its label after
#: 2,000 steps (the judge read the asked digit in 12% of samples, chance is 10%). G reads the plain
#: code: scaled by 10 there too, it drowned the 64 noise inputs and every 3 looked like every other.
CODE_SCALE = 10.0


def one_hot(labels, n_classes=N_CLASSES, dtype="float64"):
    """Rows of the identity for integer labels (n,) in [0, n_classes): (n, n_classes)."""
    n_classes = _checks.positive_int(n_classes, "n_classes", minimum=2)
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or (
            labels.size and (labels.min() < 0 or labels.max() >= n_classes)):
        raise ValueError(f"labels must be a 1-D integer array with values in [0, {n_classes - 1}], "
                         f"got {_checks.describe(labels)}")
    return np.eye(n_classes, dtype=_checks.float_dtype(dtype))[labels]


def conditional_input(z, labels, n_classes=N_CLASSES, scale=1.0):
    """What a conditional player reads: the rows of z (n, m) (noise, or flattened images) with
    `scale` times the one-hot code of each row's label appended, in z's dtype: (n, m + n_classes)."""
    z = _checks.as_float_array(z, "z")
    if z.ndim != 2:
        raise ValueError(f"z must have shape (n, m), got {z.shape}")
    scale = _checks.number_in(scale, "scale", 0, low_open=True)
    code = scale * one_hot(labels, n_classes, z.dtype)
    if len(code) != len(z):
        raise ValueError(f"need one label per row of z: {len(z)} rows, {len(code)} labels")
    return np.concatenate([z, code.astype(z.dtype, copy=False)], axis=1)


def to_pixels(images):
    """Images from the generator's range [-1, 1] to pixels in [0, 1], as (n, 28, 28)."""
    images = _checks.as_float_array(images, "images")
    if images.ndim < 2 or images[0].size != N_PIXELS:
        raise ValueError(f"images must have shape (n, {N_PIXELS}) or (n, 28, 28), got {images.shape}")
    return np.clip((images.reshape(len(images), 28, 28) + 1) / 2, 0, 1)


class DigitGAN:
    """Two MLPs playing the game on flattened digits in [-1, 1]. n_classes = 0: a plain GAN;
    n_classes = k: a conditional one, the label's one-hot code appended to the input of both
    players (D's times CODE_SCALE). G: (latent_dim [+ k],) -> (784,) tanh; D: (784 [+ k],) ->
    (1,), a logit. Both train by Adam(learning_rate, beta_1); `D.optimizer`, `g_optimizer`."""

    def __init__(self, latent_dim=DIGIT_LATENT, n_classes=0, g_units=(256, 512), d_units=(512, 256),
                 dropout=0.3, learning_rate=2e-4, beta_1=0.5, seed=0, dtype="float32"):
        self.latent_dim = _checks.positive_int(latent_dim, "latent_dim")
        self.n_classes = _checks.positive_int(n_classes, "n_classes", minimum=0)
        if self.n_classes == 1:
            raise ValueError("n_classes must be 0 (unconditional) or >= 2, got 1")
        dropout = _checks.number_in(dropout, "dropout", 0, 1, high_open=True)
        seeds = np.random.SeedSequence(_checks.positive_int(seed, "seed", minimum=0)).spawn(2)
        k = self.n_classes
        g_layers = [Dense(u, "leaky_relu") for u in g_units] + [Dense(N_PIXELS, "tanh")]
        g_rng, d_rng = (np.random.default_rng(s) for s in seeds)
        self.G = Sequential(g_layers).build((self.latent_dim + k,), seed=g_rng, dtype=dtype)
        d_layers = []
        for u in d_units:
            d_layers += [Dense(u, "leaky_relu")] + ([Dropout(dropout)] if dropout else [])
        self.D = Sequential(d_layers + [Dense(1)]).build((N_PIXELS + k,), seed=d_rng, dtype=dtype)
        self.bce = losses.BinaryCrossentropy(from_logits=True)
        self.D.compile(self.bce, optimizers.Adam(learning_rate, beta_1=beta_1), metrics=())
        self.g_optimizer = optimizers.Adam(learning_rate, beta_1=beta_1)

    def _g_in(self, z, labels):
        return conditional_input(z, labels, self.n_classes) if self.n_classes else z

    def _d_in(self, x, labels):
        return conditional_input(x, labels, self.n_classes, CODE_SCALE) if self.n_classes else x

    def train_step(self, x, labels, z, fake_labels):
        """One step of D on real x (b, 784) with their labels and fakes from z (b, latent_dim)
        asked to be fake_labels (b,) (labels are ignored by an unconditional GAN), then one step
        of G through D, whose weights stay put. -> (d_loss, g_loss), each before its step."""
        b = len(x)
        g_in = self._g_in(z, fake_labels)
        fake = self.G.forward(g_in, training=True)
        both = np.concatenate([self._d_in(x, labels), self._d_in(fake, fake_labels)])
        y = np.concatenate([np.ones((b, 1)), np.zeros((b, 1))]).astype(x.dtype)
        d_loss = 2 * self.D.train_step(both, y)     # the BCE mean over 2b: the sum of the halves
        fake = self.G.forward(g_in, training=True)  # G's step: the same noise, through D
        logits = self.D.forward(self._d_in(fake, fake_labels), training=True)
        ones = np.ones((b, 1), x.dtype)
        g_loss = self.bce(ones, logits)             # non-saturating: -mean log sigma(l)
        dx = self.D.backward(self.bce.gradient(ones, logits))[:, :N_PIXELS]  # the image's share
        self.G.backward(dx)
        self.g_optimizer.apply(dict(self.G.params), dict(self.G.grads))      # G's weights only
        return d_loss, g_loss

    def generate(self, z, labels=None):
        """Images (n, 784) in [-1, 1] from noise z (n, latent_dim) (and labels (n,) if conditional)."""
        z = _checks.as_float_array(z, "z")
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (n, {self.latent_dim}), got {z.shape}")
        if self.n_classes and labels is None:
            raise ValueError("a conditional generator needs labels, one per row of z")
        return self.G.forward(self._g_in(z.astype(self.G.dtype, copy=False), labels))


def digit_generator(weights, n_classes=0, latent_dim=DIGIT_LATENT, g_units=(256, 512)):
    """A DigitGAN's generator (float32) holding `weights` (a list as `get_weights` returns, e.g.
    `data.weights("ch12_gan_digits")`): a built Sequential (latent_dim [+ n_classes],) -> (784,)."""
    G = DigitGAN(latent_dim, n_classes, g_units, seed=0).G
    G.set_weights(list(weights))
    return G


def train_digits(gan, x, labels, steps, batch_size=64, seed=0, every=None):
    """Train `gan` for `steps` steps on images x (n, 784) in [-1, 1] with labels (n,): each step
    draws batch_size real examples (with replacement), noise and uniformly random fake labels from
    `seed`. BLAS runs on one thread, so a seed gives the same weights byte for byte.
    -> {"d_loss": (steps,), "g_loss": (steps,), "snapshots": {step: G's weights} every `every`}."""
    from threadpoolctl import threadpool_limits

    if not isinstance(gan, DigitGAN):
        raise TypeError(f"gan must be a DigitGAN, got {_checks.describe(gan)}")
    x = _checks.as_float_array(x, "x").astype(gan.G.dtype, copy=False)
    labels = np.asarray(labels)
    if x.ndim != 2 or x.shape[1] != N_PIXELS or labels.shape != (len(x),):
        raise ValueError(f"x must be (n, {N_PIXELS}) with labels (n,), got {x.shape} and {labels.shape}")
    steps = _checks.positive_int(steps, "steps", minimum=0)
    batch_size = _checks.positive_int(batch_size, "batch_size")
    every = steps if every is None else _checks.positive_int(every, "every")
    rng = _checks.generator(seed, "seed")
    k = max(gan.n_classes, 2)
    d_losses, g_losses, snapshots = np.zeros(steps), np.zeros(steps), {}
    with threadpool_limits(limits=1, user_api="blas"):
        for step in range(steps):
            idx = rng.integers(len(x), size=batch_size)
            z = rng.standard_normal((batch_size, gan.latent_dim)).astype(gan.G.dtype)
            fake_labels = rng.integers(k, size=batch_size)
            d_losses[step], g_losses[step] = gan.train_step(x[idx], labels[idx], z, fake_labels)
            if (step + 1) % every == 0:
                snapshots[step + 1] = gan.G.get_weights()
    return {"d_loss": d_losses, "g_loss": g_losses, "snapshots": snapshots}


def keras_digit_gan(gan):
    """Keras twins of a DigitGAN's G and D (same weights) and fresh twins of its optimisers:
    (G_k, D_k, g_opt, d_opt)."""
    return gan.G.to_keras(), gan.D.to_keras(), gan.g_optimizer.to_keras(), gan.D.optimizer.to_keras()


def keras_digit_train_step(G_k, D_k, g_opt, d_opt, x, labels, z, fake_labels, n_classes=0):
    """The DigitGAN step by GradientTape on Keras twins of G and D (use no dropout to compare:
    Keras draws its own masks). -> (d_loss, g_loss) before the steps."""
    import tensorflow as tf

    b, dtype = len(x), D_k.layers[0].variable_dtype
    bce = losses.BinaryCrossentropy(from_logits=True).to_keras(dtype=dtype)

    def coded(a, lab, scale=CODE_SCALE):
        code = scale * tf.one_hot(lab, n_classes, dtype=dtype)
        return tf.concat([a, code], axis=1) if n_classes else a

    g_in = coded(tf.constant(z, dtype), fake_labels, 1.0)
    both = tf.concat([coded(tf.constant(x, dtype), labels), coded(G_k(g_in), fake_labels)], axis=0)
    y = tf.concat([tf.ones((b, 1), dtype), tf.zeros((b, 1), dtype)], axis=0)
    with tf.GradientTape() as tape:
        d_mean = bce(y, D_k(both, training=True))
    d_opt.apply_gradients(zip(tape.gradient(d_mean, D_k.trainable_variables), D_k.trainable_variables))
    with tf.GradientTape() as tape:
        logits = D_k(coded(G_k(g_in, training=True), fake_labels), training=True)
        g_loss = bce(tf.ones_like(logits), logits)
    g_opt.apply_gradients(zip(tape.gradient(g_loss, G_k.trainable_variables), G_k.trainable_variables))
    return 2 * float(d_mean), float(g_loss)


def tile(images, cols=10, levels=None):
    """Images (n, 28, 28) (or (n, 784)) laid out in rows of `cols`, a one-pixel gap between them,
    as one (rows * 29 - 1, cols * 29 - 1) picture (empty places stay 0). `levels`: round pixels in
    [0, 1] to that many grey levels (a figure of 16 levels weighs a third of one of 256)."""
    images = _checks.as_float_array(images, "images")
    if images.ndim < 2 or images[0].size != N_PIXELS:
        raise ValueError(f"images must have shape (n, {N_PIXELS}) or (n, 28, 28), got {images.shape}")
    cols = _checks.positive_int(cols, "cols")
    if levels is not None:
        images = np.round(images * (_checks.positive_int(levels, "levels", minimum=2) - 1)) / (levels - 1)
    images = images.reshape(len(images), 28, 28)
    rows = -(-len(images) // cols)
    out = np.zeros((rows * 29 - 1, cols * 29 - 1), images.dtype)
    for i, image in enumerate(images):
        r, c = divmod(i, cols)
        out[29 * r:29 * r + 28, 29 * c:29 * c + 28] = image
    return out


def few_per_class(labels, per_class, seed=0, n_classes=N_CLASSES):
    """Indices of `per_class` examples of every class, drawn at random without replacement from
    `seed`: (per_class * n_classes,), class by class."""
    labels = np.asarray(labels)
    per_class = _checks.positive_int(per_class, "per_class")
    rng = _checks.generator(seed, "seed")
    picked = []
    for c in range(_checks.positive_int(n_classes, "n_classes", minimum=2)):
        where = np.flatnonzero(labels == c)
        if len(where) < per_class:
            raise ValueError(f"class {c} has {len(where)} examples, fewer than per_class={per_class}")
        picked.append(rng.choice(where, per_class, replace=False))
    return np.concatenate(picked)


def train_digit_classifier(x, y, steps=600, batch_size=32, units=128, seed=0, dtype="float32"):
    """An MLP 784 -> units (ReLU) -> 10 (softmax) trained by Adam(1e-3) on images x (n, 784) in
    [0, 1] with labels y (n,) for about `steps` mini-batch steps (whole epochs: the same number of
    updates whatever n). Returns the model."""
    x = _checks.as_float_array(x, "x")
    steps = _checks.positive_int(steps, "steps")
    batch_size = _checks.positive_int(batch_size, "batch_size")
    model = Sequential([Dense(_checks.positive_int(units, "units"), "relu"), Dense(N_CLASSES, "softmax")])
    model.build((N_PIXELS,), seed=_checks.positive_int(seed, "seed", minimum=0), dtype=dtype)
    model.compile("sparse_categorical_crossentropy", optimizers.Adam(1e-3))
    epochs = max(1, round(steps / -(-len(x) // batch_size)))
    model.fit(x, y, epochs=epochs, batch_size=batch_size, seed=seed, verbose=0)
    return model


# --- a convolutional generator (DCGAN) in Keras ---------------------------------------------------
# The DCGAN recipe of Radford et al. (2016), made small enough for a CPU: G grows the image from a
# 7 x 7 map by two fractionally-strided (transposed) convolutions, 7 -> 14 -> 28, with batch
# normalisation after every layer but the output (tanh) and ReLU inside; D shrinks it by two
# strided convolutions with leaky ReLU (slope 0.2), no pooling, and reads a logit off the last
# map. `data/make_ch12_dcgan.py` trains the generator the chapter ships.

DCGAN_FILTERS = (64, 32)  # G's channels at 7 x 7 and at 14 x 14; D uses them in reverse order


def keras_dcgan(latent_dim=DIGIT_LATENT, seed=0, filters=DCGAN_FILTERS, dropout=0.0):
    """A DCGAN-style pair of Keras models, initial weights drawn from `seed`:
    G: (n, latent_dim) -> (n, 28, 28, 1) in [-1, 1]; D: (n, 28, 28, 1) -> (n, 1), a logit.
    `dropout` after each of D's convolutions (0: none; with 0.3 the shipped run's recipe scored
    worse on chapter 12's class score after 1,500 steps, KL 0.21 against 0.13)."""
    import keras

    latent_dim = _checks.positive_int(latent_dim, "latent_dim")
    keras.utils.set_random_seed(_checks.positive_int(seed, "seed", minimum=0))
    if not isinstance(filters, (tuple, list)) or len(filters) != 2:
        raise ValueError(f"filters must be a pair of channel counts (at 7 x 7, at 14 x 14), got "
                         f"{_checks.describe(filters)}")
    wide, narrow = (_checks.positive_int(f, "filters") for f in filters)
    dropout = _checks.number_in(dropout, "dropout", 0, 1, high_open=True)
    L = keras.layers
    G = keras.Sequential([
        keras.Input((latent_dim,)),
        L.Dense(7 * 7 * wide, use_bias=False), L.BatchNormalization(), L.ReLU(),
        L.Reshape((7, 7, wide)),
        L.Conv2DTranspose(narrow, 4, strides=2, padding="same", use_bias=False),   # 14 x 14
        L.BatchNormalization(), L.ReLU(),
        L.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh"),     # 28 x 28
    ], name="dcgan_generator")
    D = keras.Sequential([
        keras.Input((28, 28, 1)),
        L.Conv2D(narrow, 4, strides=2, padding="same"), L.LeakyReLU(0.2),   # 14 x 14
        *([L.Dropout(dropout)] if dropout else []),
        L.Conv2D(wide, 4, strides=2, padding="same"), L.LeakyReLU(0.2),     # 7 x 7
        *([L.Dropout(dropout)] if dropout else []),
        L.Flatten(), L.Dense(1),
    ], name="dcgan_discriminator")
    return G, D


def keras_dcgan_train_step(G, D, learning_rate=2e-4, beta_1=0.5):
    """The alternating step for a (G, D) of `keras_dcgan`, as a compiled tf.function
    `step(real, z) -> (d_loss, g_loss)` (each before its update): real (b, 28, 28, 1) in [-1, 1],
    z (b, latent_dim). Each player has its own Adam(learning_rate, beta_1)."""
    import keras
    import tensorflow as tf

    for name, model in (("G", G), ("D", D)):
        if not isinstance(model, keras.Model):
            raise TypeError(f"{name} must be a keras.Model from keras_dcgan, got {_checks.describe(model)}")
    learning_rate = _checks.number_in(learning_rate, "learning_rate", 0, low_open=True)
    beta_1 = _checks.number_in(beta_1, "beta_1", 0, 1, high_open=True)
    g_opt = keras.optimizers.Adam(learning_rate, beta_1=beta_1)
    d_opt = keras.optimizers.Adam(learning_rate, beta_1=beta_1)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function
    def step(real, z):
        b = tf.shape(z)[0]
        ones, zeros = tf.ones((b, 1)), tf.zeros((b, 1))
        fake = G(z, training=True)
        with tf.GradientTape() as tape:                    # D: real -> 1, fake -> 0
            d_loss = bce(ones, D(real, training=True)) + bce(zeros, D(fake, training=True))
        d_opt.apply_gradients(zip(tape.gradient(d_loss, D.trainable_variables), D.trainable_variables))
        with tf.GradientTape() as tape:                    # G through D: non-saturating, fake -> 1
            g_loss = bce(ones, D(G(z, training=True), training=True))
        g_opt.apply_gradients(zip(tape.gradient(g_loss, G.trainable_variables), G.trainable_variables))
        return d_loss, g_loss

    return step
