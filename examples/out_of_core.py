"""Out-of-core training: stream a data set from disk through ``partial_fit``.

Writes a data set to a ``.npy`` file on disk block by block, opens it as a
NumPy memory map, and trains a :class:`~skprob.SoftmaxClassifier` on it one
chunk at a time with ``partial_fit``, for several epochs, so that only one
chunk is in memory at once. It then fits the same estimator on the whole data
in memory and prints, for both, the time taken and the mean negative
log-likelihood (NLL, nats per sample) of a held-out set.

Run it with ``python examples/out_of_core.py``; ``--rows``, ``--chunk-rows``
and ``--epochs`` change the sizes.
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from numpy.lib.format import open_memmap
from sklearn.metrics import log_loss

from skprob import SoftmaxClassifier

N_FEATURES = 10
N_CLASSES = 3


# The true class scores' weights: fixed, so that every call draws the same
# problem.
WEIGHTS = 0.4 * np.random.default_rng(42).normal(size=(N_FEATURES, N_CLASSES))


def make_rows(n_rows, rng):
    """Rows of a linear 3-class problem with Gumbel noise (a softmax model)."""
    X = rng.normal(size=(n_rows, N_FEATURES))
    y = np.argmax(X @ WEIGHTS + rng.gumbel(size=(n_rows, N_CLASSES)), axis=1)
    return X, y


def write_dataset(directory, n_rows, block_rows, seed=0):
    """Write X and y to ``.npy`` files block by block; return their paths.

    The data are generated a block at a time, so writing them never needs
    more memory than one block, like data that arrive from elsewhere.
    """
    rng = np.random.default_rng(seed)
    X_path, y_path = Path(directory) / "X.npy", Path(directory) / "y.npy"
    X_file = open_memmap(
        X_path, mode="w+", dtype=np.float64, shape=(n_rows, N_FEATURES)
    )
    y_file = open_memmap(y_path, mode="w+", dtype=np.int64, shape=(n_rows,))
    for start in range(0, n_rows, block_rows):
        X_block, y_block = make_rows(min(block_rows, n_rows - start), rng)
        X_file[start : start + len(y_block)] = X_block
        y_file[start : start + len(y_block)] = y_block
    X_file.flush()
    y_file.flush()
    del X_file, y_file
    return X_path, y_path


def stream_fit(estimator, X_path, y_path, chunk_rows, n_epochs, seed=0):
    """Train ``estimator`` with one ``partial_fit`` call per chunk on disk.

    Each epoch visits the chunks in a new random order (the estimator
    shuffles the rows within a chunk); ``np.asarray`` reads one chunk from
    the memory map into memory.
    """
    X_file = np.load(X_path, mmap_mode="r")
    y_file = np.load(y_path, mmap_mode="r")
    starts = np.arange(0, len(y_file), chunk_rows)
    rng = np.random.default_rng(seed)
    classes = np.arange(N_CLASSES)
    for _ in range(n_epochs):
        for start in rng.permutation(starts):
            rows = slice(start, start + chunk_rows)
            estimator.partial_fit(
                np.asarray(X_file[rows]), np.asarray(y_file[rows]), classes=classes
            )
    return estimator


def compare(n_rows=200_000, chunk_rows=20_000, n_epochs=5, directory=None):
    """Fit out of core and in memory; return the figures of both.

    Returns
    -------
    figures : dict
        Rows, chunks, epochs, the size of the data on disk and of one chunk
        (MB), the number of ``partial_fit`` calls, and the time taken and the
        held-out NLL of both fits.
    """
    X_test, y_test = make_rows(20_000, np.random.default_rng(1))
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        X_path, y_path = write_dataset(tmp, n_rows, block_rows=chunk_rows)
        start = time.perf_counter()
        streamed = stream_fit(
            SoftmaxClassifier(random_state=0), X_path, y_path, chunk_rows, n_epochs
        )
        streamed_time = time.perf_counter() - start

        X, y = np.load(X_path), np.load(y_path)
        start = time.perf_counter()
        in_memory = SoftmaxClassifier(random_state=0).fit(X, y)
        in_memory_time = time.perf_counter() - start
        disk_mb = (X.nbytes + y.nbytes) / 1e6
    return {
        "rows": n_rows,
        "chunks": -(-n_rows // chunk_rows),
        "epochs": n_epochs,
        "disk_mb": disk_mb,
        "chunk_mb": disk_mb * chunk_rows / n_rows,
        "streamed_calls": streamed.n_iter_,
        "streamed_time": streamed_time,
        "streamed_nll": log_loss(y_test, streamed.predict_proba(X_test)),
        "in_memory_epochs": in_memory.n_iter_,
        "in_memory_time": in_memory_time,
        "in_memory_nll": log_loss(y_test, in_memory.predict_proba(X_test)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--chunk-rows", type=int, default=20_000)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    f = compare(args.rows, args.chunk_rows, args.epochs)
    print(
        f"{f['rows']} rows ({f['disk_mb']:.1f} MB on disk) in {f['chunks']} "
        f"chunks of {f['chunk_mb']:.1f} MB"
    )
    print(
        f"out of core: {f['epochs']} epochs of partial_fit, "
        f"{f['streamed_time']:.1f} s, held-out NLL {f['streamed_nll']:.4f}"
    )
    print(
        f"in memory:   fit, {f['in_memory_epochs']} epochs, "
        f"{f['in_memory_time']:.1f} s, held-out NLL {f['in_memory_nll']:.4f}"
    )
    excess = f["streamed_nll"] / f["in_memory_nll"] - 1
    print(f"out-of-core NLL relative to in-memory: {excess:+.2%}")


if __name__ == "__main__":
    main()
