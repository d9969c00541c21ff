"""Part I's speed study: what each setting does to the time the chrono LSTM needs to first reach 99% at
T = 100, and how training runs best share the two cores. Run by `python -m bench.run --full`.

Each row of the study is one ordinary run (``lib.recurrent_train.train``) of ``BASE`` with one change,
single-threaded, stopped at its first evaluation at 99% or after 3,000 steps. The runs live under
``<out>/runs/`` and are reused when finished, so the seconds are those of the run that trained them.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

from lib.devices import torch_threads
from lib.recurrent import MODELS
from lib.recurrent_train import LEARNED, RecurrentConfig, train
from lib.sweeps import train_runs

# The default profile's long-memory LSTM, given the same 3,000 steps whatever the change.
BASE = RecurrentConfig(model="lstm-chrono", seq_length=100, learning_rate=MODELS["lstm-chrono"].learning_rate,
                       max_steps=3000, target_accuracy=LEARNED, patience=1)
CHANGES = {
    "as registered: chrono init, its own rate": {},
    "rate 1e-3 (the course's)": dict(learning_rate=1e-3),
    "rate 1e-2": dict(learning_rate=1e-2),
    "RMSProp alpha 0.9": dict(rmsprop_alpha=0.9),
    "clipping norm 1": dict(max_norm=1.0),
    "batch 64": dict(batch_size=64),
    "evaluation every 25 steps": dict(eval_every=25),
    "evaluation every 100 steps": dict(eval_every=100),
    "every bias zero": dict(model="lstm"),
    "seed 1": dict(seed=1),
}


def speed_study(out: Path) -> list[dict]:
    """One row per change: steps and seconds to 99% (None when not reached), and milliseconds per step."""
    rows = []
    for change, settings in CHANGES.items():
        with torch_threads(1):
            result = train(replace(BASE, **settings), out)
        seconds_per_step = result["wall_seconds"] / result["steps"]
        reached = result["steps_to_99"]
        rows.append(dict(change=change, steps_to_99=reached, final_accuracy=round(result["test_accuracy"], 3),
                         seconds_to_99=round(reached * seconds_per_step, 1) if reached else None,
                         steps=result["steps"], ms_per_step=round(seconds_per_step * 1e3, 1)))
        print(f"T = 100, {change}: 99% at step {reached} ({rows[-1]['seconds_to_99']} s), "
              f"{rows[-1]['ms_per_step']} ms per step", flush=True)
    return rows


def sharing_the_cores(cores: int = 2, runs: int = 4) -> dict:
    """Seconds for ``runs`` fresh runs of the sweep's LSTM at T = 50 (seeds 0..runs-1), ``cores`` at a time in
    single-threaded processes, against one after the other on ``cores`` threads."""
    configs = [replace(BASE, seq_length=50, seed=seed, max_steps=400) for seed in range(runs)]
    seconds = {}
    for way, workers in (("processes", cores), ("threads", 1)):
        with torch_threads(cores), tempfile.TemporaryDirectory() as scratch:
            start = time.perf_counter()
            if workers == 1:
                [train(config, scratch) for config in configs]
            else:
                train_runs(configs, scratch, "sharing the cores", workers=workers)
            seconds[way] = round(time.perf_counter() - start, 1)
    print(f"{runs} runs at T = 50: {seconds['processes']} s as {cores} single-threaded processes, "
          f"{seconds['threads']} s one after the other on {cores} threads", flush=True)
    return dict(runs=runs, threads=cores, seconds=seconds)
