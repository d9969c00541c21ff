"""A GAN run as notebook 02 uses it: trained, resumed or reused, measured once it is finished, and published.

A run lives in ``<out_dir>/runs/<variant>-<source>-<hash of config>/`` (``lib.gan_train`` writes its
checkpoints); ``result.json`` is written once the finished run has been measured: its final generator on
``final_samples`` images, both the moving average (``final``, what the run publishes) and the raw generator
(``final_raw``), beside the real baseline at the same sample size. A finished run whose measuring code has
changed is measured again from its final checkpoint; one whose training code has changed says so.

This module owns 02's output files: ``metrics.json`` and ``samples_final.npz`` for the run a notebook
publishes, the evaluator's checkpoint ``classifier-<source>.pt``, and a run's ``result.json``.
"""
from __future__ import annotations

import io
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from . import augment, ema, evaluate, gan, gan_measure, gan_train, mnist, streams
from .devices import resolve_device
from .evaluate import train_classifier
from .files import load_json, load_torch, project_path, save_bytes, save_json
from .gan import architecture, build_gan, generator_from_state
from .gan_measure import Evaluator, discriminator_gauge, generate
from .gan_train import GANConfig, Session
from .mnist import load_mnist, to_unit_range
from .progress import Progress
from .runs import (clear_unless_finished_since, code_changes, fingerprints, identity, read_result, run_dir,
                   stale_training_note)
from .streams import Stream

METRICS, SAMPLES, RESULT = "metrics.json", "samples_final.npz", "result.json"
CHECKPOINTS = ("start", "half", "final")


def classifier_path(out_dir: str | Path, source: str) -> Path:
    """Where the evaluator trained on ``source`` is kept, beside the runs it measures."""
    return project_path(out_dir) / f"classifier-{source}.pt"


def evaluator_for(result: dict, out_dir: str | Path, device: str = "auto", data_dir: str = "data") -> Evaluator:
    """The evaluator that measured the run of ``result``: its data source and its trained classifier."""
    data = load_mnist(result["data_source"], data_dir)
    classifier, _ = train_classifier(data, classifier_path(out_dir, data.source), result["config"]["classifier_epochs"],
                                     device=device, progress=False)
    return Evaluator(classifier, data)


def run_folder(config: GANConfig, out_dir: str | Path) -> Path:
    return run_dir(project_path(out_dir) / "runs", f"{config.variant}-{config.data_source}", config)


def train(config: GANConfig, out_dir: str | Path, device: str = "auto", retrain_before: float | None = None,
          progress: bool = False, stop_after: int | None = None, label: str = "GAN") -> dict:
    """Train, resume or reuse the run of ``config``; return its result (final measurements, timings).

    ``retrain_before`` (seconds since the epoch) trains the run again unless it finished at or after that
    time: a notebook run with ``force`` passes its start, so a run it has retrained once is reused after.
    ``stop_after`` ends the session after that many steps, as a kill would, and returns {}: the next call
    resumes from the last periodic checkpoint."""
    out_dir, device = project_path(out_dir), resolve_device(device)
    data = load_mnist(config.data_source, config.data_dir)
    config.check_data(data)
    config = replace(config, data_source=data.source)  # the identity of a run is the source actually used
    folder = run_folder(config, out_dir)
    clear_unless_finished_since(folder, RESULT, retrain_before)
    if (folder / RESULT).exists() and not all((folder / f"{name}.pt").exists() for name in CHECKPOINTS):
        shutil.rmtree(folder)  # a result without its checkpoints (the folder was cleaned under it): train it again
    if (folder / RESULT).exists() and not trained_on(folder, data):
        shutil.rmtree(folder)  # trained on other digits (another split of the source): not this run
    result = read_result(folder, RESULT)
    if result is not None and not code_changes(result.get("code"), CODE, "measure"):
        return _noted(result, config)
    classifier, classifier_info = train_classifier(data, classifier_path(out_dir, data.source),
                                                   config.classifier_epochs, device=device, progress=progress)
    evaluator = Evaluator(classifier, data)
    if not (folder / "final.pt").exists():
        session = Session(config, data, evaluator, folder, device)
        session.start()
        bar = Progress(label, config.steps, "steps", bar=progress, initial=session.state.step)
        try:
            session.run(stop_after, bar)
        finally:
            bar.close()
        if not (folder / "final.pt").exists():
            return {}
    return _noted(finish(folder, out_dir, config, evaluator, classifier_info, device, result), config)


def trained_on(folder: Path, data) -> bool:
    """Whether the finished run in ``folder`` trained on exactly these digits (the same source and split)."""
    result = read_result(folder, RESULT)
    return result is not None and result.get("data") == data.describe()


def _noted(result: dict, config: GANConfig) -> dict:
    changed = code_changes(result.get("code"), CODE, "train")
    return result | (dict(note=stale_training_note(f"GAN {config.variant}", changed)) if changed else {})


def measure_checkpoint(state: dict, config: GANConfig, evaluator: Evaluator, device: torch.device) -> dict:
    """A checkpoint's generators measured on ``final_samples`` images: ``final`` (the moving average, with
    D's gauge) and ``final_raw`` (the raw generator; the same as ``final`` without averaging)."""
    D = build_gan(config.variant, config.latent_dim)[1].to(device)
    D.load_state_dict(state["discriminator"])
    raw = generator_from_state(state, device, ema=False)
    gauge = discriminator_gauge(D, evaluator.data, raw, config.seed)
    measured = {}
    for key, use_ema in (("final", True), ("final_raw", False)):
        if key == "final_raw" and config.ema_decay == 0:
            measured[key] = measured["final"]
            continue
        G = generator_from_state(state, device, ema=True) if use_ema else raw
        measured[key] = evaluator(generate(G, config.final_samples, config.seed, Stream.GAN_FINAL)) | gauge
    return measured


