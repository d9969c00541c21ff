"""What running units side by side costs and buys: the engine's start and per-unit overhead (Dask distributed,
and Ray where it is installed, for the comparison that chose Dask), Part I's runs on 1, 2 and N workers with
their numbers compared, and the GAN's training step on 1, 2 and N threads."""
from __future__ import annotations

import tempfile
import time
from dataclasses import replace

import torch

from lib.devices import torch_threads, usable_cores
from lib.engine import Unit, client, run_units
from lib.recurrent_train import RecurrentConfig
from lib.sweeps import train_runs


def nothing(x):
    return x


def dask_overhead(units: int = 200, workers: int = 2) -> dict:
    """Seconds to start a LocalCluster of ``workers`` processes, and per no-op unit once it runs."""
    started = time.perf_counter()
    client(workers)
    startup = time.perf_counter() - started
    started = time.perf_counter()
    run_units([Unit(f"n{i}", nothing, i, cost=1.0) for i in range(units)], workers=workers, label="overhead")
    return dict(engine="dask", startup_seconds=round(startup, 2),
                per_unit_ms=round((time.perf_counter() - started) / units * 1e3, 2))


def ray_overhead(units: int = 200, workers: int = 2) -> dict | None:
    """The same for Ray, where it is installed (it is not a dependency of the project); None otherwise."""
    try:
        import ray
    except ImportError:
        return None
    started = time.perf_counter()
    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    remote = ray.remote(nothing)
    ray.get(remote.remote(0))
    startup = time.perf_counter() - started
    started = time.perf_counter()
    ray.get([remote.remote(i) for i in range(units)])
    per_unit = (time.perf_counter() - started) / units
    ray.shutdown()
    return dict(engine="ray", startup_seconds=round(startup, 2), per_unit_ms=round(per_unit * 1e3, 2))


WORKER_CHECK = [RecurrentConfig(model=m, seq_length=T, seed=s, hidden_dim=64, max_steps=150, eval_every=50)
                for m in ("rnn", "lstm-chrono") for T in (10, 20) for s in (0, 1, 2)]


def worker_check(configs=WORKER_CHECK) -> dict:
    """The same runs, fresh, on 1, 2 and every usable worker: the wall time of each, and whether every number
    of every run is the same (the run time aside)."""
    rows, results = [], {}
    for workers in sorted({1, 2, usable_cores()}):
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            found = train_runs(configs, out, f"{workers} workers", workers=workers)
            rows.append(dict(workers=workers, seconds=round(time.perf_counter() - started, 1)))
            results[workers] = [{k: v for k, v in r.items() if k not in ("wall_seconds", "code")} for r in found]
    identical = all(found == results[1] for found in results.values())
    return dict(runs=len(configs), rows=rows, identical=identical)


def gan_threads(steps: int = 60) -> dict:
    """The GAN's training step per second on 1, 2 and every usable thread, and how far the generator's weights
    after ``steps`` steps differ from those on one thread (sums are split among the threads that share them)."""
    from lib.gan_train import Batches, GANConfig, GANState, train_step
    from lib.mnist import load_mnist5k

    data = load_mnist5k()
    config = replace(GANConfig(data_source="mnist5k"), steps=steps)
    rows, reference = [], None
    for threads in sorted({1, 2, usable_cores()}):
        with torch_threads(threads):
            state = GANState.new(config, torch.device("cpu"))
            batches = Batches(config, data.train_images)
            train_step(state, *batches(0))
            started = time.perf_counter()
            while state.step < steps:
                train_step(state, *batches(state.step))
            rate = (steps - 1) / (time.perf_counter() - started)
        weights = torch.cat([p.detach().flatten() for p in state.G.parameters()])
        reference = weights if reference is None else reference
        rows.append(dict(threads=threads, steps_per_second=round(rate, 1),
                         max_weight_difference=float((weights - reference).abs().max())))
    return dict(steps=steps, rows=rows)


def _rate(work: str, step, repeats: int, counted=None) -> dict:
    """One row of ``compute_rates``: the FLOPs of the matrix products in one call of ``counted`` (``step`` when not
    given; two per multiply-add, counted by torch.utils.flop_counter: element-wise work is left out, so a step's
    rate counts its products only) and the GFLOP/s at which ``step`` runs as many, after one warm-up call."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        (counted or step)()
    flops = counter.get_total_flops()
    step()
    started = time.perf_counter()
    for _ in range(repeats):
        step()
    return dict(work=work, gflops=flops / 1e9, rate=flops * repeats / (time.perf_counter() - started) / 1e9)


def compute_rates(repeats: int = 30, seq_length: int = 20, batch: int = 128, hidden: int = 128) -> dict:
    """How close the training steps come to what one core can do: on one thread, the GFLOP/s of a large matrix
    product (about the core's peak) and those of one training step of the GAN (the default recipe) and of the LSTM's
    forward and backward pass at ``seq_length`` (on the fused path that training uses, whose products
    torch.utils.flop_counter cannot see: they are counted on the autograd path, which computes the same ones).
    A step near the peak can be made cheaper only by doing less work."""
    import torch.nn.functional as F

    from lib.gan_train import Batches, GANConfig, GANState, train_step
    from lib.mnist import load_mnist5k
    from lib.palindrome import encode
    from lib.recurrent import LSTM

    with torch_threads(1):
        a, b = torch.randn(512, 1024), torch.randn(1024, 1024)
        rows = [_rate("matrix product 512 x 1024 x 1024", lambda: a @ b, repeats)]
        config = GANConfig(data_source="mnist5k")
        state, batches = GANState.new(config, torch.device("cpu")), Batches(config, load_mnist5k().train_images)
        rows.append(_rate(f"GAN training step, batch {config.batch_size}",
                          lambda: train_step(state, *batches(state.step)), repeats))
        x, y = encode(torch.randint(0, 10, (batch, seq_length - 1)), 10), torch.randint(0, 10, (batch,))
        torch.manual_seed(0)
        counted, fused = LSTM(seq_length, 10, hidden, 10, fused=False), LSTM(seq_length, 10, hidden, 10)
        rows.append(_rate(f"LSTM forward and backward, T = {seq_length}, batch {batch}, hidden {hidden}",
                          lambda: F.cross_entropy(fused(x), y).backward(), repeats,
                          counted=lambda: F.cross_entropy(counted(x), y).backward()))
    peak = rows[0]["rate"]
    return dict(threads=1, rows=[dict(r, gflops=float(f"{r['gflops']:.3g}"), rate=float(f"{r['rate']:.3g}"),
                                      share_of_peak=round(r["rate"] / peak, 2)) for r in rows])
