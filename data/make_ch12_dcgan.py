"""Make the DCGAN generator chapter 12 ships (`ch12_dcgan_digits.npz`) instead of training it on
the page: `nnbook.lab.gan.keras_dcgan(seed=0)` trained by `gan.keras_dcgan_train_step` (Adam 2e-4,
beta_1 = 0.5, the non-saturating generator loss) for STEPS steps of 64 real images drawn with
replacement from the first 3,500 of MNIST-5k's 4,000 training images (the ones the chapter's MLP
GAN and chapter 10's CNN saw; the test set is not touched), scaled to [-1, 1]; noise and batches
from NumPy's generator with seed 0.

The file holds the generator's `get_weights()` (Keras's order, batch normalisation's moving
statistics included) as float32 arrays `w00`, `w01`, ..., the format `nnbook.data.weights` reads.
Training runs on one CPU thread with TensorFlow's op determinism and without oneDNN's kernels, so
the same environment reproduces the file byte for byte (tests/test_data_scripts.py).
Run from anywhere: `python data/make_ch12_dcgan.py [out_dir]` (default: next to this script;
about 75 CPU-s), then update `CHECKSUMS` in lib/nnbook/book/data.py and the table in
data/README.md with the sha256 it prints.
"""

import sys
import time
from pathlib import Path

import deterministic_tf  # noqa: F401  (first: one thread, op determinism, no oneDNN; lib/ on the path)
import numpy as np  # noqa: E402

from nnbook.book.data import load, sha256  # noqa: E402
from nnbook.lab import gan  # noqa: E402

N_TRAIN, STEPS, BATCH = 3500, 1500, 64


def main(out_dir):
    start = time.process_time()
    mnist = load("mnist5k")
    x = (mnist.x_train[:N_TRAIN] * 2 - 1).reshape(-1, 28, 28, 1).astype(np.float32)
    G, D = gan.keras_dcgan(seed=0)
    step = gan.keras_dcgan_train_step(G, D)
    rng = np.random.default_rng(0)
    d_losses, g_losses = np.zeros(STEPS), np.zeros(STEPS)
    for i in range(STEPS):
        real = x[rng.integers(N_TRAIN, size=BATCH)]
        z = rng.standard_normal((BATCH, gan.DIGIT_LATENT)).astype(np.float32)
        d_loss, g_loss = step(real, z)
        d_losses[i], g_losses[i] = float(d_loss), float(g_loss)
    path = out_dir / "ch12_dcgan_digits.npz"
    np.savez_compressed(path, **{f"w{i:02d}": w.astype(np.float32) for i, w in enumerate(G.get_weights())})
    print(f"{STEPS} steps in {time.process_time() - start:.0f} CPU-s, last 500 steps' mean losses "
          f"D {d_losses[-500:].mean():.3f} G {g_losses[-500:].mean():.3f}; {path} "
          f"{path.stat().st_size} bytes, sha256 {sha256(path)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
