"""Render the report, written once as notebooks/04_report.ipynb, to PDF, Word, LaTeX and HTML.

    python -m tools.report --root outputs [--student 12345678] [--name "Ada Lovelace"]

Writes ``<root>/report/``:

* ``report.md``, the single source: the executed notebook's Markdown cells and the Markdown that its
  code cells displayed, in order, with no code; its first heading becomes the title;
* ``figures/``, the images it shows, so that the LaTeX source compiles beside them;
* ``report.pdf`` (A4, through Typst: the ``typst`` wheel, no TeX needed), ``report.docx`` (native Word
  equations), ``report.tex`` and ``report.html`` (self-contained, math as MathML), all by Pandoc.

Only Markdown and Markdown images may appear among the notebook's outputs: anything else, such as a
printed value or an object's repr, stops the rendering with the cell that produced it.
"""
from __future__ import annotations

import argparse
import base64
import datetime
import re
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
import typst

from lib.runs import project_path, save_bytes, usual_mode
from tools import pandoc
from tools.run_notebook import Unfinished, check_finished

NOTEBOOK = "04_report.ipynb"
FORMATS = ("pdf", "docx", "tex", "html")
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]*)\)")
PNG = "data:image/png;base64,"
TITLE = re.compile(r"\A#\s+(.+)\n+")
# Typst: light rules under table headers and between rows; Pandoc's template draws none.
TYPST_TABLES = "#set table(stroke: (x, y) => if y == 0 { (bottom: 0.7pt) } else { (bottom: 0.3pt + luma(200)) })"


class NotRenderable(ValueError):
    """The executed report notebook holds something the report cannot show."""


def report_markdown(notebook: Path) -> tuple[str, str, list[bytes]]:
    """(title, body, figures): the executed notebook as one Markdown document. Its figures are PNG
    images inlined as data URIs (they show wherever the notebook is opened); here they become links
    to ``figures/figure-<n>.png``, and ``figures`` holds their bytes in that order."""
    nb = nbformat.read(notebook, as_version=4)
    parts = []
    for number, cell in enumerate(nb.cells, 1):
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") in ("display_data", "execute_result") and "text/markdown" in output["data"]:
                parts.append(output["data"]["text/markdown"])
            else:
                kind = output.get("output_type") if output.get("output_type") == "stream" else \
                    ", ".join(output.get("data", {})) or output.get("output_type")
                raise NotRenderable(f"{notebook.name}, cell {number}, shows {kind}: the report shows Markdown only "
                                    f"(display(Markdown(...)) in the notebook).")
    text = "\n\n".join(part.strip() for part in parts if part.strip()) + "\n"
    title = TITLE.match(text)
    if not title:
        raise NotRenderable(f"{notebook.name} must begin with a level-1 heading: the report's title.")
    figures = []

    def relink(match):
        if not match.group(2).startswith(PNG):
            raise NotRenderable(f"{notebook.name} links the image {match.group(2)[:80]}; the report's figures "
                                f"are PNG data URIs (lib.report.figure_markdown).")
        figures.append(base64.b64decode(match.group(2).removeprefix(PNG)))
        return f"![{match.group(1)}](figures/figure-{len(figures)}.png)"

    body = IMAGE.sub(relink, text[title.end():])
    return title.group(1).strip(), body, figures


def metadata_args(title: str, student: str | None, name: str | None) -> list[str]:
    """Pandoc's title block. ``-M`` values are literal text, so a name with quotes, accents or
    LaTeX's special characters (& % _ \\) comes out as typed, in every format."""
    author = " ".join(part for part in (name, f"student number {student}" if student else None) if part)
    return ["-M", f"title={title}", "-M", f"date={datetime.date.today().isoformat()}"] + (
        ["-M", f"author={author}"] if author else [])


def render(root: str | Path, student: str | None = None, name: str | None = None,
           profile: str | None = None) -> dict[str, Path]:
    """Render ``<root>/04_report.ipynb`` into ``<root>/report/``; the written files by format. Refuses
    (``Unfinished``) when any executed notebook is missing, unfinished or stale (``tools.run_notebook``)."""
    root = project_path(root)
    check_finished(root, profile)
    title, body, figures = report_markdown(root / NOTEBOOK)
    out = root / "report"
    work = Path(tempfile.mkdtemp(prefix=".report-", dir=root))  # written whole, then moved in place
    try:
        (work / "figures").mkdir()
        for number, png in enumerate(figures, 1):
            (work / "figures" / f"figure-{number}.png").write_bytes(png)
        (work / "report.md").write_text(body)
        common = ["--number-sections", "--resource-path", str(work), *metadata_args(title, student, name)]
        pandoc.convert(body, "docx", *common, outputfile=str(work / "report.docx"))
        pandoc.convert(body, "latex", "--standalone", *common, "-V", "geometry:a4paper,margin=2.5cm",
                       outputfile=str(work / "report.tex"))
        pandoc.convert(body, "html", "--standalone", "--mathml", "--embed-resources", *common,
                       outputfile=str(work / "report.html"))
        typ = pandoc.convert(body, "typst", "--standalone", *common, "-V", "papersize=a4", "-V", "page-numbering=1",
                             "-V", "section-numbering=1.1", "-V", f"header-includes={TYPST_TABLES}")
        (work / "report.typ").write_text(typ)
        save_bytes(typst.compile(str(work / "report.typ"), root=str(work)), work / "report.pdf")
        (work / "report.typ").unlink()
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)  # left by a render that was stopped here
        if out.exists():
            out.rename(old)
        usual_mode(work).rename(out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # left only when something failed
    return {fmt: out / f"report.{fmt}" for fmt in FORMATS}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default="outputs", help="output root holding the executed notebooks")
    parser.add_argument("--student", default=None, help="student number for the title block")
    parser.add_argument("--name", default=None, help="name for the title block")
    parser.add_argument("--profile", default=None, help="the Makefile profile that wrote the root")
    args = parser.parse_args(argv)
    try:
        written = render(args.root, args.student or None, args.name or None, args.profile)
    except (Unfinished, NotRenderable) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for path in written.values():
        print(f"{path}  ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
