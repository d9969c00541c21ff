"""Part II training: the minimax game (10) on MNIST, resumable, measured as it goes.

A run lives in ``<out_dir>/runs/<variant>-<source>-<hash of config>/``:
``start.pt`` (step 0, before any update), ``half.pt``, ``final.pt``, and
``latest.pt`` (periodic, for resuming). Every checkpoint holds both networks,
both optimizers, the step, the config and the history so far. Batches and noise
are drawn from ``(seed, step)``, so a run that is killed and rerun resumes from
``latest.pt`` and ends with the same weights as an uninterrupted run.

When a run finishes (or a finished run with the same configuration is found),
``<out_dir>/metrics.json`` and ``<out_dir>/samples_final.npz`` are written for it.
"""
from __future__ import annotations

import io
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from .evaluate import classifier_outputs, evaluate_images, real_baselines, train_classifier
from .gan import VARIANTS, architecture, build_gan, discriminator_loss, generator_loss, sample_noise
from .mnist import DATA_SOURCES, load_mnist, to_unit_range
from .runs import (check_choice, check_int, check_positive, config_dict, generator_for, load_torch,
                   project_path, resolve_device, run_dir, save_bytes, save_json, save_torch)

# Keys that give each random stream of a run its own generator (the step itself keys the training noise).
FIXED_NOISE, EVAL_NOISE, FINAL_NOISE, EPOCH_ORDER = -1, -2, -3, -4
FIXED_GRID = 64  # images in the fixed-noise progress grid


