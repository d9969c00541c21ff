"""Part I's experiment: the groups of runs notebook 01 trains, the choices made on the validation set, and
the owner of 01's ``metrics.json``.

The groups, in the order the notebook trains them:

1. ``check``: the LSTM at T = 5 with the course's defaults (``RecurrentConfig``'s), per input encoding;
2. ``lr_study``: every model at each study rate and length from seeds of its own (``study_seeds``), and one
   rate past the grid's edge for a model whose best rate lies on it (``widen_study``); each model's rate is
   chosen here, by the mean final *validation* accuracy (``choose_rates``), and used by every later group;
3. ``sweep``: every model at every T from every seed, on one step budget for every T;
4. ``long``: the chosen long-memory models at long T (and, for warm lengths, a curriculum from the length
   before); ``budget``: models of the sweep again at some of its lengths on a longer budget and with more
   units, which tells a model that cannot remember from one that had too few steps or too few parameters;
5. ``gradient``: the sweep's runs of each model at one T, of which the gradient flow profiles one per model.
"""
from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from statistics import mean

import torch

from . import cpu_kernels
from .devices import torch_threads
from .engine import Unit, announce, run_units, worker_count
from .files import load_json, project_path, save_json
from .progress import say
from .recurrent import MODELS
from .recurrent_train import (LEARNED, RecurrentConfig, Session, folder_of, initial_model, learned, load_model,
                              read_result, train)
from .runs import run_name

EARLY_STOP = "if every run used its whole budget; runs that learn stop early"

METRICS = "metrics.json"
COMPARED = ("rnn", "lstm")  # the architectures of the equations, both with their plain initialisation


class Design:
    """The configurations of every group, from notebook 01's parameters (``lib.params.LSTMParams``).
    ``rates`` is {model: learning rate}, what ``choose_rates`` chose; the groups after the study take it."""

    def __init__(self, p):
        self.p = p

    def run(self, model: str, T: int, seed: int, rate: float, encoding: str | None = None,
            max_steps: int | None = None, hidden_dim: int | None = None) -> RecurrentConfig:
        p = self.p
        return RecurrentConfig(model=model, seq_length=T, seed=seed, encoding=encoding or p.encodings[0],
                               learning_rate=rate, max_steps=max_steps or p.max_steps, rmsprop_alpha=p.rmsprop_alpha,
                               max_norm=p.max_norm, hidden_dim=hidden_dim or p.hidden_dim, batch_size=p.batch_size,
                               eval_every=p.eval_every)

    def check(self) -> list[RecurrentConfig]:
        """The LSTM of the plain equations at T = 5 with the course's defaults, per encoding and seed."""
        return [RecurrentConfig(model="lstm", seq_length=5, encoding=encoding, seed=seed)
                for encoding in self.p.check_encodings for seed in self.p.seeds]

    def lr_study(self) -> list[RecurrentConfig]:
        p = self.p
        return [self.run(model, T, seed, rate) for model in p.models for T in p.study_lengths
                for rate in p.study_rates for seed in p.study_seeds]

    def past_edges(self, study: list[dict]) -> list[RecurrentConfig]:
        """For every model whose choice (``choose_rates``) lies on the lowest or highest rate it was studied at,
        the study's runs at one rate past that edge, a step of the grid's own ratio there rounded to one
        significant figure (0.003, 0.01 -> 0.03): the grid grows where the best rate may lie outside it."""
        configs = []
        for model, choice in choose_rates(study, self.p.models).items():
            tried = sorted({r["lr"] for r in study if r["model"] == model})
            if len(tried) < 2 or choice["rate"] not in (tried[0], tried[-1]):
                continue
            edge, inner = (tried[0], tried[1]) if choice["rate"] == tried[0] else (tried[-1], tried[-2])
            rate = float(f"{edge * edge / inner:.0e}")
            configs += [self.run(model, T, seed, rate) for T in self.p.study_lengths for seed in self.p.study_seeds]
        return configs

    def sweep(self, rates: dict[str, float]) -> list[RecurrentConfig]:
        """Every model at every T from every seed; the vanilla RNN and the zero-bias LSTM also from
        ``extra_seeds`` at ``extra_seed_lengths``, where their comparison needs more than a few seeds."""
        p = self.p
        return [self.run(model, T, seed, rates[model], encoding) for encoding in p.encodings for model in p.models
                for T in p.seq_lengths for seed in self.seeds_at(model, T)]

    def seeds_at(self, model: str, T: int) -> list[int]:
        """The sweep's seeds of ``model`` at ``T``: ``seeds``, and ``extra_seeds`` where they apply."""
        p = self.p
        return p.seeds + (p.extra_seeds if model in COMPARED and T in p.extra_seed_lengths else [])

    def long(self, rates: dict[str, float]) -> list[RecurrentConfig]:
        """Each long-memory model at each long T, all on the long-memory budget."""
        p = self.p
        return [self.run(model, T, seed, rates[model], max_steps=p.long_max_steps) for T in p.long_seq_lengths
                for model in p.long_models for seed in p.long_seeds]

    def budget(self, rates: dict[str, float]) -> list[RecurrentConfig]:
        """Each of ``budget_models`` at each of ``budget_seq_lengths`` from every seed, once on
        ``budget_max_steps`` and once (when set) with ``budget_hidden_dim`` units on the sweep's budget: more
        steps, and as many parameters as a larger model has."""
        p = self.p
        return [self.run(model, T, seed, rates[model], **change) for model in p.budget_models
                for T in p.budget_seq_lengths
                for change in [dict(max_steps=p.budget_max_steps)]
                + ([dict(hidden_dim=p.budget_hidden_dim)] if p.budget_hidden_dim else []) for seed in p.seeds]

    def warm(self, rates: dict[str, float]) -> list[list[RecurrentConfig]]:
        """The chrono LSTM at each of ``warm_seq_lengths``, started from the weights of the chrono run at the
        length before it among the long and warm lengths: a curriculum (Bengio et al. 2009). One list per
        length, each to be trained after the one before, since it starts from it."""
        p = self.p
        lengths, waves = sorted(set(p.long_seq_lengths) | set(p.warm_seq_lengths)), []
        previous = {seed: None for seed in p.long_seeds}
        for T in lengths:
            wave = []
            for seed in p.long_seeds:
                config = self.run("lstm-chrono", T, seed, rates["lstm-chrono"], max_steps=p.long_max_steps)
                if T in p.warm_seq_lengths and previous[seed] is not None:
                    config = warm_start(config, previous[seed])
                    wave.append(config)
                previous[seed] = config
            if wave:
                waves.append(wave)
        return waves

    def gradient(self, rates: dict[str, float]) -> list[RecurrentConfig]:
        """Every seed's sweep run of each model at ``gradient_seq_length`` (the sweep's runs when it has that T),
        from which ``profiled`` picks one per model."""
        T = self.p.gradient_seq_length
        return [self.run(model, T, seed, rates[model]) for model in self.p.models for seed in self.seeds_at(model, T)]


