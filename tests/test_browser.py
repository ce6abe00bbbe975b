"""One real-browser test: ``streamlit run app.py`` + headless Chromium on a real index.

Chromium (the Debian package that ``make system-deps`` installs) is driven through the
Chrome DevTools Protocol over a websocket (``websockets`` ships with Streamlit), so no
Selenium or chromedriver is needed. The page is opened with ``?q=…``, the test waits until
the rendered page shows the result, checks the DOM and saves a screenshot.
"""
from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "screenshots"  # git-ignored
QUERY = "không gian ngầm"
EXPECTED = "công trình ngầm"  # words of the best clause, rendered in the first card

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="/usr/bin/chromium is not installed (run `make system-deps`)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


@pytest.fixture
def server(corpus_index, tmp_path):
    """``streamlit run app.py`` on a free localhost port, on a copy of the real index."""
    index_dir = tmp_path / "index"
    shutil.copytree(corpus_index, index_dir, ignore=shutil.ignore_patterns("build.lock"))
    port = free_port()
    env = {**os.environ, "POLICY_INDEX_DIR": str(index_dir), "POLICY_CORPUS_DIR": str(ROOT / "corpus")}
    log = open(tmp_path / "streamlit.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                return r.status == 200
        except OSError:
            return proc.poll() is not None  # stop waiting if it died

    try:
        wait_for(healthy, 60)
        if proc.poll() is not None:
            pytest.fail("streamlit exited: " + (tmp_path / "streamlit.log").read_text(errors="replace"))
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


class Browser:
    """Headless Chromium with a minimal DevTools Protocol client."""

    def __init__(self, profile: Path, width: int = 1400, height: int = 1800):
        self.proc = subprocess.Popen(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
             f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        if not wait_for(lambda: port_file.exists() and port_file.read_text().strip(), 30):
            self.close()
            raise RuntimeError("chromium did not open its DevTools port")
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=10) as r:
            page = next(t for t in json.load(r) if t["type"] == "page")
        from websockets.sync.client import connect

        self.stack = contextlib.ExitStack()
        self.ws = self.stack.enter_context(
            connect(page["webSocketDebuggerUrl"], max_size=64 * 2**20, open_timeout=10))
        self.ids = itertools.count(1)

    def call(self, method: str, **params) -> dict:
        ident = next(self.ids)
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=60))
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str):
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=False)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        try:
            if hasattr(self, "stack"):
                self.stack.close()
        except Exception:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def test_page_runs_a_query_in_a_real_browser(server, tmp_path):
    browser = Browser(tmp_path / "profile")
    try:
        browser.call("Page.enable")
        browser.call("Page.navigate", url=f"{server}/?q={urllib.parse.quote(QUERY)}")
        # the first run loads the model and the index in the server; then the cards arrive one by
        # one: wait until every card announced by the caption ("10 điều khoản phù hợp") is there,
        # each with its export checkbox, and the page is idle
        complete = """(() => {
            const caption = document.body.innerText.match(/(\\d+) điều khoản phù hợp/);
            const cards = document.querySelectorAll('.ps-card').length;
            const boxes = document.querySelectorAll('input[aria-label="Chọn để xuất"]').length;
            const running = document.querySelector('[data-testid="stStatusWidget"]');
            return caption !== null && cards >= 3 && cards == +caption[1] && boxes == cards && !running;
        })()"""
        rendered = wait_for(lambda: browser.evaluate(complete), 120, 0.5)
        assert rendered, "no result cards rendered: " + str(browser.evaluate("document.body.innerText"))[:2000]
        time.sleep(0.5)
        first = browser.evaluate("document.querySelector('.ps-card').innerText")
        marks = browser.evaluate("Array.from(document.querySelectorAll('.ps-card mark')).map(m => m.textContent)")
        box = browser.evaluate("document.querySelector('input[aria-label=\"Nội dung cần tìm\"]')?.value")
        dom = browser.evaluate("document.documentElement.outerHTML")
        text = browser.evaluate("document.body.innerText")
        shot = browser.screenshot(ARTIFACTS / "browser_search.png")
    finally:
        browser.close()
    print(f"\nscreenshot: {shot}")
    assert box == QUERY
    assert EXPECTED in first
    assert "[1]" in first and "mục" in first  # rank and citation ("…, mục III.4")
    assert any("ngầm" in m for m in marks)
    assert "Tra cứu văn bản chính sách" in text and "Chọn để xuất" in text
    assert dom.count('class="ps-card"') == text.count("Chọn để xuất") >= 3
    assert "<script>" not in first
    assert shot.stat().st_size > 20_000


