"""Benchmarks behind `make bench`: the from-scratch recurrent nets against PyTorch's, the GAN's
throughput, and the wall time of the Makefile's runs. Prints a table and writes outputs/bench.json.

Each from-scratch/reference pair is timed in this one process, interleaved (ours, theirs,
ours, theirs, ...) after a warm-up, so that both see the same machine state; the ratio is
taken pair by pair and summarised by its median, min and max. Benchmarks are not tests:
nothing here asserts a time.

    python -m bench.run            # recurrent pairs, GAN throughput, `make smoke`
    python -m bench.run --full     # also `make all` (default profile, fresh output folder) and Part I's
                                   # speed study (bench/part1_speed.py)
    python -m bench.run --tiny     # small shapes, few repeats, no make runs: checks the script itself
"""
from __future__ import annotations

import argparse
import datetime
import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from lib.gan_train import Batches, GANConfig, GANState, train_step
from lib.mnist import BrokenMNISTFile, load_full_mnist, load_mnist5k
from lib.palindrome import encode
from lib.recurrent import LSTM, VanillaRNN
from lib.runs import PROJECT_ROOT, project_path, save_json

from .part1_speed import sharing_the_cores, speed_study


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _time(fn, inner: int) -> float:
    start = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - start) / inner * 1e3  # ms per call


def compare(ours, reference, repeats: int, inner: int, warmup: int = 3) -> dict:
    """Median, min and max of the pair-by-pair ratio ours/reference, and both medians (ms)."""
    for _ in range(warmup):
        ours(), reference()
    times_ours, times_ref = [], []
    for _ in range(repeats):
        times_ours.append(_time(ours, inner))
        times_ref.append(_time(reference, inner))
    ratios = [a / b for a, b in zip(times_ours, times_ref)]
    return dict(ours_ms=round(statistics.median(times_ours), 3), reference_ms=round(statistics.median(times_ref), 3),
                ratio=round(statistics.median(ratios), 3), ratio_min=round(min(ratios), 3),
                ratio_max=round(max(ratios), 3))


def recurrent_pairs(batch: int, hidden: int, lengths: list[int], repeats: int, inner: int) -> list[dict]:
    """Training step (forward, backward, RMSProp) and inference of ours vs torch.nn at the same shapes."""
    rows = []
    for T in lengths:
        digits, targets = torch.randint(0, 10, (batch, T)), torch.randint(0, 10, (batch,))
        x = encode(digits, 10)  # (B, T, 10) one-hot
        x_seq_first = x.transpose(0, 1).contiguous()  # what torch.nn.LSTM/RNN take
        for name, ours_cls, reference_cls in (("LSTM", LSTM, torch.nn.LSTM), ("RNN", VanillaRNN, torch.nn.RNN)):
            torch.manual_seed(0)
            ours = ours_cls(T + 1, 10, hidden, 10)
            reference, head = reference_cls(10, hidden), torch.nn.Linear(hidden, 10)
            opt_ours = torch.optim.RMSprop(ours.parameters(), lr=1e-3)
            opt_ref = torch.optim.RMSprop([*reference.parameters(), *head.parameters()], lr=1e-3)

            def train_ours():
                loss = F.cross_entropy(ours(x), targets)
                opt_ours.zero_grad(set_to_none=True)
                loss.backward()
                opt_ours.step()

            def train_reference():
                loss = F.cross_entropy(head(reference(x_seq_first)[0][-1]), targets)
                opt_ref.zero_grad(set_to_none=True)
                loss.backward()
                opt_ref.step()

            @torch.no_grad()
            def infer_ours():
                ours(x)

            @torch.no_grad()
            def infer_reference():
                head(reference(x_seq_first)[0][-1])

            for kind, a, b in (("training step", train_ours, train_reference),
                               ("inference", infer_ours, infer_reference)):
                rows.append(dict(benchmark=f"{name} {kind}", reference=f"torch.nn.{name} + Linear", T=T, B=batch,
                                 H=hidden, **compare(a, b, repeats, inner)))
                print(_format_row(rows[-1]), flush=True)
    return rows