def profiled(configs: list[RecurrentConfig], results: list[dict]) -> list[tuple[RecurrentConfig, dict]]:
    """One (configuration, result) per model for the gradient profiles: its first seed that learned, else its
    first seed. Profiling a run that learned beside one that failed would compare what training found, not the
    models; where no seed learned, the first seed's run shows what training did instead."""
    chosen = {}
    for config, result in zip(configs, results):
        best = chosen.get(config.model)
        if best is None or (learned(result) and not learned(best[1])):
            chosen[config.model] = (config, result)
    return list(chosen.values())


def failing(configs: list[RecurrentConfig], results: list[dict]) -> list[tuple[RecurrentConfig, dict]]:
    """One (configuration, result) per model that has seeds both learn and fail at the profiled T: its first seed
    that did not learn, profiled beside the one that did (``profiled``) to show how failing differs in one model."""
    some_learned = {c.model for c, r in zip(configs, results) if learned(r)}
    chosen = {}
    for config, result in zip(configs, results):
        if config.model in some_learned and not learned(result):
            chosen.setdefault(config.model, (config, result))
    return list(chosen.values())


def seed_shares(configs: list[RecurrentConfig], results: list[dict], out_dir: str | Path,
                device: str = "auto") -> list[dict]:
    """For every run of ``configs`` (finished, with ``results``), the share of the last step's gradient that
    reaches t = 1 (``recurrent_measure.first_step_share``) with its initial weights and after training: whether
    the one run per model that the gradient profiles show is typical of its seeds."""
    from .recurrent_measure import first_step_share

    return [dict(model=c.model, seed=c.seed, learned=learned(r), initial=first_step_share(initial_model(c, device)),
                 trained=first_step_share(load_model(out_dir, r, device))) for c, r in zip(configs, results)]


TIE = 0.005  # mean validation accuracies less than this apart count as a tie


