"""Puts this checkout first on the import path, so that ``import lib`` finds the library beside these
notebooks under any kernel: the project's own (whose kernel spec sets PYTHONPATH), or an interpreter picked
in VS Code's kernel list, which starts in this folder with no PYTHONPATH at all."""
import sys
from pathlib import Path

CHECKOUT = str(Path(__file__).resolve().parent.parent)
if sys.path[:1] != [CHECKOUT]:
    sys.path.insert(0, CHECKOUT)
