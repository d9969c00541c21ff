"""The ablation: what each part of the recipe adds to the course template, every part on the same step
budget and seed, measured like the run itself; and the owner of 02's ``ablation.json``.

A *rung* is one way of training and sampling: a *trajectory* (the configuration that is trained) and the
generator that samples are drawn from, the raw one or its moving average. The moving average only follows
the raw generator and never changes its training, so a rung with the average and the same rung without it
share one trained run: every trajectory is measured both ways.

    template           the course's recipe: its networks, batch 64, Adam 2e-4 for both, no averaging, no augmentation
    template+ema       the same run, sampled from the moving average of the recipe's decay
    template+augment   the template with the recipe's augmentation for D (translation when the recipe has none)
    template+both      that run, sampled from the moving average
    recipe             the run's own configuration (its batch, rates, averaging and augmentation)
    recipe-conv        the recipe on the DCGAN-style convolutional pair (a reference, not the course's networks)

The recipe rung at half the run's steps is the run's own ``half.pt``: it is measured, not trained again.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from .devices import resolve_device
from .engine import Unit, run_units
from .files import load_json, project_path, save_json
from .gan_measure import Evaluator
from .gan_train import GANConfig

ABLATION = "ablation.json"


@dataclass(frozen=True)
class Rung:
    trajectory: str
    ema: bool


RUNGS = {"template": Rung("template", False), "template+ema": Rung("template", True),
         "template+augment": Rung("template+augment", False), "template+both": Rung("template+augment", True),
         "recipe": Rung("recipe", True), "recipe-conv": Rung("recipe-conv", True)}


def trajectory_config(config: GANConfig, trajectory: str, steps: int) -> GANConfig:
    """The configuration trained for ``trajectory`` of the ladder built on ``config``, on ``steps`` steps."""
    template = replace(config, steps=steps, batch_size=64, lr_G=2e-4, lr_D=2e-4, augment=(),
                       ema_decay=config.ema_decay or 0.999)
    return dict(template=template,
                **{"template+augment": replace(template, augment=config.augment or ("translation",)),
                   "recipe": replace(config, steps=steps),
                   "recipe-conv": replace(config, steps=steps, variant="conv")})[trajectory]


def trajectories(config: GANConfig, rungs: list[str], steps: int) -> dict[str, GANConfig]:
    """The distinct configurations that ``rungs`` need trained, by trajectory name."""
    return {RUNGS[rung].trajectory: trajectory_config(config, RUNGS[rung].trajectory, steps) for rung in rungs}


def _train_unit(job: tuple) -> dict:
    from .gan_runs import train

    config, out_dir, device, retrain_before, label = job
    return train(config, out_dir, device=device, retrain_before=retrain_before, label=label)


def _half_of(result: dict, out_dir: Path, config: GANConfig, evaluator: Evaluator, device) -> dict:
    """The run of ``result`` measured at its half-way checkpoint, as a rung of half its steps."""
    from .files import load_torch
    from .gan_runs import measure_checkpoint

    state = load_torch(out_dir / result["checkpoints"]["half"], device)
    evals = [e for e in result["curves"]["evals"] if e["step"] <= state["step"]]
    return dict(result, config=dict(result["config"], steps=state["step"]), **measure_checkpoint(
        state, config, evaluator, device), train_seconds=state["history"]["train_seconds"],
        eval_seconds=state["history"]["eval_seconds"], cpu_seconds=state["history"]["cpu_seconds"],
        curves=dict(result["curves"], evals=evals), measured_from="half.pt")


def train_ladder(run: dict, config: GANConfig, rungs: list[str], steps: int, out_dir: str | Path,
                 evaluator: Evaluator, device: str = "auto", retrain_before: float | None = None,
                 workers: int | None = None, scheduler: str | None = None) -> dict[str, dict]:
    """Every rung of ``rungs`` at ``steps`` steps, built on the run ``config`` whose result is ``run``: each
    trajectory trained (one unit of ``lib.engine`` each, on one thread) or reused, then read both ways."""
    out_dir, device = project_path(out_dir), resolve_device(device)
    config = replace(config, data_source=run["data_source"])  # resolved once: "auto" is not probed again
    needed = trajectories(config, rungs, steps)
    recipe_is_half = needed.get("recipe") == replace(config, steps=steps) and steps == config.steps // 2
    to_train = {name: c for name, c in needed.items() if not (name == "recipe" and (recipe_is_half or
                                                                                  steps == config.steps))}
    units = [Unit(name, _train_unit, (c, out_dir, device, retrain_before, f"ablation, {name}"),
                  cost=c.steps * c.batch_size) for name, c in to_train.items()]
    results = dict(zip(to_train, run_units(units, workers=workers, scheduler=scheduler, label="ablation")))
    if "recipe" in needed and "recipe" not in results:
        results["recipe"] = _half_of(run, out_dir, config, evaluator, device) if recipe_is_half else run
    return {rung: rung_result(results[RUNGS[rung].trajectory], RUNGS[rung].ema) for rung in rungs}


def rung_result(result: dict, ema: bool) -> dict:
    """What ``ablation.json`` keeps of a trajectory's result for one rung: its configuration, the final
    measures of the generator the rung samples from, the real baseline and the times."""
    kept = ("config", "data_source", "real_baseline", "train_seconds", "eval_seconds", "cpu_seconds", "run_dir")
    return {key: result[key] for key in kept} | dict(final=result["final" if ema else "final_raw"], ema=ema)


def save_ablation(out_dir: str | Path, rungs: dict[str, dict], steps: int) -> dict:
    ladder = dict(steps=steps, rungs=rungs)
    save_json(ladder, project_path(out_dir) / ABLATION)
    return ladder


def read_ablation(out_dir: str | Path) -> dict:
    return load_json(project_path(out_dir) / ABLATION)
