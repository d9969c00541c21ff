"""Part I training: RMSProp on the palindrome task, as named steps, resumable and reusable.

One run = one configuration, in its own folder under ``<out_dir>/runs/``: ``config.json`` when it starts,
``checkpoint.pt`` at every evaluation (model, optimiser, the training state), ``result.json`` when it
finishes. A rerun with the same configuration returns the finished result; a run that was interrupted
resumes from its checkpoint and ends exactly where the uninterrupted run would have (batches are drawn
from ``(seed, stream, step)``). Every decision during training (when to stop) is made on the validation
set; the test set is measured once, at the end (``lib.recurrent_measure``).

This module defines once what "learned" means, and owns the files of a run's folder.
"""
from __future__ import annotations

import dataclasses
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from . import bptt, cpu_kernels, palindrome, recurrent, recurrent_measure, streams
from .checks import check_choice, check_fraction, check_int, check_positive
from .devices import resolve_device
from .files import load_json, load_torch, project_path, save_json, save_torch
from .palindrome import INPUT_DIMS, NUM_CLASSES, PalindromeDataset, encode
from .recurrent import MODELS, Recurrent, build_model, loss_fn, spec
from .recurrent_measure import accuracy, final_measures
from .runs import clear_unless_finished_since, code_changes, fingerprints, identity, read_result, run_dir, \
    stale_training_note

LEARNED = 0.99  # a run has learned its T when its final test accuracy is at least this
CHECKPOINT, RESULT = "checkpoint.pt", "result.json"


def learned(record: dict) -> bool:
    """Whether a run's record says it learned the task (the one definition, used everywhere)."""
    return record["test_accuracy"] >= LEARNED


@dataclass(frozen=True)
class RecurrentConfig:
    """One run. The defaults are the course's: hidden size 128, batch 128, RMSProp at 1e-3, clipping at 10."""

    IDENTITY = ("model", "seq_length", "encoding", "hidden_dim", "batch_size", "learning_rate", "max_steps",
                "max_norm", "rmsprop_alpha", "eval_every", "target_accuracy", "patience", "validation_size",
                "test_size", "seed", "fused")
    ADDED = ("init_from",)

    model: str = "lstm"  # a key of lib.recurrent.MODELS: the class and its initialisation
    seq_length: int = 5  # T: the palindrome's length; the network reads T-1 digits
    encoding: str = "onehot"  # "scalar" (the digit's value, input_dim 1) or "onehot" (input_dim 10)
    hidden_dim: int = 128
    batch_size: int = 128
    learning_rate: float = 1e-3
    max_steps: int = 2000
    max_norm: float = 10.0  # gradient-norm clipping, applied before each RMSProp step
    rmsprop_alpha: float = 0.99  # RMSProp's smoothing constant for the mean squared gradient
    eval_every: int = 50
    target_accuracy: float = LEARNED  # stop once validation accuracy reaches this ...
    patience: int = 2  # ... at this many evaluations in a row
    validation_size: int = 1000
    test_size: int = 1000
    seed: int = 0
    fused: bool = True  # hand-written BPTT (fast) or the autograd reference path
    init_from: str | None = None  # a finished run's folder in the same runs/: start from its weights; None: fresh

    def __post_init__(self):
        check_choice("model", self.model, MODELS)
        check_int("seq_length", self.seq_length, minimum=2)
        check_choice("encoding", self.encoding, INPUT_DIMS)
        for name in ("hidden_dim", "batch_size", "max_steps", "eval_every", "patience", "validation_size",
                     "test_size"):
            check_int(name, getattr(self, name))
        check_positive("learning_rate", self.learning_rate)
        check_positive("max_norm", self.max_norm)
        check_fraction("rmsprop_alpha", self.rmsprop_alpha)
        check_fraction("target_accuracy", self.target_accuracy)
        check_int("seed", self.seed, minimum=0)
        if self.init_from is not None and (not isinstance(self.init_from, str) or not self.init_from.strip()):
            raise ValueError(f"init_from must be a run's folder name or None; got {self.init_from!r}")

    @property
    def name(self) -> str:
        return f"{self.model}_T{self.seq_length}_seed{self.seed}"

    def model_args(self) -> dict:
        return dict(seq_length=self.seq_length, input_dim=INPUT_DIMS[self.encoding], hidden_dim=self.hidden_dim,
                    output_dim=NUM_CLASSES, fused=self.fused)


