"""Part I training: RMSProp on the palindrome task, resumable and reusable.

One run = one (model, T, seed, ...) configuration, in its own folder under
``<out_dir>/runs/``: ``config.json`` when it starts, ``checkpoint.pt`` at every
evaluation (model, optimizer, step, curves), ``result.json`` when it finishes.
A rerun with the same configuration returns the finished result; a run that was
interrupted resumes from its checkpoint and ends exactly where the
uninterrupted run would have (batches are drawn from ``(seed, stream, step)``).

This module owns 01's ``metrics.json`` and the paths of the runs' checkpoints, and
defines once what "learned" means.
"""
from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from .palindrome import INPUT_DIMS, NUM_CLASSES, PalindromeDataset, encode
from .recurrent import FORGET_BIAS_INITS, MODELS, build_model, loss_fn
from .recurrent import load_checkpoint
from .runs import (check_choice, check_fraction, check_int, check_positive, config_dict, finished_since, load_json,
                   load_torch, project_path, resolve_device, run_all, run_dir, save_json, save_torch)

LEARNED = 0.99  # a run has learned its T when its final test accuracy is at least this
METRICS = "metrics.json"


def learned(record: dict) -> bool:
    """Whether a run's record says it learned the task (the one definition, used everywhere)."""
    return record["test_accuracy"] >= LEARNED


@dataclass(frozen=True)
class StepBudget:
    """The training steps a run of length T may take: ``base + per_length * T`` for the LSTM,
    times ``rnn_factor`` for the RNN. The factor is at least 1: a model's failure must not be an
    artefact of a smaller budget. Runs that converge stop early (``RecurrentConfig.target_accuracy``),
    so a generous budget costs only the runs that fail."""

    base: int = 400
    per_length: int = 12
    rnn_factor: float = 1.0

    def __post_init__(self):
        check_int("steps_base", self.base)
        check_int("steps_per_length", self.per_length, minimum=0)
        if isinstance(self.rnn_factor, bool) or not isinstance(self.rnn_factor, (int, float)) or self.rnn_factor < 1:
            raise ValueError(f"rnn_steps_factor must be a number >= 1, so that the RNN never gets fewer steps "
                             f"than the LSTM; got {self.rnn_factor!r}")

    def steps(self, model: str, seq_length: int) -> int:
        steps = self.base + self.per_length * seq_length
        return round(steps * self.rnn_factor) if model == "rnn" else steps


@dataclass(frozen=True)
class RecurrentConfig:
    ADDED = ("init_from",)  # see runs.config_dict
    model: str = "lstm"  # "lstm" or "rnn"
    seq_length: int = 5  # T: the palindrome's length; the network reads T-1 digits
    encoding: str = "onehot"  # "scalar" (the digit's value, input_dim 1) or "onehot" (input_dim 10)
    hidden_dim: int = 128
    batch_size: int = 128
    learning_rate: float = 1e-3
    max_steps: int = 2000
    max_norm: float = 10.0  # gradient-norm clipping, applied before each RMSProp step
    rmsprop_alpha: float = 0.99  # RMSProp's smoothing constant for the mean squared gradient
    forget_bias_init: str = "zero"  # LSTM only: "zero", "one" or "chrono"
    chrono_t_max: int | None = None  # chrono's T_max; None: T
    eval_every: int = 50
    target_accuracy: float = LEARNED  # stop once test accuracy reaches this ...
    patience: int = 2  # ... at this many evaluations in a row
    test_size: int = 1000
    seed: int = 0
    fused: bool = True  # hand-written BPTT (fast) or the autograd reference path
    init_from: str | None = None  # a finished run's folder in the same runs/: start from its weights; None: fresh

    def __post_init__(self):
        check_choice("model", self.model, MODELS)
        check_int("seq_length", self.seq_length, minimum=2)
        check_choice("encoding", self.encoding, INPUT_DIMS)
        for name in ("hidden_dim", "batch_size", "max_steps", "eval_every", "patience", "test_size"):
            check_int(name, getattr(self, name))
        check_positive("learning_rate", self.learning_rate)
        check_positive("max_norm", self.max_norm)
        check_fraction("rmsprop_alpha", self.rmsprop_alpha)
        check_choice("forget_bias_init", self.forget_bias_init, FORGET_BIAS_INITS)
        if self.chrono_t_max is not None:
            check_int("chrono_t_max", self.chrono_t_max, minimum=2)
        if self.model == "rnn":  # it has no forget gate: one RNN run, whatever the LSTM's settings
            object.__setattr__(self, "forget_bias_init", "zero")
            object.__setattr__(self, "chrono_t_max", None)
        check_fraction("target_accuracy", self.target_accuracy)
        check_int("seed", self.seed, minimum=0)
        if self.init_from is not None and (not isinstance(self.init_from, str) or not self.init_from.strip()):
            raise ValueError(f"init_from must be a run's folder name or None; got {self.init_from!r}")

    @property
    def name(self) -> str:
        return f"{self.model}_T{self.seq_length}_seed{self.seed}"

    def model_args(self) -> dict:
        args = dict(seq_length=self.seq_length, input_dim=INPUT_DIMS[self.encoding], hidden_dim=self.hidden_dim,
                    output_dim=NUM_CLASSES, fused=self.fused)
        lstm_args = dict(forget_bias_init=self.forget_bias_init, chrono_t_max=self.chrono_t_max)
        return args | (lstm_args if self.model == "lstm" else {})


