"""Run folders: one per distinct configuration, reused when finished, resumed when interrupted, and marked
with the code that trained and measured them.

A run's *identity* is its configuration: ``run_dir(root, name, config)`` is ``root/name-<hash>``, so a
rerun with the same parameters finds the finished run. Every field of a configuration class is declared
in exactly one of three tuples, and ``identity`` refuses a class where one is not:

* ``IDENTITY``: fields that change what is computed;
* ``ADDED``: fields added after runs existed; left out of the identity while they hold their default, so
  the runs trained before them keep their folders;
* ``NOT_IDENTITY``: fields that change where or how often, not what (paths, checkpoint intervals).

A run's *code* is recorded beside its result: a fingerprint per source file that trains it and per file
that measures it (``fingerprints``; comments, docstrings and layout do not count). A finished run whose
measuring code has changed is measured again from its checkpoint, without training; one whose training
code has changed is reused as it is and says so (``code_changes``), until it is retrained with ``force``.
"""
from __future__ import annotations

import ast
import dataclasses
import hashlib
import inspect
import json
import os
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

from .files import load_json, project_path, shown_path


def identity(config: Any) -> dict:
    """The fields of ``config`` (a dataclass) that make its identity, as a JSON-ready dict."""
    cls = type(config)
    declared = [*cls.IDENTITY, *getattr(cls, "ADDED", ()), *getattr(cls, "NOT_IDENTITY", ())]
    fields = {f.name: f for f in dataclasses.fields(config)}
    undeclared = sorted(set(fields) - set(declared))
    if undeclared or len(declared) != len(set(declared)) or set(declared) - set(fields):
        raise TypeError(f"{cls.__name__}: every field must be listed once in IDENTITY, ADDED (a field added later: "
                        f"left out of existing runs' identity while at its default) or NOT_IDENTITY; not listed: "
                        f"{undeclared}, listed but no field: {sorted(set(declared) - set(fields))}")
    values = {name: value for name, value in dataclasses.asdict(config).items()
              if name not in getattr(cls, "NOT_IDENTITY", ())}
    for name in getattr(cls, "ADDED", ()):
        if values[name] == fields[name].default or (fields[name].default_factory is not dataclasses.MISSING
                                                    and values[name] == fields[name].default_factory()):
            del values[name]
    return json.loads(json.dumps(values))  # tuples as lists, as they come back from config.json


def run_name(name: str, config: Any) -> str:
    """``name-<hash of identity>``: one folder name per distinct configuration."""
    digest = hashlib.sha256(json.dumps(identity(config), sort_keys=True).encode()).hexdigest()[:10]
    return f"{name}-{digest}"


def run_dir(root: str | os.PathLike, name: str, config: Any) -> Path:
    return project_path(root) / run_name(name, config)


def finished_since(result: Path, since: float) -> bool:
    """Whether the run whose result file is ``result`` finished at or after ``since`` (seconds since the epoch)."""
    return result.exists() and result.stat().st_mtime >= since


def clear_unless_finished_since(folder: Path, result_file: str, retrain_before: float | None) -> None:
    """``force``: delete ``folder`` unless its run finished at or after ``retrain_before``, so that a notebook
    run with force trains each run again once, however many of its sections list it."""
    if retrain_before is not None and folder.exists() and not finished_since(folder / result_file, retrain_before):
        shutil.rmtree(folder)


# ---------------------------------------------------------------- the code that made a run

def _source_fingerprint(module: ModuleType) -> str:
    """A hash of what ``module`` computes: its syntax tree without docstrings, so that comments, docstrings
    and formatting leave it unchanged."""
    tree = ast.parse(inspect.getsource(module))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(tree).encode()).hexdigest()[:12]


def fingerprints(train: tuple[ModuleType, ...], measure: tuple[ModuleType, ...]) -> dict:
    """``{"train": {file: hash}, "measure": {file: hash}}`` for the modules that train and that measure a run."""
    return {part: {shown_path(inspect.getfile(m)): _source_fingerprint(m) for m in modules}
            for part, modules in (("train", train), ("measure", measure))}


def code_changes(recorded: dict | None, current: dict, part: str) -> list[str]:
    """The files of ``part`` ("train" or "measure") whose code differs from what a run recorded (all of
    them for a run that recorded none)."""
    before = (recorded or {}).get(part, {})
    return [file for file, digest in current[part].items() if before.get(file) != digest]


def stale_training_note(name: str, changed: list[str]) -> str:
    return (f"{name}: trained by earlier code ({', '.join(changed)} changed since); reused as it is. "
            f"Retrain with force=True to train it with this code.")


def read_result(folder: Path, result_file: str = "result.json") -> dict | None:
    path = folder / result_file
    return load_json(path) if path.exists() else None
