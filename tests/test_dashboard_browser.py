"""End-to-end: `tsunagari dashboard` in headless Chromium (Debian's package, driven by Playwright).

The test starts the dashboard on a free localhost port, types a bad seed (a message, no crash),
moves the supporter slider, rebuilds the model, runs a few steps, checks that both charts and the
status changed, and saves a screenshot to outputs/ci-artifacts/dashboard.png (kept by CI).
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

REPO = Path(__file__).resolve().parents[1]
ARTIFACT = REPO / "outputs" / "ci-artifacts" / "dashboard.png"
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
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "dashboard", "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the CLI and its solara child
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_http(url, proc)
        yield url
    finally:
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


def test_dashboard_in_browser(dashboard_url):
    from playwright.sync_api import expect, sync_playwright

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

            # a bad value: a message, and the app keeps working
            seed = page.get_by_label("乱数シード seed")
            seed.fill("abc")
            seed.press("Enter")
            _press(page, "Reset")
            expect(page.locator(".tsunagari-error")).to_contain_text("seed: expected a number")
            seed.fill("42")
            seed.press("Enter")

            # move the supporter slider from 0 to 3 per 1,000 (step 0.5), then rebuild
            slider = page.locator(".v-input").filter(has_text="支援者/千人").get_by_role("slider")
            slider.focus()
            for _ in range(6):
                slider.press("ArrowRight")
                time.sleep(0.2)  # one change event at a time reaches the server
            expect(slider).to_have_attribute("aria-valuenow", "3")
            time.sleep(1.0)
            _press(page, "Reset")
            expect(status).to_contain_text("supporters (per_1000=3.0)")
            expect(page.locator(".tsunagari-error")).to_have_count(0)

            # run a few months (Step = 4 weeks) and check both charts changed
            for _ in range(5):
                _press(page, "Step")
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
            ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACT), full_page=True)
            assert ARTIFACT.stat().st_size > 20_000
        finally:
            browser.close()
