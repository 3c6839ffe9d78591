"""Chapter 16's speech experiment, made offline: a synthetic spoken-word-like task, log-magnitude
spectrograms from scratch, and the small CNN that reads them.

The task is synthetic. Each of `N_CLASSES` "words" is a fixed sequence of two or three vowel-like
segments; a segment sounds two tones at the first two formant frequencies (F1, F2) of a vowel
(rough textbook values for an adult voice). Each clip, `DURATION` s at `SAMPLE_RATE` Hz, varies
what a speaker would: all frequencies scaled by one factor (a shorter or longer vocal tract), the
word's length and how it splits between segments, its onset in the clip, its loudness, the tones'
phases, and white noise. It lacks almost everything else of real speech: no voice source with
harmonics, no consonants, no coarticulation, no room, no microphone, no second speaker.

The CNN, channels last, for (frames, bins, 1) spectrograms:

    Conv2D(8, 3x3, strides (1, 2), relu) -> MaxPooling2D(2) -> Conv2D(16, 3x3, relu)
    -> MaxPooling2D(2) -> Flatten -> Dense(10, softmax)

The first layer's stride of 2 along frequency halves the work: a formant moves by many bins
between speakers, so the network needs no finer grid along that axis.
"""

import numpy as np

from .. import _checks
from ..engine import Conv2D, Dense, Flatten, MaxPooling2D, Sequential, optimizers, schedules

SAMPLE_RATE = 8000
DURATION = 0.5
FRAME_LENGTH = 256
HOP = 128

#: (F1, F2) in Hz of five vowels, rounded.
VOWELS = {"a": (750, 1250), "e": (500, 1900), "i": (300, 2300), "o": (500, 900), "u": (320, 800)}

#: each class: the sequence of vowels it sounds.
WORDS = (("a", "i"), ("i", "a"), ("u", "e"), ("e", "u"), ("o", "i"),
         ("a", "u", "i"), ("i", "u", "a"), ("e", "a", "o"), ("o", "e", "a"), ("u", "i", "u"))
N_CLASSES = len(WORDS)


def make_clip(label, rng, snr_db=10.0):
    """One clip of word `label`: (SAMPLE_RATE * DURATION,) float64, with rng's variations."""
    n = int(SAMPLE_RATE * DURATION)
    t = np.arange(n) / SAMPLE_RATE
    scale = rng.uniform(0.85, 1.15)                  # the speaker's formant scale
    length = rng.uniform(0.25, 0.40)                 # the word's length, s
    onset = rng.uniform(0.0, DURATION - length)      # where in the clip it starts
    shares = rng.dirichlet(np.full(len(WORDS[label]), 4.0))
    edges = onset + length * np.concatenate([[0.0], np.cumsum(shares)])
    clip = np.zeros(n)
    for vowel, start, stop in zip(WORDS[label], edges[:-1], edges[1:]):
        inside = (t >= start) & (t < stop)
        ramp = np.sin(np.pi * (t[inside] - start) / (stop - start)) ** 0.5   # no clicks at the edges
        for f, a in zip(VOWELS[vowel], (1.0, 0.6)):
            clip[inside] += a * ramp * np.sin(2 * np.pi * scale * f * t[inside] + rng.uniform(0, 2 * np.pi))
    clip *= rng.uniform(0.5, 1.0)                    # loudness
    signal_power = np.mean(clip[(t >= onset) & (t < onset + length)] ** 2)
    noise = rng.standard_normal(n) * np.sqrt(signal_power / 10 ** (snr_db / 10))
    return clip + noise


def make_dataset(n, seed=0, snr_db=10.0):
    """n clips, classes balanced and shuffled: x (n, 4000) float64, y (n,) int labels."""
    n = _checks.positive_int(n, "n")
    snr_db = _checks.number_in(snr_db, "snr_db")
    rng = _checks.generator(seed)
    y = rng.permutation(np.arange(n) % N_CLASSES)
    x = np.stack([make_clip(label, rng, snr_db) for label in y])
    return x, y


def frames(x, frame_length=FRAME_LENGTH, hop=HOP):
    """Overlapping frames of signals x (n, L) -> (n, 1 + (L - frame_length) // hop, frame_length)."""
    count = 1 + (x.shape[-1] - frame_length) // hop
    index = hop * np.arange(count)[:, None] + np.arange(frame_length)[None, :]
    return x[..., index]


def hann(frame_length):
    """The periodic Hann window (as scipy.signal.get_window("hann") makes it): (frame_length,)."""
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(frame_length) / frame_length)


def _spectrogram(x, frame_length, hop, eps):
    windowed = frames(x, frame_length, hop) * hann(frame_length)
    magnitude = np.abs(np.fft.rfft(windowed, axis=-1))      # (n, frames, frame_length // 2 + 1)
    return np.log(magnitude + eps)


def spectrogram(x, frame_length=FRAME_LENGTH, hop=HOP, eps=1e-6):
    """Log-magnitude spectrogram of signals x (n, L) or (L,): frame, Hann window, real FFT,
    log(|X| + eps) -> (n, frames, frame_length // 2 + 1) (or without n)."""
    x = _checks.as_float_array(x, "x")
    frame_length = _checks.positive_int(frame_length, "frame_length", minimum=2)
    hop = _checks.positive_int(hop, "hop")
    eps = _checks.number_in(eps, "eps", 0, low_open=True)
    if x.ndim not in (1, 2) or x.shape[-1] < frame_length:
        raise ValueError(f"x must be (L,) or (n, L) with L >= frame_length = {frame_length}, "
                         f"got shape {x.shape}")
    return _spectrogram(x, frame_length, hop, eps)


def frequencies(frame_length=FRAME_LENGTH, sample_rate=SAMPLE_RATE):
    """The centre frequency in Hz of each spectrogram bin: (frame_length // 2 + 1,)."""
    return np.fft.rfftfreq(frame_length, d=1.0 / sample_rate)


def speech_cnn(input_shape, seed=0, dtype="float32"):
    """The module docstring's CNN built for (n, *input_shape) = (n, frames, bins, 1)."""
    model = Sequential([
        Conv2D(8, 3, strides=(1, 2), activation="relu"),
        MaxPooling2D(2),
        Conv2D(16, 3, activation="relu"),
        MaxPooling2D(2),
        Flatten(),
        Dense(N_CLASSES, activation="softmax"),
    ])
    return model.build(_checks.shape(input_shape), seed=seed, dtype=dtype)


def linear_classifier(input_shape, seed=0, dtype="float32"):
    """The baseline: multinomial logistic regression on the flattened spectrogram."""
    model = Sequential([Flatten(), Dense(N_CLASSES, activation="softmax")])
    return model.build(_checks.shape(input_shape), seed=seed, dtype=dtype)


def train(model, x, y, x_val, y_val, epochs, batch_size=32, learning_rate=3e-3, seed=0):
    """Train `model` on (x, y) with Adam on a cosine-decayed learning rate and sparse categorical
    cross-entropy, recording validation accuracy per epoch; returns the History."""
    epochs = _checks.positive_int(epochs, "epochs")
    batch_size = _checks.positive_int(batch_size, "batch_size")
    learning_rate = _checks.number_in(learning_rate, "learning_rate", 0, low_open=True)
    steps = epochs * -(-len(x) // batch_size)
    model.compile("sparse_categorical_crossentropy",
                  optimizers.Adam(schedules.CosineDecay(learning_rate, decay_steps=steps)))
    return model.fit(x, y, epochs=epochs, batch_size=batch_size, validation_data=(x_val, y_val),
                     seed=seed, verbose=0)
