"""JupyterLab, used the way the notebooks promise: a real server on 127.0.0.1 with a token and this checkout's
kernel, driven in headless Chromium by Playwright (the system's browser; none is downloaded). In 03 the
interpolation's step slider moves and the image changes; in 01 a palindrome typed into the box gets the
LSTM's answer. Screenshots go to ``<output root>/screenshots/``.

The notebooks are copies that carry the smoke parameters and a copy of the session's output root, so their
finished runs are reused and "Run All" takes seconds."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import nbformat
import pytest
import yaml
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from lib.params import NOTEBOOKS
from lib.pipeline import PROJECT_ROOT

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs headless Chromium: `apt-get install chromium` "
                                                          "(.ci/run installs it in CI)")
TOKEN = "assignment3-test-token"
TIMEOUT_MS = 180_000
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook on show


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def smoke_copy(name: str, root, folder):
    """notebooks/<name>.ipynb with the smoke parameters and ``root`` injected, as papermill would."""
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    values = yaml.safe_load((PROJECT_ROOT / "params" / "smoke" / f"{name}.yaml").read_text()) or {}
    values = {k: v for k, v in (values | dict(output_root=str(root))).items() if k in NOTEBOOKS[name].names()}
    notebook = parameterize_notebook(load_notebook_node(str(PROJECT_ROOT / "notebooks" / f"{name}.ipynb")), values)
    nbformat.write(notebook, folder / f"{name}.ipynb")


@pytest.fixture(scope="module")
def lab(executed_root, tmp_path_factory):
    """(base URL, screenshot folder): JupyterLab serving the smoke copies of 01 and 03; always stopped."""
    folder = tmp_path_factory.mktemp("lab")
    # Run All rewrites the notebooks' outputs: into a copy, so the session's root stays a finished pipeline run
    root = folder / "outputs"
    shutil.copytree(executed_root, root, ignore=shutil.ignore_patterns("html", "report", "*.zip", "screenshots"))
    for name in ("01_lstm", "03_gan_samples"):
        smoke_copy(name, root, folder)
    shutil.copy(PROJECT_ROOT / "notebooks" / "_checkout.py", folder)  # what the notebooks import first
    port = free_port()
    log = open(folder / "server.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={folder}",
         "--ServerApp.allow_root=True",  # CI runs as root
         # its own workspace and settings: nothing of the user's layout is restored, nothing is written home
         f"--LabApp.workspaces_dir={folder / 'workspaces'}", f"--LabApp.user_settings_dir={folder / 'settings'}",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.expose_app_in_browser=True"],  # window.jupyterapp: its commands, for Run All
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=os.environ)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(f"JupyterLab did not start: {(folder / 'server.log').read_text()[-3000:]}")
                time.sleep(0.5)
        shots = executed_root / "screenshots"
        shots.mkdir(exist_ok=True)
        yield url, shots
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


def open_and_run_all(browser, url, name):
    """A page with ``name`` open in JupyterLab after Run All has finished. Run All is JupyterLab's own command
    (``notebook:run-all-cells``, what the Run menu's item calls), run through the app the server exposes: a
    click into an opening menu can land on its neighbour, "Restart Kernel and Run All", whose dialog then
    blocks the run."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{url}/lab/tree/{name}.ipynb?reset&token={TOKEN}")
    page.wait_for_selector(f"{PANEL} .jp-Cell")
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")
    page.locator(f"{PANEL} .jp-Notebook").click()
    # once the notebook is the shell's current widget and its kernel session is ready: the command acts on the
    # current notebook, and is a no-op while JupyterLab is still restoring its layout
    page.evaluate("""async () => {
        const app = window.jupyterapp;
        await app.restored;
        for (let i = 0; i < 600; i++) {
            const widget = app.shell.currentWidget;
            if (widget && widget.sessionContext && widget.content && widget.content.widgets) {
                await widget.context.ready;
                await widget.sessionContext.ready;
                return app.commands.execute('notebook:run-all-cells');
            }
            await new Promise(resolve => setTimeout(resolve, 100));
        }
        throw new Error('no notebook became the current widget');
    }""")
    # done when every code cell has an execution count and the kernel is idle again
    try:
        page.wait_for_function("""() => {
            const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')];
            const busy = document.querySelector(".jp-Notebook-ExecutionIndicator[data-status='busy']");
            return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent)) && !busy;
        }""")
    except PlaywrightTimeout:
        prompts = page.locator(f"{PANEL} .jp-CodeCell .jp-InputPrompt").all_inner_texts()
        pytest.fail(f"Run All did not finish: prompts {prompts}, dialogs {page.locator('.jp-Dialog').all_inner_texts()}")
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'] .ansi-red-fg, "
                          ".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']")
    assert errors.count() == 0, errors.first.inner_text()
    return page


def test_interpolation_slider_changes_the_image(lab, browser):
    url, shots = lab
    page = open_and_run_all(browser, url, "03_gan_samples")
    browser_widget = page.locator(".widget-vbox").filter(has=page.locator(".widget-image")).last
    image = browser_widget.locator(".widget-image").first
    image.scroll_into_view_if_needed()
    before = image.get_attribute("src")
    caption_before = browser_widget.locator(".widget-html-content").last.inner_text()
    page.screenshot(path=str(shots / "lab-03-before.png"))
    step = browser_widget.locator(".widget-slider").filter(has_text="step")
    readout = step.locator(".widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("4")
    page.keyboard.press("Enter")
    browser_widget.locator(".widget-html-content").filter(has_text="t = 0.50").wait_for()  # step 4 of 8
    assert image.get_attribute("src") != before, "the image shows another frame"
    caption = browser_widget.locator(".widget-html-content").last.inner_text()
    assert caption != caption_before, caption
    page.screenshot(path=str(shots / "lab-03-after.png"))
    page.close()


def test_palindrome_box_answers_with_the_first_digit(lab, browser):
    url, shots = lab
    page = open_and_run_all(browser, url, "01_lstm")
    box = page.locator(".widget-text input").last
    box.scroll_into_view_if_needed()
    length = int(page.locator(".widget-text .widget-label").last.inner_text().split()[0])
    digits = "7" + "0" * (length - 1)
    box.fill(digits)
    answer = page.locator(".widget-html-content").filter(has_text=f"the first digit you typed is {digits[0]}")
    answer.wait_for()  # the widget answers through the kernel
    text = answer.inner_text()
    assert text.startswith("LSTM predicts ") and text.split()[2].isdigit(), text
    page.screenshot(path=str(shots / "lab-01-palindrome.png"))
    page.close()
