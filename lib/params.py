"""Each notebook's parameters, declared once, typed, and checked before any work.

A notebook's parameters are the fields of one dataclass here: name, type and default.
Ranges and allowed values are checked by the dataclass itself (``__post_init__``).
The notebook's parameters cell repeats the defaults so that JupyterLab shows them
(a test keeps the two equal), papermill overrides them, and the notebook's first
code cell calls ``<Params>.from_namespace(globals())``, which checks every value
before anything is trained, deleted or written.

papermill's ``-p name value`` passes numbers and True/False/None as Python values and
everything else as text: ``-p force false`` arrives as the text 'false', and
``-p seq_lengths '[3]'`` as the text '[3]'. YAML has its own trap: PyYAML reads
``1e-3`` as text (it wants ``1.0e-3``). Text never passes for a boolean, a number
or a list here, and the error says how to pass the value instead (``-y`` takes YAML).
"""
from __future__ import annotations

import ast
import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .ablation import RUNGS
from .checks import check_choice, check_fraction, check_int, check_positive
from .devices import resolve_device
from .files import project_path
from .gan_train import GANConfig
from .latent import MODES
from .palindrome import INPUT_DIMS
from .pipeline import NOTEBOOKS as PIPELINE
from .recurrent import MODELS
from .recurrent_train import RecurrentConfig
from .sweeps import Design


class ParameterError(ValueError):
    """A notebook parameter of the wrong type or out of range."""


# ---------------------------------------------------------------- type checks

def _describe(value) -> str:
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, bool) or value is None:
        return repr(value)
    return f"{type(value).__name__} {value!r}"


def _expected(annotation) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_expected(a) if a is not type(None) else "None" for a in args)
    if origin in (list, tuple):
        return f"a list of {_expected(args[0]).removeprefix('a ').removeprefix('an ')}s"
    return {bool: "a boolean (True or False)", int: "an integer", float: "a number", str: "a text"}[annotation]


def _matches(value, annotation) -> bool:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, a) for a in args)
    if annotation is type(None):
        return value is None
    if origin in (list, tuple):
        return isinstance(value, (list, tuple)) and all(_matches(v, args[0]) for v in value)
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, annotation)


def check_type(name: str, value, annotation) -> None:
    """ParameterError unless ``value`` is of type ``annotation`` (bool, int, float, str, list[...], X | None)."""
    if _matches(value, annotation):
        return
    message = f"{name} must be {_expected(annotation)}; got {_describe(value)}."
    if isinstance(value, str):
        parsed = _parse(value)
        example = yaml.safe_dump({name: parsed if _matches(parsed, annotation) else _example(annotation)},
                                 default_flow_style=True).strip()
        message += (f" papermill's -p passes text for anything but numbers and True/False/None: "
                    f"use -y '{example}' or a params file.")
    raise ParameterError(message)


def _parse(text: str):
    """What ``text`` means as a Python literal, else as YAML, else None."""
    try:
        return ast.literal_eval(text)
    except Exception:  # noqa: BLE001 - anything that is not a literal (ValueError, TypeError, RecursionError, ...)
        try:
            return yaml.safe_load(text)
        except Exception:  # noqa: BLE001
            return None


def _as_declared(value, annotation):
    """An integer given for a float as a float (1 -> 1.0, also inside lists): a run's configuration is its
    identity, and 0 and 0.0 must name the same run."""
    if annotation is float and isinstance(value, int):
        return float(value)
    if typing.get_origin(annotation) in (list, tuple) and typing.get_args(annotation)[0] is float:
        return [float(v) for v in value]
    return value


def _example(annotation):
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return _example(next(a for a in args if a is not type(None)))
    if origin in (list, tuple):
        return [_example(args[0])]
    return {bool: False, int: 1, float: 0.5, str: "text"}[annotation]


