"""Make ``.venv`` this checkout's own environment, and keep it so. Run by the Makefile before every target
that needs Python; standard library only, since it runs before the environment exists.

    python3 tools/bootstrap.py [--python python3.11] [--installer auto|uv|pip]

* **Python.** 3.11 to 3.13, what the pinned packages support (the course machines keep torch's wheels on
  disk for 3.11). A ``.venv`` built with another Python is rebuilt with ``--python`` when that one is
  supported; otherwise the error says which Python to install and how to pass it.
* **Packages.** Installed from requirements.txt when the environment is new or the file has changed since
  (its hash is kept in ``.venv/bootstrap.json``). With ``auto`` the installer is uv, installed into the new
  environment first (faster than pip here; the README gives its seconds), given the same package indexes,
  links and constraints that pip is configured with, and told to compile every module's bytecode as pip does;
  if uv cannot be had or fails, pip installs instead. ``ASSIGNMENT3_INSTALLER=pip`` (or ``--installer pip``)
  skips uv. A new environment takes about 6.2 GiB (torch's CUDA build); with less than 7 GiB free the bootstrap
  refuses before installing anything.
* **One checkout, one kernel.** The Jupyter kernel ``assignment3`` lives inside the environment
  (``.venv/share/jupyter/kernels``; the Makefile puts that folder first on ``JUPYTER_PATH``) and runs
  ``.venv``'s Python with this checkout on ``PYTHONPATH``. When the folder has been moved or copied, the
  kernel is written again for its new place, and the scripts in ``.venv/bin`` (``jupyter``, ``pip``, whose
  first line names an interpreter by its full path) are pointed at the new place too, so a checkout always
  runs its own Python and its own ``lib``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools.locks import exclusive  # noqa: E402

SUPPORTED = ((3, 11), (3, 13))  # oldest and newest minor version
KERNEL = "assignment3"
BIN = "Scripts" if os.name == "nt" else "bin"
NEEDED_GIB = 7  # a new environment measured 6.2 GiB (uv, Linux x86_64, torch 2.14.1's CUDA build)


class BootstrapError(Exception):
    """The environment cannot be made ready; the message says what to do."""


def venv_python(venv: Path) -> Path:
    return venv / BIN / ("python.exe" if os.name == "nt" else "python")


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
    spec = dict(argv=[str(venv_python(venv)), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name=f"Python ({KERNEL}: {checkout.name})", language="python",
                env={"PYTHONPATH": str(checkout)}, metadata={"debugger": True})
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n")
    return folder / "kernel.json"


def repoint_scripts(venv: Path, old_venv: Path) -> list[Path]:
    """Rewrite every text file in ``venv``'s script folder that names ``old_venv`` (shebang lines, activate
    scripts) to name ``venv``; the files rewritten."""
    changed = []
    for script in (venv / BIN).iterdir():
        if not script.is_file() or script.is_symlink():
            continue
        try:
            text = script.read_text()
        except (UnicodeDecodeError, OSError):
            continue  # a binary
        if str(old_venv) in text:
            mode = script.stat().st_mode
            script.write_text(text.replace(str(old_venv), str(venv)))
            os.chmod(script, mode)
            changed.append(script)
    return changed


# ---------------------------------------------------------------- installing the packages

def pip_settings(python: Path) -> list[str]:
    """uv options for the package sources pip is configured with (its config files and PIP_* variables)."""
    out = subprocess.run([str(python), "-m", "pip", "config", "list"], capture_output=True, text=True)
    config = {}
    for line in out.stdout.splitlines():
        key, _, value = line.partition("=")
        config[key.split(".", 1)[-1]] = value.strip().strip("'\"")
    for key in ("index-url", "extra-index-url", "find-links", "constraint"):
        if os.environ.get(f"PIP_{key.upper().replace('-', '_')}"):
            config[key] = os.environ[f"PIP_{key.upper().replace('-', '_')}"]
    options = []
    for key, flag in (("index-url", "--index-url"), ("extra-index-url", "--extra-index-url"),
                      ("find-links", "--find-links"), ("constraint", "--constraint")):
        for value in config.get(key, "").split():
            if flag == "--constraint" and not Path(value).exists():
                continue
            options += [flag, value]
    return options + (["--index-strategy", "unsafe-best-match"] if len(options) > 2 else [])


def install_with_uv(venv: Path, requirements: Path, log) -> bool:
    """Install ``requirements`` into ``venv`` with uv (itself installed there first); False when that fails."""
    python = venv_python(venv)
    uv = shutil.which("uv")
    if uv is None:
        got = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "uv"],
                             capture_output=True, text=True)
        uv = venv / BIN / ("uv.exe" if os.name == "nt" else "uv")
        if got.returncode != 0 or not uv.exists():
            log("uv could not be installed; installing with pip instead.")
            return False
    # uv hard-links the packages from its cache into the environment, so a cache inside it costs no second copy.
    own_cache = venv / "uv-cache"
    env = dict(os.environ, UV_CACHE_DIR=os.environ.get("UV_CACHE_DIR") or str(own_cache))
    # --compile-bytecode: pip writes every module's .pyc at install, uv does not. Without them a machine that sets
    # PYTHONDONTWRITEBYTECODE (containers, CI images) compiles torch's sources again in every process: 7 s each.
    done = subprocess.run([str(uv), "pip", "install", "-q", "--compile-bytecode", "--python", str(python), "-r",
                           str(requirements), *pip_settings(python)], env=env)
    if done.returncode != 0:
        # What uv left in its cache (gigabytes of torch) would leave pip too little disk; pip starts afresh.
        shutil.rmtree(own_cache, ignore_errors=True)
        log("uv failed (its messages are above); installing with pip instead.")
        return False
    return True


def check_disk(venv: Path, needed_gib: float = NEEDED_GIB) -> None:
    """Refuse before installing when the disk under ``venv`` has less free than ``needed_gib``: pip would
    otherwise stop halfway with ``No space left on device`` and leave a broken environment."""
    free_gib = shutil.disk_usage(venv).free / 2**30
    if free_gib < needed_gib:
        raise BootstrapError(
            f"the disk under {venv} has {free_gib:.1f} GiB free; installing requirements.txt needs about "
            f"{needed_gib:.0f} GiB (torch's CUDA build alone is about 5 GiB). Free some space, or put the checkout "
            f"on a larger disk, and run the command again.")


def install(venv: Path, requirements: Path, installer: str, log) -> str:
    """Install ``requirements`` into ``venv``; the installer that did it, "uv" or "pip"."""
    if installer in ("auto", "uv") and install_with_uv(venv, requirements, log):
        return "uv"
    if installer == "uv":
        raise BootstrapError("--installer uv was asked for, and uv failed; run again with --installer pip.")
    # No cache: pip would keep a second copy of every wheel it downloads under the home folder.
    subprocess.run([str(venv_python(venv)), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "--no-cache-dir", "-r", str(requirements)], check=True)
    return "pip"


# ---------------------------------------------------------------- the whole step

def bootstrap(python: str, venv: Path = ROOT / ".venv", requirements: Path = ROOT / "requirements.txt",
              checkout: Path = ROOT, log=print, installer: str | None = None) -> dict:
    """Bring ``venv`` into the state the module's docstring describes; returns its record. Two bootstraps
    at once (``make -j``, two terminals) take turns on ``<venv>.lock`` beside it."""
    installer = installer or os.environ.get("ASSIGNMENT3_INSTALLER") or "auto"
    with exclusive(venv.with_name(f"{venv.name}.lock")):
        return _bootstrap(python, venv, requirements, checkout, log, installer)


def _bootstrap(python: str, venv: Path, requirements: Path, checkout: Path, log, installer: str) -> dict:
    record_file = venv / "bootstrap.json"
    record = json.loads(record_file.read_text()) if record_file.exists() else {}
    if venv.exists() and not supported(python_version(venv_python(venv))):
        check_python(python)  # before deleting anything: the rebuild needs a supported Python
        log(f"{venv} runs {_shown(python_version(venv_python(venv)))}, which this project does not support: "
            f"rebuilding it with {python}.")
        shutil.rmtree(venv)
        record = {}
    if not venv.exists():
        check_python(python)
        log(f"Creating {venv} with {python} ...")
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        record = {}
    if record.get("checkout") and record["checkout"] != str(checkout):
        old_venv = Path(record["checkout"]) / venv.name
        repoint_scripts(venv, old_venv)
        log(f"This checkout was at {record['checkout']}; its kernel and scripts now run the code in {checkout}.")
    wanted = requirements_hash(requirements)
    if record.get("requirements") != wanted:
        if "requirements" not in record:  # a new environment; an update adds little to what is there
            check_disk(venv)
        log(f"Installing {requirements.name} into {venv} ...")
        started = time.perf_counter()
        used = install(venv, requirements, installer, log)
        record = dict(record, requirements=wanted, installer=used, install_seconds=round(time.perf_counter() - started))
        log(f"Installed with {used} in {record['install_seconds']} s.")
    kernel = venv / "share" / "jupyter" / "kernels" / KERNEL / "kernel.json"
    if record.get("checkout") != str(checkout) or not kernel.exists():
        write_kernel(venv, checkout)
        record = dict(record, checkout=str(checkout))
    record["python"] = _shown(python_version(venv_python(venv)))
    handle, tmp = tempfile.mkstemp(dir=venv, suffix=".tmp")
    with os.fdopen(handle, "w") as file:
        file.write(json.dumps(record, indent=1) + "\n")
    os.replace(tmp, record_file)
    # Where the Makefile keeps the caches when HOME cannot be written: IPython calls a folder whose parent does
    # not exist "not writable" and warns in every kernel, so the parent exists before any kernel starts.
    (venv / "cache").mkdir(exist_ok=True)
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--python", default="python3", help="the Python to build .venv with")
    parser.add_argument("--venv", default=str(ROOT / ".venv"))
    parser.add_argument("--installer", choices=("auto", "uv", "pip"), default=None)
    args = parser.parse_args(argv)
    try:
        bootstrap(args.python, Path(args.venv).resolve(), installer=args.installer)
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
