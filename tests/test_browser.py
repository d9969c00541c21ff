"""The exported HTML in a real browser with the network cut off: headless Chromium draws
the report's figures, and the interpolation stepper of 03 works with no kernel and no network.

Screenshots are also copied to ``<output root>/html/screenshots/`` for a person to look at."""
import html
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile

import matplotlib.image
import pytest

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs headless Chromium: `apt-get install chromium` "
                                                          "(.ci/run installs it in CI)")

OFFLINE_HEADLESS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # No network: every http(s) request goes to a proxy that is not there (loopback included),
    # and no host name resolves. file:// pages are not affected.
    "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>", "--host-resolver-rules=MAP * ~NOTFOUND",
]
SETTLE = "--virtual-time-budget=5000"  # run the pages' scripts and timers before the dump or screenshot
TIMEOUT_S = 60

# Injected into a copy of 03's HTML: after load, press the player's "next frame" button twice and
# record which frame the image shows and where the slider is; then move the player to the top of
# the page, so that a screenshot shows it.
STEPPER_CHECK = """<script>
window.addEventListener("load", function () {
  setTimeout(function () {  // the player itself is created in a setTimeout
    var result = {};
    try {
      var img = document.querySelector("img[id^='_anim_img']");
      var id = img.id.slice("_anim_img".length);
      var anim = window["anim" + id], slider = document.getElementById("_anim_slider" + id);
      var next = document.querySelector("button[onclick='anim" + id + ".next_frame()']");
      var shown = function () {
        return {frame: anim.frames.findIndex(function (f) { return f.src === img.src; }),
                slider: Number(slider.value)};
      };
      result.frames = anim.frames.length;
      result.before = shown();
      next.click();
      result.after_one = shown();
      next.click();
      result.after_two = shown();
      document.body.prepend(img.closest(".animation"));
    } catch (error) { result.error = String(error); }
    var out = document.createElement("pre");
    out.id = "stepper-check";
    out.textContent = JSON.stringify(result);
    document.body.prepend(out);
  }, 100);
});
</script>
"""


def chromium(tmp_path, *args) -> str:
    """Run offline headless Chromium on a fresh profile; its stdout. Fails with its stderr."""
    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=tmp_path)
    command = [CHROMIUM, *OFFLINE_HEADLESS, f"--user-data-dir={profile}", *args]
    # Debian's /usr/bin/chromium is a shell script that does not exec the browser: a new session
    # lets a timeout kill the script, the browser and its helper processes together.
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"chromium did not finish in {TIMEOUT_S} s: {shlex.join(command)}\n{_useful(stderr)}")
    if process.returncode != 0:
        pytest.fail(f"chromium exited with {process.returncode}: {shlex.join(command)}\n{_useful(stderr)}")
    return stdout


def _useful(stderr: str) -> str:
    """Chromium's stderr without the D-Bus complaints of a machine without a desktop session."""
    return "\n".join(line for line in stderr.splitlines() if "dbus" not in line)[-4000:]


def screenshot(tmp_path, page, html_dir):
    """A 1280x4000 screenshot of ``page`` in tmp_path, also copied to ``<output root>/html/screenshots/``."""
    png = tmp_path / f"{page.stem}.png"
    chromium(tmp_path, SETTLE, f"--screenshot={png}", "--window-size=1280,4000", page.as_uri())
    assert png.is_file(), f"chromium wrote no screenshot of {page}"
    (html_dir / "screenshots").mkdir(exist_ok=True)
    shutil.copy(png, html_dir / "screenshots" / png.name)
    return png


def assert_not_blank(png):
    pixels = matplotlib.image.imread(png)[..., :3]
    assert pixels.std() > 0.02, f"{png.name} is a single colour"
    dark = (pixels.mean(axis=-1) < 0.3).mean()
    assert dark > 0.001, f"{png.name} has no dark pixels (text, axes, digits): {dark:.2%}"


def dump_dom(tmp_path, page) -> str:
    return chromium(tmp_path, SETTLE, "--dump-dom", page.as_uri())


