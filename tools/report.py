"""Render the report, written once as notebooks/04_report.ipynb, to PDF, Word, LaTeX and HTML.

    python -m tools.report --root outputs [--student 12345678] [--name "Ada Lovelace"]

Writes ``<root>/report/``:

* ``report.md``, the single source: the executed notebook's Markdown cells and the Markdown that its code
  cells displayed, in order, with no code; its first heading becomes the title;
* ``figures/``, the images it shows, so that the LaTeX source compiles beside them;
* ``report.pdf`` (A4, through Typst: the ``typst`` wheel, no TeX needed), ``report.docx`` (A4, native Word
  equations), ``report.tex`` and ``report.html`` (self-contained, math as MathML), all by Pandoc.

Figures and tables carry their numbers in their captions (``lib.report.document``), so each renderer's own
numbering is turned off and all four show the same numbers. The title block (the student's name and number)
reaches Pandoc in a UTF-8 metadata file, never on a command line, so any name survives any locale. A name in a
script the PDF's fonts lack (Chinese, Japanese, Korean) needs a font that has it: the PDF uses the first such
font found on the machine, and the rendering refuses, saying what to install, when there is none. The
``.tex`` then needs XeLaTeX or LuaLaTeX, which the README explains.

Only Markdown and Markdown images may appear among the notebook's outputs: anything else, such as a printed
value or an object's repr, stops the rendering with the cell that produced it.
"""
from __future__ import annotations

import argparse
import base64
import datetime
import io
import json
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat
import typst

from lib.files import project_path, save_bytes, usual_mode
from tools import fonts, pandoc
from tools.run_notebook import Unfinished, check_finished

NOTEBOOK = "04_report.ipynb"
FORMATS = ("pdf", "docx", "tex", "html")
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]*)\)")
PNG = "data:image/png;base64,"
TITLE = re.compile(r"\A#\s+(.+)\n+")
# Typst: the captions carry their numbers (so the same text serves all four formats); light rules under table headers and between rows; small tables.
TYPST_STYLE = "\n".join([
    # Figures and tables float to the top of a page, whole with their captions, so the text fills the pages
    # around them and is never split by a float at a page's foot (a table kept in the text's flow leaves the rest
    # of a page empty when it does not fit); the floats of one part are placed before the next part's heading.
    "#set figure(numbering: none, placement: top)",
    "#show heading.where(level: 1): it => { place.flush(); it }",
    "#show figure.caption: set text(size: 9pt)",
    "#set par(spacing: 0.95em)",  # a little tighter than Typst's 1.2em between paragraphs: fewer half-empty pages
    "#show table: set text(size: 8.5pt)",
    "#show table: set par(justify: false)",  # a justified narrow cell stretches its few words apart
    "#set table(inset: (x: 4pt, y: 2.6pt), stroke: (x, y) => if y == 0 { (bottom: 0.7pt) } "
    "else { (bottom: 0.3pt + luma(200)) })",
])
# LaTeX: the captions carry their numbers.
LATEX_STYLE = "\\usepackage{caption}\n\\captionsetup{labelformat=empty,font=small}"
A4_TWIPS = dict(w="11906", h="16838")  # 210 x 297 mm in twentieths of a point
MARGIN = 2.0  # cm, on every side of every rendering
MARGIN_TWIPS = str(round(MARGIN / 2.54 * 1440))  # in twentieths of a point, for Word


class NotRenderable(ValueError):
    """The executed report notebook holds something the report cannot show, or a name no font can show."""


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
                                f"are PNG data URIs (lib.report.document).")
        figures.append(base64.b64decode(match.group(2).removeprefix(PNG)))
        return f"![{match.group(1)}](figures/figure-{len(figures)}.png)"

    body = IMAGE.sub(relink, text[title.end():])
    return title.group(1).strip(), body, figures


def title_block(title: str, student: str | None, name: str | None) -> dict:
    """Pandoc's metadata for the title block, as typed: what the student typed, and the title."""
    author = ", ".join(part for part in (name, f"student number {student}" if student else None) if part)
    today = datetime.date.today()
    meta = dict(title=title, date=f"{today.day} {today:%B %Y}")  # '7 December 2026', in any locale
    return meta | (dict(author=author) if author else {})


UNNUMBERED = re.compile(r"#heading\(level: 1, numbering: none\)\[[^\]]*\]\n(?:<[^>]*>\n)?")
BACK_MATTER = "#set text(size: 9pt)\n#set par(spacing: 0.7em)\n"  # references and appendix, as papers set them


