"""Make chapter 13's two character-level language models (`ch13_char_lm.npz`) instead of training
them on the page, where the pair took about 80 s: chapter 11's LSTM (`transformers.keras_char_lstm`)
and the causal transformer (`transformers.keras_char_lm(V, LM_LENGTH, **CHAR_LM)`), each trained
with chapter 11's recipe on chapter 11's data: the book's text (`data.text("corpus")`), its last 10%
held out, windows of 64 characters every 32, LM_EPOCHS epochs of batches of 64, Adam 3e-3, Keras
seeded with 0 before each model; the validation loss is recorded every LM_EVERY steps
(`transformers.keras_validation_curve`).

The file holds each model's `get_weights()` as float32 arrays `lstm_00`, ... and `gpt_00`, ..., and
the curves `lstm_steps`, `lstm_losses`, `gpt_steps`, `gpt_losses`. Training runs on one CPU
thread with TensorFlow's op determinism and without oneDNN's kernels, so the same environment
reproduces the file byte for byte (tests/test_data_scripts.py). Run from anywhere:
`python data/make_ch13_char_lm.py [out_dir]` (default: next to this script; about 60 CPU-s), then
update `CHECKSUMS` in lib/nnbook/book/data.py and the table in data/README.md with the sha256 it
prints.
"""

import sys
import time
from pathlib import Path

import deterministic_tf  # noqa: F401  (first: one thread, op determinism, no oneDNN; lib/ on the path)
import keras  # noqa: E402
import numpy as np  # noqa: E402

from nnbook.book.data import sha256, text  # noqa: E402
from nnbook.lab import sequences as sq  # noqa: E402
from nnbook.lab import transformers as tr  # noqa: E402


def main(out_dir):
    start = time.process_time()
    corpus = text("corpus")
    vocab = sq.Vocabulary(corpus)
    ids = vocab.encode(corpus)
    cut = int(0.9 * len(ids))
    x, y = sq.next_char_windows(ids[:cut], tr.LM_LENGTH, stride=32)
    x_val, y_val = sq.next_char_windows(ids[cut:], tr.LM_LENGTH)
    builders = {"lstm": lambda: tr.keras_char_lstm(len(vocab)),
                "gpt": lambda: tr.keras_char_lm(len(vocab), tr.LM_LENGTH, **tr.CHAR_LM)}
    arrays = {}
    for name, build in builders.items():
        keras.utils.set_random_seed(0)
        model = build()
        curve = tr.keras_validation_curve(x_val, y_val, every=tr.LM_EVERY)
        model.fit(x, y, epochs=tr.LM_EPOCHS, batch_size=tr.LM_BATCH, callbacks=[curve], verbose=0)
        arrays |= {f"{name}_{i:02d}": w.astype(np.float32) for i, w in enumerate(model.get_weights())}
        arrays[f"{name}_steps"] = np.array(curve.steps, dtype=np.int64)
        arrays[f"{name}_losses"] = np.array(curve.losses, dtype=np.float64)
        print(f"{name}: {model.count_params():,} parameters, validation {curve.losses[-1]:.4f} nats/char")
    path = out_dir / "ch13_char_lm.npz"
    np.savez_compressed(path, **arrays)
    print(f"{time.process_time() - start:.0f} CPU-s; {path} {path.stat().st_size} bytes, "
          f"sha256 {sha256(path)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
