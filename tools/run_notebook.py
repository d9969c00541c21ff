"""Run one notebook of the pipeline with papermill, safely and visibly; and tell finished, fresh runs from the rest.

    python -m tools.run_notebook 01_lstm --profile default --out outputs [-p NAME VALUE] [-y YAML] [-f FILE] [-r NAME VALUE]

The parameters come from ``params/<profile>/<notebook>.yaml`` (a profile without the file keeps the defaults),
then from the options in their order (a later value wins), read as papermill reads them (``-p`` turns numbers
and True/False/None into Python values, everything else into text; ``-y`` is YAML; ``-r`` is always text);
``output_root`` is ``--out``. A name that is a parameter of none of the pipeline's notebooks stops the run; one
that belongs to another notebook only (``make all ARGS="-p force True"`` reaches 03 and 04 too) is left out for
this one. Every value is checked against the notebook's declaration (``lib.params``) before a kernel starts.

While the notebook runs, what it reports for a person (``lib.progress``: the estimate before the work, the
units done and the time left) is printed here, on the terminal. The kernel talks to papermill over local IPC
sockets rather than TCP, where the platform has them.

The notebook runs into a temporary file beside its target. Only a run that papermill completed, every cell
done, whose outputs are all there (``lib.outputs.missing``), replaces ``<out>/<notebook>.ipynb``: a run that fails
or is killed never leaves a partial notebook where Make and the submission would take it for a finished one. A
failed run is kept as ``<out>/<notebook>.failed.ipynb`` to be read. The executed notebook holds no absolute
path of this machine: paths inside the project are written relative to it, and the home folder as ``~``.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import yaml

from lib import outputs
from lib.params import NOTEBOOKS, ParameterError
from lib.pipeline import NOTEBOOKS as UPSTREAM, PROJECT_ROOT, make_all_command, params_file, profiles
from lib.files import project_path, usual_mode
from lib.progress import ENV as PROGRESS_ENV, minutes
from tools.bootstrap import KERNEL
from tools.locks import Held, exclusive


class Unfinished(Exception):
    """An executed notebook that is missing, failed, interrupted, incomplete or older than what it reads."""


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
    if profile not in profiles():
        raise ParameterError(f"PROFILE must be one of {', '.join(profiles())}; got {profile!r} "
                             f"(params/{profile}/ does not exist)")
    file = params_file(profile, name)
    values = read_parameters(([("-f", str(file), None)] if file.exists() else []) + list(options)) | dict(output_root=out)
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


def lock_path(root: Path, name: str) -> Path:
    return root / f".{name}.lock"


@contextmanager
def only_run(root: Path, name: str):
    """Hold ``<root>/.<name>.lock`` while notebook ``name`` runs into ``root``: a second run of it waits for none,
    it stops with Unfinished (two runs would train the same folders and remove each other's files)."""
    try:
        with exclusive(lock_path(root, name), wait=False):
            yield
    except Held:
        raise Unfinished(f"{name} is already running into {root}/; wait for it to finish.") from None


@contextmanager
def progress_on_terminal(root: Path, name: str):
    """The notebook's progress lines (``lib.progress``) printed on this terminal as they come."""
    path = root / f".{name}.progress"
    path.write_text("")
    previous, os.environ[PROGRESS_ENV] = os.environ.get(PROGRESS_ENV), str(path)
    done = threading.Event()

    def tail():
        with open(path, encoding="utf-8") as file:
            while True:
                line = file.readline()
                if line:
                    print(f"[{name}] {line.rstrip()}", file=sys.stderr, flush=True)
                elif done.is_set():
                    return
                else:
                    time.sleep(0.3)

    thread = threading.Thread(target=tail, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=5)
        os.environ.pop(PROGRESS_ENV) if previous is None else os.environ.update({PROGRESS_ENV: previous})
        path.unlink(missing_ok=True)


SOCKETS_PREFIX = "assignment3-kernel-"


@contextmanager
def kernel_folder():
    """A folder of its own for one run's kernel sockets, removed after the run, and folders of runs that were
    killed (their process gone, named in the folder's name) removed before it. (Windows talks over TCP, and
    its os.kill would end the process it asks about.)"""
    for folder in Path(tempfile.gettempdir()).glob(f"{SOCKETS_PREFIX}*-*") if os.name != "nt" else ():
        pid = folder.name.removeprefix(SOCKETS_PREFIX).split("-")[0]
        if folder.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix=f"{SOCKETS_PREFIX}{os.getpid()}-") as folder:
        yield folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process (PermissionError), or a system that cannot tell
        return True
    return True


def kernel_manager_class(folder: str):
    """A kernel manager that talks over IPC sockets, which need no encryption, with its sockets and connection
    file in ``folder`` (one per run: make -j runs several). Plain TCP on Windows."""
    from jupyter_client import AsyncKernelManager
    from traitlets import default

    if os.name == "nt":
        return AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        @default("transport")
        def _default_transport(self):
            return "ipc"

        @default("ip")
        def _default_ip(self):
            return os.path.join(folder, "kernel")

        @default("connection_file")
        def _default_connection_file(self):
            return os.path.join(folder, "kernel.json")

    return IPCKernelManager


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
    started = time.perf_counter()
    if progress:
        print(f"[{name}] started", file=sys.stderr, flush=True)
    try:
        with progress_on_terminal(root, name) if progress else _nothing(), kernel_folder() as sockets:
            papermill.execute_notebook(PROJECT_ROOT / "notebooks" / f"{name}.ipynb", partial, parameters=parameters,
                                       kernel_name=KERNEL, cwd=PROJECT_ROOT / "notebooks", progress_bar=False,
                                       kernel_manager_class=kernel_manager_class(sockets))
        problem = unfinished_reason(Path(partial)) or incomplete_reason(root, name)
        if problem:
            raise Unfinished(f"{name}: {problem}")
        without_private_paths(Path(partial), target)
        os.replace(usual_mode(partial), target)
        write_outputs_rule(root, name, target)
    except BaseException:
        if Path(partial).exists() and Path(partial).stat().st_size:
            without_private_paths(Path(partial), failed)
            os.replace(partial, failed)
        raise
    finally:
        Path(partial).unlink(missing_ok=True)
    failed.unlink(missing_ok=True)
    if progress:
        print(f"[{name}] finished in {minutes(time.perf_counter() - started)}", file=sys.stderr, flush=True)
    return target


