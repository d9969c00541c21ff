"""Build the submission zip from one output root and the project's sources.

    python -m tools.submission --student 12345678 [--name "Ada Lovelace"] --root outputs

Writes ``<root>/<student>_assignment3.zip`` with, under ``<student>_assignment3/``: the report
(``report.pdf``, with ``report.docx``, ``report.tex`` and its ``figures/`` beside it, and ``report.html``),
rendered again with the student number (and name) in its title block; ``executed/<nb>.ipynb`` and
``executed/<nb>.html`` for the four notebooks; and everything the README's commands need to run
again on a fresh machine (code, notebooks, parameters, tests, benchmarks, Makefile), but no
environment, data, checkpoints or caches.
"""
from __future__ import annotations

import argparse
import io
import re
import sys
import zipfile
from pathlib import Path

from lib.files import project_path, save_bytes
from lib.outputs import DATA_FILES
from lib.pipeline import NOTEBOOKS, PROJECT_ROOT, make_all_command
from tools import export_html, report
from tools.run_notebook import Unfinished, check_finished

# Project sources, as glob patterns relative to the project root: what `make all`, `make test` and
# `make bench` read (tests/test_submission.py checks this list against the Makefile and the tests).
SOURCES = ("lib/*.py", "lib/*/*.py", "notebooks/*.ipynb", "notebooks/*.py", "course/*.py", "tools/*.py", "tools/*.j2", "params/*/*.yaml", "tests/*.py", "bench/*.py",
           "Makefile", "environment.yml", "requirements.txt", "README.md")
REQUIRED = ("Makefile", "README.md", "requirements.txt", "environment.yml")
STUDENT_HELP = "STUDENT must be your student number, digits only, e.g. make submission STUDENT=12345678"


class NotReady(Exception):
    """The output root cannot be submitted yet: notebooks or report missing, failed or stale."""


def check_student(student: str | None) -> str:
    """The student number, or ValueError naming the parameter (ASCII digits only: isdigit() accepts '²')."""
    student = (student or "").strip()
    if not re.fullmatch(r"[0-9]+", student):
        raise ValueError(f"{STUDENT_HELP} (got {student!r}).")
    return student


def check_ready(root: Path, profile: str | None) -> None:
    """NotReady unless every executed notebook is a finished, fresh run (``tools.run_notebook``) and the
    rendered report exists and is newer than the notebook it renders and every output file it reads."""
    try:
        check_finished(root, profile)
    except Unfinished as error:
        raise NotReady(str(error)) from None
    rendered = [root / "report" / f"report.{fmt}" for fmt in report.FORMATS]
    missing = [path.name for path in rendered if not path.exists()]
    if missing:
        raise NotReady(f"The report is missing in {root}/report/ ({', '.join(missing)}): run "
                       f"`{make_all_command(root).replace('make all', 'make report')}` first.")
    inputs = [root / report.NOTEBOOK] + [root / name for name in DATA_FILES.values() if (root / name).exists()]
    oldest = min(path.stat().st_mtime for path in rendered)
    newer = [str(path.relative_to(root)) for path in inputs if path.stat().st_mtime > oldest]
    if newer:
        raise NotReady(f"The report in {root}/report/ is older than what it describes ({', '.join(newer)}): run "
                       f"`{make_all_command(root)}` to bring it up to date.")


def up_to_date_html(root: Path, profile: str | None) -> dict[str, Path]:
    """The HTML export of each notebook, exported again first when missing, or older than its executed
    notebook or than the code that exports it."""
    html = {name: root / "html" / f"{name}.html" for name in NOTEBOOKS}
    exporter = [Path(export_html.__file__), export_html.TEMPLATE, Path(export_html.__file__).with_name("pandoc.py")]
    stale = [name for name in NOTEBOOKS if not html[name].exists() or html[name].stat().st_mtime <
             max(path.stat().st_mtime for path in [root / f"{name}.ipynb", *exporter])]
    if stale:
        print(f"Exporting HTML (missing or older than what it is made from: {', '.join(stale)})")
        export_html.export_all(root, profile)
    return html


def source_files() -> list[Path]:
    files = sorted({path for pattern in SOURCES for path in PROJECT_ROOT.glob(pattern)})
    for required in REQUIRED:
        if PROJECT_ROOT / required not in files:
            raise FileNotFoundError(f"{PROJECT_ROOT / required} is missing; the submission needs it.")
    return files


def build_submission(student: str, root: str | Path, name: str | None = None, profile: str | None = None) -> Path:
    """Write ``root/<student>_assignment3.zip`` (atomically) and return its path. ``profile`` (the Makefile's,
    when the root is one of its) adds the notebooks' sources and parameters to the freshness check."""
    student = check_student(student)  # before any work
    root = project_path(root)
    executed = {nb: root / f"{nb}.ipynb" for nb in NOTEBOOKS}
    check_ready(root, profile)
    sources = source_files()
    html = up_to_date_html(root, profile)
    rendered = report.render(root, student, name, profile)  # the title block, filled in

    top = f"{student}_assignment3"
    members = {f"{top}/report.{fmt}": path for fmt, path in rendered.items()}
    members |= {f"{top}/figures/{figure.name}": figure for figure in sorted((root / "report" / "figures").iterdir())}
    for nb in NOTEBOOKS:
        members[f"{top}/executed/{nb}.ipynb"] = executed[nb]
        members[f"{top}/executed/{nb}.html"] = html[nb]
    for path in sources:
        members[f"{top}/{path.relative_to(PROJECT_ROOT).as_posix()}"] = path

    # Built in memory (a few MB), then written in one atomic step: never a half-written zip.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, path in members.items():
            archive.write(path, member)
    return save_bytes(buffer.getvalue(), root / f"{top}.zip")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--student", default="", help="your student number (digits only)")
    parser.add_argument("--name", default="", help="your name, for the report's title block")
    parser.add_argument("--root", default="outputs", help="output root holding the executed notebooks")
    parser.add_argument("--profile", default=None, help="the Makefile profile that wrote the root")
    args = parser.parse_args(argv)
    try:
        check_student(args.student)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        zip_path = build_submission(args.student, args.root, args.name or None, args.profile)
    except (NotReady, FileNotFoundError, report.NotRenderable) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
    print(f"{zip_path}  ({zip_path.stat().st_size / 1e6:.1f} MB, {len(names)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
