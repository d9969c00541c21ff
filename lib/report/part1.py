"""Part I in tables and sentences, from 01's ``metrics.json`` (and the runs' results), for notebook 01, the
report and the README. Every sentence that states what this run found is chosen by the numbers: where the
data could say otherwise, the function checks, and says what they do say."""
from __future__ import annotations

import math
from collections import Counter
from statistics import fmean, median

import numpy as np
import pandas as pd

from ..palindrome import INPUT_DIMS, distinct_palindromes, share_seen_in_training
from ..progress import plural
from ..recurrent import MODELS, build_model
from ..recurrent_train import LEARNED, RecurrentConfig, learned
from ..sweeps import COMPARED, TIE, curve_lengths, rate_means, tied_rates
from .document import capitalised, count, listed, num, pct, pct_span, sci, shown, shown_sci, some_of, words

CHANCE = 0.1
ENCODING_WORDS = {"onehot": "one-hot", "scalar": "scalar"}  # the parameter's values as prose writes them

COLUMNS = {"model": "model", "seq_length": "T", "encoding": "input", "seed": "seed", "lr": "learning rate",
           "steps": "steps trained", "test_accuracy": "test accuracy", "validation_accuracy": "validation accuracy",
           "steps_to_99": "first step at 99% validation", "wall_seconds": "seconds", "init_from_length": "started from T"}


def label(model: str) -> str:
    return MODELS[model].label


def runs_of(metrics: dict, group: str) -> list[dict]:
    """The runs of one group of the experiment (``lib.sweeps``); a run may belong to several."""
    return [r for r in metrics["runs"] if group in r["groups"]]


def main_sweep(metrics: dict) -> list[dict]:
    """The sweep's runs of its first (main) encoding."""
    encoding = metrics["parameters"]["encodings"][0]
    return [r for r in runs_of(metrics, "sweep") if r["encoding"] == encoding]


