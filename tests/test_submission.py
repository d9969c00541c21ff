"""The submission zip built from the session's smoke outputs: what is in it, what is not, that it runs
its own Makefile and tests once unpacked, and that a missing or stale report stops it."""
import os
import re
import subprocess
import sys
import time
import zipfile
from fnmatch import fnmatch
from pathlib import Path

import pytest

from lib.pipeline import NOTEBOOKS, PROJECT_ROOT
from tools.submission import SOURCES, build_submission

STUDENT = "12345678"
TOP = f"{STUDENT}_assignment3"
ALLOWED = ("report.pdf", "report.docx", "report.tex", "report.html", "figures/figure-*.png", "executed/*.ipynb",
           "executed/*.html", *SOURCES)
FORBIDDEN = (".pt", ".npz", ".pyc", ".venv", "__pycache__", "data/", "outputs/", ".pytest_cache")
MAX_ZIP_BYTES = 10_000_000


def project_files(pattern):
    return {path.relative_to(PROJECT_ROOT).as_posix() for path in PROJECT_ROOT.glob(pattern)}


@pytest.fixture(scope="module")
def submission(executed_root, exported_html, tmp_path_factory):
    """(zip path, its member names relative to the top folder, the unpacked top folder)."""
    from tools.report import render

    render(executed_root)  # `make report`
    zip_path = build_submission(STUDENT, executed_root, name="Ada Lovelace")
    unpacked = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        archive.extractall(unpacked)
    assert all(name.startswith(f"{TOP}/") for name in names), "everything lives under one top folder"
    return zip_path, {name.removeprefix(f"{TOP}/") for name in names}, unpacked / TOP


def test_zip_is_written_next_to_the_outputs_and_is_small(executed_root, submission):
    zip_path, _, _ = submission
    assert zip_path == executed_root / f"{TOP}.zip"
    assert zip_path.stat().st_size < MAX_ZIP_BYTES


def test_zip_holds_the_report_the_executed_notebooks_and_everything_the_commands_need(submission):
    _, files, _ = submission
    required = {"report.pdf", "report.docx", "report.tex", "report.html", "Makefile", "environment.yml",
                "requirements.txt", "README.md", "tools/offline.html.j2"}
    required |= {f"executed/{name}.{ext}" for name in NOTEBOOKS for ext in ("ipynb", "html")}
    for pattern in ("lib/*.py", "lib/*/*.py", "notebooks/*.ipynb", "notebooks/*.py", "course/*.py", "tools/*.py",
                    "params/*/*.yaml", "tests/*.py", "bench/*.py"):
        required |= project_files(pattern)
    assert not required - files, f"missing from the zip: {sorted(required - files)}"


def test_zip_holds_nothing_else(submission):
    _, files, _ = submission
    unexpected = [name for name in files if not any(fnmatch(name, pattern) for pattern in ALLOWED)]
    assert not unexpected, f"unexpected files in the zip: {unexpected}"
    forbidden = [name for name in files if any(part in name for part in FORBIDDEN)]
    assert not forbidden, f"environment, data, checkpoints or caches in the zip: {forbidden}"


def test_the_reports_figures_sit_beside_its_latex_source(submission):
    _, files, folder = submission
    tex = (folder / "report.tex").read_text()
    targets = re.findall(r"\\includegraphics(?:\[[^\]]*\])?\{([^}]+)\}", tex)
    assert targets and all(target in files for target in targets)
    assert "Ada Lovelace" in tex and f"student number {STUDENT}" in tex, "the title block is filled in"


def test_what_the_zip_holds_names_no_private_path_of_this_machine(submission):
    """Papermill's input and output paths, printed paths, warnings: nothing names the project's folder or the
    home folder of the machine that ran it."""
    from pathlib import Path

    _, files, folder = submission
    private = [str(PROJECT_ROOT), str(Path.home()) + "/", "/home/", "C:\\Users"]
    for name in files:
        if name.endswith((".ipynb", ".html", ".tex", ".md")):
            text = (folder / name).read_text(errors="replace")
            found = [p for p in private if p in text]
            assert not found, f"{name} names {found}"


