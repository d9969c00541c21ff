"""Part II training: the minimax game (10) on MNIST, resumable, measured as it goes.

A run lives in ``<out_dir>/runs/<variant>-<source>-<hash of config>/``: ``config.json``,
``start.pt`` (step 0, before any update), ``half.pt``, ``final.pt``, ``latest.pt``
(periodic, for resuming) and, once finished and measured, ``result.json``. Every
checkpoint holds both networks, the generator's moving average (EMA), both
optimisers, the step and the history so far. Batches, noise and augmentations of step
s are drawn from generators keyed by ``(seed, stream, s)``, so a run that is killed
and rerun resumes from ``latest.pt`` and ends with the same weights as an
uninterrupted run (on the CPU; on a GPU, the backward pass of the augmentation's
indexing sums in no fixed order).

Samples, measurements and the checkpoints' ``generator_ema`` come from the moving
average; the raw generator is what trains.

This module owns 02's output files: ``metrics.json`` and ``samples_final.npz`` for the
run a notebook publishes, and ``ablation.json`` for a ladder of runs.
"""
from __future__ import annotations

import io
import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from .augment import check_policy, diff_augment
from .ema import EMA, refresh_batchnorm
from .evaluate import classifier_outputs, evaluate_images, real_baselines, salt_noise, train_classifier
from .gan import (VARIANTS, architecture, build_gan, discriminator_loss, generator_from_state, generator_loss,
                  sample_noise)
from .mnist import DATA_SOURCES, MNIST, load_mnist, to_unit_range
from .runs import (Stream, check_choice, check_int, check_positive, check_unit_interval, config_dict, finished_since,
                   generator_for, load_json, load_torch, project_path, resolve_device, run_dir, save_bytes, save_json,
                   save_torch)

FIXED_GRID = 64  # images in the fixed-noise progress grid
GAUGE_IMAGES = 1000  # real images of each split on which D's mean output is logged
METRICS, SAMPLES, ABLATION = "metrics.json", "samples_final.npz", "ablation.json"


@dataclass(frozen=True)
class GANConfig:
    """One run. The defaults are the recipe that the ablation chose (see 02's notebook): the course template's
    networks and losses, with a larger batch, a higher learning rate, EMA and translation for D."""

    data_source: str = "auto"  # "auto", "mnist" or "mnist5k"
    variant: str = "mlp"  # "mlp" (the course template) or "conv" (DCGAN-style reference)
    steps: int = 20_000  # generator updates (one discriminator update each)
    batch_size: int = 128
    lr_G: float = 4e-4  # Adam's learning rate for each side (different rates: TTUR, Heusel et al. 2017)
    lr_D: float = 4e-4
    beta1: float = 0.5
    beta2: float = 0.999
    latent_dim: int = 100
    ema_decay: float = 0.9995  # the generator's moving average; 0 samples the raw generator
    augment: tuple[str, ...] = ("translation",)  # DiffAugment for D's inputs: "translation", "cutout"; () for none
    seed: int = 0
    eval_every: int = 2_000  # steps between measurements (IS, Fréchet distance, histogram, D's gap)
    eval_samples: int = 1_000  # generated images per measurement
    final_samples: int = 10_000  # images in samples_final.npz and the final measurement
    log_every: int = 100  # steps averaged into one point of the loss curves
    classifier_epochs: int | None = None  # the evaluator's training; None: a default for the source's size
    checkpoint_every: int = 1_000
    data_dir: str = "data"  # where full MNIST is (or is downloaded to)

    NOT_IDENTITY = ("checkpoint_every", "data_dir")  # change where and how often, not what is computed

    def __post_init__(self):
        check_choice("data_source", self.data_source, DATA_SOURCES)
        check_choice("variant", self.variant, VARIANTS)
        for name in ("steps", "latent_dim", "eval_every", "log_every", "checkpoint_every"):
            check_int(name, getattr(self, name))
        check_int("batch_size", self.batch_size, minimum=2)  # BatchNorm needs two images to normalise
        check_int("eval_samples", self.eval_samples, minimum=2)  # a covariance needs two
        check_int("final_samples", self.final_samples, minimum=2)
        check_int("seed", self.seed, minimum=0)
        if self.classifier_epochs is not None:
            check_int("classifier_epochs", self.classifier_epochs)
        for name in ("lr_G", "lr_D"):
            check_positive(name, getattr(self, name))
        for name in ("beta1", "beta2"):
            check_unit_interval(name, getattr(self, name))
        check_unit_interval("ema_decay", self.ema_decay, "0: no averaging")
        object.__setattr__(self, "augment", check_policy("augment", self.augment))

    def check_data(self, data: MNIST) -> None:
        """ValueError before any training when a batch cannot be drawn from ``data``'s train split."""
        if self.batch_size > len(data.train_images):
            raise ValueError(f"batch_size must be at most the {len(data.train_images):,} training images of "
                             f"{data.source}; got {self.batch_size}")