class Params:
    """Mixed into each notebook's parameter dataclass: construction from a namespace, with checks,
    and the notebook's output folder (``<output_root>/<FOLDER>``)."""

    FOLDER = ""

    @property
    def out_dir(self) -> Path:
        return project_path(self.output_root) / self.FOLDER

    def record(self) -> dict:
        """The parameters as written into the notebook's metrics."""
        return dataclasses.asdict(self)

    @classmethod
    def from_namespace(cls, namespace: dict):
        """The parameters found in ``namespace`` (a notebook's ``globals()``), every one type-checked
        before the dataclass checks ranges; ParameterError names the first bad one."""
        hints = typing.get_type_hints(cls)
        values = {f.name: namespace[f.name] for f in dataclasses.fields(cls) if f.name in namespace}
        for name, value in values.items():
            check_type(name, value, hints[name])
            values[name] = _as_declared(value, hints[name])
        try:
            return cls(**values)
        except ParameterError:
            raise
        except (ValueError, TypeError) as error:
            raise ParameterError(str(error)) from None

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def defaults(cls) -> dict:
        return {f.name: f.default if f.default is not dataclasses.MISSING else f.default_factory()
                for f in dataclasses.fields(cls)}


def _check_common(params) -> None:
    if hasattr(params, "device"):
        resolve_device(params.device)
    if not params.output_root.strip():
        raise ParameterError("output_root must be a folder name; got an empty text")


# ---------------------------------------------------------------- the four notebooks

