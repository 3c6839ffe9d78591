"""Make the generator weights chapter 12 ships instead of training GANs on the page (its 60-second
budget): two MLP GANs of `nnbook.lab.gan.DigitGAN` trained by the NumPy engine on MNIST-5k.

* `ch12_gan_digits.npz`: the generator of a plain (unconditional) GAN;
* `ch12_cgan_digits.npz`: the generator of a class-conditional GAN (the label's one-hot code
  appended to the input of both players, D's multiplied by `gan.CODE_SCALE`).

Both see the first 3,500 of the 4,000 training images of `data.load("mnist5k")` with their labels
(the split chapter 10's CNN trained on; the last 500 stay for validation, the test set is not
touched), scaled to [-1, 1]: STEPS steps of 64 real images drawn with replacement, Adam 2e-4 with
beta_1 = 0.5 for both players, dropout 0.3 in D, seed 0. Each file holds the generator's
`get_weights()` as float32 arrays `w00`, `w01`, ..., the format `nnbook.data.weights` reads.
BLAS runs on one thread, so each file is the same byte for byte on every run
(tests/test_data_scripts.py reruns each part).

Run from anywhere: `python data/make_ch12_digits.py [out_dir] [gan|cgan]` (default: next to this
script, both parts; about 55 CPU-s each), then update `CHECKSUMS` in lib/nnbook/book/data.py and the table in
data/README.md with the sha256 it prints.
"""

import os
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one BLAS thread: the same sums in the same order, every run
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

import numpy as np  # noqa: E402

from nnbook.book.data import load, sha256  # noqa: E402
from nnbook.lab import gan  # noqa: E402

N_TRAIN = 3500
PARTS = {"gan": ("ch12_gan_digits.npz", 0, 3000), "cgan": ("ch12_cgan_digits.npz", gan.N_CLASSES, 3000)}

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
chosen = sys.argv[2:] or list(PARTS)
mnist = load("mnist5k")
x, y = mnist.x_train[:N_TRAIN] * 2 - 1, mnist.y_train[:N_TRAIN]
for part in chosen:
    filename, n_classes, steps = PARTS[part]
    start = time.process_time()
    model = gan.DigitGAN(n_classes=n_classes, seed=0)
    run = gan.train_digits(model, x, y, steps, seed=0)
    path = out_dir / filename
    weights = model.G.get_weights()  # Keras's order: kernel, bias of every layer in turn
    np.savez_compressed(path, **{f"w{i:02d}": w.astype(np.float32) for i, w in enumerate(weights)})
    print(f"{part}: {steps} steps in {time.process_time() - start:.0f} CPU-s, last 500 steps' mean losses "
          f"D {run['d_loss'][-500:].mean():.3f} G {run['g_loss'][-500:].mean():.3f}; {path} "
          f"{path.stat().st_size} bytes, sha256 {sha256(path)}")
