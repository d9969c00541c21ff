"""Independent units on Dask distributed: the same numbers serially, on a two-worker LocalCluster of separate
processes, and when a worker is killed mid-run (its unit is retried and resumes from its checkpoint)."""
import os
import signal
import threading
import time

import pytest

from lib import engine
from lib.recurrent_train import RecurrentConfig
from lib.sweeps import train_runs

CONFIGS = [RecurrentConfig(model=m, seq_length=30, seed=s, hidden_dim=64, max_steps=200, eval_every=25,
                           target_accuracy=1.0) for m in ("rnn", "lstm") for s in (0, 1)]


def strip(runs):
    return [{k: v for k, v in r.items() if k != "wall_seconds"} for r in runs]


def test_the_notebooks_sweep_on_a_two_worker_cluster_equals_the_serial_one(executed_root, tmp_path):
    from lib.sweeps import read_metrics
    from tools.run_notebook import run

    run("01_lstm", "smoke", str(tmp_path), [("-p", "workers", "2")], progress=False)
    serial, parallel = read_metrics(executed_root / "01_lstm"), read_metrics(tmp_path / "01_lstm")
    assert serial["parameters"]["workers"] == 1 and parallel["parameters"]["workers"] == 2
    assert strip(parallel["runs"]) == strip(serial["runs"])
    assert parallel["gradient_flow"] == serial["gradient_flow"] and parallel["chosen_rates"] == serial["chosen_rates"]


def test_a_worker_killed_mid_run_costs_nothing_but_time(tmp_path):
    serial = train_runs(CONFIGS, tmp_path / "serial", "serial", workers=1)
    cluster = engine.client(2)
    found = {}
    thread = threading.Thread(target=lambda: found.update(runs=train_runs(CONFIGS, tmp_path / "killed", "killed",
                                                                          workers=2)))
    thread.start()
    deadline = time.monotonic() + 120
    while not list((tmp_path / "killed").glob("runs/*/checkpoint.pt")):  # a run is under way, with a checkpoint
        assert time.monotonic() < deadline, "no run started"
        time.sleep(0.05)
    victim = next(iter(cluster.run(os.getpid).values()))
    os.kill(victim, signal.SIGKILL)
    thread.join(timeout=600)
    assert strip(found["runs"]) == strip(serial), "every run finished, with the numbers of the serial runs"
    assert victim not in cluster.run(os.getpid).values(), "the killed worker was replaced"


def test_a_failing_unit_raises_its_own_error_and_the_others_are_cancelled(tmp_path):
    """A full disk in one run must reach the terminal as itself, not as the cancellation of its neighbours."""
    units = [engine.Unit("slow", time.sleep, 30, cost=30.0),
             engine.Unit("failing", os.stat, str(tmp_path / "none"), cost=1.0)]
    started = time.monotonic()
    with pytest.raises(FileNotFoundError):
        engine.run_units(units, workers=2, label="units")
    assert time.monotonic() - started < 25, "the slow unit was cancelled, not waited for"


def test_workers_keep_glibcs_own_rule_for_large_allocations():
    """Dask's nanny sets MALLOC_TRIM_THRESHOLD_ by default, which made every large tensor a fresh mmap and a
    training step about 1.5 times slower in a worker than in the notebook's process."""
    assert set(engine.client(2).run(os.getenv, "MALLOC_TRIM_THRESHOLD_").values()) == {None}


def test_the_time_left_credits_the_work_of_the_runs_still_running():
    from lib.progress import Progress

    progress = Progress("runs", 3, "runs", work=300.0)  # a long run of 200 s beside two of 50 s
    progress.started -= 100  # 100 s in: both short runs done, the long one half way
    progress.update(2, weight=100.0, running=1, in_flight=100.0)
    assert progress.line(1).endswith("; about 50 s left"), "200 of 300 done in 100 s: 100 more take 50 s"
    progress.update(0, weight=0.0, running=1)  # without the credit, the long run counts for nothing
    assert progress.line(1).endswith("; about 3.3 min left")
