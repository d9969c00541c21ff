"""An exclusive lock on a file, on POSIX (``fcntl``) and on Windows (``msvcrt``); standard library only, since
``tools/bootstrap.py`` takes it before the environment exists."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt


class Held(Exception):
    """The lock is held by another process (raised only when not waiting for it)."""


@contextmanager
def exclusive(path: str | os.PathLike, wait: bool = True):
    """Hold an exclusive lock on ``path`` (created if needed) for the block; with ``wait=False``, raise Held
    at once when another process holds it."""
    with open(path, "a+") as file:
        try:
            if fcntl is not None:
                fcntl.flock(file, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            else:
                file.seek(0)
                msvcrt.locking(file.fileno(), msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
        except (BlockingIOError, PermissionError, OSError) as error:
            if wait:
                raise
            raise Held(str(path)) from error
        yield


def held(path: str | os.PathLike) -> bool:
    """Whether another process holds the lock on ``path`` now."""
    if not Path(path).exists():
        return False
    try:
        with exclusive(path, wait=False):
            return False
    except Held:
        return True