@dataclass(frozen=True)
class GANConfig:
    data_source: str = "auto"  # "auto", "mnist" or "mnist5k"
    variant: str = "mlp"  # "mlp" (the course template) or "conv" (DCGAN-style)
    steps: int = 20_000  # generator updates (one discriminator update each)
    batch_size: int = 64
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    latent_dim: int = 100
    seed: int = 0
    eval_every: int = 2_000  # steps between measurements (IS, Fréchet distance, histogram)
    eval_samples: int = 1_000  # generated images per measurement
    final_samples: int = 10_000  # images in samples_final.npz
    log_every: int = 100  # steps averaged into one point of the loss curves
    classifier_epochs: int | None = None  # the evaluator's training; None: a default for the source's size
    checkpoint_every: int = 1_000
    data_dir: str = "data"  # where full MNIST is (or is downloaded to)

    NOT_IDENTITY = ("checkpoint_every", "data_dir")  # change where and how often, not what is computed

    def __post_init__(self):
        check_choice("data_source", self.data_source, DATA_SOURCES)
        check_choice("variant", self.variant, VARIANTS)
        for name in ("steps", "batch_size", "latent_dim", "eval_every", "eval_samples", "final_samples",
                     "log_every", "checkpoint_every"):
            check_int(name, getattr(self, name))
        check_int("seed", self.seed, minimum=0)
        if self.classifier_epochs is not None:
            check_int("classifier_epochs", self.classifier_epochs)
        check_positive("lr", self.lr)
        for name in ("beta1", "beta2"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
                raise ValueError(f"{name} must be a number in [0, 1); got {value!r}")
        check_int("eval_samples", self.eval_samples, minimum=2)  # a covariance needs two


def _uint8(images: torch.Tensor) -> torch.Tensor:
    return (to_unit_range(images) * 255).round().to(torch.uint8).cpu()


@torch.no_grad()
def generate(G, n: int, seed: int, key: int, batch_size: int = 1000) -> torch.Tensor:
    """``n`` images in [-1, 1] from ``G`` in eval mode, from the noise stream ``(seed, key)``."""
    device = next(G.parameters()).device
    was_training = G.training
    G.eval()
    z = sample_noise(n, G.latent_dim, generator_for(seed, key))
    images = torch.cat([G(z[i:i + batch_size].to(device)).cpu() for i in range(0, n, batch_size)])
    G.train(was_training)
    return images


def _checkpoint(G, D, opt_G, opt_D, step: int, config: GANConfig, history: dict, window: torch.Tensor) -> dict:
    return dict(generator=G.state_dict(), discriminator=D.state_dict(), opt_G=opt_G.state_dict(),
                opt_D=opt_D.state_dict(), step=step, config=config_dict(config), history=history,
                window=window.cpu(), rng="stateless: batches and noise of step s come from generator_for(seed, s)")


def load_generator(path: str | Path, device: str = "auto"):
    """The generator of a checkpoint, in eval mode."""
    device = resolve_device(device)
    state = load_torch(project_path(path), device)
    G, _ = build_gan(state["config"]["variant"], state["config"]["latent_dim"])
    G.load_state_dict(state["generator"])
    return G.to(device).eval()


def train(config: GANConfig, out_dir: str | Path, device: str = "auto", force: bool = False,
          progress: bool = True, stop_after: int | None = None) -> dict:
    """Train, resume or reuse the run of ``config``; return its metrics (also written to out_dir).

    ``stop_after`` ends the session after that many steps, without a checkpoint, as a kill
    would: the next call resumes from the last periodic checkpoint (used to test resuming)."""
    out_dir, device = project_path(out_dir), resolve_device(device)
    data = load_mnist(config.data_source, config.data_dir)
    config = replace(config, data_source=data.source)  # the identity of a run is the source actually used
    folder = run_dir(out_dir / "runs", f"{config.variant}-{data.source}", config)
    if force and folder.exists():
        shutil.rmtree(folder)
    if not (folder / "final.pt").exists():
        _train_session(config, data, folder, out_dir, device, progress, stop_after)
        if not (folder / "final.pt").exists():
            return {}
    return _publish(folder, out_dir, data, device)


def _train_session(config, data, folder, out_dir, device, progress, stop_after):
    classifier, _ = train_classifier(data, out_dir / f"classifier-{data.source}.pt", config.classifier_epochs,
                                     device=device, progress=progress)
    torch.manual_seed(config.seed)  # the initial weights
    G, D = (net.to(device) for net in build_gan(config.variant, config.latent_dim))
    opt_G, opt_D = (torch.optim.Adam(net.parameters(), lr=config.lr, betas=(config.beta1, config.beta2), fused=True)
                    for net in (G, D))  # fused: one kernel per step instead of one per tensor
    history = dict(losses=[], evals=[], fixed_grid_steps=[], fixed_grids=[], wall_seconds=0.0)
    step, window = 0, torch.zeros(4, device=device)  # window: running sums of loss_D, loss_G, D(x), D(G(z))
    if (folder / "latest.pt").exists():
        state = load_torch(folder / "latest.pt", device)
        G.load_state_dict(state["generator"]), D.load_state_dict(state["discriminator"])
        opt_G.load_state_dict(state["opt_G"]), opt_D.load_state_dict(state["opt_D"])
        step, history, window = state["step"], state["history"], state["window"].to(device)

    def save(*names):
        ckpt = _checkpoint(G, D, opt_G, opt_D, step, config, history, window)
        for name in names:
            save_torch(ckpt, folder / f"{name}.pt")

    real_features = classifier_outputs(classifier, data.test_images)[0]

    def measure():
        metrics = evaluate_images(classifier, generate(G, config.eval_samples, config.seed, EVAL_NOISE),
                                  real_features)
        history["evals"].append(dict(step=step, **metrics))
        history["fixed_grid_steps"].append(step)
        history["fixed_grids"].append(_uint8(generate(G, FIXED_GRID, config.seed, FIXED_NOISE)))

    if step == 0:
        save_json(config_dict(config), folder / "config.json")
        measure()
        save("start", "latest")
    train_images = data.train_images.to(device)
    steps_per_epoch = len(train_images) // config.batch_size
    half, session_end = config.steps // 2, min(config.steps, step + (stop_after or config.steps))
    started = time.perf_counter() - history["wall_seconds"]
    bar = tqdm(total=config.steps, initial=step, desc=f"GAN {config.variant}", disable=not progress,
               mininterval=2.0)
    order_epoch, order = -1, None
    while step < session_end:
        epoch, index = divmod(step, steps_per_epoch)
        if epoch != order_epoch:
            order_epoch = epoch
            order = torch.randperm(len(train_images), generator=generator_for(config.seed, EPOCH_ORDER, epoch))
        real = train_images[order[index * config.batch_size:(index + 1) * config.batch_size].to(device)]
        z = sample_noise(config.batch_size, config.latent_dim, generator_for(config.seed, step), device)

        fake = G(z)
        real_logits, fake_logits = D(real), D(fake.detach())
        loss_D = discriminator_loss(real_logits, fake_logits)  # D ascends (10)
        opt_D.zero_grad(set_to_none=True)
        loss_D.backward()
        opt_D.step()

        loss_G = generator_loss(D(fake))  # G descends the non-saturating form of (10)
        opt_G.zero_grad(set_to_none=True)
        loss_G.backward()
        opt_G.step()

        step += 1
        with torch.no_grad():
            window += torch.stack([loss_D, loss_G, real_logits.sigmoid().mean(), fake_logits.sigmoid().mean()])
        bar.update()
        if step % config.log_every == 0:
            d_loss, g_loss, d_real, d_fake = (window / config.log_every).tolist()
            history["losses"].append(dict(step=step, loss_D=d_loss, loss_G=g_loss, D_real=d_real, D_fake=d_fake))
            window.zero_()
            bar.set_postfix(loss_D=f"{d_loss:.3f}", loss_G=f"{g_loss:.3f}", D_x=f"{d_real:.2f}",
                            D_G_z=f"{d_fake:.2f}")
        if step % config.eval_every == 0 or step == config.steps:
            measure()
        history["wall_seconds"] = time.perf_counter() - started
        if step == config.steps:
            save("final", "latest")
        elif step == half:
            save("half", "latest")
        elif step % config.checkpoint_every == 0:
            save("latest")
    bar.close()


def _publish(folder: Path, out_dir: Path, data, device) -> dict:
    """Write ``metrics.json`` and ``samples_final.npz`` of the finished run in ``folder`` to ``out_dir``."""
    state = load_torch(folder / "final.pt", device)
    config = GANConfig(**{k: v for k, v in state["config"].items() if k in GANConfig.__dataclass_fields__})
    classifier, classifier_info = train_classifier(data, out_dir / f"classifier-{data.source}.pt",
                                                   config.classifier_epochs, device=device, progress=False)
    history = state["history"]
    G = load_generator(folder / "final.pt", device)
    samples = generate(G, config.final_samples, config.seed, FINAL_NOISE)
    final = evaluate_images(classifier, samples, classifier_outputs(classifier, data.test_images)[0])
    buffer = io.BytesIO()
    np.savez_compressed(buffer, images=to_unit_range(samples).squeeze(1).numpy().astype(np.float32),
                        seed=config.seed, source=data.source)
    save_bytes(buffer.getvalue(), out_dir / "samples_final.npz")
    baselines = {n: real_baselines(classifier, data, n) for n in {config.final_samples, config.eval_samples}}
    metrics = dict(
        config=config_dict(config), data_source=data.source, data=data.describe(),
        architecture=architecture(config.variant, config.latent_dim),
        classifier=classifier_info, final=final | dict(n=config.final_samples),
        real_baseline=baselines[config.final_samples], real_baseline_eval=baselines[config.eval_samples],
        wall_seconds=round(history["wall_seconds"], 1),
        checkpoints={name: str((folder / f"{name}.pt").relative_to(out_dir)) for name in ("start", "half", "final")},
        run_dir=str(folder.relative_to(out_dir)),
        curves=dict(losses=history["losses"], evals=history["evals"]),
        fixed_grid_steps=history["fixed_grid_steps"])
    save_json(metrics, out_dir / "metrics.json")
    return metrics | dict(fixed_grids=history["fixed_grids"])
