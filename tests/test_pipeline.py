"""The pipeline run the ways people run it: papermill's -p and -y, a killed run, make -j, a stale
notebook, two checkouts at once, a moved checkout, an unsupported Python. Each example of the
reliability issue, as a test."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from lib.params import ParameterError
from lib.pipeline import PROJECT_ROOT
from tools.bootstrap import BootstrapError, bootstrap, check_disk, check_python
from tools.run_notebook import UPSTREAM, Unfinished, check_finished, outputs_of, parameters_for

ENV = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}  # no outer make's jobserver


def runner(*args, out, env=ENV):
    return subprocess.run([sys.executable, "-m", "tools.run_notebook", *args, "--out", str(out)], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=300, env=env)


# ---------------------------------------------------------------- parameters, before any kernel starts

@pytest.mark.parametrize("notebook, args, message", [
    ("01_lstm", ["-p", "force", "false"], "force must be a boolean (True or False); got the text 'false'. "
                                          "papermill's -p passes text"),
    ("01_lstm", ["-p", "seq_lengths", "[3]"], "seq_lengths must be a list of integers; got the text '[3]'. "
                                              "papermill's -p passes text for anything but numbers and True/False/None: "
                                              "use -y '{seq_lengths: [3]}' or a params file."),
    ("01_lstm", ["-p", "forse", "True"], "unknown parameter 'forse'; 01_lstm's parameters are output_root, device"),
    ("02_gan_train", ["-p", "batch_size", "1"], "batch_size must be an integer >= 2; got 1"),
    ("02_gan_train", ["-y", "{augment: translation}"], "augment must be a list of texts; got the text 'translation'"),
    ("03_gan_samples", ["-p", "start_class", "3", "-p", "end_class", "3"], "start_class and end_class must differ"),
])
def test_bad_parameters_stop_the_run_before_any_kernel_and_any_write(notebook, args, message, tmp_path, capsys):
    from tools.run_notebook import main  # the command line's own entry, in this process: no kernel to wait for

    assert main([notebook, "--profile", "smoke", *args, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir()), "nothing trained, deleted or written"


def test_a_second_run_of_the_same_notebook_into_the_same_root_is_refused(tmp_path):
    from tools.run_notebook import only_run

    with only_run(tmp_path, "03_gan_samples"):
        result = runner("03_gan_samples", "--profile", "smoke", out=tmp_path)
    assert result.returncode == 1
    assert f"03_gan_samples is already running into {tmp_path}/; wait for it to finish." in result.stderr


def test_y_passes_a_list_and_a_parameter_of_another_notebook_is_left_out(tmp_path):
    options = [("-y", "{seq_lengths: [3], force: false}", None), ("-p", "sample_seed", "2")]
    assert parameters_for("01_lstm", "smoke", str(tmp_path), options)["seq_lengths"] == [3]
    values = parameters_for("03_gan_samples", "smoke", str(tmp_path), options)
    assert values["sample_seed"] == 2 and "seq_lengths" not in values and "force" not in values
    with pytest.raises(ParameterError, match="PROFILE must be one of default, full, smoke; got 'fast'"):
        parameters_for("01_lstm", "fast", str(tmp_path), [])


def test_gan_batch_larger_than_the_data_fails_before_training(tmp_path):
    from lib.gan_runs import train
    from lib.gan_train import GANConfig

    with pytest.raises(ValueError, match="batch_size must be at most the 3,500 training images of mnist5k; got 5000"):
        train(GANConfig(data_source="mnist5k", batch_size=5000, steps=10), tmp_path, retrain_before=time.time())
    assert not any(tmp_path.iterdir())


# ---------------------------------------------------------------- finished runs only

@pytest.fixture
def copied_root(executed_root, tmp_path):
    root = tmp_path / "out"
    shutil.copytree(executed_root, root, ignore=shutil.ignore_patterns("html", "report", "*.zip", "screenshots"))
    return root


def test_a_killed_run_never_leaves_a_notebook_that_passes_for_finished(copied_root):
    target, figure = copied_root / "03_gan_samples.ipynb", copied_root / "03_gan_samples" / "figures" / "grids.png"
    before = target.read_bytes()
    scratch = tempfile.mkdtemp(prefix="k")  # short: a socket's path is limited to about 100 characters
    env = {**ENV, "TMPDIR": scratch}
    for sig in (signal.SIGTERM, signal.SIGKILL):  # one run killed each way, one after the other (SIGHUP acts as SIGTERM)
        drawn = figure.stat().st_mtime
        process = subprocess.Popen([sys.executable, "-m", "tools.run_notebook", "03_gan_samples", "--profile", "smoke",
                                    "--out", str(copied_root), "--no-progress"], cwd=PROJECT_ROOT, env=env,
                                   start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 180
        while figure.stat().st_mtime == drawn:  # killed half-way: after the run has redrawn some of its outputs
            assert time.monotonic() < deadline and process.poll() is None, "the run never got under way"
            time.sleep(0.1)
        os.killpg(process.pid, sig)
        process.wait(timeout=60)
        assert target.read_bytes() == before, f"after {sig.name}, the previous finished notebook is still in place"
        with pytest.raises(Unfinished, match=r"03_gan_samples.ipynb is older than files among its own outputs "
                                             r"\(03_gan_samples/.*a rerun did not finish"):
            check_finished(copied_root, None)
        # the killed run's kernel sockets stay until the next run starts, which removes them and later its own
        assert [path.name.split("-")[2] for path in Path(scratch).iterdir()] == [str(process.pid)], sig.name
    assert runner("03_gan_samples", "--profile", "smoke", "--no-progress", out=copied_root, env=env).returncode == 0
    assert os.listdir(scratch) == []
    os.rmdir(scratch)


@pytest.mark.parametrize("status", ["running", "pending"])
def test_a_notebook_with_cells_not_done_is_refused_by_name(status, copied_root):
    from tools.submission import NotReady, build_submission

    path = copied_root / "02_gan_train.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[-1].metadata.papermill["status"] = status
    notebook.metadata.papermill["end_time"] = None
    nbformat.write(notebook, path)
    with pytest.raises(Unfinished, match=r"02_gan_train.ipynb is not a finished run \(its run did not end"):
        check_finished(copied_root, None)
    with pytest.raises(NotReady, match="02_gan_train.ipynb is not a finished run"):
        build_submission("12345678", copied_root)
    assert not list(copied_root.glob("*.zip"))


def test_a_notebook_older_than_what_it_reads_is_refused_by_name(copied_root):
    later = time.time() + 60
    os.utime(copied_root / "02_gan_train.ipynb", (later, later))
    with pytest.raises(Unfinished, match=r"03_gan_samples.ipynb is older than what it reads \(02_gan_train.ipynb\)"):
        check_finished(copied_root, None)


# ---------------------------------------------------------------- make -j, and only what is stale

def make(*args, cwd=PROJECT_ROOT, timeout=1200):
    return subprocess.run(["make", *args], cwd=cwd, capture_output=True, text=True, env=ENV, timeout=timeout)


def test_make_j4_runs_in_dependency_order_and_then_reruns_only_what_is_stale(executed_root):
    out = executed_root  # made by `make -j4 all` (conftest); every change below is undone before the next
    check_finished(out, "smoke")
    assert (out / "report" / "report.pdf").exists() and (out / "results.md").exists()
    assert "run_notebook" not in make("-n", "all", "PROFILE=smoke", f"OUT={out}").stdout, "all up to date"
    # a file a notebook left for its readers, removed under it (a run folder cleaned away), makes it run again
    metrics = json.loads((out / "02_gan_train" / "metrics.json").read_text())
    start = out / "02_gan_train" / metrics["checkpoints"]["start"]
    kept, stamp = start.read_bytes(), start.stat().st_mtime
    start.unlink()
    stale = make("-n", "all", "PROFILE=smoke", f"OUT={out}").stdout
    start.write_bytes(kept)
    os.utime(start, (stamp, stamp))
    assert [n for n in UPSTREAM if f"run_notebook {n} " in stale] == ["02_gan_train", "03_gan_samples", "04_report"]
    # each notebook made newer makes exactly the notebooks that read it (tools.run_notebook.UPSTREAM) stale
    for name in UPSTREAM:
        original = (out / f"{name}.ipynb").stat().st_mtime
        os.utime(out / f"{name}.ipynb", (original + 600,) * 2)
        stale = make("-n", "all", "PROFILE=smoke", f"OUT={out}").stdout
        os.utime(out / f"{name}.ipynb", (original,) * 2)
        reruns = [other for other in UPSTREAM if f"run_notebook {other} " in stale]
        assert reruns == [other for other in UPSTREAM if reads(other, name)], (name, reruns)
        assert "tools.report" in stale
    # an output newer than its notebook (a stopped rerun, or Run All in JupyterLab) makes that notebook stale too
    for name in [name for name in UPSTREAM if outputs_of(out, name)]:  # 04_report writes none of its own
        output = max(outputs_of(out, name), key=lambda path: path.stat().st_mtime)
        original = output.stat().st_mtime
        os.utime(output, (original + 600,) * 2)
        stale = make("-n", "all", "PROFILE=smoke", f"OUT={out}").stdout
        os.utime(output, (original,) * 2)
        reruns = [other for other in UPSTREAM if f"run_notebook {other} " in stale]
        assert reruns == [other for other in UPSTREAM if other == name or reads(other, name)], (name, reruns)


def reads(notebook: str, name: str) -> bool:
    """Whether ``notebook`` reads the outputs of ``name``, directly or through others."""
    return any(up == name or reads(up, name) for up in UPSTREAM[notebook])


def test_an_unknown_profile_is_named_by_make():
    result = make("-n", "all", "PROFILE=fast")
    assert result.returncode != 0
    assert "PROFILE=fast: there is no params/fast/; the profiles are default full smoke" in result.stderr


# ---------------------------------------------------------------- one checkout, its own code and kernel

def clone(destination: Path) -> Path:
    """A copy of this checkout's sources (what the submission ships: it works in an unpacked zip, without git),
    with a .venv that sees this one's packages, brought up by the Makefile's bootstrap; its lib writes its own
    path to $LIB_MARKER when imported."""
    from tools.submission import source_files

    for path in source_files():
        (destination / path.relative_to(PROJECT_ROOT)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination / path.relative_to(PROJECT_ROOT))
    subprocess.run([sys.executable, "-m", "venv", str(destination / ".venv")], check=True)
    site = next((destination / ".venv" / "lib").glob("python3*/site-packages"))
    here = next(Path(sys.prefix, "lib").glob("python3*/site-packages"))
    (site / "shared-packages.pth").write_text(f"{here}\n")  # the packages, without installing them twice
    marker = ('import os\nif os.environ.get("LIB_MARKER"):\n'
              '    with open(os.environ["LIB_MARKER"], "a") as f:\n        f.write(__file__ + "\\n")\n')
    (destination / "lib" / "__init__.py").write_text(marker)
    result = subprocess.run(["make", "venv", f"PYTHON={sys.executable}"], cwd=destination, capture_output=True, text=True,
                            timeout=600, env=dict(ENV, ASSIGNMENT3_INSTALLER="pip"))  # pip sees the shared packages
    assert result.returncode == 0, result.stderr[-3000:]
    return destination


def prepare_report_run(checkout: Path, executed_root: Path) -> Path:
    """The session's smoke outputs in the checkout, all fresh but 04_report, which `make 04_report` redoes."""
    out = checkout / "outputs" / "smoke"
    shutil.copytree(executed_root, out, ignore=shutil.ignore_patterns("html", "report", "*.zip", "screenshots"),
                    dirs_exist_ok=True)
    now = time.time()
    for path in sorted(out.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        os.utime(path, (now + 60, now + 60))
    for name, offset in (("01_lstm", 61), ("02_gan_train", 61), ("03_gan_samples", 62)):
        os.utime(out / f"{name}.ipynb", (now + offset, now + offset))
    os.utime(out / "04_report.ipynb", (now - 60, now - 60))
    return out


def test_two_checkouts_at_once_each_run_their_own_lib_and_a_moved_one_too(executed_root, tmp_path):
    a, b = clone(tmp_path / "a"), clone(tmp_path / "b")
    for checkout in (a, b):
        prepare_report_run(checkout, executed_root)
    env = {name: dict(ENV, LIB_MARKER=str(tmp_path / f"marker-{name}")) for name in "ab"}
    runs = {name: subprocess.Popen(["make", "04_report", "PROFILE=smoke"], cwd=checkout, env=env[name],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for name, checkout in (("a", a), ("b", b))}
    # while they run, b's environment is set up again, as `make kernel` did when it hijacked a's runs
    assert subprocess.run(["make", "venv", f"PYTHON={sys.executable}"], cwd=b, capture_output=True,
                          env=dict(ENV, ASSIGNMENT3_INSTALLER="pip")).returncode == 0
    for process in runs.values():
        output = process.communicate(timeout=600)[0]
        assert process.returncode == 0, output[-3000:]
    for name, checkout in (("a", a), ("b", b)):
        imported = set((tmp_path / f"marker-{name}").read_text().split())
        assert imported == {str(checkout / "lib" / "__init__.py")}, f"checkout {name} ran {imported}"

    moved = tmp_path / "a-moved"
    a.rename(moved)
    prepare_report_run(moved, executed_root)
    (tmp_path / "marker-a").unlink()
    result = subprocess.run(["make", "04_report", "PROFILE=smoke"], cwd=moved, env=env["a"], capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert set((tmp_path / "marker-a").read_text().split()) == {str(moved / "lib" / "__init__.py")}
    kernel = json.loads((moved / ".venv/share/jupyter/kernels/assignment3/kernel.json").read_text())
    assert kernel["env"]["PYTHONPATH"] == str(moved)
    scripts = [path for path in (moved / ".venv" / "bin").iterdir() if path.is_file() and not path.is_symlink()
               and path.read_bytes().startswith(b"#!")]
    assert scripts and all(str(a / ".venv") not in path.read_text() for path in scripts), \
        "a script still names the old place"
    assert any(str(moved / ".venv") in path.read_text() for path in scripts)


def test_make_clean_refuses_while_a_notebook_runs_into_the_folder(tmp_path):
    from tools.run_notebook import only_run

    (tmp_path / "01_lstm").mkdir()
    (tmp_path / "01_lstm" / "metrics.json").write_text("{}")
    with only_run(tmp_path, "02_gan_train"):
        result = subprocess.run([sys.executable, "tools/clean.py", str(tmp_path)], cwd=PROJECT_ROOT,
                                capture_output=True, text=True)
    assert result.returncode == 1 and "a notebook is running into it: 02_gan_train" in result.stderr
    assert (tmp_path / "01_lstm" / "metrics.json").exists(), "nothing deleted"
    assert subprocess.run([sys.executable, "tools/clean.py", str(tmp_path)], cwd=PROJECT_ROOT).returncode == 0
    assert not (tmp_path / "01_lstm").exists()


# ---------------------------------------------------------------- the Python a venv is built with

def fake_python(path: Path, version: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho {version}\n")
    path.chmod(0o755)
    return path


def test_an_unsupported_python_is_named_with_the_fix(tmp_path):
    old = fake_python(tmp_path / "python3.10", "3 10")
    with pytest.raises(BootstrapError, match=rf"PYTHON={old} is 3.10; this project needs Python 3.11 to 3.13. "
                                             r"Install one \(e.g. python3.11\) and run: make PYTHON=python3.11"):
        check_python(str(old))
    result = subprocess.run([sys.executable, "tools/bootstrap.py", "--python", str(old), "--venv",
                             str(tmp_path / "venv")], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "this project needs Python 3.11 to 3.13" in result.stderr
    assert not (tmp_path / "venv").exists()


def test_a_venv_of_an_unsupported_python_is_rebuilt_with_a_supported_one(tmp_path):
    venv, requirements = tmp_path / ".venv", tmp_path / "requirements.txt"
    fake_python(venv / "bin" / "python", "3 10")
    requirements.write_text("")
    said = []
    record = bootstrap(sys.executable, venv, requirements, checkout=tmp_path, log=said.append)
    assert any("runs 3.10, which this project does not support: rebuilding it" in line for line in said)
    assert record["python"] == "{}.{}".format(*sys.version_info[:2]) and record["checkout"] == str(tmp_path)
    kernel = json.loads((venv / "share/jupyter/kernels/assignment3/kernel.json").read_text())
    assert kernel["argv"][0] == str(venv / "bin" / "python") and kernel["env"]["PYTHONPATH"] == str(tmp_path)
    # the caches the Makefile keeps in .venv/cache when HOME cannot be written: IPython finds their parent there
    env = dict(os.environ, HOME="/nonexistent", IPYTHONDIR=str(venv / "cache" / "ipython"))
    ipython = subprocess.run([sys.executable, "-c", "from IPython.paths import get_ipython_dir; print(get_ipython_dir())"],
                             env=env, capture_output=True, text=True, timeout=60)
    assert ipython.stdout.strip() == str(venv / "cache" / "ipython") and "not a writable" not in ipython.stderr


def test_too_little_disk_for_a_new_environment_is_refused_with_the_free_space_named(tmp_path):
    free = shutil.disk_usage(tmp_path).free / 2**30
    with pytest.raises(BootstrapError, match=r"has \d+\.\d GiB free; installing requirements\.txt needs about \d+ GiB"):
        check_disk(tmp_path, needed_gib=free + 100)
    check_disk(tmp_path, needed_gib=free / 2)  # enough: no error
