"""Where the minutes of `make all` go, read from an output root (nothing is trained here): each notebook's wall
time from papermill's record, each group of Part I's runs and each GAN run from their own clocks; and the
scaling of a sweep's runs over more workers, on paper, from the runs' measured times.
"""
from __future__ import annotations

import heapq
import json
from collections import defaultdict
from pathlib import Path

from lib import outputs
from lib.files import load_json, project_path
from lib.pipeline import NOTEBOOKS
from lib.recurrent_train import RESULT, learned, runs_folder


def notebook_seconds(root: str | Path) -> dict[str, float]:
    """Each executed notebook's wall time, as papermill recorded it."""
    root = project_path(root)
    found = {}
    for name in NOTEBOOKS:
        path = root / f"{name}.ipynb"
        if path.exists():
            found[name] = round(json.loads(path.read_text())["metadata"]["papermill"]["duration"], 1)
    return found


def group_seconds(root: str | Path) -> dict[str, dict]:
    """Part I: per group, its runs and their summed run time (a run listed in two groups counts in the first);
    Part II: the GAN run and each configuration of the ablation, training and measuring."""
    data = outputs.read_data(root)
    groups = {}
    if "lstm" in data:
        sums = defaultdict(lambda: dict(runs=0, seconds=0.0))
        for run in data["lstm"]["runs"]:
            sums[f"01: {run['groups'][0]}"]["runs"] += 1
            sums[f"01: {run['groups'][0]}"]["seconds"] += run["wall_seconds"]
        groups |= dict(sums)
    if "gan" in data:
        gan = data["gan"]
        groups["02: the GAN"] = dict(runs=1, seconds=gan["train_seconds"] + gan["eval_seconds"])
        for name, rung in data.get("ablation", {}).get("rungs", {}).items():
            if rung.get("run_dir") != gan["run_dir"]:
                groups.setdefault("02: ablation", dict(runs=0, seconds=0.0, run_dirs=set()))
                if rung["run_dir"] not in groups["02: ablation"]["run_dirs"]:
                    groups["02: ablation"]["run_dirs"].add(rung["run_dir"])
                    groups["02: ablation"]["runs"] += 1
                    groups["02: ablation"]["seconds"] += rung["train_seconds"] + rung["eval_seconds"]
        groups.get("02: ablation", {}).pop("run_dirs", None)
    return {name: dict(runs=g["runs"], seconds=round(g["seconds"], 1)) for name, g in groups.items()}


def makespan(seconds: list[float], workers: int, per_unit: float = 0.0) -> float:
    """The wall time of ``seconds``-long independent units on ``workers`` workers, longest first (what
    ``lib.engine`` submits), each paying ``per_unit`` of scheduling."""
    loads = [0.0] * workers
    for s in sorted(seconds, reverse=True):
        heapq.heappush(loads, heapq.heappop(loads) + s + per_unit)
    return max(loads)


def scaling(root: str | Path, workers=(1, 2, 8, 32, 128), per_unit: float = 0.0) -> dict:
    """On paper: the wall time and throughput of Part I's runs of ``root`` on each number of workers, from their
    measured run times (each run on a worker of its own, single-threaded, as measured), and the longest run,
    which no number of workers can beat."""
    data = outputs.read_data(root)
    times = [r["wall_seconds"] for r in data.get("lstm", {}).get("runs", [])]
    if not times:
        return {}
    rows = []
    for n in workers:
        wall = makespan(times, n, per_unit)
        rows.append(dict(workers=n, minutes=round(wall / 60, 2), runs_per_hour=round(len(times) / wall * 3600),
                         efficiency=round(sum(times) / (n * wall), 2)))
    return dict(runs=len(times), summed_minutes=round(sum(times) / 60, 1), longest_minutes=round(max(times) / 60, 2),
                per_unit_seconds=per_unit, rows=rows)


def early_stop_rules(root: str | Path, fractions=(0.25, 0.375, 0.5), ceiling: float = 0.2) -> list[dict]:
    """A futility rule replayed on Part I's finished runs of ``root`` (nothing is trained): "stop a run whose
    validation accuracy has not passed ``ceiling`` by ``fraction`` of its step budget". Per fraction: the runs it
    would cut, the share of all steps it would save, and the cut runs that went on past the ceiling or learned.
    A rule that cuts any of those changes a result, so it is not safe to adopt."""
    data = outputs.read_data(root)
    if "lstm" not in data:
        return []
    out_dir = project_path(root) / "01_lstm"
    results = {r["run_dir"]: load_json(runs_folder(out_dir) / r["run_dir"] / RESULT) for r in data["lstm"]["runs"]}
    total = sum(r["steps"] for r in results.values())
    rows = []
    for fraction in fractions:
        cut, saved = [], 0
        for r in results.values():
            limit = r["max_steps"] * fraction
            early = [e["validation_accuracy"] for e in r["curves"] if e["step"] <= limit]
            if early and max(early) < ceiling:
                cut.append(r)
                saved += r["steps"] - limit
        wrong = [r for r in cut if max(e["validation_accuracy"] for e in r["curves"]) >= ceiling]
        rows.append(dict(fraction=fraction, ceiling=ceiling, runs=len(results), cut=len(cut),
                         steps_saved_share=round(saved / total, 3), cut_then_passed=len(wrong),
                         cut_then_learned=sum(map(learned, wrong)),
                         examples=[f"{r['model']} T={r['seq_length']} seed {r['seed']} lr {r['lr']:g}: "
                                   f"{r['test_accuracy']:.0%}" for r in wrong][:4]))
    return rows