@pytest.fixture(scope="module")
def html_dir(exported_html):
    return exported_html[0].parent


@pytest.mark.parametrize("name", ["04_report", "03_gan_samples"])
def test_page_screenshot_is_not_blank(html_dir, tmp_path, name):
    assert_not_blank(screenshot(tmp_path, html_dir / f"{name}.html", html_dir))


def test_report_figures_render(html_dir, tmp_path):
    dom = dump_dom(tmp_path, html_dir / "04_report.html")
    numbers = [int(n) for n in re.findall(r'<img[^>]*\salt="Figure (\d+):[^"]*"[^>]*\ssrc="data:image/png;base64,', dom)]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 5, \
        f"the report's figures, as embedded PNGs in order: {numbers}"
    assert "Figure missing" not in dom and "This report is incomplete" not in dom


def test_samples_page_has_the_offline_player(html_dir, tmp_path):
    page = html_dir / "03_gan_samples.html"
    assert "font-awesome" not in page.read_text(), "the player's icons would need the font-awesome CDN"
    dom = dump_dom(tmp_path, page)
    assert re.search(r'<img[^>]*\sid="_anim_img\w+"', dom), "no animation image"
    assert re.search(r'<button[^>]*onclick="anim\w+\.next_frame\(\)"', dom), "no next-frame button"


def test_stepper_steps_without_kernel_or_network(html_dir, tmp_path):
    page = tmp_path / "03_gan_samples_stepper.html"  # a copy: html/ keeps the page as exported
    page.write_text((html_dir / "03_gan_samples.html").read_text().replace("</body>", STEPPER_CHECK + "</body>"))
    found = re.search(r'<pre id="stepper-check">(.*?)</pre>', dump_dom(tmp_path, page), re.S)
    assert found, "the injected check did not run"
    result = json.loads(html.unescape(found.group(1)))
    assert "error" not in result, result
    assert result["frames"] == 9
    assert result["before"] == {"frame": 0, "slider": 0}
    assert result["after_one"] == {"frame": 1, "slider": 1}
    assert result["after_two"] == {"frame": 2, "slider": 2}
    # The same page as a person would see it: the player, moved to the top, two frames along.
    assert_not_blank(screenshot(tmp_path, page, html_dir))


# ---------------------------------------------------------------- offline math, measured in the page

@pytest.fixture(scope="module")
def offline_browser():
    """Playwright driving the system's Chromium (no browser is downloaded); every request that is not for a
    file or inline data is aborted and recorded."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context()
        requests = []

        def refuse(route):
            requests.append(route.request.url)
            route.abort()

        context.route(lambda url: not url.startswith(("file:", "data:")), refuse)
        yield context, requests
        browser.close()


@pytest.fixture(scope="module")
def report_html(executed_root):
    from tools.report import render

    return render(executed_root)["html"]


@pytest.mark.parametrize("name", ["01_lstm", "02_gan_train", "03_gan_samples", "04_report", "report"])
def test_math_renders_offline(name, html_dir, report_html, offline_browser):
    context, requests = offline_browser
    page_file = report_html if name == "report" else html_dir / f"{name}.html"
    page = context.new_page()
    requests.clear()
    page.goto(page_file.as_uri())
    text = page.inner_text("body")
    for raw in ("$", "\\tanh", "^{(t)}", "\\mathcal", "\\frac"):
        assert raw not in text, f"raw TeX {raw!r} shows as text in {page_file.name}"
    sizes = page.eval_on_selector_all("math", "els => els.map(e => { const r = e.getBoundingClientRect(); "
                                               "return [r.width, r.height]; })")
    assert len(sizes) >= (1 if name == "03_gan_samples" else 10), f"{page_file.name}: {len(sizes)} math elements"
    assert all(w > 0 and h > 0 for w, h in sizes), f"{page_file.name}: a math element has no size"
    assert not requests, f"{page_file.name} asked the network for {requests}"
    page.close()
