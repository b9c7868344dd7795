"""The out-of-core example: streaming chunks from disk matches an in-memory fit."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import log_loss

from skprob import SoftmaxClassifier

EXAMPLE = Path(__file__).parents[1] / "examples" / "out_of_core.py"


@pytest.fixture(scope="module")
def out_of_core():
    spec = importlib.util.spec_from_file_location("out_of_core", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_streaming_from_disk_reaches_in_memory_nll(out_of_core, tmp_path):
    figures = out_of_core.compare(
        n_rows=10_000, chunk_rows=2_500, n_epochs=5, directory=tmp_path
    )
    assert figures["chunks"] == 4
    assert figures["streamed_calls"] == 4 * 5
    assert figures["streamed_nll"] == pytest.approx(figures["in_memory_nll"], rel=0.01)
    # The temporary data files are gone.
    assert list(tmp_path.iterdir()) == []


def test_chunks_cover_the_file_once_per_epoch(out_of_core, tmp_path):
    X_path, y_path = out_of_core.write_dataset(tmp_path, n_rows=1_000, block_rows=300)

    class Recorder:
        def __init__(self):
            self.rows = []

        def partial_fit(self, X, y, classes):
            assert len(X) == len(y) <= 300
            self.rows.append(len(y))
            return self

    recorder = out_of_core.stream_fit(Recorder(), X_path, y_path, 300, n_epochs=2)
    assert sorted(recorder.rows) == [100, 100, 300, 300, 300, 300, 300, 300]


def test_streaming_csv_chunks_reaches_in_memory_nll(out_of_core, tmp_path):
    pd = pytest.importorskip("pandas")
    # The rows are i.i.d., so the file's order is already a random one.
    X, y = out_of_core.make_rows(10_000, np.random.default_rng(0))
    X_test, y_test = out_of_core.make_rows(5_000, np.random.default_rng(1))
    path = tmp_path / "data.csv"
    pd.DataFrame(X).assign(y=y).to_csv(path, index=False)

    streamed = SoftmaxClassifier(random_state=0)
    for _ in range(5):
        for chunk in pd.read_csv(path, chunksize=2_500):
            streamed.partial_fit(
                chunk.drop(columns="y").to_numpy(),
                chunk["y"].to_numpy(),
                classes=[0, 1, 2],
            )
    in_memory = SoftmaxClassifier(random_state=0).fit(X, y)

    assert streamed.n_iter_ == 4 * 5
    assert log_loss(y_test, streamed.predict_proba(X_test)) == pytest.approx(
        log_loss(y_test, in_memory.predict_proba(X_test)), rel=0.01
    )
