"""Part II training: the minimax game (10) on MNIST, step by step, checkpointed and measured as it goes.

A run's folder holds ``config.json``, ``start.pt`` (step 0, before any update), ``half.pt``, ``final.pt`` and
``latest.pt`` (periodic, for resuming). Every checkpoint holds both networks, the generator's moving average
(EMA), both optimisers, the step and the history so far. Batches, noise and augmentations of step s are
drawn from generators keyed by ``(seed, stream, s)``, so a run that is killed and rerun resumes from
``latest.pt`` and ends with the same weights as an uninterrupted run on the same thread count (the game
amplifies the last bits of a sum, and the order of a sum changes with the threads that share it).

The raw generator is what trains; the moving average follows it, and samples come from the average.
``lib.gan_runs`` decides whether a run trains, resumes or is reused, and measures it at the end.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .augment import check_policy, diff_augment
from .checks import check_choice, check_int, check_positive, check_unit_interval
from .ema import EMA, refresh_batchnorm
from .files import load_torch, save_json, save_torch
from .gan import VARIANTS, build_gan, discriminator_loss, generator_loss, sample_noise
from .gan_measure import Evaluator, discriminator_gauge, generate
from .mnist import DATA_SOURCES, MNIST, to_unit_range
from .progress import Progress
from .runs import identity
from .streams import Stream, generator_for

FIXED_GRID = 64  # images in the fixed-noise progress grid


@dataclass(frozen=True)
class GANConfig:
    """One run. The defaults are the course template's networks and losses (10), trained with the recipe that
    the ablation of notebook 02 examines."""

    IDENTITY = ("data_source", "variant", "steps", "batch_size", "lr_G", "lr_D", "beta1", "beta2", "latent_dim",
                "ema_decay", "augment", "seed", "eval_every", "eval_samples", "final_samples", "log_every",
                "classifier_epochs")
    NOT_IDENTITY = ("checkpoint_every", "data_dir")  # change where and how often, not what is computed

    data_source: str = "auto"  # "auto", "mnist" or "mnist5k"
    variant: str = "mlp"  # "mlp" (the course template) or "conv" (DCGAN-style reference)
    steps: int = 6_000  # generator updates (one discriminator update each)
    batch_size: int = 128
    lr_G: float = 4e-4  # Adam's learning rate for each side
    lr_D: float = 4e-4
    beta1: float = 0.5
    beta2: float = 0.999
    latent_dim: int = 100  # the size of z: the one place it is set (networks, samples and prose follow it)
    ema_decay: float = 0.9995  # the generator's moving average, which samples come from; 0: the raw generator
    augment: tuple[str, ...] = ()  # DiffAugment for D's inputs: "translation", "cutout"; () for none
    seed: int = 0
    eval_every: int = 1_000  # steps between measurements (IS, Fréchet distance, histogram, D's gap)
    eval_samples: int = 1_000  # generated images per measurement: one split (lib.gan_measure.SPLIT)
    final_samples: int = 10_000  # images in samples_final.npz and the final measurement: ten splits
    log_every: int = 100  # steps averaged into one point of the loss curves
    classifier_epochs: int | None = None  # the evaluator's training; None: a default for the source's size
    checkpoint_every: int = 1_000
    data_dir: str = "data"  # where full MNIST is (or is downloaded to)

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
                    step=self.step, window=self.window.cpu(), config=identity(self.config), history=self.history,
                    threads=torch.get_num_threads(),
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


# ---------------------------------------------------------------- a training session

def _uint8(images: torch.Tensor) -> torch.Tensor:
    return (to_unit_range(images) * 255).round().to(torch.uint8).cpu()


def checkpoints_due(config: GANConfig, step: int) -> list[str]:
    """The checkpoint files to write after ``step`` updates: start, half and final, and latest
    with each of them and every ``checkpoint_every`` steps."""
    due = [name for name, at in (("start", 0), ("half", config.steps // 2), ("final", config.steps)) if step == at]
    return due + ["latest"] if due or step % config.checkpoint_every == 0 else due


def measure_during_training(state: GANState, evaluate: Evaluator, G: torch.nn.Module) -> dict:
    """Append one evaluation of ``G`` (``state.sampler()``) and D's gauge to the history, and the fixed-noise
    grid; returns the evaluation."""
    config, history = state.config, state.history
    point = dict(step=state.step, **evaluate(generate(G, config.eval_samples, config.seed, Stream.GAN_EVAL)),
                 **discriminator_gauge(state.D, evaluate.data, state.G, config.seed))
    history["evals"].append(point)
    history["fixed_grid_steps"].append(state.step)
    history["fixed_grids"].append(_uint8(generate(G, FIXED_GRID, config.seed, Stream.GAN_FIXED)))
    return point


class Session:
    """Training one run from its last checkpoint (or from scratch) to its last step, or for ``stop_after``
    steps. The wall time of the steps goes to ``train_seconds``, that of measuring and writing checkpoints to
    ``eval_seconds``, and the process's CPU time of both to ``cpu_seconds``."""

    def __init__(self, config: GANConfig, data: MNIST, evaluate: Evaluator, folder: Path, device: torch.device):
        self.config, self.evaluate, self.folder = config, evaluate, folder
        self.state = GANState.new(config, device)
        self.batches = Batches(config, data.train_images.to(device))
        self.clock, self.cpu_clock = time.perf_counter(), time.process_time()

    def start(self) -> None:
        if (self.folder / "latest.pt").exists():
            self.state.load_state_dict(load_torch(self.folder / "latest.pt", self.state.window.device))
        else:
            save_json(identity(self.config), self.folder / "config.json")
            self.measure_and_save(evaluating=True, checkpoints=checkpoints_due(self.config, 0))

    def run(self, stop_after: int | None, progress: Progress) -> None:
        config, state = self.config, self.state
        end = min(config.steps, state.step + (stop_after or config.steps))
        while state.step < end:
            state.window += train_step(state, *self.batches(state.step))
            latest = {}
            if state.step % config.log_every == 0:
                point = state.log_losses()
                latest = dict(loss_D=f"{point['loss_D']:.3f}", D_x=f"{point['D_real']:.2f}")
            evaluating = state.step % config.eval_every == 0 or state.step == config.steps
            due = checkpoints_due(config, state.step)
            if evaluating or due:
                point = self.measure_and_save(evaluating, due)
                if point:
                    latest = dict(IS=f"{point['inception_score']:.2f}",
                                  FD_val=f"{point['frechet_distance_validation']:.1f}")
            progress.update(**latest)

    def measure_and_save(self, evaluating: bool, checkpoints: list[str]) -> dict | None:
        """Measure (when ``evaluating``), then write ``checkpoints``, both from one ``sampler()``."""
        history, started = self.state.history, time.perf_counter()
        history["train_seconds"] += started - self.clock
        G = self.state.sampler()
        point = measure_during_training(self.state, self.evaluate, G) if evaluating else None
        history["eval_seconds"] += time.perf_counter() - started
        history["cpu_seconds"] += time.process_time() - self.cpu_clock
        checkpoint = self.state.state_dict()
        for name in checkpoints:
            save_torch(checkpoint, self.folder / f"{name}.pt")
        self.clock, self.cpu_clock = time.perf_counter(), time.process_time()
        return point