@dataclass
class TrainState:
    """What a checkpoint holds besides the weights: the step, the validation curve, the early-stop streak."""

    step: int = 0
    curves: list = field(default_factory=list)  # one point per evaluation: loss, train and validation accuracy
    streak: int = 0  # evaluations in a row at target_accuracy on the validation set
    steps_to_99: int | None = None  # the first evaluation at 99% validation accuracy
    wall_seconds: float = 0.0


# ---------------------------------------------------------------- a run's folder

def runs_folder(out_dir: str | Path) -> Path:
    return project_path(out_dir) / "runs"


def folder_of(config: RecurrentConfig, out_dir: str | Path) -> Path:
    return run_dir(runs_folder(out_dir), config.name, config)


def checkpoint_path(out_dir: str | Path, record: dict) -> Path:
    """The checkpoint of the run that ``record`` (its result) describes."""
    return runs_folder(out_dir) / record["run_dir"] / CHECKPOINT


def load_checkpoint(path: str | Path, device: str = "auto") -> Recurrent:
    """A trained model in eval mode from a checkpoint written here."""
    device = resolve_device(device)
    state = load_torch(path, device)
    model = spec(state["model"]).build(**state["init_args"])
    model.load_state_dict(state["model_state"])
    return model.to(device).eval()


def load_model(out_dir: str | Path, record: dict, device: str = "auto") -> Recurrent:
    """The trained model of the run that ``record`` describes, in eval mode."""
    return load_checkpoint(checkpoint_path(out_dir, record), device)


def initial_model(config: RecurrentConfig, device: str = "auto") -> Recurrent:
    """The run's model before its first step: its seed's initial weights (or the run it starts from)."""
    torch.manual_seed(config.seed)
    return build_model(config.model, **config.model_args()).to(resolve_device(device))


# ---------------------------------------------------------------- training, step by step

class Session:
    """One session of training a run: the model, its optimiser, the data, and the state that a checkpoint
    keeps. ``start`` makes it (fresh, from a shorter run's weights, or resumed), ``step`` trains one batch,
    ``evaluate`` measures the validation set and writes the checkpoint."""

    def __init__(self, config: RecurrentConfig, folder: Path, device: torch.device):
        self.config, self.folder, self.device = config, folder, device
        self.model = initial_model(config, device)
        self.optimizer = torch.optim.RMSprop(self.model.parameters(), lr=config.learning_rate,
                                             alpha=config.rmsprop_alpha)
        self.state = TrainState()
        self.data = PalindromeDataset(config.seq_length, seed=config.seed)
        self.validation = self.data.validation_set(config.validation_size)
        self.window = torch.zeros(2, device=device)  # summed loss and correct predictions since the last evaluation
        self.seen = 0
        self.clock = time.perf_counter()

    @classmethod
    def start(cls, config: RecurrentConfig, folder: Path, device: torch.device) -> "Session":
        session = cls(config, folder, device)
        if (folder / CHECKPOINT).exists():  # resume where an interrupted session stopped
            saved = load_torch(folder / CHECKPOINT, device)
            session.model.load_state_dict(saved["model_state"])
            session.optimizer.load_state_dict(saved["optimizer_state"])
            session.state = TrainState(**saved["train_state"])
        elif config.init_from:  # a curriculum: the weights that solved a shorter T (none depends on T), a fresh optimiser
            session.model.load_state_dict(load_torch(folder.parent / config.init_from / CHECKPOINT,
                                                     device)["model_state"])
        return session

    @property
    def done(self) -> bool:
        return self.state.step >= self.config.max_steps or self.state.streak >= self.config.patience

    def step(self) -> None:
        """One RMSProp step on the batch of this step, its gradient norm clipped first."""
        digits, targets = self.data.batch(self.config.batch_size, self.state.step)
        digits, targets = digits.to(self.device), targets.to(self.device)
        logits = self.model(encode(digits, self.model.input_dim))
        loss = loss_fn(logits, targets)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.max_norm)
        self.optimizer.step()
        self.state.step += 1
        self.window += torch.stack([loss.detach() * len(targets), (logits.argmax(1) == targets).sum()])  # no sync
        self.seen += len(targets)

    @property
    def evaluation_due(self) -> bool:
        return self.state.step % self.config.eval_every == 0 or self.state.step == self.config.max_steps

    def evaluate(self) -> None:
        """Measure the validation set, update the early-stop streak, write the checkpoint."""
        self.model.eval()
        validation_accuracy = accuracy(self.model, *self.validation)
        self.model.train()
        loss_sum, correct = self.window.tolist()
        self.state.curves.append(dict(step=self.state.step, loss=loss_sum / self.seen, train_accuracy=correct / self.seen,
                                      validation_accuracy=validation_accuracy))
        self.window.zero_()
        self.seen = 0
        if validation_accuracy >= LEARNED and self.state.steps_to_99 is None:
            self.state.steps_to_99 = self.state.step
        self.state.streak = self.state.streak + 1 if validation_accuracy >= self.config.target_accuracy else 0
        now = time.perf_counter()
        self.state.wall_seconds += now - self.clock
        self.clock = now
        save_torch(dict(model=self.config.model, init_args=self.model.init_args, model_state=self.model.state_dict(),
                        optimizer_state=self.optimizer.state_dict(), train_state=dataclasses.asdict(self.state)),
                   self.folder / CHECKPOINT)

    def result(self) -> dict:
        """The finished run's record: its configuration, how it ended, the test measures, the curves."""
        config, state = self.config, self.state
        start = load_json(self.folder.parent / config.init_from / RESULT) if config.init_from else None
        stopped = "learned" if state.streak >= config.patience else "budget"
        return dict(model=config.model, seq_length=config.seq_length, seed=config.seed, init=spec(config.model).init,
                    init_from_length=start["seq_length"] if start else None, lr=config.learning_rate,
                    encoding=config.encoding, hidden_dim=config.hidden_dim, max_steps=config.max_steps,
                    target_accuracy=config.target_accuracy, patience=config.patience, steps=state.step, stopped=stopped,
                    validation_accuracy=state.curves[-1]["validation_accuracy"], steps_to_99=state.steps_to_99,
                    **final_measures(self.model, config.test_size), wall_seconds=round(state.wall_seconds, 2),
                    run_dir=self.folder.name, code=CODE, curves=state.curves)