def back_matter(typ: str) -> str:
    """Pandoc's Typst with the back matter (everything from the first unnumbered top-level section, the
    references, on) in smaller type, and the tables of the last top-level section (the appendix) kept where the
    text puts them: no text follows them to fill the page around a float, which would leave the space above it
    empty. The appendix runs on after the references, so a short list of them leaves no page nearly blank."""
    last = max(match.start() for match in re.finditer(r"(?m)^(= |#heading\(level: 1)", typ))
    typ = typ[:last] + typ[last:].replace("  , kind: table\n", "  , kind: table\n  , placement: none\n")
    first = UNNUMBERED.search(typ)
    return typ[:first.end()] + BACK_MATTER + typ[first.end():] if first else typ


def literal(text: str) -> str:
    """``text`` as Markdown that reads back as exactly ``text``: Pandoc reads the metadata file's values as
    Markdown, and a backslash before ASCII punctuation keeps it as it is (no smart quotes, no emphasis)."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", text)


def _metadata_file(meta: dict, folder: Path) -> Path:
    """JSON is YAML: one literal value per key, in UTF-8 whatever the locale."""
    path = folder / "metadata.yaml"
    path.write_text(json.dumps({key: literal(value) for key, value in meta.items()}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def a4_reference_docx(folder: Path) -> Path:
    """Pandoc's own reference document with an A4 page and MARGIN, for ``--reference-doc``."""
    default = io.BytesIO(pandoc.default_data_file("reference.docx"))
    path = folder / "reference.docx"
    with zipfile.ZipFile(default) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":  # its last section's properties become the output's
                xml = re.sub(r"<w:pgSz [^>]*/>|<w:pgMar [^>]*/>", "", data.decode())
                m = MARGIN_TWIPS
                page = (f'<w:pgSz w:w="{A4_TWIPS["w"]}" w:h="{A4_TWIPS["h"]}"/><w:pgMar w:top="{m}" w:right="{m}" '
                        f'w:bottom="{m}" w:left="{m}" w:header="708" w:footer="708" w:gutter="0"/>')
                data = xml.replace("</w:sectPr>", f"{page}</w:sectPr>").encode()
            target.writestr(item, data)
    return path


def render(root: str | Path, student: str | None = None, name: str | None = None,
           profile: str | None = None) -> dict[str, Path]:
    """Render ``<root>/04_report.ipynb`` into ``<root>/report/``; the written files by format. Refuses
    (``Unfinished``) when any executed notebook is missing, unfinished or stale (``tools.run_notebook``), and
    (``NotRenderable``) when the title block needs a font this machine lacks."""
    root = project_path(root)
    check_finished(root, profile)
    title, body, figures = report_markdown(root / NOTEBOOK)
    meta = title_block(title, student, name)
    font_dirs = fonts.font_dirs_for(" ".join(meta.values()))  # NotRenderable-worthy when a script has no font
    if font_dirs is None:
        raise NotRenderable(fonts.missing_font_message(" ".join(meta.values())))
    out = root / "report"
    work = Path(tempfile.mkdtemp(prefix=".report-", dir=root))  # written whole, then moved in place
    try:
        (work / "figures").mkdir()
        for number, png in enumerate(figures, 1):
            (work / "figures" / f"figure-{number}.png").write_bytes(png)
        (work / "report.md").write_text(body, encoding="utf-8")
        common = ["--number-sections", "--resource-path", str(work), "--metadata-file", str(_metadata_file(meta, work))]
        pandoc.convert(body, "docx", *common, "--reference-doc", str(a4_reference_docx(work)),
                       outputfile=str(work / "report.docx"))
        cjk = fonts.cjk_family(" ".join(meta.values()))  # then XeLaTeX or LuaLaTeX, in a font that has the name
        pandoc.convert(body, "latex", "--standalone", *common, "-V", f"geometry:a4paper,margin={MARGIN}cm",
                       "-V", "fontsize=10pt", "-V", f"header-includes={LATEX_STYLE}",
                       *(["-V", f"mainfont={cjk}"] if cjk else []), outputfile=str(work / "report.tex"))
        pandoc.convert(body, "html", "--standalone", "--mathml", "--embed-resources", *common,
                       outputfile=str(work / "report.html"))
        page = work / "page.yaml"  # Pandoc's Typst template takes the margin as a map, which -V cannot give
        page.write_text(json.dumps({"margin": {"x": f"{MARGIN}cm", "y": f"{MARGIN}cm"}}), encoding="utf-8")
        typ = pandoc.convert(body, "typst", "--standalone", *common, "--metadata-file", str(page),
                             "-V", "papersize=a4", "-V", "fontsize=10pt", "-V", "page-numbering=1",
                             "-V", "section-numbering=1.1", "-V", f"header-includes={TYPST_STYLE}")
        (work / "report.typ").write_text(back_matter(typ), encoding="utf-8")
        save_bytes(typst.compile(str(work / "report.typ"), root=str(work), font_paths=[str(d) for d in font_dirs]),
                   work / "report.pdf")
        for scratch in ("report.typ", "metadata.yaml", "page.yaml", "reference.docx"):
            (work / scratch).unlink()
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