@dataclass(frozen=True)
class LSTMParams(Params):
    """01_lstm: the T = 5 check, the learning-rate study, the sweep over T, long memory, gradient flow."""

    FOLDER = "01_lstm"
    output_root: str = "outputs"
    device: str = "auto"
    force: bool = False  # retrain even when a finished run matches
    progress: bool = True
    workers: int | None = None  # training runs side by side, one thread each; None: one per usable core
    scheduler: str | None = None  # a Dask scheduler's address, e.g. 'tcp://10.0.0.5:8786'; None: this machine
    # 1. T = 5 with the course's default parameters
    check_encodings: list[str] = field(default_factory=lambda: ["scalar", "onehot"])
    # 2. the learning-rate study: each model's rate is chosen here, on the validation set
    models: list[str] = field(default_factory=lambda: ["rnn", "lstm", "lstm-chrono"])
    study_rates: list[float] = field(default_factory=lambda: [1e-3, 3e-3, 1e-2])
    study_lengths: list[int] = field(default_factory=lambda: [20])
    study_widen: int = 3  # times the grid grows one rate past an edge that a model's choice lies on; 0: never
    # seeds of the study's own: no run whose test accuracy is reported took part in choosing a rate
    study_seeds: list[int] = field(default_factory=lambda: [10, 11, 12])
    # 3. the sweep over T, on one budget at every T
    seq_lengths: list[int] = field(default_factory=lambda: [5, 10, 20, 30, 50])
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    encodings: list[str] = field(default_factory=lambda: ["onehot"])
    max_steps: int = 800  # every run at every T may take this many steps; a run stops once it has learned
    rmsprop_alpha: float = RecurrentConfig.rmsprop_alpha
    max_norm: float = RecurrentConfig.max_norm
    hidden_dim: int = RecurrentConfig.hidden_dim
    batch_size: int = RecurrentConfig.batch_size
    eval_every: int = RecurrentConfig.eval_every
    # 5. long memory
    long_models: list[str] = field(default_factory=lambda: ["lstm-chrono", "lstm", "rnn"])
    long_seq_lengths: list[int] = field(default_factory=lambda: [100])
    long_seeds: list[int] = field(default_factory=lambda: [0])
    long_max_steps: int = 800  # the sweep's budget: one budget at every T
    warm_seq_lengths: list[int] = field(default_factory=list)  # chrono LSTM started from the length before
    # 3b. a longer budget: whether more steps rescue a model that fails at these lengths on max_steps
    budget_models: list[str] = field(default_factory=lambda: ["rnn"])
    budget_seq_lengths: list[int] = field(default_factory=lambda: [20])
    budget_max_steps: int = 3200
    budget_hidden_dim: int | None = 256  # and with this many units on max_steps (the LSTMs' parameter count); None: not
    # 3c. more seeds where three leave the plain equations' LSTM and the vanilla RNN hard to tell apart
    extra_seeds: list[int] = field(default_factory=lambda: [3, 4, 5])
    extra_seed_lengths: list[int] = field(default_factory=lambda: [20, 30, 50])  # those that seq_lengths has
    # 6. gradient flow at initialisation and after training, in each model's first seed that learned at this T
    gradient_seq_length: int = 20

    def __post_init__(self):
        _check_common(self)
        if self.workers is not None:
            check_int("workers", self.workers)
        if self.scheduler is not None and "://" not in self.scheduler:
            raise ParameterError(f"scheduler must be a Dask scheduler's address such as 'tcp://host:8786', or None; "
                                 f"got {self.scheduler!r}")
        for name, choices in (("check_encodings", INPUT_DIMS), ("encodings", INPUT_DIMS), ("models", MODELS),
                              ("long_models", MODELS), ("budget_models", MODELS)):
            for value in getattr(self, name):
                check_choice(f"each of {name}", value, choices)
        for name in ("seq_lengths", "long_seq_lengths", "warm_seq_lengths", "study_lengths", "budget_seq_lengths"):
            for T in getattr(self, name):
                check_int(f"each of {name}", T, minimum=2)
        for name in ("check_encodings", "models", "seq_lengths", "seeds", "encodings", "long_seq_lengths",
                     "long_models", "long_seeds"):
            if not getattr(self, name):
                raise ParameterError(f"{name} must hold at least one value; got []")
        for name in ("seeds", "long_seeds", "extra_seeds", "study_seeds"):
            for seed in getattr(self, name):
                check_int(f"each of {name}", seed, minimum=0)
        if set(self.extra_seeds) & set(self.seeds):
            raise ParameterError(f"extra_seeds must differ from seeds, which every run already has; got "
                                 f"{self.extra_seeds} with seeds {self.seeds}")
        if set(self.study_seeds) & set(self.seeds + self.extra_seeds):
            raise ParameterError(f"study_seeds must differ from seeds and extra_seeds, so that no reported test "
                                 f"accuracy comes from a run that chose a rate; got {self.study_seeds} with seeds "
                                 f"{self.seeds} and extra_seeds {self.extra_seeds}")
        for rate in self.study_rates:
            check_positive("each of study_rates", rate)
        if self.study_rates and not self.study_seeds:
            raise ParameterError("study_seeds must hold at least one value when study_rates are given; got []")
        if bool(self.study_rates) != bool(self.study_lengths):
            raise ParameterError("study_rates and study_lengths must both be empty (no study: each model's registered "
                                 f"rate) or both be given; got {self.study_rates} and {self.study_lengths}")
        check_int("gradient_seq_length", self.gradient_seq_length, minimum=2)
        check_int("study_widen", self.study_widen, minimum=0)
        check_int("budget_max_steps", self.budget_max_steps, minimum=self.max_steps + 1)
        if self.budget_hidden_dim is not None:
            check_int("budget_hidden_dim", self.budget_hidden_dim)
        if self.warm_seq_lengths and min(self.warm_seq_lengths) <= min(self.long_seq_lengths):
            raise ParameterError("each of warm_seq_lengths must exceed the shortest of long_seq_lengths (its start); "
                                 f"got {self.warm_seq_lengths} with long_seq_lengths {self.long_seq_lengths}")
        design, rates = Design(self), {model: spec.learning_rate for model, spec in MODELS.items()}
        design.check(), design.lr_study(), design.sweep(rates), design.long(rates), design.budget(rates)  # checked

    def design(self) -> Design:
        return Design(self)