# The ablation ladder, every rung on the step budget and seed of the config it is built on: "template" is
# the course's recipe (its networks and Adam settings, no EMA, no augmentation); then the config's EMA and
# augmentation on it, alone and together; the config's recipe itself; and that recipe on the conv pair.
RUNGS = ("template", "template+ema", "template+augment", "template+both", "recipe", "recipe-conv")


def rung_config(config: GANConfig, rung: str) -> GANConfig:
    """The configuration of ``rung`` of the ladder built on ``config``."""
    check_choice("rung", rung, RUNGS)
    template = replace(config, batch_size=64, lr_G=2e-4, lr_D=2e-4, ema_decay=0.0, augment=())
    return dict(zip(RUNGS, (template, replace(template, ema_decay=config.ema_decay),
                            replace(template, augment=config.augment),
                            replace(template, ema_decay=config.ema_decay, augment=config.augment),
                            config, replace(config, variant="conv"))))[rung]


# ---------------------------------------------------------------- the state of a run, and one step

@dataclass
class GANState:
    """Everything a checkpoint holds: both networks, G's moving average, both optimisers, the step, the history."""

    config: GANConfig
    G: torch.nn.Module
    D: torch.nn.Module
    ema: EMA
    opt_G: torch.optim.Optimizer
    opt_D: torch.optim.Optimizer
    step: int = 0
    window: torch.Tensor = field(default_factory=lambda: torch.zeros(4))  # sums of train_step's stats since the last log
    history: dict = field(default_factory=lambda: dict(losses=[], evals=[], fixed_grid_steps=[], fixed_grids=[],
                                                       train_seconds=0.0, eval_seconds=0.0, cpu_seconds=0.0))

    @classmethod
    def new(cls, config: GANConfig, device: torch.device) -> "GANState":
        torch.manual_seed(config.seed)  # the initial weights
        G, D = (net.to(device) for net in build_gan(config.variant, config.latent_dim))
        betas = (config.beta1, config.beta2)
        # fused: one kernel per optimiser step instead of one per tensor
        opt_G = torch.optim.Adam(G.parameters(), lr=config.lr_G, betas=betas, fused=True)
        opt_D = torch.optim.Adam(D.parameters(), lr=config.lr_D, betas=betas, fused=True)
        return cls(config, G, D, EMA(G, config.ema_decay), opt_G, opt_D, window=torch.zeros(4, device=device))

    def sampler(self) -> torch.nn.Module:
        """What samples come from, in eval mode: the moving average, with its BatchNorm statistics measured
        on its own weights (with decay 0 it is the raw generator, statistics and all)."""
        if self.config.ema_decay == 0:
            return self.ema.average.eval()
        return refresh_batchnorm(self.ema.average, self.config.seed)

    def state_dict(self) -> dict:
        """Everything to resume from; ``generator_ema`` as ``sampler`` last left it."""
        return dict(generator=self.G.state_dict(), discriminator=self.D.state_dict(),
                    generator_ema=self.ema.state_dict(), opt_G=self.opt_G.state_dict(), opt_D=self.opt_D.state_dict(),
                    step=self.step, window=self.window.cpu(), config=config_dict(self.config), history=self.history,
                    rng="stateless: the draws of step s come from generator_for(seed, stream, s)")

    def load_state_dict(self, state: dict) -> None:
        self.G.load_state_dict(state["generator"])
        self.D.load_state_dict(state["discriminator"])
        self.ema.load_state_dict(state["generator_ema"])
        self.opt_G.load_state_dict(state["opt_G"])
        self.opt_D.load_state_dict(state["opt_D"])
        self.step, self.history = state["step"], state["history"]
        self.window.copy_(state["window"])

    def log_losses(self) -> dict:
        """Close the running window: append its means to the loss curves and return them."""
        d_loss, g_loss, d_real, d_fake = (self.window / self.config.log_every).tolist()
        self.window.zero_()
        point = dict(step=self.step, loss_D=d_loss, loss_G=g_loss, D_real=d_real, D_fake=d_fake)
        self.history["losses"].append(point)
        return point