def gan_throughput(seconds: float, variants=("mlp",)) -> dict:
    """The recipe's training step (``lib.gan_train.train_step``: D, then G, then the EMA, with augmentation)
    per second, per variant, at the recipe's batch size; and what that means per epoch of each source."""
    mnist5k = load_mnist5k()
    sizes = {"mnist5k": len(mnist5k.train_images)}
    try:
        sizes["mnist"] = len(load_full_mnist(download_timeout=5).train_images)
    except (FileNotFoundError, BrokenMNISTFile):
        sizes["mnist"] = None  # not on this machine
    result = {}
    for variant in variants:
        config = GANConfig(data_source="mnist5k", variant=variant)
        state = GANState.new(config, torch.device("cpu"))
        batches = Batches(config, mnist5k.train_images)
        for _ in range(5):
            state.window += train_step(state, *batches(state.step))
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            state.window += train_step(state, *batches(state.step))
            count += 1
        per_second = count / (time.perf_counter() - start)
        epochs = {source: (round(n // config.batch_size / per_second, 1) if n else None) for source, n in sizes.items()}
        result[variant] = dict(batch=config.batch_size, steps_per_second=round(per_second, 1), seconds_per_epoch=epochs)
        print(f"GAN step ({variant}, batch {config.batch_size}): {per_second:.1f} steps/s; seconds per epoch: {epochs}",
              flush=True)
    return result


def make_wall_time(profile: str) -> float:
    """Seconds for `make all PROFILE=<profile>` into a fresh output folder (nothing reused)."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run(["make", "all", f"PROFILE={profile}", f"OUT={out}"], cwd=PROJECT_ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
    print(f"make all PROFILE={profile}: {seconds:.0f} s", flush=True)
    return round(seconds, 1)


def _format_row(row: dict) -> str:
    return (f"{row['benchmark']:<22} T={row['T']:<4} ours {row['ours_ms']:8.2f} ms  reference {row['reference_ms']:8.2f} ms"
            f"  ratio {row['ratio']:.2f} (min {row['ratio_min']:.2f}, max {row['ratio_max']:.2f})")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true",
                        help="also time `make all` with the default profile, and run Part I's speed study")
    parser.add_argument("--tiny", action="store_true", help="small shapes, few repeats, no make runs")
    parser.add_argument("--out", default="outputs/bench.json")
    args = parser.parse_args(argv)

    environment = dict(cpu=cpu_model(), threads=torch.get_num_threads(), torch=torch.__version__,
                       python=platform.python_version(), date=datetime.date.today().isoformat())
    print(f"{environment['cpu']}, {environment['threads']} threads, torch {environment['torch']}", flush=True)
    part1 = {}  # Part I's speed study, with --full only
    if args.tiny:
        repeats, rows = 3, recurrent_pairs(batch=8, hidden=16, lengths=[5], repeats=3, inner=2)
        gan, make = gan_throughput(seconds=0.5), {}
    else:
        repeats = 9
        rows = recurrent_pairs(batch=128, hidden=128, lengths=[20, 100], repeats=repeats, inner=5)
        gan = gan_throughput(seconds=20, variants=("mlp", "conv"))
        make = {"smoke_seconds": make_wall_time("smoke")}
        if args.full:
            make["all_seconds"] = make_wall_time("default")
            part1 = dict(part1_speed=dict(study=speed_study(project_path(args.out).with_name("part1_speed")),
                                             cores=sharing_the_cores()))
    result = dict(environment=environment, repeats=repeats, rows=rows, gan=gan, make=make, tiny=args.tiny) | part1
    print(f"wrote {save_json(result, project_path(args.out))}")
    return result


if __name__ == "__main__":
    main()