def test_every_file_the_makefile_names_is_in_the_zip(submission):
    _, files, folder = submission
    makefile = (folder / "Makefile").read_text()
    named = set(re.findall(r"(?:notebooks|params|tests|tools|bench|lib)/[\w./<>$()-]*", makefile))
    modules = {f"{m.replace('.', '/')}.py" for m in re.findall(r"-m ((?:tools|bench)\.\w+)", makefile)}
    for path in modules:
        assert path in files, f"the Makefile runs {path}, which is not in the zip"
    for path in (path.rstrip(").,") for path in named):  # a path in a comment's parentheses ends a sentence
        if "$" not in path and "<" not in path:
            assert any(fnmatch(f, path.rstrip("/") + "*") for f in files), f"the Makefile names {path}: not in the zip"
    # make itself, in the unpacked folder: a dry run of the README's commands names no missing file
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    result = subprocess.run(["make", "-n", "all", "test", "bench"], cwd=folder, capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0 and "No rule to make target" not in result.stderr, result.stderr


def test_the_unpacked_zip_collects_the_same_tests(submission, request):
    _, _, folder = submission

    def collected(where):
        env = {**os.environ, "PYTHONPATH": str(where)}
        env.pop("PYTHONSAFEPATH", None)
        result = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "tests"], cwd=where,
                                capture_output=True, text=True, env=env, timeout=300)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        return sorted(line for line in result.stdout.splitlines() if "::" in line)

    # this session's own collection stands for the checkout's when it collected every test file unfiltered
    items, options = request.session.items, request.config.option
    files = {Path(str(item.path)).name for item in items}
    whole = (files == {path.name for path in (PROJECT_ROOT / "tests").glob("test_*.py")} and not options.keyword
             and not options.markexpr and not getattr(options, "lf", False) and not getattr(options, "deselect", None))
    here = sorted(item.nodeid for item in items) if whole else collected(PROJECT_ROOT)
    assert collected(folder) == here


def test_code_in_the_zip_imports_from_the_zip(submission):
    _, _, folder = submission
    env = {**os.environ, "PYTHONPATH": str(folder)}
    env.pop("PYTHONSAFEPATH", None)
    code = ("import lib.recurrent, lib.gan, lib.gan_train, lib.evaluate, lib.latent, lib.samples, lib.report.paper\n"
            "import tools.export_html, tools.submission, tools.readme_tables, tools.report\n"
            "import lib, tools; print(lib.__file__); print(tools.__file__)")
    result = subprocess.run([sys.executable, "-c", code], cwd=folder, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    for path in result.stdout.split():
        assert (folder / path).resolve().is_relative_to(folder.resolve()), f"imported {path}, not the zip's copy"


def touch(path, offset):
    stamp = time.time() + offset
    os.utime(path, (stamp, stamp))


def test_missing_or_stale_report_or_mixed_runs_stop_the_submission_before_any_zip(executed_root, submission,
                                                                                   tmp_path):
    from tools.submission import NotReady

    zip_path = executed_root / f"{TOP}.zip"
    zip_path.unlink()
    report_pdf, notebook = executed_root / "report" / "report.pdf", executed_root / "04_report.ipynb"
    metrics = executed_root / "02_gan_train" / "metrics.json"
    original = {path: path.stat().st_mtime for path in (metrics, notebook)}
    # a rerun of 02 that wrote its metrics and then stopped: the outputs mix two runs
    touch(metrics, 60)
    with pytest.raises(NotReady, match=r"02_gan_train.ipynb is older than files among its own outputs "
                                       r"\(02_gan_train/metrics.json\): a rerun did not finish"):
        build_submission(STUDENT, executed_root)
    os.utime(metrics, (original[metrics],) * 2)
    # the report notebook ran again after the report was rendered
    touch(notebook, 120)
    with pytest.raises(NotReady, match=r"The report in .* is older than what it describes \(04_report.ipynb\)"):
        build_submission(STUDENT, executed_root)
    # no report at all
    report_pdf.rename(tmp_path / "report.pdf")
    try:
        with pytest.raises(NotReady, match=r"The report is missing .*report.pdf.*make report"):
            build_submission(STUDENT, executed_root)
    finally:
        (tmp_path / "report.pdf").rename(report_pdf)
        os.utime(notebook, (original[notebook],) * 2)
    assert not zip_path.exists()


@pytest.mark.parametrize("student", ["", "   ", "abc", "1234x", "12.5", "-1", "١٢٣"])
def test_bad_student_number_is_refused_before_any_work(student, tmp_path):
    with pytest.raises(ValueError, match="STUDENT must be your student number"):
        build_submission(student, tmp_path)
    assert not any(tmp_path.iterdir())


def run_tool(module: str, *args, capsys) -> tuple[int, str]:
    """(exit status, stderr) of ``python -m <module> <args>``, run through the module's own ``main`` in this
    process, which is what its command line calls (no interpreter to start per case)."""
    import importlib

    status = importlib.import_module(module).main(list(args))
    return status, capsys.readouterr().err


def test_command_line_refuses_a_missing_student_number_with_status_2(tmp_path, capsys):
    status, err = run_tool("tools.submission", "--student", "", "--root", str(tmp_path), capsys=capsys)
    assert status == 2
    assert "STUDENT must be your student number, digits only, e.g. make submission STUDENT=12345678" in err
    assert not any(tmp_path.iterdir())


def test_command_line_without_executed_notebooks_says_make_all(tmp_path, capsys):
    for tool in (("tools.submission", "--student", STUDENT), ("tools.export_html",), ("tools.report",)):
        status, err = run_tool(*tool, "--root", str(tmp_path), capsys=capsys)
        assert status == 1, err
        assert "make all" in err
    assert not any(tmp_path.iterdir())
