"""The benchmark (``make bench``, ``bench/run.py``) in tables and sentences, for the README's speed section."""
from __future__ import annotations

import pandas as pd

from ..recurrent_train import LEARNED
from .document import listed, markdown_table, num, sci


def _minutes(seconds: float) -> str:
    return num(seconds / 60, 1)


def timing(bench: dict) -> str | None:
    """How long the two commands take, for the README's first section; None before `make bench FULL=1`."""
    if "make" not in bench:
        return None
    env, run = bench["environment"], bench["make"]["make all"]
    install = bench.get("environment_seconds")
    text = (f"On {env['cpu']} with {env['cores']} usable cores ({env['date']}), `make all` took "
            f"{_minutes(run['seconds'])} minutes from a fresh output folder"
            + (f", after {install} s installing the environment's packages (the last time `.venv` was built here; "
               "a machine with nothing in its download cache fetches them first)" if install else "") + ".")
    if "make test" in bench:
        text += (f" `make test` took {_minutes(bench['make test']['seconds'])} minutes with the environment built "
                 f"({bench['make test']['summary'].split(' in ')[0]}).")
    return text


def transcript(bench: dict) -> str | None:
    """What the terminal showed during that `make all`, in brief."""
    if "make" not in bench:
        return None
    return "```\n" + "\n".join(bench["make"]["make all"]["transcript"]) + "\n```"


def summary(bench: dict) -> str:
    """The benchmark's results as Markdown."""
    env = bench["environment"]
    lines = [f"Measured on {env['date']}: {env['cpu']}, {env['cores']} usable cores, torch {env['torch']}.", ""]
    notebooks, groups = bench["minutes"]["notebooks"], bench["minutes"]["groups"]
    if notebooks:
        which = "the fresh `make all` below" if "make" in bench else "the last `make all`"
        lines += [f"Where the minutes of {which} went (each notebook's wall time; each group's runs, "
                  "their own summed run time):", "",
                  markdown_table(pd.DataFrame([{"notebook or group": name, "runs": "", "minutes": _minutes(s)}
                                               for name, s in notebooks.items()] +
                                              [{"notebook or group": name, "runs": g["runs"], "minutes": _minutes(g["seconds"])}
                                               for name, g in groups.items()])), ""]
    if "make" in bench:
        lines += ["Wall time from a fresh output folder: " + ", ".join(
            f"`{command}` {_minutes(run['seconds'])} min" for command, run in bench["make"].items()) + ".", ""]
    rows = pd.DataFrame(bench["rows"])[["benchmark", "T", "ours_ms", "reference_ms", "ratio", "ratio_min", "ratio_max"]]
    rows.columns = ["benchmark", "T", "from scratch (ms)", "PyTorch (ms)", "ratio", "min", "max"]
    lines += [f"The from-scratch networks against PyTorch's (`torch.nn.LSTM`/`RNN` plus a linear head), batch "
              f"{bench['rows'][0]['B']}, hidden {bench['rows'][0]['H']}: ratio = from-scratch time / PyTorch time, pair "
              f"by pair over {bench['repeats']} interleaved repeats.", "", markdown_table(rows), ""]
    gan = bench["gan_threads"]
    lines += [f"The GAN's training step (the default recipe) on each thread count, and how far G's weights after "
              f"{gan['steps']} steps lie from those on one thread:", "",
              markdown_table(pd.DataFrame([{"threads": r["threads"], "steps per second": r["steps_per_second"],
                                            "largest weight difference": sci(r['max_weight_difference'])}
                                           for r in gan["rows"]])), ""]
    if "compute" in bench:
        rows = bench["compute"]["rows"]
        lines += [f"How close the training steps come to the core: on one thread, the GFLOP/s of their matrix products "
                  f"(counted by `torch.utils.flop_counter`) against those of one large product ({rows[0]['work']}). "
                  "A step near the product's rate can be made cheaper only by doing less work:", "",
                  markdown_table(pd.DataFrame([{"work": r["work"], "GFLOP per call": num(r["gflops"], 3),
                                                "GFLOP/s": num(r["rate"], 1), "share of the product's rate":
                                                f"{r['share_of_peak']:.0%}"} for r in rows])), ""]
    if rules := bench.get("early_stop_rules"):
        harmless = [f"{r['fraction']:.1%}" for r in rules if not r["cut_then_passed"]]
        verdict = ("Each rule cuts runs that would have gone on to pass it or to learn, so none is used" if not harmless
                   else f"Stopping at {listed(harmless)} of the budget cut no run that would have gone on to pass it")
        lines += ["A futility rule replayed on Part I's finished runs (nothing trained): stop a run whose validation "
                  f"accuracy has not passed {rules[0]['ceiling']:.0%} by a given share of its budget. {verdict}:", "",
                  markdown_table(pd.DataFrame([{"stop at this share of the budget": f"{r['fraction']:.1%}",
                                                "runs cut": f"{r['cut']} of {r['runs']}",
                                                "steps saved": f"{r['steps_saved_share']:.0%}",
                                                "cut, then passed": r["cut_then_passed"],
                                                "cut, then learned": r["cut_then_learned"],
                                                "for example": "; ".join(r["examples"][:2])}
                                               for r in rules])), ""]
    lines += ["The engines that run independent units: " + listed(
        [f"{e['engine']} starts in {e['startup_seconds']} s and costs {e['per_unit_ms']} ms per unit"
         for e in bench["engines"]]) + ".", ""]
    if "workers" in bench:
        w = bench["workers"]
        lines += [f"The same {w['runs']} Part I runs, fresh, on " +
                  listed([f"{r['workers']} worker{'s' * (r['workers'] > 1)} in {r['seconds']} s" for r in w["rows"]]) +
                  f"; every number of every run is {'the same' if w['identical'] else 'NOT the same'} each way.", ""]
    for key, title in (("scaling", "this output root"), ("scaling_full", "the full profile")):
        if bench.get(key):
            s = bench[key]
            lines += [f"Part I's runs of {title} on more workers, on paper ({s['runs']} runs, {s['summed_minutes']} "
                      f"minutes of run time in all, the longest {s['longest_minutes']} min, "
                      f"{s['per_unit_seconds'] * 1e3:.1f} ms of scheduling per run):", "",
                      markdown_table(pd.DataFrame(s["rows"]).rename(columns={
                          "runs_per_hour": "runs per hour", "minutes": "wall minutes"})), ""]
    if "part1_speed" in bench:
        study = pd.DataFrame(bench["part1_speed"]["study"])[["change", "steps_to_99", "seconds_to_99", "ms_per_step"]]
        study["steps_to_99"] = study["steps_to_99"].map(lambda s: "never" if s is None or s != s else int(s))
        cores = bench["part1_speed"]["cores"]
        lines += [f"Part I's speed study: the chrono LSTM at T = 100, one change at a time, one thread, until its first "
                  f"evaluation at {LEARNED:.0%} or 3,000 steps:", "", markdown_table(study), "",
                  f"Sharing the cores: {cores['runs']} runs at T = 50 took {cores['seconds']['processes']:.0f} s as "
                  f"{cores['threads']} single-threaded processes side by side, and {cores['seconds']['threads']:.0f} s "
                  f"one after the other on {cores['threads']} threads."]
    return "\n".join(lines).strip()
