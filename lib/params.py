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
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from .gan_train import RUNGS, GANConfig
from .latent import MODES
from .palindrome import INPUT_DIMS
from .recurrent import FORGET_BIAS_INITS, MODELS
from .recurrent_train import RecurrentConfig, StepBudget
from .runs import check_choice, check_fraction, check_int, check_positive, project_path, resolve_device, run_name


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
    """01_lstm: the T = 5 check, the sweep over T, long memory, the learning-rate study, gradient flow."""

    FOLDER = "01_lstm"
    output_root: str = "outputs"
    device: str = "auto"
    force: bool = False  # retrain even when a finished run matches
    progress: bool = True
    workers: int = 2  # training runs side by side on the CPU, each single-threaded
    # 1. T = 5 with the course's default parameters
    check_encodings: list[str] = field(default_factory=lambda: ["scalar", "onehot"])
    # 2. the sweep over T
    models: list[str] = field(default_factory=lambda: ["rnn", "lstm"])
    seq_lengths: list[int] = field(default_factory=lambda: [5, 10, 20, 30, 40, 50])
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    encodings: list[str] = field(default_factory=lambda: ["onehot"])
    lstm_learning_rate: float = 3e-3
    rnn_learning_rate: float = 1e-3
    rmsprop_alpha: float = RecurrentConfig.rmsprop_alpha
    max_norm: float = RecurrentConfig.max_norm
    hidden_dim: int = RecurrentConfig.hidden_dim
    batch_size: int = RecurrentConfig.batch_size
    forget_bias_init: str = "chrono"
    eval_every: int = RecurrentConfig.eval_every
    steps_base: int = StepBudget.base  # a run of length T gets steps_base + steps_per_length * T steps ...
    steps_per_length: int = StepBudget.per_length
    rnn_steps_factor: float = StepBudget.rnn_factor  # ... times this for the RNN (>= 1)
    # 3. long memory: the LSTM at large T, by forget-gate initialisation
    long_seq_lengths: list[int] = field(default_factory=lambda: [100])
    long_inits: list[str] = field(default_factory=lambda: ["zero", "chrono"])
    long_seeds: list[int] = field(default_factory=lambda: [0])
    warm_seq_lengths: list[int] = field(default_factory=list)  # chrono LSTM started from the length before (curriculum)
    # 4. the learning rate against T (empty: skipped)
    lr_study_rates: list[float] = field(default_factory=lambda: [3e-4, 1e-3, 3e-3])
    lr_study_lengths: list[int] = field(default_factory=lambda: [10, 20])
    # 5. gradient flow in the trained models of the sweep at this T (seed 0)
    gradient_seq_length: int = 20

    def __post_init__(self):
        _check_common(self)
        check_int("workers", self.workers)
        for name, choices in (("check_encodings", INPUT_DIMS), ("encodings", INPUT_DIMS), ("models", MODELS),
                              ("long_inits", FORGET_BIAS_INITS)):
            for value in getattr(self, name):
                check_choice(f"each of {name}", value, choices)
        for name in ("seq_lengths", "long_seq_lengths", "warm_seq_lengths", "lr_study_lengths"):
            for T in getattr(self, name):
                check_int(f"each of {name}", T, minimum=2)
        for name in ("check_encodings", "models", "seq_lengths", "seeds", "encodings", "long_seq_lengths",
                     "long_inits", "long_seeds"):
            if not getattr(self, name):
                raise ParameterError(f"{name} must hold at least one value; got []")
        for name in ("seeds", "long_seeds"):
            for seed in getattr(self, name):
                check_int(f"each of {name}", seed, minimum=0)
        for rate in self.lr_study_rates:
            check_positive("each of lr_study_rates", rate)
        for name in ("lstm_learning_rate", "rnn_learning_rate"):
            check_positive(name, getattr(self, name))
        if bool(self.lr_study_rates) != bool(self.lr_study_lengths):
            raise ParameterError("lr_study_rates and lr_study_lengths must both be empty (no study) or both be given; "
                                 f"got {self.lr_study_rates} and {self.lr_study_lengths}")
        check_int("gradient_seq_length", self.gradient_seq_length, minimum=2)
        if self.warm_seq_lengths and ("chrono" not in self.long_inits
                                      or min(self.warm_seq_lengths) <= min(self.long_seq_lengths)):
            raise ParameterError("warm_seq_lengths need 'chrono' among long_inits, and each must exceed the shortest "
                                 f"of long_seq_lengths (its start); got {self.warm_seq_lengths} with long_inits "
                                 f"{self.long_inits} and long_seq_lengths {self.long_seq_lengths}")
        self.budget()  # checks the budget rule
        self.sweep_config(self.models[0], self.seq_lengths[0], self.seeds[0], self.encodings[0])  # and the rest

    def budget(self) -> StepBudget:
        return StepBudget(self.steps_base, self.steps_per_length, self.rnn_steps_factor)

    def record(self) -> dict:
        return super().record() | dict(step_budget=dataclasses.asdict(self.budget()))

    def check_configs(self) -> list[RecurrentConfig]:
        """The LSTM at T = 5 with the course's default parameters (RecurrentConfig's defaults), per encoding and seed."""
        return [RecurrentConfig(model="lstm", seq_length=5, encoding=encoding, seed=seed)
                for encoding in self.check_encodings for seed in self.seeds]

    def sweep_configs(self) -> list[RecurrentConfig]:
        return [self.sweep_config(model, T, seed, encoding) for encoding in self.encodings for model in self.models
                for T in self.seq_lengths for seed in self.seeds]

    def long_configs(self) -> list[RecurrentConfig]:
        """The LSTM at each long T under each forget-gate init, all on the same budget."""
        return [self.sweep_config("lstm", T, seed, self.encodings[0], forget_bias_init=init)
                for T in self.long_seq_lengths for init in self.long_inits for seed in self.long_seeds]

    def warm_configs(self) -> list[RecurrentConfig]:
        """The chrono LSTM at each of ``warm_seq_lengths``, started from the weights of the chrono run at the
        length before it among the long and warm lengths (the warm run there, if any): a curriculum (Bengio et
        al., 2009). In order: train each after the one it starts from."""
        lengths, configs = sorted(set(self.long_seq_lengths) | set(self.warm_seq_lengths)), []
        for seed in self.long_seeds:
            previous = None
            for T in lengths:
                chrono = self.sweep_config("lstm", T, seed, self.encodings[0], forget_bias_init="chrono")
                if T in self.warm_seq_lengths and previous is not None:
                    chrono = replace(chrono, init_from=run_name(previous.name, previous))
                    configs.append(chrono)
                previous = chrono
        return configs

    def lr_study_configs(self) -> list[RecurrentConfig]:
        return [self.sweep_config(model, T, seed, self.encodings[0], learning_rate=rate) for model in self.models
                for T in self.lr_study_lengths for rate in self.lr_study_rates for seed in self.seeds]

    def gradient_configs(self) -> list[RecurrentConfig]:
        """The first seed's sweep run of each model at ``gradient_seq_length`` (reused when the sweep has it)."""
        return [self.sweep_config(model, self.gradient_seq_length, self.seeds[0], self.encodings[0])
                for model in self.models]

    def sweep_config(self, model: str, T: int, seed: int, encoding: str, **changes) -> RecurrentConfig:
        """The configuration of one sweep run; ``changes`` override (e.g. the forget-gate init)."""
        rate = self.lstm_learning_rate if model == "lstm" else self.rnn_learning_rate
        settings = dict(model=model, seq_length=T, seed=seed, encoding=encoding, learning_rate=rate,
                        rmsprop_alpha=self.rmsprop_alpha, max_norm=self.max_norm, hidden_dim=self.hidden_dim,
                        batch_size=self.batch_size, forget_bias_init=self.forget_bias_init,
                        eval_every=self.eval_every) | changes
        return RecurrentConfig(max_steps=self.budget().steps(settings["model"], settings["seq_length"]), **settings)