def finish(folder: Path, out_dir: Path, config: GANConfig, evaluator: Evaluator, classifier_info: dict, device,
           earlier: dict | None = None) -> dict:
    """Measure the finished run and write its ``result.json``; a reused run (``earlier``) keeps its timings."""
    started, cpu_started = time.perf_counter(), time.process_time()
    state = load_torch(folder / "final.pt", device)
    history = state["history"]
    result = dict(
        config=identity(config), data_source=evaluator.data.source, data=evaluator.data.describe(),
        architecture=architecture(config.variant, config.latent_dim), classifier=classifier_info,
        **measure_checkpoint(state, config, evaluator, device), real_baseline=evaluator.real_baseline(),
        train_seconds=round(history["train_seconds"], 1), threads=state.get("threads"),
        checkpoints={name: str((folder / f"{name}.pt").relative_to(out_dir)) for name in CHECKPOINTS},
        run_dir=str(folder.relative_to(out_dir)), curves=dict(losses=history["losses"], evals=history["evals"]),
        fixed_grid_steps=history["fixed_grid_steps"], code=CODE)
    measuring = time.perf_counter() - started
    if earlier is None:
        result |= dict(eval_seconds=round(history["eval_seconds"] + measuring, 1),
                       cpu_seconds=round(history["cpu_seconds"] + time.process_time() - cpu_started, 1))
    else:
        result |= dict(eval_seconds=earlier["eval_seconds"], cpu_seconds=earlier["cpu_seconds"],
                       remeasured_seconds=round(measuring, 1),
                       code=dict(CODE, train=(earlier.get("code") or {}).get("train", {})))
    save_json(result, folder / RESULT)
    return load_json(folder / RESULT)  # as a rerun will find it (tuples become lists)


def seconds_per_step(config: GANConfig, threads: int | None = None, steps: int = 10) -> float:
    """Wall seconds per training step of ``config`` on this machine (on ``threads`` threads; None: torch's
    default), timed on a few steps after two warm-up steps."""
    from .devices import torch_threads
    from .gan_train import Batches, GANState, train_step

    data = load_mnist(config.data_source, config.data_dir)
    with torch_threads(threads or torch.get_num_threads()):
        state = GANState.new(replace(config, data_source=data.source), torch.device("cpu"))
        batches = Batches(config, data.train_images)
        for _ in range(2):
            train_step(state, *batches(state.step))
        started = time.perf_counter()
        for _ in range(steps):
            train_step(state, *batches(state.step))
    return (time.perf_counter() - started) / steps


def remaining_seconds(config: GANConfig, out_dir: str | Path, threads: int | None = None) -> float:
    """About how long the run of ``config`` still takes here: nothing when it has finished, else its steps
    left at the speed timed once per shape, and a tenth more for measuring and checkpoints."""
    data = load_mnist(config.data_source, config.data_dir)
    folder = run_folder(replace(config, data_source=data.source), out_dir)
    if trained_on(folder, data):
        return 0.0
    done = load_torch(folder / "latest.pt")["step"] if (folder / "latest.pt").exists() else 0
    shape = (config.variant, data.source, config.batch_size, config.latent_dim, config.ema_decay, config.augment,
             threads)
    if shape not in _PER_STEP:
        _PER_STEP[shape] = seconds_per_step(config, threads)
    return (config.steps - done) * _PER_STEP[shape] * 1.1


_PER_STEP: dict = {}  # seconds per step by shape, timed once per process: the plan and the training reuse them


# ---------------------------------------------------------------- 02's files

def publish(result: dict, out_dir: str | Path, device: str = "auto") -> dict:
    """Make ``result`` (what ``train`` returned) the run that ``out_dir`` presents: write its ``metrics.json``
    and ``samples_final.npz`` (the final images in [0, 1], (N, 28, 28) float32). Returns the metrics with the
    fixed-noise grids of the history added (``fixed_grids``, uint8 (64, 1, 28, 28) each)."""
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


def read_metrics(out_dir: str | Path) -> dict:
    """02's ``metrics.json`` in ``out_dir``; FileNotFoundError naming what to run when it is not there."""
    path = project_path(out_dir) / METRICS
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: the GAN has not been trained yet. Run `make all` "
                                f"(or execute notebooks/02_gan_train.ipynb with the same output_root) first.")
    return load_json(path)


def referenced_files(out_dir: str | Path) -> list[Path]:
    """The files 02's ``metrics.json`` in ``out_dir`` points to: the published run's checkpoints, its samples
    and its evaluator."""
    out_dir = project_path(out_dir)
    metrics = load_json(out_dir / METRICS)
    return [*(out_dir / path for path in metrics["checkpoints"].values()), out_dir / SAMPLES,
            classifier_path(out_dir, metrics["data_source"])]


# The code that trains a run and the code that measures it (lib.runs).
CODE = fingerprints(train=(streams, mnist, augment, ema, gan, gan_train),
                    measure=(evaluate, gan_measure, sys.modules[__name__]))
