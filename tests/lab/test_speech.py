"""lab/speech.py: the synthetic clips, the NumPy spectrogram against scipy.signal.stft, and the
CNN's shapes and a short training run that must beat chance."""

import numpy as np
import pytest
import scipy.signal

from nnbook.lab import speech


def test_dataset_is_balanced_seeded_and_bounded():
    x, y = speech.make_dataset(40, seed=3)
    assert x.shape == (40, 4000) and y.shape == (40,)
    assert np.bincount(y, minlength=10).tolist() == [4] * 10
    x2, y2 = speech.make_dataset(40, seed=3)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(x, speech.make_dataset(40, seed=4)[0])
    assert np.all(np.isfinite(x)) and np.abs(x).max() < 10


def test_clip_energy_sits_at_the_words_formants():
    rng = np.random.default_rng(0)
    clip = speech.make_clip(0, rng, snr_db=40.0)          # ("a", "i"): F2 of "i" is highest
    power = np.abs(np.fft.rfft(clip)) ** 2
    f = np.fft.rfftfreq(clip.size, 1 / speech.SAMPLE_RATE)
    peak = f[np.argmax(power * (f > 1800))]
    assert 0.85 * 2300 - 20 <= peak <= 1.15 * 2300 + 20


def test_hann_is_scipys_periodic_window():
    np.testing.assert_allclose(speech.hann(256), scipy.signal.get_window("hann", 256), atol=1e-15)


@pytest.mark.parametrize("frame_length, hop, length", [(256, 128, 4000), (64, 16, 500), (100, 30, 777)])
def test_spectrogram_matches_scipy_stft(frame_length, hop, length):
    x = np.random.default_rng(1).standard_normal((3, length))
    ours = speech.spectrogram(x, frame_length, hop, eps=1e-12)
    _, _, Z = scipy.signal.stft(x, window="hann", nperseg=frame_length, noverlap=frame_length - hop,
                                boundary=None, padded=False, detrend=False)
    # scipy scales by 1 / sum(window) and puts frequency before time
    theirs = np.log(np.abs(Z) * speech.hann(frame_length).sum() + 1e-12).transpose(0, 2, 1)
    assert ours.shape == (3, 1 + (length - frame_length) // hop, frame_length // 2 + 1)
    np.testing.assert_allclose(ours, theirs, atol=1e-9)


def test_spectrogram_of_one_signal_and_a_pure_tone():
    t = np.arange(4000) / speech.SAMPLE_RATE
    S = speech.spectrogram(np.sin(2 * np.pi * 1000 * t))
    assert S.shape == (30, 129)
    assert np.all(speech.frequencies()[S.argmax(axis=1)] == 1000.0)


def test_spectrogram_stays_finite_on_silence_and_large_inputs():
    assert np.all(np.isfinite(speech.spectrogram(np.zeros(300), 256, 128)))
    assert np.all(np.isfinite(speech.spectrogram(np.full(300, 1e4), 256, 128)))


@pytest.mark.parametrize("kwargs, message", [
    (dict(x=np.zeros(100)), "L >= frame_length"),
    (dict(x=np.zeros((2, 2, 400))), "x must be"),
    (dict(x=np.zeros(400), hop=0), "hop"),
    (dict(x=np.zeros(400), eps=0.0), "eps"),
])
def test_spectrogram_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        speech.spectrogram(**kwargs)


def test_make_dataset_rejects_bad_n():
    with pytest.raises(ValueError, match="n"):
        speech.make_dataset(0)
    with pytest.raises(TypeError):
        speech.make_dataset(2.5)


def test_models_shapes_and_a_short_training_run_beats_chance():
    x, y = speech.make_dataset(300, seed=0)
    S = speech.spectrogram(x)
    S = ((S - S.mean()) / S.std())[..., None].astype("float32")
    cnn = speech.speech_cnn(S.shape[1:], seed=0)
    assert cnn.predict(S[:2]).shape == (2, 10)
    linear = speech.linear_classifier(S.shape[1:], seed=0)
    history = speech.train(linear, S[:200], y[:200], S[200:], y[200:], epochs=5)
    assert history.history["val_accuracy"][-1] > 0.3      # chance: 0.1