@dataclass(frozen=True)
class GANTrainParams(Params, GANConfig):
    """02_gan_train: GANConfig's fields (the run), and what the notebook does with it."""

    FOLDER = "02_gan_train"
    output_root: str = "outputs"
    device: str = "auto"
    force: bool = False
    progress: bool = True
    ablation: list[str] = field(default_factory=list)  # rungs of the ladder to train beside the run (see gan_train)
    ablation_steps: int | None = None  # every rung's step budget; None: the run's steps

    def __post_init__(self):
        _check_common(self)
        GANConfig.__post_init__(self)
        for rung in self.ablation:
            check_choice("each of ablation", rung, RUNGS)
        if self.ablation_steps is not None:
            check_int("ablation_steps", self.ablation_steps, minimum=self.eval_every)

    def config(self) -> GANConfig:
        return GANConfig(**{f.name: getattr(self, f.name) for f in dataclasses.fields(GANConfig)})

    def ladder_config(self) -> GANConfig:
        """The run's recipe on the ladder's step budget: the rungs are built on it (gan_train.rung_config)."""
        return replace(self.config(), steps=self.ablation_steps or self.steps)


@dataclass(frozen=True)
class SamplesParams(Params):
    """03_gan_samples: the grids, the endpoints and the walk between them."""

    FOLDER = "03_gan_samples"
    output_root: str = "outputs"
    checkpoint_dir: str | None = None  # where 02 wrote metrics.json and its checkpoints; None: <output_root>/02_gan_train
    device: str = "auto"
    sample_seed: int = 0  # the 25 noise vectors of the grids
    endpoint_seed: int = 0  # the candidates from which the two endpoints are chosen
    start_class: int | None = None  # e.g. 1; None: the first confident digit
    end_class: int | None = None  # e.g. 7; None: the first confident digit of another class
    min_confidence: float = 0.95
    candidates: int = 1000
    interpolation_steps: int = 7  # images strictly between the endpoints
    modes: list[str] = field(default_factory=lambda: ["lerp", "slerp"])

    def __post_init__(self):
        _check_common(self)
        for name in ("sample_seed", "endpoint_seed"):
            check_int(name, getattr(self, name), minimum=0)
        for name in ("start_class", "end_class"):
            if getattr(self, name) is not None:
                check_choice(name, getattr(self, name), range(10))
        if self.start_class is not None and self.start_class == self.end_class:
            raise ParameterError(f"start_class and end_class must differ; both are {self.start_class}")
        check_fraction("min_confidence", self.min_confidence)
        check_int("candidates", self.candidates, minimum=2)
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