@contextmanager
def _nothing():
    yield


def without_private_paths(path: Path, target: Path) -> None:
    """Rewrite the executed notebook at ``path``, to be moved to ``target``, so that it holds no absolute path
    of this machine: papermill's record of its input and output, and every text output, with paths inside the
    project made relative to it and the home folder written as ``~``."""
    notebook = json.loads(path.read_text())
    notebook.setdefault("metadata", {}).setdefault("papermill", {})["output_path"] = str(target)

    def clean(text: str) -> str:
        return text.replace(f"{PROJECT_ROOT}{os.sep}", "").replace(str(PROJECT_ROOT), ".").replace(
            str(Path.home()), "~")

    meta = notebook.get("metadata", {}).get("papermill", {})
    for key in ("input_path", "output_path"):
        if meta.get(key):
            meta[key] = clean(str(meta[key]))
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = [clean(line) for line in output["text"]] if isinstance(output["text"], list) \
                    else clean(output["text"])
            for kind in ("text/plain", "text/markdown", "text/html"):
                value = output.get("data", {}).get(kind)
                if value is not None:
                    output["data"][kind] = [clean(v) for v in value] if isinstance(value, list) else clean(value)
            if "traceback" in output:
                output["traceback"] = [clean(line) for line in output["traceback"]]
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")


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


def incomplete_reason(root: Path, name: str) -> str | None:
    """Why the outputs of ``name`` under ``root`` are not complete (None when they are)."""
    absent = outputs.missing(root, name)
    if not absent:
        return None
    shown = ", ".join(str(path.relative_to(root)) for path in absent[:3])
    return f"its outputs are incomplete (missing {shown}{' ...' if len(absent) > 3 else ''})"


def inputs(name: str, profile: str) -> list[Path]:
    """What the executed notebook ``name`` was computed from: its source, its parameters, the library."""
    return [PROJECT_ROOT / "notebooks" / f"{name}.ipynb", params_file(profile, name),
            *sorted((PROJECT_ROOT / "lib").rglob("*.py"))]


def outputs_of(root: Path, name: str) -> list[Path]:
    """The files notebook ``name`` wrote under ``root/<name>/`` for its readers (its training runs aside)."""
    folder = root / name
    return [path for path in folder.rglob("*") if path.is_file() and "runs" not in path.relative_to(folder).parts]


def stale(root: str | Path, profile: str | None, names=tuple(UPSTREAM)) -> list[tuple[str, str]]:
    """(notebook, why) for each of ``names`` in ``root`` that is not a finished, complete run newer than the
    notebooks it reads and (for a Makefile profile) than its own inputs, with no file among its outputs newer
    than it (which a rerun that was stopped half-way leaves behind); in the pipeline's order."""
    root = project_path(root)
    found = []
    for name in (n for n in UPSTREAM if n in names):
        path = root / f"{name}.ipynb"
        if not path.exists():
            found.append((name, f"{path.name} does not exist"))
            continue
        problem = unfinished_reason(path) or incomplete_reason(root, name)
        if problem:
            found.append((name, f"{path.name} is not a finished run ({problem})"))
            continue
        newer = [root / f"{up}.ipynb" for up in UPSTREAM[name]] + (inputs(name, profile) if profile else [])
        newer = [p for p in newer if p.exists() and p.stat().st_mtime > path.stat().st_mtime]
        if newer:
            shown = ", ".join(p.name if p.parent == root else str(p.relative_to(PROJECT_ROOT)) for p in newer[:3])
            found.append((name, f"{path.name} is older than what it reads ({shown})"))
            continue
        later = [p for p in outputs_of(root, name) if p.stat().st_mtime > path.stat().st_mtime]
        if later:
            found.append((name, f"{path.name} is older than files among its own outputs "
                                f"({later[0].relative_to(root)}{' ...' if len(later) > 1 else ''}): a rerun did not finish"))
    return found


def check_finished(root: str | Path, profile: str | None, names=tuple(UPSTREAM)) -> None:
    """Unfinished naming the first notebook to rerun, and the command that reruns it, unless all are fresh."""
    found = stale(root, profile, names)
    if found:
        name, why = found[0]
        raise Unfinished(f"{why}: run `{make_all_command(root)}`, which reruns {name} and what reads it.")


def write_outputs_rule(root: Path, name: str, target: Path) -> Path:
    """``<root>/.<name>.outputs.mk``, which the Makefile includes: the executed notebook depends on each file it
    left for its readers, and each has an empty rule, so that one removed makes the notebook run again."""
    def as_make_sees_it(path: Path) -> str:  # relative to the project, where the Makefile runs; spaces escaped
        shown = path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path
        return str(shown).replace(" ", "\\ ")

    files = [as_make_sees_it(path) for path in outputs.required(root, name)]
    rule = f"{as_make_sees_it(target)}: {' '.join(files)}\n" + "".join(f"{file}:\n" for file in files)
    path = root / f".{name}.outputs.mk"
    path.write_text(rule)
    return path


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
