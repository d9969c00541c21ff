"""Run one notebook of the pipeline with papermill, safely; and tell finished, fresh runs from the rest.

    python -m tools.run_notebook 01_lstm --profile default --out outputs [-p NAME VALUE] [-y YAML] [-f FILE] [-r NAME VALUE]

The parameters come from ``params/<profile>/<notebook>.yaml``, then from the options in their order (a
later value wins), read as papermill reads them (``-p`` turns numbers and True/False/None into Python
values, everything else into text; ``-y`` is YAML; ``-r`` is always text); ``output_root`` is ``--out``.
A name that is a parameter of none of the pipeline's notebooks stops the run; one that belongs to another
notebook only (``make all ARGS="-p force True"`` reaches 03 and 04 too) is left out for this one. Every
value is checked against the notebook's declaration (``lib.params``) before a kernel starts.

The notebook runs into a temporary file beside its target. Only a run that papermill completed, every cell
done, replaces ``<out>/<notebook>.ipynb``: a run that fails or is killed never leaves a partial notebook
where Make and the submission would take it for a finished one. A failed run is kept as
``<out>/<notebook>.failed.ipynb`` to be read.
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import yaml

from lib.params import NOTEBOOKS, ParameterError
from lib.runs import PROJECT_ROOT, project_path, usual_mode
from tools.bootstrap import KERNEL

# What each executed notebook reads besides its own source and parameters: the notebooks whose outputs it uses
# (the Makefile declares the same; tests/test_pipeline.py checks that they agree).
UPSTREAM = {"01_lstm": (), "02_gan_train": (), "03_gan_samples": ("02_gan_train",),
            "04_report": ("01_lstm", "02_gan_train", "03_gan_samples")}
assert list(UPSTREAM) == list(NOTEBOOKS)


class Unfinished(Exception):
    """An executed notebook that is missing, failed, interrupted or older than what it reads."""


def read_parameters(options: list[tuple[str, str, str | None]]) -> dict:
    """The params file's values, then each option's ("-p"/"-r", name, value) or ("-y"/"-f", text or path, None)."""
    from papermill.cli import _resolve_type  # how papermill's own -p types a value

    values = {}
    for flag, first, second in options:
        if flag == "-p":
            values[first] = _resolve_type(second)
        elif flag == "-r":
            values[first] = second
        elif flag == "-y":
            values.update(yaml.safe_load(first) or {})
        elif flag == "-f":
            values.update(yaml.safe_load(Path(first).read_text()) or {})
    return values


def parameters_for(name: str, profile: str, out: str, options) -> dict:
    """The parameters of notebook ``name``, checked against its declaration; ParameterError names a bad one."""
    file = PROJECT_ROOT / "params" / profile / f"{name}.yaml"
    if not file.exists():
        profiles = ", ".join(sorted(p.name for p in (PROJECT_ROOT / "params").iterdir()))
        raise ParameterError(f"PROFILE must be one of {profiles}; "
                             f"got {profile!r} ({file.relative_to(PROJECT_ROOT)} does not exist)")
    values = read_parameters([("-f", str(file), None), *options]) | dict(output_root=out)
    known_anywhere = {field for params in NOTEBOOKS.values() for field in params.names()}
    unknown = sorted(set(values) - known_anywhere)
    if unknown:
        raise ParameterError(f"unknown parameter {', '.join(map(repr, unknown))}; {name}'s parameters are "
                             f"{', '.join(NOTEBOOKS[name].names())} (lib/params.py)")
    elsewhere = sorted(set(values) - set(NOTEBOOKS[name].names()))
    if elsewhere:
        print(f"{name}: not a parameter here, left out: {', '.join(elsewhere)}", file=sys.stderr)
    values = {key: value for key, value in values.items() if key in NOTEBOOKS[name].names()}
    NOTEBOOKS[name].from_namespace(values)  # every value of its type and in range, before any kernel starts
    return values


@contextmanager
def only_run(root: Path, name: str):
    """Hold ``<root>/.<name>.lock`` while notebook ``name`` runs into ``root``: a second run of it waits for
    none, it stops with Unfinished (two runs would train the same folders and remove each other's files)."""
    with open(root / f".{name}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Unfinished(f"{name} is already running into {root}/; wait for it to finish.") from None
        yield


def run(name: str, profile: str, out: str, options=(), progress: bool = True) -> Path:
    """Execute ``notebooks/<name>.ipynb`` into ``<out>/<name>.ipynb``, replaced only on success."""
    parameters = parameters_for(name, profile, out, options)
    root = project_path(out)
    root.mkdir(parents=True, exist_ok=True)
    with only_run(root, name):
        return _run_locked(name, root, parameters, progress)


def _run_locked(name: str, root: Path, parameters: dict, progress: bool) -> Path:
    import papermill

    for leftover in root.glob(f".{name}.*.ipynb"):  # from a run that was killed
        leftover.unlink()
    target, failed = root / f"{name}.ipynb", root / f"{name}.failed.ipynb"
    handle, partial = tempfile.mkstemp(dir=root, prefix=f".{name}.", suffix=".ipynb")
    os.close(handle)
    try:
        papermill.execute_notebook(PROJECT_ROOT / "notebooks" / f"{name}.ipynb", partial, parameters=parameters,
                                   kernel_name=KERNEL, cwd=PROJECT_ROOT / "notebooks", progress_bar=progress)
        problem = unfinished_reason(Path(partial))
        if problem:
            raise Unfinished(f"{name}: {problem}")
        os.replace(usual_mode(partial), target)
    except BaseException:
        if Path(partial).exists() and Path(partial).stat().st_size:
            os.replace(partial, failed)
        raise
    finally:
        Path(partial).unlink(missing_ok=True)
    failed.unlink(missing_ok=True)
    return target


def unfinished_reason(path: Path) -> str | None:
    """Why the executed notebook at ``path`` is not a finished run (None when it is): papermill records an
    end time and no exception for a run that completed, and the status "completed" in every cell."""
    notebook = json.loads(path.read_text())
    meta = notebook.get("metadata", {}).get("papermill", {})
    if meta.get("exception"):
        return "its run stopped with an error"
    if not meta.get("end_time"):
        return "its run did not end (interrupted or still running)"
    pending = [number for number, cell in enumerate(notebook["cells"], 1)
               if cell.get("metadata", {}).get("papermill", {}).get("status") != "completed"]
    if pending:
        return f"cells {', '.join(map(str, pending[:5]))}{' ...' if len(pending) > 5 else ''} did not complete"
    return None


def inputs(name: str, profile: str) -> list[Path]:
    """What the executed notebook ``name`` was computed from: its source, its parameters, the library."""
    return [PROJECT_ROOT / "notebooks" / f"{name}.ipynb", PROJECT_ROOT / "params" / profile / f"{name}.yaml",
            *sorted((PROJECT_ROOT / "lib").glob("*.py"))]


def outputs_of(root: Path, name: str) -> list[Path]:
    """The files notebook ``name`` wrote under ``root/<name>/`` for its readers (its training runs aside)."""
    folder = root / name
    return [path for path in folder.rglob("*") if path.is_file() and "runs" not in path.relative_to(folder).parts]


def check_finished(root: str | Path, profile: str | None, names=tuple(UPSTREAM)) -> None:
    """Unfinished naming the first notebook to rerun, unless each of ``names`` in ``root`` is a finished run,
    newer than the notebooks it reads and (for a Makefile profile) than its own inputs, and no file among its
    outputs is newer than it (which a rerun that was stopped half-way leaves behind)."""
    root = project_path(root)
    rerun = f"make all{f' PROFILE={profile}' if profile and profile != 'default' else ''}"
    for name in UPSTREAM:
        if name not in names:
            continue
        path = root / f"{name}.ipynb"
        if not path.exists():
            raise Unfinished(f"{path} does not exist: run `{rerun}`.")
        problem = unfinished_reason(path)
        if problem:
            raise Unfinished(f"{path.name} is not a finished run ({problem}): rerun it with `{rerun}`.")
        newer = [root / f"{up}.ipynb" for up in UPSTREAM[name]] + (inputs(name, profile) if profile else [])
        newer = [p for p in newer if p.exists() and p.stat().st_mtime > path.stat().st_mtime]
        if newer:
            shown = ", ".join(p.name if p.parent == root else str(p.relative_to(PROJECT_ROOT)) for p in newer)
            raise Unfinished(f"{path.name} is older than what it reads ({shown}): rerun it with `{rerun}`.")
        later = [p for p in outputs_of(root, name) if p.stat().st_mtime > path.stat().st_mtime]
        if later:
            raise Unfinished(f"{path.name} is older than files among its own outputs ({later[0].relative_to(root)}"
                             f"{' ...' if len(later) > 1 else ''}): a rerun did not finish. Rerun it with `{rerun}`.")


class _Option(argparse.Action):
    """Collects -p/-r (name, value) and -y/-f (text) in command-line order."""

    def __call__(self, parser, namespace, values, option_string=None):
        values = values if isinstance(values, list) else [values]
        namespace.options.append((option_string, values[0], values[1] if len(values) > 1 else None))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebook", choices=list(UPSTREAM))
    parser.add_argument("--profile", default="default")
    parser.add_argument("--out", default="outputs")
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(options=[])
    for flag, nargs in (("-p", 2), ("-r", 2), ("-y", 1), ("-f", 1)):
        parser.add_argument(flag, nargs=nargs, action=_Option, metavar=("NAME", "VALUE")[:nargs] if nargs == 2 else "TEXT")
    args = parser.parse_args(argv)
    try:
        path = run(args.notebook, args.profile, args.out, args.options, progress=not args.no_progress)
    except ParameterError as error:
        print(f"error: {args.notebook}: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 - a failed cell, a dead kernel, a timeout: one short message each
        kept = project_path(args.out) / f"{args.notebook}.failed.ipynb"
        lines = str(error).strip().splitlines() or [type(error).__name__]
        print(f"error: {args.notebook} did not finish: {lines[-1]}" +
              (f"\nThe notebook as it stopped is {kept}." if kept.exists() else ""), file=sys.stderr)
        return 1
    print(f"{path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
