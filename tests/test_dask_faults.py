"""Faults during a fit on Dask input: each surfaces, or is survived.

A block that cannot be computed, a worker killed for its memory, a worker
lost just as the data finished loading: the user gets the task's own
exception (or Dask's ``KilledWorker``), in about the time plain Dask takes,
or a fit equal to the in-memory fit. Never an unrelated error, never a wait
without end: each fault runs under a deadline that a hang cannot pass.

Each test starts its own ``LocalCluster`` on the loopback interface, since
the faults kill its workers or change its configuration. (A block that
raises leaves the cluster as it was: tests/test_dask.py checks it.)
"""

import os
import signal
import time

import numpy as np
import pytest
from _faults import blocks_of, within
from _problems import make_data

from skprob import BernoulliClassifier, GaussianRegressor
from skprob.solvers import LBFGS

NEEDS_EXTRA = "needs the 'dask' extra: pip install '.[dask]'"
dask = pytest.importorskip("dask", reason=f"dask {NEEDS_EXTRA}")
da = pytest.importorskip("dask.array", reason=f"dask {NEEDS_EXTRA}")
distributed = pytest.importorskip("distributed", reason=f"distributed {NEEDS_EXTRA}")

pytestmark = [
    pytest.mark.dask,
    pytest.mark.filterwarnings("ignore:Port 8787 is already in use:UserWarning"),
]


def local_client(**cluster_options):
    """A client of two single-thread worker processes on 127.0.0.1."""
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        **cluster_options,
    )
    return distributed.Client(cluster)


def close(client):
    cluster = client.cluster
    client.close()
    cluster.close()


def worker_pid(client, address):
    """The process id of the worker at ``address``, from its nanny."""
    for nanny in client.cluster.workers.values():
        if nanny.worker_address == address:
            return nanny.process.process.pid
    raise LookupError(address)


@pytest.mark.slow
def test_a_block_that_kills_its_workers_for_memory_gives_killed_worker():
    def read_block(i):
        if i == 1:
            # Twice the workers' memory limit, held long enough for the
            # nanny's memory monitor (every 0.1 s) to see it.
            held = np.ones(100_000_000)
            time.sleep(5)
            del held
        return np.random.default_rng(i).normal(size=(1000, 3))

    # One retry instead of three: the same error, sooner.
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        client = local_client(memory_limit="400MiB")
    try:
        X, y = blocks_of(read_block)
        # Plain Dask's error, in plain Dask's time (two worker starts).
        start = time.perf_counter()
        with pytest.raises(distributed.KilledWorker):
            within(120, X.sum().compute)
        plain_time = time.perf_counter() - start
        start = time.perf_counter()
        with pytest.raises(distributed.KilledWorker):
            within(120, BernoulliClassifier().fit, X, y)
        fit_time = time.perf_counter() - start
        # A generous margin for a loaded machine; a fit that waited on the
        # other shards after the failure (restart after restart) took many
        # times longer.
        assert fit_time < 3 * plain_time + 30
    finally:
        close(client)


@pytest.mark.slow
def test_a_worker_lost_as_the_data_finished_loading_is_survived(monkeypatch):
    from skprob import _dask

    client = local_client()
    groups_by_thread = _dask._groups_by_thread
    killed = []

    def kill_a_holder_first(client, shards):
        """Kill the worker that holds the first shard, then group them."""
        if not killed:
            address = next(iter(client.who_has(shards[:1]).values()))[0]
            # SIGKILL: the process dies at once, as at a machine's loss.
            os.kill(worker_pid(client, address), signal.SIGKILL)
            deadline = time.monotonic() + 60
            while address in client.scheduler_info()["workers"]:
                assert time.monotonic() < deadline, "the worker did not die"
                time.sleep(0.1)
            killed.append(address)
        return groups_by_thread(client, shards)

    monkeypatch.setattr(_dask, "_groups_by_thread", kill_a_holder_first)
    X, y = make_data(GaussianRegressor, 3000)
    estimator = GaussianRegressor(solver=LBFGS(gtol=1e-12), tol=1e-11)
    try:
        X_dask = da.from_array(X, chunks=(500, -1))
        y_dask = da.from_array(y, chunks=500)
        on_cluster = within(120, estimator.fit, X_dask, y_dask)
    finally:
        close(client)
    assert killed
    in_memory = GaussianRegressor(solver=LBFGS(gtol=1e-12), tol=1e-11).fit(X, y)
    np.testing.assert_allclose(on_cluster.coef_, in_memory.coef_, rtol=1e-6)
    np.testing.assert_allclose(on_cluster.sigma_, in_memory.sigma_, rtol=1e-6)
