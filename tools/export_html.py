"""Export the executed notebooks of one output root to standalone HTML that needs no network.

    python -m tools.export_html --root outputs/smoke

Each ``<root>/0*.ipynb`` becomes ``<root>/html/<name>.html``, one self-contained file:
figures are base64 outputs of the notebooks or are inlined, and the math is MathML,
rendered by Pandoc at export time, so no MathJax is fetched from a CDN. The report
(``04_report``) is exported without its code.
"""
from __future__ import annotations

import argparse
import base64
import mimetypes
import re
import sys
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor

from lib.files import project_path, save_bytes
from lib.pipeline import NOTEBOOKS
from tools.pandoc import markdown_to_html
from tools.run_notebook import Unfinished, check_finished

TEMPLATE = Path(__file__).with_name("offline.html.j2")  # JupyterLab's page, without MathJax
REPORT = "04_report"


def inline_images(html: str, folder: Path) -> str:
    """``html`` with every ``<img>`` whose source is a file under ``folder`` inlined as a data URI."""
    def inline(match):
        path = folder / match.group(2)
        if not path.is_file():
            return match.group(0)
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return f'{match.group(1)}data:{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"'

    return re.sub(r'(<img\b[^>]*?\ssrc=")(?!data:|https?:)([^"]+)"', inline, html)


class MathMLPreprocessor(Preprocessor):
    """Markdown cells and Markdown outputs rendered to HTML by Pandoc ahead of time, math as MathML and
    linked images inlined (``folder``: what relative links are relative to, the executed notebook's)."""

    def __init__(self, folder: Path, **kwargs):
        super().__init__(**kwargs)
        self.folder = folder

    def preprocess(self, nb, resources):
        places = []  # (cell, output or None) holding Markdown
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                places.append((cell, None))
            for output in cell.get("outputs", []):
                if "text/markdown" in output.get("data", {}):
                    places.append((cell, output))
        texts = [cell.source if output is None else output.data["text/markdown"] for cell, output in places]
        for (cell, output), html in zip(places, markdown_to_html(texts)):
            html = inline_images(html, self.folder)
            if output is None:  # the template copies a Markdown cell's source into the page as it is
                cell.source = html
            else:
                output.data = {"text/html": html}
        return nb, resources


def export_notebook(notebook: Path, target: Path) -> Path:
    report = notebook.stem == REPORT
    # Readers of the report want results, not code and In/Out prompts.
    exporter = HTMLExporter(extra_template_paths=[str(TEMPLATE.parent)], template_file=TEMPLATE.name,
                            exclude_input=report, exclude_input_prompt=report, exclude_output_prompt=report)
    exporter.register_preprocessor(MathMLPreprocessor(notebook.parent), enabled=True)
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4),
                                          resources={"metadata": {"name": notebook.stem}})
    return save_bytes(body.encode(), target)


def export_all(root: str | Path, profile: str | None = None) -> list[Path]:
    """Export each executed notebook in ``root`` to ``root/html/<name>.html``; the written paths. Refuses
    (``Unfinished``, naming the notebook to rerun) when any is missing, unfinished or stale."""
    root = project_path(root)
    check_finished(root, profile)
    return [export_notebook(root / f"{name}.ipynb", root / "html" / f"{name}.html") for name in NOTEBOOKS]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default="outputs", help="output root holding the executed notebooks")
    parser.add_argument("--profile", default=None, help="the Makefile profile that wrote the root")
    args = parser.parse_args(argv)
    try:
        written = export_all(args.root, args.profile)
    except Unfinished as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(f"{path}  ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
