"""``make clean``: empty the output folder, unless a notebook is running into it; standard library only.

    python3 tools/clean.py outputs

A notebook running while its outputs are deleted would go on writing into half-removed run folders and
could then pass for finished; so while any notebook holds its lock (``tools/run_notebook.py``) in the folder
or in a profile's folder under it, nothing is deleted and the command says which notebook to wait for.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools.locks import held  # noqa: E402


def running(folder: Path) -> list[Path]:
    """The lock files under ``folder`` that a running notebook holds."""
    return [lock for lock in sorted(folder.rglob(".*.lock")) if held(lock)]


def clean(folder: Path) -> int:
    busy = running(folder)
    if busy:
        names = ", ".join(f"{lock.name[1:-5]} (into {lock.parent})" for lock in busy)
        print(f"error: not cleaning {folder}: a notebook is running into it: {names}. Wait for it to finish, or "
              f"stop it (Ctrl-C in its terminal), then run `make clean` again.", file=sys.stderr)
        return 1
    for entry in folder.iterdir() if folder.exists() else []:
        if entry.name == ".gitkeep":
            continue
        shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(clean(Path(sys.argv[1] if len(sys.argv) > 1 else "outputs")))
