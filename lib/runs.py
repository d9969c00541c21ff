"""Run bookkeeping shared by every experiment: devices, seeds, parameter checks,
atomic writes, run directories that are reused when their configuration matches.

Randomness is *stateless*: the generator for step ``s`` of a run is seeded from
``(seed, stream, s)``. A run that is killed and resumed from its checkpoint therefore
draws exactly the batches and noise the uninterrupted run would have drawn, and
the checkpoint needs no RNG state beyond the step counter. Every random stream of
the project has one named key in ``Stream``, so no two streams ever share draws.
"""
from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import math
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Callable, Iterable

import torch
from tqdm.auto import tqdm

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def project_path(path: str | os.PathLike) -> Path:
    """Resolve a path given relative to the project root (notebooks run from any folder)."""
    path = Path(path)
    return path if path.is_absolute() else PROJECT_ROOT / path


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` picks CUDA when it is there, else the CPU."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cpu" or device.startswith("cuda"):
        return torch.device(device)
    raise ValueError(f"device must be 'auto', 'cpu' or 'cuda[:N]', got {device!r}")


class Stream(enum.Enum):
    """Every random stream of the project, by name. A stream's draws depend on the seed, its name
    and its further keys (a step, an epoch, a class), and on nothing else."""

    PALINDROME_BATCH = "palindrome batch"  # keys: step
    PALINDROME_ITEM = "palindrome item"  # keys: index
    PALINDROME_TEST = "palindrome test set"  # keys: T
    MNIST5K_SPLIT = "mnist5k split"  # keys: digit
    CLASSIFIER_ORDER = "classifier epoch order"  # keys: epoch
    CLASSIFIER_SHIFT = "classifier shifts"  # keys: epoch
    REAL_BASELINE = "real baseline sample"
    GAN_ORDER = "GAN epoch order"  # keys: epoch
    GAN_NOISE = "GAN training noise"  # keys: step
    GAN_AUGMENT = "GAN augmentation"  # keys: step
    GAN_EVAL = "GAN evaluation noise"
    GAN_FIXED = "GAN fixed-noise grid"
    GAN_FINAL = "GAN final samples"
    BATCHNORM = "BatchNorm statistics noise"
    GRID = "25-sample grids"
    ENDPOINTS = "interpolation endpoint candidates"


def generator_for(seed: int, stream: Stream, *keys: int) -> torch.Generator:
    """A fresh CPU generator whose draws depend only on ``seed``, ``stream`` and ``keys`` (e.g. the step)."""
    if not isinstance(stream, Stream):
        raise TypeError(f"stream must be a lib.runs.Stream; got {stream!r}")
    digest = hashlib.sha256(repr((seed, stream.value, *keys)).encode()).digest()
    generator = torch.Generator()
    generator.manual_seed(int.from_bytes(digest[:8], "little") & (2**63 - 1))
    return generator


# ---------------------------------------------------------------- parameter checks
# Each raises before any work starts and names the parameter and what it accepts.

def check_choice(name: str, value: Any, choices: Iterable[Any]) -> None:
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")


def check_int(name: str, value: Any, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")


def check_positive(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number; got {value!r}")


def check_fraction(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise ValueError(f"{name} must be a number in (0, 1]; got {value!r}")


def check_unit_interval(name: str, value: Any, meaning: str = "") -> float:
    """``value`` as a float when it is a number in [0, 1); ValueError otherwise (``meaning`` says what 0 does)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1){f' ({meaning})' if meaning else ''}; got {value!r}")
    return float(value)


# ---------------------------------------------------------------- atomic writes

_UMASK = os.umask(0)
os.umask(_UMASK)


def _atomic_replace(path: Path, write) -> Path:
    """Write through a temporary file in the same folder, then rename: a reader
    (or a crash) never sees a half-written file, and the old version survives
    until the new one is complete."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        usual_mode(tmp)  # mkstemp's 0600 would otherwise stick to the result
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def usual_mode(path: str | os.PathLike) -> Path:
    """Give a file or folder made by mkstemp or mkdtemp (mode 0600 or 0700) the mode it would have had if
    made the usual way (0666 or 0777 less the umask), before it is renamed into place."""
    os.chmod(path, (0o777 if Path(path).is_dir() else 0o666) & ~_UMASK)
    return Path(path)


def save_torch(obj: Any, path: str | os.PathLike) -> Path:
    return _atomic_replace(Path(path), lambda file: torch.save(obj, file))


def load_torch(path: str | os.PathLike, device: str | torch.device = "cpu") -> Any:
    return torch.load(path, map_location=resolve_device(device), weights_only=True)


def save_json(obj: Any, path: str | os.PathLike) -> Path:
    text = json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n"
    return _atomic_replace(Path(path), lambda file: file.write(text.encode()))


def load_json(path: str | os.PathLike) -> Any:
    return json.loads(Path(path).read_text())


def save_bytes(data: bytes, path: str | os.PathLike) -> Path:
    return _atomic_replace(Path(path), lambda file: file.write(data))


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


# ---------------------------------------------------------------- run directories

def config_dict(config: Any) -> dict:
    """A dataclass config as a JSON-ready dict, without fields that do not change results, nor the fields
    added later (``ADDED``) while they hold None: runs trained before they existed keep their folders."""
    values = dataclasses.asdict(config)
    for name in getattr(config, "NOT_IDENTITY", ()):
        values.pop(name, None)
    for name in getattr(config, "ADDED", ()):
        if values[name] is None:
            del values[name]
    return values


def finished_since(result: Path, since: float) -> bool:
    """Whether the run whose result file is ``result`` finished at or after ``since`` (seconds since the epoch)."""
    return result.exists() and result.stat().st_mtime >= since


def run_name(name: str, config: Any) -> str:
    """``name-<hash of config>``: one folder name per distinct configuration."""
    digest = hashlib.sha256(json.dumps(config_dict(config), sort_keys=True).encode()).hexdigest()[:10]
    return f"{name}-{digest}"


def run_dir(root: str | os.PathLike, name: str, config: Any) -> Path:
    """``root/name-<hash of config>``: one folder per distinct configuration, so a
    rerun with the same parameters finds the finished run instead of training again."""
    return project_path(root) / run_name(name, config)


# ---------------------------------------------------------------- parallel runs

def _single_threaded():
    torch.set_num_threads(1)


def run_all(function: Callable, items: list, workers: int = 1, desc: str = "runs", progress: bool = True) -> list:
    """``[function(item) for item in items]``, in ``workers`` processes when that is more than one.

    Small recurrent nets leave a CPU core half idle on a second thread, so single-threaded
    runs side by side finish sooner than the same runs one after the other on two threads
    (``bench/part1_speed.py`` measures by how much). ``function`` must be importable (defined
    in ``lib``), results come back in order."""
    check_int("workers", workers)
    if workers == 1 or len(items) <= 1:
        return [function(item) for item in tqdm(items, desc=desc, mininterval=1.0, disable=not progress)]
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_single_threaded) as pool:
        futures = [pool.submit(function, item) for item in items]
        for future in tqdm(futures, desc=desc, mininterval=1.0, disable=not progress):
            future.result()  # re-raises a worker's error here
    return [future.result() for future in futures]
