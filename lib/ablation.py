"""The ablation: what each part of the recipe adds to the course template, every part on the same step
budget and seed, measured like the run itself; and the owner of 02's ``ablation.json``.

A *rung* is one way of training and sampling: a *trajectory* (the configuration that is trained) and the
generator that samples are drawn from, the raw one or its moving average. The moving average only follows
the raw generator and never changes its training, so a rung with the average and the same rung without it
share one trained run: every trajectory is measured both ways.

    template           the course's recipe: its networks, batch 64, Adam 2e-4 for both with PyTorch's default betas,
                       no averaging, no augmentation
    template+ema       the same run, sampled from the moving average of the recipe's decay
    template+betas     that, with the recipe's betas for Adam
    template+rates     that, with the recipe's learning rates too: from template+ema to the recipe, each step changes
                       one thing (the betas, the rates, then the batch)
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
from .engine import Unit, announce, run_units, worker_count
from .files import load_json, project_path, save_json
from .gan_measure import Evaluator
from .gan_train import GANConfig

ABLATION = "ablation.json"


@dataclass(frozen=True)
class Rung:
    trajectory: str
    ema: bool


RUNGS = {"template": Rung("template", False), "template+ema": Rung("template", True),
         "template+betas": Rung("template+betas", True), "template+rates": Rung("template+rates", True),
         "template+augment": Rung("template+augment", False), "template+both": Rung("template+augment", True),
         "recipe": Rung("recipe", True), "recipe-conv": Rung("recipe-conv", True)}


# The course template's training: batch 64 and Adam(lr=2e-4) for both networks, which keeps PyTorch's default betas.
TEMPLATE = dict(batch_size=64, lr_G=2e-4, lr_D=2e-4, beta1=0.9, beta2=0.999, augment=())


def trajectory_config(config: GANConfig, trajectory: str, steps: int) -> GANConfig:
    """The configuration trained for ``trajectory`` of the ladder built on ``config``, on ``steps`` steps."""
    template = replace(config, steps=steps, **TEMPLATE, ema_decay=config.ema_decay or 0.999)
    betas = replace(template, beta1=config.beta1, beta2=config.beta2)
    return dict(template=template,
                **{"template+betas": betas, "template+rates": replace(betas, lr_G=config.lr_G, lr_D=config.lr_D),
                   "template+augment": replace(template, augment=config.augment or ("translation",)),
                   "recipe": replace(config, steps=steps),
                   "recipe-conv": replace(config, steps=steps, variant="conv")})[trajectory]


def trajectories(config: GANConfig, rungs: list[str], steps: int) -> dict[str, GANConfig]:
    """The distinct configurations that ``rungs`` need trained, by trajectory name."""
    return {RUNGS[rung].trajectory: trajectory_config(config, RUNGS[rung].trajectory, steps) for rung in rungs}


def extra_runs(config: GANConfig, rungs: list[str], steps: int) -> dict[str, GANConfig]:
    """The trajectories of ``rungs`` that need runs of their own: at the run's own steps the recipe is the run,
    and at half of them its ``half.pt``."""
    return {name: c for name, c in trajectories(config, rungs, steps).items()
            if not (name == "recipe" and steps in (config.steps, config.steps // 2))}


def _units(config: GANConfig, rungs: list[str], steps: int, out_dir: Path, device, retrain_before: float | None,
           with_run: bool) -> list[Unit]:
    """One one-thread unit per run to train: the run of ``config`` first when ``with_run``, then the ladder's."""
    from .gan_runs import remaining_seconds

    runs = ({"GAN": config} if with_run else {}) | {f"ablation, {name}": c
                                                    for name, c in extra_runs(config, rungs, steps).items()}
    return [Unit(label, _train_unit, (c, out_dir, device, retrain_before, label),
                 cost=remaining_seconds(c, out_dir, threads=1)) for label, c in runs.items()]


def announce_plan(config: GANConfig, rungs: list[str], steps: int, out_dir: str | Path,
                  workers: int | None = None) -> None:
    """Before any work: the runs that 02 will train (the GAN and the ladder's), and about how long they take."""
    units = _units(config, rungs, steps, project_path(out_dir), "cpu", None, with_run=True)
    announce(f"Part II (the GAN, {config.steps:,} steps, and the ablation's runs of {steps:,} steps, one thread "
             f"each)", {unit.name: unit.cost for unit in units}, worker_count(workers))