@torch.no_grad()
def accuracy(model, digits: torch.Tensor, targets: torch.Tensor) -> float:
    return (model.predict_digits(digits).cpu() == targets).float().mean().item()


def runs_folder(out_dir: str | Path) -> Path:
    return project_path(out_dir) / "runs"


def checkpoint(out_dir: str | Path, record: dict) -> Path:
    """The checkpoint of the run that ``record`` describes."""
    return runs_folder(out_dir) / record["run_dir"] / "checkpoint.pt"


def load_model(out_dir: str | Path, record: dict, device: str = "auto"):
    """The trained model of the run that ``record`` describes, in eval mode."""
    return load_checkpoint(checkpoint(out_dir, record), device)


def train(config: RecurrentConfig, out_dir: str | Path, device: str = "auto", retrain_before: float | None = None,
          progress: bool = True, stop_after: int | None = None) -> dict | None:
    """Train one configuration (or reuse/resume it) under ``out_dir/runs/`` and return its result record.

    ``retrain_before`` (seconds since the epoch) trains the run again unless it finished at or after that
    time: a notebook run with ``force`` passes its start, so a run it has retrained once is reused after.
    ``stop_after`` ends this session after that many steps, as a kill would, and returns None."""
    folder = run_dir(runs_folder(out_dir), config.name, config)
    if retrain_before is not None and folder.exists() and not finished_since(folder / "result.json", retrain_before):
        shutil.rmtree(folder)
    if (folder / "result.json").exists():
        return load_json(folder / "result.json")
    start = runs_folder(out_dir) / config.init_from if config.init_from else None
    if start and not (start / "result.json").exists():
        raise FileNotFoundError(f"init_from: the run {config.init_from} has not finished in {runs_folder(out_dir)}; "
                                "train it first")
    save_json(config_dict(config), folder / "config.json")
    device = resolve_device(device)
    # A saturated network's gradients shrink through the tanh chain into the subnormal floats, where each
    # multiplication is many times slower on x86 CPUs; flushed to zero, they cost nothing (measured: an RNN
    # at T = 20, 12.5 -> 7.6 ms per step). Values below 1e-38 change no result.
    torch.set_flush_denormal(True)

    torch.manual_seed(config.seed)  # the initial weights
    model = build_model(config.model, **config.model_args()).to(device)
    if start:  # a curriculum: the weights that solved a shorter T (they do not depend on T); a fresh optimiser
        model.load_state_dict(load_torch(start / "checkpoint.pt", device)["model_state"])
    optimizer = torch.optim.RMSprop(model.parameters(), lr=config.learning_rate, alpha=config.rmsprop_alpha)
    state = dict(step=0, curves=[], streak=0, steps_to_99=None, wall_seconds=0.0)
    checkpoint = folder / "checkpoint.pt"
    if checkpoint.exists():
        saved = load_torch(checkpoint, device)
        model.load_state_dict(saved["model_state"])
        optimizer.load_state_dict(saved["optimizer_state"])
        state = saved["train_state"]

    data = PalindromeDataset(config.seq_length, seed=config.seed)
    test_digits, test_targets = data.test_set(config.test_size)
    started = time.perf_counter() - state["wall_seconds"]
    loss_sum, correct, seen = torch.zeros((), device=device), torch.zeros((), device=device), 0
    bar = tqdm(total=config.max_steps, initial=state["step"], desc=config.name, disable=not progress,
               mininterval=1.0, leave=False)
    session_end = state["step"] + (stop_after or config.max_steps)
    while state["step"] < config.max_steps and state["streak"] < config.patience:
        if state["step"] >= session_end:
            bar.close()
            return None
        digits, targets = data.batch(config.batch_size, state["step"])
        digits, targets = digits.to(device), targets.to(device)
        logits = model(encode(digits, model.input_dim))
        loss = loss_fn(logits, targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_norm)
        optimizer.step()
        state["step"] += 1
        loss_sum += loss.detach() * len(targets)  # summed on the device: no sync per step
        correct += (logits.argmax(1) == targets).sum()
        seen += len(targets)
        bar.update()

        if state["step"] % config.eval_every == 0 or state["step"] == config.max_steps:
            model.eval()
            test_accuracy = accuracy(model, test_digits, test_targets)
            model.train()
            state["curves"].append(dict(step=state["step"], loss=loss_sum.item() / seen,
                                        train_accuracy=correct.item() / seen, test_accuracy=test_accuracy))
            loss_sum, correct, seen = loss_sum.zero_(), correct.zero_(), 0
            if test_accuracy >= LEARNED and state["steps_to_99"] is None:
                state["steps_to_99"] = state["step"]
            state["streak"] = state["streak"] + 1 if test_accuracy >= config.target_accuracy else 0
            state["wall_seconds"] = time.perf_counter() - started
            save_torch(dict(model=config.model, init_args=model.init_args, model_state=model.state_dict(),
                            optimizer_state=optimizer.state_dict(), train_state=state), checkpoint)
            bar.set_postfix(loss=f"{state['curves'][-1]['loss']:.3f}", test_acc=f"{test_accuracy:.3f}")
    bar.close()

    final = state["curves"][-1]
    result = dict(model=config.model, seq_length=config.seq_length, seed=config.seed,
                  init=config.forget_bias_init if config.model == "lstm" else None,
                  init_from_length=load_json(start / "result.json")["seq_length"] if start else None,
                  lr=config.learning_rate, encoding=config.encoding, hidden_dim=config.hidden_dim,
                  max_steps=config.max_steps, target_accuracy=config.target_accuracy, patience=config.patience,
                  steps=state["step"], test_accuracy=final["test_accuracy"], steps_to_99=state["steps_to_99"],
                  wall_seconds=round(state["wall_seconds"], 2), run_dir=folder.name, curves=state["curves"])
    save_json(result, folder / "result.json")
    return result


