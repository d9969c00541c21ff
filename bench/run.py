"""Benchmarks behind `make bench`. Prints as it goes and writes outputs/bench.json; nothing here asserts a time.

    python -m bench.run            # the machine; where the minutes of the last `make all` went; the recurrent
                                   # pairs; the GAN step on 1, 2 and N threads; the engines' overhead; the
                                   # training steps' GFLOP/s against the core's; futility rules replayed
    python -m bench.run --full     # also: Part I's runs on 1, 2 and N workers (numbers compared), `make all` from
                                   # a fresh output folder (also with -j2) and where its minutes went,
                                   # `make test`, and Part I's speed study
    python -m bench.run --tiny     # small shapes, few repeats, no make runs: checks the script itself
    python -m bench.run --make     # only the `make all` runs again, merged into the record of an earlier --full

Each from-scratch/reference pair is timed in this one process, interleaved (ours, theirs, ours, ...) after a
warm-up, so that both see the same machine state; the ratio is taken pair by pair and summarised by its
median, min and max. Machines of one kind differ: every record carries the CPU model and the usable cores.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from lib.devices import usable_cores
from lib.files import project_path, save_json
from lib.palindrome import encode
from lib.pipeline import PROJECT_ROOT
from lib.recurrent import LSTM, VanillaRNN

from . import engines, minutes
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


def _without_make_flags() -> dict:
    """This environment without the MAKE* variables of a `make bench` around us, so the timed make is a fresh one."""
    return {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}


def make_wall_time(profile: str, jobs: int | None = None) -> dict:
    """`make [-jN] all PROFILE=<profile>` into a fresh output folder (nothing reused; no -j: the Makefile's own
    choice): its seconds, where they went, and what it showed on the terminal (the first lines, the first progress
    line of each notebook, the last lines)."""
    command = ["make", *([f"-j{jobs}"] if jobs else []), "all", f"PROFILE={profile}"]
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        done = subprocess.run([*command, f"OUT={out}"], cwd=PROJECT_ROOT, check=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=_without_make_flags())  # one stream, in the terminal's order
        seconds = time.perf_counter() - start
        spent = dict(notebooks=minutes.notebook_seconds(out), groups=minutes.group_seconds(out))
    lines = done.stdout.replace(out, "outputs").splitlines()
    print(f"{' '.join(command)}: {seconds:.0f} s", flush=True)
    return dict(seconds=round(seconds, 1), transcript=transcript(lines), minutes=spent)


def make_wall_times() -> dict:
    """`make all` as the README runs it, and with 01 and 02 side by side, each from a fresh output folder."""
    return {"make all": make_wall_time("default"), "make -j2 all": make_wall_time("default", jobs=2)}


def make_test_wall_time() -> dict:
    """`make test` in this checkout (its environment already built): its seconds and pytest's last line."""
    start = time.perf_counter()
    done = subprocess.run(["make", "test"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          env=_without_make_flags())
    seconds = time.perf_counter() - start
    last = [line for line in done.stdout.splitlines() if line.strip()][-1:]
    print(f"make test: {seconds:.0f} s, {' '.join(last)}", flush=True)
    return dict(seconds=round(seconds, 1), returncode=done.returncode, summary=" ".join(last).strip("= "))


def transcript(lines: list[str]) -> list[str]:
    """What a person watching saw, in brief: the first lines, each notebook's first progress line, the last lines."""
    progress = [next(line for line in lines if line.startswith(f"[{name}]") and "left" in line)
                for name in ("01_lstm", "02_gan_train") if any(line.startswith(f"[{name}]") and "left" in line
                                                               for line in lines)]
    head = [line for line in lines[2:] if line.startswith("[01_lstm]")][:2]  # lines[:2] hold its first
    return [*lines[:2], *head, "...", *progress, "...", *lines[-6:]]


def environment_seconds() -> int | None:
    """How long the bootstrap took to install .venv's packages, as it recorded (None if it did not say)."""
    record = PROJECT_ROOT / ".venv" / "bootstrap.json"
    return json.loads(record.read_text()).get("install_seconds") if record.exists() else None


def _format_row(row: dict) -> str:
    return (f"{row['benchmark']:<22} T={row['T']:<4} ours {row['ours_ms']:8.2f} ms  reference {row['reference_ms']:8.2f} ms"
            f"  ratio {row['ratio']:.2f} (min {row['ratio_min']:.2f}, max {row['ratio_max']:.2f})")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="also the worker check, `make all` and the speed study")
    parser.add_argument("--tiny", action="store_true", help="small shapes, few repeats, no make runs")
    parser.add_argument("--make", action="store_true", help="only the `make all` runs, merged into --out")
    parser.add_argument("--root", default="outputs", help="the output root whose minutes are read")
    parser.add_argument("--out", default="outputs/bench.json")
    args = parser.parse_args(argv)

    environment = dict(cpu=cpu_model(), cores=usable_cores(), threads=torch.get_num_threads(), torch=torch.__version__,
                       python=platform.python_version(), date=datetime.date.today().isoformat())
    print(f"{environment['cpu']}, {environment['cores']} usable cores, torch {environment['torch']}", flush=True)
    if args.make:  # after a change to the Makefile or the default run: the rest of the record stays
        result = json.loads(project_path(args.out).read_text())
        result["make"] = make_wall_times()
        result |= dict(minutes=result["make"]["make all"]["minutes"], environment_seconds=environment_seconds())
        print(f"wrote {save_json(result, project_path(args.out))}")
        return result
    result = dict(environment=environment, tiny=args.tiny,
                  minutes=dict(notebooks=minutes.notebook_seconds(args.root), groups=minutes.group_seconds(args.root)))
    if args.tiny:
        result |= dict(repeats=3, rows=recurrent_pairs(batch=8, hidden=16, lengths=[5], repeats=3, inner=2),
                       gan_threads=engines.gan_threads(steps=4), engines=[engines.dask_overhead(units=20)],
                       compute=engines.compute_rates(repeats=2, seq_length=5, batch=8, hidden=16))
    else:
        result |= dict(repeats=9, rows=recurrent_pairs(batch=128, hidden=128, lengths=[20, 100], repeats=9, inner=5),
                       gan_threads=engines.gan_threads(), compute=engines.compute_rates(),
                       engines=[e for e in (engines.dask_overhead(), engines.ray_overhead()) if e])
    per_unit = result["engines"][0]["per_unit_ms"] / 1e3
    result["scaling"] = minutes.scaling(args.root, per_unit=per_unit)
    result["early_stop_rules"] = minutes.early_stop_rules(args.root)
    full_root = project_path(args.root) / "full"
    if full_root.exists():
        result["scaling_full"] = minutes.scaling(full_root, per_unit=per_unit)
    if args.full and not args.tiny:
        result["workers"] = engines.worker_check()
        result["make"] = make_wall_times()
        result["minutes"] = result["make"]["make all"]["minutes"]  # a fresh run's, not a reusing one's
        result["make test"] = make_test_wall_time()
        result["environment_seconds"] = environment_seconds()
        result["part1_speed"] = dict(study=speed_study(project_path(args.out).with_name("part1_speed")),
                                     cores=sharing_the_cores())
    print(f"wrote {save_json(result, project_path(args.out))}")
    return result


if __name__ == "__main__":
    main()
