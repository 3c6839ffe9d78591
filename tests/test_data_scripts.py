"""Every script in data/ runs as committed and reproduces its file: byte for byte (sha256) on the
kind of CPU that made it. TensorFlow's kernels (Eigen) and OpenBLAS choose their code by CPU, so
a training script rounds differently, and then trains to other bytes, on another kind: there the
test asks of the file the script made here what the chapter asks of the shipped file."""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nnbook.book.data import CHECKSUMS, read_verified, sha256

ROOT = Path(__file__).resolve().parents[1]


def cpu_kind():
    """'vendor family/model' of this machine's CPU (from /proc/cpuinfo; '' where there is none)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return ""
    info = dict(line.split(":", 1) for line in lines if ":" in line)
    info = {k.strip(): v.strip() for k, v in info.items()}
    return f"{info.get('vendor_id', '')} {info.get('cpu family', '')}/{info.get('model', '')}"


# a kind of CPU known to reproduce each trained file's bytes (files without one: not known)
REPRODUCED_ON = {name: "AuthenticAMD 25/1" for name in (
    "cnn_mnist5k.npz", "ch10_keras_cnn.npz", "ch11_mnist1d_gru.npz", "ch12_gan_digits.npz",
    "ch12_cgan_digits.npz", "ch13_char_lm.npz")}


def assert_reproduced(made, name, same_quality):
    """`made` (the script's file, written here) equals the shipped `name` byte for byte; on a kind
    of CPU not known to reproduce it, `same_quality(shipped_path, made)` asserts instead."""
    if sha256(made) == CHECKSUMS[name]:
        return
    assert REPRODUCED_ON.get(name) != cpu_kind(), f"{name}: other bytes on a CPU kind that gave these"
    same_quality(read_verified(name), made)


def _weights(path):
    with np.load(path) as f:
        return [f[k] for k in sorted(f.files)]


def test_make_mnist1d_reproduces_the_shipped_file(tmp_path):
    script = tmp_path / "make_mnist1d.py"
    shutil.copy(ROOT / "data" / "make_mnist1d.py", script)  # it writes next to itself
    subprocess.run([sys.executable, str(script)], check=True, capture_output=True, cwd=tmp_path)
    assert sha256(tmp_path / "mnist1d.npz") == CHECKSUMS["mnist1d.npz"]


def test_make_corpus_reproduces_the_shipped_file(tmp_path):
    # the script reads the chapters at a fixed commit with `git show`: it needs the repo's history
    out = tmp_path / "corpus.txt"
    subprocess.run([sys.executable, str(ROOT / "data" / "make_corpus.py"), str(out)], check=True,
                   capture_output=True, cwd=tmp_path)
    assert sha256(out) == CHECKSUMS["corpus.txt"]


def test_make_cnn_mnist5k_reproduces_the_shipped_weights(tmp_path):
    """The NumPy engine trains chapter 10's CNN (about 25 s of one core) to the same bytes."""
    script = tmp_path / "make_cnn_mnist5k.py"
    shutil.copy(ROOT / "data" / "make_cnn_mnist5k.py", script)
    subprocess.run([sys.executable, str(script)], check=True, capture_output=True, cwd=tmp_path)
    from nnbook.book.data import load
    from nnbook.lab import convnets

    mnist = load("mnist5k")
    x_val, y_val = mnist.x_train[3500:].reshape(-1, 28, 28, 1), mnist.y_train[3500:]
    cnn = convnets.mnist_cnn()

    def val_accuracy(path):
        cnn.set_weights(_weights(path))
        return np.mean(cnn.predict(x_val).argmax(axis=1) == y_val)

    def as_good(shipped, made):  # chapter 10 asserts > 0.97 on the 500 validation digits
        assert val_accuracy(made) > 0.97 and abs(val_accuracy(made) - val_accuracy(shipped)) <= 0.01

    assert_reproduced(tmp_path / "cnn_mnist5k.npz", "cnn_mnist5k.npz", as_good)


def test_make_ch10_weights_reproduces_the_shipped_files(tmp_path):
    # one CPU thread, TensorFlow's op determinism and no oneDNN: the same environment, the same bytes
    subprocess.run([sys.executable, str(ROOT / "data" / "make_ch10_weights.py"), str(tmp_path)],
                   check=True, capture_output=True, cwd=tmp_path)
    from keras import ops

    from nnbook.book.data import load
    from nnbook.lab import convnets, detection

    mnist = load("mnist5k")
    canvases = detection.make_canvases(detection.shrink(mnist.x_test), mnist.y_test, 200,
                                       objects=(0, 3), seed=2)  # chapter 10's test canvases
    grid = detection.keras_grid_detector(size=48, grid=6, filters=(16, 32, 64), seed=0)

    def grid_map(path):
        grid.set_weights(_weights(path))
        found = detection.decode_grid(ops.convert_to_numpy(grid(canvases.images[..., None])), size=48,
                                      score_threshold=0.05)
        return detection.mean_average_precision(found, canvases.truths)[0]

    def detector_as_good(shipped, made):  # chapter 10 asserts mAP@0.5 >= 0.85
        assert grid_map(made) >= 0.85 and abs(grid_map(made) - grid_map(shipped)) <= 0.03

    m1d = load("mnist1d")
    cnn = convnets.keras_cnn1d()

    def val_accuracy(path):
        cnn.set_weights(_weights(path))
        return np.mean(ops.convert_to_numpy(cnn(m1d.x_train[3600:, :, None])).argmax(1) == m1d.y_train[3600:])

    def cnn1d_as_good(shipped, made):
        assert abs(val_accuracy(made) - val_accuracy(shipped)) <= 0.02

    digits = convnets.mnist_cnn()  # the Keras-trained CNN's weights, read by the NumPy engine

    def digit_accuracy(path, x, y):
        digits.set_weights(_weights(path))
        return np.mean(digits.predict(x.reshape(-1, 28, 28, 1)).argmax(axis=1) == y)

    def keras_cnn_as_good(shipped, made):  # chapter 10 asserts test accuracy >= 0.975
        val = [digit_accuracy(p, mnist.x_train[3500:], mnist.y_train[3500:]) for p in (shipped, made)]
        assert digit_accuracy(made, mnist.x_test, mnist.y_test) >= 0.975 and abs(val[0] - val[1]) <= 0.01

    assert_reproduced(tmp_path / "ch10_grid_detector.npz", "ch10_grid_detector.npz", detector_as_good)
    assert_reproduced(tmp_path / "ch10_mnist1d_cnn.npz", "ch10_mnist1d_cnn.npz", cnn1d_as_good)
    assert_reproduced(tmp_path / "ch10_keras_cnn.npz", "ch10_keras_cnn.npz", keras_cnn_as_good)


def test_make_ch11_gru_reproduces_the_shipped_weights(tmp_path):
    """The NumPy engine trains chapter 11's MNIST-1D GRU (about 40 s of one core) to the same bytes."""
    script = tmp_path / "make_ch11_gru.py"
    shutil.copy(ROOT / "data" / "make_ch11_gru.py", script)
    subprocess.run([sys.executable, str(script)], check=True, capture_output=True, cwd=tmp_path)
    from nnbook.book.data import load
    from nnbook.lab import sequences

    m1d = load("mnist1d")
    gru = sequences.mnist1d_gru()

    def val_accuracy(path):
        gru.set_weights(_weights(path))
        return np.mean(gru.predict(m1d.x_train[3600:, :, None]).argmax(1) == m1d.y_train[3600:])

    def as_good(shipped, made):
        assert abs(val_accuracy(made) - val_accuracy(shipped)) <= 0.02

    assert_reproduced(tmp_path / "ch11_mnist1d_gru.npz", "ch11_mnist1d_gru.npz", as_good)


@pytest.mark.parametrize("part, name", [("gan", "ch12_gan_digits.npz"), ("cgan", "ch12_cgan_digits.npz")])
def test_make_ch12_digits_reproduces_the_shipped_generators(tmp_path, part, name):
    """The NumPy engine trains each of chapter 12's digit GANs (about 55 s of one core) to the same bytes."""
    subprocess.run([sys.executable, str(ROOT / "data" / "make_ch12_digits.py"), str(tmp_path), part],
                   check=True, capture_output=True, cwd=tmp_path)
    from nnbook.book.data import weights
    from nnbook.lab import convnets, gan

    judge = convnets.mnist_cnn()
    judge.set_weights(weights("cnn_mnist5k"))
    z = np.random.default_rng(12).standard_normal((1000, gan.DIGIT_LATENT)).astype(np.float32)

    def read(images):
        return judge.predict(images.reshape(-1, 28, 28, 1), batch_size=500).argmax(axis=1)

    def as_good(shipped, made):  # chapter 12's bars for each generator
        if part == "gan":
            score = gan.class_score(gan.to_pixels(gan.digit_generator(_weights(made)).forward(z)), read)
            assert score["distinct"] >= 8 and score["kl"] <= 0.5
        else:
            asked = np.arange(1000) % 10
            G = gan.digit_generator(_weights(made), n_classes=10)
            drawn = gan.to_pixels(G.forward(gan.conditional_input(z, asked, 10)))
            assert np.mean(read(drawn) == asked) >= 0.6

    assert_reproduced(tmp_path / name, name, as_good)


def test_make_ch12_dcgan_reproduces_the_shipped_generator(tmp_path):
    # Keras on one CPU thread, TensorFlow's op determinism and no oneDNN (about 70 CPU-s)
    subprocess.run([sys.executable, str(ROOT / "data" / "make_ch12_dcgan.py"), str(tmp_path)],
                   check=True, capture_output=True, cwd=tmp_path)
    from nnbook.book.data import weights
    from nnbook.lab import convnets, gan

    judge = convnets.mnist_cnn()
    judge.set_weights(weights("cnn_mnist5k"))
    z = np.random.default_rng(12).standard_normal((1000, gan.DIGIT_LATENT)).astype(np.float32)

    def as_good(shipped, made):  # chapter 12 asserts 9 or more classes and KL <= 0.3 nats
        G, _ = gan.keras_dcgan(seed=0)
        G.set_weights(_weights(made))
        score = gan.class_score(gan.to_pixels(G.predict(z, batch_size=500, verbose=0)),
                                lambda x: judge.predict(x.reshape(-1, 28, 28, 1), batch_size=500))
        assert score["distinct"] >= 9 and score["kl"] <= 0.3

    assert_reproduced(tmp_path / "ch12_dcgan_digits.npz", "ch12_dcgan_digits.npz", as_good)


def test_make_ch13_char_lm_reproduces_the_shipped_models(tmp_path):
    # Keras on one CPU thread, TensorFlow's op determinism and no oneDNN (about 70 CPU-s)
    subprocess.run([sys.executable, str(ROOT / "data" / "make_ch13_char_lm.py"), str(tmp_path)],
                   check=True, capture_output=True, cwd=tmp_path)

    def as_good(shipped, made):  # the validation nats/char each model's curve ends at, within 0.02
        with np.load(shipped) as a, np.load(made) as b:
            for model in ("lstm", "gpt"):
                assert abs(a[f"{model}_losses"][-1] - b[f"{model}_losses"][-1]) <= 0.02, model

    assert_reproduced(tmp_path / "ch13_char_lm.npz", "ch13_char_lm.npz", as_good)