def _train_quietly(job: tuple) -> dict:
    config, out_dir, device, retrain_before = job
    return train(config, out_dir, device=device, retrain_before=retrain_before, progress=False)


def train_many(configs: list[RecurrentConfig], out_dir: str | Path, device: str = "auto",
               retrain_before: float | None = None, workers: int = 1, progress: bool = True) -> list[dict]:
    """Train every configuration (``workers`` at a time on the CPU) and return their results in order."""
    if resolve_device(device).type != "cpu":
        workers = 1  # runs share one accelerator better one after the other
    return run_all(_train_quietly, [(config, out_dir, device, retrain_before) for config in configs], workers,
                   progress=progress)


def save_metrics(out_dir: str | Path, groups: dict[str, list[dict]], **extra) -> dict:
    """Write 01's ``metrics.json``: one record per distinct run, without its curves, tagged with the
    group (part of the experiment) it was first listed in, and the ``extra`` entries as they are."""
    records = {}
    for group, results in groups.items():
        for result in results:
            records.setdefault(result["run_dir"], {k: v for k, v in result.items() if k != "curves"} | dict(group=group))
    metrics = dict(runs=list(records.values()), learned_accuracy=LEARNED, **extra)
    save_json(metrics, project_path(out_dir) / METRICS)
    return metrics


def read_metrics(out_dir: str | Path) -> dict:
    """01's ``metrics.json`` in ``out_dir``; FileNotFoundError naming what to run when it is not there."""
    path = project_path(out_dir) / METRICS
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run `make all` (or notebooks/01_lstm.ipynb) first.")
    return load_json(path)