@dataclass(frozen=True)
class GANTrainParams(Params, GANConfig):
    """02_gan_train: GANConfig's fields (the run), and what the notebook does with it."""

    FOLDER = "02_gan_train"
    output_root: str = "outputs"
    device: str = "auto"
    force: bool = False
    progress: bool = True
    workers: int | None = None  # ablation rungs side by side; None: one per usable core
    scheduler: str | None = None  # a Dask scheduler's address; None: this machine
    ablation: list[str] = field(default_factory=lambda: ["template", "template+ema", "template+betas", "template+rates",
                                                         "recipe"])  # lib.ablation.RUNGS
    ablation_steps: int | None = None  # each configuration's steps; None: half of the run's

    def __post_init__(self):
        _check_common(self)
        GANConfig.__post_init__(self)
        if self.workers is not None:
            check_int("workers", self.workers)
        for rung in self.ablation:
            check_choice("each of ablation", rung, RUNGS)
        if self.ablation_steps is not None:
            check_int("ablation_steps", self.ablation_steps, minimum=self.eval_every)

    def config(self) -> GANConfig:
        return GANConfig(**{f.name: getattr(self, f.name) for f in dataclasses.fields(GANConfig)})

    @property
    def ladder_steps(self) -> int:
        return self.ablation_steps or self.steps // 2


@dataclass(frozen=True)
class SamplesParams(Params):
    """03_gan_samples: the grids, the endpoints and the walks between them."""

    FOLDER = "03_gan_samples"
    output_root: str = "outputs"
    checkpoint_dir: str | None = None  # where 02 wrote metrics.json and its checkpoints; None: <output_root>/02_gan_train
    device: str = "auto"
    sample_seed: int = 0  # the 25 noise vectors of the grids, and the samples compared with the training digits
    neighbour_samples: int = 1000  # final samples whose nearest training digit is found: as many as the test digits
    endpoint_seed: int = 0  # the candidates from which the endpoints are chosen
    pairs: int = 3  # interpolation pairs, each between two digits of different classes
    start_class: int | None = None  # the first pair's start digit, e.g. 1; None: chosen by confidence
    end_class: int | None = None  # the first pair's end digit, e.g. 7; None: chosen by confidence
    min_confidence: float = 0.99  # the classifier's confidence an endpoint needs
    candidates: int = 2000
    interpolation_steps: int = 7  # images strictly between the endpoints
    modes: list[str] = field(default_factory=lambda: ["lerp", "slerp"])

    def __post_init__(self):
        _check_common(self)
        for name in ("sample_seed", "endpoint_seed"):
            check_int(name, getattr(self, name), minimum=0)
        check_int("pairs", self.pairs)
        if self.pairs > 5:
            raise ParameterError(f"pairs must be at most 5 (two distinct digits each, of ten); got {self.pairs}")
        for name in ("start_class", "end_class"):
            if getattr(self, name) is not None:
                check_choice(name, getattr(self, name), range(10))
        if self.start_class is not None and self.start_class == self.end_class:
            raise ParameterError(f"start_class and end_class must differ; both are {self.start_class}")
        check_fraction("min_confidence", self.min_confidence)
        check_int("candidates", self.candidates, minimum=2)
        check_int("neighbour_samples", self.neighbour_samples, minimum=10)  # room for every class
        check_int("interpolation_steps", self.interpolation_steps, minimum=0)
        if not self.modes:
            raise ParameterError("modes must hold at least one of 'lerp', 'slerp'; got []")
        for mode in self.modes:
            check_choice("each of modes", mode, MODES)

    @property
    def gan_dir(self) -> Path:
        """Where 02 wrote its results: ``checkpoint_dir``, or 02's folder under the same output root."""
        return project_path(self.checkpoint_dir or Path(self.output_root) / GANTrainParams.FOLDER)


@dataclass(frozen=True)
class ReportParams(Params):
    """04_report: reads what 01-03 wrote under output_root."""

    FOLDER = "04_report"
    output_root: str = "outputs"

    def __post_init__(self):
        _check_common(self)


NOTEBOOKS = {params.FOLDER: params for params in (LSTMParams, GANTrainParams, SamplesParams, ReportParams)}
assert list(NOTEBOOKS) == list(PIPELINE), "lib.pipeline lists the notebooks; each has its parameters here"
