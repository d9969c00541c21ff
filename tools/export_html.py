"""Export the executed notebooks of one output root to standalone HTML.

    python -m tools.export_html --root outputs/smoke

Each ``<root>/0*.ipynb`` becomes ``<root>/html/<name>.html``. Figures are already
base64 outputs of the notebooks, so every page is a single file; the report
(``04_report``) is exported without its code.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from lib.runs import PROJECT_ROOT, project_path, save_bytes

NOTEBOOKS = ("01_lstm", "02_gan_train", "03_gan_samples", "04_report")
REPORT = "04_report"


def profile_of(root: str | Path) -> str | None:
    """The Makefile's profile that writes to ``root``: outputs -> default, outputs/X -> X (else None)."""
    root, outputs = project_path(root).resolve(), PROJECT_ROOT / "outputs"
    if root == outputs:
        return "default"
    return root.name if root.parent == outputs else None


def make_all_command(root: str | Path) -> str:
    """The command that fills ``root`` with executed notebooks."""
    profile = profile_of(root)
    if profile == "default":
        return "make all"
    if profile:
        return f"make all PROFILE={profile}"
    return f"make all OUT={root}"


def executed_notebooks(root: str | Path) -> list[Path]:
    """The executed notebooks in ``root``; FileNotFoundError naming the command to run if there are none."""
    found = sorted(project_path(root).glob("0*.ipynb"))
    if not found:
        raise FileNotFoundError(f"No executed notebooks in {root}/: run `{make_all_command(root)}` first.")
    return found


def export_notebook(notebook: Path, target: Path) -> Path:
    report = notebook.stem == REPORT
    # Readers of the report want results, not code and In/Out prompts.
    exporter = HTMLExporter(embed_images=True, exclude_input=report, exclude_input_prompt=report,
                            exclude_output_prompt=report)
    # Relative image links in Markdown cells are relative to the source notebook's folder.
    resources = {"metadata": {"name": notebook.stem, "path": str(PROJECT_ROOT / "notebooks")}}
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4), resources=resources)
    return save_bytes(body.encode(), target)


def export_all(root: str | Path) -> list[Path]:
    """Export every executed notebook in ``root`` to ``root/html/<name>.html``; the written paths."""
    root = project_path(root)
    return [export_notebook(notebook, root / "html" / f"{notebook.stem}.html")
            for notebook in executed_notebooks(root)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default="outputs", help="output root holding the executed notebooks")
    args = parser.parse_args(argv)
    try:
        written = export_all(args.root)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(f"{path}  ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