def page_text(browser: Browser) -> str:
    """The visible text of the page ('' while it is being replaced)."""
    return browser.evaluate("(document.body && document.body.innerText) || ''") or ""


def wait_idle(browser: Browser, timeout: float = 120) -> bool:
    """Until the app has rendered and no script run is in progress."""
    idle = """(() => !!document.querySelector('[data-testid="stApp"]')
        && !document.querySelector('[data-testid="stStatusWidget"]')
        && document.body.innerText.includes('Tra cứu văn bản chính sách'))()"""
    time.sleep(1.0)
    return bool(wait_for(lambda: browser.evaluate(idle), timeout, 0.5))


def test_reload_keeps_the_export_list_and_pages_stay_vietnamese(server, tmp_path):
    browser = Browser(tmp_path / "profile")
    ticked = "document.querySelector('input[aria-label=\"Chọn để xuất\"]')?.checked"
    try:
        browser.call("Page.enable")
        browser.call("Page.navigate", url=f"{server}/?q={urllib.parse.quote(QUERY)}")
        assert wait_for(lambda: browser.evaluate("document.querySelectorAll('.ps-card').length >= 3"), 120, 0.5)
        assert wait_idle(browser)
        for _ in range(3):  # a click that lands while the page re-renders is lost: try again
            assert wait_for(lambda: browser.evaluate(ticked) is False, 60, 0.5)
            browser.evaluate("document.querySelector('input[aria-label=\"Chọn để xuất\"]').click()")
            if wait_for(lambda: "Xuất (1)" in page_text(browser), 20, 0.5):
                break
        assert wait_for(lambda: "Xuất (1)" in page_text(browser) and browser.evaluate(ticked) is True, 30, 0.5)
        assert "s=" in browser.evaluate("location.search")
        address = browser.evaluate("location.href")
        browser.call("Page.reload", ignoreCache=True)  # F5
        assert wait_for(lambda: browser.evaluate("document.querySelectorAll('.ps-card').length >= 3"), 120, 0.5)
        assert wait_idle(browser)
        assert browser.evaluate("location.href") == address
        assert wait_for(lambda: "Xuất (1)" in page_text(browser), 60, 0.5)
        assert wait_for(lambda: browser.evaluate(ticked) is True, 60, 0.5)  # the first card is still ticked

        session = urllib.parse.parse_qs(urllib.parse.urlparse(address).query)["s"][0]
        browser.call("Page.navigate", url=f"{server}/?page=export&s={session}")
        assert wait_for(lambda: "Tải CSV" in page_text(browser), 120, 0.5)
        assert wait_for(lambda: browser.evaluate("document.querySelectorAll('.ps-card').length") == 1, 60, 0.5)

        browser.call("Page.navigate", url=f"{server}/?page=topics")
        assert wait_for(lambda: browser.evaluate("!!document.querySelector('[data-testid=stDataFrame] .dvn-scroller')"),
                        120, 0.5)
        assert wait_idle(browser)
        grid = browser.evaluate("""(() => { const s = document.querySelector('[data-testid=stDataFrame] .dvn-scroller');
            const before = s.scrollWidth; s.scrollLeft = s.scrollWidth;
            return [before, s.clientWidth, s.scrollLeft]; })()""")
        time.sleep(0.5)
        topics_shot = browser.screenshot(ARTIFACTS / "browser_topics.png")
        text = page_text(browser)
        assert grid[0] >= 96 * 10 + 300 and grid[2] > 0, grid  # every topic column is reachable by scrolling
        assert "Deploy" not in text

        browser.call("Page.navigate", url=f"{server}/?page=documents")
        assert wait_for(lambda: browser.evaluate("!!document.querySelector('[data-testid=stFileUploader]')"), 120, 0.5)
        assert wait_idle(browser)
        uploader = browser.evaluate("document.querySelector('[data-testid=stFileUploader]').innerText")
        button = browser.evaluate("""getComputedStyle(document.querySelector(
            '[data-testid=stFileUploaderDropzone] button [data-testid=stMarkdownContainer]'), '::after').content""")
        text = page_text(browser)
    finally:
        browser.close()
    print(f"\nscreenshot: {topics_shot}")
    assert "Thêm văn bản" in uploader
    assert not any(w in uploader for w in ("Upload", "Drag and drop", "Browse files", "per file"))
    assert button == '"Chọn tệp"'
    assert "Deploy" not in text and "None" not in text
