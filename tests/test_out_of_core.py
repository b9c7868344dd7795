"""The out-of-core example: streaming chunks from disk matches an in-memory fit."""

import importlib.util
from pathlib import Path

import pytest

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