def train(config: RecurrentConfig, out_dir: str | Path, device: str = "auto", retrain_before: float | None = None,
          stop_after: int | None = None, on_evaluation=None) -> dict | None:
    """Train one configuration under ``out_dir/runs/`` (or reuse or resume it) and return its result record.

    ``retrain_before`` (seconds since the epoch) trains the run again unless it finished at or after that
    time: a notebook run with ``force`` passes its start, so a run it has retrained once is reused after.
    ``stop_after`` ends this session after that many steps, as a kill would, and returns None.
    ``on_evaluation(point)`` is called with each point of the validation curve as it is measured."""
    folder, device = folder_of(config, out_dir), resolve_device(device)
    clear_unless_finished_since(folder, RESULT, retrain_before)
    if (folder / RESULT).exists() and not (folder / CHECKPOINT).exists():
        shutil.rmtree(folder)  # a result without its model (the folder was cleaned under it): train it again
    finished = read_result(folder)
    if finished is not None:
        return reuse(finished, folder, config, device)
    if config.init_from and read_result(folder.parent / config.init_from) is None:
        raise FileNotFoundError(f"init_from: the run {config.init_from} has not finished in {folder.parent}; "
                                "train it first")
    save_json(identity(config), folder / "config.json")
    session = Session.start(config, folder, device)
    session_end = session.state.step + (stop_after or config.max_steps)
    with cpu_kernels.flushed_denormals():
        while not session.done:
            if session.state.step >= session_end:
                return None
            session.step()
            if session.evaluation_due:
                session.evaluate()
                if on_evaluation:
                    on_evaluation(session.state.curves[-1])
    result = session.result()
    save_json(result, folder / RESULT)
    return result


def reuse(result: dict, folder: Path, config: RecurrentConfig, device: torch.device) -> dict:
    """A finished run's result as its folder holds it, measured again from its checkpoint when the measuring
    code has changed since, and with a note when the training code has."""
    if code_changes(result.get("code"), CODE, "measure"):
        model = load_checkpoint(folder / CHECKPOINT, device)
        result = result | final_measures(model, config.test_size) | dict(code=dict(result.get("code") or {},
                                                                                  measure=CODE["measure"]))
        save_json(result, folder / RESULT)
    changed = code_changes(result.get("code"), CODE, "train")
    return result | (dict(note=stale_training_note(config.name, changed)) if changed else {})


# The code that trains a run and the code that measures it (lib.runs): this module, once it is defined.
CODE = fingerprints(train=(streams, palindrome, cpu_kernels, bptt, recurrent, sys.modules[__name__]),
                    measure=(recurrent_measure,))