def train_step(state: GANState, real: torch.Tensor, z: torch.Tensor, augment: torch.Generator) -> torch.Tensor:
    """One step of the game on a real batch (B, 1, 28, 28) and noise (B, latent).

    Returns (loss_D, loss_G, D(x), D(G(z))) as one tensor, left on the device (no sync)."""
    G, D, policy = state.G, state.D, state.config.augment

    # (1) update D: ascend (10) on real and generated images, each batch through its own random augmentation
    fake = G(z)
    real_logits = D(diff_augment(real, policy, augment))
    fake_logits = D(diff_augment(fake.detach(), policy, augment))
    loss_D = discriminator_loss(real_logits, fake_logits)
    state.opt_D.zero_grad(set_to_none=True)
    loss_D.backward()
    state.opt_D.step()

    # (2) update G: descend the non-saturating -log D(G(z)), through the augmentation too;
    # D's weights are frozen here, so no gradient is computed for them
    D.requires_grad_(False)
    loss_G = generator_loss(D(diff_augment(fake, policy, augment)))
    state.opt_G.zero_grad(set_to_none=True)
    loss_G.backward()
    state.opt_G.step()
    D.requires_grad_(True)

    # (3) the moving average follows G
    state.ema.update(G, state.step)
    state.step += 1
    return torch.stack([loss_D, loss_G, real_logits.sigmoid().mean(), fake_logits.sigmoid().mean()]).detach()


# ---------------------------------------------------------------- measuring

def _uint8(images: torch.Tensor) -> torch.Tensor:
    return (to_unit_range(images) * 255).round().to(torch.uint8).cpu()


@torch.no_grad()
def generate(G, n: int, seed: int, stream: Stream, batch_size: int = 1000) -> torch.Tensor:
    """``n`` images in [-1, 1] from ``G`` in eval mode, from the noise stream ``(seed, stream)``."""
    device = next(G.parameters()).device
    was_training = G.training
    G.eval()
    z = sample_noise(n, G.latent_dim, generator_for(seed, stream))
    images = torch.cat([G(z[i:i + batch_size].to(device)).cpu() for i in range(0, n, batch_size)])
    G.train(was_training)
    return images


@torch.no_grad()
def discriminator_gauge(D, data: MNIST) -> dict:
    """D's mean output D(x) on training digits and on held-out test digits: the gap between
    the two is the direct evidence that D memorises its training set."""
    device = next(D.parameters()).device
    mean = lambda images: D(images[:GAUGE_IMAGES].to(device)).sigmoid().mean().item()  # noqa: E731
    D_train, D_test = mean(data.train_images), mean(data.test_images)
    return dict(D_train=D_train, D_test=D_test, D_gap=D_train - D_test)


class Evaluator:
    """The measurements of a run: the classifier's scores of generated images against the real test set."""

    def __init__(self, classifier, data: MNIST):
        self.classifier, self.data = classifier, data
        self.real_features = classifier_outputs(classifier, data.test_images)[0]

    def __call__(self, images: torch.Tensor) -> dict:
        """IS, Fréchet distance, class histogram and salt noise of ``images`` (N, 1, 28, 28) in [-1, 1]."""
        return evaluate_images(self.classifier, images, self.real_features) | dict(
            salt_noise=salt_noise(to_unit_range(images)))


def measure(state: GANState, evaluate: Evaluator, G: torch.nn.Module) -> None:
    """Append one evaluation of ``G`` (``state.sampler()``) and D's gauge to the history, and the fixed-noise grid."""
    config, history = state.config, state.history
    history["evals"].append(dict(step=state.step, **evaluate(generate(G, config.eval_samples, config.seed,
                                                                      Stream.GAN_EVAL)),
                                 **discriminator_gauge(state.D, evaluate.data)))
    history["fixed_grid_steps"].append(state.step)
    history["fixed_grids"].append(_uint8(generate(G, FIXED_GRID, config.seed, Stream.GAN_FIXED)))


def save_checkpoints(state: GANState, folder: Path, *names: str) -> None:
    checkpoint = state.state_dict()
    for name in names:
        save_torch(checkpoint, folder / f"{name}.pt")


# ---------------------------------------------------------------- a run

