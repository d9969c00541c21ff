"""Make ``.venv`` this checkout's own environment, and keep it so. Run by the Makefile before every target
that needs Python; standard library only, since it runs before the environment exists.

    python3 tools/bootstrap.py [--python python3.11]

* **Python.** 3.11 to 3.13, what the pinned packages support (the course machines keep torch's wheels
  on disk for 3.11). A ``.venv`` built with another Python is rebuilt with ``--python`` when that one is
  supported; otherwise the error says which Python to install and how to pass it.
* **Packages.** Installed from requirements.txt when the environment is new or the file has changed since
  (its hash is kept in ``.venv/bootstrap.json``).
* **One checkout, one kernel.** The Jupyter kernel ``assignment3`` lives inside the environment
  (``.venv/share/jupyter/kernels``; the Makefile puts that folder first on ``JUPYTER_PATH``) and runs
  ``.venv``'s Python with this checkout on ``PYTHONPATH``. When the folder has been moved or copied, the
  kernel is written again for its new place, so a checkout always runs its own ``lib``.
"""
from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUPPORTED = ((3, 11), (3, 13))  # oldest and newest minor version
KERNEL = "assignment3"


class BootstrapError(Exception):
    """The environment cannot be made ready; the message says what to do."""


def python_version(executable: str | os.PathLike) -> tuple[int, int] | None:
    """(major, minor) of a Python executable, or None when it does not run."""
    try:
        out = subprocess.run([str(executable), "-c", "import sys; print(*sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    parts = out.stdout.split()
    return (int(parts[0]), int(parts[1])) if out.returncode == 0 and len(parts) == 2 else None


def supported(version: tuple[int, int] | None) -> bool:
    return version is not None and SUPPORTED[0] <= version <= SUPPORTED[1]


def _shown(version) -> str:
    return ".".join(map(str, version)) if version else "no working Python"


def check_python(executable: str) -> None:
    """BootstrapError unless ``executable`` is a supported Python, saying which to install and pass."""
    version = python_version(executable)
    if not supported(version):
        low, high = (".".join(map(str, v)) for v in SUPPORTED)
        raise BootstrapError(f"PYTHON={executable} is {_shown(version)}; this project needs Python {low} to {high}. "
                             f"Install one (e.g. python{low}) and run: make PYTHON=python{low} <target>")


def requirements_hash(requirements: Path) -> str:
    return hashlib.sha256(requirements.read_bytes()).hexdigest()


def write_kernel(venv: Path, checkout: Path) -> Path:
    """The kernel spec inside ``venv``: its Python, with ``checkout`` on PYTHONPATH."""
    folder = venv / "share" / "jupyter" / "kernels" / KERNEL
    folder.mkdir(parents=True, exist_ok=True)
    spec = dict(argv=[str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name=f"Python ({KERNEL}: {checkout.name})", language="python",
                env={"PYTHONPATH": str(checkout)}, metadata={"debugger": True})
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n")
    return folder / "kernel.json"


def bootstrap(python: str, venv: Path = ROOT / ".venv", requirements: Path = ROOT / "requirements.txt",
              checkout: Path = ROOT, log=print) -> dict:
    """Bring ``venv`` into the state the module's docstring describes; returns its record. Two bootstraps
    at once (``make -j``, two terminals) take turns on ``<venv>.lock`` beside it."""
    with open(venv.with_name(f"{venv.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _bootstrap(python, venv, requirements, checkout, log)


def _bootstrap(python: str, venv: Path, requirements: Path, checkout: Path, log) -> dict:
    record_file = venv / "bootstrap.json"
    record = json.loads(record_file.read_text()) if record_file.exists() else {}
    venv_python = venv / "bin" / "python"
    if venv.exists() and not supported(python_version(venv_python)):
        check_python(python)  # before deleting anything: the rebuild needs a supported Python
        log(f"{venv} runs {_shown(python_version(venv_python))}, which this project does not support: rebuilding it "
            f"with {python}.")
        shutil.rmtree(venv)
        record = {}
    if not venv.exists():
        check_python(python)
        log(f"Creating {venv} with {python} ...")
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        record = {}
    wanted = requirements_hash(requirements)
    if record.get("requirements") != wanted:
        log(f"Installing {requirements.name} into {venv} ...")
        subprocess.run([str(venv_python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r",
                        str(requirements)], check=True)
        record = dict(record, requirements=wanted)
    for legacy in venv.glob("lib/python3*/site-packages/assignment3.pth"):  # an older Makefile's import path
        legacy.unlink()
    kernel = venv / "share" / "jupyter" / "kernels" / KERNEL / "kernel.json"
    if record.get("checkout") != str(checkout) or not kernel.exists():
        if record.get("checkout"):
            log(f"This checkout was at {record['checkout']}; its kernel now runs the code in {checkout}.")
        write_kernel(venv, checkout)
        record = dict(record, checkout=str(checkout))
    record["python"] = _shown(python_version(venv_python))
    handle, tmp = tempfile.mkstemp(dir=venv, suffix=".tmp")
    with os.fdopen(handle, "w") as file:
        file.write(json.dumps(record, indent=1) + "\n")
    os.replace(tmp, record_file)
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--python", default="python3", help="the Python to build .venv with")
    parser.add_argument("--venv", default=str(ROOT / ".venv"))
    args = parser.parse_args(argv)
    try:
        bootstrap(args.python, Path(args.venv).resolve())
    except BootstrapError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as error:
        print(f"error: `{' '.join(map(str, error.cmd))}` failed (exit {error.returncode}); see the messages above.",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
