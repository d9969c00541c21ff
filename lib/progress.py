"""What a person running the project sees while it works.

In JupyterLab a progress bar (tqdm) shows in the notebook. When a notebook runs headless, the runner
(``tools/run_notebook.py``) sets ``ASSIGNMENT3_PROGRESS`` to a file and prints each line written there on
the terminal as it comes: an estimate before the work starts, then units done, running and left with the
time left. Nothing of it enters the executed notebook, so the saved notebooks and the report stay clean.
"""
from __future__ import annotations

import os
import time

from tqdm.auto import tqdm

ENV = "ASSIGNMENT3_PROGRESS"
EVERY = 20.0  # seconds between two progress lines on the terminal


def to_terminal(text: str) -> None:
    """One line on the terminal of a headless run (nothing in JupyterLab)."""
    path = os.environ.get(ENV)
    if path:
        with open(path, "a", encoding="utf-8") as file:
            file.write(text.replace("\n", " ") + "\n")


def say(text: str) -> None:
    """A line for the person running this: in the notebook, and on the terminal of a headless run."""
    print(text, flush=True)
    to_terminal(text)


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 run', '3 runs'."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def minutes(seconds: float) -> str:
    """'40 s', '3.5 min', '1.2 h': a duration as a person reads it."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


class Progress:
    """Progress through ``total`` units of work (runs, steps), each with an expected cost: a bar when
    ``bar``, and every ``EVERY`` seconds a terminal line with the units done, running and left and the
    time left, estimated from the cost done so far (``weight`` of each unit: its expected seconds)."""

    def __init__(self, label: str, total: int, unit: str, bar: bool = False, work: float | None = None,
                 initial: int = 0):
        self.label, self.total, self.unit = label, total, unit
        self.done, self.work = initial, work if work else float(total)
        self.work_done = self.base = float(initial)  # what an earlier session did: not in this one's rate
        self.in_flight, self.latest = 0.0, {}
        self.started = self.last_line = time.monotonic()
        self.bar = tqdm(total=total, initial=initial, desc=label, unit=f" {unit}", mininterval=1.0,
                        leave=False) if bar else None

    def update(self, count: int = 1, weight: float | None = None, running: int | None = None,
               in_flight: float = 0.0, **latest) -> None:
        """``count`` more units done (of expected cost ``weight`` in all); ``in_flight``: the expected cost that
        the units still running have done so far (without it, a long unit that runs beside short ones would
        count for nothing until it ends, and the time left would be overstated); ``latest``: measures to show."""
        self.done += count
        self.work_done += count if weight is None else weight
        self.in_flight = in_flight
        self.latest = dict(self.latest, **latest)
        if self.bar is not None:
            self.bar.update(count)
            if latest:
                self.bar.set_postfix(latest, refresh=False)
        now = time.monotonic()
        if now - self.last_line >= EVERY or (self.done == self.total and now - self.started > 1):
            self.last_line = now
            to_terminal(self.line(running, self.latest))

    def line(self, running: int | None = None, latest: dict | None = None) -> str:
        elapsed = time.monotonic() - self.started
        text = f"{self.label}: {self.done:,}/{self.total:,} {self.unit} done"
        if running:
            text += f", {running} running"
        if latest:
            text += " (" + ", ".join(f"{key} {value}" for key, value in latest.items()) + ")"
        done = self.work_done + self.in_flight
        if self.done < self.total and done > self.base:
            left = elapsed / (done - self.base) * max(self.work - done, 0)
            text += f"; about {minutes(left)} left"
        elif self.done == self.total:
            text += f" in {minutes(elapsed)}"
        return text

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
