"""Chapter 16 exercises: the shape of a spectrogram and the frequency bin a tone lands in, the
compute to train a model from its parameters and tokens (6 N D), and a power law fitted to a
learning curve, extrapolated."""

import numpy as np

from . import exercise


def _shape_cases():
    yield (4000, 256, 128), {}          # the chapter's clips
    yield (16000, 400, 160), {}         # 1 s at 16 kHz, 25 ms frames every 10 ms
    yield (1000, 256, 100), {}          # the last partial frame is dropped
    yield (256, 256, 64), {}            # exactly one frame
    yield (1001, 250, 250), {}          # no overlap, one sample left over


@exercise(
    "ch16.spectrogram_shape",
    cases=_shape_cases,
    hint="Count how many whole frames fit when each starts `hop` samples after the last, and how "
    "many non-negative frequencies a real FFT of `frame_length` samples returns.",
    more=("Frames start at 0, hop, 2 hop, ...; a frame starting at s fits if s + frame_length <= "
          "length, so there are 1 + (length - frame_length) // hop of them. A real FFT of N samples "
          "gives the frequencies 0, 1, ..., N // 2 times sample_rate / N: N // 2 + 1 bins.",),
)
def spectrogram_shape(length, frame_length, hop):
    """(frames, bins) of the spectrogram of a signal of `length` samples."""
    return (1 + (length - frame_length) // hop, frame_length // 2 + 1)


def _bin_cases():
    yield (1000.0, 256, 8000), {}       # exactly on bin 32
    yield (2300.0, 256, 8000), {}       # between bins 73 and 74: 73.6 -> 74
    yield (440.0, 400, 16000), {}       # 11.0
    yield (0.0, 128, 8000), {}
    yield (4000.0, 256, 8000), {}       # the Nyquist frequency: the last bin


@exercise(
    "ch16.frequency_bin",
    cases=_bin_cases,
    hint="Bins are evenly spaced from 0 Hz up to half the sample rate: find the spacing.",
    more=("Bin k of a real FFT of N samples sits at k * sample_rate / N Hz. Invert that and round "
          "to the nearest whole bin: k = round(f * N / sample_rate), returned as an int.",),
)
def frequency_bin(f, frame_length, sample_rate):
    """The index of the spectrogram bin nearest to frequency f (Hz), as an int."""
    return int(np.rint(f * frame_length / sample_rate))


def _flops_cases():
    yield (175e9, 300e9), {}            # GPT-3: about 3.1e23
    yield (1.0, 1.0), {}
    yield (56_714, 3500 * 10), {}       # chapter 10's CNN, 10 epochs of 3,500 images
    yield (7e9, 2e12), {}


@exercise(
    "ch16.training_flops",
    cases=_flops_cases,
    hint="Each parameter costs one multiply and one add per token in the forward pass; the "
    "backward pass costs about twice the forward.",
    more=("Forward: about 2 N floating-point operations per token (a multiply-add per weight). "
          "Backward: about 4 N (gradients for the activations and for the weights). So training "
          "on D tokens costs about 6 N D operations.",),
    rtol=1e-9,
)
def training_flops(n_params, n_tokens):
    """The approximate training compute, in floating-point operations: 6 N D."""
    return 6.0 * n_params * n_tokens


def _power_law_cases():
    n = np.array([100.0, 200.0, 400.0, 800.0])
    yield (n, 0.5 * n ** -0.3, 3200.0), {}                     # an exact power law
    yield (n, 2.0 * n ** -0.5, 10_000.0), {}
    noisy = np.array([0.30, 0.21, 0.16, 0.11, 0.085])         # not exact: least squares in log-log
    yield (np.array([50.0, 100.0, 250.0, 500.0, 1000.0]), noisy, 4000.0), {}


@exercise(
    "ch16.power_law_extrapolation",
    cases=_power_law_cases,
    hint="A power law error = a * n^(-b) is a straight line on log-log axes.",
    more=("Take logarithms: log error = log a - b log n. Fit that line by least squares "
          "(np.polyfit(np.log(n), np.log(error), 1) gives the slope -b and the intercept log a), "
          "then return a * n_new ** (-b).",),
)
def power_law_extrapolation(n, error, n_new):
    """Fit error = a * n^(-b) to (n, error) by least squares on logs; return the error at n_new."""
    slope, intercept = np.polyfit(np.log(n), np.log(error), 1)
    return float(np.exp(intercept) * n_new ** slope)