def train_with_ladder(config: GANConfig, rungs: list[str], steps: int, out_dir: str | Path, device: str = "auto",
                      retrain_before: float | None = None, workers: int | None = None,
                      scheduler: str | None = None, progress: bool = False) -> dict:
    """Train (or reuse) the run of ``config`` and, side by side with it, the ladder's runs that ``train_ladder``
    will read (``extra_runs``), each a one-thread unit of ``lib.engine``; returns the run's result, as
    ``lib.gan_runs.train`` does. On two cores the run and the course template train at once instead of one
    after the other; on one thread each, the run's numbers do not depend on how many workers there are.
    The evaluator is trained (or loaded) first, here, so that the units share it instead of each training it."""
    from .evaluate import train_classifier
    from .gan_runs import classifier_path
    from .mnist import load_mnist

    out_dir = project_path(out_dir)
    data = load_mnist(config.data_source, config.data_dir)
    train_classifier(data, classifier_path(out_dir, data.source), config.classifier_epochs, device=device,
                     progress=progress)
    config = replace(config, data_source=data.source)
    units = _units(config, rungs, steps, out_dir, device, retrain_before, with_run=True)
    return run_units(units, workers=workers, scheduler=scheduler, label="GAN and ablation runs", bar=progress)[0]


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
        curves=dict(result["curves"], evals=evals), sampled=result["checkpoints"]["half"])


def train_ladder(run: dict, config: GANConfig, rungs: list[str], steps: int, out_dir: str | Path,
                 evaluator: Evaluator, device: str = "auto", retrain_before: float | None = None,
                 workers: int | None = None, scheduler: str | None = None) -> dict[str, dict]:
    """Every rung of ``rungs`` at ``steps`` steps, built on the run ``config`` whose result is ``run``: each
    trajectory trained (one unit of ``lib.engine`` each, on one thread) or reused, then read both ways."""
    out_dir, device = project_path(out_dir), resolve_device(device)
    config = replace(config, data_source=run["data_source"])  # resolved once: "auto" is not probed again
    needed, to_train = trajectories(config, rungs, steps), extra_runs(config, rungs, steps)
    units = _units(config, rungs, steps, out_dir, device, retrain_before, with_run=False)
    results = dict(zip(to_train, run_units(units, workers=workers, scheduler=scheduler, label="ablation")))
    if "recipe" in needed and "recipe" not in results:
        results["recipe"] = run if steps == config.steps else _half_of(run, out_dir, config, evaluator, device)
    return {rung: rung_result(results[RUNGS[rung].trajectory], RUNGS[rung].ema) for rung in rungs}


def rung_result(result: dict, ema: bool) -> dict:
    """What ``ablation.json`` keeps of a trajectory's result for one rung: its configuration, the final
    measures of the generator the rung samples from, the checkpoint that holds it, the real baseline and the
    times."""
    kept = ("config", "data_source", "real_baseline", "train_seconds", "eval_seconds", "cpu_seconds", "run_dir")
    return {key: result[key] for key in kept} | dict(final=result["final" if ema else "final_raw"], ema=ema,
                                                     checkpoint=result.get("sampled", result["checkpoints"]["final"]))


def save_ablation(out_dir: str | Path, rungs: dict[str, dict], steps: int) -> dict:
    ladder = dict(steps=steps, rungs=rungs)
    save_json(ladder, project_path(out_dir) / ABLATION)
    return ladder


def read_ablation(out_dir: str | Path) -> dict:
    return load_json(project_path(out_dir) / ABLATION)


def rung_samples(out_dir: str | Path, ladder: dict, n: int = 10, device: str = "auto") -> dict[str, "torch.Tensor"]:
    """``n`` images (n, 1, 28, 28) in [0, 1] from the generator each rung of ``ladder`` samples from, all from
    the same noise (stream ``ABLATION_SAMPLES`` of seed 0), so that the rows differ only in their training."""
    from .files import load_torch
    from .gan import generator_from_state
    from .gan_measure import generate
    from .mnist import to_unit_range
    from .streams import Stream

    out_dir, device = project_path(out_dir), resolve_device(device)
    samples = {}
    for name, rung in ladder["rungs"].items():
        G = generator_from_state(load_torch(out_dir / rung["checkpoint"], device), device, ema=rung["ema"])
        samples[name] = to_unit_range(generate(G, n, 0, Stream.ABLATION_SAMPLES))
    return samples
