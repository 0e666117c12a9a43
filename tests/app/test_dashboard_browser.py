"""End-to-end: `tsunagari dashboard` in headless Chromium (Debian's package, driven by Playwright).

The test starts the dashboard on a free localhost port and checks, in the Japanese page, that
every slider shows its current value and that no English control label of Mesa or Solara is
left. It types a bad seed (a message, no crash), moves the supporter slider (its shown value
follows), rebuilds the model, runs a few steps, checks that both charts and the status changed,
switches the page to English, and saves a screenshot to outputs/ci-artifacts/dashboard.png (kept
by CI). The server's output is read too: Solara's cookie warning must not appear.
It is skipped, with the reason, where Chromium, Playwright or Solara is missing.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACT = REPO / "outputs" / "ci-artifacts" / "dashboard.png"
JA_SHOT = REPO / "outputs" / "ci-artifacts" / "dashboard-ja.png"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 60_000
CHARTS = ("tsunagari-headline", "tsunagari-flows")
ENGLISH_LABELS = (
    "Play Interval",
    "Render Interval",
    "Use Threads",
    "Controls",
    "Model Parameters",
    "Information",
    "Reset",
    "Step",
    "Page 0",
    "Time:",
    "runs on Solara",
)
"""Labels of Mesa's SolaraViz sidebar and Solara's banner, none of which may be in the ja page."""
SLIDER_VALUES_JA = {
    "interval": "150 ミリ秒",
    "supporters_per_1000": "0.0 人",
    "venues_per_zone": "0.00 か所",
    "venue_capacity": "20 人",
    "scale": "1.0%",
}
"""Every slider of the sidebar and the value it shows at the defaults."""


def _missing() -> str | None:
    if not Path(CHROMIUM).is_file():
        return "chromium is not installed (apt-get install chromium chromium-driver)"
    for module in ("playwright", "solara"):
        if importlib.util.find_spec(module) is None:
            return f"Python package '{module}' is not installed (see pyproject extras)"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 90.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"dashboard exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"dashboard did not answer at {url} within {timeout:.0f} s")


@pytest.fixture(scope="module")
def dashboard_url():
    port = _free_port()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.app.cli", "dashboard", "--port", str(port)],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the CLI and its solara child
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_http(url, proc)
        yield url, log
    finally:
        log.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def _chart(page, css: str) -> str:
    return page.locator(f".{css} img").first.get_attribute("src") or ""


def _pixels(page, css: str) -> bytes:
    return page.locator(f".{css} img").first.screenshot()


def _press(page, label: str) -> None:
    page.get_by_role("button", name=label, exact=True).click()


def _shown(page, control: str):
    return page.locator(f".tsunagari-control-{control} .tsunagari-value")


def _server_output(log) -> str:
    log.flush()
    log.seek(0)
    return log.read().decode("utf-8", "replace")


def test_dashboard_in_browser(dashboard_url):
    from playwright.sync_api import expect, sync_playwright

    dashboard_url, log = dashboard_url
    expect.set_options(timeout=TIMEOUT_MS)
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1500, "height": 1000},
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(dashboard_url)
            status = page.locator(".tsunagari-status")
            expect(status).to_contain_text("縮小規模で実行中")  # the scale is stated
            expect(page.locator(".tsunagari-headline img")).to_have_count(1)
            placeholder = _chart(page, CHARTS[0])
            before = {css: _pixels(page, css) for css in CHARTS}

            # every slider shows its value; nothing of Mesa's or Solara's English is left
            expect(page.locator(".tsunagari-value")).to_have_count(len(SLIDER_VALUES_JA))
            for control, shown in SLIDER_VALUES_JA.items():
                expect(_shown(page, control)).to_have_text(shown)
            sidebar = page.locator(".tsunagari-controls").inner_text()
            sidebar += page.locator(".tsunagari-settings").inner_text()
            assert "つながりサポーター（千人あたり）" in sidebar
            body = page.locator("body").inner_text()
            left = [label for label in ENGLISH_LABELS if label in body]
            assert not left, f"English control labels in the Japanese page: {left}"

            # a bad value: a message, and the app keeps working
            seed = page.get_by_label("乱数シード")
            seed.fill("abc")
            seed.press("Enter")
            _press(page, "設定で作り直す")
            expect(page.locator(".tsunagari-error")).to_contain_text("seed: expected a number")
            seed.fill("42")
            seed.press("Enter")

            # move the supporter slider from 0 to 3 per 1,000 (step 0.5): its value follows
            slider = page.locator(".tsunagari-control-supporters_per_1000").get_by_role("slider")
            slider.focus()
            for _ in range(6):
                slider.press("ArrowRight")
                time.sleep(0.2)  # one change event at a time reaches the server
            expect(slider).to_have_attribute("aria-valuenow", "3")
            expect(_shown(page, "supporters_per_1000")).to_have_text("3.0 人")
            time.sleep(1.0)
            _press(page, "設定で作り直す")
            expect(status).to_contain_text("つながりサポーター（千人あたり 3.0 人）")
            expect(page.locator(".tsunagari-error")).to_have_count(0)

            # run a few months (one Step = 4 weeks) and check both charts changed
            for _ in range(5):
                _press(page, "4週進める")
                time.sleep(0.3)
            expect(status).to_contain_text("施策開始から 20 週")
            page.wait_for_function(
                "src => document.querySelector('.tsunagari-headline img').src !== src",
                arg=placeholder,
            )
            time.sleep(1.0)
            for css, pixels in before.items():
                assert _chart(page, css).startswith("blob:")
                assert _pixels(page, css) != pixels, f"{css} chart did not change"
            body = page.locator("body").inner_text()
            left = [label for label in ENGLISH_LABELS if label in body]
            assert not left, f"English control labels in the Japanese page: {left}"
            JA_SHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(JA_SHOT), full_page=True)

            # English: the labels change at once, the values stay shown
            page.locator(".tsunagari-control-lang .v-select__slot").click()
            page.get_by_role("option", name="English").click()
            expect(page.locator(".tsunagari-settings")).to_contain_text(
                "Connection supporters per 1,000"
            )
            expect(_shown(page, "supporters_per_1000")).to_have_text("3.0")
            expect(_shown(page, "scale")).to_have_text("1.0%")
            expect(page.get_by_role("button", name="Step", exact=True)).to_be_visible()
            ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACT), full_page=True)
            assert ARTIFACT.stat().st_size > 20_000
        finally:
            browser.close()
    output = _server_output(log)
    assert "samesite" not in output.lower(), output[-2000:]
    assert "Traceback" not in output, output[-2000:]