def learned_at_once(records: list[dict]) -> list[int]:
    """The lengths T at which every run reached 99% validation accuracy at the first evaluation any run of
    ``records`` reached it at: lengths whose learning curves show nothing but a start and a stop."""
    first = min((r["steps_to_99"] for r in records if r["steps_to_99"]), default=None)
    lengths = {r["seq_length"] for r in records}
    return sorted(T for T in lengths if first and all(r["steps_to_99"] == first for r in records
                                                       if r["seq_length"] == T))


def curve_lengths(records: list[dict]) -> list[int]:
    """The lengths T whose learning curves are worth a column (``lib.plots.learning_curves``): all but those of
    ``learned_at_once``, unless that leaves none."""
    lengths = sorted({r["seq_length"] for r in records})
    return [T for T in lengths if T not in learned_at_once(records)] or lengths


def rate_means(study: list[dict], model: str) -> dict[float, tuple[float, float]]:
    """Per rate the study tried for ``model``: (mean final validation accuracy, mean steps to the target
    validation accuracy, a run that never got there counting its whole budget)."""
    by_rate = {}
    for r in study:
        if r["model"] == model:
            by_rate.setdefault(r["lr"], []).append(r)
    return {rate: (mean(r["validation_accuracy"] for r in runs), mean(r["steps_to_99"] or r["max_steps"] for r in runs))
            for rate, runs in sorted(by_rate.items())}


def tied_rates(means: dict[float, tuple[float, float]]) -> list[float]:
    """The rates of ``rate_means`` whose mean validation accuracy lies less than TIE below the best: the tie that
    ``choose_rates`` breaks."""
    best = max(accuracy for accuracy, _ in means.values())
    return [rate for rate, (accuracy, _) in means.items() if accuracy > best - TIE]


def choose_rates(study: list[dict], models: list[str]) -> dict[str, dict]:
    """Per model, the study rate with the highest mean final validation accuracy (over seeds and lengths). Rates
    within TIE of the best tie, and a tie goes to the rate whose runs first reached the target validation
    accuracy in the fewest steps on average: on one fixed budget, the rate that learns sooner leaves the most
    margin at other lengths and seeds. Then the smaller rate. A model the study did not train keeps its
    registered rate (``MODELS``). Returns {model: {"rate", "chosen_by"}}."""
    chosen = {}
    for model in models:
        means = rate_means(study, model)
        if not means:
            chosen[model] = dict(rate=MODELS[model].learning_rate, chosen_by="default")
            continue
        chosen[model] = dict(rate=min(tied_rates(means), key=lambda rate: (means[rate][1], rate)), chosen_by="validation")
    return chosen


# ---------------------------------------------------------------- running groups of runs

def widen_study(design: Design, study: list[dict], **run) -> list[dict]:
    """``study`` with the runs of ``Design.past_edges`` trained and added, up to ``study_widen`` times (each
    time from the choice the runs so far give)."""
    for _ in range(design.p.study_widen):
        configs = design.past_edges(study)
        if not configs:
            break
        study = study + train_runs(configs, label="learning-rate study, past the grid's edge", **run)
    return study


def _train_unit(job: tuple) -> dict:
    config, out_dir, device, retrain_before = job
    return train(config, out_dir, device=device, retrain_before=retrain_before)


def time_per_step(config: RecurrentConfig, steps: int = 3) -> float:
    """Seconds per training step of ``config`` on one thread, timed on a few steps after one warm-up."""
    session = Session(config, Path("unused"), torch.device("cpu"))
    with torch_threads(1), cpu_kernels.flushed_denormals():
        session.step()
        start = time.perf_counter()
        for _ in range(steps):
            session.step()
    return (time.perf_counter() - start) / steps


def estimate(configs: list[RecurrentConfig], out_dir: str | Path) -> dict:
    """Seconds each unfinished run of ``configs`` takes at most (its whole budget), from a few timed steps of
    each distinct shape (once per process); finished runs cost nothing. Returns {config: seconds}."""
    costs = {}
    for config in configs:
        if read_result(folder_of(config, out_dir)) is not None:
            costs[config] = 0.0
            continue
        shape = (config.model, config.seq_length, config.encoding, config.hidden_dim, config.batch_size, config.fused)
        if shape not in _PER_STEP:
            _PER_STEP[shape] = time_per_step(replace(config, init_from=None))
        costs[config] = _PER_STEP[shape] * config.max_steps * 1.1  # evaluations and checkpoints: about a tenth more
    return costs