def train(config: GANConfig, out_dir: str | Path, device: str = "auto", retrain_before: float | None = None,
          progress: bool = True, stop_after: int | None = None) -> dict:
    """Train, resume or reuse the run of ``config``; return its result (final measurements, timings).

    ``retrain_before`` (seconds since the epoch) trains the run again unless it finished at or after that
    time: a notebook run with ``force`` passes its start, so a run it has retrained once is reused after.
    ``stop_after`` ends the session after that many steps, without a checkpoint, as a kill would, and
    returns {}: the next call resumes from the last periodic checkpoint."""
    out_dir, device = project_path(out_dir), resolve_device(device)
    data = load_mnist(config.data_source, config.data_dir)
    config.check_data(data)
    config = replace(config, data_source=data.source)  # the identity of a run is the source actually used
    folder = run_dir(out_dir / "runs", f"{config.variant}-{data.source}", config)
    if retrain_before is not None and folder.exists() and not finished_since(folder / "result.json", retrain_before):
        shutil.rmtree(folder)
    if (folder / "result.json").exists():
        return load_json(folder / "result.json")
    classifier, classifier_info = train_classifier(data, classifier_path(out_dir, data.source),
                                                   config.classifier_epochs, device=device, progress=progress)
    evaluate = Evaluator(classifier, data)
    if not (folder / "final.pt").exists():
        _train_session(config, data, evaluate, folder, device, progress, stop_after)
        if not (folder / "final.pt").exists():
            return {}
    return _finish(folder, out_dir, config, evaluate, classifier_info, device)


class Batches:
    """The real batch, the noise and the augmentation generator of each step, from ``(seed, stream, step)`` only:
    every epoch visits the training images in its own random order."""

    def __init__(self, config: GANConfig, images: torch.Tensor):
        self.config, self.images = config, images
        self.per_epoch = len(images) // config.batch_size
        self.epoch, self.order = None, None

    def __call__(self, step: int) -> tuple[torch.Tensor, torch.Tensor, torch.Generator]:
        config, device = self.config, self.images.device
        epoch, index = divmod(step, self.per_epoch)
        if epoch != self.epoch:
            self.epoch = epoch
            self.order = torch.randperm(len(self.images), generator=generator_for(config.seed, Stream.GAN_ORDER, epoch))
        real = self.images[self.order[index * config.batch_size:(index + 1) * config.batch_size].to(device)]
        z = sample_noise(config.batch_size, config.latent_dim, generator_for(config.seed, Stream.GAN_NOISE, step), device)
        return real, z, generator_for(config.seed, Stream.GAN_AUGMENT, step)


