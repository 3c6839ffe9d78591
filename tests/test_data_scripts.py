"""Every script in data/ runs as committed and reproduces its file byte for byte (sha256)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nnbook.book.data import CHECKSUMS, sha256

ROOT = Path(__file__).resolve().parents[1]


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
    assert sha256(tmp_path / "cnn_mnist5k.npz") == CHECKSUMS["cnn_mnist5k.npz"]


def test_make_ch10_weights_reproduces_the_shipped_files(tmp_path):
    # one CPU thread, TensorFlow's op determinism and no oneDNN: the same environment, the same bytes
    subprocess.run([sys.executable, str(ROOT / "data" / "make_ch10_weights.py"), str(tmp_path)],
                   check=True, capture_output=True, cwd=tmp_path)
    for name in ("ch10_grid_detector.npz", "ch10_mnist1d_cnn.npz"):
        assert sha256(tmp_path / name) == CHECKSUMS[name], name


def test_make_ch11_gru_reproduces_the_shipped_weights(tmp_path):
    """The NumPy engine trains chapter 11's MNIST-1D GRU (about 40 s of one core) to the same bytes."""
    script = tmp_path / "make_ch11_gru.py"
    shutil.copy(ROOT / "data" / "make_ch11_gru.py", script)
    subprocess.run([sys.executable, str(script)], check=True, capture_output=True, cwd=tmp_path)
    assert sha256(tmp_path / "ch11_mnist1d_gru.npz") == CHECKSUMS["ch11_mnist1d_gru.npz"]


@pytest.mark.parametrize("part, name", [("gan", "ch12_gan_digits.npz"), ("cgan", "ch12_cgan_digits.npz")])
def test_make_ch12_digits_reproduces_the_shipped_generators(tmp_path, part, name):
    """The NumPy engine trains each of chapter 12's digit GANs (about 55 s of one core) to the same bytes."""
    subprocess.run([sys.executable, str(ROOT / "data" / "make_ch12_digits.py"), str(tmp_path), part],
                   check=True, capture_output=True, cwd=tmp_path)
    assert sha256(tmp_path / name) == CHECKSUMS[name]


def test_make_ch12_dcgan_reproduces_the_shipped_generator(tmp_path):
    # Keras on one CPU thread, TensorFlow's op determinism and no oneDNN (about 70 CPU-s)
    subprocess.run([sys.executable, str(ROOT / "data" / "make_ch12_dcgan.py"), str(tmp_path)],
                   check=True, capture_output=True, cwd=tmp_path)
    assert sha256(tmp_path / "ch12_dcgan_digits.npz") == CHECKSUMS["ch12_dcgan_digits.npz"]