def _cell(column: str, value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "never" if column == "steps_to_99" else "–"
    return {"model": label, "test_accuracy": pct, "validation_accuracy": pct, "lr": lambda v: f"{v:g}",
            "steps": count, "steps_to_99": count, "wall_seconds": lambda v: num(v, 1),
            "init_from_length": count}.get(column, lambda v: v)(value)


def runs_table(records: list[dict], columns: list[str]) -> pd.DataFrame:
    """Runs as a table, one row each, columns named in words; a run that never reached 99% says so."""
    columns = [c for c in columns if c != "init_from_length" or any(r.get(c) for r in records)]  # no warm start
    return pd.DataFrame([{COLUMNS[c]: _cell(c, r.get(c)) for c in columns} for r in records])


def _by_length(records: list[dict], model: str) -> dict[int, list[dict]]:
    by = {}
    for r in records:
        if r["model"] == model:
            by.setdefault(r["seq_length"], []).append(r)
    return dict(sorted(by.items()))


def _models(records: list[dict]) -> list[str]:
    present = {r["model"] for r in records}
    return [m for m in MODELS if m in present]


def sweep_table(records: list[dict], controls: list[dict] = ()) -> pd.DataFrame:
    """One row per model, one column per T: the mean test accuracy over seeds and, in brackets, how many of its
    seeds learned ('64.2% (2/6)'). ``controls`` (runs trained again with more steps or more units) follow their
    model's row, each row named by what it changes; those on the sweep's budget and size (the long-memory runs)
    join it. Where a control trained fewer seeds than the sweep, a row gives the sweep's runs from those seeds
    alone. '–' where a row has no runs at that T. Figure 1 shows each run and its steps to 99%."""
    lengths = sorted({r["seq_length"] for r in [*records, *controls]})
    rows = []
    for model in _models(records):
        base = next(r for r in records if r["model"] == model)
        own = [r for r in controls if r["model"] == model]
        alike = [r for r in own if (r["max_steps"], r["hidden_dim"]) == (base["max_steps"], base["hidden_dim"])]
        groups = [(label(model), [r for r in records if r["model"] == model] + alike)]  # the same budget: one row
        changed = sorted(_group([r for r in own if r not in alike], ("max_steps", "hidden_dim")).items())
        # Where a control trained fewer seeds than the sweep, the sweep's runs from those seeds: like for like.
        subsets = {(T, tuple(sorted(r["seed"] for r in runs_T)))
                   for _, runs in changed for T, runs_T in _by_length(runs, model).items()}
        for T, seeds in sorted(subsets):
            at_T = [r for r in groups[0][1] if r["seq_length"] == T]
            if len(seeds) < len(at_T):
                groups.append((f"{label(model)}, seeds {listed([str(s) for s in seeds])}",
                               [r for r in at_T if r["seed"] in seeds]))
        for (steps, dim), runs in changed:
            groups.append((f"{label(model)}, {dim} units" if dim != base["hidden_dim"] else
                           f"{label(model)}, {steps:,} steps", runs))
        for name, runs in groups:
            by = _by_length(runs, model)
            rows.append({"model": name} | {
                f"T = {T}": f"{pct(fmean(r['test_accuracy'] for r in by[T]))} ({sum(map(learned, by[T]))}/{len(by[T])})"
                if T in by else "–" for T in lengths})
    return pd.DataFrame(rows)


def lr_study_table(records: list[dict], chosen: dict | None = None) -> pd.DataFrame:
    """One row per rate, one column per model (and length, when the study has several): the mean final validation
    accuracy over seeds, how many seeds reached 99%, and, where any did, the mean steps to 99% that break a tie
    (``lib.sweeps.rate_means``: a run that never got there counts its budget): '100.0% (3/3), 250'. The chosen
    rate in bold, a rate not tried for the model '–'."""
    lengths = sorted({r["seq_length"] for r in records})
    columns = {}  # column name -> {rate: cell}
    for model in _models(records):
        for T in sorted({r["seq_length"] for r in records if r["model"] == model}):
            runs = [r for r in records if r["model"] == model and r["seq_length"] == T]
            cells = {}
            for rate, (accuracy, steps) in rate_means(runs, model).items():
                hits = sum(r["validation_accuracy"] >= LEARNED for r in runs if r["lr"] == rate)
                cell = f"{pct(accuracy)} ({hits}/{sum(r['lr'] == rate for r in runs)})" + (f", {steps:,.0f}" if hits else "")
                cells[rate] = f"**{cell}**" if chosen and chosen[model]["rate"] == rate else cell
            columns[label(model) + (f", T = {T}" if len(lengths) > 1 else "")] = cells
    return pd.DataFrame([{"rate": f"{rate:g}"} | {name: cells.get(rate, "–") for name, cells in columns.items()}
                         for rate in sorted({r["lr"] for r in records})])


def check_sentence(check: list[dict]) -> str:
    """The runs at T = 5 with the course's defaults: their test accuracy and, per input encoding, the steps at
    which they first reached 99% validation accuracy."""
    accs = [r["test_accuracy"] for r in check]
    encodings = _encodings(check)
    seeds = len({r["seed"] for r in check})
    reached = []
    for encoding in encodings:
        steps = [r["steps_to_99"] for r in check if r["encoding"] == encoding]
        hit = sorted(s for s in steps if s)
        when = ("never" if not hit else f"at step {hit[0]:,}" if hit[0] == hit[-1] else
                f"at steps {hit[0]:,} to {hit[-1]:,}") + ("" if len(hit) in (0, len(steps)) else
                                                          f" ({len(hit)} of {len(steps)} runs)")
        reached.append(f"{when} with {ENCODING_WORDS[encoding]} input")
    return (f"{'All' if len(check) > 2 else 'Both'} {len(check)} runs of the {label(check[0]['model'])} "
            f"({plural(seeds, 'seed')} for each of "
            f"{listed([ENCODING_WORDS[e] for e in encodings])} input) ended at {pct_span(accs, alike='{}')} test accuracy, and first reached 99% "
            f"validation accuracy {listed(reached)}.")


def _encodings(check: list[dict]) -> list[str]:
    """The input encodings of the check's runs, the course's scalar input first."""
    return sorted({r["encoding"] for r in check}, reverse=True)


def check_table(check: list[dict]) -> pd.DataFrame:
    """The runs at T = 5 with the course's defaults, one row per input encoding (the course's scalar first): each
    seed's final test accuracy and first step at 99% validation accuracy, in the order of the seeds."""
    rows = []
    for encoding in _encodings(check):
        runs = sorted((r for r in check if r["encoding"] == encoding), key=lambda r: r["seed"])
        rows.append({"input": ENCODING_WORDS[encoding], "seeds": ", ".join(str(r["seed"]) for r in runs),
                     "final test accuracy": ", ".join(pct(r["test_accuracy"]) for r in runs),
                     "first step at 99% validation accuracy": ", ".join(_cell("steps_to_99", r["steps_to_99"])
                                                                         for r in runs)})
    return pd.DataFrame(rows)


def encoding_sentence(check: list[dict]) -> str:
    """Why the scalar input needs more steps than one-hot, when it does (median first step at 99%)."""
    first = {e: [r["steps_to_99"] for r in check if r["encoding"] == e and r["steps_to_99"]] for e in INPUT_DIMS}
    if not first.get("scalar") or not first.get("onehot") or median(first["scalar"]) < 2 * median(first["onehot"]):
        return ""
    return (f"The scalar input needs {median(first['scalar']) / median(first['onehot']):.0f} times the steps "
            "(medians).")


def _mean_validation(study: list[dict], model: str) -> dict[float, float]:
    """The study's mean final validation accuracy of ``model`` at each rate it tried, by rate."""
    return {rate: at[0] for rate, at in rate_means(study, model).items()}


def zero_bias_rates_sentence(study: list[dict], max_steps: int) -> str:
    """The rates at which the zero-bias LSTM stayed near chance and those at which it learned, when the study
    shows both; empty otherwise."""
    runs, mean = [r for r in study if r["model"] == "lstm"], _mean_validation(study, "lstm")
    rates = sorted(mean)
    learned_at = {lr: sum(r["validation_accuracy"] >= LEARNED for r in runs if r["lr"] == lr) for lr in rates}
    chance, learning = [lr for lr in rates if mean[lr] < 0.2], [lr for lr in rates if learned_at[lr]]
    if not chance or not learning:
        return ""
    seeds = len({r["seed"] for r in runs})
    every = [lr for lr in learning if learned_at[lr] == seeds]
    text = f"With every bias zero, the LSTM stayed near chance at {listed([f'{lr:g}' for lr in chance])}"
    if max(chance) > min(learning):
        return text + f" and reached 99% at {listed([f'{lr:g}' for lr in learning])}."
    return (text + f" and learned within {max_steps:,} steps only at larger rates"
            + (f" (every seed at {listed([f'{lr:g}' for lr in every])})" if every else "") + "."
            + (_bias_steps(study, max(chance), min(every), max_steps) if every else ""))


def _about(n: float) -> str:
    """A count of steps to two significant digits: '3,200', '110', '36' ('1' at least)."""
    return f"{max(1, round(n, 1 - int(math.floor(math.log10(n))))):,.0f}"


def _budget_multiple(ratio: float) -> str:
    """'4 times' the budget, or 'more than' it when less than half as much again."""
    return f"{ratio:.0f} times" if ratio >= 1.5 else "more than"


def _bias_steps(study: list[dict], slow: float, fast: float, max_steps: int) -> str:
    """Why the zero-bias LSTM stays at chance at the rate ``slow`` on a fixed budget and learns from every seed at
    ``fast``: RMSProp moves a parameter by about the rate per step while its gradient keeps its size, and a unit
    that keeps half its cell over the T - 2 steps after the first digit on its forget-gate bias alone needs
    sigma(b_f)^(T-2) >= 1/2. Empty when that count does not part the two rates, or the study has more than one
    length T (or one too short to need memory)."""
    lengths = {r["seq_length"] for r in study}
    if len(lengths) != 1 or min(lengths) < 4:
        return ""
    T = lengths.pop()
    bias = math.log(1 / (1 - 0.5 ** (1 / (T - 2))) - 1)  # logit of the gate that keeps half over T - 2 steps
    if bias / slow <= max_steps or bias / fast > max_steps:
        return ""
    text = (f" A likely reason: RMSProp moves a parameter by about the learning rate per step while its gradient "
            f"keeps its size, and for a unit to keep half of its cell from t = 2 to t = {T - 1} on its forget-gate "
            f"bias alone, $\\sigma(b_f)^{{{T - 2}}} \\geq 1/2$, the bias must grow from 0 to {num(bias, 1)}: about "
            f"{_about(bias / slow)} steps at {slow:g}, {_budget_multiple(bias / slow / max_steps)} the budget, and "
            f"{_about(bias / fast)} at {fast:g}, the smallest rate at which every seed learned.")
    chrono = _mean_validation(study, "lstm-chrono")
    if chrono.get(slow, 0) >= LEARNED:
        text += (f" The chrono LSTM starts with forget-gate biases up to $\\ln {T - 1}$ = {num(math.log(T - 1), 1)} "
                 f"and learned at {slow:g} too "
                 f"({pct(chrono[slow])} mean validation accuracy).")
    return text + " The gate's weights can help the bias, so these counts are a guide, not a bound."


def init_comparison_sentence(flows: dict, table: str = "the table of every seed") -> str:
    """The share of the gradient reaching t = 1 at initialisation, which isolates the architecture and the
    initialisation from what training found; empty without the RNN and another model. ``table`` names where
    ``seed_share_table`` shows every seed."""
    init = starting_shares(flows)
    if "rnn" not in init or len(init) < 2:
        return ""
    others = listed([f"{_factor(shown_sci(init['rnn']) / shown_sci(init[m])).removeprefix('a factor of about ')} times "
                     f"{'smaller' if init['rnn'] < init[m] else 'larger'} than the {label(m)}'s"
                     for m in init if m != "rnn"])
    text = (f"To compare the architectures before training has shaped them, take the initial weights: the vanilla "
            f"RNN's share at t = 1, {sci(init['rnn'])}{f' (the median over the seeds of {table})' if flows.get('seeds') else ''}, "
            f"is {others}.")
    weaker = [m for m in init if m != "rnn" and init[m] <= init["rnn"]]
    if weaker:
        text += (f" So the starting gradient cannot explain why the {listed([label(m) for m in weaker])} did better "
                 "than the RNN where it did. The likelier difference, which this run does not test directly, is "
                 "what training can do with the path: the forget gate (3), through its bias and its weights, sets how "
                 "much of the cell (5) survives a step, so a unit can learn to keep the digit by opening one gate, "
                 "while the RNN can keep it only through a recurrent matrix and tanh slopes whose product must stay "
                 "near one.")
    return text


def rate_choice_text(study: list[dict], chosen: dict, grid: list[float] | None = None, widen: int | None = None) -> str:
    """Which rate each model got, and on what evidence: ties, the rates tried past the grid's edge (``grid``, the
    study's own rates), and a choice that still lies on the edge of what was tried (``widen``: how many times at
    most the grid grows past an edge, said beside it)."""
    if not study:
        return ("No learning-rate study in this run: each model trains at its registered rate (" +
                ", ".join(f"{label(m)} {c['rate']:g}" for m, c in chosen.items()) + ").")
    lengths = sorted({r["seq_length"] for r in study})
    parts, tied, widened, edge, never = [], [], [], [], []
    for model, choice in chosen.items():
        means = rate_means(study, model)  # rate -> (mean validation accuracy, mean steps to 99%)
        accuracy, steps = means[choice["rate"]]
        parts.append(f"the {label(model)} {choice['rate']:g} ({pct(accuracy)})")
        others = [rate for rate in tied_rates(means) if rate != choice["rate"]]
        if not any(r["steps_to_99"] for r in study if r["model"] == model):  # no evaluation of any run at 99%
            never.append((model, choice["rate"], means))
        elif others:
            runner = min(others, key=lambda r: (means[r][1], r))  # the tied rate that came closest
            tied.append(f"for the {label(model)}, {choice['rate']:g} tied with {words(len(others))} other "
                        f"rate{'s' if len(others) > 1 else ''} and reached 99% soonest ({steps:,.0f} "
                        f"steps on average, against {means[runner][1]:,.0f} at {runner:g})")
        beyond = sorted(rate for rate in means if grid and rate not in grid)
        if beyond:
            widened.append(f"the {label(model)} at {listed([f'{r:g}' for r in beyond])}")
        if len(means) > 1 and choice["rate"] in (min(means), max(means)):
            edge.append((label(model), "smallest" if choice["rate"] == min(means) else "largest"))
    text = (f"Each model's rate was chosen on the validation set at T = {listed(lengths)}, from "
            f"{plural(len({r['seed'] for r in study}), 'seed')} used for nothing else. The rule takes the rate with "
            f"the highest mean validation accuracy. A rate less than {TIE * 100:g} percentage points below it counts "
            "as tied, and among tied rates the one whose runs reached 99% validation accuracy in the fewest steps "
            "wins: on one fixed budget it leaves the most margin at other lengths.")
    if widened:
        text += (" Where a model's best rate lay on the edge of the grid, the grid grew past that edge: "
                 + listed(widened) + ".")
    text += f" The chosen rates, with their mean validation accuracy in brackets, are {listed(parts)}."
    text += "".join(f" {capitalised(said)}." for said in tied)
    for model, rate, means in never:
        best = max(means, key=lambda r: means[r][0])
        how = ("is the rate that came closest" if rate == best else
               f"ties the best, {best:g} ({pct(means[best][0])}), less than {TIE * 100:g} points below it, and is the "
               "smaller")
        text += (f" No run of the {label(model)} in the learning-rate study reached 99% validation accuracy at any "
                 "evaluation, at any rate tried, so "
                 f"{rate:g} {how}, not a rate at which it learns at T = {listed(lengths)}: the comparison there is "
                 "with the best of the rates tried.")
    for side in ("smallest", "largest"):
        names = [f"the {name}" for name, at in edge if at == side]
        if names:
            said = listed(names) + (" each" if len(names) > 1 else "")
            text += (f" {capitalised(said)} got the {side} rate tried for it, so a rate beyond it might do better"
                     + (f" (the study tries at most {plural(widen, 'rate')} beyond an edge)." if widen else "."))
    return text


# ---------------------------------------------------------------- the sweep in sentences

def _learned_everywhere(runs: list[dict]) -> bool:
    return all(map(learned, runs))


def model_sentence(model: str, by_length: dict[int, list[dict]]) -> str:
    """What one model did across T, by the one rule of ``lib.recurrent_train.learned``."""
    lengths = list(by_length)
    every = {T: _learned_everywhere(runs) for T, runs in by_length.items()}
    mean = {T: fmean(r["test_accuracy"] for r in runs) for T, runs in by_length.items()}
    name = f"the {label(model)}"
    failed = [T for T in lengths if not every[T]]
    if not failed:
        return f"{name} learned from every seed at every length of the sweep, up to T = {lengths[-1]}"
    first = failed[0]
    before = [T for T in lengths if T < first]
    text = (f"{name} learned from every seed up to T = {before[-1]}" if before else
            f"{name} learned from every seed at none of the lengths")
    worst = min(r["test_accuracy"] for r in by_length[first])
    text += f"; at T = {first} its mean test accuracy was {pct(mean[first])} (worst seed {pct(worst)})"
    again = [T for T in lengths if T > first and every[T]]
    if again:
        text += f", though every seed learned again at T = {listed(again)}"
    if lengths[-1] != first and not every[lengths[-1]]:
        text += f", and at T = {lengths[-1]} it was {pct(mean[lengths[-1]])}"
    return text


def headline(records: list[dict], seeds: bool = True) -> str:
    """The sweep's result in one sentence, one clause per model in the registry's order, and (``seeds``) how
    many seeds each model ran (the report's settings table says that already)."""
    models = _models(records)
    perfect = [m for m in models if all(_learned_everywhere(runs) for runs in _by_length(records, m).values())]
    lengths = {m: max(_by_length(records, m)) for m in perfect}
    together = len(perfect) > 1 and len(set(lengths.values())) == 1  # one clause for the models that learned everywhere
    clauses = [f"{listed([f'the {label(m)}' for m in perfect])} learned from every seed at every length of the "
               f"sweep, up to T = {lengths[perfect[0]]}" if together and model == perfect[0] else
               model_sentence(model, _by_length(records, model))
               for model in models if not (together and model in perfect[1:])]
    counts = {(model, T): len(runs) for model in models for T, runs in _by_length(records, model).items()}
    fewest = min(counts.values())
    more = _group([dict(model=m, T=T, n=n) for (m, T), n in counts.items() if n > fewest], ("n", "T"))
    extra = [(n, T, [label(r["model"]) for r in group]) for (n, T), group in sorted(more.items())]
    by_models = _group([dict(n=n, T=T, who=" and ".join(who)) for n, T, who in extra], ("n", "who"))
    said = " ".join(capitalised(c) + "." for c in clauses)
    if not seeds:
        return said
    return said + f" Each model ran {plural(fewest, 'seed')} " + (
        "at every length." if not extra else "at every length; " + listed(
            [f"the {who} ran {n} at T = {listed([str(r['T']) for r in group])}" for (n, who), group in by_models.items()])
        + ", where comparing them needs more.")


def _largest_rise(by_length: dict[int, list[dict]]) -> tuple[int, int, float, float, float] | None:
    """Where the mean test accuracy rises by more than two points from one length to the next: the largest such
    rise as (T before, T after, mean before, mean after, the largest spread between the best and the worst seed
    at those two lengths); None where it never does."""
    lengths = list(by_length)
    mean = {T: fmean(r["test_accuracy"] for r in runs) for T, runs in by_length.items()}
    rises = [(a, b) for a, b in zip(lengths, lengths[1:]) if mean[b] > mean[a] + 0.02]
    if not rises:
        return None
    a, b = max(rises, key=lambda pair: mean[pair[1]] - mean[pair[0]])
    spread = max(max(r["test_accuracy"] for r in by_length[T]) - min(r["test_accuracy"] for r in by_length[T])
                 for T in (a, b))
    return a, b, mean[a], mean[b], spread


def trend_paragraph(by_model: dict[str, dict[int, list[dict]]]) -> str:
    """One paragraph on every model whose mean test accuracy rises with T somewhere (``_largest_rise``): the rise,
    and whether the spread between seeds at those lengths can explain it. Empty where every mean falls or stays."""
    rises = {m: rise for m, by in by_model.items() if (rise := _largest_rise(by))}
    if not rises:
        return ""
    text = ("The mean test accuracy does not always fall as T grows: "
            + listed([f"the {label(m)}'s rose from {pct(before)} at T = {a} to {pct(after)} at T = {b}"
                      for m, (a, b, before, after, _) in rises.items()])
            + ". Every length has the same step budget, so no rise comes from a budget that grows with T.")
    for small in (True, False):
        models = [m for m, (_, _, before, after, spread) in rises.items() if (after - before <= spread) == small]
        if not models:
            continue
        rise = listed([f"{(rises[m][3] - rises[m][2]) * 100:.1f}" for m in models])
        spread = listed([f"{rises[m][4] * 100:.1f}" for m in models])
        which = f"{'The rise' if len(models) == 1 else 'Each rise'} of {listed([f'the {label(m)}' for m in models])}"
        text += (f" {which} ({rise} percentage points) is smaller than the gap between the best and the worst seed "
                 f"at those lengths (up to {spread} points). With so few seeds per length, whether one seed finds a "
                 "partial memory decides the mean: the rise says more about the seeds than about T." if small else
                 f" {which} ({rise} percentage points) is larger than the spread between seeds at those lengths "
                 f"({spread} points), so it is not the luck of one seed; this run does not show its cause.")
    return text


def parameter_count(model: str, hidden_dim: int, input_dim: int = 10) -> int:
    return sum(p.numel() for p in build_model(model, seq_length=5, input_dim=input_dim, hidden_dim=hidden_dim,
                                              output_dim=10).parameters())


def confounds_sentence(metrics: dict) -> str:
    """What besides the recurrence differs between the vanilla RNN and the LSTMs: their chosen learning rates
    and their sizes. Empty without the RNN and an LSTM."""
    p, chosen = metrics["parameters"], metrics.get("chosen_rates", {})
    lstms = [m for m in p["models"] if _is_lstm(m)]
    if "rnn" not in p["models"] or not lstms or not chosen:
        return ""
    ratios = [chosen[m]["rate"] / chosen["rnn"]["rate"] for m in lstms if m in chosen and "rnn" in chosen]
    rates = (f" (the LSTMs' up to {max(ratios):g} times the RNN's)" if ratios and max(ratios) > 1 else
             f" (the LSTMs' down to {min(ratios):g} times the RNN's)" if ratios and min(ratios) < 1 else "")
    size = parameter_count(lstms[0], p["hidden_dim"]) / parameter_count("rnn", p["hidden_dim"])
    wide = [r for r in runs_of(metrics, "budget") if r["model"] == "rnn" and r["hidden_dim"] != p["hidden_dim"]]
    return (f"The RNN and the LSTMs differ in more than their recurrence: each trains at its own chosen rate"
            f"{rates}, and at {p['hidden_dim']} units the LSTM has {size:.1f} times the RNN's parameters"
            + (f"; the wider RNN that matches its size kept the rate chosen for {p['hidden_dim']} units, which may not "
               "suit it" if wide else "") + ".")


def long_init_sentence(long: list[dict], gradient_length: int | None = None) -> str:
    """Why the zero-bias LSTM failed at a long T where the chrono LSTM learned: with every forget gate at one half
    a cell keeps 2^-(T-2) of the first digit at the start. Empty unless the runs show that contrast."""
    failed = sorted({r["seq_length"] for r in long if r["model"] == "lstm" and not learned(r)})
    chrono = {r["seq_length"] for r in long if r["model"] == "lstm-chrono" and learned(r)}
    both = [T for T in failed if T in chrono]
    if not both:
        return ""
    T = both[0]
    return (f"With every bias zero each forget gate starts at one half, so at T = {T} a cell keeps "
            f"{sci(0.5 ** (T - 2))} of the first digit by the last step"
            + (f" (against {sci(0.5 ** (gradient_length - 2))} at T = {gradient_length})" if gradient_length else "")
            + ", while chrono's biases start some units with time constants near T. That is the likely reason, "
            "though one seed at one learning rate cannot rule out that another rate would have found the digit.")


LATE = 0.75  # a run that first reaches 99% after this share of its budget learned only just in time
OVERSHOOT = 1.5  # a first mean loss this many times chance's is an overshoot, not a run still near chance


def overshoot_sentence(records: list[dict], fig: str) -> str:
    """The runs that ``fig`` (``lib.plots.learning_curves``) draws whose mean training loss up to the first
    evaluation lies well above chance's, ln 10 (``OVERSHOOT`` times: a large rate overshooting before it learns),
    per model, and whether they learned all the same; empty when none did."""
    chance = math.log(1 / CHANCE)
    shown = curve_lengths(records)
    records = [r for r in records if r["seq_length"] in shown]
    high = {model: [r for r in runs if r.get("first_point") and r["first_point"]["loss"] > OVERSHOOT * chance]
            for model, runs in ((m, [r for r in records if r["model"] == m]) for m in _models(records))}
    said = [(m, runs) for m, runs in high.items() if runs]
    if not said:
        return ""
    step = said[0][1][0]["first_point"]["step"]
    def part(model: str, runs: list[dict]) -> str:
        rates = listed([f"{lr:g}" for lr in sorted({r["lr"] for r in runs})])
        highest = num(max(r["first_point"]["loss"] for r in runs), 1)
        total = len([r for r in records if r["model"] == model])
        return f"{some_of(len(runs), total, 'run')} of the {label(model)} (at {rates}, up to {highest})"
    overshot = [r for _, runs in said for r in runs]
    late = [r for r in overshot if learned(r) and (r["steps_to_99"] or 0) >= LATE * r["max_steps"]]
    one = len(overshot) == 1
    return (f"In {fig}, {listed([part(m, runs) for m, runs in said])} {'starts' if one else 'start'} with a mean "
            f"training loss over the first {step:,} steps of more than {OVERSHOOT:g} times that of guessing "
            f"(ln 10 = {num(chance, 2)}). A large rate is unstable at first; "
            + (("it learned all the same" if one else "every one of these runs learned all the same")
               if all(map(learned, overshot)) else
               f"{sum(map(learned, overshot))} of these {len(overshot)} runs learned all the same")
            + ("." if not late else
               f", though {listed([_run_name(r) for r in late])} first reached 99% only at step "
               f"{listed([format(r['steps_to_99'], ',') + ' of ' + format(r['max_steps'], ',') for r in late])}: a "
               f"shorter budget would have counted {'it as a failure' if len(late) == 1 else 'them as failures'}."))


def _run_name(record: dict) -> str:
    """'the zero-bias LSTM at T = 20 (seed 5)'."""
    return f"the {label(record['model'])} at T = {record['seq_length']} (seed {record['seed']})"


def at_once_note(records: list[dict]) -> str:
    """' T = 5 has no column: every run learned at the first evaluation (step 50).' for the lengths that
    ``lib.plots.learning_curves`` leaves out; empty when it leaves none out."""
    shown = curve_lengths(records)
    quick = sorted({r["seq_length"] for r in records if r["seq_length"] not in shown})
    if not quick:
        return ""
    step = min(r["steps_to_99"] for r in records if r["steps_to_99"])
    return (f" T = {listed([str(T) for T in quick])} {'has' if len(quick) == 1 else 'have'} no column: every run "
            f"of the sweep there reached 99% validation accuracy at the first evaluation (step {step:,}).")


def budget_sentence(budget: list[dict], sweep: list[dict], where: str = "") -> str:
    """For each model and length trained again with more steps or more units: how many seeds learned and the
    mean test accuracy against the sweep's runs from the same seeds, and what that says: the change was what held
    the model back, it did not rescue it, it changed little, or it rescued some seeds only. Empty without such
    runs. ``where`` names the table that gives both ('Table 4')."""
    texts = []
    for model in _models(budget):
        base_dim = next((r["hidden_dim"] for r in sweep if r["model"] == model), None)
        for T, runs in _by_length(budget, model).items():
            before = _by_length(sweep, model).get(T)
            if not before:
                continue
            for (steps, dim), group in sorted(_group(runs, ("max_steps", "hidden_dim")).items()):
                seeds = {r["seed"] for r in group}
                same = [r for r in before if r["seed"] in seeds]  # the same seeds on the standard budget
                now, then = fmean(r["test_accuracy"] for r in group), fmean(r["test_accuracy"] for r in same)
                n, n_before = sum(map(learned, group)), sum(map(learned, same))
                if dim != base_dim:
                    change, what = (f"With {dim} hidden units ({parameter_count(model, dim):,} parameters against "
                                    f"{parameter_count(model, base_dim):,}, at the rate chosen for {base_dim})"),\
                        "its size"
                else:
                    change, what = (f"On {steps / before[0]['max_steps']:g} times the budget ({steps:,} steps)",
                                    "the budget")
                verdict = ("as it did there" if n == n_before == len(group) else
                           f"so at that length {what}, not the model's memory, held it back" if n == len(group) else
                           f"so this lets {n - n_before} more {'seed' if n - n_before == 1 else 'seeds'} learn, not all"
                           if n > n_before else
                           ("so, at that rate, the wider network does no better on these seeds" if dim != base_dim
                            else "so on these seeds the longer budget lets no more of them learn") if now < then + 0.05
                           else
                           "so this raises its mean accuracy without more seeds learning")
                standard = (f"of the same seeds with {base_dim} units" if dim != base_dim else
                            "of the same seeds on the standard budget")
                lower = [r for r in group if dim == base_dim and not learned(r) and any(  # a longer run ended lower
                    b["seed"] == r["seed"] and b["test_accuracy"] > r["test_accuracy"] + 0.05 for b in same)]
                texts.append(f"{change}, the {label(model)} at T = {T} learned from {n} of "
                             f"{plural(len(group), 'seed')}, against {n_before} {standard} (mean test accuracy "
                             f"{pct(now)} against {pct(then)}{', ' + where if where else ''}), {verdict}."
                             + (" A run that never learns is scored at its last step, and such runs swing, so a "
                                "longer one can end lower: the count of seeds that learned is the safer comparison, "
                                f"and with {len(group)} seeds it can show only a large effect." if lower else ""))
    return " ".join(texts)


def _group(runs: list[dict], keys: tuple[str, ...]) -> dict[tuple, list[dict]]:
    groups = {}
    for r in runs:
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    return groups


PARTLY = 0.2  # a final accuracy at or above this (twice chance) and below LEARNED: some digits carried, not all


def partial_sentence(records: list[dict], figure: str) -> str:
    """The runs whose final validation accuracy lies between PARTLY and LEARNED, the curves of ``figure`` that
    end above chance: they carry the first digit for some palindromes, not all. Empty when none does."""
    partial = [r for r in records if PARTLY <= r["validation_accuracy"] < LEARNED]
    if not partial:
        return ""
    models = sorted({r["model"] for r in partial}, key=list(MODELS).index)
    lengths = sorted({r["seq_length"] for r in partial})
    return (f"In {figure}, {plural(len(partial), 'run')} of the {listed([label(m) for m in models])} "
            f"(at T = {listed([str(T) for T in lengths])}) end between {pct(PARTLY, 0)} and {pct(LEARNED, 0)} "
            f"validation accuracy, at least {PARTLY / CHANCE:.0f} times chance ({pct(CHANCE, 0)}): "
            + ("it carries" if len(partial) == 1 else "they carry")
            + " the first digit for some palindromes but not for all.")


def near_miss_sentence(records: list[dict]) -> str:
    """The runs that reached 99% validation accuracy but ended below 99% test accuracy, which the count of seeds
    that learned leaves out although they may name almost every palindrome; empty when there are none."""
    near = [r for r in records if r["steps_to_99"] and not learned(r)]
    if not near:
        return ""
    groups = [f"the {label(m)} at T = {T} ({listed([pct(r['test_accuracy']) for r in runs])})"
              for m in _models(near) for T, runs in _by_length(near, m).items()]
    one = len(near) == 1
    stopped = sum(r.get("stopped") == "learned" for r in near)
    close = ("It names" if one else "They name") + " the last digit of at least 95% of the test palindromes"
    early = ("it" if one else "all of them" if stopped == len(near) else f"{words(stopped)} of them") + \
        " had stopped early once its validation accuracy held at 99%"
    tail = "; ".join([close] * (min(r["test_accuracy"] for r in near) >= 0.95) + [early] * bool(stopped))
    return (f"{words(len(near)).capitalize()} {'run' if one else 'runs'} reached 99% validation accuracy but ended "
            f"below 99% test accuracy, and so {'counts' if one else 'count'} as not learned: {listed(groups)}."
            + (f" {capitalised(tail)}." if tail else ""))


def edge_sentence(study: list[dict], chosen: dict, records: list[dict]) -> str:
    """For each model that failed a seed in ``records`` at the rate ``chosen`` for it from a tie, where the study's
    next larger rate no longer learned: the tie rule's pick of the fastest tied rate sits next to that edge, which
    may explain the failure. Empty when no model is in that case."""
    sentences = []
    for model in _models(records):
        failed = [r for r in records if r["model"] == model and not learned(r)]
        stats, rate = rate_means(study, model), chosen.get(model, {}).get("rate")
        means, tied = {lr: at[0] for lr, at in stats.items()}, tied_rates(stats)
        above = min((lr for lr in means if rate is not None and lr > rate), default=None)
        if (not failed or above is None or means[above] >= LEARNED or above in tied
                or not any(lr < rate for lr in tied)):
            continue
        worst = min(failed, key=lambda r: r["test_accuracy"])
        sentences.append(
            f"Among tied rates the rule picks the one that learns fastest, and for the {label(model)} that is {rate:g}, "
            f"just below {above:g}, where its mean validation accuracy fell to {pct(means[above])}. A rate this close "
            f"to instability may explain its worst seed in the sweep, which ended at {pct(worst['test_accuracy'])} at "
            f"T = {worst['seq_length']}; a slower tied rate might have avoided it, which this run does not test.")
    return " ".join(sentences)


def largest_learned(by_length: dict[int, list[dict]]) -> int | None:
    """The largest T up to which every seed learned at every length (None if not even the first)."""
    best = None
    for T, runs in by_length.items():
        if not _learned_everywhere(runs):
            break
        best = T
    return best


def failed_lengths(by_length: dict[int, list[dict]]) -> str:
    """The lengths at which not every seed learned, with how many did, and whether every seed learned at the rest:
    "not every seed learned at T = 30 (2 of 3), though every seed did at every other length"."""
    failed = {T: runs for T, runs in by_length.items() if not _learned_everywhere(runs)}
    text = "not every seed learned at " + listed([f"T = {T} ({sum(map(learned, runs))} of {len(runs)})"
                                                  for T, runs in failed.items()])
    recovered = any(T > min(failed) for T in by_length if T not in failed)
    return text + (", though every seed did at every other length" if recovered else "")


# ---------------------------------------------------------------- gradient flow

def gradient_ratio(flow: dict) -> float:
    """||dL/dh_1|| / ||dL/dh_(T-1)||: the share of the last step's gradient that reaches the first step."""
    return flow["norms"][0] / flow["norms"][-1]


def kept_units(flow: dict) -> int:
    """How many units keep at least half of what they held at t = 1 until the last step (``kept`` >= 1/2)."""
    return sum(k >= 0.5 for k in flow["kept"])


def cell_ratio(flow: dict) -> float:
    """||dL/dc_1|| / ||dL/dc_(T-1)||: the share of the last step's gradient on the LSTM's cell that reaches the
    first step along the cell path (5)."""
    return flow["cell_norms"][0] / flow["cell_norms"][-1]


def _is_lstm(model: str) -> bool:
    return MODELS[model].build.__name__ == "LSTM"


# Each column of the gradient table: its header and the value it shows for a run of a model, or None where the
# measure does not apply to the model (the tanh slope is the RNN's factor per step, the forget gate the LSTM's).
GRADIENT_COLUMNS = {
    "share on h": lambda m, f: sci(gradient_ratio(f)),
    "share on c": lambda m, f: sci(cell_ratio(f)) if "cell_norms" in f else None,
    "tanh slope": lambda m, f: num(fmean(f["carry"]), 2) if not _is_lstm(m) else None,
    "forget gate": lambda m, f: num(fmean(f["carry"]), 2) if _is_lstm(m) else None,
    "first digit read": lambda m, f: pct(f["readout"][-1], 0),
    "units keeping half": lambda m, f: str(kept_units(f)) if _is_lstm(m) and "kept" in f else None,
}


def gradient_table(flows: dict) -> pd.DataFrame:
    """The profiled runs in numbers, each measure as 'initial / trained' ('–' where a model has no such measure
    or the run has no such moment)."""
    def row(name: str, model: str, init: dict | None, trained: dict) -> dict:
        def cell(value) -> str:
            shown = [value(model, f) if f else None for f in (init, trained)]
            return "–" if shown[1] is None else f"{shown[0] or '–'} / {shown[1]}"
        return {"model": name} | {column: cell(value) for column, value in GRADIENT_COLUMNS.items()}

    rows = [row(label(m), m, flows["init"][m], flows["trained"][m]) for m in flows["trained"]]
    rows += [row(f"{label(m)}, a seed that failed", m, None, failed)  # the same model's seed that did not learn
             for m, failed in flows.get("failed", {}).items()]
    rows += [{"model": f"{label(m)}, random control"} | {column: "–" for column in GRADIENT_COLUMNS}
             | {"first digit read": f"{pct(flows['init'][m]['readout_random'][-1], 0)} / –"}
             for m in mirrored(flows.get("init", {}))]
    return pd.DataFrame(rows)


def _spread(values: list[float]) -> str:
    """'median (lowest to highest)', or one value where they all show the same."""
    low, high = min(values), max(values)
    return sci(low) if sci(low) == sci(high) else f"{sci(median(values))} ({sci(low)} to {sci(high)})"


def seed_share_table(flows: dict) -> pd.DataFrame:
    """The share of the gradient at t = 1 over every seed of each model at the profiled T, with the initial weights
    and after training (``lib.sweeps.seed_shares``): whether the one profiled run per model is typical."""
    return pd.DataFrame([{"model": label(model), "seeds (learned)": f"{len(group)} ({sum(r['learned'] for r in group)})",
                          "gradient share at t = 1, initial": _spread([r["initial"] for r in group]),
                          "gradient share at t = 1, trained": _spread([r["trained"] for r in group])}
                         for (model,), group in _group(flows["seeds"], ("model",)).items()])


def starting_shares(flows: dict) -> dict[str, float]:
    """Each model's share at t = 1 with the initial weights: the median over its seeds where every seed was
    measured, else that of its profiled run."""
    if flows.get("seeds"):
        return {model: median(r["initial"] for r in group) for (model,), group in _group(flows["seeds"], ("model",)).items()}
    return {m: gradient_ratio(f) for m, f in flows.get("init", {}).items()}


def _below_half(flow: dict) -> int | None:
    """The first step t at which the read-out names the first digit for less than half the palindromes."""
    return next((t for t, a in enumerate(flow["readout"], 1) if a < 0.5), None)


def readout_text(metrics: dict, where: str = "") -> str:
    """What the state holds: at the last step, how well a linear read-out names the first digit in each profiled
    run after training, against that run's test accuracy; where a failed seed was profiled, the step at which its
    read-out fell below half; and what the initial weights hold there. ``where`` names the table that shows the
    control on random sequences (``mirror_text``)."""
    flows, T = metrics["gradient_flow"], metrics["gradient_flow"]["seq_length"]
    runs = {r["model"]: r for r in runs_of(metrics, "gradient")}
    failed_runs = {r["model"]: r for r in runs_of(metrics, "gradient_failed")}
    last = lambda flow: pct(flow["readout"][-1], 0)  # noqa: E731
    pairs = [(last(f), pct(runs[m]["test_accuracy"], 0), m) for m, f in flows["trained"].items() if m in runs]
    if len({(a, b) for a, b, _ in pairs}) == 1:
        said = f"for {pairs[0][0]} of the test palindromes in each model, as their test accuracy ({pairs[0][1]})"
    else:
        said = "for " + listed([f"{a} of the test palindromes in the {label(m)} (test accuracy {b})"
                                for a, b, m in pairs])
    text = (f"After training, a linear read-out names the first digit from the state at t = {T - 1} {said}: what "
            "the last state holds matches what the network gets right.")
    for model, flow in flows.get("failed", {}).items():
        below = _below_half(flow)
        accuracy = f", against its test accuracy of {pct(failed_runs[model]['test_accuracy'], 0)}" \
            if model in failed_runs else ""
        text += (f" In the {label(model)}'s seed that failed, the read-out starts at {pct(flow['readout'][0], 0)} "
                 + (f"and falls below half by t = {below}" if below else "and stays above half")
                 + f", ending at {last(flow)}{accuracy}: the network "
                 + ("has lost the digit from its state." if flow["readout"][-1] < 0.5 else
                    "keeps the digit for only part of the palindromes."))
    init = flows.get("init", {})
    lost = [(m, _below_half(f)) for m, f in init.items() if f["readout"][-1] < 0.5]
    kept = [m for m, f in init.items() if f["readout"][-1] >= 0.5]
    dips = [_dip(init[m]["readout"]) for m in kept]  # a read-out that fell and rose names the digit again
    verb = {(False, 1): "still holds it", (False, 2): "still hold it", (True, 1): "names it again",
            (True, 2): "name it again"}[any(dips), min(len(kept), 2)] if kept else ""
    if lost:
        text += (f" With the initial weights, the state of the {listed([label(m) for m, _ in lost])} loses the first "
                 f"digit within a few steps (the read-out falls below half by t = {listed([str(t) for _, t in lost])}"
                 + (", in the same order)" if len(lost) > 1 else ")")
                 + (f", while the {listed([label(m) for m in kept])} {verb} at t = {T - 1} "
                    f"({listed([last(init[m]) + dip for m, dip in zip(kept, dips)])}) before any training"
                    if kept else "")
                 + ": a state that keeps the digit is what training had to build"
                 + (" in the others." if kept else "."))
    return text + mirror_text([m for m, dip in zip(kept, dips) if dip], init, T, where)


def coinciding_note(flows: dict) -> str:
    """' After training, the read-outs of all 3 models lie at 99% or more at every step, on top of each other.'
    where they do (the figure's lines then look like one), else empty."""
    trained = flows.get("trained", {})
    if len(trained) < 2 or min(min(f["readout"]) for f in trained.values()) < 0.99:
        return ""
    return (f" After training, the read-outs of all {len(trained)} models lie at 99% or more at every step, on top "
            "of each other.")


def mirrored(init: dict) -> list[str]:
    """The models whose initial read-out at the last step names the first digit for more than 10 points more of
    the palindromes than of the control sequences whose digits after the first are random (``readout_random``):
    there the palindrome's second half, which repeats the distracting digits of the first, likely helps the
    read-out by leaving fewer distinct digits in the state to compete with the first."""
    return [m for m, f in init.items() if "readout_random" in f and f["readout_random"][-1] < f["readout"][-1] - 0.1]


def mirror_text(models: list[str], init: dict, T: int, where: str = "") -> str:
    """Why an initial read-out that dipped names the first digit again at the end, where the control on random
    sequences (``mirrored``) points to it: still memory, as the first digit is never shown again, but with the
    palindrome's second half repeating the distracting digits. Empty otherwise. ``where`` names the table that shows
    the control ('Table 5')."""
    shown = [m for m in models if m in mirrored(init)]
    if not shown:
        return ""
    return (" The recovery is still memory, as the first digit is never shown again, but the palindrome helps it: "
            f"its second half repeats the digits after the first in reverse, so of the {T - 2} digits that follow the "
            f"first only {(T - 1) // 2} {'is' if T < 5 else 'are'} drawn independently, fewer to compete with it. "
            f"On sequences whose digits after the first are random, the read-out of the same initial "
            f"{'state' if len(shown) == 1 else 'states'} keeps falling instead, to "
            f"{listed([pct(init[m]['readout_random'][-1], 0) for m in shown])} at t = {T - 1}"
            + (f" ({listed([label(m) for m in shown])})" if len(shown) > 1 else "") + (f" ({where})" if where else "")
            + ".")


def _dip(readout: list[float]) -> str:
    """', after a dip to 47% at t = 15' where a read-out that ends high fell more than 10 points on the way."""
    low = _lowest(readout)
    return f", after a dip to {pct(readout[low], 0)} at t = {low + 1}" if readout[-1] - readout[low] > 0.1 else ""


def _lowest(values: list[float]) -> int:
    """The index (t - 1) of the step whose value (a gradient norm, a read-out) is smallest."""
    return min(range(len(values)), key=values.__getitem__)


def _rises_early(norms: list[float]) -> bool:
    """Whether the profile has its low inside and grows from there towards t = 1 by more than a factor of 3."""
    low = _lowest(norms)
    return 0 < low < len(norms) - 1 and norms[0] > 3 * norms[low]


def _u_shaped(norms: list[float]) -> bool:
    """Whether the profile falls from the last step to a low inside it and grows again towards t = 1, each by
    more than a factor of 3, as ``shape_sentence`` calls it (a profile that only rises at one end is no U)."""
    return _rises_early(norms) and norms[-1] > 3 * min(norms)


def shape_sentence(norms: list[float]) -> str:
    """How ||dL/dh_t|| changes from t = T-1 back to t = 1, in words: falling, rising, or U-shaped."""
    low = _lowest(norms)
    if low == 0:
        return f"falls all the way back to t = 1, by {_factor(norms[0] / norms[-1])} in all"
    if low == len(norms) - 1:
        return f"grows as it goes back, to {_factor(norms[0] / norms[-1])} its size at t = {len(norms)} by t = 1"
    if _u_shaped(norms):
        return (f"is U-shaped: it falls by {_factor(norms[low] / norms[-1])} from t = {len(norms)} back to "
                f"t = {low + 1}, then grows again by {_factor(norms[0] / norms[low])} towards t = 1")
    if _rises_early(norms):
        return (f"changes by no more than {_factor(norms[low] / norms[-1])} from t = {len(norms)} back to "
                f"t = {low + 1}, then grows by {_factor(norms[0] / norms[low])} towards t = 1")
    return (f"falls by {_factor(norms[low] / norms[-1])} from t = {len(norms)} back to t = {low + 1} and stays "
            f"near that level at the first steps")


def _factor(ratio: float) -> str:
    """A ratio of sizes in words: 0.003 -> 'a factor of about 300'; 4 -> 'a factor of about 4'."""
    factor = 1 / ratio if ratio < 1 else ratio
    if factor < 10:
        return f"a factor of about {factor:.1f}"
    return f"a factor of about {sci(factor) if factor >= 1e4 else f'{factor:,.0f}'}"


def gain(factor: float) -> str:
    """A factor per step: two decimals below 10, whole numbers above ('0.42', '1,234')."""
    return num(factor) if factor < 10 else f"{factor:,.0f}"


def times(ratio: float) -> str:
    """A ratio of two gradients as 'N times': '14 times', '$3.5 \\times 10^{-5}$ times', '0.42 times'."""
    return f"{_factor(ratio).removeprefix('a factor of about ') if ratio >= 1 else sci(ratio) if ratio < 0.1 else num(ratio)} times"


# The gain per step of a matrix of H x H weights drawn uniformly in +-1/sqrt(H) (variance 1/(3H)), as PyTorch draws
# W_hh, on a typical direction: sqrt(H * 1/(3H)) = 1/sqrt(3).
TYPICAL_GAIN = 3 ** -0.5


def rnn_gradient_text(flows: dict, T: int) -> str:
    """The RNN's gradient at initialisation and after training, and what its two factors, the tanh slopes and
    W_hh, do to it: where a U-shaped profile shrinks and grows, the measured mean factor per step of each part
    beside the slopes there. A gain above one with slopes below one needs W_hh to amplify, which is all the
    text infers from the norm."""
    if "rnn" not in flows["trained"]:
        return ""
    init, trained = flows["init"]["rnn"], flows["trained"]["rnn"]
    per_step = gradient_ratio(init) ** (1 / max(1, T - 2))
    text = (f"At T = {T} and with the initial weights, the vanilla RNN's gradient {shape_sentence(init['norms'])}, "
            f"or {num(per_step)} per step back")
    if init.get("weight_norm"):
        text += (f". The tanh slopes are near one there (mean {num(fmean(init['carry']))}), so the shrinking comes "
                 f"from $W_{{hh}}$: its spectral norm, its largest singular value ({num(init['weight_norm'])}), bounds "
                 "only the gain along its strongest direction")
        if abs(per_step - TYPICAL_GAIN) < 0.05:  # what the initial weights' spread predicts for a random direction
            text += ("; each of its weights is drawn uniformly in $\\pm 1/\\sqrt{H}$, with variance $1/(3H)$, so it "
                     "scales a typical direction by $1/\\sqrt{3} \\approx 0.58$, the factor measured")
    norms, carry, w = trained["norms"], trained["carry"], trained["weight_norm"]
    low = _lowest(norms)
    ratio = f"the gradient at t = 1 is {times(gradient_ratio(trained))} that at t = {T - 1}"
    if not _rises_early(norms):
        return text + f". After training it {shape_sentence(norms)}; {ratio}." + _failed_rnn_text(flows, T)
    first, last = _plateau(norms, low)
    if last - first >= 2:  # a floor of three steps or more: said as such, not averaged into the two slopes
        return text + _floor_text(norms, carry, w, first, last, ratio) + _failed_rnn_text(flows, T)
    late = (norms[low] / norms[-1]) ** (1 / (len(norms) - 1 - low))  # per step, from t = T-1 back to the low
    early = (norms[0] / norms[low]) ** (1 / low)  # per step, from the low back to t = 1
    # the step from h_t back to h_(t-1) goes through the slope at t (index t - 1)
    slope_late, slope_early = fmean(carry[low + 1:]), fmean(carry[1:low + 1])
    text += (f". After training it is {'U-shaped' if _u_shaped(norms) else 'lowest inside the sequence'}: going "
             f"back, it is multiplied on average by {num(late)} per step "
             f"from t = {T - 1} to t = {low + 1}, where the mean tanh slope $1 - h^2$ is {num(slope_late)}, and by "
             f"{gain(early)} per step from there to t = 1, where it is {num(slope_early)}, so that {ratio}.")
    if early > 1 and w:
        reason = (f"as no slope exceeds one, a gain above one needs $W_{{hh}}$ to amplify (its spectral norm is "
                  f"{num(w)} after training)")
        text += (f" The less saturated first steps let more of the gradient through, and {reason}."
                 if slope_early > slope_late else f" {capitalised(reason)}.")
    return text + _failed_rnn_text(flows, T)


FLOOR = 2  # steps whose gradient lies within this factor of its lowest form the U's floor


def _plateau(norms: list[float], low: int) -> tuple[int, int]:
    """The indices (first, last) of the run of steps around ``low`` whose norm stays within FLOOR of the lowest."""
    first = last = low
    while first > 0 and norms[first - 1] <= FLOOR * norms[low]:
        first -= 1
    while last < len(norms) - 1 and norms[last + 1] <= FLOOR * norms[low]:
        last += 1
    return first, last


def _floor_text(norms: list[float], carry: list[float], w: float | None, first: int, last: int, ratio: str) -> str:
    """A trained RNN's U with a floor, part by part as the figure shows it: the fall from t = T-1 to the floor,
    the floor (with the mean tanh slope there) and the rise over the first steps (with the slopes there). The step
    from h_t back to h_(t-1) goes through the slope at t (index t - 1). Where the gradient's change per step across
    the floor is well above what the spectral norm of W_hh allows with every unit at the floor's mean slope, it must
    run through units whose slopes lie above the mean, and the text says so; it infers nothing the numbers do not
    bound."""
    T = len(norms) + 1
    level = (norms[first] / norms[last]) ** (1 / max(1, last - first))  # per step across the floor
    slope_floor, slope_rise = fmean(carry[first + 1:last + 1]), fmean(carry[1:first + 1])
    fall = (f"it falls by {_factor(norms[last] / norms[-1])} from t = {T - 1} to t = {last + 1} and then stays "
            f"within a factor of {FLOOR} of its lowest" if last < len(norms) - 1 else
            f"it stays within a factor of {FLOOR} of its lowest from t = {T - 1}")
    rise = (f" Over the first {plural(first, 'step')}, where the slopes average {num(slope_rise)}, it grows again by "
            f"{_factor(norms[0] / norms[first])}." if first > 0 else "")
    shape = "U-shaped" if _u_shaped(norms) else "flat over most steps and rises only towards t = 1"
    text = (f". After training it is {shape}. Going back, {fall} down to t = {first + 1}: this is the floor, "
            f"where the mean tanh slope $1 - h^2$ is only {num(slope_floor)}.{rise} In all, {ratio}.")
    # the largest gain per step if every unit had the floor's mean slope, from the two values as printed
    bound = shown(w or 0) * shown(slope_floor)
    if w and level > 1.5 * bound:
        text += (f" Across the floor the gradient changes by a factor of {num(level)} per step. If every unit had the "
                 f"mean slope, the spectral norm of $W_{{hh}}$ ({num(w)}) would allow at most {num(bound)}, so the "
                 "gradient must run through the units that are least saturated.")
        text += (" Where the slopes rise towards one in the first steps, the same weights make it grow."
                 if first > 0 and slope_rise > slope_floor else "")
    return text


def _failed_rnn_text(flows: dict, T: int) -> str:
    """The profile of an RNN seed that failed, against the one that learned; empty when there is none."""
    trained, failed = flows["trained"]["rnn"], flows.get("failed", {}).get("rnn")
    if not failed:
        return ""
    return (f" In a seed that failed at this length, the trained gradient at t = 1 is "
            f"{times(gradient_ratio(failed))} that at t = {T - 1}, "
            + ("less than in the seed that learned, so the first step matters less to its loss." if
               gradient_ratio(failed) < gradient_ratio(trained) else
               "no less than in the seed that learned, so the gradient that reaches the first step does not tell the "
               "two seeds apart."))


def lstm_gradient_text(flows: dict, T: int) -> str:
    """The LSTMs' gradients at initialisation and after training, against the forget gates that carry them."""
    sentences = []
    for model in (m for m in flows["trained"] if _is_lstm(m)):
        init, trained = flows["init"][model], flows["trained"][model]
        r_init = gradient_ratio(init)
        text = f"In the {label(model)}, t = 1 receives {sci(r_init)} of the gradient at t = {T - 1} before training"
        expected = fmean(init["carry"]) ** (T - 2)  # what the cell path alone passes at the mean initial gate
        if 1 / 3 < r_init / expected < 3:
            text += f", close to the cell path's $\\bar f^{{T-2}}$ = {sci(expected)} at the mean initial gate"
        elif r_init > expected:
            text += (f", more than the cell path's $\\bar f^{{T-2}}$ = {sci(expected)} at the mean initial gate, the "
                     "rest through $h$")
        text += (f". After training, its gradient on $h$ "
                 + (f"is U-shaped, lowest at t = {_lowest(trained['norms']) + 1}." if "cell_norms" in trained and
                    _u_shaped(trained["norms"]) else f"{shape_sentence(trained['norms'])}."))
        sentences.append(text)
    lstms = [m for m in flows["trained"] if _is_lstm(m)]
    cells = [m for m in lstms if "cell_norms" in flows["trained"][m] and "cell_norms" in flows["init"][m]]
    if cells:  # a paragraph of its own: the cell's path, after h's
        return " ".join(sentences) + "\n\n" + cell_text(flows, cells, T)
    elif any(_u_shaped(flows["trained"][m]["norms"]) for m in lstms):
        sentences.append("The figure measures the gradient on $h^{(t)}$. From the loss, a route to the first steps "
                         "runs along the cell path (5) and reaches $h^{(1)}$ through the gates of the step after it, "
                         "without passing through the $h$ of the middle steps; a low floor in the middle of the "
                         "profile therefore does not mean that the first step is cut off.")
    return " ".join(sentences)


def cell_text(flows: dict, models: list[str], T: int) -> str:
    """The gradient on the LSTMs' cells (``cell_norms``) at t = 1 against the last step, with the initial weights
    and after training, and what it says about a gradient on h that sinks in the middle."""
    shares = listed([f"{times(cell_ratio(flows['trained'][m]))} its value at t = {T - 1} in the {label(m)} "
                     f"({times(cell_ratio(flows['init'][m]))} before training)" for m in models])
    flat = all(cell_ratio(flows["trained"][m]) > 1 / 3 for m in models)
    opened = all(cell_ratio(flows["init"][m]) < cell_ratio(flows["trained"][m]) / 3 for m in models)
    text = (f"The gradient on the cell, $\\lVert\\partial\\mathcal L/\\partial c^{{(t)}}\\rVert$ (dash-dotted), "
            f"shows the cell path (5) at work: after training it reaches t = 1 at {shares}. ")
    if flat:
        text += ("Training has opened a path along which the gradient hardly shrinks" if opened else
                 "After training the cell carries the gradient back with little loss")
        text += ("; where the gradient on $h^{(t)}$ sinks in the middle steps, the cell carries it past them, so the "
                 "first step is not cut off." if any(_u_shaped(flows["trained"][m]["norms"]) for m in models) else ".")
    else:
        text += "Even on the cell the gradient still shrinks over the steps after training."
    return text + _cell_inflow_text(flows, models, T)


def _cell_inflow_text(flows: dict, models: list[str], T: int) -> str:
    """Where, with the initial weights, the cell's gradient at t = 1 exceeds what the forget gates alone could
    carry back to it (no unit's product of gates, ``kept``, is larger): the rest came in through h at every step,
    the first term of ``cell_gradients``. Empty where the gates account for it."""
    fed = [(m, cell_ratio(flows["init"][m]), max(flows["init"][m]["kept"])) for m in models
           if flows["init"][m].get("kept")]
    fed = [(m, share, most) for m, share, most in fed if share > 3 * most]
    if not fed:
        return ""
    said = listed([f"{times(share / most)} what its forget gates alone could carry there in the {label(m)} (no "
                   f"unit's gates, multiplied from t = 2 to {T - 1}, keep more than {sci(most)})" for m, share, most in fed])
    return (f" With the initial weights, the cell's gradient at t = 1 is {said}. The rest enters the cell through (6) "
            "at every step: $\\partial\\mathcal L/\\partial c^{(t)} = \\partial\\mathcal L/\\partial h^{(t)} \\odot "
            "o^{(t)} \\odot (1 - \\tanh^2 c^{(t)}) + \\partial\\mathcal L/\\partial c^{(t+1)} \\odot f^{(t+1)}$ takes in the "
            "gradient on $h^{(t)}$ besides what the next cell passes back, so before training the cell is fed through "
            "$h$ rather than carrying the gradient itself.")



def kept_text(flows: dict, T: int) -> str:
    """Per LSTM, how many units keep half of what they held at t = 1 until the last step, before and after
    training, and, when the mean gate would predict none, that the mean hides them."""
    sentences, hidden = [], []
    for model in (m for m in flows["trained"] if _is_lstm(m) and "kept" in flows["trained"][m]):
        init, trained = flows["init"][model], flows["trained"][model]
        power = fmean(trained["carry"]) ** (T - 2)
        sentences.append((f"{kept_units(trained)} of {len(trained['kept'])} units of the {label(model)}",
                          str(kept_units(init))))
        if kept_units(trained) and power < 0.5:
            hidden.append(f"{sci(power)} for the {label(model)}")
    if not sentences:
        return ""
    before = [count for _, count in sentences]
    text = (f"After training, {listed([now for now, _ in sentences])} keep at least half of what they held at t = 1 "
            f"until t = {T - 1} ($\\prod_t f_t \\geq 1/2$); "
            + ("before training, none did." if not any(map(int, before)) else
               f"before training, {listed(before)} did, in the same order."))
    if hidden:
        text += (f" The mean gate hides these units: after training its power $\\bar f^{{T-2}}$ ({listed(hidden)}) "
                 "would predict that no unit keeps half.")
    return text


SIGNIFICANT = 0.05  # a two-sided p-value below this calls a difference between two models' seeds real


def permutation_p(strata: list[tuple[list[float], list[float]]], resamples: int = 20_000, seed: int = 0) -> float:
    """Two-sided p-value of a permutation test of ``sum over strata of (mean of a - mean of b)``: how often
    relabelling the runs at random *within each stratum* (here, each length T) gives a sum at least as far from
    zero. ``strata`` holds (accuracies of a, accuracies of b) per stratum; ``resamples`` random relabellings
    from a fixed seed make it repeatable. Pooling the lengths this way tests one question, is a better than b
    at these lengths, with the power of all their seeds, while a length's own difficulty cancels out."""
    rng = np.random.default_rng(seed)
    observed, permuted = 0.0, np.zeros(resamples)
    for a, b in strata:
        pooled = np.array(a + b, dtype=float)
        observed += pooled[:len(a)].mean() - pooled[len(a):].mean()
        shuffled = rng.permuted(np.tile(pooled, (resamples, 1)), axis=1)  # (resamples, runs)
        permuted += shuffled[:, :len(a)].mean(axis=1) - shuffled[:, len(a):].mean(axis=1)
    extreme = np.count_nonzero(np.abs(permuted) >= abs(observed) - 1e-12)
    return float((1 + extreme) / (1 + resamples))


def contest(records: list[dict], a: str, b: str) -> dict:
    """Model ``a`` against model ``b``: at each length where either failed a seed, the seeds of each that
    learned, their mean test accuracies and the p-value of ``permutation_p``; and over every length of the
    sweep together, the same test with the seeds shuffled within each length (a length where both learned
    everywhere adds little to it). ``winner`` names the better model where that p < SIGNIFICANT, else None; no
    lengths and no winner where both learned everywhere."""
    runs_a, runs_b = _by_length(records, a), _by_length(records, b)
    rows, strata = [], []
    for T in (T for T in runs_a if T in runs_b):
        x, y = ([r["test_accuracy"] for r in runs] for runs in (runs_a[T], runs_b[T]))
        strata.append((x, y))  # every length, so that the pooled test picks none after the results
        if _learned_everywhere(runs_a[T]) and _learned_everywhere(runs_b[T]):
            continue
        rows.append(dict(T=T, learned=(sum(map(learned, runs_a[T])), sum(map(learned, runs_b[T]))),
                         seeds=(len(x), len(y)), mean=(fmean(x), fmean(y)), p=permutation_p([(x, y)])))
    p = permutation_p(strata) if rows else 1.0
    ahead = sum(fmean(x) - fmean(y) for x, y in strata)
    return dict(lengths=rows, p=p, winner=(a if ahead > 0 else b) if p < SIGNIFICANT else None,
                learned=tuple(sum(row["learned"][i] for row in rows) for i in (0, 1)),
                seeds=tuple(sum(row["seeds"][i] for row in rows) for i in (0, 1)))


def holm(ps: list[float]) -> list[float]:
    """Holm's step-down adjustment of ``ps`` (Holm, 1979), in their order: the k-th smallest is multiplied by
    (m - k + 1) and kept at least as large as those below it, so rejecting where an adjusted p < alpha holds the
    chance of any false rejection among the m tests at alpha."""
    adjusted, running = [0.0] * len(ps), 0.0
    for k, i in enumerate(sorted(range(len(ps)), key=ps.__getitem__)):
        running = max(running, min(1.0, (len(ps) - k) * ps[i]))
        adjusted[i] = running
    return adjusted


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def plain_lstm_verdict(records: list[dict], cite: str = "") -> str:
    """The zero-bias LSTM against the vanilla RNN at the lengths where either failed a seed, per length and
    pooled (``contest``), and what the pooled test says, the lengths on their own after Holm's correction (``cite``
    names it); empty when both learned everywhere or either is missing."""
    if not set(COMPARED) <= set(_models(records)):
        return ""
    result = contest(records, "lstm", "rnn")
    rows = result["lengths"]
    if not rows:
        return ""
    clauses = listed([f"at T = {row['T']} " + (
        f"the zero-bias LSTM learned from {row['learned'][0]} of {row['seeds'][0]} seeds and the vanilla RNN from "
        f"{row['learned'][1]} of {row['seeds'][1]} (mean test accuracy " if i == 0 else
        f"from {row['learned'][0]} of {row['seeds'][0]} against {row['learned'][1]} of {row['seeds'][1]} (")
        + f"{pct(row['mean'][0])} against {pct(row['mean'][1])}, {_p(row['p'])})" for i, row in enumerate(rows)])
    text = (f"This is the comparison the assignment asks for: the LSTM of equations (1) to (8) against the "
            f"vanilla RNN. At the lengths where either model failed on at least one seed, {clauses}; pooled over "
            f"every length of the sweep, {_p(result['p'])}. Each p is that of a two-sided permutation test: how "
            "often relabelling the two models' runs at random (within each length, when pooled) gives a difference "
            "of mean test accuracy as large.")
    if not result["winner"]:
        return text + (f" As the pooled p is not below {SIGNIFICANT:g}, on these seeds and this budget the run does "
                       "not settle which of the two remembers better.")
    # over the lengths the text names, where either model failed; a length where both always learn adds no test
    adjusted = holm([row["p"] for row in rows])
    alone = [(row["T"], p) for row, p in zip(rows, adjusted) if p < SIGNIFICANT]
    corrected = f" after the correction of {cite or 'Holm'} for testing {len(rows)} lengths" if len(rows) > 1 else ""
    if alone:
        adjusted_ps = f" (adjusted {listed([_p(p) for _, p in alone])})" if corrected else ""
        alone_text = (f"at T = {listed([str(T) for T, _ in alone])} the difference is significant on its own at the "
                      f"{pct(SIGNIFICANT, 0)} level{corrected}{adjusted_ps}.")
    else:
        alone_text = f"no single length reaches p < {SIGNIFICANT:g} on its own{corrected}."
    return text + (f" So, pooled over the lengths, the {label(result['winner'])} remembered better, on this budget and "
                   f"each model at its chosen rate; {alone_text}")


def profiled_seeds(metrics: dict) -> str:
    """'seed 1 of the vanilla RNN, seed 0 of the others': the run of each model that the gradient flow profiles."""
    runs = runs_of(metrics, "gradient")
    seeds = {r["seed"] for r in runs}
    if len(seeds) == 1:
        return f"seed {seeds.pop()}"
    common = max(seeds, key=lambda seed: sum(r["seed"] == seed for r in runs))
    return listed([f"seed {r['seed']} of the {label(r['model'])}" for r in runs if r["seed"] != common]
                  + [f"seed {common} of the {'other' if sum(r['seed'] == common for r in runs) == 1 else 'others'}"])


def gradient_runs_sentence(metrics: dict) -> str:
    """Which model's profile comes from a seed that did not learn (no seed of it learned the profiled T); and,
    where a model passes far more of the gradient to t = 1 than another yet ended lower, that a large share is
    not enough. Figure 4's caption names the seeds."""
    flows = metrics["gradient_flow"]
    runs = {r["model"]: r for r in runs_of(metrics, "gradient")}
    models = [m for m in flows["trained"] if m in runs]
    if not models:
        return ""
    accuracy = {m: runs[m]["test_accuracy"] for m in models}
    share = {m: gradient_ratio(flows["trained"][m]) for m in models}
    fallback = [label(m) for m in models if accuracy[m] < LEARNED]
    text = (f"No seed of the {listed(fallback)} learned T = {runs[models[0]]['seq_length']}, so its trained profile "
            "is that of its first seed." if fallback else "")
    against = [(a, b) for a in models for b in models if share[a] > 10 * share[b] and accuracy[a] + 0.05 < accuracy[b]]
    if against:
        text += (" A larger share is not enough to learn: " + listed(
            [f"the {label(a)} passes {_factor(share[a] / share[b]).removeprefix('a factor of about ')} times more "
             f"of the gradient to t = 1 than the {label(b)}, yet ended lower" for a, b in against]) +
            ". The share measures how strongly the loss reacts to the first step; it does not say whether training "
            "has found weights that write the first digit into the state and keep it there.")
    return text


def shared_rate_sentence(metrics: dict, winner: str, loser: str) -> str:
    """How the winner did in the learning-rate study at the loser's chosen rate, beside the loser there: the
    comparison holds for each model at its own rate, and this says what one shared rate would have given.
    Empty when both chose the same rate or the winner never tried the loser's."""
    chosen, study = metrics.get("chosen_rates", {}), runs_of(metrics, "lr_study")
    if winner not in chosen or loser not in chosen or chosen[winner]["rate"] == chosen[loser]["rate"]:
        return ""
    rate = chosen[loser]["rate"]
    at = {m: _mean_validation(study, m).get(rate) for m in (winner, loser)}
    if at[winner] is None or at[loser] is None:
        return ""
    T = listed([str(t) for t in sorted({r["seq_length"] for r in study})])
    return (f" At the {label(loser)}'s rate ({rate:g}), the {label(winner)} did "
            + ("worse" if at[winner] < at[loser] else "as well or better")
            + f" in the learning-rate study ({pct(at[winner])} against {pct(at[loser])} mean validation accuracy at "
            f"T = {T}), so the result does not extend to one rate shared by both.")


def long_outcome(T: int, runs: list[dict]) -> str:
    """The long-memory runs at ``T`` in one clause of who learned: 'At T = 100 only the chrono LSTM learned
    (one seed each).'"""
    won = [f"the {label(r['model'])}" for r in runs if learned(r)]
    each = " (one seed each)" if len(runs) > 1 and max(Counter(r["model"] for r in runs).values()) == 1 else ""
    if not won:
        return f"At T = {T} no model learned{each}."
    if len(won) == len(runs):
        return f"At T = {T} every run learned{each}."
    return f"At T = {T} only {listed(won)} learned{each}."


def conclusion_text(metrics: dict) -> str:
    """Part I in a few sentences, each chosen by the numbers: how far the LSTM of the equations (every bias
    zero) remembered against the vanilla RNN within the budget, the gradient measurement beside it, and then,
    as a separate change, what chrono initialisation added."""
    sweep, flows = main_sweep(metrics), metrics["gradient_flow"]
    reach = {m: largest_learned(_by_length(sweep, m)) or 0 for m in _models(sweep)}
    where = lambda m: f"T = {reach[m]}" if reach[m] else "no length"  # noqa: E731
    steps = metrics["parameters"]["max_steps"]
    lstm = "lstm" if "lstm" in reach else max((m for m in reach if m != "rnn"), key=reach.get, default=None)
    if lstm is None or "rnn" not in reach:
        return f"Within a budget of {steps:,} steps every seed learned up to {where(next(iter(reach)))}."
    result = contest(sweep, lstm, "rnn")
    winner, lengths = result["winner"], listed([str(row["T"]) for row in result["lengths"]])
    reached = (f"every seed of the {label(lstm)} learned up to {where(lstm)} and every seed of the vanilla RNN up "
               f"to {where('rnn')}")
    seen = share_seen_in_training(reach["rnn"], steps * metrics["parameters"]["batch_size"]) if reach["rnn"] else 0
    if seen > 0.01:  # the RNN's reach is a length whose held-out palindromes training meets (held_out_sentence)
        reached += f", a length where training meets {pct(seen, 0)} of the held-out palindromes"
    if winner:
        first, second = (0, 1) if winner == lstm else (1, 0)
        text = (f"Within a budget of {steps:,} steps, the {label(winner)} remembered the first digit better than the "
                f"{label('rnn' if winner == lstm else lstm)}, each at the rate that the validation set chose for it. "
                f"At T = {lengths}, where either failed on at least one seed, "
                f"{result['learned'][first]} of its {result['seeds'][first]} runs learned against "
                f"{result['learned'][second]} of {result['seeds'][second]} (permutation test over every length, "
                f"{_p(result['p'])}). {capitalised(reached)}.")
    elif result["lengths"]:
        text = (f"Within a budget of {steps:,} steps this run does not settle whether the {label(lstm)} remembers "
                f"further than the vanilla RNN: {reached}, but at T = {lengths}, where either failed on at least "
                f"one seed, the difference of their test accuracies is within what the spread between seeds allows "
                f"({_p(result['p'])}).")
    else:
        text = f"Within a budget of {steps:,} steps {reached}."
    init = starting_shares(flows)
    trained, initial = flows["trained"].get(lstm, {}), flows.get("init", {}).get(lstm, {})
    if winner == lstm and lstm in init and "rnn" in init and init[lstm] <= init["rnn"]:
        over = ", the medians over their seeds" if flows.get("seeds") else ", in the profiled runs"
        text += (f" The gradient that reaches the first hidden state at the start does not explain the difference: "
                 f"with the initial weights $h^{{(1)}}$ receives {sci(init[lstm])} of the last step's gradient in the "
                 f"{label(lstm)} against "
                 f"{sci(init['rnn'])} in the RNN{over}.")
        if "kept" in trained and "kept" in initial and kept_units(trained) > kept_units(initial):
            text += (f" Training changed the cell path (5) instead: in the profiled run, {kept_units(trained)} of "
                     f"{len(trained['kept'])} units came to keep at least half of their cell from the first step to "
                     f"the last ({kept_units(initial)} before training)"
                     + (f", and the cell's gradient reached the first step at {times(cell_ratio(trained))} its last "
                        f"value ({times(cell_ratio(initial))} before)."
                        if "cell_norms" in trained and "cell_norms" in initial else "."))
    if lstm == "lstm" and "lstm-chrono" in reach:
        chrono = reach["lstm-chrono"]
        text += (" Chrono initialisation changes only the starting biases of the same equations; "
                 + (f"it took every seed to {where('lstm-chrono')}." if chrono > reach["lstm"] else
                    f"on the sweep's lengths every seed of both learned up to {where('lstm-chrono')}, so the sweep "
                    "does not tell them apart." if chrono == reach["lstm"] else
                    f"with it {failed_lengths(_by_length(sweep, 'lstm-chrono'))}."))
    for (T,), runs in sorted(_group(runs_of(metrics, "long"), ("seq_length",)).items()):
        text += " " + long_outcome(T, runs)
    return text


# ---------------------------------------------------------------- the rest of Part I

def held_out_sentence(metrics: dict) -> str:
    p = metrics["parameters"]
    draws = p["max_steps"] * p["batch_size"]
    seen = [T for T in p["seq_lengths"] if share_seen_in_training(T, draws) > 0.01]
    if not seen:
        return ("At every length there are so many palindromes that the held-out sets are, in effect, unseen in "
                "training.")
    shares = listed([f"{pct(share_seen_in_training(T, draws))} at T = {T}" for T in seen])
    unseen = [T for T in p["seq_lengths"] if T not in seen]
    return (f"A palindrome of length $T$ is fixed by its first $\\lceil T/2 \\rceil$ digits, so there are only "
            f"{distinct_palindromes(seen[0]):,} of length {seen[0]}. Training draws from all palindromes, the held-out "
            f"ones included: in a full budget of {draws:,} draws a run is expected to meet {shares} of the held-out "
            "palindromes (fewer if it stops early). At "
            + ("that length" if len(seen) == 1 else "those lengths")
            + " the held-out accuracy therefore measures, at least in part, recall of seen palindromes rather than "
            f"generalisation; at T = {seen[0]} the validation and test sets also share about "
            f"{pct(share_seen_in_training(seen[0], 1000), 0)} of their palindromes."
            + (f" Memory is judged at T = {listed([str(T) for T in unseen])}, where training almost never draws a "
               "held-out palindrome." if unseen else ""))


def agreement_table(rows: list[dict]) -> pd.DataFrame:
    """``lib.recurrent_measure.torch_agreement`` as a table: per model and path, the largest differences over
    the lengths measured."""
    table = []
    for key, group in _group(rows, ("model", "path")).items():
        table.append({"model": {"lstm": "LSTM", "rnn": "vanilla RNN"}[key[0]], "path": key[1],
                      "largest difference, logits": f"{max(r['output'] for r in group):.1e}",
                      "largest difference, gradients": f"{max(r['gradient'] for r in group):.1e}"})
    return pd.DataFrame(table)


def agreement_sentence(rows: list[dict], where: str = "") -> str:
    """The agreement with torch.nn.LSTM and torch.nn.RNN in one sentence, said as measured; ``where`` names the
    table that shows it ('Table 1')."""
    worst_out, worst_grad = max(r["output"] for r in rows), max(r["gradient"] for r in rows)
    lengths = sorted({r["seq_length"] for r in rows})
    verdict = ("differences at the level of float32 rounding, so both paths compute the same functions and "
               "gradients as PyTorch's layers" if max(worst_out, worst_grad) < 1e-5 else
               "differences larger than rounding, so the paths and PyTorch disagree")
    return (f"Given the weights of `torch.nn.LSTM` and `torch.nn.RNN`, both paths of both models give logits within "
            f"{sci(worst_out)} of PyTorch's and gradients within {sci(worst_grad)}, on a batch of validation "
            f"palindromes at T = {listed(lengths)}: {verdict}{f' ({where})' if where else ''}.")


def _symbol(name: str) -> str:
    """A parameter's name as the equations write it: 'W_ph' -> 'W_{ph}'."""
    letter, _, index = name.partition("_")
    return f"{letter}_{{{index}}}" if index else letter


OUTPUT_LAYER = ("W_ph", "b_p")  # (7), the same in every model: the caption names it once


def _tensor(name: str, p: torch.Tensor) -> str:
    """'$W_{hh}$ 128 × 128', with no-break spaces: a line may break between tensors, not inside one."""
    return f"${_symbol(name)}$\u00a0{chr(0xa0).join(' × '.join(map(str, p.shape)).split())}"


def output_layer_text(hidden_dim: int) -> str:
    """The output layer (7) that every model of ``models_table`` shares, in the table's notation."""
    net = build_model("rnn", seq_length=5, input_dim=10, hidden_dim=hidden_dim, output_dim=10)
    return " and ".join(_tensor(name, p) for name, p in net.named_parameters() if name in OUTPUT_LAYER)


def models_table(hidden_dim: int, input_dim: int, models: list[str]) -> pd.DataFrame:
    """Each model's recurrent parameter tensors (the output layer aside), their shapes, and the count of all its
    parameters, for the sweep's sizes."""
    rows = []
    for model in models:
        net = build_model(model, seq_length=5, input_dim=input_dim, hidden_dim=hidden_dim, output_dim=10)
        tensors = ", ".join(_tensor(name, p) for name, p in net.named_parameters() if name not in OUTPUT_LAYER)
        rows.append({"model": label(model), "recurrent tensors (shape)": tensors,
                     "parameters": f"{sum(p.numel() for p in net.parameters()):,}",
                     "initialisation": MODELS[model].init})
    return pd.DataFrame(rows)


def extra_seeds_text(p: dict) -> str:
    """'6 for the vanilla RNN and the zero-bias LSTM at T = 20 and 30', from notebook 01's parameters; empty when
    the sweep trained no extra seeds (``lib.sweeps.Design.sweep``)."""
    lengths = [T for T in p.get("extra_seed_lengths", []) if T in p["seq_lengths"]]
    if not p.get("extra_seeds") or not lengths or not set(COMPARED) <= set(p["models"]):
        return ""
    return (f"{len(p['seeds']) + len(p['extra_seeds'])} for the vanilla RNN and the zero-bias LSTM at T = "
            f"{listed(lengths)}")


def early_stop_rule(metrics: dict) -> str:
    """'99% validation accuracy at two evaluations in a row': the sweep's stopping rule, from its runs."""
    run = main_sweep(metrics)[0]
    return (f"{pct(run['target_accuracy'], 0)} validation accuracy at "
            + ("one evaluation" if run["patience"] == 1 else f"{words(run['patience'])} evaluations in a row"))


def held_out_sizes() -> str:
    """'1,000 palindromes each': the sizes of the validation and test sets (``RecurrentConfig``'s)."""
    v, t = RecurrentConfig.validation_size, RecurrentConfig.test_size
    return f"{v:,} palindromes each" if v == t else f"{v:,} and {t:,} palindromes"


def settings_table(metrics: dict) -> pd.DataFrame:
    p, chosen, check = metrics["parameters"], metrics["chosen_rates"], runs_of(metrics, "check")
    past = sorted({r["lr"] for r in runs_of(metrics, "lr_study")} - set(p["study_rates"]))
    study = (f"{listed([f'{r:g}' for r in p['study_rates']])} at T = {listed(p['study_lengths'])}"
             + (f", and {listed([f'{r:g}' for r in past])} past the grid's edge" if past else "")
             + ", chosen by mean validation accuracy" if p["study_rates"] else "none")
    settings = {
        "lengths T of the sweep": listed(p["seq_lengths"]),
        "seeds per length": str(len(p["seeds"])) + (f"; {extra_seeds_text(p)}" if extra_seeds_text(p) else ""),
        "input encoding": listed([ENCODING_WORDS[e] for e in p["encodings"]]),
        "hidden units, batch size": f"{p['hidden_dim']}, {p['batch_size']}",
        "optimiser": f"RMSProp (smoothing {p['rmsprop_alpha']:g}), gradient norm clipped at {p['max_norm']:g}",
        "learning rates tried": study,
        "learning rate used": listed([f"{label(m)} {c['rate']:g}" for m, c in chosen.items()]),
        "step budget": f"{p['max_steps']:,} steps at every T"
                       + (", the long-memory runs included" if p["long_max_steps"] == p["max_steps"] else
                          f"; the long-memory runs {p['long_max_steps']:,}")
                       + (f"; {max(r['max_steps'] for r in check):,} for the check at T = {check[0]['seq_length']}"
                          if check else "")
                       + (f"; the {listed([label(m) for m in p['budget_models']])} again at T = "
                          f"{listed(p['budget_seq_lengths'])} on {p['budget_max_steps']:,}"
                          + (f", and with {p['budget_hidden_dim']} units on {p['max_steps']:,}"
                             if p.get("budget_hidden_dim") else "") if p.get("budget_models") else ""),
        "long-memory runs": (f"T = {listed(p['long_seq_lengths'])}, {plural(len(p['long_seeds']), 'seed')}: the "
                             f"{listed([label(m) for m in p['long_models']])}") if p["long_models"] else "none",
        "early stop": f"{early_stop_rule(metrics)}, evaluated every {p['eval_every']} steps",
        "training time": f"{sum(r['wall_seconds'] for r in metrics['runs']) / 60:.1f} min summed over the "
                         f"{len(metrics['runs'])} runs (wall clock, on CPU)",
        "validation and test sets": f"{held_out_sizes()}, fixed per T, drawn from separate streams",
    }
    return pd.DataFrame(settings.items(), columns=["setting", "value"])


def demo_run(records: list[dict], seed: int) -> dict:
    """The run the notebook's widget loads: the chrono LSTM (else the first LSTM-like model) at the largest T it
    learned from ``seed``, or its largest T."""
    model = "lstm-chrono" if any(r["model"] == "lstm-chrono" for r in records) else records[0]["model"]
    runs = [r for r in records if r["model"] == model and r["seed"] == seed]
    return max([r for r in runs if learned(r)] or runs, key=lambda r: r["seq_length"])


def summary(metrics: dict) -> str:
    """Part I's results in brief, as Markdown bullets (notebook 01's last cell, the README)."""
    p = metrics["parameters"]
    lines = [f"**{headline(main_sweep(metrics))}**", ""]
    for encoding in sorted({r["encoding"] for r in runs_of(metrics, "check")}):
        runs = [r for r in runs_of(metrics, "check") if r["encoding"] == encoding]
        accs = [r["test_accuracy"] for r in runs]
        lines.append(f"- **T = 5, the LSTM with the course's defaults, {ENCODING_WORDS[encoding]} input**: test accuracy "
                     f"{pct_span(accs, alike='{} on every one of', span='{} over')} {plural(len(runs), 'seed')}, "
                     "after at most "
                     f"{max(r['steps'] for r in runs):,} steps.")
    lines.append(f"- **Learning rates**: {rate_choice_text(runs_of(metrics, 'lr_study'), metrics['chosen_rates'], p['study_rates'])}")
    lines.append(f"- **Sweep**: {ENCODING_WORDS[p['encodings'][0]]} input; every run may take {p['max_steps']:,} "
                 f"steps at every T and stops once it has learned.")
    if verdict := plain_lstm_verdict(main_sweep(metrics)):
        lines.append(f"- **Zero-bias LSTM against vanilla RNN**: {verdict}")
    for r in runs_of(metrics, "long"):
        reached = f"reached 99% at step {r['steps_to_99']:,}" if r["steps_to_99"] else "never reached 99%"
        start = f", started from the T = {r['init_from_length']} run" if r.get("init_from_length") else ""
        lines.append(f"- **{label(r['model'])} at T = {r['seq_length']}** (seed {r['seed']}{start}): test accuracy "
                     f"{pct(r['test_accuracy'])} after {r['steps']:,} steps; it {reached} "
                     f"({r['wall_seconds'] / 60:.1f} min).")
    flows = metrics["gradient_flow"]
    lines.append(f"- **Gradient reaching t = 1 relative to t = T-1** at T = {flows['seq_length']}, after training: "
                 + ", ".join(f"{label(m)} {sci(gradient_ratio(f))}" for m, f in flows["trained"].items()) + ".")
    lines.append(f"- Training time summed over the {len(metrics['runs'])} runs: "
                 f"{sum(r['wall_seconds'] for r in metrics['runs']) / 60:.1f} min; this execution of the notebook "
                 f"took {metrics['notebook_seconds'] / 60:.1f} min (finished runs are reused).")
    return "\n".join(lines)