def checkpoints_due(config: GANConfig, step: int) -> list[str]:
    """The checkpoint files to write after ``step`` updates: start, half and final, and latest
    with each of them and every ``checkpoint_every`` steps."""
    due = [name for name, at in (("start", 0), ("half", config.steps // 2), ("final", config.steps)) if step == at]
    return due + ["latest"] if due or step % config.checkpoint_every == 0 else due


def _train_session(config: GANConfig, data: MNIST, evaluate: Evaluator, folder: Path, device, progress, stop_after):
    state = GANState.new(config, device)
    if (folder / "latest.pt").exists():
        state.load_state_dict(load_torch(folder / "latest.pt", device))
    else:
        save_json(config_dict(config), folder / "config.json")
        _measure_and_save(state, evaluate, folder, checkpoints_due(config, 0), time.perf_counter(),
                          time.process_time())
    batches = Batches(config, data.train_images.to(device))
    session_end = min(config.steps, state.step + (stop_after or config.steps))
    bar = tqdm(total=config.steps, initial=state.step, desc=f"GAN {config.variant}", disable=not progress,
               mininterval=2.0)
    clock, cpu_clock = time.perf_counter(), time.process_time()
    while state.step < session_end:
        state.window += train_step(state, *batches(state.step))
        bar.update()
        if state.step % config.log_every == 0:
            point = state.log_losses()
            bar.set_postfix(loss_D=f"{point['loss_D']:.3f}", loss_G=f"{point['loss_G']:.3f}",
                            D_x=f"{point['D_real']:.2f}", D_G_z=f"{point['D_fake']:.2f}")
        evaluating = state.step % config.eval_every == 0 or state.step == config.steps
        due = checkpoints_due(config, state.step)
        if evaluating or due:
            state.history["train_seconds"] += time.perf_counter() - clock
            clock, cpu_clock = _measure_and_save(state, evaluate if evaluating else None, folder, due,
                                                 time.perf_counter(), cpu_clock)
    bar.close()


def _measure_and_save(state: GANState, evaluate: Evaluator | None, folder: Path, checkpoints: list[str],
                      started: float, cpu_started: float) -> tuple[float, float]:
    """Measure (unless ``evaluate`` is None), then write ``checkpoints``, both from one ``sampler()``. The wall
    time spent goes to eval_seconds, and the process's CPU time since ``cpu_started`` to cpu_seconds; returns
    both clocks anew."""
    G = state.sampler()
    if evaluate is not None:
        measure(state, evaluate, G)
    state.history["eval_seconds"] += time.perf_counter() - started
    state.history["cpu_seconds"] += time.process_time() - cpu_started
    save_checkpoints(state, folder, *checkpoints)
    return time.perf_counter(), time.process_time()


# ---------------------------------------------------------------- results and the files this module owns

def _finish(folder: Path, out_dir: Path, config: GANConfig, evaluate: Evaluator, classifier_info: dict,
            device) -> dict:
    """Measure the finished run on ``final_samples`` images and write its ``result.json``."""
    state = load_torch(folder / "final.pt", device)
    history, data = state["history"], evaluate.data
    started, cpu_started = time.perf_counter(), time.process_time()
    G = generator_from_state(state, device)
    D = build_gan(config.variant, config.latent_dim)[1].to(device)
    D.load_state_dict(state["discriminator"])
    final = evaluate(generate(G, config.final_samples, config.seed, Stream.GAN_FINAL))
    baselines = {n: real_baselines(evaluate.classifier, data, n) for n in {config.final_samples, config.eval_samples}}
    real = baselines[config.final_samples] | dict(salt_noise=salt_noise(to_unit_range(data.test_images)))
    result = dict(
        config=config_dict(config), data_source=data.source, data=data.describe(),
        architecture=architecture(config.variant, config.latent_dim), classifier=classifier_info,
        final=final | dict(n=config.final_samples) | discriminator_gauge(D.eval(), data),
        real_baseline=real, real_baseline_eval=baselines[config.eval_samples],
        train_seconds=round(history["train_seconds"], 1),
        eval_seconds=round(history["eval_seconds"] + time.perf_counter() - started, 1),
        cpu_seconds=round(history["cpu_seconds"] + time.process_time() - cpu_started, 1),
        checkpoints={name: str((folder / f"{name}.pt").relative_to(out_dir)) for name in ("start", "half", "final")},
        run_dir=str(folder.relative_to(out_dir)),
        curves=dict(losses=history["losses"], evals=history["evals"]),
        fixed_grid_steps=history["fixed_grid_steps"])
    save_json(result, folder / "result.json")
    return load_json(folder / "result.json")  # as a rerun will find it (tuples become lists)


def publish(result: dict, out_dir: str | Path, device: str = "auto") -> dict:
    """Make ``result`` (what ``train`` returned) the run that ``out_dir`` presents: write its
    ``metrics.json`` and ``samples_final.npz``. Returns the metrics with the fixed-noise grids
    of the history added (``fixed_grids``, uint8 (64, 1, 28, 28) each)."""
    out_dir, device = project_path(out_dir), resolve_device(device)
    state = load_torch(out_dir / result["checkpoints"]["final"], device)
    config = result["config"]
    samples = generate(generator_from_state(state, device), config["final_samples"], config["seed"], Stream.GAN_FINAL)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, images=to_unit_range(samples).squeeze(1).numpy().astype(np.float32),
                        seed=config["seed"], source=result["data_source"])
    save_bytes(buffer.getvalue(), out_dir / SAMPLES)
    save_json(result, out_dir / METRICS)
    return result | dict(fixed_grids=state["history"]["fixed_grids"])


def save_ablation(out_dir: str | Path, results: dict[str, dict]) -> dict:
    """Write ``ablation.json``: per rung of the ladder, its run's configuration, final measurements,
    real baselines and times (each rung's ``result`` without its curves)."""
    kept = ("config", "data_source", "data", "classifier", "final", "real_baseline", "train_seconds", "eval_seconds",
            "cpu_seconds", "run_dir")
    rungs = {rung: {key: result[key] for key in kept} for rung, result in results.items()}
    save_json(rungs, project_path(out_dir) / ABLATION)
    return rungs


def read_ablation(out_dir: str | Path) -> dict:
    return load_json(project_path(out_dir) / ABLATION)


def classifier_path(out_dir: str | Path, source: str) -> Path:
    """Where the evaluator trained on ``source`` is kept, beside the runs it measures."""
    return project_path(out_dir) / f"classifier-{source}.pt"


def read_metrics(out_dir: str | Path) -> dict:
    """02's ``metrics.json`` in ``out_dir``; FileNotFoundError naming what to run when it is not there."""
    path = project_path(out_dir) / METRICS
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: the GAN has not been trained yet. Run `make all` "
                                f"(or execute notebooks/02_gan_train.ipynb with the same output_root) first.")
    return load_json(path)
