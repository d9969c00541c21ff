"""Reading and writing the project's files. Every write is atomic: a reader, or a crash, never sees a
half-written file, and the old version survives until the new one is complete. A disk that fills up
says so, with the path and the space left, instead of a serialiser's internal error."""
from __future__ import annotations

import errno
import io
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch

from .devices import resolve_device
from .pipeline import PROJECT_ROOT

_UMASK = os.umask(0)
os.umask(_UMASK)


def project_path(path: str | os.PathLike) -> Path:
    """Resolve a path given relative to the project root (notebooks run from any folder)."""
    path = Path(path)
    return path if path.is_absolute() else PROJECT_ROOT / path


def shown_path(path: str | os.PathLike) -> str:
    """``path`` as a person should read it: relative to the project when inside it, never with a home folder."""
    path = Path(path)
    if path.is_absolute() and path.is_relative_to(PROJECT_ROOT):
        return path.relative_to(PROJECT_ROOT).as_posix()
    home = Path.home()
    return f"~/{path.relative_to(home).as_posix()}" if path.is_absolute() and path.is_relative_to(home) else str(path)


class DiskFull(OSError):
    """A write ran out of space; the message names the file, its size and the space left."""


def _free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def _megabytes(count: int) -> str:
    return f"{count / 1e6:.1f} MB"


def usual_mode(path: str | os.PathLike) -> Path:
    """Give a file or folder made by mkstemp or mkdtemp (mode 0600 or 0700) the mode it would have had if
    made the usual way (0666 or 0777 less the umask), before it is renamed into place."""
    os.chmod(path, (0o777 if Path(path).is_dir() else 0o666) & ~_UMASK)
    return Path(path)


def save_bytes(data: bytes, path: str | os.PathLike) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        usual_mode(tmp)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException as error:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            free = _free_bytes(path.parent)
            raise DiskFull(error.errno, f"No space left on the device holding {shown_path(path.parent)}: writing "
                                        f"{path.name} ({_megabytes(len(data))}) failed with "
                                        f"{'unknown space' if free is None else _megabytes(free)} free. Free some "
                                        f"space and run again: what was written before is intact, and an "
                                        f"interrupted run resumes from its last checkpoint.") from None
        raise
    return path


def save_torch(obj: Any, path: str | os.PathLike) -> Path:
    """``torch.save`` into memory first (checkpoints are a few MB), so that a full disk is an OSError of the
    write, which ``save_bytes`` names, rather than an error deep inside the serialiser."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return save_bytes(buffer.getvalue(), path)


def load_torch(path: str | os.PathLike, device: str | torch.device = "cpu") -> Any:
    return torch.load(path, map_location=resolve_device(device), weights_only=True)


def save_json(obj: Any, path: str | os.PathLike) -> Path:
    return save_bytes((json.dumps(obj, indent=2, default=_json_default) + "\n").encode(), path)


def load_json(path: str | os.PathLike) -> Any:
    return json.loads(Path(path).read_text())


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