_PER_STEP: dict = {}  # seconds per step by shape, timed once per process: the plan and each group reuse them


def announce_plan(design: Design, out_dir: str | Path, workers: int | None = None) -> None:
    """Before any work: how many distinct runs the notebook will train, and at most how long they take. The
    rates are those the last run in ``out_dir`` chose where it left its metrics, else each model's registered
    rate; the study may choose others (and widen its grid), so on a first run the count is an estimate."""
    rates = {model: spec.learning_rate for model, spec in MODELS.items()}
    try:
        rates |= {model: chosen["rate"] for model, chosen in read_metrics(out_dir).get("chosen_rates", {}).items()}
    except (FileNotFoundError, ValueError):
        pass
    groups = [design.check(), design.lr_study(), design.sweep(rates), design.long(rates), design.budget(rates),
              *design.warm(rates), design.gradient(rates)]
    configs = list(dict.fromkeys(config for group in groups for config in group))
    costs = estimate(configs, out_dir)
    announce(f"Part I ({len(configs)} distinct runs in all)", costs, worker_count(workers), EARLY_STOP)


def train_runs(configs: list[RecurrentConfig], out_dir: str | Path, label: str, device: str = "auto",
               retrain_before: float | None = None, workers: int | None = None, scheduler: str | None = None,
               bar: bool = False) -> list[dict]:
    """Train every configuration (each a unit of ``lib.engine``) and return their results in order, after
    printing what will run and about how long it takes, and, once, which reused runs older code trained."""
    cpu_kernels.kernels()  # built (or found missing) once, before any worker starts
    workers = worker_count(workers)
    costs = estimate(configs, out_dir)
    announce(label, costs, workers, EARLY_STOP)
    units = [Unit(config.name, _train_unit, (config, project_path(out_dir), device, retrain_before),
                  cost=costs[config]) for config in configs]
    results = run_units(units, workers=workers, scheduler=scheduler, label=label, bar=bar)
    notes = [r.pop("note") for r in results if "note" in r]
    if notes:
        say(f"{label}: {len(notes)} reused runs were trained by earlier code, e.g. {notes[0]}")
    return results


def train_groups(groups: dict[str, list[RecurrentConfig]], out_dir: str | Path, **run) -> dict[str, list[dict]]:
    """``train_runs`` for several groups at once, so that their runs share the workers (the long runs of one
    group overlap the short runs of another); the results by group, each in its configurations' order."""
    labels = " and ".join(groups)
    results = iter(train_runs([c for configs in groups.values() for c in configs], out_dir, labels, **run))
    return {name: [next(results) for _ in configs] for name, configs in groups.items()}


# ---------------------------------------------------------------- 01's metrics.json

def save_metrics(out_dir: str | Path, groups: dict[str, list[dict]], **extra) -> dict:
    """Write 01's ``metrics.json``: one record per distinct run, without its curves but with the lowest point of
    its validation curve after it first reached 99% (``lowest_after_99``, None if it never did) and its first
    point (``first_point``: the mean training loss up to the first evaluation, and that step), tagged with every
    group (part of the experiment) that lists it, and the ``extra`` entries as they are."""
    records = {}
    for group, results in groups.items():
        for result in results:
            after = [p for p in result["curves"] if result["steps_to_99"] and p["step"] > result["steps_to_99"]]
            lowest = min(after, key=lambda p: p["validation_accuracy"]) if after else None
            record = records.setdefault(result["run_dir"], {k: v for k, v in result.items() if k != "curves"}
                                        | dict(lowest_after_99=lowest, groups=[],
                                               first_point=result["curves"][0] if result["curves"] else None))
            if group not in record["groups"]:
                record["groups"].append(group)
    metrics = dict(runs=list(records.values()), learned_accuracy=LEARNED, **extra)
    save_json(metrics, project_path(out_dir) / METRICS)
    return metrics


def read_metrics(out_dir: str | Path) -> dict:
    """01's ``metrics.json`` in ``out_dir``; FileNotFoundError naming what to run when it is not there."""
    path = project_path(out_dir) / METRICS
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run `make all` (or notebooks/01_lstm.ipynb) first.")
    return load_json(path)


def warm_start(config: RecurrentConfig, previous: RecurrentConfig) -> RecurrentConfig:
    """``config`` started from the weights of the finished run ``previous`` (a curriculum)."""
    return replace(config, init_from=run_name(previous.name, previous))
