"""Helpers of the fault tests on Dask input: a deadline, data read by blocks."""

import concurrent.futures

import pytest


def within(seconds, function, *args):
    """``function(*args)``, or a test failure if it takes over ``seconds``.

    The call runs in a thread, so that a hang fails the test instead of
    blocking it; the cluster's closing then ends the call.
    """
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        call = pool.submit(function, *args)
        try:
            return call.result(timeout=seconds)
        except concurrent.futures.TimeoutError:
            pytest.fail(f"no result, and no error, after {seconds} s")


def blocks_of(read_block, n_blocks=3, rows=1000):
    """A dask.array of X read block by block, with y from its first column.

    ``read_block(i)`` returns the i-th block, of shape ``(rows, 3)``; define
    it inside the test, so that the workers receive it by value.
    """
    import dask
    import dask.array as da

    X = da.concatenate(
        [
            da.from_delayed(dask.delayed(read_block)(i), (rows, 3), float)
            for i in range(n_blocks)
        ]
    )
    return X, (X[:, 0] > 0).astype(int)
