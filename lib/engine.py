"""Independent units of work (training runs, ablation rungs) run one after the other, on the cores of this
machine, or on a cluster, with the same results each way.

    run_units(units, workers=None, scheduler=None, label="sweep")

* ``workers == 1`` and no scheduler: in this process, one unit after the other;
* otherwise Dask distributed: ``scheduler`` (or ``$DASK_SCHEDULER_ADDRESS``) names a running scheduler,
  e.g. ``tcp://10.0.0.5:8786``; without one, an embedded ``LocalCluster`` of ``workers`` single-threaded
  worker processes (``None``: one per core this process may use) is started once and kept until exit.

Every unit runs with its own fixed thread count (``Unit.threads``), wherever it runs, so its numbers do
not depend on how many workers there are. A unit's function must be importable (defined in ``lib``) and
safe to run twice: run folders make it so. A worker that dies mid-run (killed, out of memory, its
machine lost) loses only the unit it was running: the scheduler hands it to another worker, which resumes
from the unit's last checkpoint; a unit that kills three workers in a row fails with Dask's
``KilledWorker``. Units are submitted longest first, which shortens the wait for the last one.
"""
from __future__ import annotations

import atexit
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Callable

from .checks import check_int
from .devices import torch_threads, usable_cores
from .pipeline import PROJECT_ROOT
from .progress import Progress, minutes, plural, say, to_terminal

SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"


@dataclass(frozen=True)
class Unit:
    """One independent piece of work: ``function(argument)``, with a name for progress, its expected cost
    in seconds (order and time left) and the torch threads it runs on."""

    name: str
    function: Callable
    argument: Any
    cost: float = 1.0
    threads: int = 1


def call(unit: Unit) -> Any:
    """Run ``unit`` here, on its own thread count; in a Dask worker on a machine with GPUs, on the worker's own
    GPU (worker k of a LocalCluster takes GPU k modulo their number), so that units do not crowd one."""
    import torch

    if torch.cuda.is_available():
        try:
            from dask.distributed import get_worker

            torch.cuda.set_device(int(get_worker().name) % torch.cuda.device_count())
        except (ImportError, ValueError, TypeError):
            pass  # not in a worker, or a worker of a cluster whose names are not numbers
    with torch_threads(unit.threads):
        return unit.function(unit.argument)


def worker_count(workers: int | None) -> int:
    """``workers``, or when None one per GPU where there are GPUs, else one per core this process may use."""
    if workers is None:
        import torch

        return torch.cuda.device_count() or usable_cores()
    check_int("workers", workers)
    return workers


def announce(label: str, costs: dict, workers: int, condition: str = "") -> None:
    """The line printed before units start: how many will run (``costs``: seconds by name, 0 when reused),
    and about how long they take on ``workers`` (the longest unit bounds it below), under ``condition``."""
    todo = [seconds for seconds in costs.values() if seconds > 0]
    if not todo:
        say(f"{label}: {plural(len(costs), 'run')}, all finished before: reused.")
        return
    wall = max(sum(todo) / min(workers, len(todo)), max(todo))
    say(f"{label}: {plural(len(todo), 'run')} to train ({len(costs) - len(todo)} reused), "
        f"{'at most' if condition else 'about'} {minutes(wall)} on {plural(min(workers, len(todo)), 'worker')}"
        + (f" {condition}." if condition else "."))


_clients: dict = {}


def client(workers: int, scheduler: str | None = None):
    """The Dask client for ``scheduler``, or for an embedded LocalCluster of ``workers`` processes; made once."""
    from dask.distributed import Client, LocalCluster

    key = scheduler or workers
    if key not in _clients:
        if scheduler:
            _clients[key] = Client(scheduler, set_as_default=False)
        else:
            import dask

            path = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
            # Dask's nanny sets MALLOC_TRIM_THRESHOLD_ in its workers, which also fixes glibc's mmap threshold at
            # 128 KiB: every larger tensor is then mapped and unmapped afresh. Measured here, a GAN step took 1.5
            # times and an LSTM step at T = 20 1.6 times as long in such a worker as in this process.
            with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
                cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.ERROR,
                                       local_directory=tempfile.gettempdir(),
                                       env={"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONPATH": path})
            _clients[key] = Client(cluster, set_as_default=False)
    return _clients[key]


@atexit.register
def _close_clients() -> None:
    for dask_client in _clients.values():
        cluster = dask_client.cluster
        dask_client.close()
        if cluster is not None:
            cluster.close()
    _clients.clear()


def run_units(units: list[Unit], workers: int | None = None, scheduler: str | None = None, label: str = "runs",
              bar: bool = False) -> list:
    """``[call(unit) for unit in units]``, in order, through the engine the module's docstring describes."""
    scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
    workers = worker_count(workers)
    progress = Progress(label, len(units), "runs" if label != "rungs" else "rungs", bar=bar,
                        work=sum(unit.cost for unit in units))
    if scheduler:
        to_terminal(f"{label}: on the cluster at {scheduler}")
    try:
        if not units:
            return []
        if workers == 1 and not scheduler:
            results = []
            for unit in units:
                results.append(call(unit))
                progress.update(weight=unit.cost)
            return results
        return _distributed(units, client(workers, scheduler), progress)
    finally:
        progress.close()


def _distributed(units: list[Unit], dask_client, progress: Progress) -> list:
    from dask.distributed import as_completed

    ranks = {id(unit): rank for rank, unit in enumerate(sorted(units, key=lambda u: -u.cost))}
    futures = [dask_client.submit(call, unit, key=f"{unit.name}-{index}", pure=False, priority=-ranks[id(unit)])
               for index, unit in enumerate(units)]
    cost = {future.key: unit.cost for future, unit in zip(futures, units)}
    capacity = sum(dask_client.nthreads().values()) or 1
    # The units start in order of priority, each when a worker frees: when each started, as far as we can tell,
    # so that the progress credits the running ones with the work they have done.
    queue = [f.key for _, f in sorted(zip(units, futures), key=lambda pair: ranks[id(pair[0])])]
    started = dict.fromkeys(queue[:capacity], time.monotonic())
    waiting = queue[capacity:]
    for finished, future in enumerate(as_completed(futures, loop=dask_client.loop), 1):
        if future.status == "error":
            for other in futures:
                if other is not future:  # cancelling the failed one too would raise CancelledError, not its error
                    other.cancel()
            future.result()  # raises the unit's error here
        now = time.monotonic()
        if future.key in started:
            del started[future.key]
        else:  # it ran before its turn in our reckoning
            waiting.remove(future.key)
        if waiting and len(started) < capacity:
            started[waiting.pop(0)] = now
        progress.update(weight=cost[future.key], running=min(capacity, len(futures) - finished),
                        in_flight=sum(min(now - start, cost[key]) for key, start in started.items()))
    return [future.result() for future in futures]
